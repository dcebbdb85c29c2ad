//! InfoGAN's variational mutual-information term (Chen et al. 2016, seed 003).
//!
//! The generator receives a latent code `c` beside the noise `z`; an auxiliary network
//! `Q(c | x)` sharing the discriminator's body predicts `c` from `G(z, c)`. Both G and Q
//! minimize `λ · L_info` with `L_info = −E log Q(c | G(z, c))`, which makes
//! `L_I = H(c) − L_info` a lower bound on the mutual information `I(c; G(z, c))`.
//!
//! Codes here: one categorical part (`K` classes, uniform prior, `H = ln K`) predicted by
//! `K` logits, and `n` continuous parts (uniform on `[−1, 1]`) predicted by a factored
//! Gaussian: `n` means and `n` log standard deviations.

use crate::check;
use crate::classification::class_cross_entropy;
use crate::error::{CoreError, Result};
use tch::{Kind, Tensor};

/// Lower bound on `ln σ` of the continuous Q head: keeps `1/σ²` finite when Q grows
/// overconfident.
pub const MIN_LOG_STD: f64 = -5.0;

/// `−E log Q(c | x)` of the categorical code: the cross-entropy of Q's logits `[N, K]`
/// against the sampled codes `[N]` (int64).
pub fn categorical_code_loss(logits: &Tensor, codes: &Tensor) -> Result<Tensor> {
    class_cross_entropy(logits, codes)
}

/// `−E log Q(c | x)` of the continuous codes under Q's factored Gaussian, per code
/// dimension summed and averaged over the batch:
/// `mean_i Σ_j [ (c_ij − μ_ij)² / (2 σ_ij²) + ln σ_ij + ½ ln 2π ]`.
///
/// `params` is `[N, 2n]` (means, then log std, clamped below at [`MIN_LOG_STD`]); `codes`
/// is `[N, n]`.
pub fn continuous_code_loss(params: &Tensor, codes: &Tensor) -> Result<Tensor> {
    const WHAT: &str = "continuous_code_loss";
    let c = check::ndim(WHAT, codes, 2)?;
    check::min_rows(WHAT, codes, 1)?;
    let p = check::ndim(WHAT, params, 2)?;
    if p != [c[0], 2 * c[1]] {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!(
                "Q's continuous part must be [N, 2n] = {:?} (means, log std) for codes {c:?}, got {p:?}",
                [c[0], 2 * c[1]]
            ),
        });
    }
    let n = c[1];
    let mean = params.narrow(1, 0, n);
    let log_std = params.narrow(1, n, n).clamp_min(MIN_LOG_STD);
    let z = (codes - mean) * (-&log_std).exp();
    let nll = z.square() * 0.5 + log_std + 0.5 * (2.0 * std::f64::consts::PI).ln();
    Ok(nll.sum_dim_intlist(1, false, Kind::Float).mean(Kind::Float))
}

/// The mutual-information lower bound `H(c) − L_info` (nats) of a categorical code with
/// `k` equiprobable values, from its [`categorical_code_loss`] value: at most `ln k`,
/// reached when Q recovers the code exactly.
pub fn categorical_mi_lower_bound(k: i64, loss: f64) -> f64 {
    (k as f64).ln() - loss
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_nll_matches_hand_computation() {
        // One sample, one code: μ = 0.5, ln σ = ln 2, c = −0.5 → (1²)/(2·4) + ln 2 + ½ ln 2π.
        let params = Tensor::from_slice(&[0.5f32, 2f32.ln()]).reshape([1, 2]);
        let codes = Tensor::from_slice(&[-0.5f32]).reshape([1, 1]);
        let want = 1.0 / 8.0 + 2f64.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln();
        let got = continuous_code_loss(&params, &codes)
            .unwrap()
            .double_value(&[]);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn gaussian_nll_sums_dims_and_averages_rows() {
        let params = Tensor::zeros([4, 6], tch::kind::FLOAT_CPU);
        let codes = Tensor::ones([4, 3], tch::kind::FLOAT_CPU);
        // Each dim: ½ + ½ ln 2π, three dims per row.
        let want = 3.0 * (0.5 + 0.5 * (2.0 * std::f64::consts::PI).ln());
        let got = continuous_code_loss(&params, &codes)
            .unwrap()
            .double_value(&[]);
        assert!((got - want).abs() < 1e-5);
    }

    #[test]
    fn log_std_is_clamped_so_the_loss_stays_finite() {
        let params = Tensor::from_slice(&[0.0f32, -1e4]).reshape([1, 2]);
        let codes = Tensor::from_slice(&[1.0f32]).reshape([1, 1]);
        let got = continuous_code_loss(&params, &codes)
            .unwrap()
            .double_value(&[]);
        assert!(got.is_finite());
    }

    #[test]
    fn perfect_categorical_prediction_reaches_ln_k() {
        let logits = Tensor::from_slice(&[50.0f32, 0.0, 0.0, 0.0, 50.0, 0.0]).reshape([2, 3]);
        let codes = Tensor::from_slice(&[0i64, 1]);
        let loss = categorical_code_loss(&logits, &codes)
            .unwrap()
            .double_value(&[]);
        let bound = categorical_mi_lower_bound(3, loss);
        assert!((bound - 3f64.ln()).abs() < 1e-6);
        // Uniform logits carry no information.
        let loss = categorical_code_loss(&Tensor::zeros([2, 3], tch::kind::FLOAT_CPU), &codes)
            .unwrap()
            .double_value(&[]);
        assert!(categorical_mi_lower_bound(3, loss).abs() < 1e-6);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let codes = Tensor::zeros([4, 2], tch::kind::FLOAT_CPU);
        let e =
            continuous_code_loss(&Tensor::zeros([4, 2], tch::kind::FLOAT_CPU), &codes).unwrap_err();
        assert!(e.to_string().contains("[N, 2n]"), "{e}");
        assert!(continuous_code_loss(&Tensor::zeros([4], tch::kind::FLOAT_CPU), &codes).is_err());
    }
}
