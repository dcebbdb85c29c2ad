//! From records to table rows: the medians over rounds of every (workload, threads,
//! precision) triple ([`Row`]), and the ratios and overheads derived from them.

use super::record::{ObserverRecord, Record};

/// Medians over rounds of one (workload, threads, precision) triple.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub workload: String,
    pub threads: u32,
    /// `fp32` or `bf16`, on both sides.
    pub precision: String,
    pub batch_images: f64,
    pub plain: Option<f64>,
    pub trainer: Option<f64>,
    pub lp: Option<f64>,
    pub pytorch: Option<f64>,
    /// `--compile`: PyTorch (tuned) under `torch.compile`, and its warm-up seconds.
    pub pytorch_compile: Option<f64>,
    pub compile_s: Option<f64>,
    /// `loop` steps/s with the run's start and end (observers' `on_start`; final checkpoint,
    /// last rows, end plots) taken out.
    pub lp_steady: Option<f64>,
    /// Seconds of one checkpoint write, and the config's checkpoint interval.
    pub checkpoint_s: Option<f64>,
    pub checkpoint_every: Option<f64>,
    /// `--variants`: the Trainer on glibc's default malloc, PyTorch on gan-rs's, and
    /// PyTorch written as the Trainer runs (with gan-rs's malloc).
    pub trainer_system_malloc: Option<f64>,
    pub pytorch_retain_malloc: Option<f64>,
    pub pytorch_tuned: Option<f64>,
    pub rss_gan: Option<f64>,
    pub rss_torch: Option<f64>,
    /// Steps of the `loop` window, and the time of each of its observers (medians over
    /// rounds, in calling order).
    pub lp_steps: Option<f64>,
    pub observers: Vec<ObserverRow>,
}

/// One observer of a `loop` window: medians over rounds of its seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ObserverRow {
    pub name: String,
    pub start_s: f64,
    pub step_s: f64,
    pub end_s: f64,
    pub max_step_s: f64,
}

impl ObserverRow {
    /// All of its seconds in the window.
    pub fn total_s(&self) -> f64 {
        self.start_s + self.step_s + self.end_s
    }

    /// The medians of each of the observers in `records` (in the order first seen).
    fn medians(records: &[&Record]) -> Vec<ObserverRow> {
        let all: Vec<&ObserverRecord> = records
            .iter()
            .filter_map(|r| r.observers.as_ref())
            .flatten()
            .collect();
        let mut names: Vec<&str> = Vec::new();
        for o in &all {
            if !names.contains(&o.name.as_str()) {
                names.push(&o.name);
            }
        }
        names
            .into_iter()
            .map(|name| {
                let mine: Vec<&ObserverRecord> =
                    all.iter().copied().filter(|o| o.name == name).collect();
                let m = |f: fn(&ObserverRecord) -> f64| {
                    median(mine.iter().map(|o| f(o))).unwrap_or(0.0)
                };
                ObserverRow {
                    name: name.to_string(),
                    start_s: m(|o| o.start_s),
                    step_s: m(|o| o.step_s),
                    end_s: m(|o| o.end_s),
                    max_step_s: m(|o| o.max_step_s),
                }
            })
            .collect()
    }
}

impl Row {
    /// The row of `workload` at `threads` and `precision`, from those of `records`
    /// measured so.
    fn of(records: &[Record], workload: &str, threads: u32, precision: &str) -> Row {
        let mine: Vec<&Record> = records
            .iter()
            .filter(|r| r.workload == workload && r.threads == threads && r.precision == precision)
            .collect();
        let of = |side: &str, imp: &str| -> Vec<&Record> {
            mine.iter()
                .copied()
                .filter(|r| r.side == side && r.imp == imp)
                .collect()
        };
        let sps = |side: &str, imp: &str| median(of(side, imp).iter().map(|r| r.steps_per_s));
        let rss = |side: &str, imp: &str| {
            of(side, imp)
                .iter()
                .filter_map(|r| r.peak_rss_mib)
                .reduce(f64::max)
        };
        let loops = of("gan-rs", "loop");
        let steady = loops
            .iter()
            .filter_map(|r| {
                Some(r.steps / (r.seconds - r.end_seconds? - r.start_seconds.unwrap_or(0.0)))
            })
            .filter(|v| v.is_finite() && *v > 0.0);
        Row {
            workload: workload.to_string(),
            threads,
            precision: precision.to_string(),
            batch_images: mine.first().map_or(1.0, |r| r.images_per_s / r.steps_per_s),
            plain: sps("gan-rs", "plain"),
            trainer: sps("gan-rs", "trainer"),
            lp: median(loops.iter().map(|r| r.steps_per_s)),
            pytorch: sps("pytorch", "eager"),
            pytorch_compile: sps("pytorch", "compile"),
            compile_s: median(
                of("pytorch", "compile")
                    .iter()
                    .filter_map(|r| r.compile_seconds),
            ),
            lp_steady: median(steady),
            checkpoint_s: median(loops.iter().filter_map(|r| r.checkpoint_seconds)),
            checkpoint_every: loops.iter().find_map(|r| r.checkpoint_every),
            trainer_system_malloc: sps("gan-rs", "trainer-system-malloc"),
            pytorch_retain_malloc: sps("pytorch", "eager-retain-malloc"),
            pytorch_tuned: sps("pytorch", "eager-tuned"),
            rss_gan: rss("gan-rs", "trainer"),
            rss_torch: rss("pytorch", "eager"),
            lp_steps: median(loops.iter().map(|r| r.steps)),
            observers: ObserverRow::medians(&loops),
        }
    }

    /// gan-rs `trainer` steps/s over PyTorch's.
    pub fn ratio(&self) -> Option<f64> {
        Some(self.trainer? / self.pytorch?)
    }
    /// gan-rs `trainer` steps/s over PyTorch's under `torch.compile`.
    pub fn compile_ratio(&self) -> Option<f64> {
        Some(self.trainer? / self.pytorch_compile?)
    }
    /// gan-rs `plain` steps/s over PyTorch's.
    pub fn plain_ratio(&self) -> Option<f64> {
        Some(self.plain? / self.pytorch?)
    }
    /// Extra time per step of `Trainer::run` with observers over bare `train_step`, in %,
    /// over the measured window as it ran (the run's end included once).
    pub fn loop_overhead_pct(&self) -> Option<f64> {
        Some((self.trainer? / self.lp? - 1.0) * 100.0)
    }
    /// The same at the config's settings in a long run: the window without the run's start
    /// and end,
    /// plus one checkpoint write per `checkpoint_every` steps (every 0: written only at
    /// the end, so nothing per step).
    pub fn loop_default_overhead_pct(&self) -> Option<f64> {
        let every = self.checkpoint_every?;
        let per_step_checkpoint = if every > 0.0 {
            self.checkpoint_s? / every
        } else {
            0.0
        };
        let step_s = 1.0 / self.lp_steady? + per_step_checkpoint;
        Some((step_s * self.trainer? - 1.0) * 100.0)
    }
    /// Milliseconds a step of `observer` takes in the `loop` window (its start, steps and
    /// end together, over the window's steps).
    pub fn observer_ms_per_step(&self, observer: &ObserverRow) -> Option<f64> {
        Some(observer.total_s() / self.lp_steps? * 1e3)
    }
    /// Milliseconds of a bare `train_step` (the `trainer` implementation).
    pub fn trainer_step_ms(&self) -> Option<f64> {
        Some(1e3 / self.trainer?)
    }
    /// Extra time per step of `train_step` over the plain tch loop, in %.
    pub fn trainer_overhead_pct(&self) -> Option<f64> {
        Some((self.plain? / self.trainer? - 1.0) * 100.0)
    }
}

fn median(v: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = v.into_iter().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// One row per (workload, threads, precision) of `records`, in the order first measured.
pub fn summarize(records: &[Record]) -> Vec<Row> {
    let mut keys: Vec<(&str, u32, &str)> = Vec::new();
    for r in records {
        let k = (r.workload.as_str(), r.threads, r.precision.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(workload, threads, precision)| Row::of(records, workload, threads, precision))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fixtures::{args, rec};
    use crate::bench::report::{markdown, results_json};

    #[test]
    fn summary_takes_medians_ratios_and_overheads() {
        let records = vec![
            rec("gan-rs", "trainer", 5.0, Some(600.0)),
            rec("gan-rs", "trainer", 4.0, Some(650.0)),
            rec("gan-rs", "trainer", 6.0, Some(610.0)),
            rec("gan-rs", "loop", 4.0, None),
            rec("gan-rs", "plain", 5.5, None),
            rec("pytorch", "eager", 4.0, Some(900.0)),
            rec("pytorch", "eager", 5.0, Some(800.0)),
        ];
        let rows = summarize(&records);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.trainer, Some(5.0));
        assert_eq!(r.pytorch, Some(4.5));
        assert_eq!(r.rss_gan, Some(650.0));
        assert_eq!(r.rss_torch, Some(900.0));
        assert_eq!(r.batch_images, 64.0);
        assert!((r.ratio().unwrap() - 5.0 / 4.5).abs() < 1e-12);
        assert!((r.loop_overhead_pct().unwrap() - 25.0).abs() < 1e-9);
        assert!((r.trainer_overhead_pct().unwrap() - 10.0).abs() < 1e-9);
        let args = args(true, false);
        let md = markdown(&rows, &args, 1);
        assert!(md.contains("| dcgan32 | 2 | fp32 | 5.00 (320) |"), "{md}");
        assert!(md.contains("1.11×"), "{md}");
        let json = results_json(&records, &rows, &args).unwrap();
        assert!(json.contains("\"pytorch_steps_per_s\": 4.5"), "{json}");
    }

    #[test]
    fn loop_overhead_at_defaults_takes_out_the_run_end_and_amortizes_checkpoints() {
        // Trainer: 5 steps/s (0.2 s a step). Loop: 20 steps in 4.6 s, of which 0.5 s ending
        // the run and 0.4 s of that the checkpoint, written every 100 steps.
        let mut lp = rec("gan-rs", "loop", 20.0 / 4.6, None);
        lp.seconds = 4.6;
        lp.end_seconds = Some(0.5);
        lp.checkpoint_seconds = Some(0.4);
        lp.checkpoint_every = Some(100.0);
        let rows = summarize(&[rec("gan-rs", "trainer", 5.0, None), lp.clone()]);
        let r = &rows[0];
        assert!((r.lp_steady.unwrap() - 20.0 / 4.1).abs() < 1e-9);
        // (4.1 / 20 + 0.4 / 100) s a step against 0.2 s: +4.5 %.
        let expected = ((4.1 / 20.0 + 0.004) / 0.2 - 1.0) * 100.0;
        assert!((r.loop_default_overhead_pct().unwrap() - expected).abs() < 1e-9);
        // As measured, the window carries the whole run end: +15 %.
        assert!((r.loop_overhead_pct().unwrap() - 15.0).abs() < 1e-9);
        // Checkpoints only at the end: nothing per step.
        lp.checkpoint_every = Some(0.0);
        let rows = summarize(&[rec("gan-rs", "trainer", 5.0, None), lp.clone()]);
        let expected = (4.1 / 20.0 / 0.2 - 1.0) * 100.0;
        assert!((rows[0].loop_default_overhead_pct().unwrap() - expected).abs() < 1e-9);
        let md = markdown(&rows, &args(false, false), 3);
        assert!(md.contains("dcgan32 0.400 s every 0 steps"), "{md}");
        // The run's start (opening files, loading a classifier) is taken out as its end is.
        lp.start_seconds = Some(0.1);
        let rows = summarize(&[rec("gan-rs", "trainer", 5.0, None), lp]);
        assert!((rows[0].lp_steady.unwrap() - 20.0 / 4.0).abs() < 1e-9);
    }

    #[test]
    fn each_precision_is_its_own_row_with_its_compile_figures() {
        let mut bf16 = rec("gan-rs", "trainer", 8.0, None);
        bf16.precision = "bf16".into();
        let mut torch_bf16 = rec("pytorch", "eager", 6.0, None);
        torch_bf16.precision = "bf16".into();
        let mut compiled = rec("pytorch", "compile", 7.0, None);
        compiled.precision = "bf16".into();
        compiled.compile_seconds = Some(30.0);
        let rows = summarize(&[
            rec("gan-rs", "trainer", 5.0, None),
            rec("pytorch", "eager", 4.0, None),
            bf16,
            torch_bf16,
            compiled,
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].precision.as_str(), rows[0].ratio()),
            ("fp32", Some(1.25))
        );
        let r = &rows[1];
        assert_eq!(
            (r.precision.as_str(), r.trainer, r.pytorch),
            ("bf16", Some(8.0), Some(6.0))
        );
        assert_eq!((r.pytorch_compile, r.compile_s), (Some(7.0), Some(30.0)));
        assert!((r.compile_ratio().unwrap() - 8.0 / 7.0).abs() < 1e-12);
        let md = markdown(&rows, &args(false, false), 3);
        assert!(md.contains("| dcgan32 | 2 | bf16 | 8.00 (512) |"), "{md}");
        assert!(md.contains("7.00 (448) | 1.33× | 1.14×"), "{md}");
        assert!(md.contains("dcgan32 bf16 30.0 s"), "{md}");
    }

    #[test]
    fn rows_keep_the_order_pairs_were_first_measured() {
        let mut one_thread = rec("gan-rs", "trainer", 5.0, None);
        one_thread.threads = 1;
        let rows = summarize(&[
            rec("gan-rs", "trainer", 5.0, None),
            one_thread,
            rec("pytorch", "eager", 4.0, None),
        ]);
        let keys: Vec<_> = rows.iter().map(|r| r.threads).collect();
        assert_eq!(keys, [2, 1]);
        assert_eq!((rows[0].pytorch, rows[1].pytorch), (Some(4.0), None));
    }
}
