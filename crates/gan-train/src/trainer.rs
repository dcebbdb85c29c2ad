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
use gan_models::{DiscOutput, Discriminator, Generator, MlpDiscriminator};

use crate::checkpoint::{self, CheckpointMeta};
use crate::conditioning::{Conditioning, GenInput};
use crate::config::{ExperimentConfig, LrDecay, Schedule};
use crate::error::{Result, TrainError};
use crate::experiment::{build_parts, Parts};
use crate::observe::Observer;
use crate::optim::Optimizer;
use crate::rng;
use crate::variant::Variant;

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
    /// The variant's extra term (`None` for variants without one): the class
    /// cross-entropy on real data (AC-GAN) or on the labelled batch (semi-supervised GAN),
    /// `L_info` (InfoGAN), the pulling-away term (EBGAN).
    pub aux: Option<f64>,
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
    /// The semi-supervised GAN's labelled subset.
    pub labeled: Option<Box<dyn Source>>,
    /// How generator inputs (noise, labels, InfoGAN codes) are drawn.
    pub conditioning: Conditioning,
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

/// What one discriminator update measured (scalar tensors, read once per step), plus
/// the real batch it used.
struct DStep {
    loss: Tensor,
    d_real: Tensor,
    d_fake: Tensor,
    aux: Option<Tensor>,
    real: Tensor,
    real_labels: Option<Tensor>,
}

/// What one generator update measured (scalar tensors).
struct GStep {
    loss: Tensor,
    d_fake_g: Tensor,
    grad_norm: Tensor,
    aux: Option<Tensor>,
}

impl Trainer {
    /// Build every part of `config` on `device`, freshly initialized from the seed.
    pub fn new(config: ExperimentConfig, device: Device) -> Result<Self> {
        apply_thread_setting(&config);
        crate::allocator::retain_freed_memory();
        let Parts {
            gen_vs,
            disc_vs,
            generator,
            discriminator,
            source,
            labeled,
        } = build_parts(&config, device)?;
        let conditioning = Conditioning::new(
            &config.variant,
            generator.latent_dim(),
            source.num_classes(),
        )?;
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
            labeled,
            conditioning,
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
        if let (Some(l), Some(state)) = (t.labeled.as_mut(), &ck.meta.labeled_source_state) {
            l.restore(state)?;
        }
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
            labeled_source_state: self.labeled.as_ref().map(|l| l.state()),
            opt_g_steps: self.opt_g.steps(),
            opt_d_steps: self.opt_d.steps(),
            config_toml: self.config.to_toml(),
            extra,
        };
        checkpoint::save(path, &tensors, &meta)
    }

    /// `n` generator inputs drawn from their priors (torch's generator), on the device.
    pub fn draw_inputs(&self, n: i64) -> Result<GenInput> {
        self.conditioning.draw(n, self.device, None, None)
    }

    /// The generator's output for `input` (`train` selects batch-norm behaviour).
    pub fn generate(&self, input: &GenInput, train: bool) -> Tensor {
        self.generator
            .generate(&input.z, input.labels.as_ref(), train)
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

    fn mean_report(&self, score: &Tensor) -> Tensor {
        self.score_to_report(&score.detach()).mean(Kind::Float)
    }

    /// A real batch on the device, with its labels when the source has them.
    fn real_batch(&mut self) -> Result<(Tensor, Option<Tensor>)> {
        let b = self.source.next_batch(self.config.train.batch_size)?;
        Ok((
            b.x.to_device(self.device),
            b.y.map(|y| y.to_device(self.device)),
        ))
    }

    /// The labels a label-conditioned discriminator needs for a real batch (`None` for
    /// other variants).
    fn d_labels<'a>(&self, labels: Option<&'a Tensor>) -> Result<Option<&'a Tensor>> {
        if self.config.variant != Variant::Conditional {
            return Ok(None);
        }
        labels.map(Some).ok_or_else(|| {
            TrainError::config("variant.kind", "the data source gives no class labels")
        })
    }

    /// InfoGAN's `L_info = −E log Q(c | G(z, c))` of the code in `input`, from D's Q head
    /// on `G(z, c)`: categorical cross-entropy plus `continuous_weight` × Gaussian NLL.
    fn info_loss(&self, out: &DiscOutput, input: &GenInput) -> Result<Tensor> {
        let Variant::Info {
            continuous_weight, ..
        } = self.config.variant
        else {
            return Err(TrainError::config("variant.kind", "not an InfoGAN"));
        };
        let q = out
            .q
            .as_ref()
            .ok_or_else(|| TrainError::config("variant.kind", "the discriminator has no Q head"))?;
        let k = self.conditioning.categorical();
        let mut loss = Tensor::zeros([], (Kind::Float, self.device));
        if let Some(c) = &input.categorical {
            // The code is drawn in 0..k by `Conditioning`: no range check (a host read).
            loss += gan_core::class_cross_entropy_unchecked(&q.narrow(1, 0, k), c)?;
        }
        if let Some(c) = &input.continuous {
            let n = self.conditioning.continuous();
            let params = q.narrow(1, k, 2 * n);
            loss += gan_core::info::continuous_code_loss(&params, c)? * continuous_weight;
        }
        Ok(loss)
    }

    /// Class logits of a discriminator output, or a clear error.
    fn class_logits(out: &DiscOutput) -> Result<&Tensor> {
        out.class_logits.as_ref().ok_or_else(|| {
            TrainError::config("variant.kind", "the discriminator has no class head")
        })
    }

    /// One discriminator update.
    fn d_update(&mut self) -> Result<DStep> {
        let (real, real_labels) = self.real_batch()?;
        let variant = self.config.variant.clone();
        // The semi-supervised baseline (unsupervised_weight = 0) is a plain classifier.
        let supervised_only = matches!(
            variant,
            Variant::SemiSupervised { unsupervised_weight, .. } if unsupervised_weight == 0.0
        );
        let nan = || Tensor::full([], f64::NAN, (Kind::Float, self.device));
        let (mut loss, d_real, d_fake, mut aux) = if supervised_only {
            (
                Tensor::zeros([], (Kind::Float, self.device)),
                nan(),
                nan(),
                None,
            )
        } else {
            let input = self.draw_inputs(real.size()[0])?;
            // No graph for G here: D's update never backpropagates into G (the same values
            // as `G(z).detach()`, without keeping G's activations alive).
            let fake = tch::no_grad(|| self.generate(&input, true));
            let real_cond = self.d_labels(real_labels.as_ref())?;
            let out_real = self.discriminator.discriminate(&real, real_cond, true);
            let out_fake = self
                .discriminator
                .discriminate(&fake, input.labels.as_ref(), true);
            let mut loss = self.loss.d_loss(&out_real.score, &out_fake.score);
            let mut aux = None;
            match &variant {
                Variant::AuxiliaryClassifier {
                    class_weight,
                    fake_class_loss,
                } => {
                    let y = real_labels.as_ref().ok_or_else(|| {
                        TrainError::config("variant.kind", "AC-GAN needs labelled data")
                    })?;
                    let fake_y = input.labels.as_ref().expect("AC-GAN draws fake labels");
                    // Unchecked: real labels were range-checked when the dataset was
                    // loaded and fake ones are drawn in 0..K, so no per-step host read.
                    // With `fake_class_loss` off the class head learns from real images
                    // only, so G cannot satisfy it with label-revealing artefacts.
                    let ce_real =
                        gan_core::class_cross_entropy_unchecked(Self::class_logits(&out_real)?, y)?;
                    let ce_fake = gan_core::class_cross_entropy_unchecked(
                        Self::class_logits(&out_fake)?,
                        fake_y,
                    )?;
                    let classes = if *fake_class_loss {
                        &ce_real + ce_fake
                    } else {
                        ce_real.shallow_clone()
                    };
                    loss += classes * *class_weight;
                    aux = Some(ce_real);
                }
                Variant::Info { info_weight, .. } => {
                    let info = self.info_loss(&out_fake, &input)?;
                    loss += &info * *info_weight;
                    aux = Some(info);
                }
                Variant::SemiSupervised {
                    unsupervised_weight,
                    ..
                } => loss *= *unsupervised_weight,
                _ => {}
            }
            let gp = self.config.train.gradient_penalty;
            if gp > 0.0 {
                let d = &self.discriminator;
                let penalty = gan_core::gradient_penalty(
                    |x| d.discriminate(x, real_cond, true).score,
                    &real,
                    &fake,
                )?;
                loss += penalty * gp;
            }
            let d_real = self.mean_report(&out_real.score);
            let d_fake = self.mean_report(&out_fake.score);
            (loss, d_real, d_fake, aux)
        };
        if let Variant::SemiSupervised {
            labeled_batch_size,
            labels,
            ..
        } = &variant
        {
            let labeled = self.labeled.as_mut().ok_or_else(|| {
                TrainError::config("variant.labels", "no labelled subset was built")
            })?;
            let bs = labeled_batch_size.unwrap_or(self.config.train.batch_size);
            // Never more than the subset holds (100 labels, batch 100: one pass per step).
            let batch = labeled.next_batch(bs.min(*labels as i64))?;
            let y = batch
                .y
                .ok_or_else(|| {
                    TrainError::config("variant.labels", "labelled batch has no labels")
                })?
                .to_device(self.device);
            let out = self
                .discriminator
                .discriminate(&batch.x.to_device(self.device), None, true);
            let ce = gan_core::class_cross_entropy_unchecked(Self::class_logits(&out)?, &y)?;
            loss += &ce;
            aux = Some(ce);
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
            loss: loss.detach(),
            d_real,
            d_fake,
            aux: aux.map(|a| a.detach()),
            real,
            real_labels,
        })
    }

    /// One generator update against D, or against D after `lookahead` differentiable
    /// look-ahead updates (unrolled GAN); `d` is the last D update (its real batch is
    /// used by feature matching and the look-ahead).
    fn g_update(&mut self, d: &DStep, lookahead: u32) -> Result<GStep> {
        // Only G steps here, so D's weights need no gradient: frozen, autograd skips the
        // weight-gradient half of D's backward pass (which `loss.backward()` would compute
        // into D's `.grad` only for the next D step to zero it).
        self.disc_vs.freeze();
        let result = self.g_update_against_frozen_d(d, lookahead);
        self.disc_vs.unfreeze();
        result
    }

    /// [`Self::g_update`]'s body, run while D's variables do not require gradients.
    fn g_update_against_frozen_d(&mut self, d: &DStep, lookahead: u32) -> Result<GStep> {
        let real = &d.real;
        let input = self.draw_inputs(self.config.train.batch_size)?;
        let fake = self.generate(&input, true);
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
            let out = self
                .discriminator
                .discriminate(&fake, input.labels.as_ref(), true);
            let real_cond = self.d_labels(d.real_labels.as_ref())?;
            let out_real = self
                .config
                .train
                .feature_matching
                .then(|| self.discriminator.discriminate(real, real_cond, true));
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
        let aux = match &self.config.variant {
            Variant::AuxiliaryClassifier { class_weight, .. } => {
                let y = input.labels.as_ref().expect("AC-GAN draws fake labels");
                let ce = gan_core::class_cross_entropy_unchecked(Self::class_logits(&out)?, y)?;
                loss += &ce * *class_weight;
                Some(ce)
            }
            Variant::Info { info_weight, .. } => {
                let info = self.info_loss(&out, &input)?;
                loss += &info * *info_weight;
                Some(info)
            }
            Variant::EnergyBased { pulling_away } if *pulling_away > 0.0 => {
                let codes = out.features.as_ref().ok_or_else(|| {
                    TrainError::config("variant.pulling_away", "the discriminator gives no codes")
                })?;
                let pt = gan_core::pulling_away_term(codes)?;
                loss += &pt * *pulling_away;
                Some(pt)
            }
            _ => None,
        };
        let lambda = self.config.train.historical_averaging;
        if let Some((ha, _)) = &self.history {
            let params: Vec<Tensor> = self.opt_g.params().map(Tensor::shallow_clone).collect();
            loss += ha.penalty(&params)? * lambda;
        }
        self.opt_g.zero_grad();
        loss.backward();
        let grad_norm = grad_norm(self.opt_g.params(), self.device);
        self.opt_g.step();
        if let Some((ha, _)) = self.history.as_mut() {
            let params: Vec<Tensor> = self.opt_g.params().map(Tensor::shallow_clone).collect();
            ha.update(&params)?;
        }
        if let Some(ema) = self.ema.as_mut() {
            ema.update();
        }
        Ok(GStep {
            loss: loss.detach(),
            d_fake_g: self.mean_report(&out.score),
            grad_norm,
            aux: aux.map(|a| a.detach()),
        })
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
    fn simultaneous_update(&mut self) -> Result<(DStep, GStep)> {
        let (real, real_labels) = self.real_batch()?;
        let input = self.draw_inputs(real.size()[0])?;
        let fake = self.generate(&input, true);
        let out_fake_g = self.discriminator.discriminate(&fake, None, true);
        let g_loss = self.loss.g_loss(&out_fake_g.score);
        self.opt_g.zero_grad();
        g_loss.backward();
        let out_real = self.discriminator.discriminate(&real, None, true);
        let out_fake = self.discriminator.discriminate(&fake.detach(), None, true);
        let d_loss = self.loss.d_loss(&out_real.score, &out_fake.score);
        self.opt_d.zero_grad(); // drop what g_loss.backward() left in D
        d_loss.backward();
        let grad_norm = grad_norm(self.opt_g.params(), self.device);
        self.opt_g.step();
        self.opt_d.step();
        if let Some(ema) = self.ema.as_mut() {
            ema.update();
        }
        let d = DStep {
            loss: d_loss.detach(),
            d_real: self.mean_report(&out_real.score),
            d_fake: self.mean_report(&out_fake.score),
            aux: None,
            real,
            real_labels,
        };
        let g = GStep {
            loss: g_loss.detach(),
            d_fake_g: self.mean_report(&out_fake_g.score),
            grad_norm,
            aux: None,
        };
        Ok((d, g))
    }

    /// Advance the game by one generator update (and its `d_steps` D updates).
    pub fn train_step(&mut self) -> Result<StepStats> {
        rng::seed_step(self.config.seed, self.step);
        if self.config.train.lr_decay == LrDecay::Linear {
            let scale = 1.0 - self.step as f64 / self.config.train.steps.max(1) as f64;
            self.opt_g.set_lr_scale(scale.max(0.0));
            self.opt_d.set_lr_scale(scale.max(0.0));
        }
        let (d, g) = match self.config.train.schedule {
            schedule @ (Schedule::Alternating | Schedule::Unrolled) => {
                let mut d = self.d_update()?;
                for _ in 1..self.config.train.d_steps {
                    d = self.d_update()?;
                }
                let lookahead = match schedule {
                    Schedule::Unrolled => self.config.train.unrolled_steps,
                    _ => 0,
                };
                let g = if self.trains_generator() {
                    Some(self.g_update(&d, lookahead)?)
                } else {
                    None
                };
                (d, g)
            }
            Schedule::Simultaneous => {
                let (d, g) = self.simultaneous_update()?;
                (d, Some(g))
            }
        };
        self.step += 1;
        let stats = self.read_stats(&d, g.as_ref())?;
        check_finite(&stats, g.is_some())?;
        Ok(stats)
    }

    /// Whether generator updates happen: not in the semi-supervised baseline, which
    /// trains D as a classifier on the labelled subset alone.
    fn trains_generator(&self) -> bool {
        !matches!(
            self.config.variant,
            Variant::SemiSupervised { unsupervised_weight, .. } if unsupervised_weight == 0.0
        )
    }

    /// All of a step's scalars in one device-to-host read.
    fn read_stats(&self, d: &DStep, g: Option<&GStep>) -> Result<StepStats> {
        let nan = || Tensor::full([], f64::NAN, (Kind::Double, self.device));
        let scalar = |t: &Tensor| t.to_kind(Kind::Double).reshape([]);
        let or_nan = |t: Option<&Tensor>| t.map_or_else(nan, scalar);
        // The variant's term: D's (class CE on real / labelled data) when it has one, else G's.
        let aux = d.aux.as_ref().or(g.and_then(|g| g.aux.as_ref()));
        let values = Tensor::stack(
            &[
                scalar(&d.loss),
                or_nan(g.map(|g| &g.loss)),
                scalar(&d.d_real),
                scalar(&d.d_fake),
                or_nan(g.map(|g| &g.d_fake_g)),
                g.map_or_else(
                    || Tensor::zeros([], (Kind::Double, self.device)),
                    |g| scalar(&g.grad_norm),
                ),
                or_nan(aux),
            ],
            0,
        )
        .to_device(Device::Cpu);
        let v: Vec<f64> = Vec::try_from(values)?;
        Ok(StepStats {
            step: self.step,
            d_loss: v[0],
            g_loss: v[1],
            d_real: v[2],
            d_fake: v[3],
            d_fake_g: v[4],
            g_grad_norm: v[5],
            aux: aux.map(|_| v[6]),
        })
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

/// L2 norm over the gradients of `params` (0 where none), as a scalar tensor on
/// `device` so that reading it does not force a host sync every step.
fn grad_norm<'a>(params: impl Iterator<Item = &'a Tensor>, device: Device) -> Tensor {
    let squares: Vec<Tensor> = params
        .map(|p| p.grad())
        .filter(Tensor::defined)
        .map(|g| g.square().sum(Kind::Double))
        .collect();
    if squares.is_empty() {
        return Tensor::zeros([], (Kind::Double, device));
    }
    Tensor::stack(&squares, 0).sum(Kind::Double).sqrt()
}

/// Stops the run on a non-finite loss (the generator's only when it was trained).
fn check_finite(s: &StepStats, generator_trained: bool) -> Result<()> {
    for (what, value, checked) in [
        ("discriminator loss", s.d_loss, true),
        ("generator loss", s.g_loss, generator_trained),
    ] {
        if checked && !value.is_finite() {
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
