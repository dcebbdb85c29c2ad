//! Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of the squared
//! maximum mean discrepancy between two feature sets under the polynomial kernel
//! `k(x, y) = (x·y/d + 1)³`. Unlike FID it has an unbiased estimator, so it can be
//! compared across sample sizes; like FID it needs features from some network (see
//! [`crate::metrics::frechet`] for which one this project uses).

use crate::check;
use crate::error::{CoreError, Result};
use tch::{Device, Kind, Tensor};

/// Mean and standard deviation of KID over random subsets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KidEstimate {
    /// Mean of the per-subset unbiased MMD² estimates.
    pub mean: f64,
    /// Their standard deviation (population form; 0 for a single subset).
    pub std: f64,
}

/// The kernel matrix `K[i, j] = (xᵢ·yⱼ/d + 1)³` of `x: [m, d]` and `y: [n, d]` → `[m, n]`.
/// Errors unless both are 2-D with the same `d ≥ 1`.
pub fn polynomial_kernel(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    const WHAT: &str = "polynomial_kernel";
    let (sx, sy) = (check::ndim(WHAT, x, 2)?, check::ndim(WHAT, y, 2)?);
    if sx[1] != sy[1] || sx[1] == 0 {
        return Err(CoreError::ShapeMismatch {
            what: WHAT,
            left: sx,
            right: sy,
        });
    }
    let d = sx[1] as f64;
    Ok((x.f_mm(&y.f_tr()?)? / d + 1.0).pow_tensor_scalar(3))
}

/// Unbiased MMD² of two `[m, d]`, `[n, d]` f64 tensors (`m, n ≥ 2`).
fn mmd2_unbiased(x: &Tensor, y: &Tensor) -> Result<f64> {
    let (m, n) = (x.size()[0] as f64, y.size()[0] as f64);
    let off_diag_mean = |k: Tensor, size: f64| {
        let total = k.sum(Kind::Double).double_value(&[]);
        let diag = k.trace().double_value(&[]);
        (total - diag) / (size * (size - 1.0))
    };
    let kxx = off_diag_mean(polynomial_kernel(x, x)?, m);
    let kyy = off_diag_mean(polynomial_kernel(y, y)?, n);
    let kxy = polynomial_kernel(x, y)?
        .mean(Kind::Double)
        .double_value(&[]);
    Ok(kxx + kyy - 2.0 * kxy)
}

/// Checks the two feature sets and converts them to f64 CPU tensors.
fn prepare(what: &'static str, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    let (sa, sb) = (check::ndim(what, a, 2)?, check::ndim(what, b, 2)?);
    if sa[1] != sb[1] || sa[1] == 0 {
        return Err(CoreError::ShapeMismatch {
            what,
            left: sa,
            right: sb,
        });
    }
    check::min_rows(what, a, 2)?;
    check::min_rows(what, b, 2)?;
    let conv =
        |t: &Tensor| -> Result<Tensor> { Ok(t.f_to_device(Device::Cpu)?.f_to_kind(Kind::Double)?) };
    Ok((conv(a)?, conv(b)?))
}

/// KID on the full sets: the unbiased MMD² of `a: [m, d]` and `b: [n, d]`,
///
/// `1/(m(m−1)) Σ_{i≠j} k(aᵢ, aⱼ) + 1/(n(n−1)) Σ_{i≠j} k(bᵢ, bⱼ) − 2/(mn) Σ_{i,j} k(aᵢ, bⱼ)`,
///
/// computed in f64. Can be slightly negative when the sets come from one distribution.
/// Errors unless both are 2-D with the same `d ≥ 1` and at least 2 rows.
pub fn kernel_inception_distance(a: &Tensor, b: &Tensor) -> Result<f64> {
    let (a, b) = prepare("kernel_inception_distance", a, b)?;
    mmd2_unbiased(&a, &b)
}

/// KID averaged over `num_subsets` random subsets of `subset_size` rows from each set
/// (drawn without replacement within a subset, from torch's global generator), as in the
/// reference implementation. Errors on bad shapes, `num_subsets == 0`, `subset_size < 2` or
/// a subset larger than either set.
pub fn kid_subsets(
    a: &Tensor,
    b: &Tensor,
    num_subsets: usize,
    subset_size: usize,
) -> Result<KidEstimate> {
    const WHAT: &str = "kid_subsets";
    let (a, b) = prepare(WHAT, a, b)?;
    let (m, n) = (a.size()[0], b.size()[0]);
    let size = subset_size as i64;
    if num_subsets == 0 || subset_size < 2 || size > m.min(n) {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: format!(
                "{num_subsets} subsets of {subset_size} rows from sets of {m} and {n} rows"
            ),
        });
    }
    let pick = |t: &Tensor, rows: i64| -> Result<Tensor> {
        let idx = Tensor::f_randperm(rows, (Kind::Int64, Device::Cpu))?.f_narrow(0, 0, size)?;
        Ok(t.f_index_select(0, &idx)?)
    };
    let mut values = Vec::with_capacity(num_subsets);
    for _ in 0..num_subsets {
        values.push(mmd2_unbiased(&pick(&a, m)?, &pick(&b, n)?)?);
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64;
    Ok(KidEstimate {
        mean,
        std: var.sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(v: &[f64]) -> Tensor {
        Tensor::from_slice(v).view([v.len() as i64, 1])
    }

    #[test]
    fn tiny_case_by_hand() {
        // d = 1, k(a, b) = (ab + 1)³; a = {0, 1}, b = {1, 2}.
        // aa off-diagonal: k(0,1) twice → 2/2 = 1; bb: k(1,2) = 27 twice → 27;
        // ab: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1 + 1 + 8 + 27 = 37 → 2·37/4 = 18.5.
        // KID = 1 + 27 − 18.5 = 9.5
        let kid = kernel_inception_distance(&col(&[0.0, 1.0]), &col(&[1.0, 2.0])).unwrap();
        assert!((kid - 9.5).abs() < 1e-12, "{kid}");
    }

    #[test]
    fn same_distribution_near_zero_shifted_clearly_positive() {
        tch::manual_seed(11);
        let x = Tensor::randn([400, 4], (Kind::Double, Device::Cpu));
        let (first, second) = (x.narrow(0, 0, 200), x.narrow(0, 200, 200));
        let same = kernel_inception_distance(&first, &second).unwrap();
        let shifted = kernel_inception_distance(&first, &(&second + 1.0)).unwrap();
        assert!(same.abs() < 0.1, "same distribution: {same}");
        assert!(shifted > 1.0, "shifted: {shifted}");
        let est = kid_subsets(&first, &(&second + 1.0), 5, 100).unwrap();
        assert!(est.mean > 1.0 && est.std >= 0.0, "{est:?}");
    }

    #[test]
    fn single_full_subset_equals_full_estimate() {
        tch::manual_seed(3);
        let x = Tensor::randn([6, 2], (Kind::Double, Device::Cpu));
        let y = Tensor::randn([6, 2], (Kind::Double, Device::Cpu)) * 2.0;
        let full = kernel_inception_distance(&x, &y).unwrap();
        let est = kid_subsets(&x, &y, 1, 6).unwrap();
        assert!((est.mean - full).abs() < 1e-12);
        assert_eq!(est.std, 0.0);
    }

    #[test]
    fn errors() {
        let a = Tensor::zeros([5, 3], (Kind::Float, Device::Cpu));
        let b = Tensor::zeros([5, 2], (Kind::Float, Device::Cpu));
        assert!(kernel_inception_distance(&a, &b).is_err());
        assert!(kernel_inception_distance(&a, &a.narrow(0, 0, 1)).is_err());
        assert!(kid_subsets(&a, &a, 0, 2).is_err());
        assert!(kid_subsets(&a, &a, 2, 6).is_err());
        assert!(kid_subsets(&a, &a, 2, 1).is_err());
    }
}
