//! The GAN family end to end on tiny on-disk fixtures: conditional GAN, AC-GAN, InfoGAN,
//! EBGAN and the semi-supervised GAN each train from a config, produce their pictures,
//! resume exactly, and (AC-GAN, semi-supervised, InfoGAN, EBGAN) reach a quality
//! threshold on data where the right answer is known. Bad variant configs fail early
//! with the key named.
//!
//! The fixture (see `fixtures/`): 28×28 images whose bright 8×8 square sits at offset
//! `2 + 2·label`, so the class of an image can be read off its pixels.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use tch::{Device, Kind, Tensor};

use gan_data::Source;
use gan_train::observe::{Checkpointer, Observer, SampleGrid};
use gan_train::{variant_eval, ExperimentConfig, Trainer};

mod fixtures;
use fixtures::{square_offset, torch_lock, write_mnist_fixture};

/// Small MLP networks for the fixture.
const MLP_NETS: &str = r#"
        [generator]
        kind = "mlp"
        latent_dim = 8
        hidden = [64]
        output_activation = "tanh"
        [discriminator]
        kind = "mlp"
        hidden = [64, 32]
"#;

/// Small DCGAN networks for the fixture.
const DCGAN_NETS: &str = r#"
        [generator]
        kind = "dcgan"
        latent_dim = 16
        ngf = 8
        [discriminator]
        kind = "dcgan"
        ndf = 8
"#;

/// A config on the fixture with small MLP networks; `variant` and `extra` are TOML
/// fragments / `--set` overrides.
fn config(data_dir: &Path, variant: &str, extra: &[&str]) -> ExperimentConfig {
    config_with(data_dir, variant, MLP_NETS, extra)
}

fn config_with(data_dir: &Path, variant: &str, nets: &str, extra: &[&str]) -> ExperimentConfig {
    let text = format!(
        r#"
        name = "family-test"
        seed = 3
        [data.dataset]
        name = "mnist"
        dir = "{}"
        [variant]
        {variant}
        {nets}
        [train]
        steps = 4
        batch_size = 20
        device = "cpu"
        threads = 1
        [optim.generator]
        lr = 2e-3
        [optim.discriminator]
        lr = 2e-3
        [log]
        every = 1
        samples_every = 0
        checkpoint_every = 0
        "#,
        data_dir.display()
    );
    let o: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    ExperimentConfig::from_toml_str(&text, &o).unwrap()
}

fn config_err(data_dir: &Path, variant: &str, extra: &[&str]) -> String {
    let text = config(data_dir, "kind = \"unconditional\"", &[]).to_toml();
    let text = text.replace("[variant]\nkind = \"unconditional\"", variant);
    let o: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    match ExperimentConfig::from_toml_str(&text, &o) {
        Ok(c) => match Trainer::new(c, Device::Cpu) {
            Ok(_) => panic!("expected an error for {variant} {extra:?}"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

/// The class whose square position best matches each image `[N, 1, 28, 28]` (the mean
/// brightness of each class's 8×8 window, arg-max).
fn read_classes(images: &Tensor) -> Tensor {
    let scores: Vec<Tensor> = (0..10)
        .map(|c| {
            let o = square_offset(c);
            images.narrow(2, o, 8).narrow(3, o, 8).mean_dim(
                [1i64, 2, 3].as_slice(),
                false,
                Kind::Float,
            )
        })
        .collect();
    Tensor::stack(&scores, 1).argmax(1, false)
}

/// Every variable of `a` equals its namesake in `b`, and both hold the same names.
fn assert_same_variables(a: &tch::nn::VarStore, b: &tch::nn::VarStore) {
    let (a, b) = (a.variables(), b.variables());
    let mut names: Vec<_> = a.keys().collect();
    names.sort();
    let mut other: Vec<_> = b.keys().collect();
    other.sort();
    assert_eq!(names, other);
    for name in names {
        assert!(a[name].equal(&b[name]), "{name} differs after resume");
    }
}

fn train(config: ExperimentConfig, observers: &mut [Box<dyn Observer>]) -> Trainer {
    let mut t = Trainer::new(config, Device::Cpu).unwrap();
    t.run(observers, &AtomicBool::new(false)).unwrap();
    t
}

#[test]
fn acgan_samples_show_the_requested_class() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 200);
    let cfg = config_with(
        data.path(),
        "kind = \"acgan\"\nfake_class_loss = false",
        DCGAN_NETS,
        &["train.steps=300", "train.batch_size=50"],
    );
    let t = train(cfg, &mut []);
    // The oracle reads the real test images perfectly.
    let test = gan_data::load(
        gan_data::DatasetName::Mnist,
        data.path(),
        gan_data::Split::Test,
    )
    .unwrap();
    assert!(read_classes(&test.images).equal(&test.labels));
    let mut hits = 0.0;
    for class in 0..10 {
        let input = t
            .conditioning()
            .draw(20, Device::Cpu, None, Some(class))
            .unwrap();
        let x = t.sample_from(&input);
        assert_eq!(x.size(), vec![20, 1, 28, 28]);

        hits += read_classes(&x)
            .eq(class)
            .to_kind(Kind::Double)
            .mean(Kind::Double)
            .double_value(&[]);
    }
    let agreement = hits / 10.0;
    assert!(agreement >= 0.9, "class agreement {agreement}");
}

#[test]
fn acgan_paper_loss_also_trains_the_class_head_on_fakes() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 60);
    let cfg = config(data.path(), "kind = \"acgan\"", &[]);
    assert!(matches!(
        cfg.variant,
        gan_train::Variant::AuxiliaryClassifier {
            fake_class_loss: true,
            ..
        }
    ));
    let mut t = Trainer::new(cfg, Device::Cpu).unwrap();
    let s = t.train_step().unwrap();
    // aux = the class cross-entropy on real data: about ln 10 for an untrained head.
    let aux = s.aux.unwrap();
    assert!((aux - 10f64.ln()).abs() < 1.0, "{aux}");
}

#[test]
fn conditional_gan_trains_and_writes_a_class_by_row_grid() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 60);
    let run = tempfile::TempDir::new().unwrap();
    let cfg = config(data.path(), "kind = \"conditional\"", &[]);
    let mut obs: Vec<Box<dyn Observer>> = vec![Box::new(SampleGrid::new(run.path(), 0))];
    let t = train(cfg, &mut obs);
    assert_eq!(t.conditioning().label_classes(), Some(10));
    // 10 rows (classes) × 10 columns of 28 px tiles with 2 px padding.
    let img = image::open(run.path().join("samples/final.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!((img.width(), img.height()), (302, 302));
    // The D really uses the label: the same image scores differently under two labels.
    let x = Tensor::rand([4, 1, 28, 28], (Kind::Float, Device::Cpu));
    let a = t.discriminator().discriminate(
        &x,
        Some(&Tensor::zeros([4], (Kind::Int64, Device::Cpu))),
        false,
    );
    let b = t.discriminator().discriminate(
        &x,
        Some(&Tensor::ones([4], (Kind::Int64, Device::Cpu))),
        false,
    );
    assert!((a.score - b.score).abs().max().double_value(&[]) > 0.0);
}

#[test]
fn infogan_q_recovers_the_categorical_code() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 60);
    let run = tempfile::TempDir::new().unwrap();
    let cfg = config(
        data.path(),
        "kind = \"infogan\"\ncategorical = 4\ncontinuous = 1",
        &["train.steps=300", "generator.latent_dim=12"],
    );
    let mut obs: Vec<Box<dyn Observer>> = vec![Box::new(SampleGrid::new(run.path(), 0))];
    let t = train(cfg, &mut obs);
    assert_eq!(t.conditioning().noise_dim(), 12);
    // Q's categorical prediction on fresh samples matches the code that made them far
    // above chance (1/4): the mutual-information term is being maximised.
    tch::manual_seed(11);
    let input = t.draw_inputs(400).unwrap();
    let x = t.sample_from(&input);
    let out = tch::no_grad(|| t.discriminator().discriminate(&x, None, false));
    let q = out.q.unwrap();
    assert_eq!(q.size(), vec![400, 4 + 2]);
    let acc =
        gan_core::class_accuracy(&q.narrow(1, 0, 4), input.categorical.as_ref().unwrap()).unwrap();
    assert!(acc > 0.9, "Q recovers the code for {acc} of samples");
    for name in ["final.png", "traversal_c0.png"] {
        let img = image::open(run.path().join("samples").join(name)).unwrap();
        // 4 rows (categorical values) × 10 columns.
        assert_eq!((img.width(), img.height()), (302, 122), "{name}");
    }
}

#[test]
fn semi_supervised_gan_learns_from_few_labels_and_resumes_exactly() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 200);
    let run = tempfile::TempDir::new().unwrap();
    let variant = "kind = \"semi_supervised\"\nlabels = 20\nlabeled_batch_size = 10";
    let extra = ["train.steps=60", "train.feature_matching=true"];
    let cfg = config(data.path(), variant, &extra);
    let mut obs: Vec<Box<dyn Observer>> = vec![Box::new(Checkpointer::new(run.path(), 30))];
    let t = train(cfg.clone(), &mut obs);
    let test = gan_data::load(
        gan_data::DatasetName::Mnist,
        data.path(),
        gan_data::Split::Test,
    )
    .unwrap();
    let error = variant_eval::test_classification_error(&t, &test).unwrap();
    assert!(error < 0.05, "test error {error}");
    // The class head gives 10 logits and the score is their logsumexp.
    let out = tch::no_grad(|| {
        t.discriminator()
            .discriminate(&test.images.narrow(0, 0, 5), None, false)
    });
    let logits = out.class_logits.unwrap();
    assert_eq!(logits.size(), vec![5, 10]);
    assert!(out.score.allclose(
        &logits.logsumexp([1i64].as_slice(), false),
        1e-5,
        1e-5,
        false
    ));

    // Resume from step 30 and finish: bit-identical to the uninterrupted run, so the
    // labelled loader's cursor was restored too.
    let mut half = Trainer::new(cfg, Device::Cpu).unwrap();
    half.set_total_steps(30).unwrap();
    let ck = run.path().join("half.safetensors");
    half.run(&mut [], &AtomicBool::new(false)).unwrap();
    half.save_checkpoint(&ck, serde_json::Value::Null).unwrap();
    let mut resumed = Trainer::resume(&ck, Device::Cpu).unwrap();
    resumed.set_total_steps(60).unwrap();
    resumed.run(&mut [], &AtomicBool::new(false)).unwrap();
    assert_same_variables(t.discriminator_vars(), resumed.discriminator_vars());
}

/// Salimans et al.'s MNIST recipe in miniature: a weight-normalised D (data-dependent
/// initialisation, Gaussian noise, ReLU) and a batch-normed softplus G with a sigmoid
/// output on `[0, 1]` pixels and uniform noise.
const SALIMANS_NETS: &str = r#"
        [generator]
        kind = "mlp"
        latent_dim = 16
        hidden = [64, 64]
        activation = "softplus"
        output_activation = "sigmoid"
        batch_norm = true
        weight_norm = "output"
        latent_distribution = "uniform"
        [discriminator]
        kind = "mlp"
        hidden = [64, 32]
        activation = "relu"
        input_noise = 0.3
        hidden_noise = 0.5
        weight_norm = "all"
        data_init_samples = 100
"#;

#[test]
fn salimans_recipe_initialises_from_data_learns_and_resumes_exactly() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 200);
    let variant = "kind = \"semi_supervised\"\nlabels = 20\nunsupervised_weight = 0.5";
    let extra = [
        "train.steps=60",
        "train.feature_matching=true",
        "data.dataset.pixel_range=zero_one",
    ];
    let cfg = config_with(data.path(), variant, SALIMANS_NETS, &extra);

    // The data-dependent initialisation ran: D's first layer is standardised on real
    // data, so its scales moved away from 1 and its pre-activations on (noisy) real
    // images are centred with unit spread.
    let fresh = Trainer::new(cfg.clone(), Device::Cpu).unwrap();
    let vars = fresh.discriminator_vars().variables();
    let g0 = &vars["disc.fc0.weight_g"];
    assert!((g0 - 1.0).abs().min().double_value(&[]) > 1e-3, "{g0:?}");
    // Hidden scales stay where the initialisation put them; the output scale trains.
    assert!(!g0.requires_grad());
    assert!(vars["disc.out.weight_g"].requires_grad());
    // G's output, seen from outside, is an image in [−1, 1] made from a sigmoid.
    let sample = fresh.sample(16).unwrap();
    assert!(sample.min().double_value(&[]) >= -1.0 && sample.max().double_value(&[]) <= 1.0);

    let run = tempfile::TempDir::new().unwrap();
    let t = train(cfg.clone(), &mut []);
    let test = gan_data::load(
        gan_data::DatasetName::Mnist,
        data.path(),
        gan_data::Split::Test,
    )
    .unwrap();
    let error = variant_eval::test_classification_error(&t, &test).unwrap();
    assert!(error < 0.05, "test error {error}");

    // Resume from step 30: bit-identical, fixed scales and batch-norm buffers included.
    let mut half = Trainer::new(cfg, Device::Cpu).unwrap();
    half.set_total_steps(30).unwrap();
    let ck = run.path().join("half.safetensors");
    half.run(&mut [], &AtomicBool::new(false)).unwrap();
    half.save_checkpoint(&ck, serde_json::Value::Null).unwrap();
    let mut resumed = Trainer::resume(&ck, Device::Cpu).unwrap();
    resumed.set_total_steps(60).unwrap();
    resumed.run(&mut [], &AtomicBool::new(false)).unwrap();
    assert_same_variables(t.discriminator_vars(), resumed.discriminator_vars());
    assert_same_variables(t.generator_vars(), resumed.generator_vars());
}

#[test]
fn pixel_range_and_weight_norm_misuse_is_refused_by_key() {
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 20);
    let variant = "kind = \"semi_supervised\"\nlabels = 20";
    let text = |extra: &[&str]| {
        let base = config(data.path(), variant, &[]).to_toml();
        let o: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        ExperimentConfig::from_toml_str(&base, &o)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    // A tanh generator cannot train in [0, 1].
    let e = text(&["data.dataset.pixel_range=zero_one"]);
    assert!(e.contains("data.dataset.pixel_range"), "{e}");
    // A sigmoid generator on [−1, 1] images reaches only half the range.
    let e = text(&["generator.output_activation=sigmoid"]);
    assert!(e.contains("generator.output_activation"), "{e}");
    // The data-initialisation batch needs weight normalisation to apply to.
    let e = text(&["discriminator.data_init_samples=100"]);
    assert!(e.contains("discriminator.data_init_samples"), "{e}");
    // Generator-only settings on the discriminator are named.
    let e = text(&["generator.batch_norm=true", "generator.weight_norm=all"]);
    assert!(e.contains("generator.weight_norm"), "{e}");
    let e = text(&["discriminator.batch_norm=true"]);
    assert!(e.contains("batch_norm"), "{e}");
}

#[test]
fn semi_supervised_baseline_trains_only_the_classifier() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 100);
    let variant = "kind = \"semi_supervised\"\nlabels = 20\nunsupervised_weight = 0.0\nextra_fake_class = true";
    let mut t = Trainer::new(config(data.path(), variant, &[]), Device::Cpu).unwrap();
    let before: Vec<Tensor> = t
        .generator_vars()
        .trainable_variables()
        .iter()
        .map(|v| v.copy())
        .collect();
    let s = t.train_step().unwrap();
    assert!(s.d_loss.is_finite() && s.aux.unwrap().is_finite());
    assert!(s.g_loss.is_nan(), "no generator step: {}", s.g_loss);
    for (a, b) in before.iter().zip(t.generator_vars().trainable_variables()) {
        assert!(a.equal(&b), "the generator must not move");
    }
    // K+1 form: 11 logits, the last one "fake".
    let x = Tensor::rand([3, 1, 28, 28], (Kind::Float, Device::Cpu));
    let out = t.discriminator().discriminate(&x, None, false);
    assert_eq!(out.class_logits.unwrap().size(), vec![3, 11]);
}

#[test]
fn labelled_subset_is_class_balanced_and_fixed_by_the_seed() {
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 200);
    let variant = "kind = \"semi_supervised\"\nlabels = 30";
    let labels_of = |seed: u64| {
        let mut c = config(data.path(), variant, &[]);
        c.seed = seed;
        let mut src = gan_train::experiment::build_labeled_source(&c)
            .unwrap()
            .unwrap();
        let b = src.next_batch(30).unwrap();
        let mut y: Vec<i64> = Vec::try_from(b.y.unwrap()).unwrap();
        y.sort_unstable();
        (y, b.x.sum(Kind::Double).double_value(&[]))
    };
    let (y, sum1) = labels_of(1);
    let want: Vec<i64> = (0..10).flat_map(|c| [c, c, c]).collect();
    assert_eq!(y, want);
    assert_eq!(labels_of(1).1, sum1);
}

#[test]
fn ebgan_autoencoder_learns_low_energy_for_real_data() {
    let _rng = torch_lock();
    let text = r#"
        name = "ebgan-ring-test"
        seed = 2
        [data.toy]
        kind = "ring"
        modes = 8
        radius = 1.0
        std = 0.01
        [variant]
        kind = "ebgan"
        pulling_away = 0.1
        [generator]
        kind = "mlp"
        latent_dim = 2
        hidden = [32, 32]
        [discriminator]
        kind = "autoencoder"
        code_dim = 4
        hidden = [32]
        [loss]
        kind = "energy_margin"
        margin = 0.1
        [train]
        steps = 300
        batch_size = 64
        device = "cpu"
        threads = 1
        [optim.generator]
        lr = 1e-3
        [optim.discriminator]
        lr = 1e-3
    "#;
    let cfg = ExperimentConfig::from_toml_str(text, &[]).unwrap();
    let mut t = Trainer::new(cfg, Device::Cpu).unwrap();
    let first = t.train_step().unwrap();
    let pt = first.aux.unwrap();
    assert!((0.0..=1.0).contains(&pt), "pulling-away term {pt}");
    t.run(&mut [], &AtomicBool::new(false)).unwrap();
    // Energies: the autoencoder reconstructs real ring points well below the margin.
    let real = t.draw_real(256).unwrap();
    let energy = tch::no_grad(|| t.discriminator().discriminate(&real, None, false))
        .score
        .mean(Kind::Float)
        .double_value(&[]);
    assert!(energy < 0.05, "mean real energy {energy} vs margin 0.1");
}

#[test]
fn bad_variant_configs_name_the_key() {
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 40);
    let d = data.path();
    for (variant, extra, key) in [
        ("[variant]\nkind = \"ebgan\"", &[][..], "discriminator.kind"),
        (
            "[variant]\nkind = \"semi_supervised\"\nlabels = 15",
            &[][..],
            "variant.labels",
        ),
        (
            "[variant]\nkind = \"semi_supervised\"\nlabels = 20",
            &["loss.kind=hinge"][..],
            "loss.kind",
        ),
        (
            "[variant]\nkind = \"acgan\"",
            &["train.schedule=unrolled"][..],
            "variant.kind",
        ),
        (
            "[variant]\nkind = \"infogan\"\ncategorical = 1",
            &[][..],
            "variant.categorical",
        ),
    ] {
        let e = config_err(d, variant, extra);
        assert!(e.contains(key), "{variant} {extra:?}: {e}");
    }
    // Label-aware variants need labelled data, not a toy distribution.
    let toy = r#"
        name = "t"
        [data.toy]
        kind = "ring"
        modes = 8
        radius = 1.0
        std = 0.01
        [variant]
        kind = "acgan"
        [generator]
        kind = "mlp"
        hidden = [8]
        [discriminator]
        kind = "mlp"
        hidden = [8]
    "#;
    let e = ExperimentConfig::from_toml_str(toy, &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("variant.kind") && e.contains("labelled dataset"),
        "{e}"
    );
}

#[test]
fn shipped_family_configs_build_and_step() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 200);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let on_fixture = [
        "data.dataset.name=mnist".to_string(),
        format!("data.dataset.dir=\"{}\"", data.path().display()),
        "train.threads=1".to_string(),
        "train.device=\"cpu\"".to_string(),
    ];
    for (name, variant) in [
        ("cgan-fashion-mnist", "conditional"),
        ("acgan-fashion-mnist", "acgan"),
        ("infogan-fashion-mnist", "infogan"),
        ("ebgan-fashion-mnist", "ebgan"),
        ("ssgan-fashion-mnist", "semi_supervised"),
        ("ssgan-mnist", "semi_supervised"),
        ("infogan-mnist", "infogan"),
        ("acgan-mnist", "acgan"),
        ("cgan-mnist", "conditional"),
        ("ebgan-ring", "ebgan"),
    ] {
        let path = dir.join(format!("{name}.toml"));
        let overrides: &[String] = if name.ends_with("ring") {
            &on_fixture[2..]
        } else {
            &on_fixture
        };
        let cfg = ExperimentConfig::load(&path, overrides).unwrap();
        assert_eq!((cfg.name.as_str(), cfg.variant.name()), (name, variant));
        let mut t = Trainer::new(cfg, Device::Cpu).unwrap();
        let s = t.train_step().unwrap();
        assert!(
            s.d_loss.is_finite() && s.g_loss.is_finite(),
            "{name}: {s:?}"
        );
    }
}
