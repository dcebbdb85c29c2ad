//! `gan eval`: measure a trained run; dispatches on the kind of data the run used.

use std::path::PathBuf;

use anyhow::{bail, Result};

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
    if args.n < 2 {
        bail!("--n must be at least 2, got {}", args.n);
    }
    // The generator alone (no training data read, no optimizer state), and the
    // discriminator where the variant's evaluation reads it.
    let run = super::load_inference(
        &args.run,
        cli_device,
        "cannot evaluate",
        gan_train::variant_eval::needs_discriminator,
    )?;
    if gan_train::Sampler::config(&run).data.toy.is_some() {
        super::eval_toy::run(&args, run)
    } else {
        super::eval_image::run(&args, run)
    }
}

/// Print an evaluation report and save it as `eval.json` in the run directory.
pub fn publish_report(run: &std::path::Path, report: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    println!("{text}");
    gan_train::checkpoint::write_atomically(&run.join("eval.json"), text.as_bytes())?;
    Ok(())
}
