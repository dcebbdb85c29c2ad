//! Divergences between discrete distributions (KL, JS, earth mover's in 1-D) and the
//! histogram and sample-based helpers to get there from 1-D samples.
//!
//! Distributions are given as non-negative weights (counts or probabilities); KL and JS
//! normalize them to sum 1 first. All results are in nats.

use crate::check;
use crate::error::{CoreError, Result};

/// Checks two weight vectors (same non-zero length, finite, ≥ 0, positive total) and
/// returns them normalized to sum 1.
fn normalized_pair(what: &'static str, p: &[f64], q: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    check::same_len(what, p.len(), q.len())?;
    let norm = |v: &[f64]| -> Result<Vec<f64>> {
        check::finite_slice(what, v)?;
        if v.iter().any(|&x| x < 0.0) {
            return Err(CoreError::InvalidInput {
                what,
                reason: "negative weight".into(),
            });
        }
        let total: f64 = v.iter().sum();
        if total <= 0.0 {
            return Err(CoreError::Empty {
                what,
                reason: "weights sum to 0".into(),
            });
        }
        Ok(v.iter().map(|x| x / total).collect())
    };
    Ok((norm(p)?, norm(q)?))
}

/// Normalized histogram of 1-D samples over `bins` equal bins on `[lo, hi]`: the fraction
/// of the in-range samples in each bin (sums to 1). `hi` itself falls in the last bin;
/// samples outside `[lo, hi]` are dropped. Errors if `bins` is 0, `lo ≥ hi` (or either is
/// not finite), a sample is NaN, or no sample is in range.
pub fn histogram(samples: &[f64], lo: f64, hi: f64, bins: usize) -> Result<Vec<f64>> {
    const WHAT: &str = "histogram";
    if bins == 0 {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: "0 bins".into(),
        });
    }
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!("range [{lo}, {hi}]"),
        });
    }
    if samples.iter().any(|x| x.is_nan()) {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: "NaN sample".into(),
        });
    }
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0f64; bins];
    let mut n = 0usize;
    for &x in samples.iter().filter(|&&x| (lo..=hi).contains(&x)) {
        let b = (((x - lo) / width) as usize).min(bins - 1);
        counts[b] += 1.0;
        n += 1;
    }
    if n == 0 {
        return Err(CoreError::Empty {
            what: WHAT,
            reason: "no sample in range".into(),
        });
    }
    Ok(counts.into_iter().map(|c| c / n as f64).collect())
}

/// `KL(p ‖ q) = Σ pᵢ ln(pᵢ / qᵢ)` after normalizing both. Terms with `pᵢ = 0` are 0; if
/// some `qᵢ = 0` where `pᵢ > 0` the divergence is `f64::INFINITY` (e.g. disjoint
/// supports). Errors on length mismatch, empty, negative or non-finite input.
pub fn kl_divergence(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = normalized_pair("kl_divergence", p, q)?;
    Ok(kl_normalized(&p, &q))
}

/// KL of already normalized distributions.
fn kl_normalized(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .filter(|(&pi, _)| pi > 0.0)
        .map(|(&pi, &qi)| {
            if qi > 0.0 {
                pi * (pi / qi).ln()
            } else {
                f64::INFINITY
            }
        })
        .sum()
}

/// Jensen–Shannon divergence `½ KL(p ‖ m) + ½ KL(q ‖ m)` with `m = (p + q)/2`, after
/// normalizing both. Always finite, in `[0, ln 2]`, and exactly `ln 2` for disjoint
/// supports. Errors like [`kl_divergence`].
pub fn js_divergence(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = normalized_pair("js_divergence", p, q)?;
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| 0.5 * (a + b)).collect();
    Ok(0.5 * kl_normalized(&p, &m) + 0.5 * kl_normalized(&q, &m))
}

/// Earth mover's distance between two piles of the **same total mass** on positions
/// `0, 1, …, n−1` (unit spacing): `Σᵢ |δᵢ|` with `δᵢ₊₁ = δᵢ + pᵢ − qᵢ`, `δ₀ = 0`, i.e. the
/// L1 distance between the cumulative sums. Not normalized (multiply by a bin width, or
/// pass probabilities, as needed). Errors on length mismatch, empty input, non-finite
/// values or totals that differ by more than 1e-9 relative.
pub fn emd_1d(p: &[f64], q: &[f64]) -> Result<f64> {
    const WHAT: &str = "emd_1d";
    check::same_len(WHAT, p.len(), q.len())?;
    if p.is_empty() {
        return Err(CoreError::Empty {
            what: WHAT,
            reason: "no bins".into(),
        });
    }
    check::finite_slice(WHAT, p)?;
    check::finite_slice(WHAT, q)?;
    let (tp, tq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    if (tp - tq).abs() > 1e-9 * tp.abs().max(tq.abs()).max(1.0) {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!("total masses differ: {tp} vs {tq}"),
        });
    }
    let mut delta = 0.0;
    let mut total = 0.0;
    for (a, b) in p.iter().zip(q) {
        delta += a - b;
        total += delta.abs();
    }
    Ok(total)
}

/// Wasserstein-1 distance between the empirical distributions of two 1-D sample sets
/// (sizes may differ): `∫ |F_a(x) − F_b(x)| dx`, computed exactly from the sorted samples
/// (for equal sizes this is `mean |a₍ᵢ₎ − b₍ᵢ₎|`). In the units of the samples, so no bin
/// width is involved. Errors if either set is empty or holds a non-finite value.
pub fn emd_1d_samples(a: &[f64], b: &[f64]) -> Result<f64> {
    const WHAT: &str = "emd_1d_samples";
    if a.is_empty() || b.is_empty() {
        return Err(CoreError::Empty {
            what: WHAT,
            reason: "empty sample set".into(),
        });
    }
    check::finite_slice(WHAT, a)?;
    check::finite_slice(WHAT, b)?;
    let sorted = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s
    };
    let (a, b) = (sorted(a), sorted(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut x = a[0].min(b[0]);
    let mut total = 0.0;
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(&u), Some(&v)) => u.min(v),
            (Some(&u), None) => u,
            (None, Some(&v)) => v,
            (None, None) => unreachable!(),
        };
        total += (i as f64 / na - j as f64 / nb).abs() * (next - x);
        x = next;
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::LN_2;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn histogram_counts_and_edges() {
        let h = histogram(&[0.0, 0.1, 0.5, 0.99, 1.0, 2.0, -0.1], 0.0, 1.0, 2).unwrap();
        // in range: 0, 0.1 | 0.5, 0.99, 1.0 (hi goes in the last bin); 2 and −0.1 dropped
        assert_eq!(h, vec![0.4, 0.6]);
        assert!(histogram(&[5.0], 0.0, 1.0, 3).is_err());
        assert!(histogram(&[0.5], 1.0, 0.0, 3).is_err());
        assert!(histogram(&[0.5], 0.0, 1.0, 0).is_err());
        assert!(histogram(&[f64::NAN], 0.0, 1.0, 2).is_err());
    }

    #[test]
    fn kl_by_hand_and_infinite_for_disjoint() {
        // KL((½,½) ‖ (¼,¾)) = ½ ln 2 + ½ ln(2/3)
        close(
            kl_divergence(&[1.0, 1.0], &[1.0, 3.0]).unwrap(),
            0.5 * LN_2 + 0.5 * (2.0f64 / 3.0).ln(),
        );
        close(kl_divergence(&[0.2, 0.8], &[0.2, 0.8]).unwrap(), 0.0);
        assert_eq!(
            kl_divergence(&[1.0, 0.0], &[0.0, 1.0]).unwrap(),
            f64::INFINITY
        );
        // p = 0 where q > 0 is fine: KL((1,0) ‖ (½,½)) = ln 2
        close(kl_divergence(&[1.0, 0.0], &[0.5, 0.5]).unwrap(), LN_2);
    }

    #[test]
    fn js_is_ln2_for_disjoint_and_symmetric() {
        close(
            js_divergence(&[1.0, 0.0, 0.0], &[0.0, 0.0, 2.0]).unwrap(),
            LN_2,
        );
        close(js_divergence(&[0.3, 0.7], &[0.3, 0.7]).unwrap(), 0.0);
        let (p, q) = ([0.1, 0.6, 0.3], [0.5, 0.25, 0.25]);
        let a = js_divergence(&p, &q).unwrap();
        close(a, js_divergence(&q, &p).unwrap());
        assert!(a > 0.0 && a < LN_2);
    }

    #[test]
    fn emd_seed_example() {
        // P = (3, 2, 1, 4), Q = (1, 2, 4, 3): δ = 2, 2, −1, 0 → 5
        close(
            emd_1d(&[3.0, 2.0, 1.0, 4.0], &[1.0, 2.0, 4.0, 3.0]).unwrap(),
            5.0,
        );
        // all mass moved 3 bins
        close(
            emd_1d(&[1.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 1.0]).unwrap(),
            3.0,
        );
    }

    #[test]
    fn emd_samples_by_hand() {
        // a shifted by 2 → 2
        close(
            emd_1d_samples(&[0.0, 1.0, 5.0], &[7.0, 3.0, 2.0]).unwrap(),
            2.0,
        );
        // δ₀ vs ½δ₁ + ½δ₃: ½·1 + ½·3 = 2
        close(emd_1d_samples(&[0.0], &[1.0, 3.0]).unwrap(), 2.0);
        close(emd_1d_samples(&[1.0, 3.0], &[0.0]).unwrap(), 2.0);
        close(
            emd_1d_samples(&[1.0, 1.0, 2.0], &[2.0, 1.0, 1.0]).unwrap(),
            0.0,
        );
        // distinct sizes with duplicates: {0,0,1} vs {0,1}: F_a − F_b = ⅔ − ½ on [0, 1) → 1/6
        assert!((emd_1d_samples(&[0.0, 0.0, 1.0], &[0.0, 1.0]).unwrap() - 1.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            kl_divergence(&[1.0], &[0.5, 0.5]),
            Err(CoreError::LengthMismatch { .. })
        ));
        assert!(js_divergence(&[], &[]).is_err());
        assert!(kl_divergence(&[-1.0, 2.0], &[1.0, 1.0]).is_err());
        assert!(kl_divergence(&[0.0, 0.0], &[1.0, 1.0]).is_err());
        assert!(
            emd_1d(&[1.0, 2.0], &[1.0, 1.0]).is_err(),
            "different totals"
        );
        assert!(emd_1d(&[1.0], &[1.0, 0.0]).is_err());
        assert!(emd_1d_samples(&[], &[1.0]).is_err());
        assert!(emd_1d_samples(&[f64::INFINITY], &[1.0]).is_err());
    }
}
