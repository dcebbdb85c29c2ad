//! `gan export`: a trained run's generator or discriminator as the state dict of its
//! PyTorch reference module (`scripts/pytorch_models.py`), in a safetensors file.

use std::path::PathBuf;

use anyhow::Result;

use gan_train::interop::{export_run, Net};

/// Formats `gan export` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A PyTorch `state_dict` (safetensors) of the reference modules in
    /// scripts/pytorch_models.py.
    Pytorch,
}

/// Which network to export or import.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetArg {
    /// The generator (its EMA weights when the run keeps them: what `gan sample` uses).
    Generator,
    /// The discriminator (returns logits: the DCGAN example's Sigmoid is left out).
    Discriminator,
}

impl From<NetArg> for Net {
    fn from(n: NetArg) -> Net {
        match n {
            NetArg::Generator => Net::Generator,
            NetArg::Discriminator => Net::Discriminator,
        }
    }
}

/// `gan export --run R --to pytorch --out netG.safetensors [--net discriminator]` (its
/// help text is the `Export` command's doc in main.rs).
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The run directory (holds checkpoints/latest.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// What to export to.
    #[arg(long, value_enum)]
    pub to: ExportFormat,
    /// The network to export.
    #[arg(long, value_enum, default_value = "generator")]
    pub net: NetArg,
    /// The safetensors file to write (e.g. netG.safetensors).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs `gan export`.
pub fn run(args: ExportArgs) -> Result<()> {
    let ExportFormat::Pytorch = args.to;
    let exported = export_run(&args.run, args.net.into(), &args.out)?;
    println!(
        "wrote the {} of {} (step {}{}) to {}: {} tensors, the state_dict of {} in \
         scripts/pytorch_models.py",
        exported.reference.net().name(),
        args.run.display(),
        exported.step,
        if exported.ema { ", EMA weights" } else { "" },
        args.out.display(),
        exported.tensors,
        exported.reference.module_call()
    );
    Ok(())
}
