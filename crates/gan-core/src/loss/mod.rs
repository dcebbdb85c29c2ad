//! Adversarial losses: [`AdversarialLoss`] (a serde-configurable choice of game plus its
//! options) dispatching to the free functions in [`functions`].
//!
//! A discriminator returns one **score** per sample, shape `[N]`, whose meaning depends on
//! the game:
//! - BCE family (minimax, non-saturating, max-likelihood): a **logit**, never a
//!   probability; the losses use BCE-with-logits / softplus forms.
//! - least squares: a raw output, with targets 1 (real) and 0 (fake); G targets 1.
//! - hinge, wasserstein: a critic value, higher = more real.
//! - energy margin (EBGAN): an **energy** ≥ 0, lower = more real.
//! - relativistic average: a logit read relative to the other batch's mean logit.
//!
//! A generator loss takes the scores of real samples as well as of fakes
//! ([`AdversarialLoss::g_loss`]): most games ignore them, the relativistic ones need
//! them ([`LossKind::g_needs_real_scores`]), so a trainer computes them only then.
//!
//! ```
//! use gan_core::{AdversarialLoss, LossKind};
//! use tch::Tensor;
//!
//! let real = Tensor::from_slice(&[2.0f32, 1.5]);
//! let fake = Tensor::from_slice(&[-1.0f32, 0.5]);
//! let hinge = AdversarialLoss::new(LossKind::Hinge);
//! // mean(relu(1 − r)) + mean(relu(1 + f)) = 0 + (0 + 1.5) / 2
//! assert!((hinge.d_loss(&real, &fake).double_value(&[]) - 0.75).abs() < 1e-6);
//! let ragan = AdversarialLoss::new(LossKind::RelativisticAverage);
//! assert!(ragan.g_loss(&fake, None).is_err(), "RaGAN's G loss needs the real scores");
//! let g = ragan.g_loss(&fake, Some(&real)).unwrap();
//! assert!(g.double_value(&[]) > 0.0);
//! ```

pub mod functions;
mod kind;
pub mod relativistic;

pub use functions::*;
pub use kind::LossKind;
pub use relativistic::{relativistic_average_d_loss, relativistic_average_g_loss};

use crate::error::{CoreError, Result};
use serde::{Deserialize, Serialize};
use tch::Tensor;

/// A configured adversarial game: which losses D and G minimize, and their options.
///
/// `real_target` and `flip_prob` only affect the BCE family's discriminator loss
/// ([`LossKind::is_bce_family`]); `margin` only affects [`LossKind::EnergyMargin`].
/// [`validate`](Self::validate) refuses an option set away from its default for a game
/// it does not affect, so no accepted option is silently ignored.
///
/// The default is the non-saturating game with no label smoothing or flipping. Its D loss
/// is `mean(softplus(−r)) + mean(softplus(f))` and its G loss `mean(softplus(−f))`:
///
/// ```
/// use gan_core::{AdversarialLoss, LossKind};
/// use tch::Tensor;
///
/// let softplus = |x: f64| (1.0 + x.exp()).ln();
/// let real = Tensor::from_slice(&[2.0f64, 0.0]);
/// let fake = Tensor::from_slice(&[-1.0f64, 1.0]);
///
/// let loss = AdversarialLoss::default();
/// assert_eq!(loss.kind, LossKind::NonSaturating);
/// let d = loss.d_loss(&real, &fake).double_value(&[]);
/// let real_term = (softplus(-2.0) + softplus(0.0)) / 2.0; // BCE(r, 1) = softplus(−r)
/// let fake_term = (softplus(-1.0) + softplus(1.0)) / 2.0; // BCE(f, 0) = softplus(f)
/// assert!((d - (real_term + fake_term)).abs() < 1e-12);
/// let g = loss.g_loss(&fake, None).unwrap().double_value(&[]);
/// assert!((g - (softplus(1.0) + softplus(-1.0)) / 2.0).abs() < 1e-12);
///
/// // One-sided label smoothing: real targets 0.9, so BCE(r, 0.9) = softplus(r) − 0.9·r.
/// let smoothed = AdversarialLoss { real_target: 0.9, ..AdversarialLoss::default() };
/// smoothed.validate().unwrap();
/// let d = smoothed.d_loss(&real, &fake).double_value(&[]);
/// let smoothed_real_term = (softplus(2.0) - 0.9 * 2.0 + softplus(0.0)) / 2.0;
/// assert!((d - (smoothed_real_term + fake_term)).abs() < 1e-12);
///
/// // From a config: an option the chosen game ignores is refused, by name.
/// let hinge: AdversarialLoss = toml::from_str("kind = \"hinge\"\nreal_target = 0.9").unwrap();
/// let err = hinge.validate().unwrap_err();
/// assert!(err.to_string().contains("`real_target` = 0.9 has no effect with loss `hinge`"));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AdversarialLoss {
    /// The game.
    pub kind: LossKind,
    /// Energy margin `m` of the EBGAN discriminator loss (> 0; default 1.0).
    pub margin: f64,
    /// Target for real samples in the BCE family's D loss: 1.0, or e.g. 0.9 for one-sided
    /// label smoothing (in (0, 1]; default 1.0).
    pub real_target: f64,
    /// Probability of swapping each sample's real/fake target in the BCE family's D loss
    /// (in [0, 0.5); default 0.0).
    pub flip_prob: f64,
}

/// What the BCE-only options apply to, for error messages.
const BCE_FAMILY: &str = "minimax, non_saturating, max_likelihood";

impl Default for AdversarialLoss {
    fn default() -> Self {
        AdversarialLoss {
            kind: LossKind::NonSaturating,
            margin: 1.0,
            real_target: 1.0,
            flip_prob: 0.0,
        }
    }
}

impl AdversarialLoss {
    /// The default options with the given game.
    pub fn new(kind: LossKind) -> Self {
        AdversarialLoss {
            kind,
            ..Default::default()
        }
    }

    /// Checks the options: `real_target` in (0, 1], `flip_prob` in [0, 0.5), `margin` > 0
    /// (all finite). The error names the offending field.
    pub fn validate(&self) -> Result<()> {
        let ok_target = self.real_target > 0.0 && self.real_target <= 1.0;
        if !ok_target {
            return Err(CoreError::InvalidParameter {
                field: "real_target",
                value: self.real_target,
                expected: "a value in (0, 1]",
            });
        }
        if !(self.flip_prob >= 0.0 && self.flip_prob < 0.5) {
            return Err(CoreError::InvalidParameter {
                field: "flip_prob",
                value: self.flip_prob,
                expected: "a probability in [0, 0.5)",
            });
        }
        if !(self.margin > 0.0 && self.margin.is_finite()) {
            return Err(CoreError::InvalidParameter {
                field: "margin",
                value: self.margin,
                expected: "a finite value > 0",
            });
        }
        let default = AdversarialLoss::default();
        let unused = |field: &'static str, value: f64, applies_to: &'static str| {
            Err(CoreError::UnusedOption {
                field,
                value,
                kind: self.kind.name(),
                applies_to,
            })
        };
        if !self.kind.is_bce_family() {
            if self.real_target != default.real_target {
                return unused("real_target", self.real_target, BCE_FAMILY);
            }
            if self.flip_prob != default.flip_prob {
                return unused("flip_prob", self.flip_prob, BCE_FAMILY);
            }
        }
        if self.kind != LossKind::EnergyMargin && self.margin != default.margin {
            return unused("margin", self.margin, "energy_margin");
        }
        Ok(())
    }

    /// The discriminator's loss (a scalar mean) from its scores on real and fake samples
    /// (each `[N]`; the two batches may differ in size). Options are not re-checked here:
    /// call [`validate`](Self::validate) once after building. An empty batch gives NaN.
    pub fn d_loss(&self, real: &Tensor, fake: &Tensor) -> Tensor {
        match self.kind {
            LossKind::Minimax | LossKind::NonSaturating | LossKind::MaxLikelihood => {
                bce_d_loss(real, fake, self.real_target, self.flip_prob)
            }
            LossKind::LeastSquares => least_squares_d_loss(real, fake),
            LossKind::Hinge => hinge_d_loss(real, fake),
            LossKind::Wasserstein => wasserstein_d_loss(real, fake),
            LossKind::EnergyMargin => energy_margin_d_loss(real, fake, self.margin),
            LossKind::RelativisticAverage => relativistic_average_d_loss(real, fake),
        }
    }

    /// The generator's loss (a scalar mean) from the discriminator's scores on fakes and,
    /// for the games that need them ([`LossKind::g_needs_real_scores`]), on real samples.
    /// Errors if such a game is given no real scores; other games ignore them.
    pub fn g_loss(&self, fake: &Tensor, real: Option<&Tensor>) -> Result<Tensor> {
        Ok(match self.kind {
            LossKind::Minimax => minimax_g_loss(fake),
            LossKind::NonSaturating => non_saturating_g_loss(fake),
            LossKind::MaxLikelihood => max_likelihood_g_loss(fake),
            LossKind::LeastSquares => least_squares_g_loss(fake),
            LossKind::Hinge | LossKind::Wasserstein => critic_g_loss(fake),
            LossKind::EnergyMargin => energy_g_loss(fake),
            LossKind::RelativisticAverage => {
                let real = real.ok_or_else(|| CoreError::InvalidInput {
                    what: "relativistic_average generator loss",
                    reason: "needs the discriminator's scores on real samples".into(),
                })?;
                relativistic_average_g_loss(real, fake)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_slice(v).to_kind(Kind::Double)
    }

    #[test]
    fn default_is_non_saturating_unsmoothed() {
        let d = AdversarialLoss::default();
        assert_eq!(d.kind, LossKind::NonSaturating);
        assert_eq!((d.margin, d.real_target, d.flip_prob), (1.0, 1.0, 0.0));
        d.validate().unwrap();
    }

    #[test]
    fn toml_fills_defaults_and_rejects_unknown_fields() {
        let l: AdversarialLoss = toml::from_str("kind = \"hinge\"").unwrap();
        assert_eq!(l, AdversarialLoss::new(LossKind::Hinge));
        let l: AdversarialLoss = toml::from_str("real_target = 0.9").unwrap();
        assert_eq!(l.kind, LossKind::NonSaturating);
        assert_eq!(l.real_target, 0.9);
        assert!(toml::from_str::<AdversarialLoss>("kind = \"hinge\"\nmargn = 2.0").is_err());
        assert!(toml::from_str::<AdversarialLoss>("kind = \"wgan\"").is_err());
    }

    #[test]
    fn validate_names_the_field() {
        let cases = [
            (
                AdversarialLoss {
                    real_target: 0.0,
                    ..Default::default()
                },
                "real_target",
            ),
            (
                AdversarialLoss {
                    real_target: 1.5,
                    ..Default::default()
                },
                "real_target",
            ),
            (
                AdversarialLoss {
                    flip_prob: 0.5,
                    ..Default::default()
                },
                "flip_prob",
            ),
            (
                AdversarialLoss {
                    flip_prob: -0.1,
                    ..Default::default()
                },
                "flip_prob",
            ),
            (
                AdversarialLoss {
                    margin: 0.0,
                    ..Default::default()
                },
                "margin",
            ),
            (
                AdversarialLoss {
                    margin: f64::NAN,
                    ..Default::default()
                },
                "margin",
            ),
        ];
        for (loss, field) in cases {
            let loss = AdversarialLoss {
                kind: if field == "margin" {
                    LossKind::EnergyMargin
                } else {
                    loss.kind
                },
                ..loss
            };
            let err = loss.validate().unwrap_err();
            assert!(matches!(err, CoreError::InvalidParameter { field: f, .. } if f == field));
            assert!(err.to_string().contains(field));
        }
        let ok = AdversarialLoss {
            real_target: 0.9,
            flip_prob: 0.05,
            ..Default::default()
        };
        ok.validate().unwrap();
    }

    #[test]
    fn dispatch_matches_free_functions() {
        let r = t(&[0.3, 1.2, -0.4]);
        let f = t(&[-0.7, 0.1]);
        let eq = |a: Tensor, b: Tensor| {
            assert!((a.double_value(&[]) - b.double_value(&[])).abs() < 1e-12);
        };
        for kind in LossKind::ALL {
            let loss = AdversarialLoss {
                kind,
                margin: 0.5,
                ..Default::default()
            };
            let (d, g) = match kind {
                LossKind::Minimax => (bce_d_loss(&r, &f, 1.0, 0.0), minimax_g_loss(&f)),
                LossKind::NonSaturating => {
                    (bce_d_loss(&r, &f, 1.0, 0.0), non_saturating_g_loss(&f))
                }
                LossKind::MaxLikelihood => {
                    (bce_d_loss(&r, &f, 1.0, 0.0), max_likelihood_g_loss(&f))
                }
                LossKind::LeastSquares => (least_squares_d_loss(&r, &f), least_squares_g_loss(&f)),
                LossKind::Hinge => (hinge_d_loss(&r, &f), critic_g_loss(&f)),
                LossKind::Wasserstein => (wasserstein_d_loss(&r, &f), critic_g_loss(&f)),
                LossKind::EnergyMargin => (energy_margin_d_loss(&r, &f, 0.5), energy_g_loss(&f)),
                LossKind::RelativisticAverage => (
                    relativistic_average_d_loss(&r, &f),
                    relativistic_average_g_loss(&r, &f),
                ),
            };
            let loss = AdversarialLoss {
                margin: if kind == LossKind::EnergyMargin {
                    0.5
                } else {
                    1.0
                },
                ..loss
            };
            eq(loss.d_loss(&r, &f), d);
            eq(loss.g_loss(&f, Some(&r)).unwrap(), g);
        }
    }

    #[test]
    fn options_of_other_games_are_refused_by_name() {
        let cases = [
            (LossKind::Hinge, "real_target", 0.9),
            (LossKind::Wasserstein, "flip_prob", 0.1),
            (LossKind::LeastSquares, "real_target", 0.9),
            (LossKind::RelativisticAverage, "flip_prob", 0.1),
            (LossKind::NonSaturating, "margin", 2.0),
            (LossKind::Hinge, "margin", 2.0),
        ];
        for (kind, field, value) in cases {
            let mut loss = AdversarialLoss::new(kind);
            match field {
                "real_target" => loss.real_target = value,
                "flip_prob" => loss.flip_prob = value,
                _ => loss.margin = value,
            }
            let msg = loss.validate().unwrap_err().to_string();
            assert!(msg.contains(field) && msg.contains(kind.name()), "{msg}");
        }
        // The same options are accepted where they apply.
        let mut ok = AdversarialLoss::new(LossKind::Minimax);
        ok.real_target = 0.9;
        ok.flip_prob = 0.1;
        ok.validate().unwrap();
        let mut eb = AdversarialLoss::new(LossKind::EnergyMargin);
        eb.margin = 2.0;
        eb.validate().unwrap();
    }

    #[test]
    fn smoothing_raises_d_loss_on_confident_real() {
        let r = t(&[5.0, 6.0]);
        let f = t(&[-5.0, -6.0]);
        let plain = AdversarialLoss::default().d_loss(&r, &f).double_value(&[]);
        let smooth = AdversarialLoss {
            real_target: 0.9,
            ..Default::default()
        }
        .d_loss(&r, &f)
        .double_value(&[]);
        // BCE(l, 0.9) − BCE(l, 1) = 0.1·l, averaged: 0.1 · 5.5
        assert!((smooth - plain - 0.55).abs() < 1e-9, "{plain} {smooth}");
    }
}
