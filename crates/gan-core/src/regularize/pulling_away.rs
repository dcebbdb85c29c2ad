//! The pulling-away term of EBGAN (Zhao et al. 2017), a generator regularizer against
//! mode collapse computed on the discriminator's (autoencoder) codes of a fake batch.

use crate::check;
use crate::error::Result;
use tch::Tensor;

/// Added to the row norms so that an all-zero code row gives a zero direction instead of
/// NaN (results are therefore exact only up to about `NORM_EPS / ‖codes_i‖`).
const NORM_EPS: f64 = 1e-8;

/// `1/(N(N−1)) Σ_{i≠j} (S_iᵀ S_j)²` with `S_i = codes_i / ‖codes_i‖`: the mean squared
/// cosine similarity between distinct rows of `codes` (`[N, F]`), a scalar in `[0, 1]`.
///
/// It is 0 for mutually orthogonal codes and 1 when all codes are (anti-)parallel, so
/// minimizing it pushes a generated batch apart in code space. Invariant to rescaling
/// rows; differentiable (also at zero rows, which count as orthogonal to everything).
/// Errors unless `codes` is 2-D with at least two rows.
pub fn pulling_away_term(codes: &Tensor) -> Result<Tensor> {
    const WHAT: &str = "pulling_away_term";
    check::ndim(WHAT, codes, 2)?;
    let n = check::min_rows(WHAT, codes, 2)?;
    // `norm`'s backward masks zero norms, so zero rows give zero (not NaN) gradients.
    let norms = codes.f_norm_scalaropt_dim(2, [1], true)?;
    let s = codes.f_div(&(norms + NORM_EPS))?;
    let cos2 = s.f_mm(&s.f_tr()?)?.f_square()?;
    // The Gram matrix is symmetric: sum the strict upper triangle twice, which also skips
    // the diagonal exactly (no cancellation against the ≈1 self-similarities).
    let off_diag = cos2.f_triu(1)?.f_sum(None)? * 2.0;
    Ok(off_diag / (n * (n - 1)) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CoreError;
    use tch::Kind;

    fn rows(v: &[f64], f: i64) -> Tensor {
        Tensor::from_slice(v).view([-1, f])
    }

    fn pt(codes: &Tensor) -> f64 {
        pulling_away_term(codes).unwrap().double_value(&[])
    }

    #[test]
    fn orthogonal_rows_give_zero() {
        let eye = Tensor::eye(4, (Kind::Double, tch::Device::Cpu)) * 3.0;
        assert!(pt(&eye).abs() < 1e-12);
        // Orthogonal but not axis aligned.
        let c = rows(&[1.0, 1.0, 2.0, -2.0], 2);
        assert!(pt(&c).abs() < 1e-12);
    }

    #[test]
    fn parallel_and_anti_parallel_rows_give_one() {
        let c = rows(&[1.0, 2.0, 3.0, -2.0, -4.0, -6.0, 0.5, 1.0, 1.5], 3);
        assert!((pt(&c) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn by_hand_three_by_two() {
        // Rows (1,0), (1,1), (0,2): cos² = 0.5, 0, 0.5 → 2·(0.5 + 0 + 0.5) / (3·2) = 1/3.
        let c = rows(&[1.0, 0.0, 1.0, 1.0, 0.0, 2.0], 2);
        assert!((pt(&c) - 1.0 / 3.0).abs() < 1e-6);
        let r = pulling_away_term(&c).unwrap();
        assert_eq!(r.dim(), 0);
        assert_eq!(r.kind(), Kind::Double);
    }

    #[test]
    fn invariant_to_row_scaling() {
        tch::manual_seed(0);
        let c = Tensor::randn([6, 5], (Kind::Double, tch::Device::Cpu));
        let scale = Tensor::from_slice(&[0.01f64, 1.0, 7.0, 100.0, 0.5, 3.0]).view([6, 1]);
        let a = pt(&c);
        let b = pt(&(&c * scale));
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        assert!((0.0..=1.0).contains(&a));
    }

    #[test]
    fn gradient_is_finite_even_with_a_zero_row() {
        tch::manual_seed(1);
        let c = Tensor::randn([5, 3], (Kind::Float, tch::Device::Cpu));
        let c = Tensor::cat(&[c, Tensor::zeros([1, 3], tch::kind::FLOAT_CPU)], 0)
            .set_requires_grad(true);
        let l = pulling_away_term(&c).unwrap();
        assert!(l.double_value(&[]).is_finite());
        l.backward();
        let g = c.grad();
        assert!(g.defined());
        assert!(g.isfinite().all().int64_value(&[]) == 1);
        assert!(g.abs().sum(Kind::Float).double_value(&[]) > 0.0);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let v = Tensor::from_slice(&[1.0f64, 2.0, 3.0]);
        assert!(matches!(
            pulling_away_term(&v),
            Err(CoreError::InvalidInput { .. })
        ));
        let one = rows(&[1.0, 2.0], 2);
        let e = pulling_away_term(&one).unwrap_err();
        assert!(e.to_string().contains("at least 2"), "{e}");
        let empty = Tensor::zeros([0, 3], tch::kind::FLOAT_CPU);
        assert!(pulling_away_term(&empty).is_err());
    }
}
