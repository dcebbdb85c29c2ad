//! `gan classifier train`: train the per-dataset classifier whose features and softmax
//! give gan-rs's FID / KID / IS (comparable across gan-rs runs, NOT with published
//! Inception-based numbers), and cache it where `gan eval` and `log.fid_every` look.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use gan_data::{DatasetName, Split};
use gan_train::classifier::{classifier_path, Classifier, ClassifierConfig, FitOptions};

#[derive(clap::Args, Debug)]
pub struct ClassifierArgs {
    #[command(subcommand)]
    pub command: ClassifierCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ClassifierCommand {
    /// Train (or retrain) the classifier of a dataset and report its test accuracy.
    Train(TrainClassifierArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrainClassifierArgs {
    /// Dataset: mnist, fashion-mnist or cifar10.
    #[arg(long)]
    pub data: String,
    /// Passes over the training set.
    #[arg(long, default_value_t = 2)]
    pub epochs: u32,
    /// Data directory (default: $GAN_DATA_DIR or ~/.cache/gan-rs/data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where to write the weights (default: <data dir>/classifiers/<dataset>.safetensors).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Seed of the initialisation and batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn run(args: ClassifierArgs, cli_device: Option<&str>) -> Result<()> {
    match args.command {
        ClassifierCommand::Train(a) => train(a, cli_device),
    }
}

fn train(args: TrainClassifierArgs, cli_device: Option<&str>) -> Result<()> {
    let name: DatasetName = args.data.parse()?;
    let data_dir = args
        .data_dir
        .clone()
        .or_else(gan_data::default_data_dir)
        .context("no data directory: pass --data-dir, or set GAN_DATA_DIR or HOME")?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| classifier_path(&data_dir, name));
    let device = super::resolve_device(cli_device, "auto")?;
    let train_set = gan_data::load(name, &data_dir, Split::Train)?;
    let test_set = gan_data::load(name, &data_dir, Split::Test)?;
    let mut c = Classifier::new(ClassifierConfig::for_dataset(name), device)?;
    let opts = FitOptions {
        epochs: args.epochs,
        seed: args.seed,
        ..FitOptions::default()
    };
    let started = Instant::now();
    let steps = c.fit(&train_set, &opts, |step, loss| {
        tracing::info!("step {step}: cross-entropy {loss:.4}")
    })?;
    let acc = c.accuracy(&test_set)?;
    c.save(&out)?;
    println!(
        "trained the {name} classifier: {steps} steps ({} epochs) in {:.1} s; test accuracy {:.2}% on {} images",
        args.epochs,
        started.elapsed().as_secs_f64(),
        acc * 100.0,
        test_set.len()
    );
    println!("  saved to {}", out.display());
    println!(
        "  its features give gan-rs FID/KID/IS: comparable across gan-rs runs, NOT with published Inception-v3 values"
    );
    Ok(())
}
