//! WGAN weight clipping (Arjovsky et al. 2017): a crude way to keep the critic Lipschitz.

use crate::error::{CoreError, Result};
use tch::Tensor;

/// Clamps every element of every parameter into `[−c, c]`, in place and without
/// recording gradients. Errors unless `c` is finite and > 0.
pub fn clip_weights(params: &[Tensor], c: f64) -> Result<()> {
    if !(c > 0.0 && c.is_finite()) {
        return Err(CoreError::InvalidParameter {
            field: "clip",
            value: c,
            expected: "a finite value > 0",
        });
    }
    tch::no_grad(|| -> Result<()> {
        for p in params {
            let _ = p.shallow_clone().f_clamp_(-c, c)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_in_place_leaf_parameters() {
        let a = Tensor::from_slice(&[-0.5f64, 0.005, 0.3]).set_requires_grad(true);
        let b = Tensor::from_slice(&[0.02f64, -0.02])
            .view([1, 2])
            .set_requires_grad(true);
        clip_weights(&[a.shallow_clone(), b.shallow_clone()], 0.01).unwrap();
        assert_eq!(
            Vec::<f64>::try_from(&a.detach()).unwrap(),
            vec![-0.01, 0.005, 0.01]
        );
        assert_eq!(
            Vec::<f64>::try_from(&b.detach().view([-1])).unwrap(),
            vec![0.01, -0.01]
        );
        assert!(a.requires_grad(), "still a trainable leaf");
    }

    #[test]
    fn rejects_non_positive_clip() {
        let a = Tensor::from_slice(&[1.0f64]);
        for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(clip_weights(&[a.shallow_clone()], c).is_err());
        }
        assert_eq!(a.double_value(&[0]), 1.0);
    }
}
