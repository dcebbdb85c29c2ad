//! The per-step metrics file of a run (`metrics.csv`).
//!
//! Columns: the [`StepStats`] fields, plus the generator's sample mean and standard
//! deviation for 1-D data, and for 2-D toy data the mode coverage (`modes` covered,
//! `hq` fraction of high-quality samples, `reverse_kl`; see [`crate::toy_eval`]), and
//! the variant's extra term `aux` ([`StepStats::aux`]). On resume, rows past the checkpoint's step are dropped
//! first, so the file of a resumed run equals that of an uninterrupted one.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use tch::Kind;

use super::{Observer, Publisher};
use crate::error::{Result, TrainError};
use crate::trainer::{StepStats, Trainer};

/// File name of the metrics log inside a run directory.
pub const METRICS_FILE: &str = "metrics.csv";
const HEADER: &str =
    "step,d_loss,g_loss,d_real,d_fake,d_fake_g,g_grad_norm,g_mean,g_std,modes,hq,reverse_kl,aux";
/// The TensorBoard tag of each `metrics.csv` column after `step`, in the file's order.
pub const METRIC_TAGS: [&str; 12] = [
    "loss/d",
    "loss/g",
    "d/real",
    "d/fake",
    "d/fake_g",
    "grad/g_norm",
    "samples/mean",
    "samples/std",
    "modes/covered",
    "modes/high_quality",
    "modes/reverse_kl",
    "loss/aux",
];
/// Samples drawn to estimate the generator's mean and std for 1-D data.
const MOMENT_SAMPLES: i64 = 4096;

/// Appends one CSV row every `every` steps.
pub struct MetricsLog {
    path: PathBuf,
    every: u64,
    out: Option<BufWriter<File>>,
    publisher: Publisher,
}

impl MetricsLog {
    /// Rows into `<run_dir>/metrics.csv` every `every` steps (and at the last step).
    pub fn new(run_dir: &std::path::Path, every: u64) -> Self {
        MetricsLog {
            path: run_dir.join(METRICS_FILE),
            every: every.max(1),
            out: None,
            publisher: Publisher::default(),
        }
    }

    /// Also publish every row, by [`METRIC_TAGS`] (non-NaN cells only).
    pub fn publish_to(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    /// Keep only the header and the complete rows with `step <= last_step` that lie on
    /// the `every` grid. A row torn by a crash (no final newline, or fewer cells than the
    /// header) is dropped too.
    fn truncate_after(&self, last_step: u64) -> Result<()> {
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(TrainError::io("reading", &self.path, e)),
        };
        // Rows must have as many cells as the file's own header (an older file may have
        // fewer columns than this version writes).
        let columns = text
            .lines()
            .find(|l| l.starts_with("step,"))
            .unwrap_or(HEADER)
            .split(',')
            .count();
        let mut kept = String::new();
        // Only lines that end in '\n' are complete; `split_terminator` would keep a torn tail.
        let complete = match text.rfind('\n') {
            Some(end) => &text[..=end],
            None => "",
        };
        for line in complete.lines() {
            let keep = if line.starts_with("step,") {
                true
            } else {
                let cells: Vec<&str> = line.split(',').collect();
                let step: Option<u64> = cells[0].parse().ok();
                // Off-grid rows are the final row of a run stopped by `--steps`; an
                // uninterrupted run has none there, so a resumed one must not either.
                cells.len() == columns
                    && step.is_some_and(|s| s <= last_step && s % self.every == 0)
                    && cells[1..].iter().all(|c| c.parse::<f64>().is_ok())
            };
            if keep {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        crate::output_file::write_file(&self.path, kept.as_bytes())
    }
}

/// Mean and std of `n` generator samples when the data is 1-D (else NaN, NaN).
pub fn generator_moments_1d(trainer: &dyn crate::sampler::Sampler, n: i64) -> (f64, f64) {
    if trainer.sample_shape() != [1] {
        return (f64::NAN, f64::NAN);
    }
    let Ok(s) = trainer.sample(n) else {
        return (f64::NAN, f64::NAN);
    };
    let s = s.to_kind(Kind::Double);
    (
        s.mean(Kind::Double).double_value(&[]),
        s.std(true).double_value(&[]),
    )
}

impl Observer for MetricsLog {
    fn is_essential(&self) -> bool {
        true
    }

    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        self.truncate_after(trainer.step())?;
        // A file without its header (e.g. killed right after creating it) starts over.
        let fresh = std::fs::metadata(&self.path).map_or(true, |m| m.len() == 0);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| TrainError::io("opening", &self.path, e))?;
        let mut out = BufWriter::new(file);
        if fresh {
            writeln!(out, "{HEADER}").map_err(|e| TrainError::io("writing", &self.path, e))?;
            out.flush()
                .map_err(|e| TrainError::io("writing", &self.path, e))?;
        }
        self.out = Some(out);
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if s.step % self.every != 0 && s.step != trainer.config().train.steps {
            return Ok(());
        }
        let (g_mean, g_std) = generator_moments_1d(trainer, MOMENT_SAMPLES);
        // 2-D toy data: mode coverage on 2,500 samples (NaN otherwise).
        let (modes, hq, rkl) = crate::toy_eval::evaluate_modes(
            trainer,
            crate::toy_eval::MODE_EVAL_SAMPLES,
        )?
        .map_or((f64::NAN, f64::NAN, f64::NAN), |r| {
            (
                r.modes_covered as f64,
                r.high_quality_fraction,
                r.reverse_kl,
            )
        });
        let values = [
            s.d_loss,
            s.g_loss,
            s.d_real,
            s.d_fake,
            s.d_fake_g,
            s.g_grad_norm,
            g_mean,
            g_std,
            modes,
            hq,
            rkl,
            s.aux.unwrap_or(f64::NAN),
        ];
        if let Some(out) = self.out.as_mut() {
            let cells: Vec<String> = values.iter().map(f64::to_string).collect();
            writeln!(out, "{},{}", s.step, cells.join(","))
                .map_err(|e| TrainError::io("writing", &self.path, e))?;
            // Flush every row: a checkpoint written after this step must never be ahead
            // of the rows on disk, or a crash would leave a gap in the resumed file.
            out.flush()
                .map_err(|e| TrainError::io("writing", &self.path, e))?;
        }
        let tagged: Vec<(&str, f64)> = METRIC_TAGS.iter().copied().zip(values).collect();
        self.publisher.scalars(s.step, &tagged);
        Ok(())
    }

    fn on_end(&mut self, _trainer: &Trainer, _error: Option<&TrainError>) -> Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush()
                .map_err(|e| TrainError::io("writing", &self.path, e))?;
        }
        Ok(())
    }
}

/// One parsed row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    /// The training step.
    pub step: u64,
    /// The cells after `step`, in the header's order (NaN where a column does not apply).
    pub values: Vec<f64>,
}

/// Read `metrics.csv`: the column names (after `step`) and the rows.
pub fn read_metrics(path: &std::path::Path) -> Result<(Vec<String>, Vec<MetricsRow>)> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io("reading", path, e))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .skip(1)
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let mut cells = line.split(',');
        let bad = || TrainError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!("malformed metrics row {}", i + 2),
        };
        let step = cells.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
        let values = cells
            .map(|c| c.parse::<f64>().map_err(|_| bad()))
            .collect::<Result<Vec<_>>>()?;
        rows.push(MetricsRow { step, values });
    }
    Ok((header, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_tag() {
        let columns: Vec<&str> = HEADER.split(',').skip(1).collect();
        assert_eq!(columns.len(), METRIC_TAGS.len());
        // The group/name split keeps the column's meaning.
        assert_eq!((columns[0], METRIC_TAGS[0]), ("d_loss", "loss/d"));
        assert_eq!((columns[11], METRIC_TAGS[11]), ("aux", "loss/aux"));
    }

    #[test]
    fn resume_truncation_drops_late_off_grid_and_torn_rows() {
        let dir = tempfile::tempdir().unwrap();
        let log = MetricsLog::new(dir.path(), 10);
        let row = |s: u64| format!("{s},1,2,3,4,5,6,7,8,NaN,NaN,NaN,NaN\n");
        let text = format!(
            "{HEADER}\n{}{}{}{}{}30,1,2",
            row(10),
            row(20),
            row(25),    // the final row of a run stopped by `--steps 25`
            "20,1,2\n", // too few cells
            row(40),
        );
        std::fs::write(&log.path, text).unwrap();
        log.truncate_after(30).unwrap();
        let kept = std::fs::read_to_string(&log.path).unwrap();
        assert_eq!(kept, format!("{HEADER}\n{}{}", row(10), row(20)));
        // An older file with fewer columns keeps its rows.
        std::fs::write(&log.path, "step,d_loss\n10,0.5\n20,0.25\n").unwrap();
        log.truncate_after(10).unwrap();
        assert_eq!(
            std::fs::read_to_string(&log.path).unwrap(),
            "step,d_loss\n10,0.5\n"
        );
    }
}
