//! EBGAN (Zhao et al. 2017): D is an autoencoder whose reconstruction error is the
//! energy (config checks tie it to `loss.kind = "energy_margin"`); G adds the
//! pulling-away term on the codes of its samples.

use tch::Tensor;

use super::{FamilyMember, GTermInputs, WithTerm};
use crate::error::{Result, TrainError};

/// The energy-based GAN.
pub struct EnergyBased {
    /// Weight of the pulling-away term (0 = off).
    pub pulling_away: f64,
}

impl FamilyMember for EnergyBased {
    fn name(&self) -> &'static str {
        "ebgan"
    }

    fn g_term(&self, loss: Tensor, inputs: &GTermInputs<'_>) -> Result<WithTerm> {
        if self.pulling_away <= 0.0 {
            return Ok(WithTerm::unchanged(loss));
        }
        let codes = inputs.out_fake.features.as_ref().ok_or_else(|| {
            TrainError::config("variant.pulling_away", "the discriminator gives no codes")
        })?;
        let pt = gan_core::pulling_away_term(codes)?;
        Ok(WithTerm {
            loss: loss + &pt * self.pulling_away,
            aux: Some(pt),
        })
    }
}
