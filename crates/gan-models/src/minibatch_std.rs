//! Minibatch standard deviation feature (Karras et al. 2018, "Progressive Growing of GANs").
//!
//! For a batch `x` of shape `[N, F, ...]`: the standard deviation of every feature (and
//! spatial position) across the batch, averaged into a single scalar, is appended as one
//! extra feature (2-D input) or one extra constant channel (4-D input).

use tch::{Kind, Tensor};

/// Added to the variance before the square root so the gradient stays finite.
pub const MINIBATCH_STD_EPS: f64 = 1e-8;

/// Appends the minibatch-std feature along dimension 1: `[N, F, ...] → [N, F + 1, ...]`.
///
/// The std is the population (biased) estimate `sqrt(mean_n (x − mean_n x)² + 1e-8)`.
pub fn minibatch_std(x: &Tensor) -> Tensor {
    let var = x.var_correction(0i64, 0, false);
    let s = (var + MINIBATCH_STD_EPS)
        .sqrt()
        .mean(Kind::Float)
        .to_kind(x.kind());
    let mut shape = x.size();
    shape[1] = 1;
    let ones = vec![1i64; shape.len()];
    let extra = s.reshape(ones.as_slice()).expand(shape.as_slice(), false);
    Tensor::cat(&[x.shallow_clone(), extra], 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_d_hand_case() {
        // Per-feature stds across the batch: [1, 2]; their mean: 1.5.
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 6.0]).reshape([2, 2]);
        let out = Vec::<Vec<f64>>::try_from(minibatch_std(&x).to_kind(Kind::Double)).unwrap();
        let expected = [[1.0, 2.0, 1.5], [3.0, 6.0, 1.5]];
        for (row, e) in out.iter().zip(expected.iter()) {
            for (v, w) in row.iter().zip(e.iter()) {
                assert!((v - w).abs() < 1e-5, "{out:?}");
            }
        }
    }

    #[test]
    fn four_d_appends_constant_channel() {
        // Two samples, one channel, 1x2 pixels: stds per position 1 and 3 → 2.
        let x = Tensor::from_slice(&[0.0f32, 0.0, 2.0, 6.0]).reshape([2, 1, 1, 2]);
        let out = minibatch_std(&x);
        assert_eq!(out.size(), vec![2, 2, 1, 2]);
        let extra = out.narrow(1, 1, 1);
        let diff = (extra - 2.0).abs().max().double_value(&[]);
        assert!(diff < 1e-5);
        // The original channel is untouched.
        assert_eq!(
            out.narrow(1, 0, 1).flatten(0, -1),
            Tensor::from_slice(&[0.0f32, 0.0, 2.0, 6.0])
        );
    }

    #[test]
    fn identical_samples_give_near_zero_and_finite_gradient() {
        let x = Tensor::ones([3, 4], tch::kind::FLOAT_CPU).set_requires_grad(true);
        let out = minibatch_std(&x);
        assert!(out.narrow(1, 4, 1).max().double_value(&[]) < 1e-3);
        out.sum(Kind::Float).backward();
        assert!(bool::try_from(x.grad().isfinite().all()).unwrap());
    }
}
