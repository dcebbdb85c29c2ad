//! The unrolled GAN's look-ahead (Metz et al. 2017): D's parameters after `k` more
//! updates, computed functionally with `create_graph` so that G's loss can be
//! differentiated through them.

use tch::Tensor;

use gan_models::MlpDiscriminator;

use super::Trainer;
use crate::error::Result;

impl Trainer {
    /// D's parameters after `k` look-ahead updates on (`real`, `fake`), taken from a copy
    /// of the current parameters with the discriminator optimizer's own rule and state
    /// ([`Optimizer::lookahead`](crate::Optimizer::lookahead)) and `create_graph`, so that
    /// the result is differentiable in `fake` and thus in the generator's weights. The
    /// look-ahead uses the adversarial loss only; config validation refuses the settings
    /// it would leave out (gradient penalty, weight clipping, historical averaging,
    /// variants).
    pub(super) fn unrolled_parameters(
        &self,
        mlp: &MlpDiscriminator,
        real: &Tensor,
        fake: &Tensor,
        k: u32,
    ) -> Result<Vec<Tensor>> {
        let mut ahead = self.opt_d.lookahead(&mlp.variable_names())?;
        let mut params: Vec<Tensor> = mlp
            .parameters()
            .iter()
            .map(|p| p.detach().copy().set_requires_grad(true))
            .collect();
        for _ in 0..k {
            let rs = mlp.forward_with(&params, real, None, true).score;
            let fs = mlp.forward_with(&params, fake, None, true).score;
            let loss = self.config.loss.d_loss(&rs, &fs);
            let grads = Tensor::f_run_backward(&[&loss], &params, true, true)?;
            params = ahead.step(&params, grads);
        }
        Ok(params)
    }
}
