//! `gan import`: the state dict of a PyTorch reference module (`scripts/pytorch_models.py`)
//! plus an experiment config become a run directory that `gan sample`, `gan eval`,
//! `gan export` and `gan train --resume` accept.

use std::path::PathBuf;

use anyhow::Result;

use gan_train::interop::{import_run, ImportRequest, IMPORT_RECORD};
use gan_train::ExperimentConfig;

/// Formats `gan import` reads.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// A PyTorch `state_dict` of the reference modules in scripts/pytorch_models.py:
    /// `.safetensors` (`safetensors.torch.save_file(net.state_dict(), path)`), or a
    /// `torch.save(net.state_dict(), path)` file where libtorch can read it.
    Pytorch,
}

/// `gan import --from pytorch netG.safetensors --config C.toml --out R` (its help text is
/// the `Import` command's doc in main.rs).
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// What the weights are.
    #[arg(long = "from", value_enum)]
    pub from: ImportFormat,
    /// The generator's state dict (.safetensors, or .pth / .pt).
    #[arg(value_name = "GENERATOR")]
    pub generator: PathBuf,
    /// The discriminator's state dict (default: a fresh discriminator).
    #[arg(long, value_name = "FILE")]
    pub discriminator: Option<PathBuf>,
    /// The experiment config the weights belong to (its networks must be plain ones).
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,
    /// Override a config value, e.g. --set generator.ngf=32 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// The run directory to create (new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the run directory at --out if it holds a gan-rs run.
    #[arg(long)]
    pub overwrite: bool,
}

/// Runs `gan import`.
pub fn run(args: ImportArgs) -> Result<()> {
    let ImportFormat::Pytorch = args.from;
    let config = ExperimentConfig::load(&args.config, &args.overrides)?;
    let imported = import_run(&ImportRequest {
        config,
        generator: &args.generator,
        discriminator: args.discriminator.as_deref(),
        out: &args.out,
        overwrite: args.overwrite,
    })?;
    println!(
        "imported the generator ({}) from {}",
        imported.generator.module_call(),
        args.generator.display()
    );
    match (&imported.discriminator, &args.discriminator) {
        (Some(d), Some(path)) => println!(
            "imported the discriminator ({}) from {}",
            d.module_call(),
            path.display()
        ),
        _ => tracing::warn!(
            "no discriminator given: D is freshly initialised from the config's seed (recorded in {})",
            args.out.join(IMPORT_RECORD).display()
        ),
    }
    println!(
        "wrote run directory {} (checkpoint {}, step 0)",
        imported.run_dir.display(),
        imported.checkpoint.display()
    );
    Ok(())
}
