//! Fixed-noise sample grids of an image run: the same latent vectors rendered every
//! `log.samples_every` steps (`samples/step_NNNNNN.png`, from step 0) and at the end
//! (`samples/final.png`), so the pictures show one generator learning. For class- or
//! code-conditioned generators the grid has one row per class (conditional GAN, AC-GAN)
//! or categorical code value (InfoGAN), with the noise shared down each column; InfoGAN
//! runs also get latent traversals `samples/traversal_cJ.png` (rows: categorical value,
//! columns: continuous code J swept over [−2, 2]). At the end it also draws the loss /
//! D-output curves from `metrics.csv`. Does nothing for toy data.

use std::path::{Path, PathBuf};

use super::{Observer, Publisher};
use crate::conditioning::GenInput;
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
    /// The fixed generator inputs and the images per row.
    fixed: Option<(GenInput, usize)>,
    publisher: Publisher,
}

/// Columns of class-by-row and traversal grids.
pub const GRID_COLUMNS: i64 = 10;

impl SampleGrid {
    /// Grids go to `<run_dir>/samples/`; `every` = 0 writes only the final grid.
    pub fn new(run_dir: &Path, every: u64) -> Self {
        SampleGrid {
            dir: run_dir.join("samples"),
            every,
            fixed: None,
            publisher: Publisher::default(),
        }
    }

    /// Also publish each grid (`samples/grid` at its step, `samples/final`,
    /// `samples/traversal_cJ`) and the end-of-run curves (`plots/losses`, …).
    pub fn publish_to(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    /// Generator output (eval mode, no gradients) for the fixed noise, written as `name`
    /// and published as `tag` at the trainer's step.
    fn render(&self, trainer: &Trainer, name: &str, tag: &str) -> Result<()> {
        let Some((input, nrow)) = &self.fixed else {
            return Ok(());
        };
        let path = self.dir.join(name);
        write_grid_png(&trainer.sample_from(input), *nrow, &path)?;
        self.publisher.image_file(tag, trainer.step(), &path);
        Ok(())
    }

    /// InfoGAN latent traversals, one grid per continuous code.
    fn render_traversals(&self, trainer: &Trainer) -> Result<()> {
        let c = trainer.conditioning();
        for code in 0..c.continuous() {
            tch::manual_seed(rng::derived_seed(trainer.config().seed, "traversal") as i64 >> 1);
            let (input, _) = c.traversal_grid(code, GRID_COLUMNS, trainer.device())?;
            let path = self.dir.join(format!("traversal_c{code}.png"));
            write_grid_png(&trainer.sample_from(&input), GRID_COLUMNS as usize, &path)?;
            self.publisher
                .image_file(&format!("samples/traversal_c{code}"), trainer.step(), &path);
        }
        Ok(())
    }
}

/// Whether a source's sample shape is an image `[C, H, W]`.
pub fn is_image_shape(shape: &[i64]) -> bool {
    shape.len() == 3
}

impl Observer for SampleGrid {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        if !is_image_shape(&trainer.sample_shape()) {
            return Ok(());
        }
        // A fixed seed of its own, so the grid noise never depends on the step.
        tch::manual_seed(rng::derived_seed(trainer.config().seed, "sample_grid") as i64 >> 1);
        let c = trainer.conditioning();
        self.fixed = Some(match c.class_grid(GRID_COLUMNS, trainer.device()) {
            Some(input) => (input, GRID_COLUMNS as usize),
            None => (
                c.draw(GRID_SAMPLES, trainer.device(), None, None)?,
                default_nrow(GRID_SAMPLES as usize),
            ),
        });
        if self.every > 0 && trainer.step() == 0 {
            self.render(trainer, "step_000000.png", "samples/grid")?;
        }
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.every > 0 && s.step % self.every == 0 {
            self.render(trainer, &format!("step_{:06}.png", s.step), "samples/grid")?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        if self.fixed.is_none()
            || matches!(error, Some(e) if !matches!(e, TrainError::Interrupted { .. }))
        {
            return Ok(());
        }
        self.render(trainer, "final.png", "samples/final")?;
        self.render_traversals(trainer)?;
        let run_dir = self.dir.parent().unwrap_or(Path::new("."));
        if run_dir.join(super::METRICS_FILE).is_file() {
            super::snapshots_1d::write_curves(run_dir, None)?;
            super::publish_plots(&self.publisher, run_dir, trainer.step(), super::CURVES);
        }
        Ok(())
    }
}
