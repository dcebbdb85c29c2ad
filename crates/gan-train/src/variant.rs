//! Which member of the GAN family an experiment trains (`[variant]` in a config):
//! the plain unconditional GAN, or one of the label- and code-aware variants of
//! seeds 000, 003 and 004.
//!
//! The variant decides what the generator is fed (labels, an InfoGAN code), which extra
//! discriminator heads are built, and which terms are added to each player's loss; see
//! the [`Trainer`](crate::Trainer) for the losses themselves.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// The widest InfoGAN code (categorical values or continuous dimensions) accepted: the
/// paper's MNIST code is 10 + 2; a code far wider is a typo that would allocate the Q
/// head and the latent input without bound.
pub const MAX_CODE_WIDTH: i64 = 4096;
/// The GAN variant (default: [`Variant::Unconditional`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Variant {
    /// A GAN without labels or codes.
    #[default]
    Unconditional,
    /// Conditional GAN (Mirza & Osindero 2014): G gets a learned label embedding
    /// concatenated to `z`; D gets the label through a projection term
    /// `⟨embed(y), features(x)⟩` (Miyato & Koyama 2018). Fake labels are uniform.
    Conditional,
    /// AC-GAN (Odena et al. 2017): a conditional G, and a D with an auxiliary K-class head.
    /// D maximizes `L_S + L_C`, G maximizes `L_C − L_S` (as losses: D adds
    /// `class_weight · (CE(real) + CE(fake))`, G adds `class_weight · CE(fake)`).
    #[serde(rename = "acgan")]
    AuxiliaryClassifier {
        /// Weight of the class cross-entropy in both players' losses (default 1).
        #[serde(default = "one")]
        class_weight: f64,
        /// Train the class head on generated images too (the paper's `L_C`; default).
        /// Off, it learns from real images only: G and the head can then no longer
        /// agree on label-revealing artefacts instead of class features, which raised
        /// class agreement a lot in our runs (see configs/acgan-fashion-mnist.toml).
        #[serde(default = "yes")]
        fake_class_loss: bool,
    },
    /// InfoGAN (Chen et al. 2016): G gets `[z, one_hot(c_cat), c_cont]`; a Q head on D's
    /// features predicts the code; G and Q minimize `info_weight · L_info`
    /// (categorical cross-entropy + `continuous_weight` × Gaussian NLL).
    #[serde(rename = "infogan")]
    Info {
        /// Values of the categorical code (0 = none).
        #[serde(default = "ten")]
        categorical: i64,
        /// Number of continuous codes, uniform on [−1, 1].
        #[serde(default = "two")]
        continuous: i64,
        /// λ of the mutual-information term.
        #[serde(default = "one")]
        info_weight: f64,
        /// Weight of the continuous codes' NLL inside the term (the paper uses 0.1 for
        /// continuous codes on MNIST).
        #[serde(default = "tenth")]
        continuous_weight: f64,
    },
    /// EBGAN (Zhao et al. 2017): needs `discriminator.kind = "autoencoder"` and
    /// `loss.kind = "energy_margin"`; adds the pulling-away term on the autoencoder codes
    /// of generated samples to G's loss.
    #[serde(rename = "ebgan")]
    EnergyBased {
        /// Weight of the pulling-away term (the paper: 0.1; 0 = off).
        #[serde(default = "tenth")]
        pulling_away: f64,
    },
    /// Semi-supervised GAN (Salimans et al. 2016): a K-class D whose real/fake logit is
    /// `logsumexp(class logits) − fake logit`; D's loss is the cross-entropy on a labelled
    /// subset plus `unsupervised_weight` × the real/fake loss. Use it with
    /// `train.feature_matching = true` (G's loss in the paper).
    SemiSupervised {
        /// Size of the class-balanced labelled subset drawn (by the run seed) from the
        /// training set (`gan train --labels N`).
        labels: usize,
        /// Add a K+1-th "fake" logit instead of fixing it at 0.
        #[serde(default)]
        extra_fake_class: bool,
        /// Weight of the unsupervised real/fake loss; 0 trains D as a plain classifier on
        /// the labelled subset alone (the baseline), and skips the generator.
        #[serde(default = "one")]
        unsupervised_weight: f64,
        /// Labelled examples per D step (default: the batch size).
        #[serde(default)]
        labeled_batch_size: Option<i64>,
    },
}

fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn tenth() -> f64 {
    0.1
}
fn ten() -> i64 {
    10
}
fn two() -> i64 {
    2
}

impl Variant {
    /// The config name of the variant (`acgan`, `infogan`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Variant::Unconditional => "unconditional",
            Variant::Conditional => "conditional",
            Variant::AuxiliaryClassifier { .. } => "acgan",
            Variant::Info { .. } => "infogan",
            Variant::EnergyBased { .. } => "ebgan",
            Variant::SemiSupervised { .. } => "semi_supervised",
        }
    }

    /// Whether G is fed class labels (conditional GAN, AC-GAN).
    pub fn label_conditioned(&self) -> bool {
        matches!(
            self,
            Variant::Conditional | Variant::AuxiliaryClassifier { .. }
        )
    }

    /// Whether the variant needs class labels in the data.
    pub fn needs_labels(&self) -> bool {
        self.label_conditioned() || matches!(self, Variant::SemiSupervised { .. })
    }

    /// Width of the InfoGAN code appended to `z` (0 for other variants).
    pub fn code_dim(&self) -> i64 {
        match self {
            Variant::Info {
                categorical,
                continuous,
                ..
            } => categorical + continuous,
            _ => 0,
        }
    }

    /// Range checks; errors name `variant.<field>`.
    pub fn validate(&self) -> Result<()> {
        let non_negative = |key: &str, v: f64| {
            if v >= 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(TrainError::config(key, format!("must be >= 0, got {v}")))
            }
        };
        match self {
            Variant::Unconditional | Variant::Conditional => Ok(()),
            Variant::AuxiliaryClassifier { class_weight, .. } => {
                non_negative("variant.class_weight", *class_weight)
            }
            Variant::Info {
                categorical,
                continuous,
                info_weight,
                continuous_weight,
            } => {
                if *categorical < 0 || *continuous < 0 || categorical + continuous == 0 {
                    return Err(TrainError::config(
                        "variant.categorical",
                        format!("InfoGAN needs a code: categorical ({categorical}) and continuous ({continuous}) must be >= 0, not both 0"),
                    ));
                }
                for (key, n) in [
                    ("variant.categorical", *categorical),
                    ("variant.continuous", *continuous),
                ] {
                    if n > MAX_CODE_WIDTH {
                        return Err(TrainError::config(
                            key,
                            format!("must be at most {MAX_CODE_WIDTH}, got {n}"),
                        ));
                    }
                }
                if *categorical == 1 {
                    return Err(TrainError::config(
                        "variant.categorical",
                        "a categorical code needs at least 2 values (0 = none)",
                    ));
                }
                non_negative("variant.info_weight", *info_weight)?;
                non_negative("variant.continuous_weight", *continuous_weight)
            }
            Variant::EnergyBased { pulling_away } => {
                non_negative("variant.pulling_away", *pulling_away)
            }
            Variant::SemiSupervised {
                labels,
                unsupervised_weight,
                labeled_batch_size,
                ..
            } => {
                if *labels == 0 {
                    return Err(TrainError::config(
                        "variant.labels",
                        "must be >= 1 (a multiple of the number of classes)",
                    ));
                }
                if let Some(b) = labeled_batch_size {
                    if *b < 1 {
                        return Err(TrainError::config(
                            "variant.labeled_batch_size",
                            format!("must be >= 1, got {b}"),
                        ));
                    }
                }
                non_negative("variant.unsupervised_weight", *unsupervised_weight)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Variant, String> {
        toml::from_str::<Variant>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_each_variant_with_defaults() {
        assert_eq!(
            parse("kind = \"unconditional\""),
            Ok(Variant::Unconditional)
        );
        assert_eq!(
            parse("kind = \"acgan\""),
            Ok(Variant::AuxiliaryClassifier {
                class_weight: 1.0,
                fake_class_loss: true
            })
        );
        assert_eq!(
            parse("kind = \"infogan\""),
            Ok(Variant::Info {
                categorical: 10,
                continuous: 2,
                info_weight: 1.0,
                continuous_weight: 0.1
            })
        );
        assert_eq!(
            parse("kind = \"ebgan\""),
            Ok(Variant::EnergyBased { pulling_away: 0.1 })
        );
        assert_eq!(
            parse("kind = \"semi_supervised\"\nlabels = 100"),
            Ok(Variant::SemiSupervised {
                labels: 100,
                extra_fake_class: false,
                unsupervised_weight: 1.0,
                labeled_batch_size: None
            })
        );
        assert_eq!(Variant::default().name(), "unconditional");
    }

    #[test]
    fn bad_variants_are_named() {
        assert!(parse("kind = \"cgan2\"").unwrap_err().contains("acgan"));
        assert!(parse("kind = \"acgan\"\nclas_weight = 1").is_err());
        assert!(parse("kind = \"semi_supervised\"")
            .unwrap_err()
            .contains("labels"));
        for (v, key) in [
            (
                Variant::Info {
                    categorical: 0,
                    continuous: 0,
                    info_weight: 1.0,
                    continuous_weight: 1.0,
                },
                "variant.categorical",
            ),
            (
                Variant::Info {
                    categorical: 1,
                    continuous: 0,
                    info_weight: 1.0,
                    continuous_weight: 1.0,
                },
                "variant.categorical",
            ),
            (
                Variant::AuxiliaryClassifier {
                    class_weight: -1.0,
                    fake_class_loss: true,
                },
                "variant.class_weight",
            ),
            (
                Variant::EnergyBased {
                    pulling_away: f64::NAN,
                },
                "variant.pulling_away",
            ),
            (
                Variant::SemiSupervised {
                    labels: 0,
                    extra_fake_class: false,
                    unsupervised_weight: 1.0,
                    labeled_batch_size: None,
                },
                "variant.labels",
            ),
        ] {
            let e = v.validate().unwrap_err().to_string();
            assert!(e.contains(key), "{v:?}: {e}");
        }
    }
}
