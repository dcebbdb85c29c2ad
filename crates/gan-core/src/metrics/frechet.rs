//! Fréchet distance between Gaussians fitted to two feature sets (the quantity behind
//! FID): `‖μa − μb‖² + tr(Σa + Σb − 2 (Σa^{1/2} Σb Σa^{1/2})^{1/2})`.
//!
//! gan-core does not know which network produced the features; the project computes them
//! with its own classifier (see DESIGN.md), so values are comparable across runs of this
//! project, not with published Inception-FID numbers.

use crate::check;
use crate::error::{CoreError, Result};
use tch::{Device, Kind, Tensor};

/// Mean and covariance of a feature set, in `f64`.
///
/// Build it from features with [`from_features`](Self::from_features), or from known
/// moments with [`new`](Self::new); compare two with [`frechet_distance`].
///
/// ```
/// use gan_core::FeatureStats;
/// use tch::Tensor;
///
/// // Four 2-D feature vectors: the corners of the square [0, 2]².
/// let features = Tensor::from_slice(&[0.0f32, 0.0, 2.0, 0.0, 0.0, 2.0, 2.0, 2.0]).view([4, 2]);
/// let stats = FeatureStats::from_features(&features).unwrap();
/// assert_eq!(stats.dim(), 2);
/// assert_eq!(stats.mean, [1.0, 1.0]);
/// // Unbiased covariance (divisor N − 1 = 3): variance 4/3 per axis, no correlation.
/// let v = 4.0 / 3.0;
/// assert!(stats.cov.iter().zip([v, 0.0, 0.0, v]).all(|(a, b)| (a - b).abs() < 1e-12));
///
/// // A covariance that does not match the mean's dimension is an error.
/// assert!(FeatureStats::new(vec![0.0, 0.0], vec![1.0]).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureStats {
    /// Feature mean, length `d`.
    pub mean: Vec<f64>,
    /// Covariance, `d × d` row-major.
    pub cov: Vec<f64>,
}

impl FeatureStats {
    /// Stats from a mean and a `d × d` covariance (row-major). Errors if the sizes do not
    /// agree, `d` is 0 or a value is not finite. The covariance is assumed symmetric
    /// positive semi-definite.
    pub fn new(mean: Vec<f64>, cov: Vec<f64>) -> Result<Self> {
        const WHAT: &str = "FeatureStats::new";
        if mean.is_empty() {
            return Err(CoreError::Empty {
                what: WHAT,
                reason: "0 features".into(),
            });
        }
        check::same_len(WHAT, cov.len(), mean.len() * mean.len())?;
        check::finite_slice(WHAT, &mean)?;
        check::finite_slice(WHAT, &cov)?;
        Ok(FeatureStats { mean, cov })
    }

    /// Sample mean and unbiased covariance (divisor `N − 1`, as numpy's `cov`) of a
    /// `[N, d]` feature tensor, computed in `f64`. Errors unless it is 2-D with `N ≥ 2`,
    /// `d ≥ 1` and finite values.
    pub fn from_features(features: &Tensor) -> Result<Self> {
        const WHAT: &str = "FeatureStats::from_features";
        let s = check::ndim(WHAT, features, 2)?;
        let n = check::min_rows(WHAT, features, 2)?;
        if s[1] == 0 {
            return Err(CoreError::Empty {
                what: WHAT,
                reason: "0 features".into(),
            });
        }
        let x = features.f_to_device(Device::Cpu)?.f_to_kind(Kind::Double)?;
        let mean = x.f_mean_dim(0, true, None)?;
        let centered = &x - &mean;
        let cov = centered.f_tr()?.f_mm(&centered)? / (n - 1) as f64;
        FeatureStats::new(check::to_f64_vec(&mean)?, check::to_f64_vec(&cov)?)
    }

    /// Number of features `d`.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The covariance as a `[d, d]` f64 CPU tensor.
    fn cov_tensor(&self) -> Result<Tensor> {
        let d = self.dim() as i64;
        Ok(Tensor::from_slice(&self.cov).f_view([d, d])?)
    }
}

/// Eigenvalues (clamped at 0) and eigenvectors of the symmetric part of `m`.
fn sym_eigh(m: &Tensor) -> Result<(Tensor, Tensor)> {
    let sym = (m + m.f_tr()?) * 0.5;
    let (vals, vecs) = sym.f_linalg_eigh("L")?;
    Ok((vals.clamp_min(0.0), vecs))
}

/// Square root `V diag(√λ) Vᵀ` of a symmetric PSD matrix (tiny negative eigenvalues from
/// rounding are clamped to 0).
fn sym_sqrt(m: &Tensor) -> Result<Tensor> {
    let (vals, vecs) = sym_eigh(m)?;
    Ok(vecs
        .f_mm(&vals.sqrt().f_diag_embed(0, -2, -1)?)?
        .f_mm(&vecs.f_tr()?)?)
}

/// Fréchet distance `‖μa − μb‖² + tr Σa + tr Σb − 2 tr (Σa^{1/2} Σb Σa^{1/2})^{1/2}`.
///
/// Both square roots use symmetric eigendecompositions in `f64`, which keeps the middle
/// matrix symmetric (unlike the `sqrtm(Σa Σb)` form) and avoids complex parts; eigenvalues
/// below 0 from rounding are clamped to 0. The result is clamped at 0. Errors if the two
/// stats differ in dimension.
///
/// For Gaussians with isotropic covariances `σa² I` and `σb² I` in `d` dimensions it is
/// `‖μa − μb‖² + d (σa − σb)²`:
///
/// ```
/// use gan_core::metrics::{frechet_distance, FeatureStats};
///
/// // N((0, 0), I) against N((3, 4), 4 I): 3² + 4² + 2 · (1 − 2)² = 27.
/// let a = FeatureStats::new(vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
/// let b = FeatureStats::new(vec![3.0, 4.0], vec![4.0, 0.0, 0.0, 4.0]).unwrap();
/// assert!((frechet_distance(&a, &b).unwrap() - 27.0).abs() < 1e-9);
/// assert!(frechet_distance(&a, &a).unwrap() < 1e-9);
///
/// // Stats of different dimensions cannot be compared.
/// let c = FeatureStats::new(vec![0.0], vec![1.0]).unwrap();
/// assert!(frechet_distance(&a, &c).is_err());
/// ```
pub fn frechet_distance(a: &FeatureStats, b: &FeatureStats) -> Result<f64> {
    check::same_len("frechet_distance", a.dim(), b.dim())?;
    let mean_term: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    let (ca, cb) = (a.cov_tensor()?, b.cov_tensor()?);
    let sa = sym_sqrt(&ca)?;
    let middle = sa.f_mm(&cb)?.f_mm(&sa)?;
    let (vals, _) = sym_eigh(&middle)?;
    let tr_sqrt = vals.sqrt().sum(Kind::Double).double_value(&[]);
    let tr = |c: &Tensor| c.trace().double_value(&[]);
    Ok((mean_term + tr(&ca) + tr(&cb) - 2.0 * tr_sqrt).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_d_gaussians() {
        // N(0, 1) vs N(3, 4): (μ1 − μ2)² + (σ1 − σ2)² = 9 + 1 = 10
        let a = FeatureStats::new(vec![0.0], vec![1.0]).unwrap();
        let b = FeatureStats::new(vec![3.0], vec![4.0]).unwrap();
        assert!((frechet_distance(&a, &b).unwrap() - 10.0).abs() < 1e-10);
    }

    #[test]
    fn diagonal_by_hand() {
        // Σa = diag(1, 4), Σb = diag(9, 1): per dimension (σa − σb)² = 4 + 1; means differ
        // by (1, 2) → 5. Total 10.
        let a = FeatureStats::new(vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 4.0]).unwrap();
        let b = FeatureStats::new(vec![1.0, 2.0], vec![9.0, 0.0, 0.0, 1.0]).unwrap();
        assert!((frechet_distance(&a, &b).unwrap() - 10.0).abs() < 1e-10);
    }

    #[test]
    fn identical_is_zero_and_distance_is_symmetric() {
        tch::manual_seed(0);
        let x = Tensor::randn([50, 3], (Kind::Double, Device::Cpu));
        let y = Tensor::randn([40, 3], (Kind::Double, Device::Cpu))
            .mm(
                &Tensor::from_slice(&[1.0f64, 0.5, 0.0, 0.0, 2.0, 0.3, 0.0, 0.0, 0.7]).view([3, 3]),
            )
            + 1.0;
        let (a, b) = (
            FeatureStats::from_features(&x).unwrap(),
            FeatureStats::from_features(&y).unwrap(),
        );
        assert!(frechet_distance(&a, &a).unwrap() < 1e-8);
        let ab = frechet_distance(&a, &b).unwrap();
        let ba = frechet_distance(&b, &a).unwrap();
        assert!(ab > 1.0, "{ab}");
        assert!((ab - ba).abs() < 1e-8, "{ab} vs {ba}");
    }

    #[test]
    fn non_commuting_covariances_by_hand() {
        // Σa = I, Σb = [[2, 1], [1, 2]] (eigenvalues 3 and 1): the middle matrix is Σb, so
        // tr √Σb = √3 + 1; FD = 2 + 4 − 2(√3 + 1) = 4 − 2√3.
        let a = FeatureStats::new(vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let b = FeatureStats::new(vec![0.0, 0.0], vec![2.0, 1.0, 1.0, 2.0]).unwrap();
        let expected = 4.0 - 2.0 * 3f64.sqrt();
        assert!((frechet_distance(&a, &b).unwrap() - expected).abs() < 1e-10);
        assert!((frechet_distance(&b, &a).unwrap() - expected).abs() < 1e-10);
    }

    #[test]
    fn stats_from_features_by_hand() {
        // rows (1, 2), (3, 2), (5, 8): mean (3, 4);
        // centered (−2, −2), (0, −2), (2, 4) → cov /2: [[8, 12], [12, 24]] / 2
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 2.0, 5.0, 8.0]).view([3, 2]);
        let s = FeatureStats::from_features(&x).unwrap();
        assert_eq!(s.mean, vec![3.0, 4.0]);
        assert_eq!(s.cov, vec![4.0, 6.0, 6.0, 12.0]);
    }

    #[test]
    fn errors() {
        let one = Tensor::zeros([1, 2], (Kind::Float, Device::Cpu));
        assert!(FeatureStats::from_features(&one).is_err());
        assert!(FeatureStats::from_features(&one.view([-1])).is_err());
        assert!(FeatureStats::new(vec![0.0], vec![1.0, 0.0]).is_err());
        let a = FeatureStats::new(vec![0.0], vec![1.0]).unwrap();
        let b = FeatureStats::new(vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        assert!(frechet_distance(&a, &b).is_err());
    }
}
