//! The adversarial losses as small free functions on score tensors of shape `[N]`.
//!
//! Each returns a scalar (0-D) tensor that is a **mean** over the batch, so batches of
//! different sizes give comparable values. `r` is the discriminator's score on real
//! samples, `f` on generated ones, `l` a logit, `σ` the logistic sigmoid and
//! `softplus(x) = ln(1 + eˣ)` (computed stably by libtorch). The discriminator
//! minimizes its `*_d_loss`, the generator its `*_g_loss`.

use tch::{Reduction, Tensor};

/// Largest logit passed to `exp` by [`max_likelihood_g_loss`]; `e³⁰ ≈ 1.07e13` is finite in
/// `f32` (where `e⁸⁹` already overflows), so the loss and its gradient never become `inf`.
pub const MAX_LIKELIHOOD_LOGIT_CLAMP: f64 = 30.0;

/// Per-sample BCE-with-logits targets: `target` everywhere, except where a
/// Bernoulli(`flip_prob`) draw (torch's global RNG) says to swap it for `other`.
fn targets(scores: &Tensor, target: f64, other: f64, flip_prob: f64) -> Tensor {
    let base = scores.full_like(target);
    if flip_prob <= 0.0 {
        return base;
    }
    let flip = scores.rand_like().lt(flip_prob);
    scores.full_like(other).where_self(&flip, &base)
}

/// Discriminator loss of the BCE family (minimax, non-saturating, max-likelihood), as in
/// the original GAN and the PyTorch DCGAN example:
///
/// `BCE(r, t_r) + BCE(f, t_f)` with `BCE(l, t) = mean(softplus(l) − t·l)`
/// (binary cross-entropy on logits), real target `t_r = real_target` (1, or 0.9 for
/// one-sided label smoothing) and fake target `t_f = 0`.
///
/// With `flip_prob > 0`, each sample's target is swapped independently with that
/// probability (a real sample gets 0, a fake one gets `real_target`); the draws use
/// torch's global generator. `flip_prob` is used as a probability in `[0, 1]`.
pub fn bce_d_loss(real: &Tensor, fake: &Tensor, real_target: f64, flip_prob: f64) -> Tensor {
    let t_real = targets(real, real_target, 0.0, flip_prob);
    let t_fake = targets(fake, 0.0, real_target, flip_prob);
    let l_real =
        real.binary_cross_entropy_with_logits::<Tensor>(&t_real, None, None, Reduction::Mean);
    let l_fake =
        fake.binary_cross_entropy_with_logits::<Tensor>(&t_fake, None, None, Reduction::Mean);
    l_real + l_fake
}

/// Generator loss of the original minimax game: `mean(ln(1 − σ(f))) = −mean(softplus(f))`.
///
/// Its gradient per sample is `−σ(f)`, which vanishes when the discriminator confidently
/// rejects the fakes (`σ(f) → 0`): the saturation that motivates [`non_saturating_g_loss`].
pub fn minimax_g_loss(fake: &Tensor) -> Tensor {
    -fake.softplus().mean(None)
}

/// Non-saturating generator loss: `−mean(ln σ(f)) = mean(softplus(−f))`.
///
/// Its gradient per sample is `−(1 − σ(f))`, close to −1 exactly where the minimax
/// gradient vanishes.
pub fn non_saturating_g_loss(fake: &Tensor) -> Tensor {
    (-fake).softplus().mean(None)
}

/// Generator loss of the maximum-likelihood game (Goodfellow, NIPS 2016 tutorial):
/// `J = −½ E[exp(σ⁻¹(D(G(z))))] = −½ mean(exp(f))`, since `σ⁻¹(D) = f` is the logit.
///
/// Logits are clamped at [`MAX_LIKELIHOOD_LOGIT_CLAMP`] before `exp` so that the loss stays
/// finite; the gradient of a clamped sample is zero.
pub fn max_likelihood_g_loss(fake: &Tensor) -> Tensor {
    fake.clamp_max(MAX_LIKELIHOOD_LOGIT_CLAMP).exp().mean(None) * -0.5
}

/// Least-squares discriminator loss (LSGAN, a = 0, b = 1):
/// `½ mean((r − 1)²) + ½ mean(f²)`.
pub fn least_squares_d_loss(real: &Tensor, fake: &Tensor) -> Tensor {
    (real - 1.0).square().mean(None) * 0.5 + fake.square().mean(None) * 0.5
}

/// Least-squares generator loss (LSGAN, c = 1): `½ mean((f − 1)²)`.
pub fn least_squares_g_loss(fake: &Tensor) -> Tensor {
    (fake - 1.0).square().mean(None) * 0.5
}

/// Hinge discriminator loss: `mean(relu(1 − r)) + mean(relu(1 + f))`.
pub fn hinge_d_loss(real: &Tensor, fake: &Tensor) -> Tensor {
    (1.0f64 - real).relu().mean(None) + (fake + 1.0).relu().mean(None)
}

/// Wasserstein critic loss: `mean(f) − mean(r)` (the negated estimate of W₁ that the
/// critic maximizes). Needs a Lipschitz constraint (weight clipping or gradient penalty).
pub fn wasserstein_d_loss(real: &Tensor, fake: &Tensor) -> Tensor {
    fake.mean(None) - real.mean(None)
}

/// Generator loss of the critic games (hinge and Wasserstein): `−mean(f)`.
pub fn critic_g_loss(fake: &Tensor) -> Tensor {
    -fake.mean(None)
}

/// Energy-based (EBGAN) discriminator loss with margin `m`, on energies `e ≥ 0` (lower =
/// more real): `mean(e_r) + mean(relu(m − e_f))`: push real energies to 0 and fake
/// energies up to the margin.
pub fn energy_margin_d_loss(real: &Tensor, fake: &Tensor, margin: f64) -> Tensor {
    real.mean(None) + (margin - fake).relu().mean(None)
}

/// Energy-based (EBGAN) generator loss: `mean(e_f)`.
pub fn energy_g_loss(fake: &Tensor) -> Tensor {
    fake.mean(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_slice(v).to_kind(Kind::Double)
    }

    fn val(x: &Tensor) -> f64 {
        assert_eq!(x.dim(), 0, "loss must be a scalar");
        x.double_value(&[])
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    const LN2: f64 = std::f64::consts::LN_2;

    fn ln3() -> f64 {
        3f64.ln()
    }

    #[test]
    fn bce_d_loss_by_hand() {
        // logits 0 and ln 3: σ = 1/2 and 3/4.
        // real, target 1: softplus(−0) = ln 2, softplus(−ln3) = ln(4/3)  → mean ln(8/3)/2
        // fake, target 0: softplus(0) = ln 2, softplus(ln3) = ln 4       → mean 3 ln2 / 2
        let l = t(&[0.0, ln3()]);
        let expected = (8.0f64 / 3.0).ln() / 2.0 + 3.0 * LN2 / 2.0;
        close(val(&bce_d_loss(&l, &l, 1.0, 0.0)), expected);
    }

    #[test]
    fn bce_d_loss_one_sided_smoothing() {
        // BCE(l, t) = softplus(l) − t·l. Real part with t = 0.9:
        //   l = 0: ln 2;  l = ln3: ln 4 − 0.9 ln 3.  Fake part (t = 0) unchanged: 3 ln2 / 2.
        let l = t(&[0.0, ln3()]);
        let real_part = (LN2 + 4f64.ln() - 0.9 * ln3()) / 2.0;
        close(
            val(&bce_d_loss(&l, &l, 0.9, 0.0)),
            real_part + 3.0 * LN2 / 2.0,
        );
    }

    #[test]
    fn bce_d_loss_flip_all_swaps_targets() {
        // flip_prob = 1 swaps every target: real → 0, fake → real_target.
        let r = t(&[2.0, -1.0]);
        let f = t(&[0.5, 3.0]);
        let flipped = val(&bce_d_loss(&r, &f, 0.9, 1.0));
        let swapped = val(&bce_d_loss(&f, &r, 0.9, 0.0));
        close(flipped, swapped);
    }

    #[test]
    fn bce_d_loss_flip_rate_matches_probability() {
        tch::manual_seed(7);
        // All real logits ln 3; per sample the loss is ln(4/3) (kept) or ln 4 (flipped).
        // Fake logits 0 give ln 2 whatever the target. Expectation with p = 0.25:
        //   0.75 ln(4/3) + 0.25 ln 4 + ln 2.
        let n = 4000;
        let r = Tensor::full([n], ln3(), (Kind::Double, tch::Device::Cpu));
        let f = Tensor::zeros([n], (Kind::Double, tch::Device::Cpu));
        let got = val(&bce_d_loss(&r, &f, 1.0, 0.25));
        let expected = 0.75 * (4.0f64 / 3.0).ln() + 0.25 * 4f64.ln() + LN2;
        assert!((got - expected).abs() < 0.03, "{got} vs {expected}");
        let unflipped = (4.0f64 / 3.0).ln() + LN2;
        assert!(got - unflipped > 0.2, "flips must raise the loss: {got}");
    }

    #[test]
    fn generator_bce_losses_by_hand() {
        let l = t(&[0.0, ln3()]);
        // non-saturating: (softplus(0) + softplus(−ln3)) / 2 = (ln2 + ln(4/3)) / 2
        close(val(&non_saturating_g_loss(&l)), (8.0f64 / 3.0).ln() / 2.0);
        // minimax: −(softplus(0) + softplus(ln3)) / 2 = −(ln2 + ln4) / 2
        close(val(&minimax_g_loss(&l)), -1.5 * LN2);
        // max likelihood: −½ (e⁰ + e^{ln3}) / 2 = −½ · 2 = −1
        close(val(&max_likelihood_g_loss(&l)), -1.0);
    }

    #[test]
    fn max_likelihood_is_finite_for_huge_logits() {
        let l = Tensor::from_slice(&[1000.0f32, 0.0]).set_requires_grad(true);
        let loss = max_likelihood_g_loss(&l);
        let v = loss.double_value(&[]);
        let expected = -0.5 * (30f64.exp() + 1.0) / 2.0;
        assert!(v.is_finite());
        assert!(
            (v - expected).abs() / expected.abs() < 1e-6,
            "{v} vs {expected}"
        );
        loss.backward();
        let g = l.grad();
        assert_eq!(g.double_value(&[0]), 0.0, "clamped sample has no gradient");
        close(g.double_value(&[1]), -0.25); // d/dl of −½·(eˡ)/2 at l = 0
    }

    #[test]
    fn minimax_gradient_saturates_non_saturating_does_not() {
        // d/dl of N·minimax = −σ(l); of N·non_saturating = −(1 − σ(l)).
        let logits = [-10.0, -5.0, 0.0, 5.0];
        let n = logits.len() as f64;
        let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());

        let l = t(&logits).set_requires_grad(true);
        (minimax_g_loss(&l) * n).backward();
        let g_mm: Vec<f64> = Vec::try_from(&l.grad()).unwrap();

        let l2 = t(&logits).set_requires_grad(true);
        (non_saturating_g_loss(&l2) * n).backward();
        let g_ns: Vec<f64> = Vec::try_from(&l2.grad()).unwrap();

        for (i, &x) in logits.iter().enumerate() {
            close(g_mm[i], -sigma(x));
            close(g_ns[i], -(1.0 - sigma(x)));
        }
        // D(G(z)) = σ(−10) ≈ 4.5e-5: the minimax signal vanishes, the other does not.
        assert!(g_mm[0].abs() < 1e-4);
        assert!(g_ns[0].abs() > 0.99);
    }

    #[test]
    fn least_squares_by_hand() {
        // D: ½ mean((1−1)², (3−1)²) + ½ mean(0², 2²) = ½·2 + ½·2 = 2
        close(
            val(&least_squares_d_loss(&t(&[1.0, 3.0]), &t(&[0.0, 2.0]))),
            2.0,
        );
        // G: ½ mean((0−1)², (2−1)²) = ½
        close(val(&least_squares_g_loss(&t(&[0.0, 2.0]))), 0.5);
    }

    #[test]
    fn hinge_and_wasserstein_by_hand() {
        let r = t(&[2.0, 0.5]);
        let f = t(&[-3.0, 0.0]);
        // hinge: mean(relu(−1), relu(0.5)) + mean(relu(−2), relu(1)) = 0.25 + 0.5
        close(val(&hinge_d_loss(&r, &f)), 0.75);
        // wasserstein: mean(f) − mean(r) = −1.5 − 1.25
        close(val(&wasserstein_d_loss(&r, &f)), -2.75);
        // G: −mean(f) = 1.5
        close(val(&critic_g_loss(&f)), 1.5);
    }

    #[test]
    fn energy_margin_by_hand() {
        let r = t(&[0.5, 1.5]);
        let f = t(&[0.25, 2.0]);
        // D: mean(0.5, 1.5) + mean(relu(1 − 0.25), relu(1 − 2)) = 1 + 0.375
        close(val(&energy_margin_d_loss(&r, &f, 1.0)), 1.375);
        // margin 3: 1 + mean(2.75, 1) = 2.875
        close(val(&energy_margin_d_loss(&r, &f, 3.0)), 2.875);
        close(val(&energy_g_loss(&f)), 1.125);
    }
}
