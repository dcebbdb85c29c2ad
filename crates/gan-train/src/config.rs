//! The experiment config: one serde struct tree that a `configs/*.toml` file
//! deserializes into, with defaults, `--set key=value` overrides and range checks.
//!
//! Unknown keys are rejected (`deny_unknown_fields`) and every error names the dotted
//! key it is about, e.g. `config error at `train.batch_size`: must be in 1..=16777216, got 0`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use gan_core::AdversarialLoss;
use gan_data::{DatasetName, ToyConfig};
use gan_models::spec::{
    DcganDiscriminatorSpec, DcganGeneratorSpec, InfoGanDiscriminatorSpec, InfoGanGeneratorSpec,
    MlpDiscriminatorSpec, MlpGeneratorSpec,
};
use gan_models::{Activation, AutoencoderConfig, PixelRange, WeightNorm};

use crate::error::{Result, TrainError};
use crate::optim::OptimizerConfig;
use crate::variant::Variant;

/// A whole experiment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Short name; the run directory is `runs/<name>-<timestamp>`.
    pub name: String,
    /// Seed of every random stream of the run (weights, noise, data order).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// `[data]`: where real samples come from (a toy distribution or an image dataset).
    pub data: DataConfig,
    /// `[generator]`: the generator network (`kind = "linear" | "mlp" | "dcgan"`).
    pub generator: GeneratorSpec,
    /// `[discriminator]`: the discriminator network
    /// (`kind = "mlp" | "autoencoder" | "dcgan"`).
    pub discriminator: DiscriminatorSpec,
    /// `[loss]`: the adversarial game and its options (default: non-saturating).
    #[serde(default)]
    pub loss: AdversarialLoss,
    /// The GAN variant: unconditional (default), conditional, AC-GAN, InfoGAN, EBGAN or
    /// semi-supervised.
    #[serde(default)]
    pub variant: Variant,
    /// `[train]`: steps, batch size, schedule, regularizers, device and precision.
    #[serde(default)]
    pub train: TrainConfig,
    /// `[optim.generator]`, `[optim.discriminator]`: one optimizer per player (default
    /// Adam, lr 2e-4, β = (0.5, 0.999), as in DCGAN).
    #[serde(default)]
    pub optim: OptimConfigs,
    /// `[log]`: metrics, snapshots, sample grids, FID and checkpoint cadence.
    #[serde(default)]
    pub log: LogConfig,
}

fn default_seed() -> u64 {
    1
}

/// Where real samples come from: exactly one of `toy` or `dataset`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// `[data.toy]`: an infinite seeded stream from a 1-D / 2-D toy distribution.
    pub toy: Option<ToyConfig>,
    /// `[data.dataset]`: an image dataset read from disk (MNIST, Fashion-MNIST, CIFAR-10).
    pub dataset: Option<DatasetSpec>,
}

/// An image dataset on disk.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// Which dataset: `mnist`, `fashion_mnist` or `cifar10`.
    pub name: DatasetName,
    /// Data directory; default: `$GAN_DATA_DIR` or the user cache (see gan-data).
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Keep only these classes (labels keep their original values); default: all.
    #[serde(default)]
    pub classes: Option<Vec<i64>>,
    /// The pixel range the networks train in: `minus_one_one` (default; tanh generators)
    /// or `zero_one` (a sigmoid MLP generator and a discriminator that sees `[0, 1]`
    /// pixels, as in Salimans et al.'s MNIST GAN). Everything outside the networks (grids,
    /// FID, evaluation) keeps `[−1, 1]` (`gan_models::pixel_range`).
    #[serde(default)]
    pub pixel_range: PixelRange,
}

/// The generator network: a kind, and (for the learned ones) gan-models' spec of it,
/// which owns the fields' defaults and validation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum GeneratorSpec {
    /// G(z) = a·z + b (seed 001); the latent size equals the data dimension.
    Linear,
    /// A fully connected network.
    Mlp(MlpGeneratorSpec),
    /// DCGAN generator (Radford et al.) for the dataset's image shape (28, 32 or 64 px).
    Dcgan(DcganGeneratorSpec),
    /// InfoGAN's MNIST generator (Chen et al. 2016) for 28×28 images.
    Infogan(InfoGanGeneratorSpec),
}

/// The discriminator network: a kind and gan-models' spec of it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DiscriminatorSpec {
    /// A fully connected network.
    Mlp(MlpDiscriminatorSpec),
    /// EBGAN's autoencoder discriminator: the score is the per-sample reconstruction MSE
    /// (an energy) and `features` the code. MLP for vectors, convolutional for images.
    Autoencoder(AutoencoderConfig),
    /// DCGAN discriminator for the dataset's image shape (28, 32 or 64 px).
    Dcgan(DcganDiscriminatorSpec),
    /// InfoGAN's MNIST discriminator with Q sharing its body, for 28×28 images.
    Infogan(InfoGanDiscriminatorSpec),
}

impl GeneratorSpec {
    /// The spec's own checks, errors keyed `generator.<field>`.
    fn validate(&self) -> Result<()> {
        match self {
            GeneratorSpec::Linear => Ok(()),
            GeneratorSpec::Mlp(spec) => spec.validate(),
            GeneratorSpec::Dcgan(spec) => spec.validate(),
            GeneratorSpec::Infogan(spec) => spec.validate(),
        }
        .map_err(|e| model_error("generator", e))
    }
}

impl DiscriminatorSpec {
    /// The spec's own checks, errors keyed `discriminator.<field>`.
    fn validate(&self) -> Result<()> {
        match self {
            DiscriminatorSpec::Mlp(spec) => spec.validate(),
            DiscriminatorSpec::Autoencoder(spec) => spec.validate(),
            DiscriminatorSpec::Dcgan(spec) => spec.validate(),
            DiscriminatorSpec::Infogan(_) => Ok(()),
        }
        .map_err(|e| model_error("discriminator", e))
    }
}

/// A gan-models error about a field of `section` as a config error naming the key.
pub(crate) fn model_error(section: &str, e: gan_models::ModelError) -> TrainError {
    match e {
        gan_models::ModelError::InvalidConfig { field, reason } => {
            TrainError::config(format!("{section}.{field}"), reason)
        }
        other => TrainError::config(section, other.to_string()),
    }
}

/// How D and G updates interleave.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// `d_steps` discriminator updates, then one generator update (Goodfellow et al.).
    #[default]
    Alternating,
    /// Both players step on gradients from the same batch (seed 004).
    Simultaneous,
    /// Unrolled GAN (Metz et al. 2017): D takes one ordinary step, then the generator's
    /// loss is taken against D after `unrolled_steps` further look-ahead updates made
    /// through a differentiable copy of D's parameters (MLP discriminators only).
    Unrolled,
}

/// Learning-rate schedule of both optimizers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LrDecay {
    /// Constant learning rate.
    #[default]
    None,
    /// Linear decay from the configured rate at step 0 to 0 at `train.steps`.
    Linear,
}

/// Floating-point precision of the training forward passes (`train.precision`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PrecisionSetting {
    /// fp32 throughout.
    #[default]
    Fp32,
    /// bf16 autocast around the networks' forward passes (CPU and CUDA); fp32 weights,
    /// optimizer state and losses.
    Bf16,
    /// fp16 autocast with a dynamic loss scale (CUDA only).
    Fp16,
}

/// Training-loop settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Generator updates to perform (default 3000).
    pub steps: u64,
    /// Real (and generated) samples per update (default 64).
    pub batch_size: i64,
    /// Discriminator updates per generator update (k in Goodfellow's algorithm).
    pub d_steps: u32,
    /// How D and G updates interleave (default `alternating`).
    pub schedule: Schedule,
    /// WGAN weight clipping c (0 = off).
    pub weight_clip: f64,
    /// WGAN-GP penalty weight λ (0 = off).
    pub gradient_penalty: f64,
    /// `auto`, `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// CPU threads for libtorch's intra-op parallelism; 0 = automatic: one thread for
    /// toy (vector) data, where thread hand-offs cost more than the tiny matmuls, and
    /// libtorch's default (one per core) for images.
    pub threads: u32,
    /// Look-ahead discriminator updates of `schedule = "unrolled"` (0 = the
    /// alternating step exactly).
    pub unrolled_steps: u32,
    /// Feature-matching generator loss `‖E f(x) − E f(G(z))‖²` on D's last hidden layer
    /// (Salimans et al. 2016) instead of the adversarial generator loss; the real features
    /// come from a second real batch, not the one D has just stepped on (alternating
    /// schedule; improved-gan does the same).
    pub feature_matching: bool,
    /// Historical-averaging penalty weight λ on both players (0 = off):
    /// `λ‖θ − mean of past θ‖²` is added to each player's loss.
    pub historical_averaging: f64,
    /// Learning-rate schedule of both players.
    pub lr_decay: LrDecay,
    /// Decay of an exponential moving average of the generator's weights (0 = off,
    /// typical 0.999). When on, sampling, evaluation and plots use the averaged weights.
    pub ema: f64,
    /// Lay convolutional networks out channels-last (NHWC strides, same values): faster
    /// convolutions and batch norm on CPU (`gan_models::memory_format`). No effect on
    /// networks without convolutions.
    pub channels_last: bool,
    /// `"fp32"` (default), `"bf16"` (autocast, CPU or CUDA) or `"fp16"` (autocast with a
    /// dynamic loss scale, CUDA only). Weights, optimizer state, losses, checkpoints,
    /// sampling and evaluation stay fp32 (`crate::trainer::autocast`).
    pub precision: PrecisionSetting,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            steps: 3000,
            batch_size: 64,
            d_steps: 1,
            schedule: Schedule::Alternating,
            weight_clip: 0.0,
            gradient_penalty: 0.0,
            device: "auto".into(),
            threads: 0,
            unrolled_steps: 5,
            feature_matching: false,
            historical_averaging: 0.0,
            lr_decay: LrDecay::None,
            ema: 0.0,
            channels_last: true,
            precision: PrecisionSetting::Fp32,
        }
    }
}

/// One optimizer per player.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OptimConfigs {
    /// The generator's optimizer (`[optim.generator]`).
    pub generator: OptimizerConfig,
    /// The discriminator's optimizer (`[optim.discriminator]`).
    pub discriminator: OptimizerConfig,
}

/// What gets recorded, and how often.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Write a metrics row (and refresh the progress line) every N steps.
    pub every: u64,
    /// Snapshot densities / samples for plots and animations every N steps (0 = off).
    pub snapshot_every: u64,
    /// Write a checkpoint every N steps (0 = only at the end).
    pub checkpoint_every: u64,
    /// Image runs: write a fixed-noise sample grid (`samples/step_NNNNNN.png`) every N
    /// steps (0 = only the final `samples/final.png`).
    pub samples_every: u64,
    /// Image runs: log the classifier FID (`fid.csv`) every N steps (0 = off). Needs the
    /// dataset's classifier (`gan classifier train --data ...`).
    pub fid_every: u64,
    /// Generated samples per FID measurement during training.
    pub fid_samples: i64,
    /// Keep this many periodic checkpoints besides `latest`, as
    /// `checkpoints/step-NNNNNNNN.safetensors`; the oldest go first (0 = only `latest`).
    pub keep_checkpoints: u32,
    /// Keep the checkpoint with the best value of a logged metric as
    /// `checkpoints/best.safetensors` (with `best.json`): `"fid"` keeps the lowest
    /// classifier FID (needs `log.fid_every`); `""` (the default) keeps none.
    pub keep_best: String,
    /// Write a TensorBoard event file under `tb/` in the run directory (default true):
    /// the metrics.csv scalars, FID, learning rates, sample grids, plots, the config and
    /// hparams. See [`crate::observe::TensorBoard`].
    pub tensorboard: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            every: 10,
            snapshot_every: 100,
            checkpoint_every: 1000,
            samples_every: 500,
            fid_every: 0,
            fid_samples: 2000,
            keep_checkpoints: 0,
            keep_best: String::new(),
            tensorboard: true,
        }
    }
}

impl ExperimentConfig {
    /// Read a TOML config file, apply `key=value` overrides, deserialize and validate.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io("reading", path, e))?;
        Self::from_toml_str(&text, overrides).map_err(|e| match e {
            // A value from an override already says so; any other came from the file.
            TrainError::Config { key, reason } if override_of(overrides, &key).is_none() => {
                TrainError::Config {
                    key,
                    reason: format!("{reason} (in {})", path.display()),
                }
            }
            other => other,
        })
    }

    /// Parse TOML text, apply overrides, deserialize and validate.
    ///
    /// Each override is `dotted.key=value`, the value written as in TOML (a bare word that
    /// is not valid TOML is taken as a string); it replaces or adds that key before the
    /// text is deserialized, so it is checked like the file's own keys. Errors are
    /// [`TrainError::Config`] naming the dotted key, and say when the value came from an
    /// override.
    ///
    /// ```
    /// use gan_train::{ExperimentConfig, TrainError};
    ///
    /// let text = r#"
    ///     name = "ring"
    ///     [data.toy]
    ///     kind = "ring"
    ///     [generator]
    ///     kind = "mlp"
    ///     hidden = [64, 64]
    ///     [discriminator]
    ///     kind = "mlp"
    ///     hidden = [64, 64]
    /// "#;
    /// let config = ExperimentConfig::from_toml_str(text, &[]).unwrap();
    /// // Everything not written takes its default.
    /// assert_eq!((config.seed, config.train.batch_size, config.train.steps), (1, 64, 3000));
    ///
    /// // `--set`-style overrides, applied before validation.
    /// let overrides = ["train.steps=50".to_string(), "optim.generator.lr=1e-3".to_string()];
    /// let config = ExperimentConfig::from_toml_str(text, &overrides).unwrap();
    /// assert_eq!((config.train.steps, config.optim.generator.lr), (50, 1e-3));
    ///
    /// // An out-of-range value is refused, naming the key and where the value came from.
    /// let err = ExperimentConfig::from_toml_str(text, &["train.batch_size=0".to_string()])
    ///     .unwrap_err();
    /// assert!(matches!(&err, TrainError::Config { key, .. } if key == "train.batch_size"));
    /// assert!(err.to_string().contains("(from --set train.batch_size=0)"));
    ///
    /// // So is a misspelt key.
    /// let typo = text.replace("[data.toy]", "[data.toy]\nmodez = 4");
    /// let err = ExperimentConfig::from_toml_str(&typo, &[]).unwrap_err();
    /// assert!(err.to_string().contains("`data.toy`"), "{err}");
    /// assert!(err.to_string().contains("modez"), "{err}");
    /// ```
    pub fn from_toml_str(text: &str, overrides: &[String]) -> Result<Self> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| TrainError::config("<file>", e.to_string()))?;
        for o in overrides {
            apply_override(&mut table, o)?;
        }
        let parsed = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| {
                let key = e.path().to_string();
                TrainError::config(
                    if key == "." { "<root>".into() } else { key },
                    e.inner().to_string(),
                )
            })
            .and_then(|config: ExperimentConfig| config.validate().map(|()| config));
        // Say when the bad value came from an override (`--set`), not the text.
        parsed.map_err(|e| match e {
            TrainError::Config { key, reason } => match override_of(overrides, &key) {
                Some(o) => TrainError::Config {
                    reason: format!("{reason} (from --set {o})"),
                    key,
                },
                None => TrainError::Config { key, reason },
            },
            other => other,
        })
    }

    /// The config as TOML (what a run directory records as `config.toml`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("an ExperimentConfig always serializes")
    }

    /// Range and consistency checks, each error naming its key.
    pub fn validate(&self) -> Result<()> {
        let d = &self.data;
        match (&d.toy, &d.dataset) {
            (Some(toy), None) => toy
                .validate()
                .map_err(|e| TrainError::config("data.toy", e.to_string()))?,
            (None, Some(_)) => {}
            _ => {
                return Err(TrainError::config(
                    "data",
                    "set exactly one of `data.toy` or `data.dataset`",
                ))
            }
        }
        if self.name.trim().is_empty() || self.name.contains(['/', '\\']) {
            return Err(TrainError::config(
                "name",
                "must be a non-empty name without slashes",
            ));
        }
        let t = &self.train;
        if !(1..=MAX_STEPS).contains(&t.steps) {
            return Err(TrainError::config(
                "train.steps",
                format!("must be in 1..={MAX_STEPS}, got {}", t.steps),
            ));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&t.batch_size) {
            return Err(TrainError::config(
                "train.batch_size",
                format!("must be in 1..={MAX_BATCH_SIZE}, got {}", t.batch_size),
            ));
        }
        if t.threads > MAX_THREADS {
            return Err(TrainError::config(
                "train.threads",
                format!(
                    "must be in 0..={MAX_THREADS} (0 = automatic), got {}",
                    t.threads
                ),
            ));
        }
        if t.d_steps < 1 {
            return Err(TrainError::config(
                "train.d_steps",
                format!("must be >= 1, got {}", t.d_steps),
            ));
        }
        non_negative("train.weight_clip", t.weight_clip)?;
        non_negative("train.gradient_penalty", t.gradient_penalty)?;
        non_negative("train.historical_averaging", t.historical_averaging)?;
        if !(0.0..1.0).contains(&t.ema) {
            return Err(TrainError::config(
                "train.ema",
                format!("must be in [0, 1) (0 = off), got {}", t.ema),
            ));
        }
        if t.schedule == Schedule::Unrolled && t.d_steps != 1 {
            return Err(TrainError::config(
                "train.d_steps",
                "must be 1 with schedule = \"unrolled\" (use train.unrolled_steps for look-ahead)",
            ));
        }
        self.validate_schedule_settings()?;
        if t.schedule == Schedule::Simultaneous && t.d_steps != 1 {
            return Err(TrainError::config(
                "train.d_steps",
                "must be 1 with schedule = \"simultaneous\" (both players step together)",
            ));
        }
        self.optim.generator.validate("optim.generator")?;
        self.optim.discriminator.validate("optim.discriminator")?;
        self.loss.validate().map_err(loss_error)?;
        positive("log.every", self.log.every as f64)?;
        self.generator.validate()?;
        self.discriminator.validate()?;
        self.validate_variant()?;
        self.validate_pixel_range()?;
        self.log.validate(self.data.dataset.is_some())
    }

    /// The generator's output range must be the pixel range the networks train in.
    fn validate_pixel_range(&self) -> Result<()> {
        let Some(ds) = &self.data.dataset else {
            return Ok(());
        };
        let sigmoid_mlp = matches!(
            &self.generator,
            GeneratorSpec::Mlp(g) if g.output_activation == Activation::Sigmoid
        );
        match ds.pixel_range {
            PixelRange::ZeroOne if !sigmoid_mlp => Err(TrainError::config(
                "data.dataset.pixel_range",
                "\"zero_one\" needs a generator whose output lies in [0, 1]: kind = \"mlp\" \
                 with output_activation = \"sigmoid\"",
            )),
            PixelRange::ZeroOne if self.train.schedule == Schedule::Unrolled => {
                Err(TrainError::config(
                    "data.dataset.pixel_range",
                    "\"zero_one\" is not supported with train.schedule = \"unrolled\" (its \
                     look-ahead copy of D sees the raw pixels)",
                ))
            }
            PixelRange::MinusOneOne if sigmoid_mlp => Err(TrainError::config(
                "generator.output_activation",
                "\"sigmoid\" reaches only [0, 1] of images in [−1, 1]; set \
                 data.dataset.pixel_range = \"zero_one\" (or use \"tanh\")",
            )),
            _ => Ok(()),
        }
    }
}

/// The metrics `log.keep_best` can keep the best checkpoint by.
pub const KEEP_BEST_METRICS: &[&str] = &["fid"];

impl LogConfig {
    /// Consistency of the logging and retention settings; `images`: the run trains on
    /// a dataset (FID needs one).
    fn validate(&self, images: bool) -> Result<()> {
        if self.fid_every > 0 && self.fid_samples < 2 {
            return Err(TrainError::config(
                "log.fid_samples",
                format!("must be >= 2, got {}", self.fid_samples),
            ));
        }
        if self.keep_checkpoints > 0 && self.checkpoint_every == 0 {
            return Err(TrainError::config(
                "log.keep_checkpoints",
                "keeps periodic checkpoints, and log.checkpoint_every = 0 writes none; set \
                 log.checkpoint_every too",
            ));
        }
        match self.keep_best.as_str() {
            "" => {}
            "fid" if self.fid_every == 0 => {
                return Err(TrainError::config(
                    "log.keep_best",
                    "\"fid\" keeps the checkpoint of the lowest logged FID, and \
                     log.fid_every = 0 logs none; set log.fid_every too",
                ))
            }
            "fid" if !images => {
                return Err(TrainError::config(
                    "log.keep_best",
                    "\"fid\" needs an image run (data.dataset); toy runs log no FID",
                ))
            }
            "fid" => {}
            other => {
                return Err(TrainError::config(
                    "log.keep_best",
                    format!(
                        "unknown metric \"{other}\"; expected one of {KEEP_BEST_METRICS:?} or \"\""
                    ),
                ))
            }
        }
        Ok(())
    }
}

impl ExperimentConfig {
    /// Consistency of `[variant]` with the data, networks, loss and schedule.
    fn validate_variant(&self) -> Result<()> {
        let v = &self.variant;
        v.validate()?;
        if v.needs_labels() && self.data.dataset.is_none() {
            return Err(TrainError::config(
                "variant.kind",
                format!(
                    "\"{}\" needs a labelled dataset (data.dataset), not toy data",
                    v.name()
                ),
            ));
        }
        if *v != Variant::Unconditional && self.train.schedule == Schedule::Unrolled {
            return Err(TrainError::config(
                "variant.kind",
                format!(
                    "variant \"{}\" is not supported with train.schedule = \"unrolled\" (its look-ahead copy of D has no variant heads); use \"alternating\" or \"simultaneous\"",
                    v.name()
                ),
            ));
        }
        if (v.label_conditioned() || v.code_dim() > 0) && self.generator == GeneratorSpec::Linear {
            return Err(TrainError::config(
                "generator.kind",
                format!("variant \"{}\" needs an mlp or dcgan generator", v.name()),
            ));
        }
        let autoencoder = matches!(self.discriminator, DiscriminatorSpec::Autoencoder(_));
        let ebgan = matches!(v, Variant::EnergyBased { .. });
        if autoencoder != ebgan {
            return Err(TrainError::config(
                "discriminator.kind",
                "an autoencoder discriminator goes with variant.kind = \"ebgan\", and EBGAN needs one",
            ));
        }
        if ebgan && self.loss.kind != gan_core::LossKind::EnergyMargin {
            return Err(TrainError::config(
                "loss.kind",
                "EBGAN trains with loss.kind = \"energy_margin\"",
            ));
        }
        if self.loss.kind == gan_core::LossKind::EnergyMargin && !autoencoder {
            return Err(TrainError::config(
                "loss.kind",
                "\"energy_margin\" needs an energy >= 0 as D's score: use discriminator.kind = \"autoencoder\" with variant.kind = \"ebgan\" (a plain score is unbounded below)",
            ));
        }
        if let Variant::SemiSupervised { .. } = v {
            if !self.loss.kind.is_bce_family() {
                return Err(TrainError::config(
                    "loss.kind",
                    "the semi-supervised GAN's score is a logit: use non_saturating, minimax or max_likelihood",
                ));
            }
        }
        Ok(())
    }
}

impl ExperimentConfig {
    /// Settings that only some schedules or networks apply: each one set where it would
    /// have no effect is refused with both keys named, so no accepted setting is
    /// silently ignored.
    fn validate_schedule_settings(&self) -> Result<()> {
        let t = &self.train;
        let defaults = TrainConfig::default();
        if t.schedule == Schedule::Unrolled {
            // The look-ahead copy of D is updated by the adversarial loss alone.
            for (key, on) in [
                ("train.gradient_penalty", t.gradient_penalty > 0.0),
                ("train.weight_clip", t.weight_clip > 0.0),
                ("train.historical_averaging", t.historical_averaging > 0.0),
            ] {
                if on {
                    return Err(TrainError::config(
                        key,
                        "is not supported with train.schedule = \"unrolled\": the look-ahead updates of D would leave it out; use \"alternating\" or \"simultaneous\"",
                    ));
                }
            }
            if let DiscriminatorSpec::Mlp(d) = &self.discriminator {
                if d.weight_norm != WeightNorm::None {
                    return Err(TrainError::config(
                        "discriminator.weight_norm",
                        "is not supported with train.schedule = \"unrolled\" (its look-ahead \
                         copy of D has plain layers only)",
                    ));
                }
            }
            if t.unrolled_steps > MAX_UNROLLED_STEPS {
                return Err(TrainError::config(
                    "train.unrolled_steps",
                    format!(
                        "must be at most {MAX_UNROLLED_STEPS} (Metz et al. use up to 10), got {}",
                        t.unrolled_steps
                    ),
                ));
            }
        } else if t.unrolled_steps != defaults.unrolled_steps {
            return Err(TrainError::config(
                "train.unrolled_steps",
                format!(
                    "applies only with train.schedule = \"unrolled\" (the schedule is \"{}\")",
                    schedule_name(t.schedule)
                ),
            ));
        }
        Ok(())
    }
}

/// The config name of a schedule.
fn schedule_name(s: Schedule) -> &'static str {
    match s {
        Schedule::Alternating => "alternating",
        Schedule::Simultaneous => "simultaneous",
        Schedule::Unrolled => "unrolled",
    }
}

/// A loss-option error of gan-core as a config error naming `loss.<field>`.
fn loss_error(e: gan_core::CoreError) -> TrainError {
    match e {
        gan_core::CoreError::UnusedOption {
            field,
            value,
            kind,
            applies_to,
        } => TrainError::config(
            format!("loss.{field}"),
            format!(
                "{value} has no effect with loss.kind = \"{kind}\"; it applies to {applies_to}"
            ),
        ),
        gan_core::CoreError::InvalidParameter { field, .. } => {
            TrainError::config(format!("loss.{field}"), e.to_string())
        }
        other => TrainError::config("loss", other.to_string()),
    }
}

fn positive(key: &str, v: f64) -> Result<()> {
    if v > 0.0 {
        Ok(())
    } else {
        Err(TrainError::config(key, format!("must be > 0, got {v}")))
    }
}

fn non_negative(key: &str, v: f64) -> Result<()> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(TrainError::config(key, format!("must be >= 0, got {v}")))
    }
}

/// Most generator steps a run may have: 10^12 (years of training at any speed), and
/// well within what a TOML config (i64) can record.
pub const MAX_STEPS: u64 = 1_000_000_000_000;
/// Largest `train.batch_size` (the toy sources' limit, 2^24 samples).
pub const MAX_BATCH_SIZE: i64 = 1 << 24;
/// Most look-ahead steps of the unrolled GAN: each keeps a copy of D's parameters and
/// their graph alive.
pub const MAX_UNROLLED_STEPS: u32 = 100;
/// Largest `train.threads`: far more would exhaust the stack space for threads.
pub const MAX_THREADS: u32 = 1024;
/// The override (`key=value`) that set `key` or a table around it, if any (the last one
/// wins, as when they are applied).
fn override_of<'a>(overrides: &'a [String], key: &str) -> Option<&'a str> {
    overrides.iter().rev().map(String::as_str).find(|o| {
        o.split_once('=').is_some_and(|(k, _)| {
            let k = k.trim();
            k == key || key.starts_with(&format!("{k}.")) || k.starts_with(&format!("{key}."))
        })
    })
}

/// Apply one `dotted.key=value` override to a TOML table. The value is parsed as a
/// TOML value (`2000`, `1e-3`, `true`, `[64, 64]`, `"text"`); anything that isn't valid
/// TOML is taken as a bare string, so `--set loss.kind=hinge` works unquoted.
pub fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<()> {
    let (key, raw) = assignment.split_once('=').ok_or_else(|| {
        TrainError::config(assignment, "an override must look like `section.key=value`")
    })?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(TrainError::config(assignment, "empty key in override"));
    }
    let value = parse_value(raw.trim());
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().expect("split yields at least one part");
    let mut cursor = table;
    let mut walked = String::new();
    for part in parts {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        let entry = cursor
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cursor = entry.as_table_mut().ok_or_else(|| {
            TrainError::config(walked.clone(), "is not a table, cannot set a key inside it")
        })?;
    }
    cursor.insert(last.to_string(), value);
    Ok(())
}

fn parse_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").expect("parsed key v"),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        name = "t"
        [data.toy]
        kind = "gaussian"
        mean = 4.0
        std = 1.25
        [generator]
        kind = "linear"
        [discriminator]
        kind = "mlp"
        hidden = [8, 8]
    "#;

    fn err_of(text: &str, overrides: &[&str]) -> String {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        ExperimentConfig::from_toml_str(text, &o)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = ExperimentConfig::from_toml_str(MINIMAL, &[]).unwrap();
        assert_eq!(c.seed, 1);
        assert_eq!(c.train.d_steps, 1);
        assert_eq!(c.optim.generator.beta1, 0.5);
        // Round trip through TOML gives the same config.
        let again = ExperimentConfig::from_toml_str(&c.to_toml(), &[]).unwrap();
        assert_eq!(c, again);
    }

    #[test]
    fn overrides_set_nested_values() {
        let o = vec![
            "train.steps=2000".to_string(),
            "loss.kind=hinge".to_string(),
            "discriminator.hidden=[4]".to_string(),
        ];
        let c = ExperimentConfig::from_toml_str(MINIMAL, &o).unwrap();
        assert_eq!(c.train.steps, 2000);
        assert_eq!(c.loss.kind, gan_core::LossKind::Hinge);
        assert_eq!(
            c.discriminator,
            DiscriminatorSpec::Mlp(MlpDiscriminatorSpec {
                hidden: vec![4],
                activation: gan_models::Activation::LeakyRelu,
                dropout: 0.0,
                minibatch_discrimination: None,
                minibatch_std: false,
                input_noise: 0.0,
                hidden_noise: 0.0,
                weight_norm: WeightNorm::None,
                data_init_samples: None,
            })
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err_of(MINIMAL, &["train.stepz=5"]);
        assert!(e.contains("train") && e.contains("stepz"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = err_of(MINIMAL, &["train.steps=\"many\""]);
        assert!(e.contains("train.steps"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_named() {
        for (o, key) in [
            ("train.batch_size=0", "train.batch_size"),
            ("train.d_steps=0", "train.d_steps"),
            ("optim.generator.lr=-1", "optim.generator.lr"),
            ("discriminator.dropout=1.5", "discriminator.dropout"),
            ("train.steps=0", "train.steps"),
        ] {
            let e = err_of(MINIMAL, &[o]);
            assert!(e.contains(key), "{o}: {e}");
        }
    }

    #[test]
    fn unknown_loss_lists_choices() {
        let e = err_of(MINIMAL, &["loss.kind=wasserstain"]);
        assert!(e.contains("loss.kind") && e.contains("wasserstein"), "{e}");
    }

    #[test]
    fn data_needs_exactly_one_source() {
        let text = MINIMAL.replace("[data.toy]", "[data.other]");
        let e = err_of(&text, &[]);
        assert!(e.contains("data"), "{e}");
    }

    #[test]
    fn malformed_override_is_rejected() {
        let e = err_of(MINIMAL, &["train.steps"]);
        assert!(e.contains("section.key=value"), "{e}");
        let e = err_of(MINIMAL, &["name.x=1"]);
        assert!(e.contains("name"), "{e}");
    }

    #[test]
    fn syntax_errors_are_reported() {
        let e = err_of("name = ", &[]);
        assert!(e.contains("config error"), "{e}");
    }

    #[test]
    fn retention_settings_are_applied_or_refused_by_key() {
        let e = err_of(
            MINIMAL,
            &["log.keep_checkpoints=3", "log.checkpoint_every=0"],
        );
        assert!(
            e.contains("log.keep_checkpoints") && e.contains("log.checkpoint_every"),
            "{e}"
        );
        let e = err_of(MINIMAL, &["log.keep_best=\"fid\""]);
        assert!(
            e.contains("log.keep_best") && e.contains("log.fid_every"),
            "{e}"
        );
        let e = err_of(MINIMAL, &["log.keep_best=\"fid\"", "log.fid_every=10"]);
        assert!(
            e.contains("log.keep_best") && e.contains("image run"),
            "{e}"
        );
        let e = err_of(MINIMAL, &["log.keep_best=\"loss\""]);
        assert!(e.contains("unknown metric \"loss\""), "{e}");
        let o = vec!["log.keep_checkpoints=3".to_string()];
        let c = ExperimentConfig::from_toml_str(MINIMAL, &o).unwrap();
        assert_eq!(c.log.keep_checkpoints, 3);
    }
}
