//! Benchmark workloads shared by the criterion suite (`benches/training.rs`) and the JSON
//! runner (`examples/bench_steps.rs`), each in up to three implementations:
//!
//! - `plain`: a hand-written tch loop (`tch::nn` layers, libtorch's own `nn::Adam`), the
//!   baseline a user would write without gan-rs (the synthetic workloads only);
//! - `trainer`: [`Trainer::train_step`] built from an experiment config (trait objects,
//!   gan-train's own Adam, per-step statistics);
//! - `loop`: [`Trainer::run`] with observers, so the loop's own overhead shows against
//!   `trainer`: for the shipped configs the observers `gan train` runs
//!   ([`observe::standard_observers`]), for the synthetic workloads the logging, metrics,
//!   progress and checkpoint ones ([`ObserverSet`]). Every observer is timed
//!   ([`TrainerLoop::observer_times`]).
//!
//! Every definition here is mirrored exactly by `scripts/bench_pytorch.py`:
//!
//! - `toy_mlp`: G(z) = a·z + b (1-D), D = Linear(1,32)–LeakyReLU(0.2)–Linear(32,32)–
//!   LeakyReLU(0.2)–Linear(32,1); batch 256; real data N(4, 1.25²); non-saturating
//!   BCE-with-logits; Adam lr 5e-3, β (0.5, 0.999) (the `configs/gaussian1d.toml` game).
//! - `dcgan32`, `dcgan64`: PyTorch's DCGAN example for 3×32×32 / 3×64×64 images, nz = 100,
//!   ngf = ndf = 64, batch 64, N(0, 0.02) init, non-saturating BCE-with-logits, Adam 2e-4,
//!   β (0.5, 0.999); real batches are `index_select`ed from a synthetic in-memory set of
//!   [`DATASET_SIZE`] images along a shuffled permutation.
//! - `sample32`, `sample64`: one generator forward pass (eval mode, no grad) on 64 latents.
//! - `loader32`: one 64-image batch from a [`ShuffledLoader`] over the synthetic 32×32 set.
//!
//! The shipped-config workloads read a config of the repository's `configs/` as a user
//! runs it (only `train.threads` and `train.precision` are set by the bench), real data
//! included ([`Workload::shipped_config`]):
//!
//! - `fashion_dcgan`: `configs/dcgan-fashion-mnist.toml`, DCGAN at 1×28×28 with
//!   ngf = ndf = 32 on the real Fashion-MNIST training set (found as `gan train` finds it:
//!   the data directory, else `/usr/share/datasets/fashion-mnist`), batch 64, Adam 2e-4.
//! - `toy_gaussian1d`: `configs/gaussian1d.toml`, the `toy_mlp` game with its data drawn
//!   by gan-data's toy source.
//! - `toy_ring`: `configs/ring-non_saturating.toml`, the 8-Gaussian ring: G = MLP
//!   2–128–128–128–2 (ReLU), D = MLP 2–128–128–1 (LeakyReLU 0.2), batch 256, Adam 1e-3,
//!   linear LR decay and an EMA (0.999) of G's weights.
//!
//! One "step" is one generator update (after one discriminator update) for the training
//! workloads, one forward pass for sampling and one batch for the loader. Both the D step
//! and the G step draw fresh noise, as the [`Trainer`] does.

#![allow(dead_code)] // each including target uses a different subset

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use gan_data::{ImageDataset, ShuffledLoader, Source};
use gan_models::{to_channels_last, DcganConfig};
use gan_train::experiment::Parts;
use gan_train::observe::{self, Observer};
use gan_train::{ExperimentConfig, StepStats, TrainError, Trainer};
use tch::nn::{self, Module, ModuleT, OptimizerConfig as _};
use tch::{Device, Kind, Tensor};

/// Errors of a benchmark run (a binary, not a library: one boxed error type is enough).
pub type BenchResult<T> = Result<T, Box<dyn Error>>;

/// Images in the synthetic image datasets.
pub const DATASET_SIZE: i64 = 1024;
/// Batch size of the toy workloads.
pub const TOY_BATCH: i64 = 256;
/// Batch size of the image workloads.
pub const IMAGE_BATCH: i64 = 64;
/// Seed of every benchmark (weights, data, noise).
pub const SEED: u64 = 1;

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    ToyMlp,
    Dcgan32,
    Dcgan64,
    Sample32,
    Sample64,
    Loader32,
    FashionDcgan,
    ToyGaussian1d,
    ToyRing,
}

impl Workload {
    pub const ALL: [Workload; 9] = [
        Workload::ToyMlp,
        Workload::Dcgan32,
        Workload::Dcgan64,
        Workload::Sample32,
        Workload::Sample64,
        Workload::Loader32,
        Workload::FashionDcgan,
        Workload::ToyGaussian1d,
        Workload::ToyRing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::ToyMlp => "toy_mlp",
            Workload::Dcgan32 => "dcgan32",
            Workload::Dcgan64 => "dcgan64",
            Workload::Sample32 => "sample32",
            Workload::Sample64 => "sample64",
            Workload::Loader32 => "loader32",
            Workload::FashionDcgan => "fashion_dcgan",
            Workload::ToyGaussian1d => "toy_gaussian1d",
            Workload::ToyRing => "toy_ring",
        }
    }

    /// A toy-data workload (1 thread by default, as the Trainer's `train.threads = 0`).
    pub fn is_toy(self) -> bool {
        matches!(
            self,
            Workload::ToyMlp | Workload::ToyGaussian1d | Workload::ToyRing
        )
    }

    /// A training workload (one step = one D and one G update).
    pub fn trains(self) -> bool {
        self.impls().contains(&Impl::Loop)
    }

    /// Samples per step (images/s = steps/s × this). A shipped config must agree
    /// (checked when its trainer is built).
    pub fn batch(self) -> i64 {
        if self.is_toy() {
            TOY_BATCH
        } else {
            IMAGE_BATCH
        }
    }

    /// The repository config a shipped-config workload runs, relative to the repository
    /// root (`None` for the synthetic workloads, whose configs are [`config_toml`]).
    pub fn shipped_config(self) -> Option<&'static str> {
        match self {
            Workload::FashionDcgan => Some("configs/dcgan-fashion-mnist.toml"),
            Workload::ToyGaussian1d => Some("configs/gaussian1d.toml"),
            Workload::ToyRing => Some("configs/ring-non_saturating.toml"),
            _ => None,
        }
    }

    /// Image side length of the synthetic image workloads.
    fn image_size(self) -> i64 {
        match self {
            Workload::Dcgan64 | Workload::Sample64 => 64,
            _ => 32,
        }
    }

    /// The implementations this workload has.
    pub fn impls(self) -> &'static [Impl] {
        match self {
            Workload::ToyMlp | Workload::Dcgan32 | Workload::Dcgan64 => {
                &[Impl::Plain, Impl::Trainer, Impl::Loop]
            }
            Workload::FashionDcgan | Workload::ToyGaussian1d | Workload::ToyRing => {
                &[Impl::Trainer, Impl::Loop]
            }
            _ => &[Impl::Plain, Impl::Trainer],
        }
    }

    /// The observers of its `loop` implementation.
    pub fn observer_set(self) -> ObserverSet {
        if self.shipped_config().is_some() {
            ObserverSet::Standard
        } else {
            ObserverSet::Core
        }
    }
}

impl FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
                format!("unknown workload `{s}` (expected one of {names:?})")
            })
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which implementation of a workload runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    Plain,
    Trainer,
    Loop,
}

impl Impl {
    pub fn name(self) -> &'static str {
        match self {
            Impl::Plain => "plain",
            Impl::Trainer => "trainer",
            Impl::Loop => "loop",
        }
    }
}

impl FromStr for Impl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Impl::Plain, Impl::Trainer, Impl::Loop]
            .into_iter()
            .find(|i| i.name() == s)
            .ok_or_else(|| format!("unknown implementation `{s}` (plain, trainer or loop)"))
    }
}

/// Something that can run `n` steps of a workload.
pub trait Runner {
    fn run(&mut self, n: u64) -> BenchResult<()>;

    /// Extra figures of the last [`Runner::run`] call, for the JSON line (none by default).
    fn extra(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }

    /// The time each observer took in the last [`Runner::run`] call, in the order the
    /// trainer calls them (`loop` only; none by default).
    fn observer_times(&self) -> Vec<ObserverTimes> {
        Vec::new()
    }
}

/// Build `imp` of `workload` on `device` with `threads` intra-op threads, at `precision`
/// (`train.precision`: "fp32", or "bf16" for the Trainer's training workloads). `scratch`
/// holds synthetic data files and run directories; it must outlive the runner.
pub fn build(
    workload: Workload,
    imp: Impl,
    device: Device,
    threads: i32,
    scratch: &Path,
    precision: &str,
) -> BenchResult<Box<dyn Runner>> {
    tch::set_num_threads(threads);
    if !workload.impls().contains(&imp) {
        return Err(format!("workload {workload} has no `{}` implementation", imp.name()).into());
    }
    if precision != "fp32" && (imp == Impl::Plain || !workload.trains()) {
        return Err(format!(
            "precision {precision}: only the Trainer's training workloads (trainer, loop) have it, not {} {}",
            workload,
            imp.name()
        )
        .into());
    }
    Ok(match (workload, imp) {
        (Workload::ToyMlp, Impl::Plain) => Box::new(PlainToy::new(device)),
        (Workload::Sample32 | Workload::Sample64, Impl::Plain) => {
            Box::new(PlainSample(PlainDcgan::new(workload.image_size(), device)))
        }
        (Workload::Loader32, Impl::Plain) => Box::new(PlainLoader::new(32)),
        (_, Impl::Plain) => Box::new(PlainDcgan::new(workload.image_size(), device)),
        (Workload::Loader32, _) => Box::new(LoaderRunner(ShuffledLoader::new(
            synthetic_images(32)?,
            SEED,
            true,
        )?)),
        (w, Impl::Trainer) => {
            let t = build_trainer(w, device, threads, scratch, precision)?;
            if matches!(w, Workload::Sample32 | Workload::Sample64) {
                Box::new(TrainerSample(t))
            } else {
                Box::new(TrainerStep(t))
            }
        }
        (w, Impl::Loop) => Box::new(TrainerLoop::new(
            build_trainer(w, device, threads, scratch, precision)?,
            scratch.join(format!("run-{w}")),
            w.observer_set(),
        )),
    })
}

// ---------------------------------------------------------------- synthetic data

/// [`DATASET_SIZE`] random 3×`size`×`size` images in [−1, 1] with labels, from [`SEED`].
pub fn synthetic_images(size: i64) -> BenchResult<ImageDataset> {
    tch::manual_seed(SEED as i64);
    let images = Tensor::rand([DATASET_SIZE, 3, size, size], tch::kind::FLOAT_CPU) * 2.0 - 1.0;
    let labels = Tensor::randint(10, [DATASET_SIZE], (Kind::Int64, Device::Cpu));
    Ok(ImageDataset::new(images, labels, 10)?)
}

/// Write a synthetic CIFAR-10 (five binary batch files, [`DATASET_SIZE`] records in all)
/// under `dir/cifar10/cifar-10-batches-bin`, so a config can name `cifar10` with `dir`.
fn write_synthetic_cifar(dir: &Path) -> BenchResult<()> {
    let bin = dir.join("cifar10").join("cifar-10-batches-bin");
    std::fs::create_dir_all(&bin)?;
    let per_file = (DATASET_SIZE / 5) as usize;
    let mut state = SEED.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in 1..=5 {
        let mut bytes = Vec::with_capacity(per_file * 3073);
        for r in 0..per_file {
            bytes.push((r % 10) as u8);
            for _ in 0..3072 {
                // xorshift64: cheap, deterministic pixel noise.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push((state >> 56) as u8);
            }
        }
        std::fs::write(bin.join(format!("data_batch_{i}.bin")), bytes)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- gan-rs Trainer

/// The experiment config of a training workload (the toy one mirrors
/// `configs/gaussian1d.toml`, the image one `configs/dcgan-cifar10.toml`).
pub fn config_toml(workload: Workload, threads: i32, data_dir: &Path) -> String {
    let common = format!(
        "seed = {SEED}\n[loss]\nkind = \"non_saturating\"\n[train]\nsteps = 1000000000\nd_steps = 1\nthreads = {threads}\n"
    );
    match workload {
        Workload::ToyMlp => format!(
            "name = \"bench-toy-mlp\"\n{common}batch_size = {TOY_BATCH}\n\
             [data.toy]\nkind = \"gaussian\"\nmean = 4.0\nstd = 1.25\n\
             [generator]\nkind = \"linear\"\n\
             [discriminator]\nkind = \"mlp\"\nhidden = [32, 32]\nactivation = \"leaky_relu\"\n\
             [optim.generator]\nkind = \"adam\"\nlr = 5e-3\nbeta1 = 0.5\nbeta2 = 0.999\n\
             [optim.discriminator]\nkind = \"adam\"\nlr = 5e-3\nbeta1 = 0.5\nbeta2 = 0.999\n\
             [log]\nevery = 10\nsnapshot_every = 100\ncheckpoint_every = 1000\n"
        ),
        _ => format!(
            "name = \"bench-dcgan\"\n{common}batch_size = {IMAGE_BATCH}\n\
             [data.dataset]\nname = \"cifar10\"\ndir = {dir:?}\n\
             [generator]\nkind = \"dcgan\"\nlatent_dim = 100\nngf = 64\nnorm = \"batch\"\n\
             [discriminator]\nkind = \"dcgan\"\nndf = 64\n\
             [optim.generator]\nkind = \"adam\"\nlr = 2e-4\nbeta1 = 0.5\nbeta2 = 0.999\n\
             [optim.discriminator]\nkind = \"adam\"\nlr = 2e-4\nbeta1 = 0.5\nbeta2 = 0.999\n\
             [log]\nevery = 50\nsamples_every = 500\ncheckpoint_every = 2000\n",
            dir = data_dir.display().to_string()
        ),
    }
}

/// The path of a repository file (`configs/…`), from this crate's manifest directory.
pub fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// The config a shipped-config workload runs: its file as `gan train -c FILE` reads it,
/// with only `train.threads` and `train.precision` set by the bench.
pub fn shipped_config(
    workload: Workload,
    threads: i32,
    precision: &str,
) -> BenchResult<ExperimentConfig> {
    let relative = workload
        .shipped_config()
        .ok_or_else(|| format!("{workload} is a synthetic workload, not a shipped config"))?;
    let overrides = [
        format!("train.threads={threads}"),
        format!("train.precision={precision:?}"),
    ];
    let config = ExperimentConfig::load(&repo_file(relative), &overrides)?;
    if config.train.batch_size != workload.batch() {
        return Err(format!(
            "{relative}: batch_size {} is not the {} of workload {workload} (update Workload::batch)",
            config.train.batch_size,
            workload.batch()
        )
        .into());
    }
    Ok(config)
}

/// A [`Trainer`] for `workload`. A shipped config is built as `gan train` builds it (real
/// data included); the synthetic 32×32 DCGAN from its config over a synthetic CIFAR-10 on
/// disk; the 64×64 one (no 64×64 dataset is wired to configs yet) from the same config
/// over 64×64 networks and a 64×64 source built here ([`Trainer::from_parts`]).
pub fn build_trainer(
    workload: Workload,
    device: Device,
    threads: i32,
    scratch: &Path,
    precision: &str,
) -> BenchResult<Trainer> {
    if workload.shipped_config().is_some() {
        let config = shipped_config(workload, threads, precision)?;
        return Ok(Trainer::new(config, device)?);
    }
    if workload != Workload::ToyMlp && !scratch.join("cifar10").exists() {
        write_synthetic_cifar(scratch)?;
    }
    let config = ExperimentConfig::from_toml_str(
        &config_toml(workload, threads, scratch),
        &[format!("train.precision={precision:?}")],
    )?;
    if workload.image_size() != 64 || workload == Workload::ToyMlp {
        return Ok(Trainer::new(config, device)?);
    }
    let cfg = DcganConfig::new(3, 64);
    tch::manual_seed(SEED as i64);
    let gen_vs = nn::VarStore::new(device);
    let g = cfg.build_generator(&(gen_vs.root() / "gen"))?;
    let disc_vs = nn::VarStore::new(device);
    let d = cfg.build_discriminator(&(disc_vs.root() / "disc"))?;
    if config.train.channels_last {
        to_channels_last(&gen_vs);
        to_channels_last(&disc_vs);
    }
    let parts = Parts {
        gen_vs,
        disc_vs,
        generator: Box::new(g),
        discriminator: Box::new(d),
        source: Box::new(ShuffledLoader::new(synthetic_images(64)?, SEED, true)?),
        member: Box::new(gan_train::family::Unconditional),
    };
    Ok(Trainer::from_parts(config, device, parts)?)
}

/// `Trainer::train_step`, nothing else.
pub struct TrainerStep(pub Trainer);

impl Runner for TrainerStep {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            self.0.train_step()?;
        }
        Ok(())
    }
}

/// `Trainer::sample` of one image batch.
pub struct TrainerSample(pub Trainer);

impl Runner for TrainerSample {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            let _ = self.0.sample(IMAGE_BATCH).expect("a positive sample count");
        }
        Ok(())
    }
}

/// The observers of a `loop` implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObserverSet {
    /// What `gan train` runs ([`observe::standard_observers`], progress bar hidden): the
    /// shipped-config workloads.
    Standard,
    /// The metrics log, diagnostics, checkpointer and (hidden) progress bar only: the
    /// synthetic workloads, as they have always been measured.
    Core,
}

impl ObserverSet {
    /// The observers for `trainer`, writing into `dir`.
    fn build(self, dir: &Path, trainer: &Trainer) -> Vec<Box<dyn Observer>> {
        match self {
            ObserverSet::Standard => observe::standard_observers(dir, trainer, true),
            ObserverSet::Core => {
                let log = &trainer.config().log;
                vec![
                    Box::new(observe::MetricsLog::new(dir, log.every)),
                    Box::new(observe::Diagnostics::new(dir, log.every)),
                    Box::new(observe::Checkpointer::new(dir, log.checkpoint_every)),
                    Box::new(observe::Progress::new(
                        trainer.config().train.steps,
                        log.every,
                        true,
                    )),
                ]
            }
        }
    }
}

/// Seconds one observer spent in each of its calls over one [`Trainer::run`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObserverTimes {
    /// [`Observer::name`] of the observer.
    pub name: &'static str,
    /// In `on_start`, in all its `on_step` calls together, and in `on_end`.
    pub start_s: f64,
    pub step_s: f64,
    pub end_s: f64,
    /// The longest single `on_step` call (an observer that acts every N steps spends its
    /// time in a few long calls).
    pub max_step_s: f64,
}

impl ObserverTimes {
    /// All of its time.
    pub fn total_s(&self) -> f64 {
        self.start_s + self.step_s + self.end_s
    }
}

/// `Trainer::run` with observers (see [`ObserverSet`]) at the config's `[log]` settings
/// (the final checkpoint included), each observer timed ([`Runner::observer_times`]).
///
/// A run's start (opening files; with FID logging, the classifier and its reference
/// features) and end (final checkpoint, last log rows, end-of-run plots) happen once per
/// run, not once per window, so the time observers spend in `on_start` and `on_end` is
/// reported apart ([`Runner::extra`]): `start_seconds`, `end_seconds` (all of it) and
/// `checkpoint_seconds` (the checkpoint write alone, the same write the checkpointer makes
/// every `checkpoint_every` steps), from which `cargo xtask bench` computes the loop's
/// overhead at the default checkpoint interval.
///
/// Each [`Runner::run`] call is one `Trainer::run` of `n` more steps in the same run
/// directory (after the first it starts as a resumed run does); `n = 0` does nothing, so
/// the runner's `--warmup 0` times a whole run from step 0, as `gan train` runs it.
pub struct TrainerLoop {
    pub trainer: Trainer,
    pub dir: PathBuf,
    observers: ObserverSet,
    times: Vec<Rc<RefCell<ObserverTimes>>>,
}

impl TrainerLoop {
    pub fn new(trainer: Trainer, dir: PathBuf, observers: ObserverSet) -> Self {
        TrainerLoop {
            trainer,
            dir,
            observers,
            times: Vec::new(),
        }
    }

    /// The times of the observer called `name` in the last run (zero if it has none).
    fn times_of(&self, name: &str) -> ObserverTimes {
        self.observer_times()
            .into_iter()
            .find(|t| t.name == name)
            .unwrap_or_default()
    }
}

impl Runner for TrainerLoop {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        if n == 0 {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)?;
        let steps = self.trainer.step() + n;
        self.trainer.set_total_steps(steps)?;
        let observers = self.observers.build(&self.dir, &self.trainer);
        self.times = observers
            .iter()
            .map(|o| {
                Rc::new(RefCell::new(ObserverTimes {
                    name: o.name(),
                    ..ObserverTimes::default()
                }))
            })
            .collect();
        let mut observers: Vec<Box<dyn Observer>> = observers
            .into_iter()
            .zip(&self.times)
            .map(|(inner, times)| {
                Box::new(Timed {
                    inner,
                    times: Rc::clone(times),
                }) as Box<dyn Observer>
            })
            .collect();
        self.trainer.run(&mut observers, &AtomicBool::new(false))?;
        Ok(())
    }

    fn extra(&self) -> Vec<(&'static str, f64)> {
        let times = self.observer_times();
        let start: f64 = times.iter().map(|t| t.start_s).sum();
        let end: f64 = times.iter().map(|t| t.end_s).sum();
        vec![
            ("start_seconds", start),
            ("end_seconds", end),
            ("checkpoint_seconds", self.times_of("Checkpointer").end_s),
            (
                "checkpoint_every",
                self.trainer.config().log.checkpoint_every as f64,
            ),
        ]
    }

    fn observer_times(&self) -> Vec<ObserverTimes> {
        self.times.iter().map(|t| t.borrow().clone()).collect()
    }
}

/// An observer that adds the time of each call of the one it wraps to a shared record,
/// and is otherwise that observer (name, essential or not).
struct Timed {
    inner: Box<dyn Observer>,
    times: Rc<RefCell<ObserverTimes>>,
}

impl Observer for Timed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn is_essential(&self) -> bool {
        self.inner.is_essential()
    }

    fn on_start(&mut self, trainer: &Trainer) -> gan_train::Result<()> {
        let start = Instant::now();
        let result = self.inner.on_start(trainer);
        self.times.borrow_mut().start_s += start.elapsed().as_secs_f64();
        result
    }

    fn on_step(&mut self, trainer: &Trainer, stats: &StepStats) -> gan_train::Result<()> {
        let start = Instant::now();
        let result = self.inner.on_step(trainer, stats);
        let s = start.elapsed().as_secs_f64();
        let mut times = self.times.borrow_mut();
        times.step_s += s;
        times.max_step_s = times.max_step_s.max(s);
        result
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> gan_train::Result<()> {
        let start = Instant::now();
        let result = self.inner.on_end(trainer, error);
        self.times.borrow_mut().end_s += start.elapsed().as_secs_f64();
        result
    }
}

/// Batches of a [`ShuffledLoader`].
pub struct LoaderRunner(pub ShuffledLoader);

impl Runner for LoaderRunner {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            let _ = self.0.next_batch(IMAGE_BATCH)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- plain tch loops

/// Non-saturating D loss: BCE-with-logits, real → 1, fake → 0.
fn d_loss(real: &Tensor, fake: &Tensor) -> Tensor {
    real.binary_cross_entropy_with_logits::<Tensor>(
        &real.ones_like(),
        None,
        None,
        tch::Reduction::Mean,
    ) + fake.binary_cross_entropy_with_logits::<Tensor>(
        &fake.zeros_like(),
        None,
        None,
        tch::Reduction::Mean,
    )
}

/// Non-saturating G loss: `mean(softplus(−D(G(z))))`.
fn g_loss(fake_score: &Tensor) -> Tensor {
    (-fake_score).softplus().mean(Kind::Float)
}

/// LeakyReLU(0.2) as one kernel each way: tch only binds `leaky_relu` with the default
/// slope 0.01, and `prelu` with a constant one-element weight computes exactly
/// `max(x, 0) + 0.2·min(x, 0)`.
fn leaky_relu(device: Device) -> impl Fn(&Tensor) -> Tensor + Send {
    let slope = Tensor::from_slice(&[0.2f32]).to_device(device);
    move |x| x.prelu(&slope)
}

fn adam(vs: &nn::VarStore, lr: f64) -> nn::Optimizer {
    nn::Adam {
        beta1: 0.5,
        beta2: 0.999,
        wd: 0.0,
        eps: 1e-8,
        amsgrad: false,
    }
    .build(vs, lr)
    .expect("building Adam over a var store cannot fail")
}

/// The toy MLP GAN as a plain tch loop.
pub struct PlainToy {
    device: Device,
    _g_vs: nn::VarStore,
    _d_vs: nn::VarStore,
    a: Tensor,
    b: Tensor,
    d: nn::Sequential,
    opt_g: nn::Optimizer,
    opt_d: nn::Optimizer,
}

impl PlainToy {
    pub fn new(device: Device) -> Self {
        tch::manual_seed(SEED as i64);
        let g_vs = nn::VarStore::new(device);
        let a = g_vs.root().ones("a", &[1]);
        let b = g_vs.root().zeros("b", &[1]);
        let d_vs = nn::VarStore::new(device);
        let p = d_vs.root();
        let d = nn::seq()
            .add(nn::linear(&p / "fc0", 1, 32, Default::default()))
            .add_fn(leaky_relu(device))
            .add(nn::linear(&p / "fc1", 32, 32, Default::default()))
            .add_fn(leaky_relu(device))
            .add(nn::linear(&p / "out", 32, 1, Default::default()));
        let opt_g = adam(&g_vs, 5e-3);
        let opt_d = adam(&d_vs, 5e-3);
        PlainToy {
            device,
            _g_vs: g_vs,
            _d_vs: d_vs,
            a,
            b,
            d,
            opt_g,
            opt_d,
        }
    }

    /// One D update and one G update; returns (d_loss, g_loss).
    pub fn step(&mut self) -> (f64, f64) {
        let opts = (Kind::Float, self.device);
        let real = Tensor::randn([TOY_BATCH, 1], opts) * 1.25 + 4.0;
        let z = Tensor::randn([TOY_BATCH, 1], opts);
        let fake = (&z * &self.a + &self.b).detach();
        let ld = d_loss(
            &self.d.forward(&real).squeeze_dim(1),
            &self.d.forward(&fake).squeeze_dim(1),
        );
        self.opt_d.backward_step(&ld);
        let z = Tensor::randn([TOY_BATCH, 1], opts);
        let fake = &z * &self.a + &self.b;
        let lg = g_loss(&self.d.forward(&fake).squeeze_dim(1));
        self.opt_g.backward_step(&lg);
        (ld.double_value(&[]), lg.double_value(&[]))
    }
}

impl Runner for PlainToy {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            self.step();
        }
        Ok(())
    }
}

fn bn(p: nn::Path, c: i64) -> nn::BatchNorm {
    nn::batch_norm2d(p, c, Default::default())
}

/// PyTorch's DCGAN example networks for 3×`size`×`size` images, written out in `tch::nn`.
pub struct PlainDcgan {
    device: Device,
    size: i64,
    _g_vs: nn::VarStore,
    _d_vs: nn::VarStore,
    g: nn::SequentialT,
    d: nn::SequentialT,
    opt_g: nn::Optimizer,
    opt_d: nn::Optimizer,
    data: Tensor,
    perm: Vec<i64>,
    pos: usize,
}

impl PlainDcgan {
    pub fn new(size: i64, device: Device) -> Self {
        let (nz, ngf, ndf, nc) = (100, 64, 64, 3);
        let mults: &[i64] = if size == 64 {
            &[8, 4, 2, 1]
        } else {
            &[4, 2, 1]
        };
        tch::manual_seed(SEED as i64);
        let g_vs = nn::VarStore::new(device);
        let p = g_vs.root();
        let mut g = nn::seq_t();
        let mut c_in = nz;
        for (i, m) in mults.iter().enumerate() {
            let (stride, padding) = if i == 0 { (1, 0) } else { (2, 1) };
            let cfg = nn::ConvTransposeConfig {
                stride,
                padding,
                bias: false,
                ..Default::default()
            };
            let w = m * ngf;
            g = g
                .add(nn::conv_transpose2d(
                    &p / format!("convt{i}"),
                    c_in,
                    w,
                    4,
                    cfg,
                ))
                .add(bn(&p / format!("bn{i}"), w))
                .add_fn(|x| x.relu());
            c_in = w;
        }
        let out_cfg = nn::ConvTransposeConfig {
            stride: 2,
            padding: 1,
            bias: false,
            ..Default::default()
        };
        g = g
            .add(nn::conv_transpose2d(&p / "out", c_in, nc, 4, out_cfg))
            .add_fn(|x| x.tanh());

        let d_vs = nn::VarStore::new(device);
        let p = d_vs.root();
        let mut d = nn::seq_t();
        let mut c_in = nc;
        for (i, m) in mults.iter().rev().enumerate() {
            let cfg = nn::ConvConfig {
                stride: 2,
                padding: 1,
                bias: false,
                ..Default::default()
            };
            let w = m * ndf;
            d = d.add(nn::conv2d(&p / format!("conv{i}"), c_in, w, 4, cfg));
            if i > 0 {
                d = d.add(bn(&p / format!("bn{i}"), w));
            }
            d = d.add_fn(leaky_relu(device));
            c_in = w;
        }
        let head = nn::ConvConfig {
            bias: false,
            ..Default::default()
        };
        d = d.add(nn::conv2d(&p / "out", c_in, 1, 4, head));

        let opt_g = adam(&g_vs, 2e-4);
        let opt_d = adam(&d_vs, 2e-4);
        tch::manual_seed(SEED as i64);
        let data = Tensor::rand([DATASET_SIZE, nc, size, size], tch::kind::FLOAT_CPU) * 2.0 - 1.0;
        PlainDcgan {
            device,
            size,
            _g_vs: g_vs,
            _d_vs: d_vs,
            g,
            d,
            opt_g,
            opt_d,
            data,
            perm: Vec::new(),
            pos: 0,
        }
    }

    /// The next real batch (a shuffled pass over the synthetic set, as a loader would).
    fn real_batch(&mut self) -> Tensor {
        let n = IMAGE_BATCH as usize;
        if self.pos + n > self.perm.len() {
            self.perm = Vec::<i64>::try_from(&Tensor::randperm(DATASET_SIZE, tch::kind::INT64_CPU))
                .unwrap_or_else(|_| (0..DATASET_SIZE).collect());
            self.pos = 0;
        }
        let idx = Tensor::from_slice(&self.perm[self.pos..self.pos + n]);
        self.pos += n;
        self.data.index_select(0, &idx).to_device(self.device)
    }

    fn noise(&self) -> Tensor {
        Tensor::randn([IMAGE_BATCH, 100, 1, 1], (Kind::Float, self.device))
    }

    /// One D update and one G update; returns (d_loss, g_loss).
    pub fn step(&mut self) -> (f64, f64) {
        let real = self.real_batch();
        let fake = self.g.forward_t(&self.noise(), true).detach();
        let ld = d_loss(
            &self.d.forward_t(&real, true).reshape([-1]),
            &self.d.forward_t(&fake, true).reshape([-1]),
        );
        self.opt_d.backward_step(&ld);
        let fake = self.g.forward_t(&self.noise(), true);
        let lg = g_loss(&self.d.forward_t(&fake, true).reshape([-1]));
        self.opt_g.backward_step(&lg);
        (ld.double_value(&[]), lg.double_value(&[]))
    }

    /// One batch of samples, eval mode, no grad, on the CPU.
    pub fn sample(&self) -> Tensor {
        tch::no_grad(|| self.g.forward_t(&self.noise(), false)).to_device(Device::Cpu)
    }

    pub fn image_size(&self) -> i64 {
        self.size
    }
}

impl Runner for PlainDcgan {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            self.step();
        }
        Ok(())
    }
}

/// Generator forward passes of [`PlainDcgan`].
pub struct PlainSample(pub PlainDcgan);

impl Runner for PlainSample {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            let _ = self.0.sample();
        }
        Ok(())
    }
}

/// A hand-written shuffled batcher: `randperm` per epoch and `index_select` per batch.
pub struct PlainLoader {
    data: Tensor,
    labels: Tensor,
    perm: Tensor,
    pos: i64,
}

impl PlainLoader {
    pub fn new(size: i64) -> Self {
        tch::manual_seed(SEED as i64);
        let data = Tensor::rand([DATASET_SIZE, 3, size, size], tch::kind::FLOAT_CPU) * 2.0 - 1.0;
        let labels = Tensor::randint(10, [DATASET_SIZE], tch::kind::INT64_CPU);
        PlainLoader {
            data,
            labels,
            perm: Tensor::randperm(DATASET_SIZE, tch::kind::INT64_CPU),
            pos: 0,
        }
    }
}

impl Runner for PlainLoader {
    fn run(&mut self, n: u64) -> BenchResult<()> {
        for _ in 0..n {
            if self.pos + IMAGE_BATCH > DATASET_SIZE {
                self.perm = Tensor::randperm(DATASET_SIZE, tch::kind::INT64_CPU);
                self.pos = 0;
            }
            let idx = self.perm.narrow(0, self.pos, IMAGE_BATCH);
            self.pos += IMAGE_BATCH;
            let _ = (
                self.data.index_select(0, &idx),
                self.labels.index_select(0, &idx),
            );
        }
        Ok(())
    }
}

/// Peak resident set size of this process in MiB (`VmHWM`; Linux only).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
