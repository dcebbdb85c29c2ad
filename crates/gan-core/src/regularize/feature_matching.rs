//! The feature-matching generator loss (Salimans et al. 2016).

use crate::check;
use crate::error::Result;
use tch::Tensor;

/// `‖mean(real_feats) − mean(fake_feats)‖²`, the squared distance between the batch means
/// of discriminator features (`[N_r, F]` and `[N_f, F]`; the batch sizes may differ).
///
/// Typically `real_feats` is detached so that only the generator is trained by it.
/// Errors unless both are 2-D with the same `F` and at least one row.
pub fn feature_matching_loss(real_feats: &Tensor, fake_feats: &Tensor) -> Result<Tensor> {
    const WHAT: &str = "feature_matching_loss";
    let sr = check::ndim(WHAT, real_feats, 2)?;
    let sf = check::ndim(WHAT, fake_feats, 2)?;
    if sr[1] != sf[1] {
        return Err(crate::CoreError::ShapeMismatch {
            what: WHAT,
            left: sr,
            right: sf,
        });
    }
    check::min_rows(WHAT, real_feats, 1)?;
    check::min_rows(WHAT, fake_feats, 1)?;
    let mr = real_feats.f_mean_dim(0, false, None)?;
    let mf = fake_feats.f_mean_dim(0, false, None)?;
    Ok((mr - mf).square().sum(None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    #[test]
    fn by_hand() {
        // real mean (2, 1), fake mean (1, 3) → 1 + 4 = 5
        let r = Tensor::from_slice(&[1.0f64, 0.0, 3.0, 2.0]).view([2, 2]);
        let f = Tensor::from_slice(&[0.0f64, 3.0, 2.0, 3.0, 1.0, 3.0]).view([3, 2]);
        let l = feature_matching_loss(&r, &f).unwrap();
        assert!((l.double_value(&[]) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn gradient_flows_to_fake_features() {
        let r = Tensor::from_slice(&[1.0f64, 1.0]).view([1, 2]);
        let f = Tensor::from_slice(&[0.0f64, 2.0])
            .view([1, 2])
            .set_requires_grad(true);
        feature_matching_loss(&r, &f).unwrap().backward();
        // d/df (r − f)² = −2(r − f) = (−2, 2)
        assert_eq!(
            Vec::<f64>::try_from(&f.grad().view([-1])).unwrap(),
            vec![-2.0, 2.0]
        );
    }

    #[test]
    fn mismatched_features_are_errors() {
        let r = Tensor::zeros([2, 3], (Kind::Float, tch::Device::Cpu));
        let f = Tensor::zeros([2, 4], (Kind::Float, tch::Device::Cpu));
        assert!(feature_matching_loss(&r, &f).is_err());
        let e = Tensor::zeros([0, 3], (Kind::Float, tch::Device::Cpu));
        assert!(feature_matching_loss(&r, &e).is_err());
        assert!(feature_matching_loss(&r.view([-1]), &r.view([-1])).is_err());
    }
}
