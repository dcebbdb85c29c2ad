//! `gan eval`: measure a trained run; dispatches on the kind of data the run used.

use std::path::PathBuf;

use anyhow::{bail, Result};

use gan_train::{run_dir, ExperimentConfig};

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The run directory (holds checkpoints/latest.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// Number of generated (and real) samples to compare.
    #[arg(long, default_value_t = 10_000)]
    pub n: i64,
}

pub fn run(args: EvalArgs, cli_device: Option<&str>) -> Result<()> {
    let ck = run_dir::checkpoint_path(&args.run);
    if !ck.exists() {
        bail!(
            "{} has no checkpoint (expected {})",
            args.run.display(),
            ck.display()
        );
    }
    let meta = gan_train::checkpoint::load(&ck)?.meta;
    let config = ExperimentConfig::from_toml_str(&meta.config_toml, &[])?;
    if config.data.toy.is_some() {
        super::eval_toy::run(args, cli_device)
    } else {
        super::eval_image::run(args, cli_device)
    }
}
