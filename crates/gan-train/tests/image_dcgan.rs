//! DCGAN image runs end to end on tiny on-disk fixtures (IDX for 28×28, CIFAR-10 binary
//! for 32×32): config → networks → training steps with every loss and the seeds' tricks
//! → fixed-noise PNG grids → checkpoint / resume.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use tch::{Device, Kind, Tensor};

use gan_train::observe::{Checkpointer, Observer, SampleGrid};
use gan_train::{ExperimentConfig, Trainer};

mod fixtures;
use fixtures::{torch_lock, write_mnist_fixture};

/// `<dir>/cifar10/cifar-10-batches-bin/` with `per_batch` records in each batch file.
fn write_cifar_fixture(dir: &Path, per_batch: usize) {
    let d = dir.join("cifar10").join("cifar-10-batches-bin");
    std::fs::create_dir_all(&d).unwrap();
    let mut bytes = Vec::new();
    for i in 0..per_batch {
        bytes.push((i % 10) as u8);
        bytes.extend((0..3072).map(|j| ((i * 31 + j * 7) % 256) as u8));
    }
    for name in (1..=5)
        .map(|i| format!("data_batch_{i}.bin"))
        .chain(["test_batch.bin".to_string()])
    {
        std::fs::write(d.join(name), &bytes).unwrap();
    }
}

fn config(data_dir: &Path, dataset: &str, extra: &[&str]) -> ExperimentConfig {
    let text = format!(
        r#"
        name = "dcgan-test"
        seed = 7
        [data.dataset]
        name = "{dataset}"
        dir = "{}"
        [generator]
        kind = "dcgan"
        latent_dim = 16
        ngf = 8
        [discriminator]
        kind = "dcgan"
        ndf = 8
        [train]
        steps = 4
        batch_size = 16
        device = "cpu"
        threads = 1
        [log]
        every = 1
        samples_every = 2
        checkpoint_every = 0
        "#,
        data_dir.display()
    );
    let o: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    ExperimentConfig::from_toml_str(&text, &o).unwrap()
}

#[test]
fn dcgan_run_writes_grids_and_resumes_exactly() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 64);
    let run = tempfile::TempDir::new().unwrap();
    let mut t = Trainer::new(config(data.path(), "mnist", &[]), Device::Cpu).unwrap();
    let mut observers: Vec<Box<dyn Observer>> = vec![
        Box::new(SampleGrid::new(run.path(), 2)),
        Box::new(Checkpointer::new(run.path(), 0)),
    ];
    t.run(&mut observers, &AtomicBool::new(false)).unwrap();
    assert_eq!(t.step(), 4);
    for name in ["step_000000", "step_000002", "step_000004", "final"] {
        let img = image::open(run.path().join("samples").join(format!("{name}.png")))
            .unwrap()
            .to_rgb8();
        // 8 × 8 tiles of 28 px with 2 px padding.
        assert_eq!((img.width(), img.height()), (242, 242), "{name}");
    }
    // The generator makes [N, 1, 28, 28] images in (−1, 1) from [N, latent] noise.
    let z = Tensor::randn([5, 16], (Kind::Float, Device::Cpu));
    let x = tch::no_grad(|| t.generator().generate(&z, None, false));
    assert_eq!(x.size(), vec![5, 1, 28, 28]);
    assert!(x.abs().max().double_value(&[]) <= 1.0);
    // Resuming restores the exact weights and batch-norm statistics.
    let ck = run.path().join("checkpoints").join("latest.safetensors");
    let back = Trainer::resume(&ck, Device::Cpu).unwrap();
    assert_eq!(back.step(), 4);
    let y = tch::no_grad(|| back.generator().generate(&z, None, false));
    assert!(x.allclose(&y, 1e-6, 1e-6, false));
}

#[test]
fn dcgan_weights_get_the_dcgan_init() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 16);
    let cfg = config(
        data.path(),
        "mnist",
        &["generator.ngf=32", "discriminator.ndf=32"],
    );
    let t = Trainer::new(cfg, Device::Cpu).unwrap();
    for vs in [t.generator_vars(), t.discriminator_vars()] {
        for (name, v) in vs.variables() {
            if v.dim() == 4 {
                let std = v.std(true).double_value(&[]);
                assert!((std - 0.02).abs() < 0.004, "{name}: std {std}");
            }
        }
    }
}

#[test]
fn every_loss_and_trick_trains_a_32px_dcgan() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_cifar_fixture(data.path(), 8);
    let tricks: &[&[&str]] = &[
        &["generator.norm=virtual", "generator.vbn_reference_size=8"],
        &["discriminator.minibatch_std=true"],
        &[
            "discriminator.minibatch_discrimination={ kernels = 4, kernel_dim = 3 }",
            "discriminator.features_layer_batch_norm=false",
        ],
        &["generator.norm=none"],
        &[
            "train.feature_matching=true",
            "discriminator.features_layer_batch_norm=false",
            "train.historical_averaging=0.01",
        ],
    ];
    for trick in tricks {
        let mut t = Trainer::new(config(data.path(), "cifar10", trick), Device::Cpu).unwrap();
        let s = t.train_step().unwrap();
        assert!(s.d_loss.is_finite() && s.g_loss.is_finite(), "{trick:?}");
        let x = t.sample(3).unwrap();
        assert_eq!(x.size(), vec![3, 3, 32, 32], "{trick:?}");
    }
    for loss in [
        "minimax",
        "non_saturating",
        "max_likelihood",
        "least_squares",
        "hinge",
        "wasserstein",
        "relativistic_average",
    ] {
        let cfg = config(data.path(), "cifar10", &[&format!("loss.kind={loss}")]);
        let mut t = Trainer::new(cfg, Device::Cpu).unwrap();
        let s = t.train_step().unwrap();
        assert!(
            s.d_loss.is_finite() && s.g_loss.is_finite(),
            "{loss}: {s:?}"
        );
    }
}

#[test]
fn dcgan_on_unsupported_data_names_the_key() {
    let _rng = torch_lock();
    let text = r#"
        name = "t"
        [data.toy]
        kind = "gaussian"
        mean = 0.0
        std = 1.0
        [generator]
        kind = "dcgan"
        [discriminator]
        kind = "mlp"
        hidden = [4]
    "#;
    let cfg = ExperimentConfig::from_toml_str(text, &[]).unwrap();
    let err = Trainer::new(cfg, Device::Cpu).err().unwrap().to_string();
    assert!(err.contains("generator.kind"), "{err}");
    assert!(err.contains("[28, 32, 64]"), "{err}");

    let bad = ExperimentConfig::from_toml_str(text, &["generator.ngf=0".into()])
        .unwrap_err()
        .to_string();
    assert!(bad.contains("generator.ngf"), "{bad}");
    let unknown = ExperimentConfig::from_toml_str(text, &["generator.ngff=3".into()])
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("ngff"), "{unknown}");
}

#[test]
fn shipped_dcgan_configs_parse() {
    let _rng = torch_lock();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    for name in ["dcgan-fashion-mnist", "dcgan-mnist", "dcgan-cifar10"] {
        let cfg = ExperimentConfig::load(&dir.join(format!("{name}.toml")), &[]).unwrap();
        assert_eq!(cfg.name, name);
        assert!(matches!(
            cfg.generator,
            gan_train::config::GeneratorSpec::Dcgan(_)
        ));
        assert_eq!(cfg.train.batch_size, 64);
    }
}

#[test]
fn same_seed_gives_identical_dcgan_weights() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 16);
    let weights = |t: &Trainer| {
        let mut v: Vec<(String, Tensor)> = t
            .generator_vars()
            .variables()
            .into_iter()
            .chain(t.discriminator_vars().variables())
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let a = Trainer::new(config(data.path(), "mnist", &[]), Device::Cpu).unwrap();
    let b = Trainer::new(config(data.path(), "mnist", &[]), Device::Cpu).unwrap();
    for ((name, x), (_, y)) in weights(&a).iter().zip(weights(&b).iter()) {
        assert!(
            x.equal(y),
            "{name} differs between two builds with one seed"
        );
    }
}

#[test]
fn generator_step_freezes_the_discriminator_only_while_it_runs() {
    // The G step freezes D so autograd skips D's weight gradients; afterwards D must be
    // trainable again (or the next D step would have nothing to update).
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 64);
    let mut t = Trainer::new(config(data.path(), "mnist", &[]), Device::Cpu).unwrap();
    for _ in 0..2 {
        t.train_step().unwrap();
        let d_vars = t.discriminator_vars().trainable_variables();
        assert!(!d_vars.is_empty());
        assert!(d_vars.iter().all(Tensor::requires_grad), "D left frozen");
        assert!(
            d_vars.iter().all(|v| v.grad().defined()),
            "D step left no gradient"
        );
        assert!(t
            .generator_vars()
            .trainable_variables()
            .iter()
            .all(|v| v.grad().defined()));
    }
}

#[test]
fn channels_last_networks_train_like_plain_ones() {
    // `train.channels_last` changes strides, not values: the same weights, and the same
    // first losses up to float rounding of the different convolution kernels.
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_cifar_fixture(data.path(), 16);
    let build = |on: bool| {
        let set = format!("train.channels_last={on}");
        Trainer::new(config(data.path(), "cifar10", &[&set]), Device::Cpu).unwrap()
    };
    let (mut nhwc, mut plain) = (build(true), build(false));
    let weights = |t: &Trainer| {
        let mut v: Vec<_> = t.discriminator_vars().variables().into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let mut converted = 0;
    for ((name, a), (_, b)) in weights(&nhwc).iter().zip(weights(&plain)) {
        assert!(a.equal(&b), "{name} differs");
        if a.dim() == 4 {
            assert!(
                gan_models::is_channels_last(a),
                "{name} is not channels-last"
            );
            assert!(
                !gan_models::is_channels_last(&b),
                "{name}: plain run converted"
            );
            converted += 1;
        }
    }
    assert!(converted >= 3, "{converted} convolution weights");
    for step in 0..2 {
        let (a, b) = (nhwc.train_step().unwrap(), plain.train_step().unwrap());
        for (what, x, y) in [("D", a.d_loss, b.d_loss), ("G", a.g_loss, b.g_loss)] {
            assert!((x - y).abs() < 1e-4, "step {step}: {what} loss {x} vs {y}");
        }
    }
    let sample = nhwc.sample(4).unwrap();
    assert_eq!(sample.size(), vec![4, 3, 32, 32]);
}
