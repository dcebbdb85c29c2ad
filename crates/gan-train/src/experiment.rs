//! Turning an [`ExperimentConfig`] into live parts: the data source and both networks
//! with their variable stores, all seeded from `config.seed`.

use tch::{nn::VarStore, Device};

use gan_data::{Source, ToySource};
use gan_models::{Activation, Discriminator, Generator, LinearGeneratorConfig, MlpConfig};

use crate::config::{DiscriminatorSpec, ExperimentConfig, GeneratorSpec};
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
            let dir = match spec.dir.clone().or_else(gan_data::default_data_dir) {
                Some(d) => d,
                None => {
                    return Err(TrainError::config(
                        "data.dataset.dir",
                        "no data directory: set it, or GAN_DATA_DIR, or HOME",
                    ))
                }
            };
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
    };

    let disc_vs = VarStore::new(device);
    let discriminator: Box<dyn Discriminator> = match &config.discriminator {
        DiscriminatorSpec::Mlp {
            hidden,
            activation,
            dropout,
        } => {
            let cfg = MlpConfig {
                input_dim: data_dim,
                hidden: hidden.clone(),
                output_dim: 1,
                activation: *activation,
                output_activation: Activation::None,
                dropout: *dropout,
                minibatch_discrimination: None,
                minibatch_std: false,
                num_classes: None,
            };
            Box::new(cfg.build_discriminator(&(disc_vs.root() / "disc"))?)
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
