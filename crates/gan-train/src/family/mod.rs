//! The members of the GAN family as strategy objects: each one is a [`FamilyMember`]
//! that says which extra heads the discriminator gets, whether D is shown the labels,
//! and which terms it adds to each player's objective.
//!
//! The config names a member in `[variant]` ([`Variant`](crate::Variant)); the
//! [`build_member`](crate::experiment::build_member) registry turns it into one of the types
//! here. The trainer's update primitives call the hooks below and never match on the
//! variant, so adding a member is one new file here plus its registration (see
//! docs/ARCHITECTURE.md, "Adding a variant").

mod acgan;
mod conditional;
mod ebgan;
mod infogan;
mod semi_supervised;
mod unconditional;

pub use acgan::AuxiliaryClassifier;
pub use conditional::Conditional;
pub use ebgan::EnergyBased;
pub use infogan::Info;
pub use semi_supervised::SemiSupervised;
pub use unconditional::Unconditional;

use tch::{Device, Tensor};

use gan_data::SourceState;
use gan_models::{DiscOutput, HeadsConfig};

use crate::conditioning::{Conditioning, GenInput};
use crate::error::{Result, TrainError};

/// A discriminator forward pass, `(x, labels) → output`: the live network, or (unrolled
/// GAN) a functional copy with look-ahead parameters.
pub type DiscFn<'a> = dyn Fn(&Tensor, Option<&Tensor>) -> DiscOutput + 'a;

/// What a member's discriminator term may read.
pub struct DTermInputs<'a> {
    /// D's output on the real batch.
    pub out_real: &'a DiscOutput,
    /// D's output on the generated batch.
    pub out_fake: &'a DiscOutput,
    /// The real batch's labels, when the data have them.
    pub real_labels: Option<&'a Tensor>,
    /// The generator inputs of the fake batch (labels, codes).
    pub input: &'a GenInput,
    /// How those inputs were drawn.
    pub conditioning: &'a Conditioning,
}

/// What a member's generator term may read.
pub struct GTermInputs<'a> {
    /// D's output on the generated batch.
    pub out_fake: &'a DiscOutput,
    /// The generator inputs of that batch.
    pub input: &'a GenInput,
    /// How those inputs were drawn.
    pub conditioning: &'a Conditioning,
}

/// A loss with the member's term added, and that term alone (for `metrics.csv`'s `aux`).
pub struct WithTerm {
    /// The player's objective so far, with the member's term added.
    pub loss: Tensor,
    /// The member's own term, unweighted (`None` for members without one).
    pub aux: Option<Tensor>,
}

impl WithTerm {
    /// `loss` unchanged, no term.
    pub fn unchanged(loss: Tensor) -> Self {
        WithTerm { loss, aux: None }
    }
}

/// One member of the GAN family. Every hook has the plain GAN's behaviour as default.
pub trait FamilyMember: Send {
    /// The config name (`variant.kind`).
    fn name(&self) -> &'static str;

    /// The discriminator's extra heads for data with `num_classes` classes.
    fn heads(&self, num_classes: Option<i64>) -> Result<HeadsConfig> {
        let _ = num_classes;
        Ok(HeadsConfig::default())
    }

    /// Whether D is given the real batch's labels (and the fake batch's drawn labels).
    fn conditions_discriminator(&self) -> bool {
        false
    }

    /// Whether D plays the real/fake game at all (the semi-supervised baseline does not).
    fn plays_adversarial_game(&self) -> bool {
        true
    }

    /// Whether the generator is trained (the semi-supervised baseline does not).
    fn trains_generator(&self) -> bool {
        self.plays_adversarial_game()
    }

    /// Adds the member's term to D's adversarial loss (before any regulariser).
    fn d_term(&self, loss: Tensor, inputs: &DTermInputs<'_>) -> Result<WithTerm> {
        let _ = inputs;
        Ok(WithTerm::unchanged(loss))
    }

    /// A D term on a batch the member draws itself (the semi-supervised GAN's labelled
    /// batch), added after the regularisers; `None` when there is none.
    fn d_own_batch_term(
        &mut self,
        disc: &DiscFn<'_>,
        device: Device,
        batch_size: i64,
    ) -> Result<Option<Tensor>> {
        let _ = (disc, device, batch_size);
        Ok(None)
    }

    /// Adds the member's term to G's loss (before historical averaging).
    fn g_term(&self, loss: Tensor, inputs: &GTermInputs<'_>) -> Result<WithTerm> {
        let _ = inputs;
        Ok(WithTerm::unchanged(loss))
    }

    /// The state of a data source the member owns, for checkpoints.
    fn source_state(&self) -> Option<SourceState> {
        None
    }

    /// Restore what [`source_state`](Self::source_state) saved.
    fn restore_source(&mut self, state: &SourceState) -> Result<()> {
        let _ = state;
        Ok(())
    }
}

/// Class logits of a discriminator output, or a clear error.
pub(crate) fn class_logits(out: &DiscOutput) -> Result<&Tensor> {
    out.class_logits
        .as_ref()
        .ok_or_else(|| TrainError::config("variant.kind", "the discriminator has no class head"))
}

/// The number of classes, or an error naming the variant that needs them.
pub(crate) fn needs_classes(num_classes: Option<i64>, variant: &str) -> Result<i64> {
    num_classes.ok_or_else(|| {
        TrainError::config(
            "variant.kind",
            format!("variant \"{variant}\" needs a dataset with class labels"),
        )
    })
}
