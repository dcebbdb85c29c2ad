//! The optimizer's update rule in differentiable form: look-ahead steps that return new
//! parameter tensors (out of place, on the autograd graph) instead of updating the live
//! ones. The unrolled GAN (Metz et al. 2017) differentiates G's loss through `k` such
//! steps of D. Built by [`Optimizer::lookahead`](super::Optimizer::lookahead), it starts
//! from copies of the optimizer's moments and step count, so the look-ahead continues
//! exactly where the real optimizer is; the real optimizer is never touched.

use tch::Tensor;

use super::{OptimizerConfig, OptimizerKind};

/// Copies of an optimizer's rule and per-parameter state, stepped functionally.
pub struct Lookahead {
    config: OptimizerConfig,
    lr: f64,
    /// Updates taken so far, counting the real optimizer's (Adam's bias correction).
    steps: i32,
    /// Adam: exp_avg; RMSProp: square_avg; SGD: momentum buffer.
    first: Vec<Tensor>,
    /// Adam: exp_avg_sq; zeros otherwise.
    second: Vec<Tensor>,
}

impl Lookahead {
    pub(super) fn new(
        config: OptimizerConfig,
        lr: f64,
        steps: u64,
        state: Vec<(Tensor, Tensor)>,
    ) -> Self {
        let (first, second) = state.into_iter().unzip();
        Lookahead {
            config,
            lr,
            steps: i32::try_from(steps).unwrap_or(i32::MAX),
            first,
            second,
        }
    }

    /// One update of `params` by `grads` (same order as the names the look-ahead was
    /// built for). The result stays differentiable in whatever `grads` depend on when
    /// they were computed with `create_graph`.
    pub fn step(&mut self, params: &[Tensor], grads: Vec<Tensor>) -> Vec<Tensor> {
        let c = &self.config;
        let lr = self.lr;
        self.steps += 1;
        let t = self.steps;
        let mut next = Vec::with_capacity(params.len());
        for (i, (p, g)) in params.iter().zip(grads).enumerate() {
            let g = if c.weight_decay > 0.0 {
                g + p * c.weight_decay
            } else {
                g
            };
            // A tiny floor under the square roots keeps their derivative finite where a
            // gradient is exactly zero.
            let p_next = match c.kind {
                OptimizerKind::Adam => {
                    self.first[i] = &self.first[i] * c.beta1 + &g * (1.0 - c.beta1);
                    self.second[i] = &self.second[i] * c.beta2 + g.square() * (1.0 - c.beta2);
                    let m_hat = &self.first[i] / (1.0 - c.beta1.powi(t));
                    let v_hat = &self.second[i] / (1.0 - c.beta2.powi(t));
                    p - m_hat / ((v_hat + 1e-16).sqrt() + c.eps) * lr
                }
                OptimizerKind::Rmsprop => {
                    self.first[i] = &self.first[i] * c.alpha + g.square() * (1.0 - c.alpha);
                    p - &g / ((&self.first[i] + 1e-16).sqrt() + c.eps) * lr
                }
                OptimizerKind::Sgd => {
                    self.first[i] = &self.first[i] * c.momentum + &g;
                    p - &self.first[i] * lr
                }
            };
            next.push(p_next);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use tch::Kind;

    use super::*;
    use crate::optim::Optimizer;

    fn loss_of(p: &Tensor) -> Tensor {
        (p * p * p).sum(Kind::Float) + p.sum(Kind::Float)
    }

    /// Three real steps, then one look-ahead step and one real step from the same state:
    /// the look-ahead gives the parameters the optimizer then reaches, for every rule.
    #[test]
    fn a_lookahead_step_is_the_optimizer_step() {
        let configs = [
            OptimizerConfig::default(),
            OptimizerConfig {
                kind: OptimizerKind::Rmsprop,
                lr: 0.01,
                ..Default::default()
            },
            OptimizerConfig {
                kind: OptimizerKind::Sgd,
                lr: 0.05,
                momentum: 0.9,
                weight_decay: 0.1,
                ..Default::default()
            },
        ];
        for cfg in configs {
            let p = Tensor::from_slice(&[0.5f32, -1.0, 2.0]).set_requires_grad(true);
            let mut opt = Optimizer::named(&cfg, vec![("w".into(), p.shallow_clone())]);
            for _ in 0..3 {
                opt.backward_step(&loss_of(&p));
            }
            let mut ahead = opt.lookahead(&["w".to_string()]).unwrap();
            let live = [p.detach().copy().set_requires_grad(true)];
            let grads = Tensor::f_run_backward(&[&loss_of(&live[0])], &live, true, true).unwrap();
            let predicted = ahead.step(&live, grads).remove(0);
            opt.backward_step(&loss_of(&p));
            let gap = (&predicted - &p).abs().max().double_value(&[]);
            assert!(gap < 1e-6, "{:?}: look-ahead off by {gap}", cfg.kind);
        }
    }

    #[test]
    fn a_lookahead_leaves_the_optimizer_alone_and_stays_differentiable() {
        let p = Tensor::from_slice(&[1.0f32, -1.0]).set_requires_grad(true);
        let before = p.detach().copy();
        // SGD: Adam's first step is lr·sign(g), whose derivative is zero.
        let sgd = OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 0.1,
            ..Default::default()
        };
        let opt = Optimizer::named(&sgd, vec![("w".into(), p.shallow_clone())]);
        let x = Tensor::from_slice(&[1.0f32, 2.0]).set_requires_grad(true);
        let mut ahead = opt.lookahead(&["w".to_string()]).unwrap();
        let live = [p.detach().copy().set_requires_grad(true)];
        let loss = (&live[0] * &x).square().sum(Kind::Float);
        let grads = Tensor::f_run_backward(&[&loss], &live, true, true).unwrap();
        let moved = ahead.step(&live, grads).remove(0);
        // d(moved)/dx exists (the unrolled GAN needs it) and p itself did not move.
        let dx = Tensor::f_run_backward(&[&moved.sum(Kind::Float)], &[&x], false, false).unwrap();
        assert!(dx[0].abs().sum(Kind::Float).double_value(&[]) > 0.0);
        assert!(p.detach().equal(&before));
        assert_eq!(opt.steps(), 0);
        let err = opt
            .lookahead(&["nope".to_string()])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("`nope`"), "{err}");
    }
}
