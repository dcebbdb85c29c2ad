//! `gan train`: build an experiment from a config, train it, and summarise the result.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use gan_train::observe;
use gan_train::summary::RunSummary;
use gan_train::{run_dir, ExperimentConfig, TrainError, Trainer};

/// The default experiment, built in so `gan train` works from any directory.
const DEFAULT_CONFIG: &str = include_str!("../../../../configs/gaussian1d.toml");
const DEFAULT_CONFIG_PATH: &str = "configs/gaussian1d.toml";

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Experiment config (TOML). Default: configs/gaussian1d.toml, the 1-D Gaussian GAN
    /// (a built-in copy is used when that file is not in the current directory).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Override a config value, e.g. `--set train.steps=2000 --set loss.kind=hinge`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,

    /// Shorthand for `--set seed=N` (0 to 2^63 − 1, the range a TOML config can hold).
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,

    /// Shorthand for `--set train.precision=P`: fp32 (default), bf16 (autocast on the CPU
    /// or CUDA) or fp16 (autocast with loss scaling, CUDA only).
    #[arg(long, value_parser = ["fp32", "bf16", "fp16"])]
    pub precision: Option<String>,

    /// Shorthand for `--set train.steps=N`; with --resume, extends the run to N steps.
    #[arg(long)]
    pub steps: Option<u64>,

    /// Run directory to write. Default: <runs-dir>/<name>-<timestamp>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Parent directory of new run directories.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,

    /// With --out: delete the gan-rs run already in DIR and start again (without it, a
    /// directory holding a run is refused).
    #[arg(long, requires = "out")]
    pub overwrite: bool,

    /// Continue the run in RUN_DIR from its last checkpoint (same config, same seed).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["config", "overrides", "out", "seed", "labels", "overwrite", "precision"])]
    pub resume: Option<PathBuf>,

    /// Semi-supervised GAN: size of the class-balanced labelled subset (sets
    /// `variant.labels`; a multiple of the number of classes).
    #[arg(long, value_name = "N")]
    pub labels: Option<usize>,
}

/// A shorthand flag and a `--set` of the same key would silently disagree: refuse.
fn refuse_conflicting_flags(args: &TrainArgs) -> Result<()> {
    let flags = [
        ("--seed", "seed", args.seed.is_some()),
        ("--steps", "train.steps", args.steps.is_some()),
        ("--labels", "variant.labels", args.labels.is_some()),
        ("--precision", "train.precision", args.precision.is_some()),
    ];
    for (flag, key, given) in flags {
        let set = args
            .overrides
            .iter()
            .find(|o| o.split_once('=').is_some_and(|(k, _)| k.trim() == key));
        if let (true, Some(set)) = (given, set) {
            bail!("{flag} and --set {set} both set `{key}`; give one of them");
        }
    }
    Ok(())
}

fn load_config(args: &TrainArgs) -> Result<ExperimentConfig> {
    refuse_conflicting_flags(args)?;
    let mut overrides = args.overrides.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("seed={seed}"));
    }
    if let Some(steps) = args.steps {
        overrides.push(format!("train.steps={steps}"));
    }
    if let Some(n) = args.labels {
        overrides.push(format!("variant.labels={n}"));
    }
    if let Some(p) = &args.precision {
        overrides.push(format!("train.precision={p}"));
    }
    let config = read_config(args, &overrides);
    if args.labels.is_some() {
        // A clearer message than "unknown field `labels`" for other variants.
        let plain: Vec<String> = overrides
            .iter()
            .filter(|o| !o.starts_with("variant.labels="))
            .cloned()
            .collect();
        if let Ok(c) = read_config(args, &plain) {
            if !matches!(c.variant, gan_train::Variant::SemiSupervised { .. }) {
                anyhow::bail!(
                    "--labels applies to semi-supervised configs ([variant] kind = \"semi_supervised\"); this config's variant is \"{}\"",
                    c.variant.name()
                );
            }
        }
    }
    config
}

fn read_config(args: &TrainArgs, overrides: &[String]) -> Result<ExperimentConfig> {
    match &args.config {
        Some(path) => Ok(ExperimentConfig::load(path, overrides)?),
        None if Path::new(DEFAULT_CONFIG_PATH).exists() => Ok(ExperimentConfig::load(
            Path::new(DEFAULT_CONFIG_PATH),
            overrides,
        )?),
        None => Ok(ExperimentConfig::from_toml_str(DEFAULT_CONFIG, overrides)
            .context("the built-in default config")?),
    }
}

pub fn run(args: TrainArgs, cli_device: Option<&str>, quiet: bool) -> Result<()> {
    let started = Instant::now();
    let (mut trainer, dir) = match &args.resume {
        Some(dir) => {
            let mut t = super::load_run(dir, cli_device, "cannot resume")?;
            if let Some(steps) = args.steps {
                t.set_total_steps(steps)?;
            }
            tracing::info!(
                "resuming {} at step {} of {}",
                dir.display(),
                t.step(),
                t.config().train.steps
            );
            (t, dir.clone())
        }
        None => {
            let config = load_config(&args)?;
            let device = super::resolve_device(cli_device, &config.train.device)?;
            // Build first: a config that fails to build leaves no run directory behind.
            let trainer = Trainer::new(config, device)?;
            let dir = match &args.out {
                Some(d) => {
                    run_dir::prepare_new_run_dir(d, args.overwrite)?;
                    d.clone()
                }
                None => run_dir::create_run_dir(&args.runs_dir, &trainer.config().name)?,
            };
            (trainer, dir)
        }
    };
    run_dir::ensure_writable_dir(&dir)?;
    // One writer per run directory, until this process exits (or is killed).
    let _lock = run_dir::RunLock::acquire(&dir)?;
    let resumed = args.resume.as_ref().map(|_| trainer.step());
    let provenance = run_dir::Provenance::new(
        gan_train::device::device_name(trainer.device()),
        trainer.config().seed,
        resumed,
    );
    run_dir::write_run_files(&dir, trainer.config(), &provenance)?;
    tracing::info!(
        "training `{}` on {} for {} steps -> {}",
        trainer.config().name,
        provenance.device,
        trainer.config().train.steps,
        dir.display()
    );

    // The same observers the benchmarks run (`gan_train::observe::standard_observers`).
    let mut observers = observe::standard_observers(&dir, &trainer, quiet);

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // SIGINT, SIGTERM and SIGHUP (Ctrl-C, `timeout`, `docker stop`, Slurm pre-emption,
        // a closed terminal): finish the current step, write a checkpoint, then exit.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    // Training time over every session of the run (a resume adds to it).
    let earlier = if resumed.is_some() {
        run_dir::previous_seconds(&dir)
    } else {
        0.0
    };
    let result = trainer.run(&mut observers, &stop);
    let seconds = earlier + started.elapsed().as_secs_f64();
    if matches!(&result, Ok(_) | Err(TrainError::Interrupted { .. })) {
        run_dir::record_seconds(&dir, seconds)?;
    }
    let warnings = match result {
        Ok(warnings) => warnings,
        Err(TrainError::Interrupted { step, .. }) => {
            bail!(
                "interrupted at step {step}; a checkpoint was written. Resume with:\n  gan train --resume {}",
                dir.display()
            )
        }
        Err(e) => {
            let note = match &e {
                TrainError::NonFinite { .. } => checkpoint_note(&dir),
                _ => String::new(),
            };
            return Err(
                anyhow::Error::new(e).context(format!("run directory: {}{note}", dir.display()))
            );
        }
    };
    summarise(&trainer, &dir, seconds)?;
    if !warnings.is_empty() {
        return Err(crate::FinishedWithWarnings(warnings).into());
    }
    Ok(())
}

/// What is left of a run that stopped on NaN/Inf: its last good checkpoint, if any.
fn checkpoint_note(dir: &Path) -> String {
    let path = run_dir::checkpoint_path(dir);
    match gan_train::checkpoint::load(&path) {
        Ok(ck) => format!(
            " (its last good checkpoint, at step {}, was kept: {})",
            ck.meta.step,
            path.display()
        ),
        Err(_) => " (no checkpoint had been written yet)".into(),
    }
}

/// Print (and save as `summary.json`) how the generator ended up.
fn summarise(trainer: &Trainer, dir: &Path, seconds: f64) -> Result<()> {
    let summary = RunSummary::measure(trainer, seconds)?;
    for line in summary.lines() {
        println!("{line}");
    }
    let json = serde_json::to_string_pretty(&summary.to_json())?;
    gan_train::output_file::write_file(&dir.join("summary.json"), json.as_bytes())?;
    println!("  run directory: {}", dir.display());
    Ok(())
}
