//! Integration test: an unrolled-GAN step through `MlpDiscriminator::forward_with`.
//!
//! The discriminator is updated by one differentiable SGD step `θ' = θ − η ∇θ L_D(θ, x)`
//! (create_graph), and the generator-side loss is evaluated with `θ'`. The gradient of that
//! loss with respect to the fake samples `x` must include the term that flows through the
//! update, so it differs from the gradient with `θ` held fixed.

use gan_models::{Activation, Discriminator, MlpConfig};
use tch::{nn, Device, Kind, Tensor};

#[test]
fn second_order_gradients_flow_through_forward_with() {
    tch::manual_seed(42);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = MlpConfig {
        activation: Activation::Tanh,
        ..MlpConfig::new(2, vec![16, 16], 1)
    };
    let d = cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
    let real = Tensor::randn([32, 2], tch::kind::FLOAT_CPU) + 2.0;
    let fake = Tensor::randn([32, 2], tch::kind::FLOAT_CPU).set_requires_grad(true);
    let params = d.parameters();

    // Discriminator loss (non-saturating BCE on logits) and one differentiable SGD step.
    let d_loss = |ps: &[Tensor]| {
        let real_s = d.forward_with(ps, &real, None, true).score;
        let fake_s = d.forward_with(ps, &fake, None, true).score;
        ((-real_s).softplus() + fake_s.softplus()).mean(Kind::Float)
    };
    let grads = Tensor::run_backward(&[d_loss(&params)], &params, true, true);
    let unrolled: Vec<Tensor> = params
        .iter()
        .zip(grads.iter())
        .map(|(p, g)| p - g * 0.5)
        .collect();

    let g_loss = |ps: &[Tensor]| {
        (-d.forward_with(ps, &fake, None, true).score)
            .softplus()
            .mean(Kind::Float)
    };
    let dx_unrolled = &Tensor::run_backward(&[g_loss(&unrolled)], &[&fake], true, false)[0];
    let dx_fixed = &Tensor::run_backward(&[g_loss(&params)], &[&fake], true, false)[0];
    assert_eq!(dx_unrolled.size(), vec![32, 2]);
    assert!(bool::try_from(dx_unrolled.isfinite().all()).unwrap());
    let diff = (dx_unrolled - dx_fixed).abs().max().double_value(&[]);
    assert!(
        diff > 1e-6,
        "unrolling had no effect on the generator gradient"
    );

    // The fixed-parameter path equals the stored-parameter discriminator.
    let stored = (-d.discriminate(&fake, None, true).score)
        .softplus()
        .mean(Kind::Float);
    let dx_stored = &Tensor::run_backward(&[stored], &[&fake], false, false)[0];
    assert_eq!(dx_stored, dx_fixed);
}
