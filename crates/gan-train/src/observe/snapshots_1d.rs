//! Pictures of a 1-D run (seed 001): the real density, the generator's density and
//! D(x) over x, snapshotted during training; at the end a PNG of the final state, an
//! animated GIF of the whole run, and training curves read back from `metrics.csv`.

use std::path::PathBuf;

use tch::{Kind, Tensor};

use gan_data::ToyConfig;

use super::frame_log::{Frame, FrameLog};
use super::{metrics_log::read_metrics, Observer, Publisher, METRICS_FILE};
use crate::error::{Result, TrainError};
use crate::plot::{self, DensityFrame, Series};
use crate::trainer::{StepStats, Trainer};

const GRID_POINTS: usize = 161;
const DENSITY_SAMPLES: i64 = 20_000;

/// Snapshots for 1-D toy data; does nothing for other data.
pub struct Snapshots1d {
    dir: PathBuf,
    every: u64,
    toy: Option<ToyConfig>,
    xs: Vec<f64>,
    frames: Vec<DensityFrame>,
    /// The frames on disk, so that a resumed run's GIF covers the whole run.
    log: FrameLog,
    publisher: Publisher,
}

/// The file [`Snapshots1d`] keeps its frames in.
pub const DENSITY_FRAMES_FILE: &str = "snapshots_1d.jsonl";

impl Frame for DensityFrame {
    fn step(&self) -> u64 {
        self.step
    }
}

impl Snapshots1d {
    /// Density snapshots every `every` steps (0: only the end) into `run_dir`, for 1-D
    /// `toy` data (does nothing otherwise).
    pub fn new(run_dir: &std::path::Path, every: u64, toy: Option<ToyConfig>) -> Self {
        let toy = toy.filter(|t| t.dim() == 1);
        let xs = toy.as_ref().map(grid_for).unwrap_or_default();
        Snapshots1d {
            dir: run_dir.to_path_buf(),
            every,
            toy,
            xs,
            frames: Vec::new(),
            log: FrameLog::new(&run_dir.join(DENSITY_FRAMES_FILE)),
            publisher: Publisher::default(),
        }
    }

    /// Also publish the end-of-run plots (`plots/density`, `plots/losses`, …).
    pub fn publish_to(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    fn keep(&mut self, frame: DensityFrame) -> Result<()> {
        self.log.append(&frame)?;
        self.frames.push(frame);
        Ok(())
    }

    fn frame(&self, trainer: &Trainer, step: u64) -> DensityFrame {
        let toy = self.toy.as_ref().expect("only called for 1-D data");
        let samples: Vec<f64> = trainer
            .sample(DENSITY_SAMPLES)
            .ok()
            .and_then(|s| Vec::try_from(s.to_kind(Kind::Double).flatten(0, -1)).ok())
            .unwrap_or_default();
        let x = Tensor::from_slice(&self.xs)
            .to_kind(Kind::Float)
            .unsqueeze(1);
        let d: Vec<f64> = Vec::try_from(
            trainer
                .d_output(&x)
                .to_kind(Kind::Double)
                .flatten(0, -1)
                .to_device(tch::Device::Cpu),
        )
        .unwrap_or_default();
        DensityFrame {
            step,
            xs: self.xs.clone(),
            real_density: self
                .xs
                .iter()
                .map(|&v| toy.density_1d(v).unwrap_or(0.0))
                .collect(),
            gen_density: plot::histogram_density(&samples, &self.xs),
            d_output: d,
        }
    }
}

/// An x grid covering the real modes ± 4 std and the generator's N(0, 1) start.
fn grid_for(toy: &ToyConfig) -> Vec<f64> {
    let modes = toy.modes();
    let stds = toy.mode_stds();
    let mut lo: f64 = -3.0;
    let mut hi: f64 = 3.0;
    for (m, s) in modes.iter().zip(&stds) {
        lo = lo.min(m[0] - 4.0 * s);
        hi = hi.max(m[0] + 4.0 * s);
    }
    let step = (hi - lo) / (GRID_POINTS - 1) as f64;
    (0..GRID_POINTS).map(|i| lo + step * i as f64).collect()
}

impl Observer for Snapshots1d {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        if self.toy.is_some() && self.every > 0 {
            self.frames = self.log.resume(trainer.step())?;
            if self.frames.last().map(|f| f.step) != Some(trainer.step()) {
                let first = self.frame(trainer, trainer.step());
                self.keep(first)?;
            }
        }
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.toy.is_some() && self.every > 0 && s.step % self.every == 0 {
            let frame = self.frame(trainer, s.step);
            self.keep(frame)?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        if self.toy.is_none()
            || matches!(error, Some(e) if !matches!(e, TrainError::Interrupted { .. }))
        {
            return Ok(());
        }
        let last = self.frame(trainer, trainer.step());
        plot::density_png(&self.dir.join("density.png"), &last)?;
        if self.frames.last().map(|f| f.step) != Some(last.step) {
            self.frames.push(last);
        }
        if self.frames.len() > 1 {
            plot::density_gif(&self.dir.join("training.gif"), &self.frames, 120)?;
        }
        write_curves(&self.dir, self.toy.as_ref().and_then(|t| t.mean_std_1d()))?;
        let step = trainer.step();
        super::publish_plots(&self.publisher, &self.dir, step, &["density"]);
        super::publish_plots(&self.publisher, &self.dir, step, super::CURVES);
        Ok(())
    }
}

/// Training curves from `metrics.csv`: D outputs, and the generator's mean/std against
/// the target's.
pub fn write_curves(run_dir: &std::path::Path, target: Option<(f64, f64)>) -> Result<()> {
    let (cols, rows) = read_metrics(&run_dir.join(METRICS_FILE))?;
    let col = |name: &str| cols.iter().position(|c| c == name);
    let series = |name: &str, label: &str| -> Option<Series> {
        let i = col(name)?;
        Some(Series::new(
            label,
            rows.iter()
                .map(|r| (r.step as f64, r.values[i]))
                .filter(|p| p.1.is_finite())
                .collect(),
        ))
    };
    let d: Vec<Series> = [series("d_real", "D(real)"), series("d_fake", "D(fake)")]
        .into_iter()
        .flatten()
        .collect();
    plot::line_chart(
        &run_dir.join("d_outputs.png"),
        "Discriminator outputs",
        "step",
        "D",
        &d,
    )?;
    let losses: Vec<Series> = [series("d_loss", "D loss"), series("g_loss", "G loss")]
        .into_iter()
        .flatten()
        .collect();
    plot::line_chart(
        &run_dir.join("losses.png"),
        "Losses",
        "step",
        "loss",
        &losses,
    )?;
    if let (Some(mut mean), Some(mut std)) = (series("g_mean", "G mean"), series("g_std", "G std"))
    {
        if !mean.points.is_empty() {
            let mut s = Vec::new();
            if let Some((m, sd)) = target {
                let (x0, x1) = (mean.points[0].0, mean.points[mean.points.len() - 1].0);
                s.push(Series::new(
                    format!("target mean {m}"),
                    vec![(x0, m), (x1, m)],
                ));
                s.push(Series::new(
                    format!("target std {sd}"),
                    vec![(x0, sd), (x1, sd)],
                ));
            }
            mean.name = "G mean".into();
            std.name = "G std".into();
            s.push(mean);
            s.push(std);
            plot::line_chart(
                &run_dir.join("moments.png"),
                "Generator mean and std",
                "step",
                "value",
                &s,
            )?;
        }
    }
    Ok(())
}
