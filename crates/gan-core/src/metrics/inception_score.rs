//! Inception Score (Salimans et al. 2016): `IS = exp(E_x KL(p(y|x) ‖ p(y)))` from a
//! classifier's predictions on generated samples, where `p(y)` is the mean prediction.
//! High when each prediction is confident and the predictions are spread over classes.
//! Ranges from 1 to `K`. Computed on the whole set (no splits).

use crate::check;
use crate::error::{CoreError, Result};
use tch::{Device, Kind, Tensor};

const WHAT: &str = "inception_score";

/// IS from log-probabilities `[N, K]` (f64): `exp(mean_i Σ_k p_ik (ln p_ik − ln p̄_k))`
/// with `ln p̄_k = logsumexp_i(ln p_ik) − ln N`; entries with `p = 0` contribute 0.
fn from_log_probs(log_p: &Tensor) -> Result<f64> {
    let n = log_p.size()[0] as f64;
    let log_marginal = log_p.f_logsumexp([0], true)? - n.ln();
    let p = log_p.exp();
    let terms = &p * (log_p - log_marginal);
    let terms = terms.f_where_self(&p.gt(0.0), &terms.zeros_like())?;
    let mean_kl = terms.sum(Kind::Double).double_value(&[]) / n;
    Ok(mean_kl.exp())
}

/// Checks for a `[N, K]` tensor with `N, K ≥ 1` and returns it as f64 on the CPU.
fn prepare(t: &Tensor) -> Result<Tensor> {
    let s = check::ndim(WHAT, t, 2)?;
    check::min_rows(WHAT, t, 1)?;
    if s[1] == 0 {
        return Err(CoreError::Empty {
            what: WHAT,
            reason: "0 classes".into(),
        });
    }
    let x = t.f_to_device(Device::Cpu)?.f_to_kind(Kind::Double)?;
    check::finite_slice(WHAT, &check::to_f64_vec(&x)?)?;
    Ok(x)
}

/// IS from class probabilities `[N, K]` (each row ≥ 0 and summing to 1 within 1e-4).
/// Errors on bad shapes, non-finite or negative entries, or rows not summing to 1.
pub fn inception_score(probs: &Tensor) -> Result<f64> {
    let p = prepare(probs)?;
    let values = check::to_f64_vec(&p)?;
    if values.iter().any(|&v| v < 0.0) {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: "negative probability".into(),
        });
    }
    let k = p.size()[1] as usize;
    if let Some(row) = values
        .chunks_exact(k)
        .find(|r| (r.iter().sum::<f64>() - 1.0).abs() > 1e-4)
    {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!("a row sums to {}, not 1", row.iter().sum::<f64>()),
        });
    }
    from_log_probs(&p.log())
}

/// IS from class logits `[N, K]`, using `log_softmax` (stable for large logits).
pub fn inception_score_from_logits(logits: &Tensor) -> Result<f64> {
    let l = prepare(logits)?;
    from_log_probs(&l.f_log_softmax(1, Kind::Double)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_predictions_give_one() {
        let p = Tensor::full([8, 5], 0.2, (Kind::Float, Device::Cpu));
        assert!((inception_score(&p).unwrap() - 1.0).abs() < 1e-6);
        let l = Tensor::zeros([8, 5], (Kind::Float, Device::Cpu));
        assert!((inception_score_from_logits(&l).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn confident_balanced_predictions_give_k() {
        // 3 samples for each of K = 4 classes, one-hot: KL = ln 4 for every sample → IS = 4
        let labels = Tensor::arange(12, (Kind::Int64, Device::Cpu)).remainder(4);
        let p = labels.one_hot(4).to_kind(Kind::Float);
        assert!((inception_score(&p).unwrap() - 4.0).abs() < 1e-9);
        // huge logits behave like one-hot without overflowing
        let l = &p * 1000.0;
        assert!((inception_score_from_logits(&l).unwrap() - 4.0).abs() < 1e-9);
    }

    #[test]
    fn confident_but_collapsed_gives_one() {
        // every sample confidently class 2: p(y) is one-hot too → KL 0 → IS 1
        let p = Tensor::from_slice(&[0.0f64, 0.0, 1.0]).repeat([5, 1]);
        assert!((inception_score(&p).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn by_hand_two_samples() {
        // p1 = (1, 0), p2 = (½, ½); p̄ = (¾, ¼).
        // KL1 = ln(1/¾) = ln(4/3); KL2 = ½ ln(½/¾) + ½ ln(½/¼) = ½ ln(2/3) + ½ ln 2.
        let p = Tensor::from_slice(&[1.0f64, 0.0, 0.5, 0.5]).view([2, 2]);
        let kl1 = (4.0f64 / 3.0).ln();
        let kl2 = 0.5 * (2.0f64 / 3.0).ln() + 0.5 * 2f64.ln();
        let expected = ((kl1 + kl2) / 2.0).exp();
        assert!((inception_score(&p).unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn errors() {
        let bad_sum = Tensor::from_slice(&[0.5f64, 0.6]).view([1, 2]);
        assert!(inception_score(&bad_sum).is_err());
        let neg = Tensor::from_slice(&[1.5f64, -0.5]).view([1, 2]);
        assert!(inception_score(&neg).is_err());
        assert!(inception_score(&Tensor::from_slice(&[1.0f64])).is_err());
        let nan = Tensor::from_slice(&[f64::NAN, 1.0]).view([1, 2]);
        assert!(inception_score_from_logits(&nan).is_err());
    }
}
