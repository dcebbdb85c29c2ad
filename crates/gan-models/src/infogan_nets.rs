//! InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1, Table 1), for 28×28 images
//! ([`InfoGanConfig`]):
//!
//! | network | layers |
//! | --- | --- |
//! | D and Q (shared body) | 4×4 conv 64, stride 2, LeakyReLU → 4×4 conv 128, stride 2, BN, LeakyReLU → FC 1024, BN, LeakyReLU |
//! | D's output | FC 1 (K (+1) with a semi-supervised head) |
//! | Q | FC 128, BN, LeakyReLU → FC to the code's parameters ([`crate::heads`]) |
//! | G | FC 1024, BN, ReLU → FC 7×7×128, BN, ReLU → 4×4 up-conv 64, stride 2, BN, ReLU → 4×4 up-conv C, stride 2, tanh |
//!
//! `features` = the 1024-wide FC layer (after its LeakyReLU), which Q and the AC-GAN head
//! read. Convolution weights start from DCGAN's `N(0, 0.02)`, batch norm scales from
//! `N(1, 0.02)` ([`crate::dcgan`]). Variables: `gen.fc0`, `gen.bn0`, `gen.fc1`, `gen.bn1`,
//! `gen.up0`, `gen.bn2`, `gen.up1`; `disc.conv0`, `disc.conv1`, `disc.bn1`, `disc.fc`,
//! `disc.bn_fc`, `disc.out`, and the heads' `aux`, `q_hidden`, `q_bn`, `q_out`.

use serde::{Deserialize, Serialize};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

use crate::activation::LEAKY_RELU_SLOPE;
use crate::dcgan::{conv_weight_init, dcgan_batch_norm_config};
use crate::error::{ensure_positive, ModelError, Result};
use crate::heads::{score_and_class_logits, Heads, HeadsConfig, SemiSupervisedOutput};
use crate::leaky_relu::leaky_relu;
use crate::{DiscOutput, Discriminator, Generator};

/// Width of the shared fully connected layer (and of G's first layer).
pub const INFOGAN_FC: i64 = 1024;
/// Image side the networks are built for.
pub const INFOGAN_IMAGE_SIZE: i64 = 28;

/// Configuration of InfoGAN's MNIST generator and discriminator.
///
/// ```
/// use gan_models::{Discriminator, Generator, HeadsConfig, InfoGanConfig};
/// use tch::{nn::VarStore, Device, Kind, Tensor};
///
/// let vs = VarStore::new(Device::Cpu);
/// // 62 noise values + 10 one-hot + 2 continuous codes, as in the paper.
/// let g = InfoGanConfig::new(1, 74).build_generator(&(vs.root() / "gen")).unwrap();
/// let x = g.generate(&Tensor::randn([4, 74], (Kind::Float, Device::Cpu)), None, true);
/// assert_eq!(x.size(), [4, 1, 28, 28]);
/// let d_config = InfoGanConfig {
///     heads: HeadsConfig { q_dim: Some(14), ..HeadsConfig::default() },
///     ..InfoGanConfig::new(1, 74)
/// };
/// let d = d_config.build_discriminator(&(vs.root() / "disc")).unwrap();
/// let out = d.discriminate(&x, None, true);
/// assert_eq!(out.score.size(), [4]);
/// assert_eq!(out.features.unwrap().size(), [4, 1024]);
/// assert_eq!(out.q.unwrap().size(), [4, 14]);
/// ```
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InfoGanConfig {
    /// Image channels (1 for MNIST).
    pub image_channels: i64,
    /// Generator input width: noise plus InfoGAN codes (the paper: 62 + 10 + 2 = 74).
    pub latent_dim: i64,
    /// The discriminator's extra heads (InfoGAN's Q, AC-GAN's classes, semi-supervised).
    #[serde(default)]
    pub heads: HeadsConfig,
}

impl InfoGanConfig {
    /// A config for `image_channels`-channel 28×28 images and `latent_dim` inputs.
    pub fn new(image_channels: i64, latent_dim: i64) -> Self {
        InfoGanConfig {
            image_channels,
            latent_dim,
            heads: HeadsConfig::default(),
        }
    }

    /// Checks sizes and heads.
    pub fn validate(&self) -> Result<()> {
        ensure_positive("image_channels", self.image_channels)?;
        crate::spec::ensure_layer_width("latent_dim", self.latent_dim)?;
        self.heads.validate()
    }

    /// Builds the generator `z [N, latent_dim] → images [N, C, 28, 28]` in [−1, 1].
    pub fn build_generator(&self, p: &nn::Path) -> Result<InfoGanGenerator> {
        self.validate()?;
        if self.heads != HeadsConfig::default() {
            return Err(ModelError::invalid(
                "heads",
                "are a discriminator option; remove them from the generator config",
            ));
        }
        let bn = |name: &str, dim| nn::batch_norm1d(p / name, dim, dcgan_batch_norm_config());
        let bn2 = |name: &str, dim| nn::batch_norm2d(p / name, dim, dcgan_batch_norm_config());
        let up = |name: &str, i, o| {
            let cfg = nn::ConvTransposeConfig {
                stride: 2,
                padding: 1,
                ws_init: conv_weight_init(),
                ..Default::default()
            };
            nn::conv_transpose2d(p / name, i, o, 4, cfg)
        };
        Ok(InfoGanGenerator {
            fc0: nn::linear(p / "fc0", self.latent_dim, INFOGAN_FC, Default::default()),
            bn0: bn("bn0", INFOGAN_FC),
            fc1: nn::linear(p / "fc1", INFOGAN_FC, 128 * 7 * 7, Default::default()),
            bn1: bn("bn1", 128 * 7 * 7),
            up0: up("up0", 128, 64),
            bn2: bn2("bn2", 64),
            up1: up("up1", 64, self.image_channels),
            latent_dim: self.latent_dim,
        })
    }

    /// Builds the discriminator `images [N, C, 28, 28] → score [N]` with its heads.
    pub fn build_discriminator(&self, p: &nn::Path) -> Result<InfoGanDiscriminator> {
        self.validate()?;
        let conv = |name: &str, i, o, bias| {
            let cfg = nn::ConvConfig {
                stride: 2,
                padding: 1,
                bias,
                ws_init: conv_weight_init(),
                ..Default::default()
            };
            nn::conv2d(p / name, i, o, 4, cfg)
        };
        Ok(InfoGanDiscriminator {
            conv0: conv("conv0", self.image_channels, 64, true),
            conv1: conv("conv1", 64, 128, false),
            bn1: nn::batch_norm2d(p / "bn1", 128, dcgan_batch_norm_config()),
            fc: nn::linear(p / "fc", 128 * 7 * 7, INFOGAN_FC, Default::default()),
            bn_fc: nn::batch_norm1d(p / "bn_fc", INFOGAN_FC, dcgan_batch_norm_config()),
            out: nn::linear(
                p / "out",
                INFOGAN_FC,
                self.heads.output_width(),
                Default::default(),
            ),
            heads: Heads::with_q_batch_norm(p, INFOGAN_FC, &self.heads)?,
            semi_supervised: self.heads.semi_supervised,
        })
    }
}

/// InfoGAN's MNIST generator, built by [`InfoGanConfig::build_generator`].
#[derive(Debug)]
pub struct InfoGanGenerator {
    fc0: nn::Linear,
    bn0: nn::BatchNorm,
    fc1: nn::Linear,
    bn1: nn::BatchNorm,
    up0: nn::ConvTranspose2D,
    bn2: nn::BatchNorm,
    up1: nn::ConvTranspose2D,
    latent_dim: i64,
}

impl Generator for InfoGanGenerator {
    fn latent_dim(&self) -> i64 {
        self.latent_dim
    }

    fn generate(&self, z: &Tensor, _labels: Option<&Tensor>, train: bool) -> Tensor {
        let h = self.bn0.forward_t(&self.fc0.forward(z), train).relu();
        let h = self.bn1.forward_t(&self.fc1.forward(&h), train).relu();
        let h = h.view([-1, 128, 7, 7]);
        let h = self.bn2.forward_t(&self.up0.forward(&h), train).relu();
        self.up1.forward(&h).tanh()
    }
}

/// InfoGAN's MNIST discriminator (with Q sharing its body), built by
/// [`InfoGanConfig::build_discriminator`].
#[derive(Debug)]
pub struct InfoGanDiscriminator {
    conv0: nn::Conv2D,
    conv1: nn::Conv2D,
    bn1: nn::BatchNorm,
    fc: nn::Linear,
    bn_fc: nn::BatchNorm,
    out: nn::Linear,
    heads: Heads,
    semi_supervised: Option<SemiSupervisedOutput>,
}

impl Discriminator for InfoGanDiscriminator {
    fn discriminate(&self, x: &Tensor, _labels: Option<&Tensor>, train: bool) -> DiscOutput {
        let h = leaky_relu(&self.conv0.forward(x), LEAKY_RELU_SLOPE);
        let h = self.bn1.forward_t(&self.conv1.forward(&h), train);
        let h = leaky_relu(&h, LEAKY_RELU_SLOPE).flatten(1, -1);
        let features = leaky_relu(
            &self.bn_fc.forward_t(&self.fc.forward(&h), train),
            LEAKY_RELU_SLOPE,
        );
        let (score, semi_logits) =
            score_and_class_logits(self.out.forward(&features), self.semi_supervised);
        let (aux_logits, q) = self.heads.apply(&features, train);
        DiscOutput {
            score,
            features: Some(features),
            class_logits: semi_logits.or(aux_logits),
            q,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    #[test]
    fn layers_have_the_papers_widths() {
        let vs = VarStore::new(Device::Cpu);
        let cfg = InfoGanConfig {
            heads: HeadsConfig {
                q_dim: Some(14),
                ..HeadsConfig::default()
            },
            ..InfoGanConfig::new(1, 74)
        };
        InfoGanConfig::new(1, 74)
            .build_generator(&(vs.root() / "gen"))
            .unwrap();
        cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
        let v = vs.variables();
        for (name, shape) in [
            ("gen.fc0.weight", vec![1024, 74]),
            ("gen.fc1.weight", vec![6272, 1024]),
            ("gen.up0.weight", vec![128, 64, 4, 4]),
            ("gen.up1.weight", vec![64, 1, 4, 4]),
            ("disc.conv0.weight", vec![64, 1, 4, 4]),
            ("disc.conv1.weight", vec![128, 64, 4, 4]),
            ("disc.fc.weight", vec![1024, 6272]),
            ("disc.out.weight", vec![1, 1024]),
            ("disc.q_hidden.weight", vec![128, 1024]),
            ("disc.q_bn.weight", vec![128]),
            ("disc.q_out.weight", vec![14, 128]),
        ] {
            assert_eq!(v[name].size(), shape, "{name}");
        }
        // conv1 feeds batch norm: no bias, as in DCGAN.
        assert!(!v.contains_key("disc.conv1.bias"));
    }

    #[test]
    fn q_batch_norm_uses_batch_statistics_only_in_training() {
        tch::manual_seed(0);
        let vs = VarStore::new(Device::Cpu);
        let cfg = InfoGanConfig {
            heads: HeadsConfig {
                q_dim: Some(4),
                ..HeadsConfig::default()
            },
            ..InfoGanConfig::new(1, 8)
        };
        let d = cfg.build_discriminator(&vs.root()).unwrap();
        let x = Tensor::randn([6, 1, 28, 28], (Kind::Float, Device::Cpu));
        let train_q = d.discriminate(&x, None, true).q.unwrap();
        let eval_q = d.discriminate(&x, None, false).q.unwrap();
        assert!((train_q - eval_q).abs().max().double_value(&[]) > 1e-4);
        // Eval mode is per-sample: one image alone gives its row of the batch.
        let one = d.discriminate(&x.narrow(0, 2, 1), None, false).q.unwrap();
        let batch = d.discriminate(&x, None, false).q.unwrap().narrow(0, 2, 1);
        assert!((one - batch).abs().max().double_value(&[]) < 1e-5);
    }

    #[test]
    fn generator_heads_are_refused() {
        let vs = VarStore::new(Device::Cpu);
        let cfg = InfoGanConfig {
            heads: HeadsConfig {
                q_dim: Some(4),
                ..HeadsConfig::default()
            },
            ..InfoGanConfig::new(1, 8)
        };
        assert!(cfg.build_generator(&vs.root()).is_err());
        assert!(InfoGanConfig::new(0, 8)
            .build_discriminator(&vs.root())
            .is_err());
    }
}
