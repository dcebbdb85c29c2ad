//! `train.precision = "bf16"`: autocast only inside the training forward passes, fp32
//! weights / losses / checkpoints, losses that track fp32 on the first steps, every
//! feature still working, exact resume; fp16 refused on the CPU by name.

use std::path::Path;

use tch::{nn, Device, Kind, Tensor};

use gan_train::trainer::autocast::{self, autocast_enabled, DynamicLossScale};
use gan_train::{ExperimentConfig, Optimizer, OptimizerConfig, StepStats, Trainer};

mod fixtures;
use fixtures::{torch_lock, write_mnist_fixture};

fn dcgan(data: &Path, extra: &[&str]) -> ExperimentConfig {
    let text = format!(
        r#"
        name = "bf16"
        seed = 3
        [data.dataset]
        name = "mnist"
        dir = "{}"
        [generator]
        kind = "dcgan"
        latent_dim = 16
        ngf = 8
        [discriminator]
        kind = "dcgan"
        ndf = 8
        [train]
        steps = 20
        batch_size = 16
        threads = 1
        "#,
        data.display()
    );
    let o: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    ExperimentConfig::from_toml_str(&text, &o).unwrap()
}

fn run(config: ExperimentConfig, steps: u64) -> (Trainer, Vec<StepStats>) {
    let mut t = Trainer::new(config, Device::Cpu).unwrap();
    let stats = (0..steps).map(|_| t.train_step().unwrap()).collect();
    (t, stats)
}

#[test]
fn the_autocast_region_is_bf16_inside_and_fp32_outside() {
    let p = autocast::for_config(gan_train::config::PrecisionSetting::Bf16, Device::Cpu).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let conv = nn::conv2d(vs.root(), 1, 2, 3, Default::default());
    let x = Tensor::randn([1, 1, 5, 5], (Kind::Float, Device::Cpu));
    assert!(!autocast_enabled(Device::Cpu));
    p.enter_forward();
    assert!(autocast_enabled(Device::Cpu));
    let y = x.apply(&conv);
    p.exit_forward();
    assert!(
        !autocast_enabled(Device::Cpu),
        "the previous state is restored"
    );
    assert_eq!(y.kind(), Kind::BFloat16, "convolutions run in bf16 inside");
    assert_eq!(conv.ws.kind(), Kind::Float, "on fp32 weights");
    assert_eq!(x.apply(&conv).kind(), Kind::Float, "and in fp32 outside");
    assert_eq!(autocast::to_fp32(y).kind(), Kind::Float);
}

#[test]
fn bf16_losses_track_fp32_on_the_first_steps_and_state_stays_fp32() {
    let _rng = torch_lock();
    let data = tempfile::tempdir().unwrap();
    write_mnist_fixture(data.path(), 64);
    let (_, fp32) = run(dcgan(data.path(), &[]), 5);
    let (bf16, low) = run(dcgan(data.path(), &["train.precision=\"bf16\""]), 5);
    for (a, b) in fp32.iter().zip(&low) {
        // bf16 keeps 8 bits of mantissa: about 2 decimal digits per op; these networks
        // compound a few dozen ops, so the losses agree to a few percent.
        for (x, y, what) in [
            (a.d_loss, b.d_loss, "D loss"),
            (a.g_loss, b.g_loss, "G loss"),
        ] {
            assert!(y.is_finite(), "step {}: bf16 {what} {y}", a.step);
            assert!(
                (x - y).abs() <= 0.05 * x.abs().max(1.0),
                "step {}: {what} fp32 {x} vs bf16 {y}",
                a.step
            );
        }
    }
    // Any difference at all shows autocast was on.
    assert!(fp32.iter().zip(&low).any(|(a, b)| a.d_loss != b.d_loss));
    for (name, t) in bf16
        .generator_vars()
        .variables()
        .into_iter()
        .chain(bf16.discriminator_vars().variables())
    {
        assert_eq!(t.kind(), Kind::Float, "{name}");
    }
    // Sampling is fp32 and outside autocast.
    assert_eq!(bf16.sample(4).unwrap().kind(), Kind::Float);
    assert!(!autocast_enabled(Device::Cpu));
}

#[test]
fn every_feature_trains_under_bf16() {
    let _rng = torch_lock();
    let data = tempfile::tempdir().unwrap();
    write_mnist_fixture(data.path(), 64);
    let features: &[&[&str]] = &[
        &[
            "loss.kind=\"wasserstein\"",
            "train.gradient_penalty=10.0",
            "train.d_steps=2",
        ],
        &["generator.norm=\"virtual\""],
        &["discriminator.minibatch_std=true"],
        &["discriminator.minibatch_discrimination={kernels=4, kernel_dim=3}"],
        &["train.ema=0.9"],
        &["train.schedule=\"simultaneous\""],
        &["train.historical_averaging=0.1"],
        &["train.feature_matching=true"],
        &["loss.kind=\"hinge\"", "train.channels_last=false"],
    ];
    for extra in features {
        let mut o = extra.to_vec();
        o.push("train.precision=\"bf16\"");
        let config = ExperimentConfig::from_toml_str(
            &toml::to_string(&dcgan(data.path(), &[])).unwrap(),
            &o.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        let (t, stats) = run(config, 3);
        for s in &stats {
            assert!(
                s.d_loss.is_finite() && s.g_loss.is_finite(),
                "{extra:?}: step {} losses {} {}",
                s.step,
                s.d_loss,
                s.g_loss
            );
        }
        assert!(t.sample(2).unwrap().isfinite().all().int64_value(&[]) == 1);
    }
}

#[test]
fn bf16_resume_is_exact() {
    let _rng = torch_lock();
    let data = tempfile::tempdir().unwrap();
    write_mnist_fixture(data.path(), 64);
    let dir = tempfile::tempdir().unwrap();
    let config = dcgan(data.path(), &["train.precision=\"bf16\""]);
    let (full, all) = run(config.clone(), 8);
    let (first, head) = run(config, 3);
    let mid = dir.path().join("mid.safetensors");
    first
        .save_checkpoint(&mid, serde_json::Value::Null)
        .unwrap();
    drop(first);
    let mut resumed = Trainer::resume(&mid, Device::Cpu).unwrap();
    assert_eq!(
        resumed.config().train.precision,
        gan_train::config::PrecisionSetting::Bf16
    );
    let tail: Vec<StepStats> = (0..5).map(|_| resumed.train_step().unwrap()).collect();
    let bits = |s: &[StepStats]| -> Vec<(u64, u64)> {
        s.iter()
            .map(|s| (s.d_loss.to_bits(), s.g_loss.to_bits()))
            .collect()
    };
    assert_eq!(bits(&all), bits(&[head, tail].concat()));
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    full.save_checkpoint(&a, serde_json::Value::Null).unwrap();
    resumed
        .save_checkpoint(&b, serde_json::Value::Null)
        .unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn fp16_is_refused_on_the_cpu_by_name() {
    let data = tempfile::tempdir().unwrap();
    write_mnist_fixture(data.path(), 16);
    let e = Trainer::new(
        dcgan(data.path(), &["train.precision=\"fp16\""]),
        Device::Cpu,
    )
    .err()
    .expect("fp16 on the CPU is refused")
    .to_string();
    assert!(e.contains("train.precision") && e.contains("bf16"), "{e}");
    let e = ExperimentConfig::from_toml_str(
        &toml::to_string(&dcgan(data.path(), &[])).unwrap(),
        &["train.precision=\"fp8\"".to_string()],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("train.precision"), "{e}");
}

#[test]
fn the_loss_scale_skips_overflowing_steps_and_grows_after_good_ones() {
    let vs = nn::VarStore::new(Device::Cpu);
    let w = vs.root().var("w", &[2], nn::Init::Const(1.0));
    let opt = Optimizer::for_var_store(&OptimizerConfig::default(), &vs);
    let mut scale = DynamicLossScale::default();
    // A scaled loss whose gradient is finite: unscaled back to the true gradient.
    (&w * 3.0 * scale.scale).sum(Kind::Float).backward();
    assert!(scale.unscale_and_check(&opt));
    assert_eq!(Vec::<f32>::try_from(w.grad()).unwrap(), [3.0, 3.0]);
    assert_eq!((scale.scale, scale.good_steps), (65536.0, 1));
    // An overflow: the step is skipped and the scale halved.
    let _ = w.grad().zero_();
    (&w * f64::INFINITY).sum(Kind::Float).backward();
    assert!(!scale.unscale_and_check(&opt));
    assert_eq!((scale.scale, scale.good_steps), (32768.0, 0));
    // 2,000 good steps double it.
    for _ in 0..autocast::GROWTH_INTERVAL {
        let _ = w.grad().zero_();
        (&w * 1.0).sum(Kind::Float).backward();
        assert!(scale.unscale_and_check(&opt));
    }
    assert_eq!((scale.scale, scale.good_steps), (65536.0, 0));
}
