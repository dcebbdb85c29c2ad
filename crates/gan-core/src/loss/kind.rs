//! [`LossKind`]: the name of an adversarial game, as written in configs
//! (`snake_case`), with parsing and printing.

use crate::error::CoreError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which adversarial game is played. See [`crate::loss`] for what each one computes and
/// what the discriminator's score means for it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// Original minimax game (Goodfellow et al. 2014); G minimizes E log(1 − D(G(z))).
    Minimax,
    /// Non-saturating heuristic; G maximizes E log D(G(z)).
    NonSaturating,
    /// Maximum-likelihood game (Goodfellow 2016 tutorial); G minimizes −½ E exp(σ⁻¹(D(G(z)))).
    MaxLikelihood,
    /// Least squares GAN (Mao et al. 2017) with targets a = 0, b = 1, c = 1.
    LeastSquares,
    /// Hinge loss (Lim & Ye 2017; Miyato et al. 2018).
    Hinge,
    /// Wasserstein GAN critic loss (Arjovsky et al. 2017).
    Wasserstein,
    /// Energy-based GAN with a margin (Zhao et al. 2017).
    EnergyMargin,
    /// Relativistic average GAN (RaSGAN, Jolicoeur-Martineau 2018): each player's loss
    /// compares a sample's logit with the mean logit of the other batch, so the
    /// generator's loss needs the scores of real samples too
    /// ([`LossKind::g_needs_real_scores`]).
    RelativisticAverage,
}

impl LossKind {
    /// Every kind, in declaration order.
    pub const ALL: [LossKind; 8] = [
        LossKind::Minimax,
        LossKind::NonSaturating,
        LossKind::MaxLikelihood,
        LossKind::LeastSquares,
        LossKind::Hinge,
        LossKind::Wasserstein,
        LossKind::EnergyMargin,
        LossKind::RelativisticAverage,
    ];

    /// The `snake_case` name used in configs and by serde.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Minimax => "minimax",
            LossKind::NonSaturating => "non_saturating",
            LossKind::MaxLikelihood => "max_likelihood",
            LossKind::LeastSquares => "least_squares",
            LossKind::Hinge => "hinge",
            LossKind::Wasserstein => "wasserstein",
            LossKind::EnergyMargin => "energy_margin",
            LossKind::RelativisticAverage => "relativistic_average",
        }
    }

    /// Whether the score is a logit and the BCE family's options (`real_target`,
    /// `flip_prob`) apply.
    pub fn is_bce_family(self) -> bool {
        matches!(
            self,
            LossKind::Minimax | LossKind::NonSaturating | LossKind::MaxLikelihood
        )
    }
}

impl LossKind {
    /// Whether the generator's loss depends on D's scores of real samples as well as of
    /// generated ones (the relativistic games).
    pub fn g_needs_real_scores(self) -> bool {
        matches!(self, LossKind::RelativisticAverage)
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for LossKind {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LossKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| CoreError::UnknownLossKind {
                name: s.to_string(),
                valid: LossKind::ALL.map(LossKind::name).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_from_str_round_trip() {
        for k in LossKind::ALL {
            assert_eq!(k.to_string().parse::<LossKind>().unwrap(), k);
        }
    }

    #[test]
    fn names_match_serde() {
        for k in LossKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
            let back: LossKind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, k);
        }
    }

    #[test]
    fn unknown_name_lists_valid_names() {
        let err = "nonsaturating".parse::<LossKind>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("nonsaturating"), "{msg}");
        for k in LossKind::ALL {
            assert!(msg.contains(k.name()), "{msg} lacks {k}");
        }
    }

    #[test]
    fn bce_family_is_the_three_logit_games() {
        let bce: Vec<_> = LossKind::ALL
            .into_iter()
            .filter(|k| k.is_bce_family())
            .collect();
        assert_eq!(
            bce,
            [
                LossKind::Minimax,
                LossKind::NonSaturating,
                LossKind::MaxLikelihood
            ]
        );
    }
}
