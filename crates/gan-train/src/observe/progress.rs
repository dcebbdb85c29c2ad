//! A terminal progress bar with the live losses and D outputs.

use indicatif::{ProgressBar, ProgressStyle};

use super::Observer;
use crate::error::{Result, TrainError};
use crate::trainer::{StepStats, Trainer};

/// Shows `step/total`, speed, ETA, and the latest D loss, G loss, D(real), D(fake).
pub struct Progress {
    bar: ProgressBar,
    every: u64,
}

impl Progress {
    /// `hidden` makes it silent (tests, non-interactive use).
    pub fn new(total: u64, every: u64, hidden: bool) -> Self {
        let bar = if hidden {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ({per_sec}, eta {eta}) {msg}",
            )
            .expect("static template is valid")
            .progress_chars("=> "),
        );
        Progress {
            bar,
            every: every.max(1),
        }
    }
}

impl Observer for Progress {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        self.bar.set_position(trainer.step());
        self.bar.reset_eta();
        Ok(())
    }

    fn on_step(&mut self, _trainer: &Trainer, s: &StepStats) -> Result<()> {
        if s.step % self.every == 0 {
            self.bar.set_position(s.step);
            self.bar.set_message(format!(
                "D loss {:.4}  G loss {:.4}  D(real) {:.3}  D(fake) {:.3}",
                s.d_loss, s.g_loss, s.d_real, s.d_fake
            ));
        }
        Ok(())
    }

    fn on_end(&mut self, trainer: &Trainer, _error: Option<&TrainError>) -> Result<()> {
        self.bar.set_position(trainer.step());
        self.bar.finish();
        Ok(())
    }
}
