//! DCGAN (Radford et al. 2016) for 28×28, 32×32 and 64×64 images ([`DcganConfig`]).
//!
//! Follows the DCGAN guidelines: strided (transposed) convolutions, no pooling and no
//! hidden fully connected layers; batch norm everywhere except the generator output layer
//! and the discriminator input layer; ReLU in the generator with a tanh output;
//! LeakyReLU(0.2) in the discriminator. The 64×64 networks are exactly PyTorch's DCGAN
//! example (`bias=False` convolutions, 4→8→16→32→64).
//!
//! | size | generator (channels × spatial) | discriminator |
//! | --- | --- | --- |
//! | 64 | ngf·8×4 → ngf·4×8 → ngf·2×16 → ngf×32 → nc×64 | nc×64 → ndf×32 → ndf·2×16 → ndf·4×8 → ndf·8×4 → 1 |
//! | 32 | ngf·4×4 → ngf·2×8 → ngf×16 → nc×32 | nc×32 → ndf×16 → ndf·2×8 → ndf·4×4 → 1 |
//! | 28 | ngf·4×7 → ngf·2×14 → nc×28 | nc×28 → ndf×14 → ndf·2×7 → 1 |
//!
//! The first generator layer is `ConvT(nz, ·, k, 1, 0)` with `k = 4` (`7` for 28×28), the
//! others `ConvT(·, ·, 4, 2, 1)`; the discriminator blocks are `Conv(·, ·, 4, 2, 1)` and the
//! score is a final valid `Conv(·, 1, k, 1, 0)` (or, with minibatch discrimination, a
//! linear layer on the flattened last block plus the minibatch features).

mod discriminator;
mod generator;
mod init;

pub use discriminator::DcganDiscriminator;
pub use generator::DcganGenerator;
pub use init::{conv_weight_init, dcgan_batch_norm_config, norm_weight_init, DCGAN_INIT_STD};

use crate::error::{ensure_positive, ModelError, Result};
use crate::heads::HeadsConfig;
use crate::minibatch::MinibatchDiscriminationConfig;
use serde::{Deserialize, Serialize};
use tch::nn;

/// Image sizes the DCGAN builders support.
pub const DCGAN_IMAGE_SIZES: &[i64] = &[28, 32, 64];

/// Normalization used by the generator's hidden layers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    /// Batch normalization (the DCGAN default).
    #[default]
    Batch,
    /// Virtual batch normalization with a fixed reference batch ([`crate::VirtualBatchNorm`]).
    Virtual,
    /// No normalization (the transposed convolutions then get a bias).
    None,
}

fn default_latent_dim() -> i64 {
    100
}
fn default_width() -> i64 {
    64
}
fn default_true() -> bool {
    true
}
fn default_vbn_reference_size() -> i64 {
    64
}

/// Configuration of a DCGAN generator / discriminator pair.
///
/// Start from [`DcganConfig::new`] (image channels and size) and override the rest; the
/// generator maps `z [N, latent_dim]` to images `[N, C, H, W]` in [−1, 1] (tanh), the
/// discriminator maps images to one score per sample.
///
/// ```
/// use gan_models::{DcganConfig, Discriminator, Generator};
/// use tch::{nn::VarStore, Device, Kind, Tensor};
///
/// // MNIST-shaped networks, narrower than the default widths (64) to keep this quick.
/// let cfg = DcganConfig {
///     ngf: 8,
///     ndf: 8,
///     ..DcganConfig::new(1, 28)
/// };
/// let vs = VarStore::new(Device::Cpu);
/// let g = cfg.build_generator(&(vs.root() / "g")).unwrap();
/// let z = Tensor::randn([4, cfg.latent_dim], (Kind::Float, Device::Cpu));
/// let images = g.generate(&z, None, false);
/// assert_eq!(images.size(), [4, 1, 28, 28]);
/// assert!(images.abs().max().double_value(&[]) <= 1.0);
///
/// let d = cfg.build_discriminator(&(vs.root() / "d")).unwrap();
/// assert_eq!(d.discriminate(&images, None, false).score.size(), [4]);
///
/// // Only 28, 32 and 64 px are supported.
/// assert!(DcganConfig::new(3, 48).build_generator(&vs.root()).is_err());
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DcganConfig {
    /// Image channels `nc` (1 for MNIST, 3 for CIFAR-10).
    pub image_channels: i64,
    /// Image height = width: one of [`DCGAN_IMAGE_SIZES`].
    pub image_size: i64,
    /// Latent dimension `nz` (default 100).
    #[serde(default = "default_latent_dim")]
    pub latent_dim: i64,
    /// Generator base width `ngf` (default 64).
    #[serde(default = "default_width")]
    pub ngf: i64,
    /// Discriminator base width `ndf` (default 64).
    #[serde(default = "default_width")]
    pub ndf: i64,
    /// Generator normalization (default `batch`).
    #[serde(default)]
    pub generator_norm: Norm,
    /// Reference batch size for `generator_norm = "virtual"` (default 64).
    #[serde(default = "default_vbn_reference_size")]
    pub vbn_reference_size: i64,
    /// Minibatch discrimination before the discriminator's final (then linear) layer.
    #[serde(default)]
    pub minibatch_discrimination: Option<MinibatchDiscriminationConfig>,
    /// Append a minibatch-std channel to the last discriminator block.
    #[serde(default)]
    pub minibatch_std: bool,
    /// Batch norm on the discriminator's last conv block — the block exposed as
    /// `features` (default true, as in PyTorch's example). Set it to false for feature
    /// matching / semi-supervised GANs, which want a feature layer without batch norm;
    /// that block's convolution then gets a bias.
    #[serde(default = "default_true")]
    pub features_layer_batch_norm: bool,
    /// Number of classes for conditional networks: a learned label embedding (width
    /// `num_classes`) is concatenated to `z`, and the discriminator adds a projection
    /// term `⟨embed(y), features⟩` to its score.
    #[serde(default)]
    pub num_classes: Option<i64>,
    /// Extra discriminator heads on `features` (AC-GAN classes, InfoGAN Q,
    /// semi-supervised output); see [`crate::HeadsConfig`].
    #[serde(default)]
    pub heads: HeadsConfig,
}

impl DcganConfig {
    /// A config with the given image shape and defaults for everything else.
    pub fn new(image_channels: i64, image_size: i64) -> Self {
        DcganConfig {
            image_channels,
            image_size,
            latent_dim: default_latent_dim(),
            ngf: default_width(),
            ndf: default_width(),
            generator_norm: Norm::Batch,
            vbn_reference_size: default_vbn_reference_size(),
            minibatch_discrimination: None,
            minibatch_std: false,
            features_layer_batch_norm: true,
            num_classes: None,
            heads: HeadsConfig::default(),
        }
    }

    /// Checks the image size and all widths.
    pub fn validate(&self) -> Result<()> {
        if !DCGAN_IMAGE_SIZES.contains(&self.image_size) {
            return Err(ModelError::UnsupportedImageSize {
                size: self.image_size,
                allowed: DCGAN_IMAGE_SIZES,
            });
        }
        ensure_positive("image_channels", self.image_channels)?;
        ensure_positive("latent_dim", self.latent_dim)?;
        ensure_positive("ngf", self.ngf)?;
        ensure_positive("ndf", self.ndf)?;
        ensure_positive("vbn_reference_size", self.vbn_reference_size)?;
        if let Some(m) = &self.minibatch_discrimination {
            m.validate()?;
        }
        if let Some(k) = self.num_classes {
            ensure_positive("num_classes", k)?;
        }
        self.heads.validate()
    }

    /// Builds the generator under `p`.
    pub fn build_generator(&self, p: &nn::Path) -> Result<DcganGenerator> {
        self.validate()?;
        DcganGenerator::new(p, self)
    }

    /// Builds the discriminator under `p`.
    pub fn build_discriminator(&self, p: &nn::Path) -> Result<DcganDiscriminator> {
        self.validate()?;
        DcganDiscriminator::new(p, self)
    }

    /// Shape of one generated image, `[C, H, W]`.
    pub fn image_shape(&self) -> [i64; 3] {
        [self.image_channels, self.image_size, self.image_size]
    }

    /// Kernel of the first generator layer / last discriminator layer and the spatial
    /// size at that depth.
    pub(crate) fn base_kernel(&self) -> i64 {
        if self.image_size == 28 {
            7
        } else {
            4
        }
    }

    /// Generator hidden widths, from the first (smallest spatial) layer.
    pub(crate) fn generator_widths(&self) -> Vec<i64> {
        let mults: &[i64] = match self.image_size {
            64 => &[8, 4, 2, 1],
            32 => &[4, 2, 1],
            _ => &[4, 2],
        };
        mults.iter().map(|m| m * self.ngf).collect()
    }

    /// Discriminator block widths, from the input side.
    pub(crate) fn discriminator_widths(&self) -> Vec<i64> {
        let mults: &[i64] = match self.image_size {
            64 => &[1, 2, 4, 8],
            32 => &[1, 2, 4],
            _ => &[1, 2],
        };
        mults.iter().map(|m| m * self.ndf).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_size_names_allowed_sizes() {
        let err = DcganConfig::new(3, 48).validate().unwrap_err();
        assert_eq!(
            err,
            ModelError::UnsupportedImageSize {
                size: 48,
                allowed: &[28, 32, 64]
            }
        );
        assert!(err.to_string().contains("[28, 32, 64]"));
        let vs = nn::VarStore::new(tch::Device::Cpu);
        assert!(DcganConfig::new(1, 16).build_generator(&vs.root()).is_err());
        assert!(DcganConfig::new(1, 16)
            .build_discriminator(&vs.root())
            .is_err());
    }

    #[test]
    fn bad_widths_are_errors() {
        let cfg = DcganConfig {
            ngf: 0,
            ..DcganConfig::new(1, 28)
        };
        assert!(matches!(
            cfg.validate(),
            Err(ModelError::InvalidConfig { field: "ngf", .. })
        ));
        let cfg = DcganConfig {
            image_channels: -1,
            ..DcganConfig::new(1, 28)
        };
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn serde_defaults_and_unknown_fields() {
        let cfg: DcganConfig =
            toml::from_str("image_channels = 1\nimage_size = 28\ngenerator_norm = \"virtual\"")
                .unwrap();
        assert_eq!(
            cfg,
            DcganConfig {
                generator_norm: Norm::Virtual,
                ..DcganConfig::new(1, 28)
            }
        );
        assert!(
            toml::from_str::<DcganConfig>("image_channels = 1\nimage_size = 28\nndf2 = 3").is_err()
        );
        assert!(toml::from_str::<DcganConfig>(
            "image_channels = 1\nimage_size = 28\ngenerator_norm = \"layer\""
        )
        .is_err());
    }
}
