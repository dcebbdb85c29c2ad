//! Live failure diagnostics: plain-language warnings when training shows a known
//! failure pattern, each with the usual remedy. Warnings go to the log (stderr) and to
//! `diagnostics.txt` in the run directory.

use std::io::Write;
use std::path::PathBuf;

use gan_core::LossKind;

use super::Observer;
use crate::error::Result;
use crate::trainer::{StepStats, Trainer};

/// Consecutive logged steps a pattern must persist before we warn.
const PATIENCE: u32 = 20;

/// Watches for a saturated discriminator and for a discriminator that has stopped
/// learning, and warns once per pattern.
pub struct Diagnostics {
    path: PathBuf,
    every: u64,
    saturated_for: u32,
    warned_saturation: bool,
    /// Warnings issued so far (also written to the file).
    pub warnings: Vec<String>,
}

impl Diagnostics {
    pub fn new(run_dir: &std::path::Path, every: u64) -> Self {
        Diagnostics {
            path: run_dir.join("diagnostics.txt"),
            every: every.max(1),
            saturated_for: 0,
            warned_saturation: false,
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, step: u64, text: String) {
        tracing::warn!("step {step}: {text}");
        let line = format!("step {step}: {text}\n");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = f.write_all(line.as_bytes());
        }
        self.warnings.push(line);
    }
}

impl Observer for Diagnostics {
    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if s.step % self.every != 0 {
            return Ok(());
        }
        let logit_loss = matches!(
            trainer.loss.kind,
            LossKind::Minimax | LossKind::NonSaturating | LossKind::MaxLikelihood
        );
        // D saturation: D is certain every fake is fake, so the minimax generator's
        // gradient (−D(G(z)) per sample) vanishes.
        if logit_loss && s.d_fake < 0.02 && s.d_real > 0.98 {
            self.saturated_for += 1;
        } else {
            self.saturated_for = 0;
        }
        if self.saturated_for >= PATIENCE && !self.warned_saturation {
            self.warned_saturation = true;
            let remedy = if trainer.loss.kind == LossKind::Minimax {
                "the minimax generator loss has vanishing gradients here; switch to loss.kind = \"non_saturating\""
            } else {
                "lower the discriminator's learning rate or capacity, add one-sided label smoothing (loss.real_target = 0.9), or use a gradient penalty"
            };
            self.warn(
                s.step,
                format!(
                    "discriminator saturated: D(real) = {:.3}, D(fake) = {:.3}, generator gradient norm {:.2e}; {remedy}",
                    s.d_real, s.d_fake, s.g_grad_norm
                ),
            );
        }
        Ok(())
    }
}
