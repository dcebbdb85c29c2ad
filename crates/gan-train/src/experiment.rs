//! Turning an [`ExperimentConfig`] into live parts: the data source and both networks
//! with their variable stores, all seeded from `config.seed`.

use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, Device, Tensor};

use gan_data::{Source, ToySource};
use gan_models::{
    to_channels_last, Discriminator, Footprint, Generator, LinearGeneratorConfig, PixelRange,
    ZeroOneDiscriminator, ZeroOneGenerator, DCGAN_IMAGE_SIZES,
};

use crate::config::{model_error, DatasetSpec, DiscriminatorSpec, ExperimentConfig, GeneratorSpec};
use crate::error::{Result, TrainError};
use crate::family::{self, FamilyMember};
use crate::rng;
use crate::variant::Variant;

/// The built parts of an experiment.
pub struct Parts {
    /// The generator's variables (under `gen/`).
    pub gen_vs: VarStore,
    /// The discriminator's variables (under `disc/`).
    pub disc_vs: VarStore,
    /// The generator network.
    pub generator: Box<dyn Generator>,
    /// The discriminator network.
    pub discriminator: Box<dyn Discriminator>,
    /// The training data.
    pub source: Box<dyn Source>,
    /// The member of the GAN family (its heads are already in the discriminator).
    pub member: Box<dyn FamilyMember>,
}

/// The registry of the GAN family: the [`FamilyMember`] that a config's `[variant]`
/// names, with the data it trains on (the semi-supervised GAN's labelled subset).
/// Adding a member means adding its file under `family/` and one arm in
/// `member_of`.
pub fn build_member(config: &ExperimentConfig) -> Result<Box<dyn FamilyMember>> {
    member_of(config, build_labeled_source(config)?)
}

/// The [`FamilyMember`] of `config` without its own data: enough to build the networks
/// (its heads), not to train. For inference handles, which read no training data.
pub fn build_member_for_inference(config: &ExperimentConfig) -> Result<Box<dyn FamilyMember>> {
    member_of(config, None)
}

fn member_of(
    config: &ExperimentConfig,
    labeled: Option<Box<dyn Source>>,
) -> Result<Box<dyn FamilyMember>> {
    Ok(match &config.variant {
        Variant::Unconditional => Box::new(family::Unconditional),
        Variant::Conditional => Box::new(family::Conditional),
        Variant::AuxiliaryClassifier {
            class_weight,
            fake_class_loss,
        } => Box::new(family::AuxiliaryClassifier {
            class_weight: *class_weight,
            fake_class_loss: *fake_class_loss,
        }),
        Variant::Info {
            categorical,
            continuous,
            info_weight,
            continuous_weight,
        } => Box::new(family::Info {
            categorical: *categorical,
            continuous: *continuous,
            info_weight: *info_weight,
            continuous_weight: *continuous_weight,
        }),
        Variant::EnergyBased { pulling_away } => Box::new(family::EnergyBased {
            pulling_away: *pulling_away,
        }),
        Variant::SemiSupervised {
            labels,
            extra_fake_class,
            unsupervised_weight,
            labeled_batch_size,
        } => Box::new(family::SemiSupervised {
            labels: *labels,
            extra_fake_class: *extra_fake_class,
            unsupervised_weight: *unsupervised_weight,
            labeled_batch_size: *labeled_batch_size,
            labeled,
        }),
    })
}

/// Build the data source (seeded from the run seed).
pub fn build_source(config: &ExperimentConfig) -> Result<Box<dyn Source>> {
    let seed = rng::derived_seed(config.seed, "data");
    match (&config.data.toy, &config.data.dataset) {
        (Some(toy), _) => Ok(Box::new(ToySource::new(toy.clone(), seed)?)),
        (None, Some(spec)) => {
            let dir = dataset_dir(spec)?;
            let mut ds = gan_data::load(spec.name, &dir, gan_data::Split::Train)?;
            if let Some(classes) = &spec.classes {
                ds = ds.filter_classes(classes)?;
            }
            Ok(Box::new(gan_data::ShuffledLoader::new(ds, seed, true)?))
        }
        (None, None) => Err(TrainError::config(
            "data",
            "set `data.toy` or `data.dataset`",
        )),
    }
}

/// The semi-supervised GAN's labelled data: a class-balanced subset of
/// `variant.labels` training examples, chosen by the run seed (so the same seed always
/// picks the same examples), served in shuffled batches. `None` for other variants.
pub fn build_labeled_source(config: &ExperimentConfig) -> Result<Option<Box<dyn Source>>> {
    let Variant::SemiSupervised { labels, .. } = &config.variant else {
        return Ok(None);
    };
    let spec = config.data.dataset.as_ref().ok_or_else(|| {
        TrainError::config("variant.kind", "the semi-supervised GAN needs data.dataset")
    })?;
    let mut ds = gan_data::load(spec.name, &dataset_dir(spec)?, gan_data::Split::Train)?;
    if let Some(classes) = &spec.classes {
        ds = ds.filter_classes(classes)?;
    }
    let subset = ds
        .labeled_subset(*labels, rng::derived_seed(config.seed, "labels"))
        .map_err(|e| TrainError::config("variant.labels", e.to_string()))?;
    let seed = rng::derived_seed(config.seed, "labeled_data");
    Ok(Some(Box::new(gan_data::ShuffledLoader::new(
        subset, seed, true,
    )?)))
}

/// The data directory of a dataset spec: `data.dataset.dir`, else gan-data's default.
pub fn dataset_dir(spec: &DatasetSpec) -> Result<std::path::PathBuf> {
    spec.dir
        .clone()
        .or_else(gan_data::default_data_dir)
        .ok_or_else(|| {
            TrainError::config(
                "data.dataset.dir",
                "no data directory: set it, or GAN_DATA_DIR, or HOME",
            )
        })
}

/// What the networks need to know of the data: one sample's shape (`[2]`,
/// `[1, 28, 28]`) and the number of classes, if labelled. Checkpoints record it, so a
/// trained generator can be rebuilt without reading the data.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DataShape {
    /// Shape of one sample, without the batch dimension.
    pub sample_shape: Vec<i64>,
    /// Number of classes of a labelled dataset; `None` for unlabelled (toy) data.
    pub num_classes: Option<i64>,
}

impl DataShape {
    /// The shape of `source`'s samples.
    pub fn of(source: &dyn Source) -> Self {
        DataShape {
            sample_shape: source.sample_shape(),
            num_classes: source.num_classes(),
        }
    }

    fn data_dim(&self) -> i64 {
        self.sample_shape.iter().product()
    }
}

/// Build every part of `config` on `device`. Weights are initialized from
/// `config.seed`, so two builds of the same config are identical.
pub fn build_parts(config: &ExperimentConfig, device: Device) -> Result<Parts> {
    let source = build_source(config)?;
    let shape = DataShape::of(source.as_ref());
    let member = build_member(config)?;
    if device == Device::Cpu {
        crate::memory::check_fits(
            config,
            &training_footprint(config, &shape, member.as_ref())?,
        )?;
    }
    let (gen_vs, generator) = build_generator(config, &shape, device)?;
    let (disc_vs, discriminator) = build_discriminator(config, &shape, member.as_ref(), device)?;
    Ok(Parts {
        gen_vs,
        disc_vs,
        generator,
        discriminator,
        source,
        member,
    })
}

/// The two networks' footprints (see [`gan_models::footprint`]) for data of `shape`,
/// computed from the specs before anything is allocated. Networks without an estimate
/// (the linear generator, the autoencoder) count as empty.
pub fn training_footprint(
    config: &ExperimentConfig,
    shape: &DataShape,
    member: &dyn FamilyMember,
) -> Result<(Footprint, Footprint)> {
    let data_dim = shape.data_dim();
    let classes = label_classes(config, shape)?;
    let image = |key| image_shape(&shape.sample_shape, key);
    let g = match &config.generator {
        GeneratorSpec::Mlp(spec) => spec
            .config(data_dim, classes, config.variant.code_dim())
            .footprint(),
        GeneratorSpec::Dcgan(spec) => {
            let (c, size) = image("generator.kind")?;
            spec.config(c, size, classes, config.variant.code_dim())
                .generator_footprint()
        }
        GeneratorSpec::Infogan(spec) => {
            let (c, _) = infogan_image(&shape.sample_shape, "generator.kind")?;
            spec.config(c, config.variant.code_dim())
                .generator_footprint()
        }
        GeneratorSpec::Linear => Footprint::default(),
    };
    let heads = member.heads(shape.num_classes)?;
    let d = match &config.discriminator {
        DiscriminatorSpec::Mlp(spec) => spec.config(data_dim, classes, heads).footprint(),
        DiscriminatorSpec::Dcgan(spec) => {
            let (c, size) = image("discriminator.kind")?;
            spec.config(c, size, classes, heads)
                .discriminator_footprint()
        }
        DiscriminatorSpec::Infogan(spec) => {
            let (c, _) = infogan_image(&shape.sample_shape, "discriminator.kind")?;
            spec.config(c, heads).discriminator_footprint()
        }
        DiscriminatorSpec::Autoencoder(_) => Footprint::default(),
    };
    Ok((g, d))
}

/// The class count a label-conditioned variant embeds (`None` for the others); errors
/// when the variant needs labels and the data have none.
fn label_classes(config: &ExperimentConfig, shape: &DataShape) -> Result<Option<i64>> {
    if !config.variant.label_conditioned() {
        return Ok(None);
    }
    shape.num_classes.map(Some).ok_or_else(|| {
        TrainError::config(
            "variant.kind",
            format!(
                "variant \"{}\" needs a dataset with class labels",
                config.variant.name()
            ),
        )
    })
}

/// The generator of `config` for data of `shape`, under `gen/` in a var store of its
/// own, initialized from the seed (the same weights every time for the same config).
pub fn build_generator(
    config: &ExperimentConfig,
    shape: &DataShape,
    device: Device,
) -> Result<(VarStore, Box<dyn Generator>)> {
    let sample_shape = &shape.sample_shape;
    let data_dim = shape.data_dim();
    // Label-conditioned generators embed the label; InfoGAN widens z by its code.
    let gen_classes = label_classes(config, shape)?;
    let code_dim = config.variant.code_dim();

    tch::manual_seed(rng::derived_seed(config.seed, "init") as i64 >> 1);
    let gen_vs = VarStore::new(device);
    let root = gen_vs.root() / "gen";
    let generator: Box<dyn Generator> = match &config.generator {
        GeneratorSpec::Linear => {
            if sample_shape.len() != 1 {
                return Err(TrainError::config(
                    "generator.kind",
                    format!("a linear generator needs vector data, got samples of shape {sample_shape:?}"),
                ));
            }
            Box::new(LinearGeneratorConfig { dim: data_dim }.build(&root)?)
        }
        GeneratorSpec::Mlp(spec) => {
            let g = spec
                .config(data_dim, gen_classes, code_dim)
                .build_generator(&root)?;
            if sample_shape.len() == 1 {
                Box::new(g)
            } else {
                Box::new(Reshaped {
                    inner: Box::new(g),
                    sample_shape: sample_shape.clone(),
                })
            }
        }
        GeneratorSpec::Dcgan(spec) => {
            let (channels, size) = image_shape(sample_shape, "generator.kind")?;
            Box::new(
                spec.config(channels, size, gen_classes, code_dim)
                    .build_generator(&root)?,
            )
        }
        GeneratorSpec::Infogan(spec) => {
            let (channels, _) = infogan_image(sample_shape, "generator.kind")?;
            if gen_classes.is_some() {
                return Err(TrainError::config(
                    "generator.kind",
                    format!(
                        "\"infogan\" networks take no labels; variant \"{}\" conditions on them \
                         (use kind = \"dcgan\" or \"mlp\")",
                        config.variant.name()
                    ),
                ));
            }
            Box::new(spec.config(channels, code_dim).build_generator(&root)?)
        }
    };
    if config.train.channels_last {
        // After initialisation (which draws in the plain layout, so a seed gives the same
        // weights either way) and before the optimizers allocate their moments.
        to_channels_last(&gen_vs);
    }
    let generator = match pixel_range(config) {
        PixelRange::MinusOneOne => generator,
        PixelRange::ZeroOne => Box::new(ZeroOneGenerator(generator)),
    };
    Ok((gen_vs, generator))
}

/// The discriminator of `config` for data of `shape`, with the heads `member` asks
/// for, under `disc/` in a var store of its own. Call it after [`build_generator`]: its
/// initial weights continue the seeded random stream the generator's started.
pub fn build_discriminator(
    config: &ExperimentConfig,
    shape: &DataShape,
    member: &dyn FamilyMember,
    device: Device,
) -> Result<(VarStore, Box<dyn Discriminator>)> {
    let sample_shape = &shape.sample_shape;
    let data_dim = shape.data_dim();
    let heads = member.heads(shape.num_classes)?;
    // Conditional GAN: D sees the label through a projection term.
    let disc_classes = if member.conditions_discriminator() {
        label_classes(config, shape)?
    } else {
        None
    };
    let disc_vs = VarStore::new(device);
    let root = disc_vs.root() / "disc";
    let discriminator: Box<dyn Discriminator> = match &config.discriminator {
        DiscriminatorSpec::Mlp(spec) => Box::new(
            spec.config(data_dim, disc_classes, heads)
                .build_discriminator(&root)?,
        ),
        DiscriminatorSpec::Dcgan(spec) => {
            let (channels, size) = image_shape(sample_shape, "discriminator.kind")?;
            Box::new(
                spec.config(channels, size, disc_classes, heads)
                    .build_discriminator(&root)?,
            )
        }
        DiscriminatorSpec::Autoencoder(spec) => Box::new(
            spec.build(&root, sample_shape)
                .map_err(|e| model_error("discriminator", e))?,
        ),
        DiscriminatorSpec::Infogan(spec) => {
            let (channels, _) = infogan_image(sample_shape, "discriminator.kind")?;
            if disc_classes.is_some() {
                return Err(TrainError::config(
                    "discriminator.kind",
                    "\"infogan\" networks take no labels; the conditional GAN's D needs them \
                     (use kind = \"dcgan\" or \"mlp\")",
                ));
            }
            Box::new(spec.config(channels, heads).build_discriminator(&root)?)
        }
    };
    if config.train.channels_last {
        to_channels_last(&disc_vs);
    }
    let discriminator = match pixel_range(config) {
        PixelRange::MinusOneOne => discriminator,
        PixelRange::ZeroOne => Box::new(ZeroOneDiscriminator(discriminator)),
    };
    Ok((disc_vs, discriminator))
}

/// The pixel range the networks of `config` train in (toy data: the default, unused).
fn pixel_range(config: &ExperimentConfig) -> PixelRange {
    config
        .data
        .dataset
        .as_ref()
        .map_or(PixelRange::default(), |d| d.pixel_range)
}

/// The data-dependent initialisation of a fresh run's discriminator (weight-normalised
/// layers): draws the configured number of real samples from `parts.source` (which
/// advances its cursor, deterministically, in batches of `train.batch_size`) and
/// standardises D's layers on them.
/// Returns the number of samples used, or `None` when D has no such layers. A resumed
/// run skips it: its weights come from the checkpoint.
pub fn initialize_from_data(
    config: &ExperimentConfig,
    parts: &mut Parts,
    device: Device,
) -> Result<Option<i64>> {
    let DiscriminatorSpec::Mlp(spec) = &config.discriminator else {
        return Ok(None);
    };
    let Some(n) = spec.data_init_samples() else {
        return Ok(None);
    };
    // In training-sized batches, so a dataset smaller than `n` still serves (the
    // batches then wrap around its epochs, as training does).
    let bs = config.train.batch_size.min(n);
    let mut chunks = Vec::new();
    let mut drawn = 0;
    while drawn < n {
        let x = parts.source.next_batch(bs)?.x;
        drawn += x.size()[0];
        chunks.push(x);
    }
    let x = Tensor::cat(&chunks, 0).narrow(0, 0, n).to_device(device);
    Ok(parts.discriminator.initialize_from_data(&x).then_some(n))
}

/// An MLP generator whose flat output is reshaped to the data's sample shape (images).
struct Reshaped {
    inner: Box<dyn Generator>,
    sample_shape: Vec<i64>,
}

impl Generator for Reshaped {
    fn latent_dim(&self) -> i64 {
        self.inner.latent_dim()
    }

    fn generate(&self, z: &Tensor, labels: Option<&Tensor>, train: bool) -> Tensor {
        let mut shape = vec![-1];
        shape.extend_from_slice(&self.sample_shape);
        self.inner.generate(z, labels, train).reshape(shape)
    }
}

/// `(channels, 28)` of 28×28 images, the only size InfoGAN's MNIST networks take.
fn infogan_image(sample_shape: &[i64], key: &str) -> Result<(i64, i64)> {
    match sample_shape {
        [c, 28, 28] => Ok((*c, 28)),
        _ => Err(TrainError::config(
            key,
            format!(
                "\"infogan\" networks are built for 28×28 images (MNIST, Fashion-MNIST), got \
                 samples of shape {sample_shape:?}"
            ),
        )),
    }
}

/// `(channels, size)` of square images of `sample_shape` (`[C, S, S]` with S in
/// [`DCGAN_IMAGE_SIZES`]); errors name `key` when the data do not fit a DCGAN.
fn image_shape(sample_shape: &[i64], key: &str) -> Result<(i64, i64)> {
    match sample_shape {
        [c, h, w] if h == w && DCGAN_IMAGE_SIZES.contains(h) => Ok((*c, *h)),
        _ => Err(TrainError::config(
            key,
            format!(
                "a DCGAN needs square images of size {DCGAN_IMAGE_SIZES:?}, got samples of shape {sample_shape:?}"
            ),
        )),
    }
}
