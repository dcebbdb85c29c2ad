//! AC-GAN (Odena et al. 2017): D gets an auxiliary K-class head; both players add the
//! class cross-entropy (D on real and, by default, fake images; G on its fakes).

use tch::Tensor;

use gan_models::HeadsConfig;

use super::{class_logits, needs_classes, DTermInputs, FamilyMember, GTermInputs, WithTerm};
use crate::error::{Result, TrainError};

/// The auxiliary-classifier GAN.
pub struct AuxiliaryClassifier {
    /// Weight of the class cross-entropy in both players' losses.
    pub class_weight: f64,
    /// Train the class head on generated images too (the paper's `L_C`).
    pub fake_class_loss: bool,
}

fn fake_labels(input: &crate::conditioning::GenInput) -> Result<&Tensor> {
    input
        .labels
        .as_ref()
        .ok_or_else(|| TrainError::config("variant.kind", "AC-GAN draws fake labels"))
}

impl FamilyMember for AuxiliaryClassifier {
    fn name(&self) -> &'static str {
        "acgan"
    }

    fn heads(&self, num_classes: Option<i64>) -> Result<HeadsConfig> {
        Ok(HeadsConfig {
            aux_classes: Some(needs_classes(num_classes, self.name())?),
            ..HeadsConfig::default()
        })
    }

    fn d_term(&self, loss: Tensor, inputs: &DTermInputs<'_>) -> Result<WithTerm> {
        let y = inputs
            .real_labels
            .ok_or_else(|| TrainError::config("variant.kind", "AC-GAN needs labelled data"))?;
        // Unchecked: real labels were range-checked when the dataset was loaded and fake
        // ones are drawn in 0..K, so no per-step host read. With `fake_class_loss` off the
        // class head learns from real images only, so G cannot satisfy it with
        // label-revealing artefacts.
        let ce_real = gan_core::class_cross_entropy_unchecked(class_logits(inputs.out_real)?, y)?;
        let ce_fake = gan_core::class_cross_entropy_unchecked(
            class_logits(inputs.out_fake)?,
            fake_labels(inputs.input)?,
        )?;
        let classes = if self.fake_class_loss {
            &ce_real + ce_fake
        } else {
            ce_real.shallow_clone()
        };
        Ok(WithTerm {
            loss: loss + classes * self.class_weight,
            aux: Some(ce_real),
        })
    }

    fn g_term(&self, loss: Tensor, inputs: &GTermInputs<'_>) -> Result<WithTerm> {
        let ce = gan_core::class_cross_entropy_unchecked(
            class_logits(inputs.out_fake)?,
            fake_labels(inputs.input)?,
        )?;
        Ok(WithTerm {
            loss: loss + &ce * self.class_weight,
            aux: Some(ce),
        })
    }
}
