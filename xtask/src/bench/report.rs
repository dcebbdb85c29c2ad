//! What `cargo xtask bench` shows and saves: the markdown tables (`results.md`, printed
//! too) and `results.json` (serde), from the summary rows and the records.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::record::Record;
use super::summary::Row;
use super::BenchArgs;

pub fn fmt_rss(v: Option<f64>) -> String {
    v.map_or("—".into(), |m| format!("{m:.0} MiB"))
}

fn fmt_sps(v: Option<f64>, batch: f64) -> String {
    v.map_or("—".into(), |s| format!("{s:.2} ({:.0})", s * batch))
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("—".into(), f)
}

/// The main table: gan-rs and PyTorch side by side, ratios, overheads and peak RSS.
pub fn markdown(rows: &[Row], args: &BenchArgs, rounds: u32) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "device: {}, rounds: {rounds}{}; steps/s (images/s), medians over rounds",
        args.device.as_str(),
        if args.quick {
            " (--quick: not a measurement)"
        } else {
            ""
        }
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| workload | threads | precision | gan-rs Trainer | gan-rs Trainer+observers | plain tch | PyTorch eager | PyTorch compile | Trainer / PyTorch | Trainer / compile | plain / PyTorch | loop overhead (defaults) | loop overhead (window) | Trainer overhead vs plain | peak RSS gan-rs | peak RSS PyTorch |"
    );
    let _ = writeln!(
        s,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let b = r.batch_images;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.threads,
            r.precision,
            fmt_sps(r.trainer, b),
            fmt_sps(r.lp, b),
            fmt_sps(r.plain, b),
            fmt_sps(r.pytorch, b),
            fmt_sps(r.pytorch_compile, b),
            fmt_opt(r.ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.compile_ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.plain_ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.loop_default_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_opt(r.loop_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_opt(r.trainer_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_rss(r.rss_gan),
            fmt_rss(r.rss_torch),
        );
    }
    let checkpoints: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            Some(format!(
                "{} {:.3} s every {} steps",
                r.workload, r.checkpoint_s?, r.checkpoint_every?
            ))
        })
        .collect();
    let compiles: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            Some(format!(
                "{} {} {:.1} s",
                r.workload, r.precision, r.compile_s?
            ))
        })
        .collect();
    if !compiles.is_empty() {
        let _ = writeln!(
            s,
            "\nPyTorch compile: `torch.compile` of G and D, written as the Trainer runs (fused Adam, \
             D frozen in G's step, channels-last); warm-up (compiling) time, not in the window: {}.",
            compiles.join(", ")
        );
    }
    if !checkpoints.is_empty() {
        let _ = writeln!(
            s,
            "\nloop overhead (defaults): observers over the window without the run's start and end, plus one \
             checkpoint write per interval ({}); (window): as measured, the run's start and end included once.",
            checkpoints.join(", ")
        );
    }
    s
}

/// The `--variants` table: each side with and without gan-rs's malloc thresholds, and
/// PyTorch written as the Trainer runs.
pub fn variants_markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nvariants, steps/s (medians): malloc \"retain\" = gan-rs's thresholds (mmap 32 MiB, trim 1 GiB), \"default\" = glibc's; \
         PyTorch tuned = fused Adam, D frozen during G's step, no graph for G in D's step, channels-last, retain\n"
    );
    let _ = writeln!(
        s,
        "| workload | threads | Trainer (retain) | Trainer (default) | PyTorch (default) | PyTorch (retain) | PyTorch tuned | Trainer / PyTorch, both default | both retain | Trainer / PyTorch tuned |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for r in rows.iter().filter(|r| r.trainer_system_malloc.is_some()) {
        let ratio = |a: Option<f64>, b: Option<f64>| {
            fmt_opt(a.zip(b).map(|(a, b)| a / b), |x| format!("{x:.2}×"))
        };
        let sps = |v: Option<f64>| fmt_opt(v, |x| format!("{x:.2}"));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.threads,
            sps(r.trainer),
            sps(r.trainer_system_malloc),
            sps(r.pytorch),
            sps(r.pytorch_retain_malloc),
            sps(r.pytorch_tuned),
            ratio(r.trainer_system_malloc, r.pytorch),
            ratio(r.trainer, r.pytorch_retain_malloc),
            ratio(r.trainer, r.pytorch_tuned),
        );
    }
    s
}

/// Where the `loop`'s time goes: each observer's seconds over the window, and per step
/// against a bare `train_step` (rows with observer timings only; empty without any).
pub fn observers_markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    let timed: Vec<&Row> = rows.iter().filter(|r| !r.observers.is_empty()).collect();
    if timed.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\nwhere the loop's time goes (Trainer+observers, medians over rounds): seconds of each \
         observer in the window's on_start, on_step calls and on_end; ms a step = all of them over \
         the window's steps; share = of a bare Trainer step\n"
    );
    let _ = writeln!(
        s,
        "| workload | threads | precision | observer | on_start s | on_step s | on_end s | longest step ms | ms a step | share |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for r in timed {
        let share = |ms: Option<f64>| {
            fmt_opt(
                ms.zip(r.trainer_step_ms()).map(|(a, b)| a / b * 100.0),
                |x| format!("{x:.1}%"),
            )
        };
        let ms = |v: Option<f64>| fmt_opt(v, |x| format!("{x:.3}"));
        for o in &r.observers {
            let per_step = r.observer_ms_per_step(o);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.1} | {} | {} |",
                r.workload,
                r.threads,
                r.precision,
                o.name,
                o.start_s,
                o.step_s,
                o.end_s,
                o.max_step_s * 1e3,
                ms(per_step),
                share(per_step),
            );
        }
        let all = r
            .lp_steps
            .map(|steps| r.observers.iter().map(|o| o.total_s()).sum::<f64>() / steps * 1e3);
        let _ = writeln!(
            s,
            "| {} | {} | {} | all observers | | | | | {} | {} |",
            r.workload,
            r.threads,
            r.precision,
            ms(all),
            share(all)
        );
        let _ = writeln!(
            s,
            "| {} | {} | {} | (bare Trainer step) | | | | | {} | 100% |",
            r.workload,
            r.threads,
            r.precision,
            ms(r.trainer_step_ms())
        );
    }
    s
}

/// `results.json`: the run's settings, one object per row, and every record as its runner
/// printed it.
#[derive(Serialize)]
struct Results<'a> {
    device: &'static str,
    quick: bool,
    rows: Vec<JsonRow<'a>>,
    records: Vec<&'a Value>,
}

/// One row of `results.json`; a missing (or non-finite) figure is `null`.
#[derive(Serialize)]
struct JsonRow<'a> {
    workload: &'a str,
    threads: u32,
    precision: &'a str,
    trainer_steps_per_s: Option<f64>,
    loop_steps_per_s: Option<f64>,
    plain_steps_per_s: Option<f64>,
    pytorch_steps_per_s: Option<f64>,
    pytorch_compile_steps_per_s: Option<f64>,
    compile_seconds: Option<f64>,
    ratio: Option<f64>,
    compile_ratio: Option<f64>,
    plain_ratio: Option<f64>,
    loop_overhead_pct: Option<f64>,
    loop_default_overhead_pct: Option<f64>,
    checkpoint_seconds: Option<f64>,
    trainer_system_malloc_steps_per_s: Option<f64>,
    pytorch_retain_malloc_steps_per_s: Option<f64>,
    pytorch_tuned_steps_per_s: Option<f64>,
    peak_rss_mib_gan_rs: Option<f64>,
    peak_rss_mib_pytorch: Option<f64>,
    /// The `loop`'s observers (empty without timings).
    observers: Vec<JsonObserver<'a>>,
}

/// One observer of a row of `results.json`: medians over rounds, and its ms a step.
#[derive(Serialize)]
struct JsonObserver<'a> {
    name: &'a str,
    start_s: f64,
    step_s: f64,
    end_s: f64,
    max_step_s: f64,
    ms_per_step: Option<f64>,
}

impl<'a> From<&'a Row> for JsonRow<'a> {
    fn from(r: &'a Row) -> Self {
        let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
        JsonRow {
            workload: &r.workload,
            threads: r.threads,
            precision: &r.precision,
            trainer_steps_per_s: finite(r.trainer),
            loop_steps_per_s: finite(r.lp),
            plain_steps_per_s: finite(r.plain),
            pytorch_steps_per_s: finite(r.pytorch),
            pytorch_compile_steps_per_s: finite(r.pytorch_compile),
            compile_seconds: finite(r.compile_s),
            ratio: finite(r.ratio()),
            compile_ratio: finite(r.compile_ratio()),
            plain_ratio: finite(r.plain_ratio()),
            loop_overhead_pct: finite(r.loop_overhead_pct()),
            loop_default_overhead_pct: finite(r.loop_default_overhead_pct()),
            checkpoint_seconds: finite(r.checkpoint_s),
            trainer_system_malloc_steps_per_s: finite(r.trainer_system_malloc),
            pytorch_retain_malloc_steps_per_s: finite(r.pytorch_retain_malloc),
            pytorch_tuned_steps_per_s: finite(r.pytorch_tuned),
            peak_rss_mib_gan_rs: finite(r.rss_gan),
            peak_rss_mib_pytorch: finite(r.rss_torch),
            observers: r
                .observers
                .iter()
                .map(|o| JsonObserver {
                    name: &o.name,
                    start_s: o.start_s,
                    step_s: o.step_s,
                    end_s: o.end_s,
                    max_step_s: o.max_step_s,
                    ms_per_step: finite(r.observer_ms_per_step(o)),
                })
                .collect(),
        }
    }
}

/// The text of `results.json` (pretty-printed, with a final newline).
pub fn results_json(records: &[Record], rows: &[Row], args: &BenchArgs) -> Result<String> {
    let results = Results {
        device: args.device.as_str(),
        quick: args.quick,
        rows: rows.iter().map(JsonRow::from).collect(),
        records: records.iter().map(|r| &r.raw).collect(),
    };
    let mut s = serde_json::to_string_pretty(&results).context("serializing results.json")?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fixtures::{args, rec, LINE};
    use crate::bench::record::parse_record;
    use crate::bench::summary::summarize;

    #[test]
    fn variants_have_their_own_table() {
        let rows = summarize(&[
            rec("gan-rs", "trainer", 5.5, None),
            rec("gan-rs", "trainer-system-malloc", 5.2, None),
            rec("pytorch", "eager", 5.0, Some(700.0)),
            rec("pytorch", "eager-retain-malloc", 5.1, Some(900.0)),
            rec("pytorch", "eager-tuned", 5.5, Some(800.0)),
        ]);
        let r = &rows[0];
        // The variants never leak into the main columns.
        assert_eq!(
            (r.trainer, r.pytorch, r.rss_torch),
            (Some(5.5), Some(5.0), Some(700.0))
        );
        let md = variants_markdown(&rows);
        assert!(
            md.contains(
                "| dcgan32 | 2 | 5.50 | 5.20 | 5.00 | 5.10 | 5.50 | 1.04× | 1.08× | 1.00× |"
            ),
            "{md}"
        );
    }

    #[test]
    fn observers_have_their_own_table_and_json() {
        use crate::bench::record::ObserverRecord;
        let observer = |name: &str, step_s: f64, end_s: f64| ObserverRecord {
            name: name.into(),
            start_s: 0.0,
            step_s,
            end_s,
            max_step_s: step_s / 2.0,
        };
        // Trainer: 5 steps/s (200 ms a step); loop windows of 20 steps.
        let mut lp = rec("gan-rs", "loop", 4.0, None);
        lp.observers = Some(vec![
            observer("MetricsLog", 0.2, 0.0),
            observer("Checkpointer", 0.0, 0.25),
        ]);
        let mut lp2 = lp.clone();
        lp2.observers = Some(vec![
            observer("MetricsLog", 0.4, 0.0),
            observer("Checkpointer", 0.0, 0.75),
        ]);
        let mut lp3 = lp.clone();
        lp3.observers = Some(vec![observer("MetricsLog", 0.3, 0.0)]);
        let records = [rec("gan-rs", "trainer", 5.0, None), lp, lp2, lp3];
        let rows = summarize(&records);
        let r = &rows[0];
        let names: Vec<&str> = r.observers.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["MetricsLog", "Checkpointer"], "calling order");
        // Medians over the rounds that have it: 0.3 s of steps, 0.5 s of checkpoint.
        assert_eq!((r.observers[0].step_s, r.observers[1].end_s), (0.3, 0.5));
        let md = observers_markdown(&rows);
        // 0.3 s over 20 steps: 15 ms a step, 7.5 % of a 200 ms step.
        assert!(
            md.contains("| dcgan32 | 2 | fp32 | MetricsLog | 0.000 | 0.300 | 0.000 | 150.0 | 15.000 | 7.5% |"),
            "{md}"
        );
        assert!(
            md.contains("| all observers | | | | | 40.000 | 20.0% |"),
            "{md}"
        );
        assert!(
            md.contains("| (bare Trainer step) | | | | | 200.000 | 100% |"),
            "{md}"
        );
        let json = results_json(&records, &rows, &args(false, false)).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        let o = &v["rows"][0]["observers"][1];
        assert_eq!(
            (&o["name"], &o["end_s"]),
            (&"Checkpointer".into(), &0.5.into())
        );
        assert!((o["ms_per_step"].as_f64().unwrap() - 25.0).abs() < 1e-9);
        // Without timings, no table.
        assert!(observers_markdown(&summarize(&[rec("gan-rs", "trainer", 5.0, None)])).is_empty());
    }

    #[test]
    fn results_json_round_trips_through_serde_json() {
        let records = vec![
            parse_record(LINE).unwrap(),
            rec("gan-rs", "trainer", 5.0, Some(600.0)),
        ];
        let mut rows = summarize(&records);
        rows[0].plain = Some(f64::NAN);
        let json = results_json(&records, &rows, &args(true, false)).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["device"], "cpu");
        assert_eq!(v["quick"], true);

        let row = &v["rows"][0];
        let mut keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        let mut expected = vec![
            "workload",
            "threads",
            "precision",
            "trainer_steps_per_s",
            "loop_steps_per_s",
            "plain_steps_per_s",
            "pytorch_steps_per_s",
            "pytorch_compile_steps_per_s",
            "compile_seconds",
            "ratio",
            "compile_ratio",
            "plain_ratio",
            "loop_overhead_pct",
            "loop_default_overhead_pct",
            "checkpoint_seconds",
            "trainer_system_malloc_steps_per_s",
            "pytorch_retain_malloc_steps_per_s",
            "pytorch_tuned_steps_per_s",
            "peak_rss_mib_gan_rs",
            "peak_rss_mib_pytorch",
            "observers",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected, "the field names consumers read");
        assert_eq!(
            (&row["workload"], &row["threads"]),
            (&"dcgan32".into(), &2.into())
        );
        assert_eq!(row["trainer_steps_per_s"], 5.0);
        assert_eq!(row["pytorch_steps_per_s"], 4.0);
        assert_eq!(row["ratio"], 1.25);
        assert_eq!(row["peak_rss_mib_pytorch"], 700.5);
        assert!(row["loop_steps_per_s"].is_null(), "missing: null");
        assert!(row["plain_steps_per_s"].is_null(), "non-finite: null");

        // Records go in as their runners printed them.
        let recs = v["records"].as_array().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0], serde_json::from_str::<Value>(LINE).unwrap());
        assert_eq!(recs[0]["torch"], "2.13.0+cu130");
        assert!(json.ends_with("}\n"));
    }
}
