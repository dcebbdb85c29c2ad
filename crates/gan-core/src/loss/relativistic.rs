//! The relativistic average GAN (RaSGAN, Jolicoeur-Martineau 2018, "The relativistic
//! discriminator: a key element missing from standard GAN").
//!
//! D's logit `C(x)` is read relative to the other batch: `D̃(x_r) = σ(C(x_r) − mean C(x_f))`
//! is the probability that a real sample is more realistic than the average fake, and
//! `D̃(x_f) = σ(C(x_f) − mean C(x_r))` the reverse. Unlike every other game here, the
//! generator's loss needs the scores of real samples too, because G gains by making real
//! samples look *less* realistic relative to its fakes.
//!
//! Both losses follow the paper's reference code: the mean of the two BCE-with-logits
//! terms, `BCE(l, t) = mean(softplus(l) − t·l)`.

use tch::{Reduction, Tensor};

/// `mean(BCE_with_logits(logits, target))` with a constant target.
fn bce(logits: &Tensor, target: f64) -> Tensor {
    logits.binary_cross_entropy_with_logits::<Tensor>(
        &logits.full_like(target),
        None,
        None,
        Reduction::Mean,
    )
}

/// Discriminator loss: `½ [BCE(r − mean f, 1) + BCE(f − mean r, 0)]`.
pub fn relativistic_average_d_loss(real: &Tensor, fake: &Tensor) -> Tensor {
    let real_rel = real - fake.mean(None);
    let fake_rel = fake - real.mean(None);
    (bce(&real_rel, 1.0) + bce(&fake_rel, 0.0)) * 0.5
}

/// Generator loss: `½ [BCE(r − mean f, 0) + BCE(f − mean r, 1)]`; its gradient reaches G
/// through both terms (the fakes' mean appears in the first).
pub fn relativistic_average_g_loss(real: &Tensor, fake: &Tensor) -> Tensor {
    let real_rel = real - fake.mean(None);
    let fake_rel = fake - real.mean(None);
    (bce(&real_rel, 0.0) + bce(&fake_rel, 1.0)) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_slice(v).to_kind(Kind::Double)
    }

    fn softplus(x: f64) -> f64 {
        (1.0 + x.exp()).ln()
    }

    #[test]
    fn losses_by_hand() {
        // r = [1, 3] (mean 2), f = [0, −2] (mean −1).
        // r − mean f = [2, 4]; f − mean r = [−2, −4].
        // BCE(l, 1) = softplus(−l), BCE(l, 0) = softplus(l).
        let (r, f) = (t(&[1.0, 3.0]), t(&[0.0, -2.0]));
        let d = (softplus(-2.0) + softplus(-4.0)) / 2.0 + (softplus(-2.0) + softplus(-4.0)) / 2.0;
        let g = (softplus(2.0) + softplus(4.0)) / 2.0 + (softplus(2.0) + softplus(4.0)) / 2.0;
        let got_d = relativistic_average_d_loss(&r, &f).double_value(&[]);
        let got_g = relativistic_average_g_loss(&r, &f).double_value(&[]);
        assert!((got_d - d / 2.0).abs() < 1e-12, "{got_d} vs {}", d / 2.0);
        assert!((got_g - g / 2.0).abs() < 1e-12, "{got_g} vs {}", g / 2.0);
    }

    #[test]
    fn generator_gradient_flows_through_both_terms() {
        // With N fakes, d/df_j of the G loss is
        //   ½ [ Σ_i σ(r_i − f̄) · (−1/N) / N + (σ(f_j − r̄) − 1) / N ].
        let r = t(&[1.0, 3.0]);
        let f = t(&[0.0, -2.0]).set_requires_grad(true);
        relativistic_average_g_loss(&r, &f).backward();
        let grad: Vec<f64> = Vec::try_from(&f.grad()).unwrap();
        let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());
        let first: f64 = [2.0, 4.0].iter().map(|&x| sigma(x)).sum::<f64>() * (-0.5) / 2.0;
        for (j, fj) in [0.0f64, -2.0].iter().enumerate() {
            let expected = 0.5 * (first + (sigma(fj - 2.0) - 1.0) / 2.0);
            assert!(
                (grad[j] - expected).abs() < 1e-12,
                "{j}: {} vs {expected}",
                grad[j]
            );
        }
    }

    #[test]
    fn equal_batches_give_ln2() {
        // r = f = c: every relative logit is 0 and each BCE is ln 2.
        let x = t(&[0.7, 0.7, 0.7]);
        let d = relativistic_average_d_loss(&x, &x).double_value(&[]);
        assert!((d - std::f64::consts::LN_2).abs() < 1e-12);
    }
}
