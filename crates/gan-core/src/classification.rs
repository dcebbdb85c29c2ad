//! Class-prediction losses of the label-aware GANs: the auxiliary classifier loss of AC-GAN
//! (Odena et al. 2017) and the supervised term of the semi-supervised GAN (Salimans et al.
//! 2016) are both the mean cross-entropy of class logits against integer labels.

use crate::check;
use crate::error::{CoreError, Result};
use tch::{Kind, Reduction, Tensor};

const WHAT: &str = "class_cross_entropy";

/// Mean cross-entropy `−(1/N) Σ log softmax(logits)ᵢ[yᵢ]` of class logits `[N, K]` against
/// int64 labels `[N]` in `0..K`, computed from logits (log-softmax) so large logits stay
/// finite. Errors on mismatched shapes, an empty batch or a label outside `0..K`.
///
/// The label check reads the labels' range back to the host (a device sync on CUDA); for
/// labels known to be in range, use [`class_cross_entropy_unchecked`].
pub fn class_cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let k = check_shapes(logits, labels)?;
    let labels = labels.to_kind(Kind::Int64);
    // One host read for the range check: on CUDA a bad label is a device-side assertion
    // that ends the process, not an error.
    let range = Tensor::stack(&[labels.min(), labels.max()], 0).to_device(tch::Device::Cpu);
    let (lo, hi) = (range.int64_value(&[0]), range.int64_value(&[1]));
    if lo < 0 || hi >= k {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!("labels must be in 0..{k}, got values in {lo}..={hi}"),
        });
    }
    nll_of_log_softmax(logits, &labels)
}

/// [`class_cross_entropy`] without the label-range check, so without a device→host read:
/// for the training hot path, where labels are in `0..K` by construction (drawn by the
/// trainer, or from a dataset that checked them when it was loaded). Shapes are still
/// checked. A label outside `0..K` is then libtorch's error on CPU (returned, no panic)
/// and a device-side assertion on CUDA.
pub fn class_cross_entropy_unchecked(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    check_shapes(logits, labels)?;
    nll_of_log_softmax(logits, &labels.to_kind(Kind::Int64))
}

/// Checks `logits [N, K]` (N ≥ 1) against `labels [N]`; returns K.
fn check_shapes(logits: &Tensor, labels: &Tensor) -> Result<i64> {
    let s = check::ndim(WHAT, logits, 2)?;
    check::min_rows(WHAT, logits, 1)?;
    let l = check::ndim(WHAT, labels, 1)?;
    if l[0] != s[0] {
        return Err(CoreError::ShapeMismatch {
            what: WHAT,
            left: s,
            right: l,
        });
    }
    Ok(s[1])
}

fn nll_of_log_softmax(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    Ok(logits.log_softmax(1, Kind::Float).f_nll_loss(
        labels,
        None::<Tensor>,
        Reduction::Mean,
        -100,
    )?)
}

/// Fraction of rows of `logits` `[N, K]` whose arg-max equals the label `[N]`.
pub fn class_accuracy(logits: &Tensor, labels: &Tensor) -> Result<f64> {
    let s = check::ndim("class_accuracy", logits, 2)?;
    check::min_rows("class_accuracy", logits, 1)?;
    let l = check::ndim("class_accuracy", labels, 1)?;
    if l[0] != s[0] {
        return Err(CoreError::ShapeMismatch {
            what: "class_accuracy",
            left: s,
            right: l,
        });
    }
    Ok(logits
        .argmax(1, false)
        .eq_tensor(&labels.to_kind(Kind::Int64))
        .to_kind(Kind::Double)
        .mean(Kind::Double)
        .double_value(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_cross_entropy() {
        // Row 0: logits (0, ln 3) label 1 → p = 3/4; row 1: logits (2, 2) label 0 → p = 1/2.
        let logits = Tensor::from_slice(&[0.0f32, 3f32.ln(), 2.0, 2.0]).reshape([2, 2]);
        let y = Tensor::from_slice(&[1i64, 0]);
        let want = -(0.75f64.ln() + 0.5f64.ln()) / 2.0;
        let got = class_cross_entropy(&logits, &y).unwrap().double_value(&[]);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        assert_eq!(class_accuracy(&logits, &y).unwrap(), 1.0);
    }

    #[test]
    fn stays_finite_for_huge_logits() {
        let logits = Tensor::from_slice(&[1e4f32, -1e4, 0.0]).reshape([1, 3]);
        let y = Tensor::from_slice(&[1i64]);
        let got = class_cross_entropy(&logits, &y).unwrap().double_value(&[]);
        assert!((got - 2e4).abs() < 1.0, "{got}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let logits = Tensor::zeros([3, 4], tch::kind::FLOAT_CPU);
        let e = class_cross_entropy(&logits, &Tensor::from_slice(&[0i64, 4, 1])).unwrap_err();
        assert!(e.to_string().contains("0..4"), "{e}");
        let e = class_cross_entropy(&logits, &Tensor::from_slice(&[-1i64, 0, 1])).unwrap_err();
        assert!(e.to_string().contains("-1"), "{e}");
        assert!(class_cross_entropy(&logits, &Tensor::from_slice(&[0i64, 1])).is_err());
        assert!(class_cross_entropy(&logits.reshape([12]), &Tensor::from_slice(&[0i64])).is_err());
        assert!(class_accuracy(&logits, &Tensor::from_slice(&[0i64])).is_err());
    }

    #[test]
    fn unchecked_form_gives_the_same_loss_and_still_fails_cleanly_on_cpu() {
        let logits = Tensor::from_slice(&[0.0f32, 3f32.ln(), 2.0, 2.0]).reshape([2, 2]);
        let y = Tensor::from_slice(&[1i64, 0]);
        let checked = class_cross_entropy(&logits, &y).unwrap();
        assert_eq!(class_cross_entropy_unchecked(&logits, &y).unwrap(), checked);
        // Shapes are still checked here; an out-of-range label is libtorch's error.
        assert!(class_cross_entropy_unchecked(&logits, &Tensor::from_slice(&[0i64])).is_err());
        let e = class_cross_entropy_unchecked(&logits, &Tensor::from_slice(&[0i64, 7]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("out of bounds"), "{e}");
    }
}
