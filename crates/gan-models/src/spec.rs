//! Network specs: the data-independent part of each network's config, as an experiment
//! config writes it (`[generator]`, `[discriminator]`), with its defaults and
//! validation. A spec becomes a full model config ([`MlpConfig`], [`DcganConfig`]) once
//! the data are known: their shape, their classes, and the heads and codes the GAN
//! variant adds. gan-train's experiment configs hold these structs, so every network
//! setting has one definition, one default and one check, all here.
//!
//! Validation errors name the spec's own fields (`latent_dim`, `hidden`, `ngf`, …), so
//! a caller can prefix its section (`generator.latent_dim`).

use serde::{Deserialize, Serialize};

use crate::dcgan::{DcganConfig, Norm};
use crate::dense::WeightNorm;
use crate::error::{ModelError, Result};
use crate::heads::HeadsConfig;
use crate::infogan_nets::InfoGanConfig;
use crate::minibatch::MinibatchDiscriminationConfig;
use crate::{Activation, MlpConfig};

/// The widest layer a spec may ask for; wider is almost surely a typo, and would
/// allocate gigabytes before failing.
pub const MAX_LAYER_WIDTH: i64 = 1 << 16;

/// The widest DCGAN base width (`ngf`, `ndf`): the deepest block has 8× as many
/// channels, so 1024 already means 8192-channel 4×4 convolutions (over 2 GB of weights).
pub const MAX_DCGAN_WIDTH: i64 = 1024;
/// The largest virtual-batch-norm reference batch.
pub const MAX_VBN_REFERENCE_SIZE: i64 = 4096;

/// `value` within `1..=max`, else an error naming `field`.
fn ensure_at_most(field: &'static str, value: i64, max: i64) -> Result<()> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::invalid(
            field,
            format!("must be in 1..={max}, got {value}"),
        ))
    }
}

/// Latent width of the MLP generator by default (the toy experiments').
pub const DEFAULT_MLP_LATENT_DIM: i64 = 2;
/// Latent width of the DCGAN generator by default (Radford et al.).
pub const DEFAULT_DCGAN_LATENT_DIM: i64 = 100;
/// DCGAN base width `ngf` / `ndf` by default (PyTorch's example).
pub const DEFAULT_DCGAN_WIDTH: i64 = 64;
/// Virtual-batch-norm reference batch size by default.
pub const DEFAULT_VBN_REFERENCE_SIZE: i64 = 64;
/// Real samples in the batch the data-dependent initialisation of a weight-normalised
/// discriminator sees (`improved-gan` uses 500).
pub const DEFAULT_DATA_INIT_SAMPLES: i64 = 500;
/// The largest data-dependent initialisation batch.
pub const MAX_DATA_INIT_SAMPLES: i64 = 65_536;

/// The distribution of the generator's noise input `z` (serde: `normal | uniform`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LatentDistribution {
    /// `N(0, 1)` per entry.
    #[default]
    Normal,
    /// `U(0, 1)` per entry (Salimans et al.'s MNIST generator), made inside the generator
    /// as `Φ(z)` of the trainer's normal draw, so truncation, traversals and latent files
    /// work unchanged. InfoGAN codes stay as they are.
    Uniform,
}

/// `value` within `1..=MAX_LAYER_WIDTH`, else an error naming `field`.
pub fn ensure_layer_width(field: &'static str, value: i64) -> Result<()> {
    if (1..=MAX_LAYER_WIDTH).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::invalid(
            field,
            format!("layer sizes must be in 1..={MAX_LAYER_WIDTH}, got {value}"),
        ))
    }
}

/// An MLP generator: `z [N, latent_dim] → x [N, data_dim]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MlpGeneratorSpec {
    /// Width of the noise `z` (default [`DEFAULT_MLP_LATENT_DIM`] = 2); InfoGAN's codes
    /// are added on top.
    #[serde(default = "default_mlp_latent")]
    pub latent_dim: i64,
    /// Hidden layer widths, input side first (e.g. `[64, 64]`; may be empty).
    pub hidden: Vec<i64>,
    /// Activation after each hidden layer (default `relu`).
    #[serde(default = "relu")]
    pub activation: Activation,
    /// Output activation: `none` for toy data, `tanh` for images in [−1, 1], `sigmoid`
    /// for images in [0, 1] (`data.dataset.pixel_range = "zero_one"`).
    #[serde(default = "none")]
    pub output_activation: Activation,
    /// Batch norm (learned shift, no scale) on every hidden pre-activation.
    #[serde(default)]
    pub batch_norm: bool,
    /// Weight-normalised layers: `none` (default), `output` or `all`.
    #[serde(default)]
    pub weight_norm: WeightNorm,
    /// The noise distribution: `normal` (default) or `uniform` on [0, 1].
    #[serde(default)]
    pub latent_distribution: LatentDistribution,
}

impl MlpGeneratorSpec {
    /// Field ranges (before any data is known).
    pub fn validate(&self) -> Result<()> {
        ensure_layer_width("latent_dim", self.latent_dim)?;
        self.config(1, None, 0).validate()
    }

    /// The model config for `data_dim`-wide samples; `num_classes` for a label-
    /// conditioned generator, `code_dim` extra latent inputs (InfoGAN's codes).
    pub fn config(&self, data_dim: i64, num_classes: Option<i64>, code_dim: i64) -> MlpConfig {
        let uniform_latent_dims = match self.latent_distribution {
            LatentDistribution::Normal => 0,
            LatentDistribution::Uniform => self.latent_dim,
        };
        MlpConfig {
            activation: self.activation,
            output_activation: self.output_activation,
            num_classes,
            batch_norm: self.batch_norm,
            weight_norm: self.weight_norm,
            uniform_latent_dims,
            ..MlpConfig::new(self.latent_dim + code_dim, self.hidden.clone(), data_dim)
        }
    }
}

/// An MLP discriminator: `x [N, data_dim] → score [N]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MlpDiscriminatorSpec {
    /// Hidden layer widths, input side first (e.g. `[64, 64]`; may be empty).
    pub hidden: Vec<i64>,
    /// Activation after each hidden layer (default `leaky_relu`, slope 0.2).
    #[serde(default = "leaky_relu")]
    pub activation: Activation,
    /// Dropout probability after each hidden layer (0 = off).
    #[serde(default)]
    pub dropout: f64,
    /// Minibatch discrimination before the output layer (Salimans et al. 2016),
    /// e.g. `{ kernels = 5, kernel_dim = 3 }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minibatch_discrimination: Option<MinibatchDiscriminationConfig>,
    /// Append the minibatch-std feature before the output layer (Karras et al. 2018).
    #[serde(default)]
    pub minibatch_std: bool,
    /// Std of Gaussian noise added to D's input in training (0 = off).
    #[serde(default)]
    pub input_noise: f64,
    /// Std of Gaussian noise added after each hidden layer in training (0 = off).
    #[serde(default)]
    pub hidden_noise: f64,
    /// Weight-normalised layers (`none`, `output` or `all`), initialised from a batch of
    /// real data before the first step.
    #[serde(default)]
    pub weight_norm: WeightNorm,
    /// Size of that initialisation batch (default [`DEFAULT_DATA_INIT_SAMPLES`]; only with
    /// weight normalisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_init_samples: Option<i64>,
}

impl MlpDiscriminatorSpec {
    /// Field ranges (before any data is known).
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = self.data_init_samples {
            if self.weight_norm == WeightNorm::None {
                return Err(ModelError::invalid(
                    "data_init_samples",
                    "applies only with weight_norm = \"all\" or \"output\"",
                ));
            }
            ensure_at_most("data_init_samples", n, MAX_DATA_INIT_SAMPLES)?;
            if n < 2 {
                return Err(ModelError::invalid(
                    "data_init_samples",
                    format!("needs at least 2 samples for a variance, got {n}"),
                ));
            }
        }
        self.config(1, None, HeadsConfig::default()).validate()
    }

    /// Real samples for the data-dependent initialisation, when D has weight-normalised
    /// layers (`None` otherwise).
    pub fn data_init_samples(&self) -> Option<i64> {
        (self.weight_norm != WeightNorm::None)
            .then(|| self.data_init_samples.unwrap_or(DEFAULT_DATA_INIT_SAMPLES))
    }

    /// The model config for `data_dim`-wide samples; `num_classes` for a projection
    /// discriminator, `heads` as the GAN variant asks.
    pub fn config(&self, data_dim: i64, num_classes: Option<i64>, heads: HeadsConfig) -> MlpConfig {
        MlpConfig {
            activation: self.activation,
            dropout: self.dropout,
            minibatch_discrimination: self.minibatch_discrimination,
            minibatch_std: self.minibatch_std,
            num_classes,
            heads,
            input_noise: self.input_noise,
            hidden_noise: self.hidden_noise,
            weight_norm: self.weight_norm,
            ..MlpConfig::new(data_dim, self.hidden.clone(), 1)
        }
    }
}

/// The DCGAN generator (Radford et al.) for the data's image shape (28, 32 or 64 px).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DcganGeneratorSpec {
    /// Width of the noise `z` (default [`DEFAULT_DCGAN_LATENT_DIM`] = 100); InfoGAN's
    /// codes are added on top.
    #[serde(default = "default_dcgan_latent")]
    pub latent_dim: i64,
    /// Base width `ngf` (PyTorch's example: 64).
    #[serde(default = "default_dcgan_width")]
    pub ngf: i64,
    /// Hidden-layer normalization: `batch`, `virtual` (VBN) or `none`.
    #[serde(default)]
    pub norm: Norm,
    /// Reference batch size for `norm = "virtual"` (default 64); refused with another
    /// norm, where it would do nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vbn_reference_size: Option<i64>,
}

impl DcganGeneratorSpec {
    /// Field ranges (before any data is known).
    pub fn validate(&self) -> Result<()> {
        if self.vbn_reference_size.is_some() && self.norm != Norm::Virtual {
            return Err(ModelError::invalid(
                "vbn_reference_size",
                "applies only with norm = \"virtual\"",
            ));
        }
        ensure_layer_width("latent_dim", self.latent_dim)?;
        ensure_at_most("ngf", self.ngf, MAX_DCGAN_WIDTH)?;
        if let Some(r) = self.vbn_reference_size {
            ensure_at_most("vbn_reference_size", r, MAX_VBN_REFERENCE_SIZE)?;
        }
        self.config(1, 28, None, 0).validate()
    }

    /// The model config for `[channels, size, size]` images; `num_classes` for a
    /// label-conditioned generator, `code_dim` extra latent inputs.
    pub fn config(
        &self,
        channels: i64,
        size: i64,
        num_classes: Option<i64>,
        code_dim: i64,
    ) -> DcganConfig {
        DcganConfig {
            latent_dim: self.latent_dim + code_dim,
            num_classes,
            ngf: self.ngf,
            generator_norm: self.norm,
            vbn_reference_size: self
                .vbn_reference_size
                .unwrap_or(DEFAULT_VBN_REFERENCE_SIZE),
            ..DcganConfig::new(channels, size)
        }
    }
}

/// The DCGAN discriminator for the data's image shape (28, 32 or 64 px).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DcganDiscriminatorSpec {
    /// Base width `ndf` (PyTorch's example: 64).
    #[serde(default = "default_dcgan_width")]
    pub ndf: i64,
    /// Minibatch discrimination before the score (Salimans et al. 2016).
    #[serde(default)]
    pub minibatch_discrimination: Option<MinibatchDiscriminationConfig>,
    /// Append a minibatch-std channel to the last block.
    #[serde(default)]
    pub minibatch_std: bool,
    /// Batch norm on the feature layer (set false for feature matching).
    #[serde(default = "yes")]
    pub features_layer_batch_norm: bool,
}

impl DcganDiscriminatorSpec {
    /// Field ranges (before any data is known).
    pub fn validate(&self) -> Result<()> {
        ensure_at_most("ndf", self.ndf, MAX_DCGAN_WIDTH)?;
        self.config(1, 28, None, HeadsConfig::default()).validate()
    }

    /// The model config for `[channels, size, size]` images; `num_classes` for a
    /// projection discriminator, `heads` as the GAN variant asks.
    pub fn config(
        &self,
        channels: i64,
        size: i64,
        num_classes: Option<i64>,
        heads: HeadsConfig,
    ) -> DcganConfig {
        DcganConfig {
            ndf: self.ndf,
            minibatch_discrimination: self.minibatch_discrimination,
            minibatch_std: self.minibatch_std,
            features_layer_batch_norm: self.features_layer_batch_norm,
            num_classes,
            heads,
            ..DcganConfig::new(channels, size)
        }
    }
}

/// Noise width of InfoGAN's MNIST generator by default (the paper: 62, plus 12 code values).
pub const DEFAULT_INFOGAN_LATENT_DIM: i64 = 62;

/// InfoGAN's MNIST generator (Chen et al. 2016) for 28×28 images.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InfoGanGeneratorSpec {
    /// Width of the noise `z` (default [`DEFAULT_INFOGAN_LATENT_DIM`] = 62); the codes are
    /// added on top.
    #[serde(default = "default_infogan_latent")]
    pub latent_dim: i64,
}

impl InfoGanGeneratorSpec {
    /// Field ranges (before any data is known).
    pub fn validate(&self) -> Result<()> {
        self.config(1, 0).validate()
    }

    /// The model config for `channels`-channel images with `code_dim` code inputs.
    pub fn config(&self, channels: i64, code_dim: i64) -> InfoGanConfig {
        InfoGanConfig::new(channels, self.latent_dim + code_dim)
    }
}

/// InfoGAN's MNIST discriminator (and Q body) for 28×28 images; it has no settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct InfoGanDiscriminatorSpec {}

impl InfoGanDiscriminatorSpec {
    /// The model config for `channels`-channel images with the variant's `heads`.
    pub fn config(&self, channels: i64, heads: HeadsConfig) -> InfoGanConfig {
        InfoGanConfig {
            heads,
            ..InfoGanConfig::new(channels, 1)
        }
    }
}

fn default_infogan_latent() -> i64 {
    DEFAULT_INFOGAN_LATENT_DIM
}
fn default_mlp_latent() -> i64 {
    DEFAULT_MLP_LATENT_DIM
}
fn default_dcgan_latent() -> i64 {
    DEFAULT_DCGAN_LATENT_DIM
}
fn default_dcgan_width() -> i64 {
    DEFAULT_DCGAN_WIDTH
}
fn yes() -> bool {
    true
}
fn relu() -> Activation {
    Activation::Relu
}
fn leaky_relu() -> Activation {
    Activation::LeakyRelu
}
fn none() -> Activation {
    Activation::None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ModelError) -> &'static str {
        match e {
            ModelError::InvalidConfig { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn defaults_come_from_one_place() {
        let g: MlpGeneratorSpec = toml::from_str("hidden = [8]").unwrap();
        assert_eq!(g.latent_dim, DEFAULT_MLP_LATENT_DIM);
        assert_eq!(g.activation, Activation::Relu);
        let d: MlpDiscriminatorSpec = toml::from_str("hidden = [8]").unwrap();
        assert_eq!(d.activation, Activation::LeakyRelu);
        let dc: DcganGeneratorSpec = toml::from_str("").unwrap();
        let full = dc.config(1, 28, None, 0);
        assert_eq!((full.latent_dim, full.ngf), (100, 64));
        assert_eq!(full.vbn_reference_size, DEFAULT_VBN_REFERENCE_SIZE);
        assert!(toml::from_str::<DcganGeneratorSpec>("ngf2 = 3").is_err());
    }

    #[test]
    fn validation_names_the_spec_field() {
        let g = MlpGeneratorSpec {
            latent_dim: 0,
            ..toml::from_str("hidden = [8]").unwrap()
        };
        assert_eq!(field_of(g.validate().unwrap_err()), "latent_dim");
        let d = MlpDiscriminatorSpec {
            dropout: 1.0,
            ..toml::from_str("hidden = [8]").unwrap()
        };
        assert_eq!(field_of(d.validate().unwrap_err()), "dropout");
        let d: MlpDiscriminatorSpec = toml::from_str("hidden = [70000]").unwrap();
        assert_eq!(field_of(d.validate().unwrap_err()), "hidden");
        let g: DcganGeneratorSpec = toml::from_str("vbn_reference_size = 64").unwrap();
        assert_eq!(field_of(g.validate().unwrap_err()), "vbn_reference_size");
        let g: DcganGeneratorSpec =
            toml::from_str("norm = \"virtual\"\nvbn_reference_size = 0").unwrap();
        assert_eq!(field_of(g.validate().unwrap_err()), "vbn_reference_size");
        let d: DcganDiscriminatorSpec = toml::from_str("ndf = 0").unwrap();
        assert_eq!(field_of(d.validate().unwrap_err()), "ndf");
    }
}
