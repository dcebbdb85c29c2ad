//! Optimizers with state we own: Adam, RMSProp and SGD.
//!
//! tch's built-in optimizers keep their state inside libtorch where it cannot be
//! saved, so resuming a run would silently reset Adam's moments. These optimizers keep
//! every state tensor here, so a checkpoint holds all of it and a resumed run continues
//! bit-for-bit. The update rules follow `torch.optim` exactly (same defaults, same bias
//! correction, L2 weight decay added to the gradient as PyTorch's `weight_decay` does).
//!
//! Each parameter's state is keyed by the parameter's name (its var-store path for
//! [`Optimizer::for_var_store`]), so a checkpoint stays loadable when modules are
//! reordered. [`Lookahead`] is the same rule in differentiable form, for the unrolled
//! GAN.

mod lookahead;

pub use lookahead::Lookahead;

use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, no_grad, Tensor};

use crate::error::{Result, TrainError};
use crate::fused_adam::{fused_adam_step, AdamStep, AdamTensors};

/// Which update rule to use.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba 2015), `torch.optim.Adam`; uses `beta1`, `beta2`, `eps`.
    Adam,
    /// RMSProp, `torch.optim.RMSprop` (uncentered, no momentum); uses `alpha`, `eps`.
    Rmsprop,
    /// Stochastic gradient descent, `torch.optim.SGD`; uses `momentum`.
    Sgd,
}

/// Optimizer settings, as written in an experiment config (`[optim.generator]`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizerConfig {
    /// The update rule (default `adam`).
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Adam β₁.
    pub beta1: f64,
    /// Adam β₂.
    pub beta2: f64,
    /// RMSProp smoothing constant α.
    pub alpha: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// Term added to the denominator of Adam / RMSProp for numerical stability.
    pub eps: f64,
    /// L2 penalty added to the gradient (PyTorch's `weight_decay`).
    pub weight_decay: f64,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig {
            kind: OptimizerKind::Adam,
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            alpha: 0.99,
            momentum: 0.0,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl OptimizerConfig {
    /// Check ranges; `key` is the config path used in error messages.
    pub fn validate(&self, key: &str) -> Result<()> {
        let check = |ok: bool, field: &str, range: &str, value: f64| {
            if ok {
                Ok(())
            } else {
                Err(TrainError::config(
                    format!("{key}.{field}"),
                    format!("must be {range}, got {value}"),
                ))
            }
        };
        check(self.lr > 0.0 && self.lr.is_finite(), "lr", "> 0", self.lr)?;
        check(
            (0.0..1.0).contains(&self.beta1),
            "beta1",
            "in [0, 1)",
            self.beta1,
        )?;
        check(
            (0.0..1.0).contains(&self.beta2),
            "beta2",
            "in [0, 1)",
            self.beta2,
        )?;
        check(
            (0.0..1.0).contains(&self.alpha),
            "alpha",
            "in [0, 1)",
            self.alpha,
        )?;
        check(
            (0.0..1.0).contains(&self.momentum),
            "momentum",
            "in [0, 1)",
            self.momentum,
        )?;
        check(
            self.eps > 0.0 && self.eps.is_finite(),
            "eps",
            "finite and > 0",
            self.eps,
        )?;
        check(
            self.weight_decay >= 0.0 && self.weight_decay.is_finite(),
            "weight_decay",
            "finite and >= 0",
            self.weight_decay,
        )?;
        self.refuse_unused(key)
    }

    /// Refuse a setting of another rule's (e.g. `momentum` with Adam) that differs from
    /// its default, since this rule would silently ignore it.
    fn refuse_unused(&self, key: &str) -> Result<()> {
        let d = OptimizerConfig::default();
        let (name, unused): (&str, Vec<(&str, f64, f64)>) = match self.kind {
            OptimizerKind::Adam => (
                "adam",
                vec![
                    ("alpha", self.alpha, d.alpha),
                    ("momentum", self.momentum, d.momentum),
                ],
            ),
            OptimizerKind::Rmsprop => (
                "rmsprop",
                vec![
                    ("beta1", self.beta1, d.beta1),
                    ("beta2", self.beta2, d.beta2),
                    ("momentum", self.momentum, d.momentum),
                ],
            ),
            OptimizerKind::Sgd => (
                "sgd",
                vec![
                    ("beta1", self.beta1, d.beta1),
                    ("beta2", self.beta2, d.beta2),
                    ("alpha", self.alpha, d.alpha),
                ],
            ),
        };
        let eps_unused = self.kind == OptimizerKind::Sgd && self.eps != d.eps;
        let field = unused
            .iter()
            .find(|(_, v, default)| v != default)
            .map(|(f, ..)| *f)
            .or(eps_unused.then_some("eps"));
        match field {
            Some(field) => Err(TrainError::config(
                format!("{key}.{field}"),
                format!(
                    "has no effect with {key}.kind = \"{name}\" (remove it or change the kind)"
                ),
            )),
            None => Ok(()),
        }
    }
}

/// One parameter and its optimizer state.
struct Slot {
    /// The parameter's name: the key of its state in checkpoints.
    name: String,
    param: Tensor,
    /// Adam: exp_avg; RMSProp: square_avg; SGD: momentum buffer.
    first: Tensor,
    /// Adam: exp_avg_sq; unused otherwise.
    second: Tensor,
}

/// An optimizer over a fixed list of parameters.
pub struct Optimizer {
    config: OptimizerConfig,
    slots: Vec<Slot>,
    /// Number of updates applied so far (Adam's bias correction uses it).
    steps: u64,
    /// Multiplier applied to `config.lr` (learning-rate schedules set it).
    lr_scale: f64,
}

impl Optimizer {
    /// An optimizer for `params`, named by their index (`"0"`, `"1"`, …). Prefer
    /// [`for_var_store`](Self::for_var_store) for networks, whose names survive a
    /// reordering of modules.
    pub fn new(config: &OptimizerConfig, params: Vec<Tensor>) -> Self {
        let named = params
            .into_iter()
            .enumerate()
            .map(|(i, p)| (i.to_string(), p))
            .collect();
        Self::named(config, named)
    }

    /// An optimizer for every trainable variable of `vs`, in the var store's order, each
    /// named by its path (e.g. `"disc.fc0.weight"`).
    pub fn for_var_store(config: &OptimizerConfig, vs: &VarStore) -> Self {
        Self::named(config, named_trainable_variables(vs))
    }

    /// An optimizer for `(name, parameter)` pairs; names must be unique.
    pub fn named(config: &OptimizerConfig, params: Vec<(String, Tensor)>) -> Self {
        let slots = params
            .into_iter()
            .map(|(name, param)| {
                let zeros = || param.zeros_like().detach();
                Slot {
                    name,
                    first: zeros(),
                    second: if config.kind == OptimizerKind::Adam {
                        zeros()
                    } else {
                        Tensor::new()
                    },
                    param,
                }
            })
            .collect();
        Optimizer {
            config: config.clone(),
            slots,
            steps: 0,
            lr_scale: 1.0,
        }
    }

    /// The settings this optimizer was built with (the learning rate before any scale).
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// The learning rate of the next update.
    pub fn lr(&self) -> f64 {
        self.config.lr * self.lr_scale
    }

    /// Scale the configured learning rate (1.0 = as configured).
    pub fn set_lr_scale(&mut self, scale: f64) {
        self.lr_scale = scale;
    }

    /// Updates taken so far (Adam's bias-correction step count; saved in checkpoints).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The parameters this optimizer updates.
    pub fn params(&self) -> impl Iterator<Item = &Tensor> {
        self.slots.iter().map(|s| &s.param)
    }

    /// The parameters' names, in the order of [`params`](Self::params).
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.name.as_str())
    }

    /// Clear the gradients of every parameter.
    pub fn zero_grad(&mut self) {
        for slot in &mut self.slots {
            let mut grad = slot.param.grad();
            if grad.defined() {
                let _ = grad.detach_().zero_();
            }
        }
    }

    /// `zero_grad`, backward of `loss`, then `step`.
    pub fn backward_step(&mut self, loss: &Tensor) {
        self.zero_grad();
        loss.backward();
        self.step();
    }

    /// Apply one update using the gradients currently stored in the parameters.
    /// Parameters without a gradient are left untouched.
    ///
    /// Adam runs as one fused kernel over all parameters (ATen's `_fused_adam_`); the
    /// per-tensor form below is used where the kernel cannot be (at a learning rate of 0,
    /// or for tensors it cannot take) and gives the same values up to rounding.
    pub fn step(&mut self) {
        self.steps += 1;
        if self.config.kind == OptimizerKind::Adam && self.lr() != 0.0 && self.fused_adam() {
            return;
        }
        self.step_per_tensor();
    }

    /// This step's Adam update on the fused kernel; false (nothing changed) where the
    /// tensors cannot take it.
    fn fused_adam(&mut self) -> bool {
        let c = &self.config;
        let with_grad: Vec<(&Slot, Tensor)> = self
            .slots
            .iter()
            .map(|s| (s, s.param.grad()))
            .filter(|(_, g)| g.defined())
            .collect();
        if with_grad.is_empty() {
            return true;
        }
        let tensors = AdamTensors {
            params: with_grad.iter().map(|(s, _)| &s.param).collect(),
            exp_avgs: with_grad.iter().map(|(s, _)| &s.first).collect(),
            exp_avg_sqs: with_grad.iter().map(|(s, _)| &s.second).collect(),
            grads: with_grad.iter().map(|(_, g)| g.shallow_clone()).collect(),
        };
        let hyper = AdamStep {
            step: self.steps,
            lr: self.lr(),
            beta1: c.beta1,
            beta2: c.beta2,
            weight_decay: c.weight_decay,
            eps: c.eps,
        };
        match no_grad(|| fused_adam_step(&tensors, hyper)) {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!("per-tensor Adam instead of the fused kernel: {e}");
                false
            }
        }
    }

    /// The update with one tensor operation at a time (RMSProp, SGD, and Adam where the
    /// fused kernel cannot run); `self.steps` already counts this step.
    fn step_per_tensor(&mut self) {
        let c = &self.config;
        let lr = c.lr * self.lr_scale;
        let t = self.steps as i32;
        no_grad(|| {
            for slot in &mut self.slots {
                let grad = slot.param.grad();
                if !grad.defined() {
                    continue;
                }
                let grad = if c.weight_decay > 0.0 {
                    &grad + &slot.param * c.weight_decay
                } else {
                    grad
                };
                match c.kind {
                    OptimizerKind::Adam => {
                        // m ← β1·m + (1−β1)·g and v ← β2·v + (1−β2)·g², as lerps.
                        let _ = slot.first.lerp_(&grad, 1.0 - c.beta1);
                        let _ = slot.second.lerp_(&grad.square(), 1.0 - c.beta2);
                        if lr == 0.0 {
                            continue;
                        }
                        let bias1 = 1.0 - c.beta1.powi(t);
                        let bias2 = 1.0 - c.beta2.powi(t);
                        // θ ← θ − (lr/bias1)·m / (√v/√bias2 + ε), with the step size folded
                        // into the denominator so that one in-place addcdiv applies it
                        // (one temporary instead of three).
                        let mut denom = slot.second.sqrt();
                        let _ = denom.g_div_scalar_(bias2.sqrt());
                        let _ = denom.g_add_scalar_(c.eps);
                        let _ = denom.g_mul_scalar_(-bias1 / lr);
                        let _ = slot.param.addcdiv_(&slot.first, &denom);
                    }
                    OptimizerKind::Rmsprop => {
                        let _ = slot.first.g_mul_scalar_(c.alpha);
                        let _ = slot.first.addcmul_(&grad, &(&grad * (1.0 - c.alpha)));
                        let denom = slot.first.sqrt().g_add_scalar_(c.eps);
                        let _ = slot.param.g_sub_(&((&grad / &denom) * lr));
                    }
                    OptimizerKind::Sgd => {
                        let direction = if c.momentum > 0.0 {
                            if t == 1 {
                                slot.first.copy_(&grad);
                            } else {
                                let _ = slot.first.g_mul_scalar_(c.momentum);
                                let _ = slot.first.g_add_(&grad);
                            }
                            slot.first.shallow_clone()
                        } else {
                            grad
                        };
                        let _ = slot.param.g_sub_(&(direction * lr));
                    }
                }
            }
        });
    }

    /// Every state tensor, named `"first/<parameter name>"` / `"second/<parameter name>"`;
    /// the step count travels in the checkpoint metadata.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for slot in &self.slots {
            out.push((format!("first/{}", slot.name), slot.first.shallow_clone()));
            if slot.second.defined() {
                out.push((format!("second/{}", slot.name), slot.second.shallow_clone()));
            }
        }
        out
    }

    /// Restore state saved by [`state_tensors`](Self::state_tensors) and the step count.
    pub fn load_state(
        &mut self,
        steps: u64,
        lookup: &dyn Fn(&str) -> Option<Tensor>,
    ) -> Result<()> {
        self.load_keyed(steps, lookup, |_, slot, which| {
            format!("{which}/{}", slot.name)
        })
    }

    /// Restore state saved by checkpoint format 1, which keyed it by parameter index
    /// (`"{i}.first"`): the index is the position in [`params`](Self::params), which is
    /// the var store's order, as it was when format 1 was written.
    pub fn load_indexed_state(
        &mut self,
        steps: u64,
        lookup: &dyn Fn(&str) -> Option<Tensor>,
    ) -> Result<()> {
        self.load_keyed(steps, lookup, |i, _, which| format!("{i}.{which}"))
    }

    fn load_keyed(
        &mut self,
        steps: u64,
        lookup: &dyn Fn(&str) -> Option<Tensor>,
        key_of: impl Fn(usize, &Slot, &str) -> String,
    ) -> Result<()> {
        for (i, slot) in self.slots.iter().enumerate() {
            for (which, target) in [("first", &slot.first), ("second", &slot.second)] {
                if !target.defined() {
                    continue;
                }
                let key = key_of(i, slot, which);
                let saved = lookup(&key).ok_or_else(|| TrainError::Checkpoint {
                    path: Default::default(),
                    reason: format!("optimizer state `{key}` is missing"),
                })?;
                if saved.size() != target.size() {
                    return Err(TrainError::Checkpoint {
                        path: Default::default(),
                        reason: format!(
                            "optimizer state `{key}` has shape {:?}, expected {:?}",
                            saved.size(),
                            target.size()
                        ),
                    });
                }
                crate::checkpoint::check_loaded_tensor(
                    &saved,
                    target.kind(),
                    &format!("optimizer state `{key}`"),
                )
                .map_err(|reason| TrainError::Checkpoint {
                    path: Default::default(),
                    reason,
                })?;
                let mut target = target.shallow_clone();
                no_grad(|| target.copy_(&saved));
            }
        }
        self.steps = steps;
        Ok(())
    }

    /// A differentiable copy of this optimizer's rule and state for the parameters named
    /// `names` (in that order), to take look-ahead steps with (see [`Lookahead`]).
    pub fn lookahead(&self, names: &[String]) -> Result<Lookahead> {
        let state = names
            .iter()
            .map(|name| {
                let slot = self.slots.iter().find(|s| &s.name == name).ok_or_else(|| {
                    TrainError::config(
                        "train.schedule",
                        format!("the optimizer has no parameter `{name}` to look ahead with"),
                    )
                })?;
                let copy = |t: &Tensor| {
                    if t.defined() {
                        t.detach().copy()
                    } else {
                        slot.param.zeros_like().detach()
                    }
                };
                Ok((copy(&slot.first), copy(&slot.second)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Lookahead::new(
            self.config.clone(),
            self.lr(),
            self.steps,
            state,
        ))
    }
}

/// Every trainable variable of `vs` with its path, in [`VarStore::trainable_variables`]'
/// order (the order the optimizer's per-index state of format 1 used).
pub fn named_trainable_variables(vs: &VarStore) -> Vec<(String, Tensor)> {
    let by_name = vs.variables();
    vs.trainable_variables()
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            // tch keeps names and the trainable list apart; a variable is its storage.
            let name = by_name
                .iter()
                .find(|(_, v)| {
                    v.numel() > 0 && v.data_ptr() == t.data_ptr() && v.size() == t.size()
                })
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| format!("#{i}"));
            (name, t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn quadratic_param() -> Tensor {
        Tensor::from_slice(&[1.0f32, -2.0]).set_requires_grad(true)
    }

    /// One Adam step from zero state moves each parameter by exactly lr·sign(grad)
    /// (bias correction makes m̂/√v̂ = g/|g|), up to eps.
    #[test]
    fn adam_first_step_is_lr_times_sign() {
        let p = quadratic_param();
        let cfg = OptimizerConfig {
            lr: 0.1,
            ..Default::default()
        };
        let mut opt = Optimizer::new(&cfg, vec![p.shallow_clone()]);
        let loss = (&p * &p).sum(Kind::Float);
        opt.backward_step(&loss);
        let v: Vec<f32> = Vec::try_from(&p.detach()).unwrap();
        assert!((v[0] - 0.9).abs() < 1e-6, "{v:?}");
        assert!((v[1] + 1.9).abs() < 1e-6, "{v:?}");
    }

    /// Two Adam steps by hand: g1 = 2, g2 = 2·x1 on f(x) = x².
    #[test]
    fn adam_second_step_matches_hand_computation() {
        let p = Tensor::from_slice(&[1.0f64]).set_requires_grad(true);
        let cfg = OptimizerConfig {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            ..Default::default()
        };
        let mut opt = Optimizer::new(&cfg, vec![p.shallow_clone()]);
        for _ in 0..2 {
            let loss = (&p * &p).sum(Kind::Double);
            opt.backward_step(&loss);
        }
        // step 1: m̂/(√v̂ + ε) = 2 / (2 + ε), so x1 = 1 − 0.1·2/(2 + ε); g2 = 2·x1.
        let x1 = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8);
        let (g1, g2) = (2.0f64, 2.0 * x1);
        let m = 0.9 * (0.1 * g1) + 0.1 * g2;
        let v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2;
        let m_hat = m / (1.0 - 0.9f64.powi(2));
        let v_hat = v / (1.0 - 0.999f64.powi(2));
        let expected = x1 - 0.1 * m_hat / (v_hat.sqrt() + 1e-8);
        let got = p.double_value(&[0]);
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    }

    #[test]
    fn rmsprop_and_sgd_follow_their_rules() {
        let p = Tensor::from_slice(&[3.0f64]).set_requires_grad(true);
        let cfg = OptimizerConfig {
            kind: OptimizerKind::Rmsprop,
            lr: 0.01,
            alpha: 0.9,
            ..Default::default()
        };
        let mut opt = Optimizer::new(&cfg, vec![p.shallow_clone()]);
        opt.backward_step(&(&p * &p).sum(Kind::Double));
        // g = 6, s = 0.1 * 36 = 3.6, x = 3 - 0.01 * 6 / sqrt(3.6)
        let expected = 3.0 - 0.01 * 6.0 / (3.6f64.sqrt() + 1e-8);
        assert!((p.double_value(&[0]) - expected).abs() < 1e-12);

        let q = Tensor::from_slice(&[3.0f64]).set_requires_grad(true);
        let cfg = OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 0.1,
            momentum: 0.5,
            ..Default::default()
        };
        let mut opt = Optimizer::new(&cfg, vec![q.shallow_clone()]);
        opt.backward_step(&(&q * &q).sum(Kind::Double)); // g=6, buf=6, x=2.4
        opt.backward_step(&(&q * &q).sum(Kind::Double)); // g=4.8, buf=7.8, x=1.62
        assert!((q.double_value(&[0]) - 1.62).abs() < 1e-12);
    }

    #[test]
    fn weight_decay_adds_l2_gradient() {
        let p = Tensor::from_slice(&[2.0f64]).set_requires_grad(true);
        let cfg = OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 0.1,
            weight_decay: 0.5,
            ..Default::default()
        };
        let mut opt = Optimizer::new(&cfg, vec![p.shallow_clone()]);
        opt.backward_step(&p.sum(Kind::Double)); // g = 1 + 0.5*2 = 2
        assert!((p.double_value(&[0]) - 1.8).abs() < 1e-12);
    }

    #[test]
    fn state_round_trip_continues_identically() {
        let make = || Tensor::from_slice(&[1.0f32, 2.0, 3.0]).set_requires_grad(true);
        let cfg = OptimizerConfig::default();
        let loss_of = |p: &Tensor| (p * p * p).sum(Kind::Float);

        let a = make();
        let mut opt_a = Optimizer::new(&cfg, vec![a.shallow_clone()]);
        for _ in 0..3 {
            opt_a.backward_step(&loss_of(&a));
        }
        // Snapshot after 3 steps, continue a for 2 more.
        let saved: Vec<(String, Tensor)> = opt_a
            .state_tensors()
            .into_iter()
            .map(|(k, t)| (k, t.copy()))
            .collect();
        let a_snapshot = a.detach().copy();
        for _ in 0..2 {
            opt_a.backward_step(&loss_of(&a));
        }

        let mut b = make();
        no_grad(|| b.copy_(&a_snapshot));
        let mut opt_b = Optimizer::new(&cfg, vec![b.shallow_clone()]);
        opt_b
            .load_state(3, &|k| {
                saved
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, t)| t.shallow_clone())
            })
            .unwrap();
        for _ in 0..2 {
            opt_b.backward_step(&loss_of(&b));
        }
        assert!(a.equal(&b));
    }

    /// `step` with the per-tensor Adam, as where the fused kernel cannot run.
    fn step_unfused(opt: &mut Optimizer) {
        opt.steps += 1;
        opt.step_per_tensor();
    }

    #[test]
    fn fused_adam_agrees_with_the_per_tensor_form() {
        tch::manual_seed(3);
        let cfg = OptimizerConfig {
            lr: 0.01,
            weight_decay: 0.1,
            ..Default::default()
        };
        let init: Vec<Tensor> = [vec![4i64, 3], vec![5], vec![2, 2, 2], vec![3]]
            .iter()
            .map(|s| Tensor::randn(s.as_slice(), tch::kind::FLOAT_CPU))
            .collect();
        let make = || -> Vec<Tensor> {
            init.iter()
                .map(|t| t.copy().set_requires_grad(true))
                .collect()
        };
        let (a, b) = (make(), make());
        let mut fused = Optimizer::new(&cfg, a.iter().map(Tensor::shallow_clone).collect());
        let mut unfused = Optimizer::new(&cfg, b.iter().map(Tensor::shallow_clone).collect());
        // The third parameter's gradient is zero every other step; the fourth never gets
        // one, so both forms must leave it alone.
        let loss_of = |ps: &[Tensor], step: usize| {
            let mut loss = (&ps[0] * &ps[0]).sum(Kind::Float) + ps[1].sin().sum(Kind::Float);
            if step % 2 == 0 {
                loss += ps[2].pow_tensor_scalar(3).sum(Kind::Float);
            }
            loss
        };
        for step in 0..6 {
            fused.zero_grad();
            unfused.zero_grad();
            loss_of(&a, step).backward();
            loss_of(&b, step).backward();
            fused.step();
            step_unfused(&mut unfused);
        }
        for (i, (x, y)) in a.iter().zip(&b).enumerate().take(3) {
            let diff = (x - y).abs().max().double_value(&[]);
            assert!(
                diff < 1e-6,
                "parameter {i}: fused and per-tensor differ by {diff}"
            );
            assert!(!x.equal(&init[i]), "parameter {i} never moved");
        }
        assert!(a[3].equal(&init[3]) && b[3].equal(&init[3]));
        for ((k, x), (_, y)) in fused.state_tensors().iter().zip(unfused.state_tensors()) {
            let diff = (x - &y).abs().max().double_value(&[]);
            assert!(diff < 1e-6, "state {k} differs by {diff}");
        }
    }

    #[test]
    fn adam_at_zero_learning_rate_moves_only_the_moments() {
        let p = quadratic_param();
        let mut opt = Optimizer::new(&OptimizerConfig::default(), vec![p.shallow_clone()]);
        opt.set_lr_scale(0.0);
        opt.backward_step(&(&p * &p).sum(Kind::Float));
        assert_eq!(Vec::<f32>::try_from(&p.detach()).unwrap(), vec![1.0, -2.0]);
        let first = &opt.state_tensors()[0].1;
        assert!(first.abs().sum(Kind::Float).double_value(&[]) > 0.0);
    }

    /// State is keyed by name: an optimizer over the same parameters listed in another
    /// order (modules reordered) restores each parameter's own moments.
    #[test]
    fn named_state_survives_reordering() {
        let cfg = OptimizerConfig::default();
        let a = Tensor::from_slice(&[1.0f32, 2.0]).set_requires_grad(true);
        let b = Tensor::from_slice(&[-3.0f32]).set_requires_grad(true);
        let mut opt = Optimizer::named(
            &cfg,
            vec![
                ("a".into(), a.shallow_clone()),
                ("b".into(), b.shallow_clone()),
            ],
        );
        opt.backward_step(&((&a * &a).sum(Kind::Float) + (&b * &b * 5.0).sum(Kind::Float)));
        let saved: Vec<(String, Tensor)> = opt.state_tensors();
        let names: Vec<&str> = saved.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["first/a", "second/a", "first/b", "second/b"]);
        let mut reordered = Optimizer::named(
            &cfg,
            vec![
                ("b".into(), b.shallow_clone()),
                ("a".into(), a.shallow_clone()),
            ],
        );
        reordered
            .load_state(1, &|k| {
                saved
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, t)| t.shallow_clone())
            })
            .unwrap();
        for ((k, x), (k2, y)) in opt.state_tensors().iter().zip(
            ["first/a", "second/a", "first/b", "second/b"]
                .iter()
                .map(|k| {
                    reordered
                        .state_tensors()
                        .into_iter()
                        .find(|(n, _)| n == k)
                        .unwrap()
                }),
        ) {
            assert_eq!(k, &k2);
            assert!(x.equal(&y), "{k}");
        }
    }

    #[test]
    fn var_store_parameters_are_named_by_path() {
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let root = vs.root() / "disc";
        let _w = root.zeros("w", &[2]);
        let _b = root.zeros("b", &[3]);
        let _running = root.zeros_no_train("running", &[3]);
        let opt = Optimizer::for_var_store(&OptimizerConfig::default(), &vs);
        assert_eq!(opt.param_names().collect::<Vec<_>>(), ["disc.w", "disc.b"]);
    }

    #[test]
    fn missing_state_is_a_clear_error() {
        let p = Tensor::zeros([2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let mut opt = Optimizer::new(&OptimizerConfig::default(), vec![p]);
        let err = opt.load_state(1, &|_| None).unwrap_err().to_string();
        assert!(err.contains("first/0"), "{err}");
    }

    #[test]
    fn validate_names_the_key() {
        let cfg = OptimizerConfig {
            lr: -1.0,
            ..Default::default()
        };
        let err = cfg.validate("optim.generator").unwrap_err().to_string();
        assert!(err.contains("optim.generator.lr"), "{err}");
    }
}
