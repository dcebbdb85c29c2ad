//! Semi-supervised GAN (Salimans et al. 2016): D is a K-class classifier whose real/fake
//! logit is derived from its class logits; its loss is the cross-entropy on a batch of
//! the labelled subset (which this member owns and draws) plus `unsupervised_weight` ×
//! the real/fake loss. At `unsupervised_weight = 0` it is the supervised-only baseline:
//! D trains as a plain classifier and G is not trained.

use tch::{Device, Tensor};

use gan_data::{Source, SourceState};
use gan_models::{HeadsConfig, SemiSupervisedOutput};

use super::{class_logits, needs_classes, DTermInputs, DiscFn, FamilyMember, WithTerm};
use crate::error::{Result, TrainError};

/// The semi-supervised GAN.
pub struct SemiSupervised {
    /// Size of the labelled subset.
    pub labels: usize,
    /// Whether D has a K+1-th "fake" logit.
    pub extra_fake_class: bool,
    /// Weight of the unsupervised real/fake loss.
    pub unsupervised_weight: f64,
    /// Labelled examples per D step (default: the batch size).
    pub labeled_batch_size: Option<i64>,
    /// The labelled subset, in shuffled batches; `None` in a member built for inference
    /// (`experiment::build_member_for_inference`), which cannot train.
    pub labeled: Option<Box<dyn Source>>,
}

impl SemiSupervised {
    fn labeled(&mut self) -> Result<&mut Box<dyn Source>> {
        self.labeled.as_mut().ok_or_else(|| {
            TrainError::config(
                "variant.labels",
                "this semi-supervised GAN was built for inference, without its labelled data",
            )
        })
    }
}

impl FamilyMember for SemiSupervised {
    fn name(&self) -> &'static str {
        "semi_supervised"
    }

    fn heads(&self, num_classes: Option<i64>) -> Result<HeadsConfig> {
        Ok(HeadsConfig {
            semi_supervised: Some(SemiSupervisedOutput {
                num_classes: needs_classes(num_classes, self.name())?,
                extra_fake_class: self.extra_fake_class,
            }),
            ..HeadsConfig::default()
        })
    }

    fn plays_adversarial_game(&self) -> bool {
        self.unsupervised_weight != 0.0
    }

    fn d_term(&self, loss: Tensor, _inputs: &DTermInputs<'_>) -> Result<WithTerm> {
        Ok(WithTerm::unchanged(loss * self.unsupervised_weight))
    }

    fn d_own_batch_term(
        &mut self,
        disc: &DiscFn<'_>,
        device: Device,
        batch_size: i64,
    ) -> Result<Option<Tensor>> {
        let bs = self.labeled_batch_size.unwrap_or(batch_size);
        // Never more than the subset holds (100 labels, batch 100: one pass per step).
        let labels = self.labels as i64;
        let batch = self.labeled()?.next_batch(bs.min(labels))?;
        let y = batch
            .y
            .ok_or_else(|| TrainError::config("variant.labels", "labelled batch has no labels"))?
            .to_device(device);
        let out = disc(&batch.x.to_device(device), None);
        Ok(Some(gan_core::class_cross_entropy_unchecked(
            class_logits(&out)?,
            &y,
        )?))
    }

    fn source_state(&self) -> Option<SourceState> {
        self.labeled.as_ref().map(|l| l.state())
    }

    fn restore_source(&mut self, state: &SourceState) -> Result<()> {
        Ok(self.labeled()?.restore(state)?)
    }
}
