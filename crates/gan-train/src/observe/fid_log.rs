//! FID during training (`log.fid_every`): every N steps the generator's samples are
//! scored against the test split with gan-rs's own classifier (see
//! [`crate::image_metrics`] — comparable across gan-rs runs, not with published FID),
//! appended to `fid.csv` (`step,fid`) and drawn as `fid.png` at the end. Without a
//! cached classifier it warns once and stays off. With `log.keep_best = "fid"` it also
//! keeps the checkpoint of the lowest FID so far as `checkpoints/best.safetensors`, and
//! its step and value in `checkpoints/best.json` (read back on resume).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Observer, Publisher};
use crate::classifier::Classifier;
use crate::error::{Result, TrainError};
use crate::image_metrics::{self, RealReference};
use crate::plot::{self, Series};
use crate::rng;
use crate::trainer::{StepStats, Trainer};

/// The FID log file of a run directory.
pub const FID_FILE: &str = "fid.csv";

/// The best checkpoint, and its record, in a run's `checkpoints/`.
pub const BEST_CHECKPOINT: &str = "best.safetensors";
/// The record (metric, value, step) of the best checkpoint.
pub const BEST_RECORD: &str = "best.json";

/// Real test images in the reference set.
const REFERENCE_IMAGES: i64 = 10_000;

/// Logs the classifier FID every `every` steps (0 = off; also off for toy data).
pub struct FidLog {
    dir: PathBuf,
    every: u64,
    samples: i64,
    state: Option<(Classifier, RealReference)>,
    points: Vec<(f64, f64)>,
    keep_best: bool,
    /// The lowest FID whose checkpoint is kept, and its step.
    best: Option<(f64, u64)>,
    publisher: Publisher,
}

impl FidLog {
    /// The classifier FID of `samples` generated images every `every` steps (0: off),
    /// into `<run_dir>/fid.csv`.
    pub fn new(run_dir: &Path, every: u64, samples: i64) -> Self {
        FidLog {
            dir: run_dir.to_path_buf(),
            every,
            samples,
            state: None,
            points: Vec::new(),
            keep_best: false,
            best: None,
            publisher: Publisher::default(),
        }
    }

    /// Also publish each FID (`eval/classifier_fid`) and the end-of-run plot (`plots/fid`).
    pub fn publish_to(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    /// Keep the checkpoint of the lowest FID (`log.keep_best = "fid"`).
    pub fn keep_best(mut self, on: bool) -> Self {
        self.keep_best = on;
        self
    }

    /// The lowest FID measured (with its step) whose checkpoint is kept.
    pub fn best(&self) -> Option<(f64, u64)> {
        self.best
    }

    fn best_record_path(&self) -> PathBuf {
        self.dir.join("checkpoints").join(BEST_RECORD)
    }

    /// Save the trainer as the best checkpoint if `fid` beats the kept one.
    fn consider_best(&mut self, trainer: &Trainer, step: u64, fid: f64) -> Result<()> {
        if !self.keep_best || !fid.is_finite() || self.best.is_some_and(|(b, _)| b <= fid) {
            return Ok(());
        }
        let record = serde_json::json!({ "metric": "fid", "value": fid, "step": step });
        let checkpoints = self.dir.join("checkpoints");
        trainer.save_checkpoint(&checkpoints.join(BEST_CHECKPOINT), record.clone())?;
        crate::output_file::write_file(
            &self.best_record_path(),
            serde_json::to_string_pretty(&record)
                .expect("a JSON value serializes")
                .as_bytes(),
        )?;
        self.best = Some((fid, step));
        Ok(())
    }

    /// The kept best of an earlier part of this run (resume), from `best.json`.
    fn read_best(&self) -> Option<(f64, u64)> {
        let text = std::fs::read_to_string(self.best_record_path()).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some((v["value"].as_f64()?, v["step"].as_u64()?))
    }

    /// The (step, FID) points measured so far.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    fn measure(&mut self, trainer: &Trainer, step: u64) -> Result<()> {
        let Some((classifier, reference)) = &self.state else {
            return Ok(());
        };
        // The same noise at every measurement, independent of the training stream.
        tch::manual_seed(rng::derived_seed(trainer.config().seed, "fid") as i64 >> 1);
        let x = trainer.sample(self.samples)?;
        let fid = image_metrics::fid(classifier, reference, &x)?;
        tracing::info!("step {step}: FID (gan-rs classifier) {fid:.3}");
        self.points.push((step as f64, fid));
        self.publisher
            .scalars(step, &[("eval/classifier_fid", fid)]);
        self.consider_best(trainer, step, fid)?;
        let path = self.dir.join(FID_FILE);
        let new = !path.exists();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| TrainError::io("opening", &path, e))?;
        let line = if new {
            format!("step,fid\n{step},{fid}\n")
        } else {
            format!("{step},{fid}\n")
        };
        f.write_all(line.as_bytes())
            .map_err(|e| TrainError::io("writing", &path, e))
    }
}

impl Observer for FidLog {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        let Some(spec) = &trainer.config().data.dataset else {
            return Ok(());
        };
        if self.every == 0 {
            return Ok(());
        }
        let path = image_metrics::classifier_path_for(spec)?;
        let classifier = match Classifier::load(&path, trainer.device()) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(
                    "log.fid_every: FID logging is off, it needs the {} classifier ({e})",
                    spec.name.dir_name()
                );
                return Ok(());
            }
        };
        let real = image_metrics::reference_images(spec, REFERENCE_IMAGES)?;
        let reference = RealReference::new(&classifier, &real.images)?;
        self.state = Some((classifier, reference));
        if self.keep_best && trainer.step() > 0 {
            self.best = self.read_best();
        }
        if trainer.step() == 0 {
            self.measure(trainer, 0)?;
        }
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.every > 0 && s.step % self.every == 0 {
            self.measure(trainer, s.step)?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        if self.state.is_none()
            || matches!(error, Some(e) if !matches!(e, TrainError::Interrupted { .. }))
        {
            return Ok(());
        }
        if self.points.last().map(|p| p.0 as u64) != Some(trainer.step()) {
            self.measure(trainer, trainer.step())?;
        }
        if self.points.len() > 1 {
            plot::line_chart(
                &self.dir.join("fid.png"),
                "FID (gan-rs classifier features; not comparable with Inception FID)",
                "step",
                "FID",
                &[Series::new("FID", self.points.clone())],
            )?;
            super::publish_plots(&self.publisher, &self.dir, trainer.step(), &["fid"]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentConfig;

    /// The best checkpoint follows the lowest finite FID, and a resumed log reads it
    /// back, so a worse FID after a resume does not replace it.
    #[test]
    fn keeps_the_checkpoint_of_the_lowest_fid() {
        let dir = tempfile::tempdir().unwrap();
        let config = ExperimentConfig::from_toml_str(
            "name = \"best\"\n[data.toy]\nkind = \"gaussian\"\nmean = 4.0\nstd = 1.25\n[generator]\nkind = \"linear\"\n[discriminator]\nkind = \"mlp\"\nhidden = [4]\n",
            &[],
        )
        .unwrap();
        let trainer = Trainer::new(config, tch::Device::Cpu).unwrap();
        let mut log = FidLog::new(dir.path(), 10, 100).keep_best(true);
        let best_step = || {
            let ck = crate::checkpoint::load(&dir.path().join("checkpoints").join(BEST_CHECKPOINT))
                .unwrap();
            ck.meta.extra["step"].as_u64().unwrap()
        };
        log.consider_best(&trainer, 10, 5.0).unwrap();
        assert_eq!(best_step(), 10);
        log.consider_best(&trainer, 20, 6.0).unwrap();
        log.consider_best(&trainer, 25, f64::NAN).unwrap();
        assert_eq!(best_step(), 10);
        log.consider_best(&trainer, 30, 4.0).unwrap();
        assert_eq!(best_step(), 30);
        assert_eq!(log.best(), Some((4.0, 30)));

        let mut resumed = FidLog::new(dir.path(), 10, 100).keep_best(true);
        resumed.best = resumed.read_best();
        assert_eq!(resumed.best(), Some((4.0, 30)));
        resumed.consider_best(&trainer, 40, 4.5).unwrap();
        assert_eq!(best_step(), 30);
        // Off: nothing is written.
        let other = tempfile::tempdir().unwrap();
        FidLog::new(other.path(), 10, 100)
            .consider_best(&trainer, 10, 1.0)
            .unwrap();
        assert!(!other.path().join("checkpoints").exists());
    }
}
