//! One module per `gan` subcommand.

pub mod classifier;
pub mod compare;
pub mod eval;
pub mod eval_image;
pub mod eval_toy;
pub mod sample;
pub mod train;

use std::path::Path;

use anyhow::{bail, Context, Result};
use tch::Device;

use gan_train::{run_dir, ExperimentConfig, Trainer};

/// Resolve the device for a command: `--device` wins over the config's setting.
/// Loads the CUDA backend first when the choice may need it.
pub fn resolve_device(cli_device: Option<&str>, config_device: &str) -> Result<Device> {
    let name = cli_device.unwrap_or(config_device);
    if let Some(note) = crate::cuda::prepare(name) {
        tracing::warn!("{note}");
    }
    gan_train::parse_device(name).with_context(|| format!("choosing device `{name}`"))
}

/// Load a trained run from its checkpoint, on `--device` or else the device its config
/// names. `what` says why (used in the missing-checkpoint error).
pub fn load_run(run: &Path, cli_device: Option<&str>, what: &str) -> Result<Trainer> {
    let path = run_dir::checkpoint_path(run);
    if !path.exists() {
        bail!(
            "{what}: {} has no checkpoint (expected {})",
            run.display(),
            path.display()
        );
    }
    let checkpoint = gan_train::checkpoint::load(&path)?;
    let config_device = ExperimentConfig::from_toml_str(&checkpoint.meta.config_toml, &[])
        .map(|c| c.train.device)
        .unwrap_or_else(|_| "auto".into());
    let device = resolve_device(cli_device, &config_device)?;
    Ok(Trainer::from_checkpoint(checkpoint, &path, device)?)
}
