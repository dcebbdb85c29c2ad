//! Observers: everything that watches a training run without being part of the game.
//!
//! The [`Trainer`] calls each observer after every step; observers
//! decide themselves how often to act (`log.every`, `log.snapshot_every`, ...).
//! [`standard_observers`] builds the set `gan train` runs (the benchmarks run it too).

mod checkpointer;
mod diagnostics;
mod fid_log;
mod frame_log;
mod metrics_log;
mod progress;
pub mod publish;
mod sample_grid;
mod snapshots_1d;
mod snapshots_2d;
mod standard;
mod tensorboard;

pub use checkpointer::Checkpointer;
pub use diagnostics::Diagnostics;
pub use fid_log::{FidLog, FID_FILE};
pub use metrics_log::{
    generator_moments_1d, read_metrics, MetricsLog, MetricsRow, METRICS_FILE, METRIC_TAGS,
};
pub use progress::Progress;
pub use publish::Publisher;
pub use sample_grid::{is_image_shape, SampleGrid, GRID_SAMPLES};
pub use snapshots_1d::Snapshots1d;
pub use snapshots_2d::{scatter_gif, scatter_grid_png, ScatterFrame, Snapshots2d};
pub use standard::standard_observers;
pub use tensorboard::{TensorBoard, TENSORBOARD_DIR};

use std::path::Path;

use crate::error::{Result, TrainError};
use crate::trainer::{StepStats, Trainer};

/// Something that watches training.
pub trait Observer {
    /// A short name for messages (by default the type's name).
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }

    /// Whether the run depends on this observer (the checkpoint, the metrics record): its
    /// errors stop the run. The others' errors (a plot that cannot be written) become
    /// warnings, and [`Trainer::run`] switches them off.
    fn is_essential(&self) -> bool {
        false
    }

    /// Called once before the first step (also when resuming).
    fn on_start(&mut self, _trainer: &Trainer) -> Result<()> {
        Ok(())
    }

    /// Called after every generator step.
    fn on_step(&mut self, trainer: &Trainer, stats: &StepStats) -> Result<()>;

    /// Called once at the end, also when the run stopped with `error`.
    fn on_end(&mut self, _trainer: &Trainer, _error: Option<&TrainError>) -> Result<()> {
        Ok(())
    }
}

/// The curves [`snapshots_1d::write_curves`] draws from `metrics.csv` (`moments` only for
/// 1-D data).
pub(crate) const CURVES: &[&str] = &["d_outputs", "losses", "moments"];

/// Publish the end-of-run plots `<run_dir>/<name>.png` that exist as `plots/<name>`.
pub(crate) fn publish_plots(publisher: &Publisher, run_dir: &Path, step: u64, names: &[&str]) {
    for name in names {
        let path = run_dir.join(format!("{name}.png"));
        if path.is_file() {
            publisher.image_file(&format!("plots/{name}"), step, &path);
        }
    }
}
