//! `gan sample`: draw samples from a trained run's generator.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tch::Kind;

use gan_train::{run_dir, ExperimentConfig, Trainer};

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// The run directory (holds checkpoints/latest.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 2500)]
    pub n: i64,
    /// Output file: CSV with one row per sample and one column per dimension.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Seed of the latent noise.
    #[arg(long, default_value_t = 0)]
    pub seed: i64,
}

pub fn run(args: SampleArgs, cli_device: Option<&str>) -> Result<()> {
    if args.n < 1 {
        bail!("--n must be at least 1, got {}", args.n);
    }
    let ck = run_dir::checkpoint_path(&args.run);
    if !ck.exists() {
        bail!(
            "{} has no checkpoint (expected {})",
            args.run.display(),
            ck.display()
        );
    }
    let config_device = gan_train::checkpoint::load(&ck)
        .ok()
        .and_then(|c| ExperimentConfig::from_toml_str(&c.meta.config_toml, &[]).ok())
        .map(|c| c.train.device)
        .unwrap_or_else(|| "auto".into());
    let device = super::resolve_device(cli_device, &config_device)?;
    let trainer = Trainer::resume(&ck, device)?;
    tch::manual_seed(args.seed);
    let samples = trainer.sample(args.n).to_kind(Kind::Double).flatten(1, -1);
    let dim = samples.size()[1];
    let values: Vec<f64> = Vec::try_from(samples.flatten(0, -1)).context("reading samples")?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?,
    );
    let header: Vec<String> = (0..dim).map(|i| format!("x{i}")).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in values.chunks(dim as usize) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    out.flush()?;
    println!(
        "wrote {} samples of dimension {dim} to {}",
        args.n,
        args.out.display()
    );
    Ok(())
}
