//! `gan sample`: draw samples from a trained run's generator and write them as a CSV
//! table (toy default), a PNG grid (image default) or a raw float32 `.npy` array. The
//! latents are drawn from the prior, or read from a `.npy` file (`--latents`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tch::{Kind, Tensor};

use gan_train::conditioning::GenInput;
use gan_train::image_grid::{default_nrow, npy_bytes, write_grid_png};
use gan_train::Sampler;

/// The most samples one `gan sample` writes (a million 28×28 images are 3 GB as floats).
pub const MAX_SAMPLES: i64 = 1_000_000;

/// Output formats of `gan sample`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// One row per sample, one column per dimension.
    Csv,
    /// An image grid (image runs only).
    Png,
    /// Raw float32 samples with their shape (`[N, C, H, W]` for images), numpy-readable.
    Npy,
}

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// The run directory (holds checkpoints/latest.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// Number of samples (default: 64 for image runs, 2500 for toy runs).
    #[arg(long, conflicts_with = "latents")]
    pub n: Option<i64>,
    /// Output file; its extension (.csv, .png, .npy) picks the format unless --format is given.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Output format (default: from the extension of --out; CSV when it has none).
    #[arg(long, value_enum)]
    pub format: Option<SampleFormat>,
    /// Seed of the latent noise.
    #[arg(long, default_value_t = 0, conflicts_with = "latents")]
    pub seed: i64,
    /// Truncation trick: redraw latent entries with |z| > T.
    #[arg(long, value_name = "T", conflicts_with = "latents")]
    pub truncation: Option<f64>,
    /// Take the latents from this .npy file instead of drawing them: a float32 (or
    /// float64) array of shape [N, nz], one row per sample, nz the generator's latent
    /// width (with an InfoGAN code appended, as the generator takes it). Feed the same
    /// file to PyTorch (scripts/pytorch_models.py) to compare outputs. The generator runs
    /// in eval mode (batch-norm running statistics), as always for sampling.
    #[arg(long, value_name = "FILE")]
    pub latents: Option<PathBuf>,
    /// Images per row of a PNG grid (default: a square grid).
    #[arg(long)]
    pub nrow: Option<usize>,
    /// Generate only this class (conditional GAN / AC-GAN label, or InfoGAN categorical
    /// code value).
    #[arg(long, value_name = "K")]
    pub class: Option<i64>,
}

fn format_of(args: &SampleArgs) -> Result<SampleFormat> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        None | Some("csv") => Ok(SampleFormat::Csv),
        Some("png") => Ok(SampleFormat::Png),
        Some("npy") => Ok(SampleFormat::Npy),
        Some(other) => bail!("cannot tell the format from `.{other}`; pass --format csv|png|npy"),
    }
}

pub fn run(args: SampleArgs, cli_device: Option<&str>) -> Result<()> {
    let format = format_of(&args)?;
    // The generator alone: sampling reads no training data and no optimizer state.
    let trainer = super::load_inference(&args.run, cli_device, "cannot sample", |_| false)?;
    let is_image = gan_train::observe::is_image_shape(&trainer.sample_shape());
    let input = match &args.latents {
        Some(path) => latent_input(&trainer, path, args.class)?,
        None => {
            let n = args.n.unwrap_or(if is_image { 64 } else { 2500 });
            if !(1..=MAX_SAMPLES).contains(&n) {
                bail!("--n must be in 1..={MAX_SAMPLES}, got {n}");
            }
            tch::manual_seed(args.seed);
            trainer
                .conditioning()
                .draw(n, trainer.device(), args.truncation, args.class)
                .map_err(|e| match (args.class, e) {
                    (Some(_), gan_train::TrainError::Config { key, reason }) if key == "class" => {
                        anyhow::anyhow!("--class: {reason}")
                    }
                    (_, e) => e.into(),
                })?
        }
    };
    let n = input.z.size()[0];
    // EMA weights when the run keeps them (train.ema), as for evaluation.
    let samples = trainer.sample_from(&input);
    match format {
        SampleFormat::Png => {
            if !is_image {
                bail!("--format png needs an image run; this run's samples have shape {:?} (use csv or npy)",
                    trainer.sample_shape());
            }
            let nrow = args.nrow.unwrap_or_else(|| default_nrow(n as usize));
            write_grid_png(&samples, nrow, &args.out)?;
        }
        SampleFormat::Npy => {
            gan_train::output_file::write_file(&args.out, &npy_bytes(&samples)?)?;
        }
        SampleFormat::Csv => write_csv(&samples, &args.out)?,
    }
    println!(
        "wrote {n} samples of shape {:?} to {} ({format:?})",
        &samples.size()[1..],
        args.out.display()
    );
    Ok(())
}

/// The generator input of `--latents FILE`: its `[N, nz]` matrix as `z`, with the label
/// `--class` for every sample of a label-conditioned generator (which needs one).
fn latent_input(trainer: &dyn Sampler, path: &Path, class: Option<i64>) -> Result<GenInput> {
    let c = trainer.conditioning();
    let width = c.noise_dim() + c.categorical() + c.continuous();
    let z = gan_train::interop::read_latents(path, width)
        .map_err(|e| anyhow::anyhow!("--latents {e}"))?;
    let n = z.size()[0];
    if n > MAX_SAMPLES {
        bail!(
            "--latents {}: {n} rows, at most {MAX_SAMPLES} samples",
            path.display()
        );
    }
    let labels = match (c.label_classes(), class) {
        (Some(k), Some(y)) if (0..k).contains(&y) => {
            Some(Tensor::full([n], y, (Kind::Int64, trainer.device())))
        }
        (Some(k), Some(y)) => bail!("--class: must be in 0..{k}, got {y}"),
        (Some(k), None) => bail!(
            "--latents: this run's generator also takes a class label; pass --class K (0..{k})"
        ),
        (None, Some(_)) if c.categorical() > 0 => bail!(
            "--class: with --latents the InfoGAN code is part of the latents file (its one-hot columns)"
        ),
        (None, Some(_)) => bail!("--class: this run's generator takes no class"),
        (None, None) => None,
    };
    Ok(GenInput {
        z: z.to_device(trainer.device()),
        labels,
        categorical: None,
        continuous: None,
    })
}

fn write_csv(samples: &Tensor, path: &Path) -> Result<()> {
    let samples = samples.to_kind(Kind::Double).flatten(1, -1);
    let dim = samples.size()[1];
    let values: Vec<f64> = Vec::try_from(samples.flatten(0, -1)).context("reading samples")?;
    let header: Vec<String> = (0..dim).map(|i| format!("x{i}")).collect();
    let mut text = header.join(",") + "\n";
    for row in values.chunks(dim as usize) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text += &cells.join(",");
        text.push('\n');
    }
    // Atomic for a regular file; written through a symlink, device or FIFO.
    gan_train::output_file::write_file(path, text.as_bytes())?;
    Ok(())
}
