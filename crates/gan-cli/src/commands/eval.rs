//! `gan eval`: measure a trained run; dispatches on the kind of data the run used.

use std::path::PathBuf;

use anyhow::{bail, Result};

/// The most generated samples one evaluation compares (FID's usual count is 10,000–50,000).
pub const MAX_EVAL_SAMPLES: i64 = 1_000_000;

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
    if !(2..=MAX_EVAL_SAMPLES).contains(&args.n) {
        bail!("--n must be in 2..={MAX_EVAL_SAMPLES}, got {}", args.n);
    }
    // The generator alone (no training data read, no optimizer state), and the
    // discriminator where the variant's evaluation reads it.
    let run = super::load_inference(
        &args.run,
        cli_device,
        "cannot evaluate",
        gan_train::variant_eval::needs_discriminator,
    )?;
    let (step, steps) = (
        gan_train::Sampler::step(&run),
        gan_train::Sampler::config(&run).train.steps,
    );
    if step < steps {
        tracing::warn!(
            "this run is unfinished: it trained {step} of its {steps} steps (resume it with `gan train --resume {}`)",
            args.run.display()
        );
    }
    if gan_train::Sampler::config(&run).data.toy.is_some() {
        super::eval_toy::run(&args, run)
    } else {
        super::eval_image::run(&args, run)
    }
}

/// A figure for a JSON report: JSON has no infinity or NaN (serde writes them as
/// `null`, which reads as "missing"), so those are written as the strings `"inf"`,
/// `"-inf"` and `"NaN"`.
pub fn figure(v: f64) -> serde_json::Value {
    if v.is_finite() {
        v.into()
    } else if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Print an evaluation report and save it as `eval.json` in the run directory. The
/// report says how far the run trained (`trained_steps` of `configured_steps`).
pub fn publish_report(run: &std::path::Path, report: &serde_json::Value) -> Result<()> {
    let mut report = report.clone();
    if let Ok(ck) = gan_train::checkpoint::load(&gan_train::run_dir::checkpoint_path(run)) {
        if let Ok(c) = gan_train::ExperimentConfig::from_toml_str(&ck.meta.config_toml, &[]) {
            report["trained_steps"] = ck.meta.step.into();
            report["configured_steps"] = c.train.steps.into();
            report["finished"] = (ck.meta.step >= c.train.steps).into();
        }
    }
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    gan_train::output_file::write_file(&run.join("eval.json"), text.as_bytes())?;
    Ok(())
}
