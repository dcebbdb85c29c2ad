//! `gan`: train, sample and evaluate GANs from TOML configs.
//!
//! This binary only parses arguments and wires the library crates together; all maths
//! lives in gan-core / gan-models / gan-train.

// Argument docs are clap's `--help` text, printed as written: `<data dir>` there is a
// placeholder for the user, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod commands;
mod cuda;
mod panic_guard;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Train, sample and evaluate generative adversarial networks (libtorch via tch).
#[derive(Parser, Debug)]
#[command(name = "gan", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Device: auto (CUDA if available, else CPU), cpu, cuda or cuda:N.
    /// Overrides `train.device` of the config.
    #[arg(long, global = true)]
    device: Option<String>,

    /// Less output: no progress bar, warnings and errors only.
    #[arg(short, long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a GAN. With no arguments: the 1-D Gaussian experiment (configs/gaussian1d.toml).
    Train(commands::train::TrainArgs),
    /// Draw samples from a trained run's generator.
    Sample(commands::sample::SampleArgs),
    /// Evaluate a trained run (1-D: KL / JS / EMD; 2-D: mode coverage; images: FID / KID / IS).
    Eval(commands::eval::EvalArgs),
    /// Train toy configs over several seeds and tabulate mode coverage / moment errors.
    Compare(commands::compare::CompareArgs),
    /// Train the per-dataset classifier behind gan-rs's FID / KID / IS.
    Classifier(commands::classifier::ClassifierArgs),
    /// Write a run's generator or discriminator as a PyTorch state_dict (safetensors) of
    /// the reference modules in scripts/pytorch_models.py.
    ///
    /// Names, shapes and layouts are those of the module, so in Python
    /// `net.load_state_dict(safetensors.torch.load_file("netG.safetensors"))` just works
    /// (or `pytorch_models.load("netG.safetensors")`, which builds the module the file's
    /// metadata records). DCGANs map onto PyTorch's DCGAN example (28, 32, 64 px), the toy
    /// MLPs onto nn.Sequential MLPs; discriminators return logits. Anything else (label
    /// embeddings, discriminator heads, minibatch discrimination / std, virtual batch norm,
    /// features_layer_batch_norm = false, the autoencoder D) is refused naming the config
    /// key. Example: gan export --run runs/R --to pytorch --net discriminator --out netD.safetensors
    Export(commands::export::ExportArgs),
    /// Make a run directory from a PyTorch state_dict of a reference module and a config.
    ///
    /// The run (config.toml, run.json, import.json, a step-0 checkpoint) works with
    /// `gan sample`, `gan eval`, `gan export` and `gan train --resume`. Every tensor is
    /// checked (name, shape, floating-point dtype, finite values); a mismatch, or a tensor
    /// the module lacks, is an error naming the tensor. Without --discriminator, D is
    /// initialised from the config's seed as `gan train` starts it, and import.json says
    /// so. A .pth that libtorch cannot read is refused; convert it with
    /// `safetensors.torch.save_file(net.state_dict(), "net.safetensors")` or
    /// `python scripts/pytorch_models.py convert net.pth net.safetensors`.
    /// Example: gan import --from pytorch netG.safetensors --discriminator netD.safetensors -c configs/dcgan-mnist.toml --out runs/imported
    Import(commands::import::ImportArgs),
}

fn main() -> std::process::ExitCode {
    // Die quietly on a closed pipe (`gan ... | head`) like other Unix tools, instead of
    // panicking in println!.
    // SAFETY: setting a signal disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let filter = if cli.quiet { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GAN_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_target(false)
        .without_time()
        .with_writer(std::io::stderr)
        .init();
    // Every subcommand allocates and frees tensors step after step (see the module).
    gan_train::allocator::retain_freed_memory();
    let device = cli.device.clone();
    let result = panic_guard::catching_panics(move || match cli.command {
        Command::Train(args) => commands::train::run(args, device.as_deref(), cli.quiet),
        Command::Sample(args) => commands::sample::run(args, device.as_deref()),
        Command::Eval(args) => commands::eval::run(args, device.as_deref()),
        Command::Compare(args) => commands::compare::run(args, device.as_deref(), cli.quiet),
        Command::Classifier(args) => commands::classifier::run(args, device.as_deref()),
        // Both read and write weights on the CPU: --device does not apply.
        Command::Export(args) => commands::export::run(args),
        Command::Import(args) => commands::import::run(args),
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.is::<FinishedWithWarnings>() => {
            eprintln!("{e}");
            std::process::ExitCode::from(FINISHED_WITH_WARNINGS)
        }
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": ", skipping a cause whose text the message
/// before it already includes (our error types print their source inline).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Exit status of a run that finished and wrote its checkpoint, but some of whose
/// outputs (plots, images) failed: 3, apart from success (0), errors (1) and usage
/// errors (2).
pub const FINISHED_WITH_WARNINGS: u8 = 3;

/// A run that finished, with the warnings of the observers that failed on the way.
#[derive(Debug)]
pub struct FinishedWithWarnings(pub Vec<String>);

impl std::fmt::Display for FinishedWithWarnings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "warning: the run finished and its checkpoint was written, but {} output(s) failed:",
            self.0.len()
        )?;
        for w in &self.0 {
            writeln!(f, "  - {w}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FinishedWithWarnings {}

/// Default location of run directories.
pub fn default_runs_dir() -> PathBuf {
    PathBuf::from("runs")
}
