//! Evaluation of toy runs against their known target: mode coverage of 2-D mixtures
//! (the VEEGAN / PacGAN protocol: modes covered, % high-quality samples, reverse KL on
//! 2,500 samples) and the moments of 1-D runs.

use tch::Kind;

use gan_core::{ModeReport, ModeSet};
use gan_data::ToyConfig;

use crate::error::{Result, TrainError};
use crate::rng;
use crate::sampler::Sampler;

/// Generator samples drawn for one mode-coverage evaluation (as in the literature).
pub const MODE_EVAL_SAMPLES: i64 = 2500;

/// The modes of a 2-D toy distribution (ring, grid, mixture2d); `None` for other data.
/// The quality radius is 3× the (largest) mode std.
pub fn mode_set(toy: &ToyConfig) -> Option<ModeSet> {
    if toy.dim() != 2 {
        return None;
    }
    ModeSet::new(toy.modes(), toy.mode_std()).ok()
}

/// Mode coverage of `n` samples from the trainer's generator (EMA weights when on), or
/// `None` when the run's data is not a 2-D toy distribution. The noise is seeded from
/// the run seed and the step, so the value is reproducible (also after a resume).
pub fn evaluate_modes(trainer: &dyn Sampler, n: i64) -> Result<Option<ModeReport>> {
    let Some(modes) = trainer.config().data.toy.as_ref().and_then(mode_set) else {
        return Ok(None);
    };
    tch::manual_seed(rng::step_seed(
        rng::derived_seed(trainer.config().seed, "modes"),
        trainer.step(),
    ));
    let samples: Vec<f64> = Vec::try_from(trainer.sample(n)?.to_kind(Kind::Double).flatten(0, -1))?;
    if let Some(&value) = samples.iter().find(|v| !v.is_finite()) {
        return Err(TrainError::NonFinite {
            step: trainer.step(),
            what: "a generator sample".into(),
            value,
            hint: "The generator diverged; lower the learning rates.".into(),
        });
    }
    Ok(Some(modes.evaluate(&samples)?))
}
