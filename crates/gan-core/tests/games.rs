//! End-to-end checks of the adversarial losses: under every game a discriminator trained
//! by gradient descent on its loss learns to tell real from fake, and a generator trained
//! on its loss against a fixed discriminator moves towards the data. Also checks that the
//! gradient penalty trains through a small `tch::nn` critic.

use gan_core::{clip_weights, gradient_penalty, AdversarialLoss, LossKind};
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// Score of a 1-D linear discriminator `w·x + b`; for the energy game the energy is
/// `softplus(−(w·x + b))`, so "more real" still means larger `w·x + b`.
fn score(kind: LossKind, w: &Tensor, b: &Tensor, x: &Tensor) -> Tensor {
    let raw = x * w + b;
    if kind == LossKind::EnergyMargin {
        (-raw).softplus()
    } else {
        raw
    }
}

fn sgd_step(params: &[&Tensor], lr: f64) {
    tch::no_grad(|| {
        for p in params {
            let g = p.grad();
            let _ = p.shallow_clone().f_sub_(&(g * lr)).unwrap();
            let _ = p.grad().zero_();
        }
    });
}

#[test]
fn discriminator_learns_to_separate_under_every_game() {
    for kind in LossKind::ALL {
        tch::manual_seed(42);
        // One-sided label smoothing where it applies (the BCE games).
        let real_target = if kind.is_bce_family() { 0.9 } else { 1.0 };
        let loss = AdversarialLoss {
            kind,
            real_target,
            ..AdversarialLoss::new(kind)
        };
        loss.validate().unwrap();
        let real = Tensor::randn([128], (Kind::Double, Device::Cpu)) * 0.1 + 2.0;
        let fake = Tensor::randn([128], (Kind::Double, Device::Cpu)) * 0.1 - 2.0;
        let w = Tensor::from_slice(&[-0.1f64]).set_requires_grad(true);
        let b = Tensor::from_slice(&[0.0f64]).set_requires_grad(true);
        let d_loss = |w: &Tensor, b: &Tensor| {
            loss.d_loss(&score(kind, w, b, &real), &score(kind, w, b, &fake))
        };
        let initial = d_loss(&w, &b).double_value(&[]);
        for _ in 0..200 {
            d_loss(&w, &b).backward();
            sgd_step(&[&w, &b], 0.05);
            if kind == LossKind::Wasserstein {
                clip_weights(&[w.shallow_clone(), b.shallow_clone()], 1.0).unwrap();
            }
        }
        let last = d_loss(&w, &b).double_value(&[]);
        assert!(last < initial - 0.1, "{kind}: D loss {initial} → {last}");
        assert!(
            w.double_value(&[0]) > 0.0,
            "{kind}: real scored as more real"
        );
    }
}

#[test]
fn generator_moves_towards_data_under_every_game() {
    for kind in LossKind::ALL {
        tch::manual_seed(7);
        let loss = AdversarialLoss::new(kind);
        // Fixed discriminator: larger x is more real (data lives at larger x).
        let w = Tensor::from_slice(&[1.0f64]);
        let b = Tensor::from_slice(&[0.0f64]);
        let theta = Tensor::from_slice(&[-1.0f64]).set_requires_grad(true);
        let z = Tensor::randn([64], (Kind::Double, Device::Cpu)) * 0.1;
        // Real samples at x ≈ 1 (scored for the games whose G loss reads them).
        let real = score(kind, &w, &b, &(&z + 1.0));
        let g_loss = |theta: &Tensor| {
            loss.g_loss(&score(kind, &w, &b, &(&z + theta)), Some(&real))
                .unwrap()
        };
        let initial = g_loss(&theta).double_value(&[]);
        for _ in 0..20 {
            g_loss(&theta).backward();
            sgd_step(&[&theta], 0.1);
        }
        let last = g_loss(&theta).double_value(&[]);
        assert!(
            theta.double_value(&[0]) > -1.0 + 1e-3,
            "{kind}: θ did not move"
        );
        assert!(last < initial, "{kind}: G loss {initial} → {last}");
    }
}

#[test]
fn gradient_penalty_trains_an_mlp_critic() {
    tch::manual_seed(0);
    let vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let critic = nn::seq()
        .add(nn::linear(&p / "l1", 2, 16, Default::default()))
        .add_fn(|x| x.tanh())
        .add(nn::linear(&p / "l2", 16, 1, Default::default()));
    let mut opt = nn::Adam::default().build(&vs, 1e-2).unwrap();
    let real = Tensor::randn([64, 2], (Kind::Float, Device::Cpu)) + 2.0;
    let fake = Tensor::randn([64, 2], (Kind::Float, Device::Cpu));
    let score = |x: &Tensor| critic.forward(x).squeeze_dim(1);
    let gp_of = || gradient_penalty(score, &real, &fake).unwrap();
    let initial = gp_of().double_value(&[]);
    for _ in 0..100 {
        let gp = gp_of();
        opt.zero_grad();
        gp.backward();
        // Every weight that shapes ∇ₓD gets a finite gradient; the output bias does not
        // affect ∇ₓD, so it gets none.
        for (name, v) in vs.variables() {
            let g = v.grad();
            if name == "l2.bias" {
                assert!(!g.defined() || g.abs().sum(Kind::Double).double_value(&[]) == 0.0);
            } else {
                assert!(g.defined(), "{name} has no gradient");
                assert!(
                    g.isfinite().all().int64_value(&[]) == 1,
                    "{name}: finite gradient"
                );
                assert!(
                    g.abs().sum(Kind::Double).double_value(&[]) > 0.0,
                    "{name}: non-zero"
                );
            }
        }
        opt.step();
    }
    let last = gp_of().double_value(&[]);
    assert!(initial > 0.05, "{initial}");
    assert!(
        last < 0.1 * initial,
        "penalty minimized through the critic: {initial} → {last}"
    );
}
