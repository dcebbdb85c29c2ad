//! The training loop: one [`Trainer`] owns both players, their optimizers, the data
//! source, the member of the GAN family and the two seams, and advances the game one
//! generator step at a time.
//!
//! The parts, one file each:
//! - `objectives`: the shared player-update primitives (each player's objective, the
//!   backward / step pair);
//! - `schedules`: alternating, simultaneous and unrolled, built from those primitives;
//! - `unrolled`: the unrolled GAN's look-ahead;
//! - [`seams`]: the gradient seam and the precision seam;
//! - [`autocast`]: bf16/fp16 training through the precision seam;
//! - `state`: what a checkpoint saves and restores;
//! - `ema` and `stats`.
//!
//! Everything that watches training (progress, metrics, plots, checkpoints,
//! diagnostics) is an [`Observer`], so the loop itself stays
//! short. Fields are private: observers, the CLI and evaluation code read them through
//! the accessors below, and change them only through validated methods.
//!
//! ```
//! use gan_train::{ExperimentConfig, Trainer};
//! let config = ExperimentConfig::from_toml_str(
//!     r#"
//!     name = "doc"
//!     [data.toy]
//!     kind = "gaussian"
//!     mean = 4.0
//!     std = 1.25
//!     [generator]
//!     kind = "linear"
//!     [discriminator]
//!     kind = "mlp"
//!     hidden = [8]
//!     [train]
//!     steps = 20
//!     batch_size = 32
//!     "#,
//!     &[],
//! )
//! .unwrap();
//! let mut trainer = Trainer::new(config, tch::Device::Cpu).unwrap();
//! let stats = trainer.train_step().unwrap();
//! assert_eq!((stats.step, trainer.step()), (1, 1));
//! assert!(stats.d_loss.is_finite());
//! // Extending a run re-validates: 0 steps is refused by name.
//! assert!(trainer.set_total_steps(0).unwrap_err().to_string().contains("train.steps"));
//! ```

pub mod autocast;
mod ema;
mod objectives;
mod schedules;
pub mod seams;
pub(crate) mod state;
mod stats;
mod unrolled;

pub use seams::{FullPrecision, GradientSync, LocalGradients, Player, Precision};
pub use stats::StepStats;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use tch::{nn::VarStore, Device, Tensor};

use gan_core::{AdversarialLoss, HistoricalAverage};
use gan_data::Source;
use gan_models::{Discriminator, Generator};

use crate::checkpoint;
use crate::conditioning::{Conditioning, GenInput};
use crate::config::{ExperimentConfig, LrDecay};
use crate::error::{Result, TrainError};
use crate::experiment::{build_parts, initialize_from_data, Parts};
use crate::family::FamilyMember;
use crate::observe::Observer;
use crate::optim::Optimizer;
use crate::rng;
use ema::Ema;

/// A GAN being trained.
///
/// Build it from a validated [`ExperimentConfig`] with [`Trainer::new`] (fresh weights
/// from the config's seed) or [`Trainer::resume`] (from a checkpoint); then either call
/// [`train_step`](Self::train_step) yourself or hand the loop to [`run`](Self::run) with
/// observers. The same config and seed give the same run, step for step.
///
/// ```
/// use gan_train::{ExperimentConfig, Trainer};
///
/// // The 8-mode ring, with small MLPs and a hinge loss.
/// let text = r#"
///     name = "ring-doc"
///     [data.toy]
///     kind = "ring"
///     [generator]
///     kind = "mlp"
///     hidden = [16]
///     [discriminator]
///     kind = "mlp"
///     hidden = [16]
///     [loss]
///     kind = "hinge"
///     [train]
///     steps = 5
///     batch_size = 32
///     d_steps = 2
/// "#;
/// let config = ExperimentConfig::from_toml_str(text, &[]).unwrap();
/// let mut trainer = Trainer::new(config.clone(), tch::Device::Cpu).unwrap();
/// let mut d_losses = Vec::new();
/// while trainer.step() < trainer.config().train.steps {
///     let stats = trainer.train_step().unwrap();
///     assert!(stats.d_loss.is_finite() && stats.g_loss.is_finite());
///     d_losses.push(stats.d_loss);
/// }
/// assert_eq!(trainer.step(), 5);
/// // Two D updates per G update.
/// assert_eq!(trainer.generator_optimizer().steps(), 5);
/// assert_eq!(trainer.discriminator_optimizer().steps(), 10);
/// // Samples come back on the CPU, shaped like the data: [N, 2].
/// assert_eq!(trainer.sample(100).unwrap().size(), [100, 2]);
///
/// // Same config, same seed: the same run.
/// let mut again = Trainer::new(config, tch::Device::Cpu).unwrap();
/// assert_eq!(again.train_step().unwrap().d_loss, d_losses[0]);
/// ```
pub struct Trainer {
    config: ExperimentConfig,
    device: Device,
    gen_vs: VarStore,
    disc_vs: VarStore,
    generator: Box<dyn Generator>,
    discriminator: Box<dyn Discriminator>,
    opt_g: Optimizer,
    opt_d: Optimizer,
    source: Box<dyn Source>,
    /// The member of the GAN family: its heads, conditioning and loss terms.
    member: Box<dyn FamilyMember>,
    /// How generator inputs (noise, labels, InfoGAN codes) are drawn.
    conditioning: Conditioning,
    /// Generator updates completed so far.
    step: u64,
    /// Exponential moving average of the generator's weights (`train.ema > 0`).
    ema: Option<Ema>,
    /// Historical averages of (generator, discriminator) parameters
    /// (`train.historical_averaging > 0`).
    history: Option<(HistoricalAverage, HistoricalAverage)>,
    /// The gradient seam (between backward and optimizer step).
    grad_sync: Box<dyn GradientSync>,
    /// The precision seam (autocast region and loss scaling).
    precision: Box<dyn Precision>,
}

impl Trainer {
    /// Build every part of `config` on `device`, freshly initialized from the seed.
    pub fn new(config: ExperimentConfig, device: Device) -> Result<Self> {
        apply_thread_setting(&config);
        crate::allocator::retain_freed_memory();
        let mut parts = build_parts(&config, device)?;
        if let Some(n) = initialize_from_data(&config, &mut parts, device)? {
            tracing::info!(
                "initialised the discriminator's weight-normalised layers on {n} real samples"
            );
        }
        Self::from_parts(config, device, parts)
    }

    /// A trainer over parts built elsewhere (e.g. networks a benchmark builds itself).
    /// `config` is validated again, and must describe `parts`.
    pub fn from_parts(config: ExperimentConfig, device: Device, parts: Parts) -> Result<Self> {
        config.validate()?;
        apply_thread_setting(&config);
        crate::allocator::retain_freed_memory();
        let Parts {
            gen_vs,
            disc_vs,
            generator,
            discriminator,
            source,
            member,
        } = parts;
        let conditioning = Conditioning::new(
            &config.variant,
            generator.latent_dim(),
            source.num_classes(),
        )?;
        if config.train.schedule == crate::config::Schedule::Unrolled
            && discriminator.as_mlp().is_none()
        {
            return Err(TrainError::config(
                "train.schedule",
                "\"unrolled\" needs an MLP discriminator with plain layers (discriminator.kind = \"mlp\", no weight_norm, pixel_range \"minus_one_one\")",
            ));
        }
        let opt_g = Optimizer::for_var_store(&config.optim.generator, &gen_vs);
        let opt_d = Optimizer::for_var_store(&config.optim.discriminator, &disc_vs);
        let ema = (config.train.ema > 0.0).then(|| Ema::new(&gen_vs, config.train.ema));
        let history = (config.train.historical_averaging > 0.0)
            .then(|| (HistoricalAverage::new(), HistoricalAverage::new()));
        let precision = autocast::for_config(config.train.precision, device)?;
        Ok(Trainer {
            ema,
            history,
            config,
            device,
            gen_vs,
            disc_vs,
            generator,
            discriminator,
            opt_g,
            opt_d,
            source,
            member,
            conditioning,
            step: 0,
            grad_sync: Box::new(LocalGradients),
            precision,
        })
    }

    /// Rebuild the trainer saved in the checkpoint at `path`: weights, optimizer state,
    /// step and data cursor. The config comes from the checkpoint.
    pub fn resume(path: &Path, device: Device) -> Result<Self> {
        Self::from_checkpoint(checkpoint::load(path)?, path, device)
    }

    // ----- read-only accessors -----

    /// The experiment's (validated) config.
    pub fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    /// The device the networks live on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Generator updates completed so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The adversarial game (`config().loss`).
    pub fn loss(&self) -> &AdversarialLoss {
        &self.config.loss
    }

    /// The generator network.
    pub fn generator(&self) -> &dyn Generator {
        self.generator.as_ref()
    }

    /// The discriminator network.
    pub fn discriminator(&self) -> &dyn Discriminator {
        self.discriminator.as_ref()
    }

    /// The generator's variables.
    pub fn generator_vars(&self) -> &VarStore {
        &self.gen_vs
    }

    /// The discriminator's variables.
    pub fn discriminator_vars(&self) -> &VarStore {
        &self.disc_vs
    }

    /// The generator's optimizer.
    pub fn generator_optimizer(&self) -> &Optimizer {
        &self.opt_g
    }

    /// The discriminator's optimizer.
    pub fn discriminator_optimizer(&self) -> &Optimizer {
        &self.opt_d
    }

    /// The training data.
    pub fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    /// Shape of one training sample, e.g. `[2]` or `[1, 28, 28]`.
    pub fn sample_shape(&self) -> Vec<i64> {
        self.source.sample_shape()
    }

    /// `n` real samples drawn from the training data (advancing its cursor; for
    /// evaluation of finished runs).
    pub fn draw_real(&mut self, n: i64) -> Result<Tensor> {
        Ok(self.source.next_batch(n)?.x)
    }

    /// How generator inputs are drawn (labels, InfoGAN codes).
    pub fn conditioning(&self) -> &Conditioning {
        &self.conditioning
    }

    /// The member of the GAN family.
    pub fn member(&self) -> &dyn FamilyMember {
        self.member.as_ref()
    }

    // ----- validated changes -----

    /// Train until `steps` generator updates in all (extending or shortening a resumed
    /// run). The changed config goes through the same validation as a fresh one, and
    /// fewer steps than already trained are refused.
    pub fn set_total_steps(&mut self, steps: u64) -> Result<()> {
        if steps < self.step {
            return Err(TrainError::config(
                "train.steps",
                format!(
                    "{steps} is fewer than the {} steps already trained",
                    self.step
                ),
            ));
        }
        let mut config = self.config.clone();
        config.train.steps = steps;
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// Replace the gradient seam (e.g. with a data-parallel all-reduce).
    pub fn set_gradient_sync(&mut self, sync: Box<dyn GradientSync>) {
        self.grad_sync = sync;
    }

    /// Replace the precision seam (e.g. with bf16 autocast).
    pub fn set_precision(&mut self, precision: Box<dyn Precision>) {
        self.precision = precision;
    }

    // ----- sampling -----

    /// `n` generator inputs drawn from their priors (torch's generator), on the device.
    pub fn draw_inputs(&self, n: i64) -> Result<GenInput> {
        self.conditioning.draw(n, self.device, None, None)
    }

    /// The generator's output for `input` (`train` selects batch-norm behaviour).
    pub fn generate(&self, input: &GenInput, train: bool) -> Tensor {
        self.generator
            .generate(&input.z, input.labels.as_ref(), train)
    }

    /// The generator's output for a training update: train mode, inside the precision
    /// seam's region (autocast under `train.precision = "bf16"`), returned in fp32.
    pub(crate) fn generate_for_update(&self, input: &GenInput) -> Tensor {
        self.precision.enter_forward();
        let x = self.generate(input, true);
        self.precision.exit_forward();
        autocast::to_fp32(x)
    }

    /// `n` generator samples in eval mode, without gradient tracking, on the CPU (labels
    /// and codes drawn from their priors). With `train.ema` on, they come from the
    /// averaged generator weights. Errors if `n < 1`.
    pub fn sample(&self, n: i64) -> Result<Tensor> {
        let input = self.draw_inputs(n)?;
        Ok(self.sample_from(&input))
    }

    /// Like [`Self::sample`] for given inputs (e.g. fixed classes or codes).
    pub fn sample_from(&self, input: &GenInput) -> Tensor {
        self.with_sampling_weights(|| {
            tch::no_grad(|| self.generate(input, false)).to_device(Device::Cpu)
        })
    }

    /// Run `f` with the generator weights used for sampling and evaluation loaded: the
    /// EMA weights when `train.ema` is on, else the trained weights.
    pub fn with_sampling_weights<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.ema {
            Some(ema) => ema.with_averaged_weights(f),
            None => f(),
        }
    }

    /// Discriminator outputs (as reported in [`StepStats`]) on `x`, eval mode.
    pub fn d_output(&self, x: &Tensor) -> Tensor {
        tch::no_grad(|| {
            let s = self
                .discriminator
                .discriminate(&x.to_device(self.device), None, false)
                .score;
            objectives::score_to_report(&self.config.loss, &s)
        })
    }

    // ----- training -----

    /// Advance the game by one generator update (and its `d_steps` D updates).
    pub fn train_step(&mut self) -> Result<StepStats> {
        rng::seed_step(self.config.seed, self.step);
        if self.config.train.lr_decay == LrDecay::Linear {
            let scale = 1.0 - self.step as f64 / self.config.train.steps.max(1) as f64;
            self.opt_g.set_lr_scale(scale.max(0.0));
            self.opt_d.set_lr_scale(scale.max(0.0));
        }
        let (d, g) = schedules::schedule_step(self.config.train.schedule)(self)?;
        self.step += 1;
        let stats = stats::read_stats(self.step, &d, g.as_ref(), self.device)?;
        stats::check_finite(&stats, g.is_some())?;
        Ok(stats)
    }

    /// Train until `config.train.steps`, calling every observer after each step. Stops
    /// early (after notifying observers) when `stop` becomes true, e.g. on a signal.
    ///
    /// Essential observers ([`Observer::is_essential`]: the checkpointer, the metrics
    /// log) stop the run on an error, and finish first at the end, so the final
    /// checkpoint never waits on a plot. Any other observer that fails is switched off
    /// for the rest of the run, and its error comes back as a warning: the run itself
    /// succeeds, with the returned warnings.
    pub fn run(
        &mut self,
        observers: &mut [Box<dyn Observer>],
        stop: &AtomicBool,
    ) -> Result<Vec<String>> {
        for o in observers.iter_mut() {
            o.on_start(self)?;
        }
        let mut live = vec![true; observers.len()];
        let mut warnings = Vec::new();
        let result = self.run_steps(observers, &mut live, &mut warnings, stop);
        // Observers get to finish (write final checkpoint, plots) even after an error,
        // the essential ones first; the first error is the one reported.
        let mut end_result = Ok(());
        for essential in [true, false] {
            for (o, live) in observers.iter_mut().zip(&live) {
                if o.is_essential() != essential || !live {
                    continue;
                }
                match o.on_end(self, result.as_ref().err()) {
                    Ok(()) => {}
                    Err(e) if essential => {
                        if end_result.is_ok() {
                            end_result = Err(e);
                        }
                    }
                    Err(e) => warnings.push(observer_warning(o.as_ref(), self.step, &e)),
                }
            }
        }
        result.and(end_result).map(|()| warnings)
    }

    fn run_steps(
        &mut self,
        observers: &mut [Box<dyn Observer>],
        live: &mut [bool],
        warnings: &mut Vec<String>,
        stop: &AtomicBool,
    ) -> Result<()> {
        while self.step < self.config.train.steps {
            if stop.load(Ordering::Relaxed) {
                return Err(TrainError::Interrupted {
                    step: self.step,
                    run_dir: Default::default(),
                });
            }
            let stats = self.train_step()?;
            for (o, live) in observers.iter_mut().zip(live.iter_mut()) {
                if !*live {
                    continue;
                }
                if let Err(e) = o.on_step(self, &stats) {
                    if o.is_essential() {
                        return Err(e);
                    }
                    *live = false;
                    warnings.push(observer_warning(o.as_ref(), self.step, &e));
                }
            }
        }
        Ok(())
    }
}

/// A non-essential observer's failure as a warning (also logged at once).
fn observer_warning(o: &dyn Observer, step: u64, e: &TrainError) -> String {
    let text = format!(
        "{} failed at step {step}: {e}; it is off for the rest of the run",
        o.name()
    );
    tracing::warn!("{text}");
    text
}

/// Set libtorch's CPU thread count from `train.threads` (see [`TrainConfig`]).
///
/// [`TrainConfig`]: crate::config::TrainConfig
pub(crate) fn apply_thread_setting(config: &ExperimentConfig) {
    let threads = match config.train.threads {
        0 if config.data.toy.is_some() => 1,
        0 => return,
        n => n as i32,
    };
    tch::set_num_threads(threads);
}

impl crate::sampler::Sampler for Trainer {
    fn config(&self) -> &ExperimentConfig {
        Trainer::config(self)
    }

    fn device(&self) -> Device {
        Trainer::device(self)
    }

    fn step(&self) -> u64 {
        Trainer::step(self)
    }

    fn conditioning(&self) -> &Conditioning {
        Trainer::conditioning(self)
    }

    fn sample_shape(&self) -> Vec<i64> {
        Trainer::sample_shape(self)
    }

    fn sample_from(&self, input: &GenInput) -> Tensor {
        Trainer::sample_from(self, input)
    }

    fn discriminator(&self) -> Option<&dyn gan_models::Discriminator> {
        Some(Trainer::discriminator(self))
    }

    fn sample(&self, n: i64) -> Result<Tensor> {
        Trainer::sample(self, n)
    }
}
