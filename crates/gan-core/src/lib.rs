//! # gan-core
//!
//! The mathematics of generative adversarial networks as pure functions on `tch` tensors
//! and plain slices:
//!
//! - [`loss`]: the adversarial games ([`AdversarialLoss`], [`LossKind`]): minimax,
//!   non-saturating, maximum-likelihood, least squares, hinge, Wasserstein and
//!   energy-margin (EBGAN), written in numerically stable logit / softplus forms;
//! - [`regularize`]: the WGAN-GP [`gradient_penalty`] (per sample), WGAN weight
//!   [`clip_weights`], [`HistoricalAverage`], [`feature_matching_loss`] and EBGAN's
//!   [`pulling_away_term`];
//! - [`classification`]: the class cross-entropy of AC-GAN and the semi-supervised GAN;
//! - [`info`]: InfoGAN's mutual-information term for categorical and continuous codes;
//! - [`semi_supervised`]: the binary real/fake logit of a K- or (K+1)-class discriminator
//!   with the logsumexp trick;
//! - [`metrics`]: toy mode coverage ([`ModeSet`]), KL / JS / EMD divergences, Fréchet
//!   distance, KID, Inception Score and best-permutation accuracy.
//!
//! gan-core does **no I/O** and knows nothing about models, data sets or training loops:
//! it only sees tensors (scores `[N]`, features `[N, F]`, …) and numbers. Functions that
//! can be handed bad input return [`Result`] with a typed [`CoreError`] instead of
//! panicking. Randomness (label flipping, gradient-penalty interpolation, KID subsets)
//! comes from torch's global generator, seeded by the caller (`tch::manual_seed`).

#![warn(missing_docs)]

mod check;
pub mod classification;
pub mod error;
pub mod info;
pub mod loss;
pub mod metrics;
pub mod regularize;
pub mod semi_supervised;

pub use classification::{class_accuracy, class_cross_entropy, class_cross_entropy_unchecked};
pub use error::{CoreError, Result};
pub use loss::{AdversarialLoss, LossKind};
pub use metrics::{FeatureStats, ModeReport, ModeSet};
pub use regularize::{
    clip_weights, feature_matching_loss, gradient_penalty, pulling_away_term, HistoricalAverage,
};
pub use semi_supervised::binary_logit_from_class_logits;
