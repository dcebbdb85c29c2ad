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
/// Mode coverage (2-D toy data) is checked every this many logged steps.
const MODE_CHECK_LOGS: u64 = 5;
/// Consecutive mode checks a coverage drop must persist before we warn.
const MODE_PATIENCE: u32 = 3;

/// Watches for a saturated discriminator, for a discriminator that the generator
/// overpowers (D/G imbalance), and, on 2-D toy data, for mode collapse (the number of
/// covered modes falling over time); warns once per pattern.
pub struct Diagnostics {
    path: PathBuf,
    every: u64,
    saturated_for: u32,
    warned_saturation: bool,
    overpowered_for: u32,
    warned_imbalance: bool,
    /// Most modes covered so far, and at which step.
    peak_modes: Option<(usize, u64)>,
    collapsed_for: u32,
    warned_collapse: bool,
    /// Warnings issued so far (also written to the file).
    pub warnings: Vec<String>,
}

impl Diagnostics {
    /// Writes `<run_dir>/diagnostics.txt`, checking the run every `every` steps.
    pub fn new(run_dir: &std::path::Path, every: u64) -> Self {
        Diagnostics {
            path: run_dir.join("diagnostics.txt"),
            every: every.max(1),
            saturated_for: 0,
            warned_saturation: false,
            overpowered_for: 0,
            warned_imbalance: false,
            peak_modes: None,
            collapsed_for: 0,
            warned_collapse: false,
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

impl Diagnostics {
    /// D/G imbalance: the discriminator scores generated samples above real ones for a
    /// long time, i.e. the generator overpowers it.
    fn check_imbalance(&mut self, trainer: &Trainer, s: &StepStats) {
        // Every loss but the energy margin scores real data higher.
        if trainer.loss().kind == LossKind::EnergyMargin {
            return;
        }
        let margin = match trainer.loss().kind {
            LossKind::Minimax | LossKind::NonSaturating | LossKind::MaxLikelihood => 0.1,
            _ => 0.1 * (s.d_real.abs() + s.d_fake.abs()).max(1e-3),
        };
        if s.d_fake > s.d_real + margin {
            self.overpowered_for += 1;
        } else {
            self.overpowered_for = 0;
        }
        if self.overpowered_for >= PATIENCE && !self.warned_imbalance {
            self.warned_imbalance = true;
            self.warn(
                s.step,
                format!(
                    "D/G imbalance: the discriminator has scored generated samples above real ones for {PATIENCE} logged steps (D(real) = {:.3}, D(fake) = {:.3}); the generator overpowers it. Give D more updates (train.d_steps = 2..5), a higher learning rate or more capacity, or lower the generator's learning rate",
                    s.d_real, s.d_fake
                ),
            );
        }
    }

    /// Mode collapse on 2-D toy data: coverage falls well below its peak and stays there.
    fn check_modes(&mut self, trainer: &Trainer, step: u64) -> Result<()> {
        let Some(r) = crate::toy_eval::evaluate_modes(trainer, crate::toy_eval::MODE_EVAL_SAMPLES)?
        else {
            return Ok(());
        };
        let (peak, peak_step) = match self.peak_modes {
            Some(p) if p.0 >= r.modes_covered => p,
            _ => {
                self.peak_modes = Some((r.modes_covered, step));
                (r.modes_covered, step)
            }
        };
        // Early training hops between a few modes; warn on real drops only.
        let tolerance = (r.total_modes / 8).max(2);
        if r.modes_covered + tolerance <= peak {
            self.collapsed_for += 1;
        } else {
            self.collapsed_for = 0;
        }
        if self.collapsed_for >= MODE_PATIENCE && !self.warned_collapse {
            self.warned_collapse = true;
            self.warn(
                step,
                format!(
                    "mode collapse: the generator now covers {} of {} modes, down from {peak} at step {peak_step}; it is hopping between modes instead of spreading over them. Try schedule = \"unrolled\" (train.unrolled_steps = 5), minibatch discrimination (discriminator.minibatch_discrimination = {{ kernels = 5, kernel_dim = 3 }}), lower learning rates, or train.lr_decay = \"linear\" with train.ema = 0.999",
                    r.modes_covered, r.total_modes
                ),
            );
        }
        Ok(())
    }
}

impl Observer for Diagnostics {
    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        if s.step % self.every != 0 {
            return Ok(());
        }
        let logit_loss = matches!(
            trainer.loss().kind,
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
            let remedy = if trainer.loss().kind == LossKind::Minimax {
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
        self.check_imbalance(trainer, s);
        if s.step % (self.every * MODE_CHECK_LOGS) == 0 {
            self.check_modes(trainer, s.step)?;
        }
        Ok(())
    }
}
