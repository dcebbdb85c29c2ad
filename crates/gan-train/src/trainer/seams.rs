//! The two extension seams of the update: where multi-process training and mixed
//! precision plug in. The defaults are no-ops ([`LocalGradients`], [`FullPrecision`]);
//! `train.precision` plugs in [`super::autocast::MixedPrecision`]. docs/ARCHITECTURE.md
//! says how a strategy uses them.
//!
//! - [`GradientSync`] runs between a player's `backward()` and its optimizer step, once
//!   per player update: a data-parallel strategy all-reduces the gradients there.
//! - [`Precision`] wraps every forward pass of a player update (an autocast region) and
//!   scales each loss before `backward()` (a loss-scaling hook); `before_step` may unscale
//!   the gradients and veto the step (on overflow).

use tch::Tensor;

use crate::error::Result;
use crate::optim::Optimizer;

/// Which player an update belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Player {
    /// The generator.
    Generator,
    /// The discriminator.
    Discriminator,
}

/// The gradient seam: called after a player's gradients are computed and before its
/// optimizer steps.
pub trait GradientSync: Send {
    /// Make the gradients of `optimizer`'s parameters the ones to step with (e.g. the
    /// mean over all processes).
    fn sync(&mut self, player: Player, optimizer: &Optimizer) -> Result<()>;
}

/// One process: the local gradients are the gradients.
#[derive(Debug, Default)]
pub struct LocalGradients;

impl GradientSync for LocalGradients {
    fn sync(&mut self, _player: Player, _optimizer: &Optimizer) -> Result<()> {
        Ok(())
    }
}

/// The precision seam: an autocast region around forward passes and a loss-scaling hook.
pub trait Precision: Send {
    /// Called before a player update's forward passes.
    fn enter_forward(&self) {}
    /// Called after them, before the losses are reduced and `backward()` runs.
    fn exit_forward(&self) {}
    /// The loss of `player` to call `backward()` on (e.g. multiplied by its dynamic
    /// loss scale).
    fn scale_loss(&self, player: Player, loss: &Tensor) -> Tensor {
        let _ = player;
        loss.shallow_clone()
    }
    /// Called after the gradient seam, before the optimizer step: unscale gradients and
    /// return `false` to skip the step (e.g. on an overflow).
    fn before_step(&mut self, player: Player, optimizer: &Optimizer) -> Result<bool> {
        let _ = (player, optimizer);
        Ok(true)
    }
}

/// fp32 throughout: no autocast, no loss scaling.
#[derive(Debug, Default)]
pub struct FullPrecision;

impl Precision for FullPrecision {}
