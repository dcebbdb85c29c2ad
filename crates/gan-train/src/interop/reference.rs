//! [`Reference`]: which PyTorch reference module (`scripts/pytorch_models.py`) a config's
//! generator or discriminator is, with the constructor arguments that fix its state dict.
//! Networks with anything the reference modules lack are refused, naming the config key.

use serde::Serialize;

use gan_models::spec::LatentDistribution;
use gan_models::{Activation, HeadsConfig, Norm, PixelRange, WeightNorm, DCGAN_IMAGE_SIZES};

use super::error::InteropError;
use super::layout::Layout;
use super::{dcgan, mlp};
use crate::config::{DiscriminatorSpec, ExperimentConfig, GeneratorSpec};
use crate::error::Result;
use crate::experiment::{self, DataShape};

/// One of a GAN's two networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// The generator (`gen/` in checkpoints).
    Generator,
    /// The discriminator (`disc/` in checkpoints).
    Discriminator,
}

impl Net {
    /// `generator` or `discriminator`.
    pub fn name(self) -> &'static str {
        match self {
            Net::Generator => "generator",
            Net::Discriminator => "discriminator",
        }
    }

    /// The var-store root the network is built under (`gen`, `disc`).
    pub fn root(self) -> &'static str {
        match self {
            Net::Generator => "gen",
            Net::Discriminator => "disc",
        }
    }
}

/// A PyTorch reference module and its constructor arguments. Serialized (JSON, tagged by
/// `kind`) it is what exported files record under [`super::REFERENCE_METADATA_KEY`] and
/// what `pytorch_models.build(spec)` takes.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    /// `DcganGenerator(nz, ngf, nc, image_size)`: the DCGAN example's generator.
    DcganGenerator {
        /// Latent width (noise plus any InfoGAN code).
        nz: i64,
        /// Base width.
        ngf: i64,
        /// Image channels.
        nc: i64,
        /// 28, 32 or 64.
        image_size: i64,
    },
    /// `DcganDiscriminator(ndf, nc, image_size)`: the example's discriminator, returning
    /// logits.
    DcganDiscriminator {
        /// Base width.
        ndf: i64,
        /// Image channels.
        nc: i64,
        /// 28, 32 or 64.
        image_size: i64,
    },
    /// `MlpGenerator(sizes, activation, output_activation)`.
    MlpGenerator {
        /// Layer widths: latent, hidden…, data dimension.
        sizes: Vec<i64>,
        /// Hidden activation.
        activation: Activation,
        /// Output activation.
        output_activation: Activation,
    },
    /// `MlpDiscriminator(sizes, activation, dropout)`, returning logits.
    MlpDiscriminator {
        /// Layer widths: data dimension, hidden…, 1.
        sizes: Vec<i64>,
        /// Hidden activation.
        activation: Activation,
        /// Dropout after each hidden activation (training only).
        dropout: f64,
    },
    /// `AffineGenerator(dim)`: `G(z) = scale ⊙ z + shift` (gan-rs's linear generator).
    AffineGenerator {
        /// Data (and latent) dimension.
        dim: i64,
    },
}

/// The reference modules work on `[−1, 1]` pixels, as the rest of gan-rs does outside
/// the networks.
fn refuse_zero_one_pixels(config: &ExperimentConfig) -> Result<()> {
    match &config.data.dataset {
        Some(d) if d.pixel_range == PixelRange::ZeroOne => Err(unsupported(
            "data.dataset.pixel_range",
            "is \"zero_one\"; the reference modules take images in [−1, 1]",
        )),
        _ => Ok(()),
    }
}

fn unsupported(key: &str, reason: impl Into<String>) -> crate::TrainError {
    InteropError::Unsupported {
        key: key.into(),
        reason: reason.into(),
    }
    .into()
}

impl Reference {
    /// The reference module of `config`'s `net` for data of `shape`, or an error naming
    /// the config key that has no counterpart in PyTorch.
    pub fn of(config: &ExperimentConfig, shape: &DataShape, net: Net) -> Result<Self> {
        match net {
            Net::Generator => Self::generator(config, shape),
            Net::Discriminator => Self::discriminator(config, shape),
        }
    }

    fn generator(config: &ExperimentConfig, shape: &DataShape) -> Result<Self> {
        if config.variant.label_conditioned() {
            return Err(unsupported(
                "variant.kind",
                format!(
                    "\"{}\" gives the generator a label embedding (num_classes); the \
                     reference generators are unconditional",
                    config.variant.name()
                ),
            ));
        }
        refuse_zero_one_pixels(config)?;
        let data_dim: i64 = shape.sample_shape.iter().product();
        let code_dim = config.variant.code_dim();
        Ok(match &config.generator {
            GeneratorSpec::Linear => Reference::AffineGenerator { dim: data_dim },
            GeneratorSpec::Mlp(spec) => {
                let refused = [
                    (spec.batch_norm, "generator.batch_norm"),
                    (
                        spec.weight_norm != WeightNorm::None,
                        "generator.weight_norm",
                    ),
                    (
                        spec.latent_distribution != LatentDistribution::Normal,
                        "generator.latent_distribution",
                    ),
                ];
                if let Some((_, key)) = refused.iter().find(|(on, _)| *on) {
                    return Err(unsupported(
                        key,
                        "is set, and the reference MLP generator has no such feature",
                    ));
                }
                let mut sizes = vec![spec.latent_dim + code_dim];
                sizes.extend(&spec.hidden);
                sizes.push(data_dim);
                Reference::MlpGenerator {
                    sizes,
                    activation: spec.activation,
                    output_activation: spec.output_activation,
                }
            }
            GeneratorSpec::Infogan(_) => {
                return Err(unsupported(
                    "generator.kind",
                    "\"infogan\" (InfoGAN's MNIST network) has no reference module",
                ))
            }
            GeneratorSpec::Dcgan(spec) => {
                if spec.norm != Norm::Batch {
                    return Err(unsupported(
                        "generator.norm",
                        format!(
                            "{:?} normalization is not the DCGAN example's batch norm",
                            spec.norm
                        )
                        .to_lowercase(),
                    ));
                }
                let (nc, image_size) = image_shape(shape, "generator.kind")?;
                Reference::DcganGenerator {
                    nz: spec.latent_dim + code_dim,
                    ngf: spec.ngf,
                    nc,
                    image_size,
                }
            }
        })
    }

    fn discriminator(config: &ExperimentConfig, shape: &DataShape) -> Result<Self> {
        let member = experiment::build_member_for_inference(config)?;
        if member.heads(shape.num_classes)? != HeadsConfig::default() {
            return Err(unsupported(
                "variant.kind",
                format!(
                    "\"{}\" adds heads to the discriminator (auxiliary classes, InfoGAN's Q \
                     or semi-supervised class logits); the reference discriminators have \
                     one score",
                    config.variant.name()
                ),
            ));
        }
        if member.conditions_discriminator() {
            return Err(unsupported(
                "variant.kind",
                format!(
                    "\"{}\" gives the discriminator a label embedding (num_classes, a \
                     projection term); the reference discriminators are unconditional",
                    config.variant.name()
                ),
            ));
        }
        refuse_zero_one_pixels(config)?;
        let data_dim: i64 = shape.sample_shape.iter().product();
        match &config.discriminator {
            DiscriminatorSpec::Mlp(spec) => {
                let refused = [
                    (
                        spec.minibatch_discrimination.is_some(),
                        "discriminator.minibatch_discrimination",
                    ),
                    (spec.minibatch_std, "discriminator.minibatch_std"),
                    (spec.input_noise > 0.0, "discriminator.input_noise"),
                    (spec.hidden_noise > 0.0, "discriminator.hidden_noise"),
                    (
                        spec.weight_norm != WeightNorm::None,
                        "discriminator.weight_norm",
                    ),
                ];
                if let Some((_, key)) = refused.iter().find(|(on, _)| *on) {
                    return Err(unsupported(
                        key,
                        "is on, and the reference MLP discriminator has no such feature",
                    ));
                }
                let mut sizes = vec![data_dim];
                sizes.extend(&spec.hidden);
                sizes.push(1);
                Ok(Reference::MlpDiscriminator {
                    sizes,
                    activation: spec.activation,
                    dropout: spec.dropout,
                })
            }
            DiscriminatorSpec::Dcgan(spec) => {
                let refused = [
                    (
                        spec.minibatch_discrimination.is_some(),
                        "discriminator.minibatch_discrimination",
                        "is on (a linear head on minibatch features)",
                    ),
                    (
                        spec.minibatch_std,
                        "discriminator.minibatch_std",
                        "is on (an extra minibatch-std channel)",
                    ),
                    (
                        !spec.features_layer_batch_norm,
                        "discriminator.features_layer_batch_norm",
                        "is false (the last block then has a biased conv and no batch norm)",
                    ),
                ];
                if let Some((_, key, what)) = refused.iter().find(|(on, _, _)| *on) {
                    return Err(unsupported(
                        key,
                        format!("{what}, which the DCGAN example's discriminator lacks"),
                    ));
                }
                let (nc, image_size) = image_shape(shape, "discriminator.kind")?;
                Ok(Reference::DcganDiscriminator {
                    ndf: spec.ndf,
                    nc,
                    image_size,
                })
            }
            DiscriminatorSpec::Autoencoder(_) => Err(unsupported(
                "discriminator.kind",
                "\"autoencoder\" (EBGAN's energy discriminator) has no reference module",
            )),
            DiscriminatorSpec::Infogan(_) => Err(unsupported(
                "discriminator.kind",
                "\"infogan\" (InfoGAN's MNIST network) has no reference module",
            )),
        }
    }

    /// Which network this module is.
    pub fn net(&self) -> Net {
        match self {
            Reference::DcganGenerator { .. }
            | Reference::MlpGenerator { .. }
            | Reference::AffineGenerator { .. } => Net::Generator,
            Reference::DcganDiscriminator { .. } | Reference::MlpDiscriminator { .. } => {
                Net::Discriminator
            }
        }
    }

    /// The module's state dict and the gan-rs variables it maps onto.
    pub fn layout(&self) -> Layout {
        match self {
            Reference::DcganGenerator {
                nz,
                ngf,
                nc,
                image_size,
            } => dcgan::generator_layout(*nz, *ngf, *nc, *image_size),
            Reference::DcganDiscriminator {
                ndf,
                nc,
                image_size,
            } => dcgan::discriminator_layout(*ndf, *nc, *image_size),
            Reference::MlpGenerator { sizes, .. } => mlp::mlp_layout(sizes, false),
            Reference::MlpDiscriminator { sizes, dropout, .. } => {
                mlp::mlp_layout(sizes, *dropout > 0.0)
            }
            Reference::AffineGenerator { dim } => mlp::affine_layout(*dim),
        }
    }

    /// The module as a Python constructor call, e.g.
    /// `DcganGenerator(nz=100, ngf=64, nc=3, image_size=64)`.
    pub fn module_call(&self) -> String {
        let act = |a: &Activation| {
            serde_json::to_string(a).expect("an activation serializes as a string")
        };
        match self {
            Reference::DcganGenerator {
                nz,
                ngf,
                nc,
                image_size,
            } => format!("DcganGenerator(nz={nz}, ngf={ngf}, nc={nc}, image_size={image_size})"),
            Reference::DcganDiscriminator {
                ndf,
                nc,
                image_size,
            } => format!("DcganDiscriminator(ndf={ndf}, nc={nc}, image_size={image_size})"),
            Reference::MlpGenerator {
                sizes,
                activation,
                output_activation,
            } => format!(
                "MlpGenerator(sizes={sizes:?}, activation={}, output_activation={})",
                act(activation),
                act(output_activation)
            ),
            Reference::MlpDiscriminator {
                sizes,
                activation,
                dropout,
            } => format!(
                "MlpDiscriminator(sizes={sizes:?}, activation={}, dropout={dropout:?})",
                act(activation)
            ),
            Reference::AffineGenerator { dim } => format!("AffineGenerator(dim={dim})"),
        }
    }

    /// The module as JSON (`{"kind": "dcgan_generator", "nz": 100, …}`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a reference module serializes")
    }
}

/// `(channels, size)` of the DCGAN's square images; errors name `key`.
fn image_shape(shape: &DataShape, key: &str) -> Result<(i64, i64)> {
    match shape.sample_shape[..] {
        [c, h, w] if h == w && DCGAN_IMAGE_SIZES.contains(&h) => Ok((c, h)),
        _ => Err(unsupported(
            key,
            format!(
                "a DCGAN needs square images of size {DCGAN_IMAGE_SIZES:?}, the data have \
                 samples of shape {:?}",
                shape.sample_shape
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = r#"
        name = "t"
        [data.dataset]
        name = "cifar10"
        [generator]
        kind = "dcgan"
        latent_dim = 8
        ngf = 4
        [discriminator]
        kind = "dcgan"
        ndf = 4
    "#;

    const TOY: &str = r#"
        name = "t"
        [data.toy]
        kind = "ring"
        modes = 8
        radius = 1.0
        std = 0.01
        [generator]
        kind = "mlp"
        latent_dim = 3
        hidden = [16, 8]
        [discriminator]
        kind = "mlp"
        hidden = [16]
        dropout = 0.25
    "#;

    fn image_shape_32() -> DataShape {
        DataShape {
            sample_shape: vec![3, 32, 32],
            num_classes: Some(10),
        }
    }

    fn toy_shape() -> DataShape {
        DataShape {
            sample_shape: vec![2],
            num_classes: None,
        }
    }

    fn config(text: &str, overrides: &[&str]) -> ExperimentConfig {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        ExperimentConfig::from_toml_str(text, &o).unwrap()
    }

    fn refused_key(text: &str, overrides: &[&str], shape: &DataShape, net: Net) -> String {
        match Reference::of(&config(text, overrides), shape, net) {
            Err(crate::TrainError::Interop(InteropError::Unsupported { key, .. })) => key,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn plain_networks_resolve_to_their_modules() {
        let c = config(IMAGE, &[]);
        let g = Reference::of(&c, &image_shape_32(), Net::Generator).unwrap();
        assert_eq!(
            g.module_call(),
            "DcganGenerator(nz=8, ngf=4, nc=3, image_size=32)"
        );
        assert_eq!(g.net(), Net::Generator);
        let d = Reference::of(&c, &image_shape_32(), Net::Discriminator).unwrap();
        assert_eq!(
            d.to_json(),
            r#"{"kind":"dcgan_discriminator","ndf":4,"nc":3,"image_size":32}"#
        );
        // InfoGAN's generator is plain, with the code appended to z; its D has a Q head.
        let c = config(IMAGE, &["variant.kind=\"infogan\""]);
        let g = Reference::of(&c, &image_shape_32(), Net::Generator).unwrap();
        assert_eq!(
            g,
            Reference::DcganGenerator {
                nz: 8 + 10 + 2,
                ngf: 4,
                nc: 3,
                image_size: 32
            }
        );
        assert_eq!(
            refused_key(
                IMAGE,
                &["variant.kind=\"infogan\""],
                &image_shape_32(),
                Net::Discriminator
            ),
            "variant.kind"
        );
        let c = config(TOY, &[]);
        let g = Reference::of(&c, &toy_shape(), Net::Generator).unwrap();
        assert_eq!(
            g.module_call(),
            r#"MlpGenerator(sizes=[3, 16, 8, 2], activation="relu", output_activation="none")"#
        );
        let d = Reference::of(&c, &toy_shape(), Net::Discriminator).unwrap();
        assert_eq!(
            d.to_json(),
            r#"{"kind":"mlp_discriminator","sizes":[2,16,1],"activation":"leaky_relu","dropout":0.25}"#
        );
        assert_eq!(d.layout().tensors[2].reference, "main.3.weight");
        let linear = TOY.replace(
            "kind = \"mlp\"\n        latent_dim = 3\n        hidden = [16, 8]",
            "kind = \"linear\"",
        );
        let g = Reference::of(&config(&linear, &[]), &toy_shape(), Net::Generator).unwrap();
        assert_eq!(g, Reference::AffineGenerator { dim: 2 });
        assert_eq!(g.layout().tensors[1].reference, "shift");
    }

    #[test]
    fn everything_else_is_refused_by_config_key() {
        let s = image_shape_32();
        let d = Net::Discriminator;
        assert_eq!(
            refused_key(IMAGE, &["discriminator.minibatch_std=true"], &s, d),
            "discriminator.minibatch_std"
        );
        assert_eq!(
            refused_key(
                IMAGE,
                &["discriminator.features_layer_batch_norm=false"],
                &s,
                d
            ),
            "discriminator.features_layer_batch_norm"
        );
        assert_eq!(
            refused_key(
                IMAGE,
                &["discriminator.minibatch_discrimination={kernels=5, kernel_dim=3}"],
                &s,
                d
            ),
            "discriminator.minibatch_discrimination"
        );
        assert_eq!(
            refused_key(IMAGE, &["generator.norm=\"virtual\""], &s, Net::Generator),
            "generator.norm"
        );
        assert_eq!(
            refused_key(IMAGE, &["variant.kind=\"conditional\""], &s, Net::Generator),
            "variant.kind"
        );
        assert_eq!(
            refused_key(IMAGE, &["variant.kind=\"conditional\""], &s, d),
            "variant.kind"
        );
        assert_eq!(
            refused_key(IMAGE, &["variant.kind=\"acgan\""], &s, d),
            "variant.kind"
        );
        let t = toy_shape();
        assert_eq!(
            refused_key(TOY, &["discriminator.minibatch_std=true"], &t, d),
            "discriminator.minibatch_std"
        );
        assert_eq!(
            refused_key(TOY, &["discriminator.input_noise=0.1"], &t, d),
            "discriminator.input_noise"
        );
        let e = Reference::of(&config(IMAGE, &["discriminator.minibatch_std=true"]), &s, d)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`discriminator.minibatch_std`") && e.contains("pytorch_models.py"),
            "{e}"
        );
    }
}
