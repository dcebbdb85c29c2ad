//! Pictures of a 2-D toy run (ring, grid, mixture2d): generator samples scattered over
//! the mode centres, snapshotted during training. At the end: `scatter.png`, a grid of
//! up to six snapshots from start to finish, and `scatter.gif`, every snapshot
//! animated.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use tch::Kind;

use gan_data::ToyConfig;

use super::{read_metrics, Observer, Publisher, METRICS_FILE};
use crate::error::{Result, TrainError};
use crate::plot::{self, plot_err, register_font, Series, FONT_NAME};
use crate::trainer::{StepStats, Trainer};

/// Generator samples drawn per snapshot.
const SCATTER_SAMPLES: i64 = 1000;
/// Panels of `scatter.png`.
const PANELS: usize = 6;

/// The generator's samples at one step.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ScatterFrame {
    /// The training step.
    pub step: u64,
    /// The generator's samples `(x, y)`.
    pub points: Vec<(f64, f64)>,
}

/// Snapshots for 2-D toy data; does nothing for other data.
pub struct Snapshots2d {
    dir: PathBuf,
    every: u64,
    centers: Vec<Vec<f64>>,
    frames: Vec<ScatterFrame>,
    /// The frames on disk, so that a resumed run's GIF covers the whole run.
    log: super::frame_log::FrameLog,
    publisher: Publisher,
}

impl Snapshots2d {
    /// Scatter snapshots every `every` steps (0: only the end) into `run_dir`, for 2-D
    /// `toy` data (does nothing otherwise).
    pub fn new(run_dir: &Path, every: u64, toy: Option<ToyConfig>) -> Self {
        let centers = toy
            .filter(|t| t.dim() == 2)
            .map(|t| t.modes())
            .unwrap_or_default();
        Snapshots2d {
            dir: run_dir.to_path_buf(),
            every,
            centers,
            frames: Vec::new(),
            log: super::frame_log::FrameLog::new(&run_dir.join(SCATTER_FRAMES_FILE)),
            publisher: Publisher::default(),
        }
    }

    /// Also publish the end-of-run plots (`plots/scatter`, `plots/modes`, …).
    pub fn publish_to(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    fn active(&self) -> bool {
        !self.centers.is_empty()
    }

    fn frame(trainer: &Trainer, step: u64) -> ScatterFrame {
        let xy: Vec<f64> = trainer
            .sample(SCATTER_SAMPLES)
            .ok()
            .and_then(|s| Vec::try_from(s.to_kind(Kind::Double).flatten(0, -1)).ok())
            .unwrap_or_default();
        ScatterFrame {
            step,
            points: xy.chunks_exact(2).map(|p| (p[0], p[1])).collect(),
        }
    }
}

/// The file [`Snapshots2d`] keeps its frames in.
pub const SCATTER_FRAMES_FILE: &str = "snapshots_2d.jsonl";

impl super::frame_log::Frame for ScatterFrame {
    fn step(&self) -> u64 {
        self.step
    }
}

impl Snapshots2d {
    fn keep(&mut self, frame: ScatterFrame) -> Result<()> {
        self.log.append(&frame)?;
        self.frames.push(frame);
        Ok(())
    }
}

impl Observer for Snapshots2d {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        if self.active() && self.every > 0 {
            self.frames = self.log.resume(trainer.step())?;
            if self.frames.last().map(|f| f.step) != Some(trainer.step()) {
                self.keep(Self::frame(trainer, trainer.step()))?;
            }
        }
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.active() && self.every > 0 && s.step % self.every == 0 {
            self.keep(Self::frame(trainer, s.step))?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        if !self.active()
            || matches!(error, Some(e) if !matches!(e, TrainError::Interrupted { .. }))
        {
            return Ok(());
        }
        if self.frames.last().map(|f| f.step) != Some(trainer.step()) {
            self.frames.push(Self::frame(trainer, trainer.step()));
        }
        scatter_grid_png(&self.dir.join("scatter.png"), &self.frames, &self.centers)?;
        scatter_gif(
            &self.dir.join("scatter.gif"),
            &self.frames,
            &self.centers,
            200,
        )?;
        super::snapshots_1d::write_curves(&self.dir, None)?;
        write_mode_curves(&self.dir)?;
        let step = trainer.step();
        super::publish_plots(&self.publisher, &self.dir, step, &["scatter", "modes"]);
        super::publish_plots(&self.publisher, &self.dir, step, super::CURVES);
        Ok(())
    }
}

/// `modes.png`: modes covered and % high-quality samples over training, from
/// `metrics.csv`.
pub fn write_mode_curves(run_dir: &Path) -> Result<()> {
    let (cols, rows) = read_metrics(&run_dir.join(METRICS_FILE))?;
    let series = |name: &str, label: &str, scale: f64| -> Option<Series> {
        let i = cols.iter().position(|c| c == name)?;
        Some(Series::new(
            label,
            rows.iter()
                .filter_map(|r| r.values.get(i).map(|v| (r.step as f64, v * scale)))
                .filter(|p| p.1.is_finite())
                .collect(),
        ))
    };
    let s: Vec<Series> = [
        series("modes", "modes covered", 1.0),
        series("hq", "high-quality samples (%/10)", 10.0),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.points.is_empty())
    .collect();
    if s.is_empty() {
        return Ok(());
    }
    plot::line_chart(
        &run_dir.join("modes.png"),
        "Mode coverage (2,500 samples)",
        "step",
        "modes / HQ",
        &s,
    )
}

/// The plot window: the mode centres padded by a quarter of their span (at least 0.5).
fn window(centers: &[Vec<f64>]) -> (f64, f64, f64, f64) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for c in centers {
        x0 = x0.min(c[0]);
        x1 = x1.max(c[0]);
        y0 = y0.min(c[1]);
        y1 = y1.max(c[1]);
    }
    let pad = (0.25 * (x1 - x0).max(y1 - y0)).max(0.5);
    (x0 - pad, x1 + pad, y0 - pad, y1 + pad)
}

fn draw_frame(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    frame: &ScatterFrame,
    centers: &[Vec<f64>],
) -> std::result::Result<(), String> {
    let (x0, x1, y0, y1) = window(centers);
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("step {}", frame.step), (FONT_NAME, 16))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(30)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style((FONT_NAME, 10))
        .draw()
        .map_err(|e| e.to_string())?;
    let gen = RGBColor(40, 160, 60);
    chart
        .draw_series(
            frame
                .points
                .iter()
                .filter(|&&(x, y)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y))
                .map(|&p| Circle::new(p, 1, gen.mix(0.6).filled())),
        )
        .map_err(|e| e.to_string())?;
    let real = RGBColor(220, 40, 40);
    chart
        .draw_series(
            centers
                .iter()
                .map(|c| Cross::new((c[0], c[1]), 4, real.stroke_width(2))),
        )
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Up to `PANELS` (6) frames, evenly spaced over the run (first and last included), in a
/// 3 × 2 grid.
pub fn scatter_grid_png(path: &Path, frames: &[ScatterFrame], centers: &[Vec<f64>]) -> Result<()> {
    register_font();
    if frames.is_empty() {
        return Err(plot_err(path)("no frames to draw".into()));
    }
    let n = frames.len().min(PANELS);
    let picked: Vec<&ScatterFrame> = (0..n)
        .map(|i| {
            let j = if n == 1 {
                frames.len() - 1
            } else {
                i * (frames.len() - 1) / (n - 1)
            };
            &frames[j]
        })
        .collect();
    let root = BitMapBackend::new(path, (1050, 700)).into_drawing_area();
    root.fill(&WHITE)
        .map_err(|e| plot_err(path)(e.to_string()))?;
    let panels = root.split_evenly((2, 3));
    for (area, frame) in panels.iter().zip(picked) {
        draw_frame(area, frame, centers).map_err(plot_err(path))?;
    }
    root.present().map_err(|e| plot_err(path)(e.to_string()))
}

/// Every frame as an animated GIF.
pub fn scatter_gif(
    path: &Path,
    frames: &[ScatterFrame],
    centers: &[Vec<f64>],
    frame_delay_ms: u32,
) -> Result<()> {
    register_font();
    if frames.is_empty() {
        return Err(plot_err(path)("no frames to animate".into()));
    }
    let root = BitMapBackend::gif(path, (420, 420), frame_delay_ms)
        .map_err(|e| plot_err(path)(e.to_string()))?
        .into_drawing_area();
    for f in frames {
        draw_frame(&root, f, centers).map_err(plot_err(path))?;
        root.present().map_err(|e| plot_err(path)(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_png_and_gif_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let centers = ToyConfig::ring().modes();
        let frames: Vec<ScatterFrame> = (0..8)
            .map(|s| ScatterFrame {
                step: s * 100,
                points: centers.iter().map(|c| (c[0] * 0.9, c[1] * 0.9)).collect(),
            })
            .collect();
        let png = dir.path().join("scatter.png");
        scatter_grid_png(&png, &frames, &centers).unwrap();
        assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
        let gif = dir.path().join("scatter.gif");
        scatter_gif(&gif, &frames[..2], &centers, 100).unwrap();
        assert_eq!(&std::fs::read(&gif).unwrap()[..3], b"GIF");
        assert!(scatter_grid_png(&png, &[], &centers).is_err());
    }

    #[test]
    fn window_covers_the_modes() {
        let (x0, x1, y0, y1) = window(&ToyConfig::grid().modes());
        assert!(x0 < -4.0 && x1 > 4.0 && y0 < -4.0 && y1 > 4.0);
    }
}
