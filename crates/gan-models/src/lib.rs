//! Generator and discriminator networks for GANs, built on `tch::nn`.
//!
//! This crate contains networks only — no data loading, training loops or I/O. Every
//! network is built from a small serde config struct under a caller-chosen
//! [`tch::nn::Path`] and implements [`Generator`] or [`Discriminator`], whose
//! [`DiscOutput`] carries the per-sample score plus optional feature / class / Q heads
//! (contracts in `docs/ARCHITECTURE.md`).
//!
//! - [`MlpConfig`]: fully connected generator / discriminator, with a functional forward
//!   ([`MlpDiscriminator::forward_with`]) for unrolled GANs.
//! - [`LinearGeneratorConfig`]: the affine 1-D generator `a·z + b`.
//! - [`DcganConfig`]: DCGAN for 28×28, 32×32 and 64×64 images, initialised as the paper
//!   says when each layer is built ([`conv_weight_init`], [`dcgan_batch_norm_config`]).
//! - [`InfoGanConfig`]: InfoGAN's MNIST generator and discriminator (Q with batch norm).
//! - [`AutoencoderConfig`]: the EBGAN autoencoder discriminator (energy = reconstruction
//!   error) for vectors and 28×28, 32×32, 64×64 images.
//! - [`HeadsConfig`]: AC-GAN auxiliary classifier, InfoGAN Q head, semi-supervised output.
//! - Building blocks: [`WeightNormLinear`] (with data-dependent initialisation),
//!   [`ShiftBatchNorm`], [`PixelRange`] adapters, [`MinibatchDiscrimination`], [`minibatch_std()`], [`VirtualBatchNorm`],
//!   [`LabelEmbedding`], [`Activation`], [`leaky_relu()`] (any slope, on ATen's kernel),
//!   [`to_channels_last`] (NHWC layout for convolutional networks).
//!
//! Invalid configurations are reported as [`ModelError`], never as panics.
//!
//! A generator and a discriminator for 2-D toy data, each under its own path of one
//! [`tch::nn::VarStore`] (so their optimizers can own disjoint variables), scored with a
//! gan-core loss:
//!
//! ```
//! use gan_core::AdversarialLoss;
//! use gan_models::{Activation, Discriminator, Generator, MlpConfig};
//! use tch::{nn::VarStore, Device, Kind, Tensor};
//!
//! let vs = VarStore::new(Device::Cpu);
//! let g = MlpConfig::new(8, vec![32], 2).build_generator(&(vs.root() / "g")).unwrap();
//! let d_config = MlpConfig {
//!     activation: Activation::LeakyRelu,
//!     ..MlpConfig::new(2, vec![32], 1)
//! };
//! let d = d_config.build_discriminator(&(vs.root() / "d")).unwrap();
//!
//! let z = Tensor::randn([16, g.latent_dim()], (Kind::Float, Device::Cpu));
//! let fake = g.generate(&z, None, true);
//! let real = Tensor::randn([16, 2], (Kind::Float, Device::Cpu));
//! let (r, f) = (d.discriminate(&real, None, true), d.discriminate(&fake, None, true));
//! let d_loss = AdversarialLoss::default().d_loss(&r.score, &f.score);
//! assert_eq!(d_loss.size(), Vec::<i64>::new()); // a scalar
//! d_loss.backward();
//! // 2 → 32 → 2 and 2 → 32 → 1: weights and biases of four linear layers.
//! assert_eq!(vs.trainable_variables().len(), 8);
//! ```

#![warn(missing_docs)]

pub mod activation;
pub mod autoencoder;
pub mod conditional;
pub mod dcgan;
pub mod dense;
pub mod error;
pub mod footprint;
pub mod heads;
pub mod infogan_nets;
pub mod leaky_relu;
pub mod linear;
pub mod memory_format;
pub mod minibatch;
pub mod minibatch_std;
pub mod mlp;
pub mod output;
pub mod pixel_range;
pub mod spec;
pub mod traits;
pub mod vbn;
pub mod weight_norm;

pub use activation::Activation;
pub use autoencoder::{AutoencoderConfig, AutoencoderDiscriminator};
pub use conditional::LabelEmbedding;
pub use dcgan::{
    conv_weight_init, dcgan_batch_norm_config, norm_weight_init, DcganConfig, DcganDiscriminator,
    DcganGenerator, Norm, DCGAN_IMAGE_SIZES,
};
pub use dense::{Dense, ShiftBatchNorm, WeightNorm};
pub use error::{ModelError, Result};
pub use footprint::Footprint;
pub use heads::{HeadsConfig, SemiSupervisedOutput};
pub use infogan_nets::{InfoGanConfig, InfoGanDiscriminator, InfoGanGenerator};
pub use leaky_relu::{f_leaky_relu, f_leaky_relu_, leaky_relu, leaky_relu_};
pub use linear::{LinearGenerator, LinearGeneratorConfig};
pub use memory_format::{channels_last, is_channels_last, to_channels_last};
pub use minibatch::{MinibatchDiscrimination, MinibatchDiscriminationConfig};
pub use minibatch_std::minibatch_std;
pub use mlp::{MlpConfig, MlpDiscriminator, MlpGenerator};
pub use output::DiscOutput;
pub use pixel_range::{PixelRange, ZeroOneDiscriminator, ZeroOneGenerator};
pub use traits::{Discriminator, Generator};
pub use vbn::VirtualBatchNorm;
pub use weight_norm::WeightNormLinear;
