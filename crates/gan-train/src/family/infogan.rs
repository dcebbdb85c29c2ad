//! InfoGAN (Chen et al. 2016): G is fed a categorical and continuous code (see
//! [`Conditioning`](crate::conditioning::Conditioning)); a Q head on D's body predicts
//! it, and both players minimise `info_weight · L_info`.

use tch::{Kind, Tensor};

use gan_models::{DiscOutput, HeadsConfig};

use super::{DTermInputs, FamilyMember, GTermInputs, WithTerm};
use crate::conditioning::{Conditioning, GenInput};
use crate::error::{Result, TrainError};

/// The information-maximising GAN.
pub struct Info {
    /// Values of the categorical code (0 = none).
    pub categorical: i64,
    /// Number of continuous codes.
    pub continuous: i64,
    /// λ of the mutual-information term.
    pub info_weight: f64,
    /// Weight of the continuous codes' NLL inside the term.
    pub continuous_weight: f64,
}

impl Info {
    /// `L_info = −E log Q(c | G(z, c))` of the code in `input`, from D's Q head on
    /// `G(z, c)`: categorical cross-entropy plus `continuous_weight` × Gaussian NLL.
    fn info_loss(
        &self,
        out: &DiscOutput,
        input: &GenInput,
        conditioning: &Conditioning,
    ) -> Result<Tensor> {
        let q = out
            .q
            .as_ref()
            .ok_or_else(|| TrainError::config("variant.kind", "the discriminator has no Q head"))?;
        let k = conditioning.categorical();
        let mut loss = Tensor::zeros([], (Kind::Float, q.device()));
        if let Some(c) = &input.categorical {
            // The code is drawn in 0..k by `Conditioning`: no range check (a host read).
            loss += gan_core::class_cross_entropy_unchecked(&q.narrow(1, 0, k), c)?;
        }
        if let Some(c) = &input.continuous {
            let n = conditioning.continuous();
            let params = q.narrow(1, k, 2 * n);
            loss += gan_core::info::continuous_code_loss(&params, c)? * self.continuous_weight;
        }
        Ok(loss)
    }
}

impl FamilyMember for Info {
    fn name(&self) -> &'static str {
        "infogan"
    }

    fn heads(&self, _num_classes: Option<i64>) -> Result<HeadsConfig> {
        Ok(HeadsConfig {
            q_dim: Some(self.categorical + 2 * self.continuous),
            ..HeadsConfig::default()
        })
    }

    fn d_term(&self, loss: Tensor, inputs: &DTermInputs<'_>) -> Result<WithTerm> {
        let info = self.info_loss(inputs.out_fake, inputs.input, inputs.conditioning)?;
        Ok(WithTerm {
            loss: loss + &info * self.info_weight,
            aux: Some(info),
        })
    }

    fn g_term(&self, loss: Tensor, inputs: &GTermInputs<'_>) -> Result<WithTerm> {
        let info = self.info_loss(inputs.out_fake, inputs.input, inputs.conditioning)?;
        Ok(WithTerm {
            loss: loss + &info * self.info_weight,
            aux: Some(info),
        })
    }
}
