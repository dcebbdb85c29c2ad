//! Integration tests for the EBGAN autoencoder discriminator: shapes for every supported
//! sample shape, energies, gradient flow, and that it actually learns to reconstruct.

use gan_models::{AutoencoderConfig, AutoencoderDiscriminator, Discriminator};
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

fn conv_config(ndf: i64) -> AutoencoderConfig {
    AutoencoderConfig {
        ndf: Some(ndf),
        ..AutoencoderConfig::new(6)
    }
}

fn build(cfg: &AutoencoderConfig, shape: &[i64]) -> (nn::VarStore, AutoencoderDiscriminator) {
    let vs = nn::VarStore::new(Device::Cpu);
    let d = cfg.build(&(vs.root() / "ebgan_d"), shape).unwrap();
    (vs, d)
}

/// Images in [-1, 1] like the data pipeline produces.
fn images(n: i64, c: i64, s: i64) -> Tensor {
    Tensor::rand([n, c, s, s], tch::kind::FLOAT_CPU) * 2.0 - 1.0
}

fn assert_shapes(d: &AutoencoderDiscriminator, x: &Tensor) {
    let n = x.size()[0];
    for train in [true, false] {
        let (code, recon) = d.encode_decode(x, train);
        assert_eq!(code.size(), vec![n, d.code_dim()]);
        assert_eq!(recon.size(), x.size());
        let out = d.discriminate(x, None, train);
        assert_eq!(out.score.size(), vec![n]);
        assert!(out.score.min().double_value(&[]) >= 0.0);
        assert_eq!(out.features.unwrap().size(), vec![n, d.code_dim()]);
        assert!(out.class_logits.is_none() && out.q.is_none());
    }
}

#[test]
fn shapes_for_vectors_and_all_image_sizes() {
    tch::manual_seed(0);
    let cfg = AutoencoderConfig {
        hidden: vec![16, 16],
        ..AutoencoderConfig::new(4)
    };
    let (_vs, d) = build(&cfg, &[2]);
    assert_shapes(&d, &Tensor::randn([3, 2], tch::kind::FLOAT_CPU));

    for (c, s) in [(1, 28), (3, 32), (3, 64)] {
        let (_vs, d) = build(&conv_config(8), &[c, s, s]);
        let x = images(3, c, s);
        assert_shapes(&d, &x);
        // tanh output layer: reconstructions stay inside (-1, 1) like the data.
        let (_, recon) = d.encode_decode(&x, false);
        assert!(recon.abs().max().double_value(&[]) < 1.0, "{c}×{s}²");
    }
}

#[test]
fn ndf_32_works_for_mnist_shape() {
    tch::manual_seed(1);
    let (vs, d) = build(&conv_config(32), &[1, 28, 28]);
    assert_shapes(&d, &images(2, 1, 28));
    assert_eq!(
        vs.variables()["ebgan_d.code.weight"].size(),
        vec![6, 64 * 7 * 7]
    );
}

#[test]
fn score_is_the_per_sample_mse_of_the_reconstruction() {
    tch::manual_seed(2);
    let (_vs, d) = build(&conv_config(4), &[3, 32, 32]);
    let x = images(3, 3, 32);
    // Eval mode: batch norm uses running statistics, so both calls see the same network.
    let (_, recon) = d.encode_decode(&x, false);
    let score = d.discriminate(&x, None, false).score;
    let xv = Vec::<f32>::try_from(&x.view([-1])).unwrap();
    let rv = Vec::<f32>::try_from(&recon.view([-1])).unwrap();
    let per = (3 * 32 * 32) as usize;
    for i in 0..3 {
        let mse = (0..per)
            .map(|j| (rv[i * per + j] as f64 - xv[i * per + j] as f64).powi(2))
            .sum::<f64>()
            / per as f64;
        let s = score.double_value(&[i as i64]);
        assert!((s - mse).abs() < 1e-5 * mse.max(1.0), "{s} vs {mse}");
        assert!(s >= 0.0);
    }
}

#[test]
fn gradients_reach_every_trainable_variable() {
    tch::manual_seed(3);
    let mlp = AutoencoderConfig {
        hidden: vec![8, 8],
        ..AutoencoderConfig::new(2)
    };
    let cases = [
        (mlp, vec![2i64]),
        (conv_config(4), vec![1, 28, 28]),
        (conv_config(4), vec![3, 64, 64]),
    ];
    for (cfg, shape) in cases {
        let (vs, d) = build(&cfg, &shape);
        let mut full = vec![4i64];
        full.extend(&shape);
        let x = Tensor::rand(full.as_slice(), tch::kind::FLOAT_CPU) * 2.0 - 1.0;
        d.discriminate(&x, None, true)
            .score
            .mean(Kind::Float)
            .backward();
        let vars = vs.variables();
        let trainable = vs.trainable_variables();
        assert!(!trainable.is_empty());
        for (name, v) in vars {
            if !v.requires_grad() {
                continue; // batch-norm running statistics
            }
            let g = v.grad();
            assert!(g.defined(), "{shape:?}: no gradient for {name}");
            let total = g.abs().sum(Kind::Double).double_value(&[]);
            assert!(
                total.is_finite() && total > 0.0,
                "{shape:?}: zero gradient for {name}"
            );
        }
    }
}

#[test]
fn bad_configs_are_errors_not_panics() {
    let vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let msg =
        |cfg: &AutoencoderConfig, shape: &[i64]| cfg.build(&p, shape).unwrap_err().to_string();
    assert!(msg(&AutoencoderConfig::new(0), &[2]).contains("code_dim"));
    let zero_hidden = AutoencoderConfig {
        hidden: vec![8, 0],
        ..AutoencoderConfig::new(2)
    };
    assert!(msg(&zero_hidden, &[2]).contains("hidden"));
    let ok = AutoencoderConfig::new(2);
    let e = msg(&ok, &[3, 30, 30]);
    assert!(e.contains("30") && e.contains("[28, 32, 64]"), "{e}");
    assert!(msg(&ok, &[1, 2, 3, 4]).contains("sample_shape"));
}

#[test]
fn adam_training_reduces_the_energy_of_a_fixed_batch() {
    tch::manual_seed(4);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = AutoencoderConfig {
        hidden: vec![32, 32],
        ..AutoencoderConfig::new(2)
    };
    let d = cfg.build(&vs.root(), &[2]).unwrap();
    // 16 points on a ring of radius 2 (like the toy 2-D data sets), plus a little noise.
    let angle = Tensor::arange(16, tch::kind::FLOAT_CPU) * (std::f64::consts::TAU / 16.0);
    let x = Tensor::stack(&[angle.cos() * 2.0, angle.sin() * 2.0], 1)
        + Tensor::randn([16, 2], tch::kind::FLOAT_CPU) * 0.05;
    let energy = |train| d.discriminate(&x, None, train).score.mean(Kind::Float);
    let before = energy(false).double_value(&[]);
    let mut opt = nn::Adam::default().build(&vs, 1e-2).unwrap();
    for _ in 0..300 {
        opt.backward_step(&energy(true));
    }
    let after = energy(false).double_value(&[]);
    assert!(
        after * 100.0 < before,
        "energy only went from {before} to {after}"
    );
}
