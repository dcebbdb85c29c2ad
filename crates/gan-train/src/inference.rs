//! An inference handle: a trained run's generator, loaded from a checkpoint with its
//! EMA weights when the run kept them, for `gan sample` and `gan eval`. It reads no
//! training data and allocates no optimizer state, so a run whose dataset has since
//! been deleted still samples. The discriminator is loaded only on request (the
//! semi-supervised GAN is evaluated by its discriminator).
//!
//! ```no_run
//! use gan_train::inference::Inference;
//! use gan_train::Sampler;
//! let run = Inference::load(
//!     std::path::Path::new("runs/my-run/checkpoints/latest.safetensors"),
//!     tch::Device::Cpu,
//! )?;
//! let samples = run.sample(16)?; // [16, ...sample shape], on the CPU
//! # Ok::<(), gan_train::TrainError>(())
//! ```

use std::path::Path;

use tch::{nn::VarStore, Device, Tensor};

use gan_data::Source;
use gan_models::{Discriminator, Generator};

use crate::checkpoint::{self, Checkpoint};
use crate::conditioning::{Conditioning, GenInput};
use crate::config::ExperimentConfig;
use crate::error::{Result, TrainError};
use crate::experiment::{self, DataShape};
use crate::sampler::Sampler;

/// A trained generator (and optionally discriminator), ready to sample.
pub struct Inference {
    config: ExperimentConfig,
    device: Device,
    step: u64,
    shape: DataShape,
    conditioning: Conditioning,
    /// Holds the generator's variables (the sampling weights: EMA when kept).
    _gen_vs: VarStore,
    generator: Box<dyn Generator>,
    discriminator: Option<(VarStore, Box<dyn Discriminator>)>,
    /// The toy source's cursor at the checkpoint (toy data cost nothing to rebuild).
    source_state: gan_data::SourceState,
}

impl Inference {
    /// The generator of the checkpoint at `path`, on `device`.
    pub fn load(path: &Path, device: Device) -> Result<Self> {
        Self::from_checkpoint(&checkpoint::load(path)?, path, device, false)
    }

    /// Like [`load`](Self::load), from a checkpoint already read from `path` (which
    /// error messages name); `with_discriminator` also loads D.
    pub fn from_checkpoint(
        ck: &Checkpoint,
        path: &Path,
        device: Device,
        with_discriminator: bool,
    ) -> Result<Self> {
        let config = ExperimentConfig::from_toml_str(&ck.meta.config_toml, &[]).map_err(|e| {
            TrainError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!("its config no longer parses: {e}"),
            }
        })?;
        crate::trainer::state::check_step(&ck.meta, &config, path)?;
        crate::trainer::apply_thread_setting(&config);
        let shape = match &ck.meta.data_shape {
            Some(shape) => shape.clone(),
            // Format 1 did not record the data's shape: read it off the data.
            None => DataShape::of(experiment::build_source(&config)?.as_ref()),
        };
        let (gen_vs, generator) = experiment::build_generator(&config, &shape, device)?;
        checkpoint::load_var_store(&gen_vs, &ck.with_prefix("gen/"), path, "generator")?;
        if config.train.ema > 0.0 {
            // Sampling uses the averaged weights; nothing trains here, so load them in.
            checkpoint::load_var_store(&gen_vs, &ck.with_prefix("ema/"), path, "EMA generator")?;
        }
        let discriminator = if with_discriminator {
            let member = experiment::build_member_for_inference(&config)?;
            let (disc_vs, d) =
                experiment::build_discriminator(&config, &shape, member.as_ref(), device)?;
            checkpoint::load_var_store(&disc_vs, &ck.with_prefix("disc/"), path, "discriminator")?;
            Some((disc_vs, d))
        } else {
            None
        };
        let conditioning =
            Conditioning::new(&config.variant, generator.latent_dim(), shape.num_classes)?;
        Ok(Inference {
            step: ck.meta.step,
            source_state: ck.meta.source_state,
            config,
            device,
            shape,
            conditioning,
            _gen_vs: gen_vs,
            generator,
            discriminator,
        })
    }

    /// The toy distribution the run trained on, at the checkpoint's cursor; `None` for
    /// dataset runs (whose real images evaluation reads from the test split instead).
    pub fn toy_source(&self) -> Result<Option<Box<dyn Source>>> {
        if self.config.data.toy.is_none() {
            return Ok(None);
        }
        let mut source = experiment::build_source(&self.config)?;
        source.restore(&self.source_state)?;
        Ok(Some(source))
    }
}

impl Sampler for Inference {
    fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    fn device(&self) -> Device {
        self.device
    }

    fn step(&self) -> u64 {
        self.step
    }

    fn conditioning(&self) -> &Conditioning {
        &self.conditioning
    }

    fn sample_shape(&self) -> Vec<i64> {
        self.shape.sample_shape.clone()
    }

    fn sample_from(&self, input: &GenInput) -> Tensor {
        tch::no_grad(|| {
            self.generator
                .generate(&input.z, input.labels.as_ref(), false)
        })
        .to_device(Device::Cpu)
    }

    fn discriminator(&self) -> Option<&dyn Discriminator> {
        self.discriminator.as_ref().map(|(_, d)| d.as_ref())
    }
}
