//! Weights that load in PyTorch, and back (`gan export --to pytorch`, `gan import --from
//! pytorch`, `gan sample --latents`), checked against the reference modules of
//! `scripts/pytorch_models.py` run by the reference Python (`GAN_TEST_PYTHON`; the tests
//! skip without it). For the same z (or the same images), gan-rs's and PyTorch's outputs
//! must agree within [`TOLERANCE`]; both sides run in eval mode, i.e. batch norm uses its
//! running statistics (which training, or PyTorch's warm-up passes, have moved away from
//! 0 / 1), and dropout is off. Each test prints the largest absolute difference it saw,
//! per direction and architecture (`cargo test --test pytorch_interop -- --nocapture`).

mod cli_common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use gan_train::checkpoint;
use gan_train::classifier::{classifier_path, Classifier, ClassifierConfig};
use gan_train::{Inference, Sampler};
use tch::{Device, Kind, Tensor};

/// The agreement asked of gan-rs and PyTorch on the same inputs.
const TOLERANCE: f64 = 1e-5;

/// The reference Python and `pytorch_models.py`, or `None` (skip).
struct Reference {
    python: PathBuf,
    script: PathBuf,
}

impl Reference {
    fn get(test: &str) -> Option<Self> {
        Some(Reference {
            python: cli_common::reference_python(test)?,
            script: cli_common::repo_script("pytorch_models.py"),
        })
    }

    /// `python pytorch_models.py cmd args…`, where each `Arg::File` names a file in `dir`.
    fn run(&self, dir: &Path, cmd: &str, args: &[Arg]) -> String {
        let mut argv: Vec<std::ffi::OsString> = vec![cmd.into()];
        argv.extend(args.iter().map(|a| match a {
            Arg::Text(t) => t.into(),
            Arg::File(f) => dir.join(f).into_os_string(),
        }));
        let argv: Vec<&OsStr> = argv.iter().map(|a| a.as_os_str()).collect();
        cli_common::run_python(&self.python, &self.script, &argv)
    }

    /// Seeded random weights of `spec` (batch-norm statistics warmed up) in `dir/out`.
    fn init(&self, dir: &Path, spec: &str, seed: u64, out: &str) {
        let seed = seed.to_string();
        self.run(
            dir,
            "init",
            &[
                Arg::Text("--spec"),
                Arg::Text(spec),
                Arg::Text("--seed"),
                Arg::Text(&seed),
                Arg::Text("--out"),
                Arg::File(out),
            ],
        );
    }

    /// The module of `dir/weights` applied to the `.npy` `dir/input` in eval mode; the
    /// module is the one the file's metadata records.
    fn forward(&self, dir: &Path, weights: &str, input: &str) -> Tensor {
        self.forward_spec(dir, weights, None, input)
    }

    /// Like [`forward`](Self::forward), for the module `spec` (files without metadata:
    /// `torch.save` pickles).
    fn forward_spec(&self, dir: &Path, weights: &str, spec: Option<&str>, input: &str) -> Tensor {
        self.forward_in_mode(dir, weights, spec, input, "eval")
    }

    /// The module's outputs in `mode`: `eval`, or `train` (batch statistics, as a control).
    fn forward_in_mode(
        &self,
        dir: &Path,
        weights: &str,
        spec: Option<&str>,
        input: &str,
        mode: &str,
    ) -> Tensor {
        let out = format!("{}.{mode}.out.npy", input.trim_end_matches(".npy"));
        let mut args = vec![
            Arg::Text("--weights"),
            Arg::File(weights),
            Arg::Text("--input"),
            Arg::File(input),
            Arg::Text("--out"),
            Arg::File(&out),
            Arg::Text("--mode"),
            Arg::Text(mode),
        ];
        if let Some(spec) = spec {
            args.extend([Arg::Text("--spec"), Arg::Text(spec)]);
        }
        let said = self.run(dir, "forward", &args);
        assert!(said.contains(&format!("mode={mode}")), "{said}");
        read_npy(&dir.join(out))
    }

    /// The largest difference between two state dicts' tensors (names must agree).
    fn compare(&self, dir: &Path, a: &str, b: &str) -> f64 {
        let said = self.run(dir, "compare", &[Arg::File(a), Arg::File(b)]);
        said.trim()
            .rsplit("max_abs_diff=")
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("compare said: {said}"))
    }
}

/// An argument of a `pytorch_models.py` command.
enum Arg<'a> {
    Text(&'a str),
    File(&'a str),
}

/// `gan -q --device cpu args…` in `cwd`.
fn gan(cwd: &Path, args: &[&str]) -> Output {
    cli_common::output(cli_common::gan(cwd).args(args))
}

/// Like [`gan`], failing the test unless it succeeds; returns stdout and stderr.
fn gan_ok(cwd: &Path, args: &[&str]) -> String {
    let out = cli_common::run_ok(cli_common::gan(cwd).args(args));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Like [`gan`], failing the test if it succeeds; returns stderr.
fn gan_err(cwd: &Path, args: &[&str]) -> String {
    let out = gan(cwd, args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "gan {args:?} should have failed:\n{stderr}"
    );
    stderr
}

fn write_npy(path: &Path, t: &Tensor) {
    std::fs::write(path, gan_train::image_grid::npy_bytes(t).unwrap()).unwrap();
}

fn read_npy(path: &Path) -> Tensor {
    Tensor::read_npy(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(
        a.flatten(1, -1).size(),
        b.flatten(1, -1).size(),
        "output shapes"
    );
    (a.flatten(1, -1).to_kind(Kind::Double) - b.flatten(1, -1).to_kind(Kind::Double))
        .abs()
        .max()
        .double_value(&[])
}

/// Writes `n` seeded standard-normal latents of width `nz` to `dir/name`.
fn latents(dir: &Path, name: &str, n: i64, nz: i64, seed: i64) {
    tch::manual_seed(seed);
    let z = Tensor::randn([n, nz], (Kind::Float, Device::Cpu));
    write_npy(&dir.join(name), &z);
}

/// The discriminator logits of the run in `run` for `x`, in eval mode.
fn gan_rs_logits(run: &Path, x: &Tensor) -> Tensor {
    let path = cli_common::checkpoint(run);
    let ck = checkpoint::load(&path).unwrap();
    let inference = Inference::from_checkpoint(&ck, &path, Device::Cpu, true).unwrap();
    let d = inference
        .discriminator()
        .expect("loaded with its discriminator");
    tch::no_grad(|| d.discriminate(x, None, false).score)
}

/// Asserts and reports one comparison.
fn agree(what: &str, diff: f64) {
    println!("max |gan-rs - PyTorch| {what}: {diff:.3e}");
    assert!(diff <= TOLERANCE, "{what}: outputs differ by {diff:e}");
}

/// Every `gen/` and `disc/` tensor of two runs' checkpoints, bit for bit.
fn assert_same_weights(a: &Path, b: &Path) {
    let ca = checkpoint::load(&cli_common::checkpoint(a)).unwrap();
    let cb = checkpoint::load(&cli_common::checkpoint(b)).unwrap();
    for prefix in ["gen/", "disc/"] {
        let (wa, wb) = (ca.with_prefix(prefix), cb.with_prefix(prefix));
        assert_eq!(wa.len(), wb.len(), "{prefix} tensor counts");
        for (name, t) in &wa {
            let u = &wb[name];
            assert_eq!(
                cli_common::bytes(&t.contiguous()),
                cli_common::bytes(&u.contiguous()),
                "{prefix}{name} differs after the round trip"
            );
        }
    }
}

/// A small untrained MNIST classifier where `gan eval` looks for it under `data`.
fn write_untrained_classifier(data: &Path) {
    let c = Classifier::new(
        ClassifierConfig {
            width: 2,
            feature_dim: 4,
            ..ClassifierConfig::for_dataset(gan_data::DatasetName::Mnist)
        },
        Device::Cpu,
    )
    .unwrap();
    c.save(&classifier_path(data, gan_data::DatasetName::Mnist))
        .unwrap();
}

/// A tiny 28-px DCGAN on the MNIST fixture in `data` (channels-last weights, as default).
fn dcgan_mnist_config(data: &Path) -> String {
    format!(
        r#"
        name = "dcgan28"
        seed = 5
        [data.dataset]
        name = "mnist"
        dir = "{}"
        [generator]
        kind = "dcgan"
        latent_dim = 8
        ngf = 4
        [discriminator]
        kind = "dcgan"
        ndf = 4
        [train]
        steps = 3
        batch_size = 8
        threads = 1
        [log]
        every = 1
        samples_every = 0
        "#,
        data.display()
    )
}

/// A 32-px DCGAN on CIFAR-10; importing and sampling read no data, so none is needed.
const DCGAN_CIFAR: &str = r#"
    name = "dcgan32"
    seed = 2
    [data.dataset]
    name = "cifar10"
    [generator]
    kind = "dcgan"
    latent_dim = 8
    ngf = 4
    [discriminator]
    kind = "dcgan"
    ndf = 4
    [train]
    steps = 10
    threads = 1
"#;

/// The 2-D ring with MLPs; D has dropout (a Sequential with `nn.Dropout` modules), and G
/// an EMA (exported and sampled alike).
const RING: &str = r#"
    name = "ring"
    seed = 3
    [data.toy]
    kind = "ring"
    modes = 8
    radius = 1.0
    std = 0.01
    [generator]
    kind = "mlp"
    latent_dim = 2
    hidden = [16, 16]
    activation = "relu"
    [discriminator]
    kind = "mlp"
    hidden = [16, 8]
    activation = "leaky_relu"
    dropout = 0.25
    [train]
    steps = 20
    batch_size = 32
    threads = 1
    ema = 0.9
    [log]
    every = 5
    snapshot_every = 0
"#;

/// The 1-D Gaussian: the linear (affine) generator and an MLP discriminator.
const GAUSSIAN: &str = r#"
    name = "gauss"
    seed = 4
    [data.toy]
    kind = "gaussian"
    mean = 4.0
    std = 1.25
    [generator]
    kind = "linear"
    [discriminator]
    kind = "mlp"
    hidden = [8, 8]
    [train]
    steps = 20
    batch_size = 32
    threads = 1
    [log]
    every = 5
    snapshot_every = 0
"#;

/// gan-rs → PyTorch → gan-rs on a trained 28-px DCGAN: the exported G and D give
/// PyTorch's modules gan-rs's outputs, and importing them back gives the same weights.
#[test]
fn dcgan_28px_gan_rs_to_pytorch_and_back() {
    let Some(py) = Reference::get("dcgan_28px_gan_rs_to_pytorch_and_back") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    cli_common::write_mnist_fixture(&data);
    write_untrained_classifier(&data);
    std::fs::write(dir.join("c.toml"), dcgan_mnist_config(&data)).unwrap();
    gan_ok(dir, &["train", "-c", "c.toml", "--out", "run"]);
    let said = gan_ok(
        dir,
        &[
            "export",
            "--run",
            "run",
            "--to",
            "pytorch",
            "--out",
            "netG.safetensors",
        ],
    );
    assert!(
        said.contains("DcganGenerator(nz=8, ngf=4, nc=1, image_size=28)"),
        "{said}"
    );
    gan_ok(
        dir,
        &[
            "export",
            "--run",
            "run",
            "--to",
            "pytorch",
            "--net",
            "discriminator",
            "--out",
            "netD.safetensors",
        ],
    );

    // The same z through both generators (eval mode: batch-norm running statistics).
    latents(dir, "z.npy", 6, 8, 11);
    gan_ok(
        dir,
        &[
            "sample",
            "--run",
            "run",
            "--latents",
            "z.npy",
            "--out",
            "g_rs.npy",
        ],
    );
    let g_rs = read_npy(&dir.join("g_rs.npy"));
    assert_eq!(g_rs.size(), [6, 1, 28, 28]);
    let g_py = py.forward(dir, "netG.safetensors", "z.npy");
    agree(
        "DCGAN 28 px generator, gan-rs → PyTorch (eval mode)",
        max_abs_diff(&g_rs, &g_py),
    );
    // The control: the running statistics matter, so this comparison would catch one
    // side using batch statistics.
    let g_train = py.forward_in_mode(dir, "netG.safetensors", None, "z.npy", "train");
    let control = max_abs_diff(&g_rs, &g_train);
    println!("control: gan-rs (eval) vs PyTorch in train mode: {control:.3e}");
    assert!(
        control > 1e-3,
        "batch norm's running statistics did not matter"
    );

    // The same images through both discriminators: generated ones and uniform noise.
    tch::manual_seed(12);
    let noise = Tensor::rand([5, 1, 28, 28], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    write_npy(&dir.join("noise.npy"), &noise);
    for (name, x) in [("g_rs.npy", &g_rs), ("noise.npy", &noise)] {
        let d_rs = gan_rs_logits(&dir.join("run"), x);
        let d_py = py.forward(dir, "netD.safetensors", name);
        agree(
            &format!("DCGAN 28 px discriminator logits on {name}, gan-rs → PyTorch (eval mode)"),
            max_abs_diff(&d_rs.unsqueeze(1), &d_py.unsqueeze(1)),
        );
    }

    // And back: the imported run has the trained run's weights exactly.
    gan_ok(
        dir,
        &[
            "import",
            "--from",
            "pytorch",
            "netG.safetensors",
            "--discriminator",
            "netD.safetensors",
            "-c",
            "c.toml",
            "--out",
            "back",
        ],
    );
    assert_same_weights(&dir.join("run"), &dir.join("back"));
    gan_ok(
        dir,
        &[
            "sample",
            "--run",
            "back",
            "--latents",
            "z.npy",
            "--out",
            "g_back.npy",
        ],
    );
    let round_trip = max_abs_diff(&g_rs, &read_npy(&dir.join("g_back.npy")));
    println!("max |gan-rs - gan-rs via PyTorch files| DCGAN 28 px generator: {round_trip:.3e}");
    assert_eq!(round_trip, 0.0);
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("back/import.json")).unwrap())
            .unwrap();
    assert_eq!(record["discriminator"]["weights"], "imported");
    // The imported run evaluates (FID / KID / IS against the fixture's test split).
    gan_ok(dir, &["eval", "--run", "back", "--n", "16"]);
}

/// PyTorch → gan-rs → PyTorch for the DCGAN at 28 px (the G given as a `torch.save`
/// `.pth`) and 32 px: seeded PyTorch weights imported into gan-rs give PyTorch's outputs,
/// and exported again are the same state dict.
#[test]
fn dcgan_pytorch_to_gan_rs_and_back() {
    let Some(py) = Reference::get("dcgan_pytorch_to_gan_rs_and_back") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    cli_common::write_mnist_fixture(&data);
    write_untrained_classifier(&data);
    std::fs::write(dir.join("mnist.toml"), dcgan_mnist_config(&data)).unwrap();
    std::fs::write(dir.join("cifar.toml"), DCGAN_CIFAR).unwrap();
    for (size, nc, config, g_file) in [
        (28, 1, "mnist.toml", "g28.pth"),
        (32, 3, "cifar.toml", "g32.safetensors"),
    ] {
        let g_spec = format!(
            r#"{{"kind": "dcgan_generator", "nz": 8, "ngf": 4, "nc": {nc}, "image_size": {size}}}"#
        );
        let d_spec = format!(
            r#"{{"kind": "dcgan_discriminator", "ndf": 4, "nc": {nc}, "image_size": {size}}}"#
        );
        let d_file = format!("d{size}.safetensors");
        py.init(dir, &g_spec, 21, g_file);
        py.init(dir, &d_spec, 22, &d_file);
        let run = format!("imported{size}");
        gan_ok(
            dir,
            &[
                "import",
                "--from",
                "pytorch",
                g_file,
                "--discriminator",
                &d_file,
                "--config",
                config,
                "--out",
                &run,
            ],
        );
        let z = format!("z{size}.npy");
        latents(dir, &z, 7, 8, 31);
        let out = format!("g{size}_rs.npy");
        gan_ok(
            dir,
            &["sample", "--run", &run, "--latents", &z, "--out", &out],
        );
        let g_rs = read_npy(&dir.join(&out));
        assert_eq!(g_rs.size(), [7, nc, size, size]);
        let g_py = py.forward_spec(dir, g_file, Some(&g_spec), &z);
        agree(
            &format!("DCGAN {size} px generator, PyTorch → gan-rs (eval mode)"),
            max_abs_diff(&g_rs, &g_py),
        );
        let d_rs = gan_rs_logits(&dir.join(&run), &g_rs);
        let d_py = py.forward(dir, &d_file, &out);
        agree(
            &format!("DCGAN {size} px discriminator logits, PyTorch → gan-rs (eval mode)"),
            max_abs_diff(&d_rs.unsqueeze(1), &d_py.unsqueeze(1)),
        );
        // Back to PyTorch: the same state dict (num_batches_tracked aside).
        for (net, original) in [("generator", g_file), ("discriminator", d_file.as_str())] {
            let back = format!("back_{net}{size}.safetensors");
            gan_ok(
                dir,
                &[
                    "export", "--run", &run, "--to", "pytorch", "--net", net, "--out", &back,
                ],
            );
            let diff = py.compare(dir, original, &back);
            println!(
                "max |PyTorch - PyTorch via gan-rs| DCGAN {size} px {net} weights: {diff:.3e}"
            );
            assert_eq!(diff, 0.0);
        }
    }
    // A G-only import: D is fresh (and recorded so), and the run still evaluates.
    py.init(
        dir,
        r#"{"kind": "dcgan_generator", "nz": 8, "ngf": 4, "nc": 1, "image_size": 28}"#,
        23,
        "g_only.safetensors",
    );
    let said = gan_ok(
        dir,
        &[
            "import",
            "--from",
            "pytorch",
            "g_only.safetensors",
            "-c",
            "mnist.toml",
            "--out",
            "g_only",
        ],
    );
    assert!(said.contains("freshly initialised"), "{said}");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("g_only/import.json")).unwrap())
            .unwrap();
    assert_eq!(record["discriminator"]["file"], serde_json::Value::Null);
    assert!(record["discriminator"]["weights"]
        .as_str()
        .unwrap()
        .contains("freshly initialised from seed 5"));
    gan_ok(dir, &["eval", "--run", "g_only", "--n", "16"]);
}

/// The toy networks both ways: MLP G and D (D with dropout) on the ring, and the affine
/// generator with an MLP D on the 1-D Gaussian.
#[test]
fn toy_nets_both_ways() {
    let Some(py) = Reference::get("toy_nets_both_ways") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("ring.toml"), RING).unwrap();
    std::fs::write(dir.join("gauss.toml"), GAUSSIAN).unwrap();
    for (name, config, nz, data_dim, g_spec, d_spec) in [
        (
            "MLP (ring)",
            "ring",
            2,
            2,
            r#"{"kind": "mlp_generator", "sizes": [2, 16, 16, 2], "activation": "relu", "output_activation": "none"}"#,
            r#"{"kind": "mlp_discriminator", "sizes": [2, 16, 8, 1], "activation": "leaky_relu", "dropout": 0.25}"#,
        ),
        (
            "affine G + MLP D (gaussian)",
            "gauss",
            1,
            1,
            r#"{"kind": "affine_generator", "dim": 1}"#,
            r#"{"kind": "mlp_discriminator", "sizes": [1, 8, 8, 1], "activation": "leaky_relu", "dropout": 0.0}"#,
        ),
    ] {
        let toml = format!("{config}.toml");
        // gan-rs → PyTorch.
        gan_ok(dir, &["train", "-c", &toml, "--out", config]);
        let (g_file, d_file) = (
            format!("{config}_G.safetensors"),
            format!("{config}_D.safetensors"),
        );
        gan_ok(
            dir,
            &[
                "export", "--run", config, "--to", "pytorch", "--out", &g_file,
            ],
        );
        gan_ok(
            dir,
            &[
                "export",
                "--run",
                config,
                "--to",
                "pytorch",
                "--net",
                "discriminator",
                "--out",
                &d_file,
            ],
        );
        let z = format!("{config}_z.npy");
        latents(dir, &z, 50, nz, 41);
        let out = format!("{config}_rs.npy");
        gan_ok(
            dir,
            &["sample", "--run", config, "--latents", &z, "--out", &out],
        );
        let x = read_npy(&dir.join(&out));
        assert_eq!(x.size(), [50, data_dim]);
        agree(
            &format!("{name} generator, gan-rs → PyTorch"),
            max_abs_diff(&x, &py.forward(dir, &g_file, &z)),
        );
        agree(
            &format!("{name} discriminator logits, gan-rs → PyTorch (eval mode: no dropout)"),
            max_abs_diff(
                &gan_rs_logits(&dir.join(config), &x).unsqueeze(1),
                &py.forward(dir, &d_file, &out).unsqueeze(1),
            ),
        );

        // PyTorch → gan-rs.
        let (pg, pd) = (
            format!("{config}_pyG.safetensors"),
            format!("{config}_pyD.safetensors"),
        );
        py.init(dir, g_spec, 51, &pg);
        py.init(dir, d_spec, 52, &pd);
        let run = format!("{config}_imported");
        gan_ok(
            dir,
            &[
                "import",
                "--from",
                "pytorch",
                &pg,
                "--discriminator",
                &pd,
                "-c",
                &toml,
                "--out",
                &run,
            ],
        );
        let out = format!("{config}_imported_rs.npy");
        gan_ok(
            dir,
            &["sample", "--run", &run, "--latents", &z, "--out", &out],
        );
        let x = read_npy(&dir.join(&out));
        agree(
            &format!("{name} generator, PyTorch → gan-rs"),
            max_abs_diff(&x, &py.forward(dir, &pg, &z)),
        );
        agree(
            &format!("{name} discriminator logits, PyTorch → gan-rs (eval mode: no dropout)"),
            max_abs_diff(
                &gan_rs_logits(&dir.join(&run), &x).unsqueeze(1),
                &py.forward(dir, &pd, &out).unsqueeze(1),
            ),
        );
        for (net, original) in [("generator", &pg), ("discriminator", &pd)] {
            let back = format!("{config}_back_{net}.safetensors");
            gan_ok(
                dir,
                &[
                    "export", "--run", &run, "--to", "pytorch", "--net", net, "--out", &back,
                ],
            );
            assert_eq!(py.compare(dir, original, &back), 0.0, "{name} {net}");
        }
        // The imported toy run evaluates (G only for an unconditional toy GAN).
        gan_ok(dir, &["eval", "--run", &run, "--n", "100"]);
    }
}

/// State dicts that do not fit are refused, naming the tensor; unsupported networks are
/// refused naming the config key; nothing is written.
#[test]
fn mismatches_are_refused_naming_the_tensor_or_key() {
    let Some(py) = Reference::get("mismatches_are_refused_naming_the_tensor_or_key") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("cifar.toml"), DCGAN_CIFAR).unwrap();
    let import = |file: &str, out: &str| -> String {
        let e = gan_err(
            dir,
            &[
                "import",
                "--from",
                "pytorch",
                file,
                "-c",
                "cifar.toml",
                "--out",
                out,
            ],
        );
        assert!(!dir.join(out).exists(), "a refused import wrote {out}");
        e
    };

    // A 64-px generator for the 32-px config.
    py.init(
        dir,
        r#"{"kind": "dcgan_generator", "nz": 8, "ngf": 4, "nc": 3, "image_size": 64}"#,
        1,
        "g64.safetensors",
    );
    let e = import("g64.safetensors", "r64");
    assert!(
        e.contains("`main.0.weight` has shape [8, 32, 4, 4], expected [8, 16, 4, 4]")
            && e.contains("(shape [4]) is not part of the module")
            && e.contains("DcganGenerator(nz=8, ngf=4, nc=3, image_size=32)"),
        "{e}"
    );
    // Another ngf.
    py.init(
        dir,
        r#"{"kind": "dcgan_generator", "nz": 8, "ngf": 6, "nc": 3, "image_size": 32}"#,
        1,
        "g_ngf6.safetensors",
    );
    let e = import("g_ngf6.safetensors", "r_ngf");
    assert!(e.contains("`main.0.weight` has shape [8, 24, 4, 4]"), "{e}");
    // A discriminator's state dict given as the generator.
    py.init(
        dir,
        r#"{"kind": "dcgan_discriminator", "ndf": 4, "nc": 3, "image_size": 32}"#,
        1,
        "d32.safetensors",
    );
    let e = import("d32.safetensors", "r_d");
    assert!(e.contains("`main.1.running_mean`"), "{e}");

    // A good state dict plus a stray tensor, and one with a NaN.
    py.init(
        dir,
        r#"{"kind": "dcgan_generator", "nz": 8, "ngf": 4, "nc": 3, "image_size": 32}"#,
        1,
        "g32.safetensors",
    );
    let good = Tensor::read_safetensors(dir.join("g32.safetensors")).unwrap();
    let mut extra: Vec<(String, Tensor)> =
        good.iter().map(|(k, v)| (k.clone(), v.copy())).collect();
    extra.push((
        "head.weight".into(),
        Tensor::zeros([2], (Kind::Float, Device::Cpu)),
    ));
    Tensor::write_safetensors(&extra, dir.join("g_extra.safetensors")).unwrap();
    let e = import("g_extra.safetensors", "r_extra");
    assert!(
        e.contains("`head.weight` (shape [2]) is not part of the module"),
        "{e}"
    );
    let mut nan: Vec<(String, Tensor)> = good.iter().map(|(k, v)| (k.clone(), v.copy())).collect();
    for (k, v) in nan.iter_mut() {
        if k == "main.3.weight" {
            let _ = v.fill_(f64::NAN);
        }
    }
    Tensor::write_safetensors(&nan, dir.join("g_nan.safetensors")).unwrap();
    let e = import("g_nan.safetensors", "r_nan");
    assert!(e.contains("`main.3.weight` holds NaN"), "{e}");
    // An unreadable .pth says how to convert it.
    std::fs::write(dir.join("junk.pth"), b"not a pickle").unwrap();
    let e = import("junk.pth", "r_junk");
    assert!(e.contains("safetensors") && e.contains("save_file"), "{e}");

    // An existing run is not replaced without --overwrite.
    gan_ok(
        dir,
        &[
            "import",
            "--from",
            "pytorch",
            "g32.safetensors",
            "-c",
            "cifar.toml",
            "--out",
            "ok",
        ],
    );
    let e = gan_err(
        dir,
        &[
            "import",
            "--from",
            "pytorch",
            "g32.safetensors",
            "-c",
            "cifar.toml",
            "--out",
            "ok",
        ],
    );
    assert!(e.contains("--overwrite"), "{e}");
    gan_ok(
        dir,
        &[
            "import",
            "--from",
            "pytorch",
            "g32.safetensors",
            "-c",
            "cifar.toml",
            "--out",
            "ok",
            "--overwrite",
        ],
    );
    // Latents of the wrong width.
    latents(dir, "z5.npy", 3, 5, 0);
    let e = gan_err(
        dir,
        &[
            "sample",
            "--run",
            "ok",
            "--latents",
            "z5.npy",
            "--out",
            "s.npy",
        ],
    );
    assert!(
        e.contains("5 latent columns") && e.contains("nz = 8"),
        "{e}"
    );

    // Unsupported networks: refused by config key, on export and on import.
    let e = gan_err(
        dir,
        &[
            "import",
            "--from",
            "pytorch",
            "g32.safetensors",
            "--discriminator",
            "d32.safetensors",
            "-c",
            "cifar.toml",
            "--set",
            "discriminator.minibatch_std=true",
            "--out",
            "r_mbstd",
        ],
    );
    assert!(e.contains("`discriminator.minibatch_std`"), "{e}");
    assert!(!dir.join("r_mbstd").exists());
    std::fs::write(dir.join("ring.toml"), RING).unwrap();
    gan_ok(
        dir,
        &[
            "train",
            "-c",
            "ring.toml",
            "--set",
            "discriminator.minibatch_std=true",
            "--steps",
            "2",
            "--out",
            "mbstd",
        ],
    );
    let e = gan_err(
        dir,
        &[
            "export",
            "--run",
            "mbstd",
            "--to",
            "pytorch",
            "--net",
            "discriminator",
            "--out",
            "d.safetensors",
        ],
    );
    assert!(
        e.contains("`discriminator.minibatch_std`") && !dir.join("d.safetensors").exists(),
        "{e}"
    );
    // Its generator is plain, and exports.
    gan_ok(
        dir,
        &[
            "export",
            "--run",
            "mbstd",
            "--to",
            "pytorch",
            "--out",
            "g.safetensors",
        ],
    );
}
