//! FID during training (`log.fid_every`): every N steps the generator's samples are
//! scored against the test split with gan-rs's own classifier (see
//! [`crate::image_metrics`] — comparable across gan-rs runs, not with published FID),
//! appended to `fid.csv` (`step,fid`) and drawn as `fid.png` at the end. Without a
//! cached classifier it warns once and stays off.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Observer;
use crate::classifier::Classifier;
use crate::error::{Result, TrainError};
use crate::image_metrics::{self, RealReference};
use crate::plot::{self, Series};
use crate::rng;
use crate::trainer::{StepStats, Trainer};

/// The FID log file of a run directory.
pub const FID_FILE: &str = "fid.csv";

/// Real test images in the reference set.
const REFERENCE_IMAGES: i64 = 10_000;

/// Logs the classifier FID every `every` steps (0 = off; also off for toy data).
pub struct FidLog {
    dir: PathBuf,
    every: u64,
    samples: i64,
    state: Option<(Classifier, RealReference)>,
    points: Vec<(f64, f64)>,
}

impl FidLog {
    pub fn new(run_dir: &Path, every: u64, samples: i64) -> Self {
        FidLog {
            dir: run_dir.to_path_buf(),
            every,
            samples,
            state: None,
            points: Vec::new(),
        }
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
        }
        Ok(())
    }
}
