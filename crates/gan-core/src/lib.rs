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
//!
//! A training step picks its game from a config and scores one batch; an evaluation
//! compares feature statistics:
//!
//! ```
//! use gan_core::metrics::frechet_distance;
//! use gan_core::{AdversarialLoss, FeatureStats, LossKind};
//! use tch::Tensor;
//!
//! let kind: LossKind = "least_squares".parse().unwrap();
//! let loss = AdversarialLoss::new(kind);
//! loss.validate().unwrap();
//! // D's raw outputs on two real and two generated samples.
//! let real = Tensor::from_slice(&[1.0f32, 0.5]);
//! let fake = Tensor::from_slice(&[0.0f32, 1.0]);
//! // ½ mean((r − 1)²) + ½ mean(f²) = ½ · 0.125 + ½ · 0.5
//! let d = loss.d_loss(&real, &fake).double_value(&[]);
//! assert!((d - 0.3125).abs() < 1e-6);
//! // ½ mean((f − 1)²) = ½ · 0.5
//! let g = loss.g_loss(&fake, None).unwrap().double_value(&[]);
//! assert!((g - 0.25).abs() < 1e-6);
//! assert!("lsgan".parse::<LossKind>().is_err());
//!
//! // 1-D Fréchet distance: (μa − μb)² + (σa − σb)² = 1 + 1.
//! let a = FeatureStats::new(vec![0.0], vec![1.0]).unwrap();
//! let b = FeatureStats::new(vec![1.0], vec![4.0]).unwrap();
//! assert!((frechet_distance(&a, &b).unwrap() - 2.0).abs() < 1e-9);
//! ```

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
