//! One module per `gan` subcommand.

pub mod classifier;
pub mod compare;
pub mod eval;
pub mod eval_image;
pub mod eval_toy;
pub mod export;
pub mod import;
pub mod sample;
pub mod train;

use std::path::Path;

use anyhow::{bail, Result};
use tch::Device;

use gan_train::checkpoint::Checkpoint;
use gan_train::{run_dir, ExperimentConfig, Inference, Trainer};

/// Resolve the device for a command: `--device` wins over the config's setting.
/// Loads the CUDA backend first when the choice may need it.
pub fn resolve_device(cli_device: Option<&str>, config_device: &str) -> Result<Device> {
    let name = cli_device.unwrap_or(config_device);
    if let Some(note) = crate::cuda::prepare(name) {
        tracing::warn!("{note}");
    }
    gan_train::parse_device(name).map_err(|e| {
        let reason = match &e {
            gan_train::TrainError::Config { reason, .. } => reason.clone(),
            other => other.to_string(),
        };
        match cli_device {
            Some(_) => anyhow::anyhow!("--device {name}: {reason}"),
            None => anyhow::anyhow!("train.device = \"{name}\" in the config: {reason}"),
        }
    })
}

/// Load a trained run from its checkpoint to continue training, on `--device` or else
/// the device its config names. `what` says why (used in the missing-checkpoint error).
pub fn load_run(run: &Path, cli_device: Option<&str>, what: &str) -> Result<Trainer> {
    let (checkpoint, path, device) = read_run(run, cli_device, what)?;
    Ok(Trainer::from_checkpoint(checkpoint, &path, device)?)
}

/// Load a trained run's generator (EMA weights when kept) for sampling and evaluation:
/// no training data read, no optimizer state. D is loaded too where
/// `needs_discriminator` says the run's config needs it.
pub fn load_inference(
    run: &Path,
    cli_device: Option<&str>,
    what: &str,
    needs_discriminator: fn(&ExperimentConfig) -> bool,
) -> Result<Inference> {
    let (checkpoint, path, device) = read_run(run, cli_device, what)?;
    let with_discriminator = ExperimentConfig::from_toml_str(&checkpoint.meta.config_toml, &[])
        .is_ok_and(|c| needs_discriminator(&c));
    Ok(Inference::from_checkpoint(
        &checkpoint,
        &path,
        device,
        with_discriminator,
    )?)
}

/// A run's checkpoint, its path, and the device to load it on.
fn read_run(
    run: &Path,
    cli_device: Option<&str>,
    what: &str,
) -> Result<(Checkpoint, std::path::PathBuf, Device)> {
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
    refuse_edited_config(run, &checkpoint.meta.config_toml, what)?;
    Ok((checkpoint, path, device))
}

/// A run continues with the config its checkpoint recorded. If the run directory's
/// `config.toml` says otherwise (it was edited), that edit would be silently ignored and
/// then overwritten, so refuse instead. `train.steps` may differ: `--resume --steps N`
/// rewrites it before the next checkpoint records it.
fn refuse_edited_config(run: &Path, checkpoint_toml: &str, what: &str) -> Result<()> {
    let path = run.join("config.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(()); // no config.toml: nothing was edited
    };
    let saved = ExperimentConfig::from_toml_str(checkpoint_toml, &[]);
    let edited = ExperimentConfig::from_toml_str(&text, &[]);
    let same = match (saved, edited) {
        (Ok(mut a), Ok(mut b)) => {
            a.train.steps = 0;
            b.train.steps = 0;
            a == b
        }
        (_, Err(e)) => bail!(
            "{what}: {} no longer parses ({e}); the run continues with the config its checkpoint recorded, so restore that file (or delete it: it is rewritten from the checkpoint)",
            path.display()
        ),
        (Err(_), Ok(_)) => true, // the checkpoint's own config is checked when it is loaded
    };
    if !same {
        bail!(
            "{what}: {} was edited after the checkpoint was written. A run continues with the config its checkpoint recorded, so the edit would be ignored and then overwritten. Undo the edit (or delete the file), or start a new run from it: gan train --config {}",
            path.display(),
            path.display()
        );
    }
    Ok(())
}
