//! One module per `gan` subcommand.

pub mod classifier;
pub mod compare;
pub mod eval;
pub mod eval_image;
pub mod eval_toy;
pub mod sample;
pub mod train;

use anyhow::{Context, Result};
use tch::Device;

/// Resolve the device for a command: `--device` wins over the config's setting.
/// Loads the CUDA backend first when the choice may need it.
pub fn resolve_device(cli_device: Option<&str>, config_device: &str) -> Result<Device> {
    let name = cli_device.unwrap_or(config_device);
    if let Some(note) = crate::cuda::prepare(name) {
        tracing::warn!("{note}");
    }
    gan_train::parse_device(name).with_context(|| format!("choosing device `{name}`"))
}
