//! The per-step metrics file of a run (`metrics.csv`).
//!
//! Columns: the [`StepStats`] fields, plus the generator's sample mean and standard
//! deviation for 1-D data. On resume, rows past the checkpoint's step are dropped
//! first, so the file of a resumed run equals that of an uninterrupted one.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use tch::Kind;

use super::Observer;
use crate::error::{Result, TrainError};
use crate::trainer::{StepStats, Trainer};

/// File name of the metrics log inside a run directory.
pub const METRICS_FILE: &str = "metrics.csv";
const HEADER: &str = "step,d_loss,g_loss,d_real,d_fake,d_fake_g,g_grad_norm,g_mean,g_std";
/// Samples drawn to estimate the generator's mean and std for 1-D data.
const MOMENT_SAMPLES: i64 = 4096;

/// Appends one CSV row every `every` steps.
pub struct MetricsLog {
    path: PathBuf,
    every: u64,
    out: Option<BufWriter<File>>,
}

impl MetricsLog {
    pub fn new(run_dir: &std::path::Path, every: u64) -> Self {
        MetricsLog {
            path: run_dir.join(METRICS_FILE),
            every: every.max(1),
            out: None,
        }
    }

    /// Keep only the rows with `step <= last_step` (and the header).
    fn truncate_after(&self, last_step: u64) -> Result<()> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(TrainError::io("reading", &self.path, e)),
        };
        let mut kept = String::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| TrainError::io("reading", &self.path, e))?;
            let step: Option<u64> = line.split(',').next().and_then(|s| s.parse().ok());
            if step.is_none_or(|s| s <= last_step) {
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        crate::checkpoint::write_atomically(&self.path, kept.as_bytes())
    }
}

/// Mean and std of `n` generator samples when the data is 1-D (else NaN, NaN).
pub fn generator_moments_1d(trainer: &Trainer, n: i64) -> (f64, f64) {
    if trainer.source.sample_shape() != [1] {
        return (f64::NAN, f64::NAN);
    }
    let s = trainer.sample(n).to_kind(Kind::Double);
    (
        s.mean(Kind::Double).double_value(&[]),
        s.std(true).double_value(&[]),
    )
}

impl Observer for MetricsLog {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        self.truncate_after(trainer.step)?;
        let fresh = !self.path.exists();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| TrainError::io("opening", &self.path, e))?;
        let mut out = BufWriter::new(file);
        if fresh {
            writeln!(out, "{HEADER}").map_err(|e| TrainError::io("writing", &self.path, e))?;
        }
        self.out = Some(out);
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if s.step % self.every != 0 && s.step != trainer.config.train.steps {
            return Ok(());
        }
        let (g_mean, g_std) = generator_moments_1d(trainer, MOMENT_SAMPLES);
        if let Some(out) = self.out.as_mut() {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                s.step,
                s.d_loss,
                s.g_loss,
                s.d_real,
                s.d_fake,
                s.d_fake_g,
                s.g_grad_norm,
                g_mean,
                g_std
            )
            .map_err(|e| TrainError::io("writing", &self.path, e))?;
        }
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
    pub step: u64,
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
