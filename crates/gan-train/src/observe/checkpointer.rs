//! Periodic and final checkpoints of a run (`checkpoints/latest.safetensors`).

use std::path::PathBuf;

use super::Observer;
use crate::checkpoint::LATEST;
use crate::error::{Result, TrainError};
use crate::trainer::{StepStats, Trainer};

/// Saves the trainer every `every` steps (0 = only at the end) and when the run ends
/// normally or is interrupted. A run that diverged (NaN/Inf) is NOT saved at the end,
/// so the last good checkpoint stays in place.
pub struct Checkpointer {
    path: PathBuf,
    every: u64,
}

impl Checkpointer {
    pub fn new(run_dir: &std::path::Path, every: u64) -> Self {
        Checkpointer {
            path: run_dir.join("checkpoints").join(LATEST),
            every,
        }
    }

    /// Where the rolling checkpoint lives.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Observer for Checkpointer {
    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.every > 0 && s.step % self.every == 0 && s.step != trainer.config().train.steps {
            trainer.save_checkpoint(&self.path, serde_json::Value::Null)?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        match error {
            None | Some(TrainError::Interrupted { .. }) => {
                trainer.save_checkpoint(&self.path, serde_json::Value::Null)
            }
            Some(_) => Ok(()),
        }
    }
}
