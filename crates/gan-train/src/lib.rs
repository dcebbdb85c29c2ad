//! # gan-train
//!
//! The GAN training loop and everything around it: experiment configs
//! ([`ExperimentConfig`]), optimizers with saveable state ([`optim`]), the
//! [`Trainer`], atomic [`checkpoint`]s, run directories, and the observers that log,
//! plot and checkpoint a run ([`observe`]).
//!
//! It builds networks from `gan-models`, data from `gan-data` and losses from
//! `gan-core`. It never parses command-line arguments: that is `gan-cli`'s job.
//!
//! `gan train configs/gaussian1d.toml --set train.steps=20`, without the run directory
//! and observers, is:
//!
//! ```
//! use gan_train::config::GeneratorSpec;
//! use gan_train::{ExperimentConfig, Trainer};
//! # let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs"));
//! # let path = path.join("gaussian1d.toml");
//! let config = ExperimentConfig::load(&path, &["train.steps=20".to_string()]).unwrap();
//! assert_eq!(config.generator, GeneratorSpec::Linear); // G(z) = a·z + b
//! let mut trainer = Trainer::new(config, tch::Device::Cpu).unwrap();
//! while trainer.step() < trainer.config().train.steps {
//!     let stats = trainer.train_step().unwrap();
//!     assert!(stats.d_loss.is_finite());
//! }
//! // 1-D data: samples are [N, 1], on the CPU.
//! let samples = trainer.sample(1000).unwrap();
//! assert_eq!(samples.size(), [1000, 1]);
//! ```

#![warn(missing_docs)]

pub mod allocator;
pub mod checkpoint;
pub mod classifier;
pub mod compare;
pub mod conditioning;
pub mod config;
pub mod device;
pub mod error;
pub mod experiment;
pub mod family;
mod fused_adam;
pub mod image_grid;
pub mod image_metrics;
pub mod inference;
pub mod interop;
pub mod latent;
pub mod libtorch_info;
pub mod memory;
pub mod observe;
pub mod optim;
pub mod output_file;
pub mod plot;
pub mod rng;
pub mod run_dir;
pub mod sampler;
pub mod summary;
pub mod tensorboard;
pub mod toy_eval;
pub mod trainer;
pub mod variant;
pub mod variant_eval;

pub use config::{ExperimentConfig, Schedule};
pub use device::parse_device;
pub use error::{Result, TrainError};
pub use family::FamilyMember;
pub use inference::Inference;
pub use optim::{Optimizer, OptimizerConfig, OptimizerKind};
pub use sampler::Sampler;
pub use trainer::{StepStats, Trainer};
pub use variant::Variant;
