//! The unrolled GAN's look-ahead (Metz et al. 2017): D's parameters after `k` more
//! updates, computed functionally with `create_graph` so that G's loss can be
//! differentiated through them.

use tch::Tensor;

use gan_models::MlpDiscriminator;

use super::Trainer;
use crate::error::Result;

impl Trainer {
    /// D's parameters after `k` look-ahead updates on (`real`, `fake`), taken from a copy
    /// of the current parameters with the discriminator optimizer's rule (Adam, RMSProp
    /// or SGD, continuing its moment estimates) and `create_graph`, so that the result
    /// is differentiable in `fake` and thus in the generator's weights. The look-ahead
    /// uses the adversarial loss only; config validation refuses the settings it would
    /// leave out (gradient penalty, weight clipping, historical averaging, variants).
    pub(super) fn unrolled_parameters(
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
            let loss = self.config.loss.d_loss(&rs, &fs);
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
}
