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
//! ```no_run
//! use gan_train::{ExperimentConfig, Trainer};
//! let config = ExperimentConfig::load("configs/gaussian1d.toml".as_ref(), &[]).unwrap();
//! let mut trainer = Trainer::new(config, tch::Device::Cpu).unwrap();
//! for _ in 0..100 {
//!     let stats = trainer.train_step().unwrap();
//!     println!("{} {:.3} {:.3}", stats.step, stats.d_loss, stats.g_loss);
//! }
//! ```

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
