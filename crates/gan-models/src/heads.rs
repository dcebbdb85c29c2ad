//! Extra discriminator outputs beyond the real/fake score, computed from the
//! discriminator's `features`:
//!
//! - the auxiliary classifier of AC-GAN (Odena et al. 2017): `features → K` class logits;
//! - InfoGAN's Q network (Chen et al. 2016), sharing D's body:
//!   `features → 128 → LeakyReLU → q_dim` (with batch norm before the LeakyReLU in the
//!   paper's MNIST network, [`crate::InfoGanConfig`]);
//! - the semi-supervised GAN's output (Salimans et al. 2016): D's output layer gives `K`
//!   (or `K + 1`, the last one "fake") class logits and the real/fake score is derived from
//!   them as `ln Σ_real exp(lᵢ) − l_fake` ([`gan_core::binary_logit_from_class_logits`]).
//!
//! MLP and DCGAN discriminators take a [`HeadsConfig`]; the heads fill
//! [`DiscOutput::class_logits`](crate::DiscOutput) and [`DiscOutput::q`](crate::DiscOutput).

use crate::activation::{leaky_relu, LEAKY_RELU_SLOPE};
use crate::error::{ensure_positive, ModelError, Result};
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

/// Width of the hidden layer of InfoGAN's Q head (the paper's 128-unit FC layer).
pub const Q_HIDDEN: i64 = 128;

/// Which extra heads a discriminator has (default: none).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct HeadsConfig {
    /// AC-GAN: number of classes of the auxiliary class-logit head.
    #[serde(default)]
    pub aux_classes: Option<i64>,
    /// InfoGAN: width of the Q head's output (see the trainer for its layout).
    #[serde(default)]
    pub q_dim: Option<i64>,
    /// Semi-supervised GAN: the output layer gives class logits and the score is derived
    /// from them. Excludes `aux_classes`.
    #[serde(default)]
    pub semi_supervised: Option<SemiSupervisedOutput>,
}

/// The semi-supervised discriminator's output layer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SemiSupervisedOutput {
    /// Number of real classes `K`.
    pub num_classes: i64,
    /// Add an explicit `K+1`-th "fake" logit; otherwise the fake logit is fixed at 0
    /// (Salimans et al.'s over-parameterisation remark).
    #[serde(default)]
    pub extra_fake_class: bool,
}

impl SemiSupervisedOutput {
    /// Width of the output layer: `K`, or `K + 1` with the extra fake class.
    pub fn width(&self) -> i64 {
        self.num_classes + i64::from(self.extra_fake_class)
    }
}

impl HeadsConfig {
    /// Checks widths and that at most one class head is requested.
    pub fn validate(&self) -> Result<()> {
        if let Some(k) = self.aux_classes {
            ensure_positive("aux_classes", k)?;
        }
        if let Some(q) = self.q_dim {
            ensure_positive("q_dim", q)?;
        }
        if let Some(s) = self.semi_supervised {
            ensure_positive("semi_supervised.num_classes", s.num_classes)?;
            if self.aux_classes.is_some() {
                return Err(ModelError::invalid(
                    "aux_classes",
                    "cannot be combined with semi_supervised (which already gives class logits)",
                ));
            }
        }
        Ok(())
    }

    /// Width of the discriminator's output layer: 1 score, or the semi-supervised logits.
    pub fn output_width(&self) -> i64 {
        self.semi_supervised.map_or(1, |s| s.width())
    }
}

/// The built auxiliary-classifier and Q heads (the semi-supervised output is part of
/// the discriminator's own output layer; see [`score_and_class_logits`]).
#[derive(Debug)]
pub(crate) struct Heads {
    aux: Option<nn::Linear>,
    q: Option<(nn::Linear, nn::Linear)>,
    q_bn: Option<nn::BatchNorm>,
}

impl Heads {
    /// Builds the heads configured in `cfg` on features of width `feature_dim`, under
    /// `p / "aux"` and `p / "q_hidden"`, `p / "q_out"`.
    pub(crate) fn new(p: &nn::Path, feature_dim: i64, cfg: &HeadsConfig) -> Result<Self> {
        cfg.validate()?;
        let aux = cfg
            .aux_classes
            .map(|k| nn::linear(p / "aux", feature_dim, k, Default::default()));
        let q = cfg.q_dim.map(|q| {
            (
                nn::linear(p / "q_hidden", feature_dim, Q_HIDDEN, Default::default()),
                nn::linear(p / "q_out", Q_HIDDEN, q, Default::default()),
            )
        });
        Ok(Heads { aux, q, q_bn: None })
    }

    /// The same heads with batch norm on the Q head's hidden layer, under
    /// `p / "q_bn"` (InfoGAN's MNIST network).
    pub(crate) fn with_q_batch_norm(
        p: &nn::Path,
        feature_dim: i64,
        cfg: &HeadsConfig,
    ) -> Result<Self> {
        let mut heads = Self::new(p, feature_dim, cfg)?;
        if heads.q.is_some() {
            heads.q_bn = Some(nn::batch_norm1d(p / "q_bn", Q_HIDDEN, Default::default()));
        }
        Ok(heads)
    }

    /// (auxiliary class logits `[N, K]`, Q output `[N, q_dim]`) of `features` `[N, F]`;
    /// `train` switches the Q head's batch norm (if any) to batch statistics.
    pub(crate) fn apply(&self, features: &Tensor, train: bool) -> (Option<Tensor>, Option<Tensor>) {
        let aux = self.aux.as_ref().map(|l| l.forward(features));
        let q = self.q.as_ref().map(|(h, o)| {
            let mut hidden = h.forward(features);
            if let Some(bn) = &self.q_bn {
                hidden = bn.forward_t(&hidden, train);
            }
            o.forward(&leaky_relu(&hidden, LEAKY_RELU_SLOPE))
        });
        (aux, q)
    }
}

/// Splits the output layer's `[N, W]` result into the per-sample score `[N]` and, for a
/// semi-supervised discriminator, the class logits `[N, W]`.
pub(crate) fn score_and_class_logits(
    output: Tensor,
    semi: Option<SemiSupervisedOutput>,
) -> (Tensor, Option<Tensor>) {
    match semi {
        None => (output.reshape([-1]), None),
        Some(s) => {
            let score = gan_core::binary_logit_from_class_logits(&output, s.extra_fake_class)
                .expect("the output layer has K (+1) ≥ 1 (2) columns by construction");
            (score, Some(output))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn heads_have_the_configured_widths() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = HeadsConfig {
            aux_classes: Some(10),
            q_dim: Some(14),
            semi_supervised: None,
        };
        let heads = Heads::new(&vs.root(), 32, &cfg).unwrap();
        let (aux, q) = heads.apply(&Tensor::randn([5, 32], (Kind::Float, Device::Cpu)), false);
        assert_eq!(aux.unwrap().size(), vec![5, 10]);
        assert_eq!(q.unwrap().size(), vec![5, 14]);
        let none = Heads::new(&(vs.root() / "n"), 32, &HeadsConfig::default()).unwrap();
        let (aux, q) = none.apply(&Tensor::zeros([2, 32], (Kind::Float, Device::Cpu)), false);
        assert!(aux.is_none() && q.is_none());
    }

    #[test]
    fn invalid_heads_are_errors() {
        let semi = Some(SemiSupervisedOutput {
            num_classes: 10,
            extra_fake_class: false,
        });
        for (cfg, field) in [
            (
                HeadsConfig {
                    aux_classes: Some(0),
                    ..Default::default()
                },
                "aux_classes",
            ),
            (
                HeadsConfig {
                    q_dim: Some(-1),
                    ..Default::default()
                },
                "q_dim",
            ),
            (
                HeadsConfig {
                    aux_classes: Some(10),
                    semi_supervised: semi,
                    ..Default::default()
                },
                "aux_classes",
            ),
        ] {
            match cfg.validate() {
                Err(ModelError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{cfg:?}: expected an error on {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn semi_supervised_score_is_the_logsumexp_of_real_logits_minus_fake() {
        let logits = Tensor::from_slice(&[1.0f32, 2.0, 0.5, 3.0, -1.0, 1.0]).reshape([2, 3]);
        let (score, classes) = score_and_class_logits(
            logits.shallow_clone(),
            Some(SemiSupervisedOutput {
                num_classes: 2,
                extra_fake_class: true,
            }),
        );
        // Row 0: ln(e¹ + e²) − 0.5; row 1: ln(e³ + e⁻¹) − 1.
        let want = [
            (1f64.exp() + 2f64.exp()).ln() - 0.5,
            (3f64.exp() + (-1f64).exp()).ln() - 1.0,
        ];
        for (i, w) in want.iter().enumerate() {
            assert!((score.double_value(&[i as i64]) - w).abs() < 1e-5);
        }
        assert_eq!(classes.unwrap().size(), vec![2, 3]);
        let (plain, none) =
            score_and_class_logits(Tensor::ones([4, 1], (Kind::Float, Device::Cpu)), None);
        assert_eq!(plain.size(), vec![4]);
        assert!(none.is_none());
    }
}
