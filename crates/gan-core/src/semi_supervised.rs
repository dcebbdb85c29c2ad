//! Semi-supervised GAN (Salimans et al. 2016): turning a K-class (or K+1-class)
//! discriminator's class logits into the binary real/fake logit used by the adversarial
//! losses, with the numerically stable logsumexp trick.

use crate::check;
use crate::error::{CoreError, Result};
use tch::Tensor;

const WHAT: &str = "binary_logit_from_class_logits";

/// Splits `[N, C]` logits into the real-class logits and the fake logit (`None` when there
/// is no extra fake class, i.e. the fake logit is fixed at 0).
fn split(class_logits: &Tensor, extra_fake_class: bool) -> Result<(Tensor, Option<Tensor>)> {
    let s = check::ndim(WHAT, class_logits, 2)?;
    let min_classes = if extra_fake_class { 2 } else { 1 };
    if s[1] < min_classes {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!(
                "need at least {min_classes} class logits per sample, got {}",
                s[1]
            ),
        });
    }
    if extra_fake_class {
        let k = s[1] - 1;
        Ok((
            class_logits.f_narrow(1, 0, k)?,
            Some(class_logits.f_select(1, k)?),
        ))
    } else {
        Ok((class_logits.shallow_clone(), None))
    }
}

/// The binary "real" logit `ln Σ_{i ∈ real classes} exp(lᵢ) − l_fake` of each sample, from
/// class logits `[N, K]` (`l_fake = 0`) or `[N, K+1]` with the fake class last
/// (`extra_fake_class = true`). Returns `[N]`.
///
/// Computed stably by subtracting the per-sample maximum `l_max` of the real-class logits:
/// `ln Σ exp(lᵢ − l_max) + l_max`, so logits in the thousands stay finite.
/// `σ(result)` is the probability of "real", i.e. `1 − softmax(l)_fake` in the K+1 form.
/// Logits must be finite (a row of all `−∞` real-class logits gives NaN). Errors unless
/// `class_logits` is 2-D with at least 1 (or 2, with the extra fake class) columns.
pub fn binary_logit_from_class_logits(
    class_logits: &Tensor,
    extra_fake_class: bool,
) -> Result<Tensor> {
    let (real, fake) = split(class_logits, extra_fake_class)?;
    let max = real.f_amax([1], true)?.detach();
    let lse = (&real - &max)
        .exp()
        .f_sum_dim_intlist(1, false, None)?
        .log()
        + max.squeeze_dim(1);
    Ok(match fake {
        Some(f) => lse - f,
        None => lse,
    })
}

/// The same quantity computed naively as `ln Σ exp(lᵢ) − l_fake`, which overflows to
/// `inf` for large logits. Kept public **only for comparison** (tests, documentation);
/// use [`binary_logit_from_class_logits`].
pub fn naive_binary_logit(class_logits: &Tensor, extra_fake_class: bool) -> Result<Tensor> {
    let (real, fake) = split(class_logits, extra_fake_class)?;
    let lse = real.exp().f_sum_dim_intlist(1, false, None)?.log();
    Ok(match fake {
        Some(f) => lse - f,
        None => lse,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    fn logits(rows: &[&[f32]]) -> Tensor {
        let c = rows[0].len() as i64;
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        Tensor::from_slice(&flat).view([rows.len() as i64, c])
    }

    fn vals(t: &Tensor) -> Vec<f64> {
        Vec::try_from(&t.to_kind(Kind::Double)).unwrap()
    }

    #[test]
    fn matches_naive_on_safe_values() {
        let l = logits(&[&[0.5, -1.0, 2.0, 0.0], &[3.0, 3.0, -2.0, 1.0]]);
        for extra in [false, true] {
            let a = vals(&binary_logit_from_class_logits(&l, extra).unwrap());
            let b = vals(&naive_binary_logit(&l, extra).unwrap());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
            }
        }
        // by hand, no extra class: ln(e^0.5 + e^-1 + e^2 + e^0)
        let expected = (0.5f64.exp() + (-1f64).exp() + 2f64.exp() + 1.0).ln();
        let got = vals(&binary_logit_from_class_logits(&l, false).unwrap())[0];
        assert!((got - expected).abs() < 1e-5);
    }

    #[test]
    fn stable_where_naive_overflows() {
        // ln(e^1000 + e^1000) − 999 = 1000 + ln 2 − 999 = 1 + ln 2
        let l = logits(&[&[1000.0, 1000.0, 999.0]]);
        let naive = vals(&naive_binary_logit(&l, true).unwrap())[0];
        assert!(naive.is_infinite(), "naive should overflow, got {naive}");
        let stable = vals(&binary_logit_from_class_logits(&l, true).unwrap())[0];
        assert!(
            (stable - (1.0 + std::f64::consts::LN_2)).abs() < 1e-4,
            "{stable}"
        );
    }

    #[test]
    fn k_plus_one_form_is_one_minus_fake_softmax() {
        let l = logits(&[&[0.2, -0.3, 1.5, 0.7], &[-2.0, 0.0, 1.0, 4.0]]);
        let p_real = vals(&binary_logit_from_class_logits(&l, true).unwrap().sigmoid());
        let p_fake = vals(&l.softmax(1, Kind::Float).select(1, 3));
        for (r, f) in p_real.iter().zip(&p_fake) {
            assert!((r - (1.0 - f)).abs() < 1e-6, "{r} vs 1 − {f}");
        }
    }

    #[test]
    fn gradient_is_softmax_over_real_classes() {
        // d/dlᵢ ln Σ exp(l) = softmax(l)ᵢ: (1/2, 1/2) for equal logits, fake gets −1.
        let l = logits(&[&[1.0, 1.0, 5.0]]).set_requires_grad(true);
        binary_logit_from_class_logits(&l, true)
            .unwrap()
            .sum(None)
            .backward();
        let g = vals(&l.grad().view([-1]));
        assert!(
            (g[0] - 0.5).abs() < 1e-6 && (g[1] - 0.5).abs() < 1e-6 && (g[2] + 1.0).abs() < 1e-6
        );
    }

    #[test]
    fn bad_shapes_are_errors() {
        let one = logits(&[&[1.0]]);
        assert!(binary_logit_from_class_logits(&one, true).is_err());
        assert!(binary_logit_from_class_logits(&one, false).is_ok());
        assert!(binary_logit_from_class_logits(&Tensor::from_slice(&[1.0f32]), false).is_err());
    }
}
