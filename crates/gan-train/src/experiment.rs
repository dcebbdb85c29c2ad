//! Turning an [`ExperimentConfig`] into live parts: the data source and both networks
//! with their variable stores, all seeded from `config.seed`.

use tch::{nn::VarStore, Device};

use gan_data::{Source, ToySource};
use gan_models::{
    init_dcgan_weights, Activation, DcganConfig, Discriminator, Generator, LinearGeneratorConfig,
    MlpConfig, DCGAN_IMAGE_SIZES,
};

use crate::config::{DatasetSpec, DiscriminatorSpec, ExperimentConfig, GeneratorSpec};
use crate::error::{Result, TrainError};
use crate::rng;

/// The built parts of an experiment.
pub struct Parts {
    pub gen_vs: VarStore,
    pub disc_vs: VarStore,
    pub generator: Box<dyn Generator>,
    pub discriminator: Box<dyn Discriminator>,
    pub source: Box<dyn Source>,
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

/// Build every part of `config` on `device`. Weights are initialized from
/// `config.seed`, so two builds of the same config are identical.
pub fn build_parts(config: &ExperimentConfig, device: Device) -> Result<Parts> {
    let source = build_source(config)?;
    let sample_shape = source.sample_shape();
    let data_dim: i64 = sample_shape.iter().product();

    tch::manual_seed(rng::derived_seed(config.seed, "init") as i64 >> 1);
    let gen_vs = VarStore::new(device);
    let generator: Box<dyn Generator> = match &config.generator {
        GeneratorSpec::Linear => {
            if sample_shape.len() != 1 {
                return Err(TrainError::config(
                    "generator.kind",
                    format!("a linear generator needs vector data, got samples of shape {sample_shape:?}"),
                ));
            }
            Box::new(LinearGeneratorConfig { dim: data_dim }.build(&(gen_vs.root() / "gen"))?)
        }
        GeneratorSpec::Mlp {
            latent_dim,
            hidden,
            activation,
        } => {
            if sample_shape.len() != 1 {
                return Err(TrainError::config(
                    "generator.kind",
                    format!(
                        "an MLP generator needs vector data, got samples of shape {sample_shape:?}"
                    ),
                ));
            }
            let cfg = MlpConfig {
                input_dim: *latent_dim,
                hidden: hidden.clone(),
                output_dim: data_dim,
                activation: *activation,
                output_activation: Activation::None,
                dropout: 0.0,
                minibatch_discrimination: None,
                minibatch_std: false,
                num_classes: None,
            };
            Box::new(cfg.build_generator(&(gen_vs.root() / "gen"))?)
        }
        GeneratorSpec::Dcgan {
            latent_dim,
            ngf,
            norm,
            vbn_reference_size,
        } => {
            let cfg = DcganConfig {
                latent_dim: *latent_dim,
                ngf: *ngf,
                generator_norm: *norm,
                vbn_reference_size: *vbn_reference_size,
                ..dcgan_base(&sample_shape, "generator.kind")?
            };
            let g = cfg.build_generator(&(gen_vs.root() / "gen"))?;
            init_dcgan_weights(&gen_vs);
            Box::new(g)
        }
    };

    let disc_vs = VarStore::new(device);
    let discriminator: Box<dyn Discriminator> = match &config.discriminator {
        DiscriminatorSpec::Mlp {
            hidden,
            activation,
            dropout,
            minibatch_discrimination,
            minibatch_std,
        } => {
            let cfg = MlpConfig {
                input_dim: data_dim,
                hidden: hidden.clone(),
                output_dim: 1,
                activation: *activation,
                output_activation: Activation::None,
                dropout: *dropout,
                minibatch_discrimination: *minibatch_discrimination,
                minibatch_std: *minibatch_std,
                num_classes: None,
            };
            Box::new(cfg.build_discriminator(&(disc_vs.root() / "disc"))?)
        }
        DiscriminatorSpec::Dcgan {
            ndf,
            minibatch_discrimination,
            minibatch_std,
            features_layer_batch_norm,
        } => {
            let cfg = DcganConfig {
                ndf: *ndf,
                minibatch_discrimination: *minibatch_discrimination,
                minibatch_std: *minibatch_std,
                features_layer_batch_norm: *features_layer_batch_norm,
                ..dcgan_base(&sample_shape, "discriminator.kind")?
            };
            let d = cfg.build_discriminator(&(disc_vs.root() / "disc"))?;
            init_dcgan_weights(&disc_vs);
            Box::new(d)
        }
    };
    Ok(Parts {
        gen_vs,
        disc_vs,
        generator,
        discriminator,
        source,
    })
}

/// A DCGAN config for images of `sample_shape` (`[C, S, S]` with S in
/// [`DCGAN_IMAGE_SIZES`]); errors name `key` when the data do not fit.
fn dcgan_base(sample_shape: &[i64], key: &str) -> Result<DcganConfig> {
    match sample_shape {
        [c, h, w] if h == w && DCGAN_IMAGE_SIZES.contains(h) => Ok(DcganConfig::new(*c, *h)),
        _ => Err(TrainError::config(
            key,
            format!(
                "a DCGAN needs square images of size {DCGAN_IMAGE_SIZES:?}, got samples of shape {sample_shape:?}"
            ),
        )),
    }
}
