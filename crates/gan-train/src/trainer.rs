//! The training loop: one [`Trainer`] owns both players, their optimizers, the data
//! source and the loss, and advances the game one generator step at a time.
//!
//! Everything that watches training (progress, metrics, plots, checkpoints,
//! diagnostics) is an [`Observer`](crate::observe::Observer), so the loop itself stays
//! short.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use tch::{nn::VarStore, Device, Kind, Tensor};

use gan_core::{AdversarialLoss, LossKind};
use gan_data::Source;
use gan_models::{Discriminator, Generator};

use crate::checkpoint::{self, CheckpointMeta};
use crate::config::{ExperimentConfig, Schedule};
use crate::error::{Result, TrainError};
use crate::experiment::{build_parts, Parts};
use crate::observe::Observer;
use crate::optim::Optimizer;
use crate::rng;

/// What one generator step measured. Probabilities are `σ(score)` for the logit-based
/// losses and raw mean scores for the others.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepStats {
    /// Generator updates completed, including this one.
    pub step: u64,
    pub d_loss: f64,
    pub g_loss: f64,
    /// Mean D output on real data (during the last D update).
    pub d_real: f64,
    /// Mean D output on generated data during the D update (PyTorch's `D(G(z))` 1).
    pub d_fake: f64,
    /// Mean D output on generated data during the G update (PyTorch's `D(G(z))` 2).
    pub d_fake_g: f64,
    /// L2 norm of the generator's gradient in this step.
    pub g_grad_norm: f64,
}

/// A GAN being trained.
pub struct Trainer {
    pub config: ExperimentConfig,
    pub device: Device,
    pub gen_vs: VarStore,
    pub disc_vs: VarStore,
    pub generator: Box<dyn Generator>,
    pub discriminator: Box<dyn Discriminator>,
    pub opt_g: Optimizer,
    pub opt_d: Optimizer,
    pub source: Box<dyn Source>,
    pub loss: AdversarialLoss,
    /// Generator updates completed so far.
    pub step: u64,
}

impl Trainer {
    /// Build every part of `config` on `device`, freshly initialized from the seed.
    pub fn new(config: ExperimentConfig, device: Device) -> Result<Self> {
        apply_thread_setting(&config);
        let Parts {
            gen_vs,
            disc_vs,
            generator,
            discriminator,
            source,
        } = build_parts(&config, device)?;
        let opt_g = Optimizer::new(&config.optim.generator, gen_vs.trainable_variables());
        let opt_d = Optimizer::new(&config.optim.discriminator, disc_vs.trainable_variables());
        Ok(Trainer {
            loss: config.loss.clone(),
            config,
            device,
            gen_vs,
            disc_vs,
            generator,
            discriminator,
            opt_g,
            opt_d,
            source,
            step: 0,
        })
    }

    /// Rebuild the trainer saved in the checkpoint at `path`: weights, optimizer state,
    /// step and data cursor. The config comes from the checkpoint.
    pub fn resume(path: &Path, device: Device) -> Result<Self> {
        let ck = checkpoint::load(path)?;
        let config = ExperimentConfig::from_toml_str(&ck.meta.config_toml, &[]).map_err(|e| {
            TrainError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!("its config no longer parses: {e}"),
            }
        })?;
        let mut t = Trainer::new(config, device)?;
        checkpoint::load_var_store(&t.gen_vs, &ck.with_prefix("gen/"), path, "generator")?;
        checkpoint::load_var_store(&t.disc_vs, &ck.with_prefix("disc/"), path, "discriminator")?;
        let with_path = |e: TrainError| match e {
            TrainError::Checkpoint { reason, .. } => TrainError::Checkpoint {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        };
        let opt_g_state = ck.with_prefix("opt_g/");
        t.opt_g
            .load_state(ck.meta.opt_g_steps, &|k| {
                opt_g_state.get(k).map(|x| x.to_device(device))
            })
            .map_err(with_path)?;
        let opt_d_state = ck.with_prefix("opt_d/");
        t.opt_d
            .load_state(ck.meta.opt_d_steps, &|k| {
                opt_d_state.get(k).map(|x| x.to_device(device))
            })
            .map_err(with_path)?;
        t.source.restore(&ck.meta.source_state)?;
        t.step = ck.meta.step;
        Ok(t)
    }

    /// Write a checkpoint of the current state to `path` (atomically).
    pub fn save_checkpoint(&self, path: &Path, extra: serde_json::Value) -> Result<()> {
        let mut tensors = checkpoint::var_store_tensors(&self.gen_vs, "gen/");
        tensors.extend(checkpoint::var_store_tensors(&self.disc_vs, "disc/"));
        tensors.extend(
            self.opt_g
                .state_tensors()
                .into_iter()
                .map(|(k, t)| (format!("opt_g/{k}"), t)),
        );
        tensors.extend(
            self.opt_d
                .state_tensors()
                .into_iter()
                .map(|(k, t)| (format!("opt_d/{k}"), t)),
        );
        let meta = CheckpointMeta {
            format_version: 1,
            step: self.step,
            seed: self.config.seed,
            source_state: self.source.state(),
            opt_g_steps: self.opt_g.steps(),
            opt_d_steps: self.opt_d.steps(),
            config_toml: self.config.to_toml(),
            extra,
        };
        checkpoint::save(path, &tensors, &meta)
    }

    /// Latent noise for `n` samples, drawn from torch's generator.
    pub fn noise(&self, n: i64) -> Tensor {
        Tensor::randn([n, self.generator.latent_dim()], (Kind::Float, self.device))
    }

    /// `n` generator samples in eval mode, without gradient tracking, on the CPU.
    pub fn sample(&self, n: i64) -> Tensor {
        tch::no_grad(|| self.generator.generate(&self.noise(n), None, false)).to_device(Device::Cpu)
    }

    /// Discriminator outputs (as reported in [`StepStats`]) on `x`, eval mode.
    pub fn d_output(&self, x: &Tensor) -> Tensor {
        tch::no_grad(|| {
            let s = self
                .discriminator
                .discriminate(&x.to_device(self.device), None, false)
                .score;
            self.score_to_report(&s)
        })
    }

    fn score_to_report(&self, score: &Tensor) -> Tensor {
        match self.loss.kind {
            LossKind::Minimax | LossKind::NonSaturating | LossKind::MaxLikelihood => {
                score.sigmoid()
            }
            _ => score.shallow_clone(),
        }
    }

    fn mean_report(&self, score: &Tensor) -> f64 {
        self.score_to_report(score)
            .mean(Kind::Float)
            .double_value(&[])
    }

    fn real_batch(&mut self) -> Result<Tensor> {
        let b = self.source.next_batch(self.config.train.batch_size)?;
        Ok(b.x.to_device(self.device))
    }

    /// One discriminator update; returns (loss, D(real), D(fake)).
    fn d_update(&mut self) -> Result<(f64, f64, f64)> {
        let real = self.real_batch()?;
        let z = self.noise(real.size()[0]);
        let fake = self.generator.generate(&z, None, true).detach();
        let out_real = self.discriminator.discriminate(&real, None, true);
        let out_fake = self.discriminator.discriminate(&fake, None, true);
        let mut loss = self.loss.d_loss(&out_real.score, &out_fake.score);
        let gp = self.config.train.gradient_penalty;
        if gp > 0.0 {
            let d = &self.discriminator;
            let penalty =
                gan_core::gradient_penalty(|x| d.discriminate(x, None, true).score, &real, &fake)?;
            loss += penalty * gp;
        }
        self.opt_d.backward_step(&loss);
        let clip = self.config.train.weight_clip;
        if clip > 0.0 {
            gan_core::clip_weights(&self.disc_vs.trainable_variables(), clip)?;
        }
        Ok((
            loss.double_value(&[]),
            self.mean_report(&out_real.score),
            self.mean_report(&out_fake.score),
        ))
    }

    /// One generator update; returns (loss, D(G(z)), ‖∇G‖).
    fn g_update(&mut self) -> (f64, f64, f64) {
        let z = self.noise(self.config.train.batch_size);
        let fake = self.generator.generate(&z, None, true);
        let out = self.discriminator.discriminate(&fake, None, true);
        let loss = self.loss.g_loss(&out.score);
        self.opt_g.zero_grad();
        loss.backward();
        let norm = grad_norm(self.opt_g.params());
        self.opt_g.step();
        (loss.double_value(&[]), self.mean_report(&out.score), norm)
    }

    /// Both players compute gradients at the same parameters, then both step.
    fn simultaneous_update(&mut self) -> Result<StepStats> {
        let real = self.real_batch()?;
        let z = self.noise(real.size()[0]);
        let fake = self.generator.generate(&z, None, true);
        let out_fake_g = self.discriminator.discriminate(&fake, None, true);
        let g_loss = self.loss.g_loss(&out_fake_g.score);
        self.opt_g.zero_grad();
        g_loss.backward();
        let out_real = self.discriminator.discriminate(&real, None, true);
        let out_fake = self.discriminator.discriminate(&fake.detach(), None, true);
        let d_loss = self.loss.d_loss(&out_real.score, &out_fake.score);
        self.opt_d.zero_grad(); // drop what g_loss.backward() left in D
        d_loss.backward();
        let g_grad_norm = grad_norm(self.opt_g.params());
        self.opt_g.step();
        self.opt_d.step();
        Ok(StepStats {
            step: 0,
            d_loss: d_loss.double_value(&[]),
            g_loss: g_loss.double_value(&[]),
            d_real: self.mean_report(&out_real.score),
            d_fake: self.mean_report(&out_fake.score),
            d_fake_g: self.mean_report(&out_fake_g.score),
            g_grad_norm,
        })
    }

    /// Advance the game by one generator update (and its `d_steps` D updates).
    pub fn train_step(&mut self) -> Result<StepStats> {
        rng::seed_step(self.config.seed, self.step);
        let mut stats = match self.config.train.schedule {
            Schedule::Alternating => {
                let mut d = (0.0, 0.0, 0.0);
                for _ in 0..self.config.train.d_steps {
                    d = self.d_update()?;
                }
                let (g_loss, d_fake_g, g_grad_norm) = self.g_update();
                StepStats {
                    step: 0,
                    d_loss: d.0,
                    g_loss,
                    d_real: d.1,
                    d_fake: d.2,
                    d_fake_g,
                    g_grad_norm,
                }
            }
            Schedule::Simultaneous => self.simultaneous_update()?,
        };
        self.step += 1;
        stats.step = self.step;
        check_finite(&stats)?;
        Ok(stats)
    }

    /// Train until `config.train.steps`, calling every observer after each step. Stops
    /// early (after notifying observers) when `stop` becomes true, e.g. on Ctrl-C.
    pub fn run(&mut self, observers: &mut [Box<dyn Observer>], stop: &AtomicBool) -> Result<()> {
        for o in observers.iter_mut() {
            o.on_start(self)?;
        }
        let result = self.run_steps(observers, stop);
        // Observers get to finish (write final checkpoint, plots) even after an error,
        // but the first error is the one reported.
        let end_result = observers
            .iter_mut()
            .try_for_each(|o| o.on_end(self, result.as_ref().err()));
        result.and(end_result)
    }

    fn run_steps(&mut self, observers: &mut [Box<dyn Observer>], stop: &AtomicBool) -> Result<()> {
        while self.step < self.config.train.steps {
            if stop.load(Ordering::Relaxed) {
                return Err(TrainError::Interrupted {
                    step: self.step,
                    run_dir: Default::default(),
                });
            }
            let stats = self.train_step()?;
            for o in observers.iter_mut() {
                o.on_step(self, &stats)?;
            }
        }
        Ok(())
    }
}

/// Set libtorch's CPU thread count from `train.threads` (see [`TrainConfig`]).
///
/// [`TrainConfig`]: crate::config::TrainConfig
fn apply_thread_setting(config: &ExperimentConfig) {
    let threads = match config.train.threads {
        0 if config.data.toy.is_some() => 1,
        0 => return,
        n => n as i32,
    };
    tch::set_num_threads(threads);
}

/// L2 norm over the gradients of `params` (0 where none).
fn grad_norm<'a>(params: impl Iterator<Item = &'a Tensor>) -> f64 {
    let mut total = 0.0;
    for p in params {
        let g = p.grad();
        if g.defined() {
            total += g.square().sum(Kind::Double).double_value(&[]);
        }
    }
    total.sqrt()
}

fn check_finite(s: &StepStats) -> Result<()> {
    for (what, value) in [
        ("discriminator loss", s.d_loss),
        ("generator loss", s.g_loss),
    ] {
        if !value.is_finite() {
            return Err(TrainError::NonFinite {
                step: s.step,
                what: what.into(),
                value,
                hint: "Lower the learning rates, check the data scaling, or try a bounded loss (hinge, least_squares) or a gradient penalty. The last checkpoint was kept.".into(),
            });
        }
    }
    Ok(())
}
