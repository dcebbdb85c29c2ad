//! The [`Generator`] and [`Discriminator`] traits shared by every network in this crate.

use crate::{DiscOutput, MlpDiscriminator};
use tch::Tensor;

/// A generator network `G(z)` (optionally conditioned on class labels).
pub trait Generator: Send {
    /// Width of the latent vector `z` (its shape is `[N, latent_dim]`).
    fn latent_dim(&self) -> i64;

    /// Maps latent codes `z` (`[N, latent_dim]`) to samples. `labels` (`[N]`, int64) are
    /// used by conditional generators and ignored by unconditional ones. `train` switches
    /// batch norm / dropout to training behaviour.
    fn generate(&self, z: &Tensor, labels: Option<&Tensor>, train: bool) -> Tensor;
}

/// A discriminator (or critic) network `D(x)`.
pub trait Discriminator: Send {
    /// Scores a batch `x` of `N` samples; see [`DiscOutput`]. `labels` (`[N]`, int64) are
    /// used by conditional discriminators and ignored by unconditional ones.
    fn discriminate(&self, x: &Tensor, labels: Option<&Tensor>, train: bool) -> DiscOutput;

    /// Data-dependent initialisation from a batch of real samples `x` (weight-normalised
    /// layers: Salimans & Kingma 2016), called once before a fresh run's first step.
    /// Returns whether anything was initialised; networks without such layers do nothing.
    fn initialize_from_data(&self, x: &Tensor) -> bool {
        let _ = x;
        false
    }

    /// This discriminator as an [`MlpDiscriminator`], when it is one: the unrolled GAN
    /// needs its functional forward ([`MlpDiscriminator::forward_with`]).
    fn as_mlp(&self) -> Option<&MlpDiscriminator> {
        None
    }
}
