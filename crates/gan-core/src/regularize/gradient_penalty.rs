//! The WGAN-GP gradient penalty (Gulrajani et al. 2017), with interpolation weights and
//! gradient norms taken **per sample**.

use crate::check;
use crate::error::{CoreError, Result};
use tch::Tensor;

/// Added under the square root of each per-sample squared gradient norm so that the
/// penalty stays differentiable where a gradient is exactly zero.
const NORM_EPS: f64 = 1e-12;

/// WGAN-GP penalty `mean_i (‖∇ₓ D(x̂ᵢ)‖ − 1)²`.
///
/// - interpolates `x̂ᵢ = εᵢ·realᵢ + (1 − εᵢ)·fakeᵢ` with one `εᵢ ~ U[0, 1]` **per sample**
///   (shape `[N, 1, 1, …]`, drawn from torch's global generator); `real` and `fake` are
///   detached, so no gradient flows into whatever produced them (e.g. the generator);
/// - the gradient of `sum(score_fn(x̂))` with respect to `x̂` is built with
///   `create_graph = true`, so the returned penalty can be back-propagated into the
///   critic's parameters;
/// - the norm is taken **per sample** over all non-batch dimensions, as
///   `sqrt(Σ g² + 1e-12)`.
///
/// `score_fn` maps a batch `[N, …]` to scores `[N]`. Errors if `real` and `fake` differ in
/// shape, are 0-D, or have no samples.
pub fn gradient_penalty(
    score_fn: impl Fn(&Tensor) -> Tensor,
    real: &Tensor,
    fake: &Tensor,
) -> Result<Tensor> {
    const WHAT: &str = "gradient_penalty";
    check::same_shape(WHAT, real, fake)?;
    if real.dim() == 0 {
        return Err(CoreError::InvalidInput {
            what: WHAT,
            reason: "0-D samples".into(),
        });
    }
    let n = check::min_rows(WHAT, real, 1)?;
    let mut eps_shape = vec![n];
    eps_shape.resize(real.dim(), 1);
    let eps = Tensor::f_rand(eps_shape.as_slice(), (real.kind(), real.device()))?;
    let x_hat = (&eps * real.detach() + (1.0f64 - &eps) * fake.detach())
        .detach()
        .set_requires_grad(true);
    let scores = score_fn(&x_hat);
    let grads = Tensor::f_run_backward(&[scores.f_sum(None)?], &[&x_hat], true, true)?;
    let grad = grads
        .into_iter()
        .next()
        .ok_or_else(|| CoreError::InvalidInput {
            what: WHAT,
            reason: "no gradient returned for the interpolates".into(),
        })?;
    let sq = grad
        .f_flatten(1, -1)?
        .square()
        .f_sum_dim_intlist(1, false, None)?;
    let norms = (sq + NORM_EPS).sqrt();
    Ok((norms - 1.0).square().mean(None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn mat(rows: &[[f64; 2]]) -> Tensor {
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        Tensor::from_slice(&flat).view([rows.len() as i64, 2])
    }

    #[test]
    fn linear_critic_uses_per_sample_norms() {
        tch::manual_seed(0);
        // D(x) = x·w with w = (3, 4): every per-sample gradient is w, ‖w‖ = 5, so the
        // penalty is (5 − 1)² = 16 whatever ε is. A norm over the whole batch gradient
        // would be √4 · 5 = 10, giving 81.
        let w = Tensor::from_slice(&[3.0f64, 4.0]);
        let real = mat(&[[1.0, 2.0], [0.0, 0.0], [-1.0, 5.0], [2.0, 2.0]]);
        let fake = mat(&[[0.0, 1.0], [3.0, 3.0], [1.0, 1.0], [-2.0, 0.5]]);
        let gp = gradient_penalty(|x| x.mv(&w), &real, &fake).unwrap();
        assert!((gp.double_value(&[]) - 16.0).abs() < 1e-9);
    }

    #[test]
    fn per_sample_norms_that_differ() {
        tch::manual_seed(1);
        // D(x) = ½‖x‖², gradient x̂. With real == fake, x̂ = real for any ε.
        // Rows (3, 4) and (0.6, 0.8): norms 5 and 1 → ((5−1)² + (1−1)²)/2 = 8.
        // (Batch norm √(25 + 1) would give (√26 − 1)² ≈ 16.8.)
        let x = mat(&[[3.0, 4.0], [0.6, 0.8]]);
        let gp =
            gradient_penalty(|x| x.square().sum_dim_intlist(1, false, None) * 0.5, &x, &x).unwrap();
        assert!((gp.double_value(&[]) - 8.0).abs() < 1e-9);
    }

    #[test]
    fn interpolates_lie_between_real_and_fake() {
        tch::manual_seed(2);
        // D(x) = ½‖x‖² on 4-D images [N, 1, 2, 2]: the gradient is x̂ itself. Capture x̂ and
        // check each sample is one convex combination of its real and fake.
        let real = Tensor::ones([6, 1, 2, 2], (Kind::Double, Device::Cpu));
        let fake = Tensor::zeros([6, 1, 2, 2], (Kind::Double, Device::Cpu));
        let seen = std::cell::RefCell::new(None);
        let f = |x: &Tensor| {
            *seen.borrow_mut() = Some(x.detach().copy());
            x.square().flatten(1, -1).sum_dim_intlist(1, false, None) * 0.5
        };
        let _ = gradient_penalty(f, &real, &fake).unwrap();
        let x_hat = seen.into_inner().unwrap();
        let per_sample = x_hat.flatten(1, -1);
        let lo = per_sample.amin([1], false);
        let hi = per_sample.amax([1], false);
        assert!(lo.allclose(&hi, 0.0, 0.0, false), "one ε per sample");
        let eps: Vec<f64> = Vec::try_from(&lo).unwrap();
        assert!(eps.iter().all(|e| (0.0..=1.0).contains(e)));
        assert!(
            eps.windows(2).any(|w| w[0] != w[1]),
            "ε differs across samples"
        );
    }

    #[test]
    fn penalty_backpropagates_into_critic_weights() {
        tch::manual_seed(3);
        // D(x) = x·w with w = (0.6, 0.8)·2 → ‖w‖ = 2; penalty (‖w‖ − 1)², whose gradient
        // wrt w is 2(‖w‖ − 1) w/‖w‖ = w = (1.2, 1.6).
        let w = Tensor::from_slice(&[1.2f64, 1.6]).set_requires_grad(true);
        let real = mat(&[[1.0, 0.0], [0.5, -0.5], [2.0, 1.0]]);
        let fake = mat(&[[0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]]);
        let gp = gradient_penalty(|x| x.mv(&w), &real, &fake).unwrap();
        assert!((gp.double_value(&[]) - 1.0).abs() < 1e-9);
        gp.backward();
        let g: Vec<f64> = Vec::try_from(&w.grad()).unwrap();
        assert!(
            (g[0] - 1.2).abs() < 1e-9 && (g[1] - 1.6).abs() < 1e-9,
            "{g:?}"
        );
    }

    #[test]
    fn bad_shapes_are_errors() {
        let a = Tensor::zeros([3, 2], (Kind::Float, Device::Cpu));
        let b = Tensor::zeros([4, 2], (Kind::Float, Device::Cpu));
        let err = gradient_penalty(|x| x.sum_dim_intlist(1, false, None), &a, &b).unwrap_err();
        assert!(matches!(err, CoreError::ShapeMismatch { .. }));
        let e = Tensor::zeros([0, 2], (Kind::Float, Device::Cpu));
        let err = gradient_penalty(|x| x.sum_dim_intlist(1, false, None), &e, &e).unwrap_err();
        assert!(matches!(err, CoreError::Empty { .. }));
    }
}
