//! Fixed-noise sample grids of an image run: the same latent vectors rendered every
//! `log.samples_every` steps (`samples/step_NNNNNN.png`, from step 0) and at the end
//! (`samples/final.png`), so the pictures show one generator learning. At the end it
//! also draws the loss / D-output curves from `metrics.csv`. Does nothing for toy data.

use std::path::{Path, PathBuf};

use tch::{Device, Kind, Tensor};

use super::Observer;
use crate::error::{Result, TrainError};
use crate::image_grid::{default_nrow, write_grid_png};
use crate::rng;
use crate::trainer::{StepStats, Trainer};

/// Images in each grid (8 × 8).
pub const GRID_SAMPLES: i64 = 64;

/// Writes fixed-noise grids for image data.
pub struct SampleGrid {
    dir: PathBuf,
    every: u64,
    noise: Option<Tensor>,
}

impl SampleGrid {
    /// Grids go to `<run_dir>/samples/`; `every` = 0 writes only the final grid.
    pub fn new(run_dir: &Path, every: u64) -> Self {
        SampleGrid {
            dir: run_dir.join("samples"),
            every,
            noise: None,
        }
    }

    /// Generator output (eval mode, no gradients) for the fixed noise.
    fn render(&self, trainer: &Trainer, name: &str) -> Result<()> {
        let Some(z) = &self.noise else {
            return Ok(());
        };
        let x = tch::no_grad(|| trainer.generator.generate(z, None, false)).to_device(Device::Cpu);
        write_grid_png(
            &x,
            default_nrow(GRID_SAMPLES as usize),
            &self.dir.join(name),
        )
    }
}

/// Whether a source's sample shape is an image `[C, H, W]`.
pub fn is_image_shape(shape: &[i64]) -> bool {
    shape.len() == 3
}

impl Observer for SampleGrid {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        if !is_image_shape(&trainer.source.sample_shape()) {
            return Ok(());
        }
        // A fixed seed of its own, so the grid noise never depends on the step.
        tch::manual_seed(rng::derived_seed(trainer.config.seed, "sample_grid") as i64 >> 1);
        let z = Tensor::randn(
            [GRID_SAMPLES, trainer.generator.latent_dim()],
            (Kind::Float, trainer.device),
        );
        self.noise = Some(z);
        if self.every > 0 && trainer.step == 0 {
            self.render(trainer, "step_000000.png")?;
        }
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.every > 0 && s.step % self.every == 0 {
            self.render(trainer, &format!("step_{:06}.png", s.step))?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        if self.noise.is_none()
            || matches!(error, Some(e) if !matches!(e, TrainError::Interrupted { .. }))
        {
            return Ok(());
        }
        self.render(trainer, "final.png")?;
        let run_dir = self.dir.parent().unwrap_or(Path::new("."));
        if run_dir.join(super::METRICS_FILE).is_file() {
            super::snapshots_1d::write_curves(run_dir, None)?;
        }
        Ok(())
    }
}
