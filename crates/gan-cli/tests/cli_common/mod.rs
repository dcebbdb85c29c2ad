//! Helpers shared by the `cli_*` integration tests: a small, fast 1-D experiment config,
//! running the real `gan` binary as a child process, and comparing two run directories
//! bit for bit (metrics and every checkpoint tensor).
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A 1-D Gaussian GAN small enough to run a few hundred steps per second in a debug build.
/// `checkpoint_every` and `steps` are set per test with `--set`/`--steps`.
pub const CONFIG: &str = r#"
name = "hardening"
seed = 7

[data.toy]
kind = "gaussian"
mean = 4.0
std = 1.25

[generator]
kind = "linear"

[discriminator]
kind = "mlp"
hidden = [16, 16]

[loss]
kind = "non_saturating"

[train]
steps = 300
batch_size = 64
threads = 1

[optim.generator]
kind = "adam"
lr = 5e-3
beta1 = 0.5

[optim.discriminator]
kind = "adam"
lr = 5e-3
beta1 = 0.5

[log]
every = 10
snapshot_every = 0
checkpoint_every = 50
"#;

/// A scratch directory holding `config.toml` (= [`CONFIG`]) where runs are created.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self::with_config(CONFIG)
    }

    pub fn with_config(text: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.toml"), text).expect("write config");
        Scratch { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// `gan -q --device cpu train -c config.toml --out <run> <extra>`, not yet started.
    pub fn train_cmd(&self, run: &str, extra: &[&str]) -> Command {
        let mut c = gan(self.dir.path());
        c.arg("train")
            .arg("-c")
            .arg(self.config())
            .arg("--out")
            .arg(self.path(run))
            .args(extra);
        c
    }

    /// `gan -q --device cpu train --resume <run> <extra>`, not yet started.
    pub fn resume_cmd(&self, run: &str, extra: &[&str]) -> Command {
        let mut c = gan(self.dir.path());
        c.arg("train")
            .arg("--resume")
            .arg(self.path(run))
            .args(extra);
        c
    }
}

/// The `gan` binary under test, quiet, on the CPU, run from `cwd`.
pub fn gan(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gan"));
    c.current_dir(cwd)
        .args(["-q", "--device", "cpu"])
        .env_remove("GAN_LOG")
        .stdin(Stdio::null());
    c
}

/// Run `cmd` to completion and return its output (stdout + stderr captured).
pub fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("start gan")
}

/// Run `cmd` and fail the test with its stderr unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "gan failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Start `cmd` as a child with captured stdout/stderr.
pub fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gan")
}

/// Send `signal` to a child process.
pub fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on the pid of a child we own and have not yet reaped.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill({}, {signal}) failed", child.id());
}

/// Poll until `cond` holds (or fail after `timeout`).
pub fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The checkpoint of a run directory.
pub fn checkpoint(run: &Path) -> PathBuf {
    run.join("checkpoints").join("latest.safetensors")
}

/// Step of the run's checkpoint, if one loads.
pub fn checkpoint_step(run: &Path) -> Option<u64> {
    gan_train::checkpoint::load(&checkpoint(run))
        .ok()
        .map(|c| c.meta.step)
}

/// Last step logged in `metrics.csv` (complete rows only), if any.
pub fn last_metrics_step(run: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).ok()?;
    let end = text.rfind('\n')?;
    text[..end]
        .lines()
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .next_back()
}

/// Assert that two finished runs are bit-identical: same `metrics.csv` bytes, same
/// checkpoint metadata (step, data cursor, optimizer counters), and every checkpoint
/// tensor equal byte for byte.
pub fn assert_same_run(a: &Path, b: &Path) {
    let ma = std::fs::read_to_string(a.join("metrics.csv")).expect("metrics a");
    let mb = std::fs::read_to_string(b.join("metrics.csv")).expect("metrics b");
    if ma != mb {
        let first = ma
            .lines()
            .zip(mb.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("\n  {x}\n  {y}"))
            .unwrap_or_else(|| {
                format!(" ({} vs {} lines)", ma.lines().count(), mb.lines().count())
            });
        panic!(
            "metrics.csv differ between {} and {}: first difference{first}",
            a.display(),
            b.display()
        );
    }
    let ca = gan_train::checkpoint::load(&checkpoint(a)).expect("checkpoint a");
    let cb = gan_train::checkpoint::load(&checkpoint(b)).expect("checkpoint b");
    assert_eq!(ca.meta.step, cb.meta.step, "checkpoint steps");
    assert_eq!(ca.meta.source_state, cb.meta.source_state, "data cursors");
    assert_eq!(ca.meta.opt_g_steps, cb.meta.opt_g_steps);
    assert_eq!(ca.meta.opt_d_steps, cb.meta.opt_d_steps);
    let mut names: Vec<_> = ca.tensors.keys().collect();
    names.sort();
    let mut nb: Vec<_> = cb.tensors.keys().collect();
    nb.sort();
    assert_eq!(names, nb, "checkpoint tensor names");
    for name in names {
        let (x, y) = (&ca.tensors[name], &cb.tensors[name]);
        assert_eq!(x.size(), y.size(), "{name}: shapes");
        assert_eq!(x.kind(), y.kind(), "{name}: dtypes");
        assert_eq!(bytes(x), bytes(y), "{name}: not bit-identical");
    }
}

/// Raw bytes of a CPU tensor (bitwise comparison, NaN-safe).
pub fn bytes(t: &tch::Tensor) -> Vec<u8> {
    let t = t.contiguous();
    let n = t.numel();
    let mut out = vec![0u8; n * t.kind().elt_size_in_bytes()];
    t.copy_data_u8(&mut out, n);
    out
}

/// A tiny deterministic PRNG (xorshift64*) for kill timings: reproducible schedules
/// without a dev-dependency.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
}

/// The Python with the reference packages (torch, tensorboard, safetensors, numpy) that
/// `cargo xtask test` passes as `GAN_TEST_PYTHON`. Without it the calling test skips with a
/// message — unless `GAN_REQUIRE_PYTHON` is set (as `cargo xtask test` does), when it fails.
pub fn reference_python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("GAN_TEST_PYTHON").filter(|v| !v.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("GAN_REQUIRE_PYTHON").is_some() => {
            panic!("{test}: GAN_REQUIRE_PYTHON is set but GAN_TEST_PYTHON is not")
        }
        None => {
            eprintln!(
                "{test}: skipped, GAN_TEST_PYTHON is not set (`cargo xtask test` sets it to \
                 the setup venv's python)"
            );
            None
        }
    }
}

/// Run `python script args…` and return its stdout, failing the test with stderr otherwise.
pub fn run_python(python: &Path, script: &Path, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start python");
    assert!(
        out.status.success(),
        "{} {} failed ({}):\n{}",
        python.display(),
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `<repo>/scripts/<name>`.
pub fn repo_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// `<dir>/mnist/` with 32 train and test images.
pub fn write_mnist_fixture(dir: &Path) {
    let d = dir.join("mnist");
    std::fs::create_dir_all(&d).unwrap();
    let n = 32u32;
    let mut images: Vec<u8> = [2051u32, n, 28, 28]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let mut labels: Vec<u8> = [2049u32, n].iter().flat_map(|v| v.to_be_bytes()).collect();
    for i in 0..n as usize {
        labels.push((i % 10) as u8);
        images.extend((0..784).map(|j| ((i * 13 + j * 5) % 256) as u8));
    }
    for split in ["train", "t10k"] {
        std::fs::write(d.join(format!("{split}-images-idx3-ubyte")), &images).unwrap();
        std::fs::write(d.join(format!("{split}-labels-idx1-ubyte")), &labels).unwrap();
    }
}

/// A small untrained MNIST classifier where `gan eval` looks for it under `data`.
pub fn write_untrained_classifier(data: &Path) {
    use gan_train::classifier::{classifier_path, Classifier, ClassifierConfig};
    let c = Classifier::new(
        ClassifierConfig {
            width: 2,
            feature_dim: 4,
            ..ClassifierConfig::for_dataset(gan_data::DatasetName::Mnist)
        },
        tch::Device::Cpu,
    )
    .unwrap();
    c.save(&classifier_path(data, gan_data::DatasetName::Mnist))
        .unwrap();
}
