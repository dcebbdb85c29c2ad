//! The training loop: one [`Trainer`] owns both players, their optimizers, the data
//! source and the loss, and advances the game one generator step at a time.
//!
//! Everything that watches training (progress, metrics, plots, checkpoints,
//! diagnostics) is an [`Observer`](crate::observe::Observer), so the loop itself stays
//! short.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use tch::{nn::VarStore, Device, Kind, Tensor};

use gan_core::{AdversarialLoss, HistoricalAverage, LossKind};
use gan_data::Source;
use gan_models::{Discriminator, Generator, MlpDiscriminator};

use crate::checkpoint::{self, CheckpointMeta};
use crate::config::{ExperimentConfig, LrDecay, Schedule};
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
    /// Exponential moving average of the generator's weights (`train.ema > 0`).
    ema: Option<Ema>,
    /// Historical averages of (generator, discriminator) parameters
    /// (`train.historical_averaging > 0`).
    history: Option<(HistoricalAverage, HistoricalAverage)>,
}

/// An exponential moving average of every variable of a var store.
struct Ema {
    decay: f64,
    /// The live variables, sorted by name (shallow clones sharing storage).
    vars: Vec<(String, Tensor)>,
    /// Their averages, same order.
    averages: Vec<Tensor>,
}

impl Ema {
    fn new(vs: &VarStore, decay: f64) -> Self {
        let vars = checkpoint::var_store_tensors(vs, "");
        let averages = vars.iter().map(|(_, v)| v.detach().copy()).collect();
        Ema {
            decay,
            vars,
            averages,
        }
    }

    fn update(&mut self) {
        tch::no_grad(|| {
            for ((_, v), a) in self.vars.iter().zip(self.averages.iter_mut()) {
                let _ = a.lerp_(&v.detach(), 1.0 - self.decay);
            }
        });
    }

    /// Run `f` with the averaged weights loaded into the live variables, then put the
    /// trained weights back.
    fn with_averaged_weights<T>(&self, f: impl FnOnce() -> T) -> T {
        let saved: Vec<Tensor> = self.vars.iter().map(|(_, v)| v.detach().copy()).collect();
        let load = |src: &[Tensor]| {
            tch::no_grad(|| {
                for ((_, v), s) in self.vars.iter().zip(src) {
                    let mut v = v.shallow_clone();
                    v.copy_(s);
                }
            })
        };
        load(&self.averages);
        let out = f();
        load(&saved);
        out
    }
}

/// What one discriminator update measured, plus the real batch it used.
struct DStep {
    loss: f64,
    d_real: f64,
    d_fake: f64,
    real: Tensor,
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
        if config.train.schedule == Schedule::Unrolled && discriminator.as_mlp().is_none() {
            return Err(TrainError::config(
                "train.schedule",
                "\"unrolled\" needs an MLP discriminator (discriminator.kind = \"mlp\")",
            ));
        }
        let opt_g = Optimizer::new(&config.optim.generator, gen_vs.trainable_variables());
        let opt_d = Optimizer::new(&config.optim.discriminator, disc_vs.trainable_variables());
        let ema = (config.train.ema > 0.0).then(|| Ema::new(&gen_vs, config.train.ema));
        let history = (config.train.historical_averaging > 0.0)
            .then(|| (HistoricalAverage::new(), HistoricalAverage::new()));
        Ok(Trainer {
            ema,
            history,
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
        Self::from_checkpoint(checkpoint::load(path)?, path, device)
    }

    /// Like [`resume`](Self::resume), from a checkpoint already read from `path` (which
    /// error messages name).
    pub fn from_checkpoint(
        ck: checkpoint::Checkpoint,
        path: &Path,
        device: Device,
    ) -> Result<Self> {
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
        t.restore_stabilizers(&ck).map_err(with_path)?;
        Ok(t)
    }

    /// Restore the EMA weights and historical averages saved by [`Self::save_checkpoint`].
    fn restore_stabilizers(&mut self, ck: &checkpoint::Checkpoint) -> Result<()> {
        let missing = |what: String| TrainError::Checkpoint {
            path: Default::default(),
            reason: format!("{what} is missing (was the config changed?)"),
        };
        if let Some(ema) = self.ema.as_mut() {
            for ((name, _), avg) in ema.vars.iter().zip(ema.averages.iter_mut()) {
                let saved = ck
                    .tensor(&format!("ema/{name}"))
                    .ok_or_else(|| missing(format!("EMA weight `{name}`")))?;
                tch::no_grad(|| avg.f_copy_(&saved))?;
            }
        }
        if let Some((g, d)) = self.history.as_mut() {
            for (prefix, ha) in [("ha_g", g), ("ha_d", d)] {
                let count = ck
                    .tensor(&format!("{prefix}/count"))
                    .ok_or_else(|| missing(format!("historical average `{prefix}/count`")))?
                    .int64_value(&[0]);
                let count = u64::try_from(count).map_err(|_| missing(format!("{prefix}/count")))?;
                let means = (0..ck
                    .with_prefix(&format!("{prefix}/"))
                    .len()
                    .saturating_sub(1))
                    .map(|i| {
                        ck.tensor(&format!("{prefix}/{i}"))
                            .map(|t| t.to_device(self.device))
                            .ok_or_else(|| missing(format!("historical average `{prefix}/{i}`")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                *ha = HistoricalAverage::from_state(count, means)?;
            }
        }
        Ok(())
    }

    /// Checkpoint tensors of the EMA weights and historical averages.
    fn stabilizer_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        if let Some(ema) = &self.ema {
            for ((name, _), avg) in ema.vars.iter().zip(&ema.averages) {
                out.push((format!("ema/{name}"), avg.shallow_clone()));
            }
        }
        if let Some((g, d)) = &self.history {
            for (prefix, ha) in [("ha_g", g), ("ha_d", d)] {
                let (count, means) = ha.state();
                out.push((
                    format!("{prefix}/count"),
                    Tensor::from_slice(&[count as i64]),
                ));
                for (i, m) in means.into_iter().enumerate() {
                    out.push((format!("{prefix}/{i}"), m));
                }
            }
        }
        out
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
        tensors.extend(self.stabilizer_tensors());
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

    /// `n` generator samples in eval mode, without gradient tracking, on the CPU. With
    /// `train.ema` on, they come from the averaged generator weights.
    pub fn sample(&self, n: i64) -> Tensor {
        self.with_sampling_weights(|| {
            tch::no_grad(|| self.generator.generate(&self.noise(n), None, false))
                .to_device(Device::Cpu)
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

    /// One discriminator update.
    fn d_update(&mut self) -> Result<DStep> {
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
        let lambda = self.config.train.historical_averaging;
        if let Some((_, ha)) = &self.history {
            let params: Vec<Tensor> = self.opt_d.params().map(Tensor::shallow_clone).collect();
            loss += ha.penalty(&params)? * lambda;
        }
        self.opt_d.backward_step(&loss);
        let clip = self.config.train.weight_clip;
        if clip > 0.0 {
            gan_core::clip_weights(&self.disc_vs.trainable_variables(), clip)?;
        }
        if let Some((_, ha)) = self.history.as_mut() {
            let params: Vec<Tensor> = self.opt_d.params().map(Tensor::shallow_clone).collect();
            ha.update(&params)?;
        }
        Ok(DStep {
            loss: loss.double_value(&[]),
            d_real: self.mean_report(&out_real.score),
            d_fake: self.mean_report(&out_fake.score),
            real,
        })
    }

    /// One generator update against D, or against D after `lookahead` differentiable
    /// look-ahead updates (unrolled GAN); `real` is the last D update's real batch
    /// (used by feature matching and the look-ahead). Returns (loss, D(G(z)), ‖∇G‖).
    fn g_update(&mut self, real: &Tensor, lookahead: u32) -> Result<(f64, f64, f64)> {
        let z = self.noise(self.config.train.batch_size);
        let fake = self.generator.generate(&z, None, true);
        let (out, out_real) = if lookahead > 0 {
            let mlp = self.discriminator.as_mlp().ok_or_else(|| {
                TrainError::config("train.schedule", "\"unrolled\" needs an MLP discriminator")
            })?;
            let params = self.unrolled_parameters(mlp, real, &fake, lookahead)?;
            let out = mlp.forward_with(&params, &fake, None, true);
            let out_real = self
                .config
                .train
                .feature_matching
                .then(|| mlp.forward_with(&params, real, None, true));
            (out, out_real)
        } else {
            let out = self.discriminator.discriminate(&fake, None, true);
            let out_real = self
                .config
                .train
                .feature_matching
                .then(|| self.discriminator.discriminate(real, None, true));
            (out, out_real)
        };
        let mut loss = match out_real {
            Some(r) => {
                let no_features = || {
                    TrainError::config(
                        "train.feature_matching",
                        "this discriminator has no features head",
                    )
                };
                let real_f = r.features.ok_or_else(no_features)?.detach();
                let fake_f = out.features.as_ref().ok_or_else(no_features)?;
                gan_core::feature_matching_loss(&real_f, fake_f)?
            }
            None => self.loss.g_loss(&out.score),
        };
        let lambda = self.config.train.historical_averaging;
        if let Some((ha, _)) = &self.history {
            let params: Vec<Tensor> = self.opt_g.params().map(Tensor::shallow_clone).collect();
            loss += ha.penalty(&params)? * lambda;
        }
        self.opt_g.zero_grad();
        loss.backward();
        let norm = grad_norm(self.opt_g.params());
        self.opt_g.step();
        if let Some((ha, _)) = self.history.as_mut() {
            let params: Vec<Tensor> = self.opt_g.params().map(Tensor::shallow_clone).collect();
            ha.update(&params)?;
        }
        if let Some(ema) = self.ema.as_mut() {
            ema.update();
        }
        let report = self.mean_report(&out.score.detach());
        Ok((loss.double_value(&[]), report, norm))
    }

    /// D's parameters after `k` look-ahead updates on (`real`, `fake`), taken from a copy
    /// of the current parameters with the discriminator optimizer's rule (Adam, RMSProp
    /// or SGD, continuing its moment estimates) and `create_graph`, so that the result
    /// is differentiable in `fake` and thus in the generator's weights. The look-ahead
    /// uses the adversarial loss only (no gradient penalty, clipping or averaging).
    fn unrolled_parameters(
        &self,
        mlp: &MlpDiscriminator,
        real: &Tensor,
        fake: &Tensor,
        k: u32,
    ) -> Result<Vec<Tensor>> {
        use crate::optim::OptimizerKind;
        let live = mlp.parameters();
        let c = self.opt_d.config().clone();
        let lr = self.opt_d.lr();
        // The optimizer's state for each parameter, matched by storage.
        let state = self.opt_d.state_tensors();
        let slot_of = |p: &Tensor| {
            self.opt_d
                .params()
                .position(|q| q.data_ptr() == p.data_ptr())
        };
        let state_of = |p: &Tensor, which: &str| -> Tensor {
            slot_of(p)
                .and_then(|i| {
                    let key = format!("{i}.{which}");
                    state
                        .iter()
                        .find(|(n, _)| *n == key)
                        .map(|(_, t)| t.detach().copy())
                })
                .unwrap_or_else(|| p.zeros_like().detach())
        };
        let mut first: Vec<Tensor> = live.iter().map(|p| state_of(p, "first")).collect();
        let mut second: Vec<Tensor> = live.iter().map(|p| state_of(p, "second")).collect();
        let mut params: Vec<Tensor> = live
            .iter()
            .map(|p| p.detach().copy().set_requires_grad(true))
            .collect();
        let mut t = self.opt_d.steps() as i32;
        for _ in 0..k {
            let rs = mlp.forward_with(&params, real, None, true).score;
            let fs = mlp.forward_with(&params, fake, None, true).score;
            let loss = self.loss.d_loss(&rs, &fs);
            let grads = Tensor::f_run_backward(&[&loss], &params, true, true)?;
            t += 1;
            let mut next = Vec::with_capacity(params.len());
            for (i, (p, g)) in params.iter().zip(grads).enumerate() {
                let g = if c.weight_decay > 0.0 {
                    g + p * c.weight_decay
                } else {
                    g
                };
                // A tiny floor under the square roots keeps their derivative finite
                // where a gradient is exactly zero.
                let p_next = match c.kind {
                    OptimizerKind::Adam => {
                        first[i] = &first[i] * c.beta1 + &g * (1.0 - c.beta1);
                        second[i] = &second[i] * c.beta2 + g.square() * (1.0 - c.beta2);
                        let m_hat = &first[i] / (1.0 - c.beta1.powi(t));
                        let v_hat = &second[i] / (1.0 - c.beta2.powi(t));
                        p - m_hat / ((v_hat + 1e-16).sqrt() + c.eps) * lr
                    }
                    OptimizerKind::Rmsprop => {
                        first[i] = &first[i] * c.alpha + g.square() * (1.0 - c.alpha);
                        p - &g / ((&first[i] + 1e-16).sqrt() + c.eps) * lr
                    }
                    OptimizerKind::Sgd => {
                        first[i] = &first[i] * c.momentum + &g;
                        p - &first[i] * lr
                    }
                };
                next.push(p_next);
            }
            params = next;
        }
        Ok(params)
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
        if let Some(ema) = self.ema.as_mut() {
            ema.update();
        }
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
        if self.config.train.lr_decay == LrDecay::Linear {
            let scale = 1.0 - self.step as f64 / self.config.train.steps.max(1) as f64;
            self.opt_g.set_lr_scale(scale.max(0.0));
            self.opt_d.set_lr_scale(scale.max(0.0));
        }
        let mut stats = match self.config.train.schedule {
            schedule @ (Schedule::Alternating | Schedule::Unrolled) => {
                let mut d = self.d_update()?;
                for _ in 1..self.config.train.d_steps {
                    d = self.d_update()?;
                }
                let lookahead = match schedule {
                    Schedule::Unrolled => self.config.train.unrolled_steps,
                    _ => 0,
                };
                let (g_loss, d_fake_g, g_grad_norm) = self.g_update(&d.real, lookahead)?;
                StepStats {
                    step: 0,
                    d_loss: d.loss,
                    g_loss,
                    d_real: d.d_real,
                    d_fake: d.d_fake,
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
