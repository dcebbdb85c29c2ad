//! Periodic and final checkpoints of a run (`checkpoints/latest.safetensors`), and the
//! retention of older ones (`log.keep_checkpoints`: `checkpoints/step-NNNNNNNN.safetensors`,
//! the oldest removed first). The best checkpoint by a logged metric (`log.keep_best`)
//! is kept by the observer that logs the metric (see [`super::FidLog`]).

use std::path::{Path, PathBuf};

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
    keep: u32,
}

impl Checkpointer {
    /// Checkpoints `<run_dir>/checkpoints/latest.safetensors` every `every` steps (0: only
    /// at the end, and on an interrupt).
    pub fn new(run_dir: &Path, every: u64) -> Self {
        Checkpointer {
            path: run_dir.join("checkpoints").join(LATEST),
            every,
            keep: 0,
        }
    }

    /// Also keep the `keep` most recent checkpoints as `step-NNNNNNNN.safetensors`
    /// (0 = only `latest`).
    pub fn keep_last(mut self, keep: u32) -> Self {
        self.keep = keep;
        self
    }

    /// Where the rolling checkpoint lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn save(&self, trainer: &Trainer) -> Result<()> {
        trainer.save_checkpoint(&self.path, serde_json::Value::Null)?;
        if self.keep > 0 {
            retain(&self.path, trainer.step(), self.keep)?;
        }
        Ok(())
    }
}

/// The file name a kept checkpoint of `step` has.
pub fn kept_checkpoint_name(step: u64) -> String {
    format!("step-{step:08}.safetensors")
}

/// Keep `latest` (just written, for `step`) as a step file, then remove the oldest step
/// files beyond `keep`. The step file is a hard link where the file system allows (no
/// second write: `latest` is replaced by a rename, which leaves the link intact), else
/// a copy.
fn retain(latest: &Path, step: u64, keep: u32) -> Result<()> {
    let dir = latest.parent().unwrap_or(Path::new("."));
    let kept = dir.join(kept_checkpoint_name(step));
    if !kept.exists() && std::fs::hard_link(latest, &kept).is_err() {
        let bytes = std::fs::read(latest).map_err(|e| TrainError::io("reading", latest, e))?;
        crate::output_file::write_file(&kept, &bytes)?;
    }
    let mut steps: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| TrainError::io("listing", dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("step-") && n.ends_with(".safetensors"))
        })
        .collect();
    // Zero-padded steps sort by name in step order.
    steps.sort();
    let excess = steps.len().saturating_sub(keep as usize);
    for old in &steps[..excess] {
        std::fs::remove_file(old).map_err(|e| TrainError::io("removing", old, e))?;
    }
    Ok(())
}

impl Observer for Checkpointer {
    fn is_essential(&self) -> bool {
        true
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if self.every > 0 && s.step % self.every == 0 && s.step != trainer.config().train.steps {
            self.save(trainer)?;
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        match error {
            None | Some(TrainError::Interrupted { .. }) => self.save(trainer),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_keeps_the_newest_and_links_latest() {
        let dir = tempfile::tempdir().unwrap();
        let latest = dir.path().join(LATEST);
        for step in [10u64, 20, 30, 40] {
            // As checkpoints are written: a new file renamed over `latest`.
            crate::output_file::write_file(&latest, format!("state at {step}").as_bytes()).unwrap();
            retain(&latest, step, 2).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                LATEST,
                "step-00000030.safetensors",
                "step-00000040.safetensors"
            ]
        );
        let kept = std::fs::read_to_string(dir.path().join("step-00000030.safetensors")).unwrap();
        assert_eq!(kept, "state at 30");
    }
}
