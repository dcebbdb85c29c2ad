//! `cargo xtask bench`: gan-rs against PyTorch eager on the same workloads, same device,
//! same thread count, in one run.
//!
//! It builds `crates/gan-train/examples/bench_steps.rs` in release mode, then for every
//! workload runs, round after round and alternating with each other, the gan-rs
//! implementations (`plain` tch loop, `trainer` = `Trainer::train_step`, `loop` =
//! `Trainer::run` with observers) and `scripts/bench_pytorch.py` in the venv of
//! `cargo xtask setup` (`<cache>/torch-2.13.0/venv`). Each measurement is a fresh process
//! that prints one flat JSON line, so its peak RSS is its own. The medians over rounds go
//! into a table printed here and saved as `target/bench/results.{json,md}`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use crate::paths;

/// Where `cargo xtask setup` puts the PyTorch venv, under the cache root.
const VENV: &str = "torch-2.13.0/venv";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchDevice {
    Cpu,
    Cuda,
}

impl BenchDevice {
    fn as_str(self) -> &'static str {
        match self {
            BenchDevice::Cpu => "cpu",
            BenchDevice::Cuda => "cuda",
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Device both sides run on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: BenchDevice,
    /// Few steps and one round: a smoke test of the whole pipeline, not a measurement.
    #[arg(long)]
    pub quick: bool,
    /// Rounds per measurement (the table shows medians); default 3, 1 with --quick.
    #[arg(long)]
    pub rounds: Option<u32>,
    /// Only these workloads (toy_mlp, dcgan32, dcgan64, sample32, sample64, loader32).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Thread counts for the toy MLP workload (default 1,2; 1 with --quick). Image
    /// workloads use libtorch's default (one per core) on both sides.
    #[arg(long, value_delimiter = ',')]
    pub toy_threads: Vec<u32>,
    /// Thread count for the image workloads on both sides (default: libtorch's, one per
    /// core). On a shared, overloaded machine 1 is far steadier.
    #[arg(long)]
    pub image_threads: Option<u32>,
    /// Python with torch (default: the venv of `cargo xtask setup`).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Also run, to show where the ratio comes from (a second table): the gan-rs Trainer
    /// with glibc's default malloc (`GAN_RS_MALLOC=system`), PyTorch with gan-rs's malloc
    /// thresholds (`GLIBC_TUNABLES`), and for the training workloads PyTorch written as the
    /// Trainer runs (`bench_pytorch.py --tuned`: fused Adam, D frozen during G's step, no
    /// graph for G in D's step, channels-last networks) with gan-rs's malloc thresholds too.
    #[arg(long)]
    pub variants: bool,
}

/// gan-rs's malloc thresholds (crates/gan-train/src/allocator.rs) as glibc tunables, for
/// the PyTorch process of `--malloc-variants`.
const RETAIN_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824";

/// One process to run per round: which side, its `--impl`, a label for the records and
/// the environment it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Job {
    gan_impl: Option<&'static str>,
    label: &'static str,
    env: Option<(&'static str, &'static str)>,
}

impl Job {
    fn gan(imp: &'static str) -> Job {
        Job {
            gan_impl: Some(imp),
            label: imp,
            env: None,
        }
    }

    const PYTORCH: Job = Job {
        gan_impl: None,
        label: "eager",
        env: None,
    };
    const TRAINER_SYSTEM_MALLOC: Job = Job {
        gan_impl: Some("trainer"),
        label: "trainer-system-malloc",
        env: Some(("GAN_RS_MALLOC", "system")),
    };
    const PYTORCH_RETAIN_MALLOC: Job = Job {
        gan_impl: None,
        label: "eager-retain-malloc",
        env: Some(("GLIBC_TUNABLES", RETAIN_TUNABLES)),
    };
    const PYTORCH_TUNED: Job = Job {
        gan_impl: None,
        label: "eager-tuned",
        env: Some(("GLIBC_TUNABLES", RETAIN_TUNABLES)),
    };
}

/// The processes of one round of `spec`, in order.
fn jobs_of(spec: &Spec, variants: bool) -> Vec<Job> {
    let mut jobs: Vec<Job> = spec.gan_impls.iter().map(|&i| Job::gan(i)).collect();
    jobs.push(Job::PYTORCH);
    if variants && spec.builds_trainer {
        jobs.push(Job::TRAINER_SYSTEM_MALLOC);
        jobs.push(Job::PYTORCH_RETAIN_MALLOC);
        if spec.trains() {
            jobs.push(Job::PYTORCH_TUNED);
        }
    }
    jobs
}

/// A workload and how long to measure it (full, quick): (steps, warmup).
#[derive(Debug)]
struct Spec {
    name: &'static str,
    gan_impls: &'static [&'static str],
    /// Whether its `trainer` implementation builds a `Trainer` (which applies the malloc
    /// setting), so that `--malloc-variants` means something.
    builds_trainer: bool,
    full: (u32, u32),
    quick: (u32, u32),
}

const TRAIN_IMPLS: &[&str] = &["plain", "trainer", "loop"];
const OTHER_IMPLS: &[&str] = &["plain", "trainer"];

const SPECS: [Spec; 6] = [
    Spec {
        name: "toy_mlp",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        full: (2000, 100),
        quick: (200, 20),
    },
    Spec {
        name: "dcgan32",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        full: (20, 3),
        quick: (4, 1),
    },
    Spec {
        name: "dcgan64",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        full: (8, 2),
        quick: (2, 1),
    },
    Spec {
        name: "sample32",
        gan_impls: OTHER_IMPLS,
        builds_trainer: true,
        full: (20, 2),
        quick: (5, 1),
    },
    Spec {
        name: "sample64",
        gan_impls: OTHER_IMPLS,
        builds_trainer: true,
        full: (8, 1),
        quick: (2, 1),
    },
    Spec {
        name: "loader32",
        gan_impls: OTHER_IMPLS,
        builds_trainer: false,
        full: (1000, 50),
        quick: (100, 10),
    },
];

impl Spec {
    /// A training workload (it has the `loop` implementation), not sampling or loading.
    fn trains(&self) -> bool {
        self.gan_impls.contains(&"loop")
    }
}

/// One measurement: one process's JSON line.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub side: String,
    pub imp: String,
    pub workload: String,
    pub threads: u32,
    pub steps_per_s: f64,
    pub images_per_s: f64,
    pub peak_rss_mib: Option<f64>,
    /// Steps and seconds of the timed window.
    pub steps: f64,
    pub seconds: f64,
    /// `loop` only: seconds of the window spent ending the run (final checkpoint, last
    /// log rows), of which `checkpoint_seconds` writing the checkpoint, and the
    /// config's checkpoint interval.
    pub end_seconds: Option<f64>,
    pub checkpoint_seconds: Option<f64>,
    pub checkpoint_every: Option<f64>,
    pub raw: String,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let repo = paths::repo_root();
    let python = match &args.python {
        Some(p) => p.clone(),
        None => paths::cache_root(&paths::process_env)?
            .join(VENV)
            .join("bin")
            .join("python"),
    };
    if !python.exists() {
        bail!(
            "no PyTorch python at {} (run `cargo xtask setup`, or pass --python)",
            python.display()
        );
    }
    let specs = select_specs(&args.workloads)?;
    let rounds = args.rounds.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let toy_threads = match (&args.toy_threads[..], args.quick) {
        ([], true) => vec![1],
        ([], false) => vec![1, 2],
        (t, _) => t.to_vec(),
    };

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("==> building the gan-rs bench runner (release)");
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "-p",
            "gan-train",
            "--example",
            "bench_steps",
        ])
        .current_dir(&repo)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the bench runner failed ({status})");
    }
    let runner = repo.join("target/release/examples/bench_steps");
    let script = repo.join("scripts/bench_pytorch.py");

    let mut records = Vec::new();
    for spec in specs {
        let (steps, warmup) = if args.quick { spec.quick } else { spec.full };
        let threads: Vec<Option<u32>> = if spec.name == "toy_mlp" {
            toy_threads.iter().map(|&t| Some(t)).collect()
        } else {
            vec![args.image_threads]
        };
        for t in threads {
            for round in 0..rounds {
                // Alternate who goes first, so slow drifts of a shared machine even out.
                let mut jobs = jobs_of(spec, args.variants);
                if round % 2 == 1 {
                    jobs.reverse();
                }
                for job in jobs {
                    let mut cmd = match job.gan_impl {
                        Some(imp) => {
                            let mut c = Command::new(&runner);
                            c.args(["--impl", imp]);
                            c
                        }
                        None => {
                            let mut c = Command::new(&python);
                            c.arg(&script);
                            if job == Job::PYTORCH_TUNED {
                                c.arg("--tuned");
                            }
                            c
                        }
                    };
                    cmd.args(["--workload", spec.name, "--device", args.device.as_str()])
                        .args([
                            "--steps",
                            &steps.to_string(),
                            "--warmup",
                            &warmup.to_string(),
                        ])
                        .current_dir(&repo);
                    if let Some(t) = t {
                        cmd.args(["--threads", &t.to_string()]);
                    }
                    if let Some((key, value)) = job.env {
                        cmd.env(key, value);
                    }
                    let side = if job.gan_impl.is_some() {
                        "gan-rs"
                    } else {
                        "pytorch"
                    };
                    let what = format!(
                        "{} {side} {} (round {}/{rounds})",
                        spec.name,
                        job.label,
                        round + 1
                    );
                    let mut rec = run_one(&mut cmd, &what)?;
                    rec.imp = job.label.to_string();
                    println!(
                        "  {what}: {:.2} steps/s, peak RSS {}",
                        rec.steps_per_s,
                        fmt_rss(rec.peak_rss_mib)
                    );
                    records.push(rec);
                }
            }
        }
    }

    let rows = summarize(&records);
    let mut md = markdown(&rows, args, rounds);
    if args.variants {
        md.push_str(&variants_markdown(&rows));
    }
    println!("\n{md}");
    let out = repo.join("target/bench");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    write(&out.join("results.md"), &md)?;
    write(
        &out.join("results.json"),
        &results_json(&records, &rows, args),
    )?;
    println!(
        "saved {} and results.json",
        out.join("results.md").display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn select_specs(names: &[String]) -> Result<Vec<&'static Spec>> {
    if names.is_empty() {
        return Ok(SPECS.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            SPECS.iter().find(|s| s.name == n).with_context(|| {
                let all: Vec<_> = SPECS.iter().map(|s| s.name).collect();
                format!("unknown workload `{n}` (expected one of {all:?})")
            })
        })
        .collect()
}

fn run_one(cmd: &mut Command, what: &str) -> Result<Record> {
    let out = cmd
        .output()
        .with_context(|| format!("{what}: could not start {:?}", cmd.get_program()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("{what}: no JSON line in its output:\n{stdout}"))?;
    parse_record(line).with_context(|| format!("{what}: bad JSON line {line}"))
}

/// Parse the flat JSON object the runners print (string, number and null values).
pub fn parse_record(line: &str) -> Result<Record> {
    let fields = parse_flat_json(line)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .with_context(|| format!("missing field `{k}`"))
    };
    let num = |k: &str| -> Result<f64> {
        get(k)?
            .parse::<f64>()
            .with_context(|| format!("field `{k}` is not a number"))
    };
    Ok(Record {
        side: get("side")?.to_string(),
        imp: get("impl")?.to_string(),
        workload: get("workload")?.to_string(),
        threads: num("threads")? as u32,
        steps_per_s: num("steps_per_s")?,
        images_per_s: num("images_per_s")?,
        peak_rss_mib: get("peak_rss_mib")?.parse::<f64>().ok(),
        steps: num("steps")?,
        seconds: num("seconds")?,
        end_seconds: num("end_seconds").ok(),
        checkpoint_seconds: num("checkpoint_seconds").ok(),
        checkpoint_every: num("checkpoint_every").ok(),
        raw: line.trim().to_string(),
    })
}

/// `{"k": v, ...}` with no nesting and no escapes in strings → (key, value text) pairs.
fn parse_flat_json(line: &str) -> Result<Vec<(String, String)>> {
    let body = line
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .context("not a JSON object")?;
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let r = rest.strip_prefix('"').context("expected a key")?;
        let end = r.find('"').context("unterminated key")?;
        let key = r[..end].to_string();
        let r = r[end + 1..]
            .trim_start()
            .strip_prefix(':')
            .context("expected `:`")?;
        let r = r.trim_start();
        let (value, r) = if let Some(s) = r.strip_prefix('"') {
            let end = s.find('"').context("unterminated string")?;
            (s[..end].to_string(), &s[end + 1..])
        } else {
            let end = r.find(',').unwrap_or(r.len());
            (r[..end].trim().to_string(), &r[end..])
        };
        if value.starts_with('{') || value.starts_with('[') {
            bail!("nested values are not supported (key `{key}`)");
        }
        out.push((key, value));
        rest = r.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(out)
}

/// Medians over rounds of one (workload, threads) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub workload: String,
    pub threads: u32,
    pub batch_images: f64,
    pub plain: Option<f64>,
    pub trainer: Option<f64>,
    pub lp: Option<f64>,
    pub pytorch: Option<f64>,
    /// `loop` steps/s with the run's end (final checkpoint, last rows) taken out.
    pub lp_steady: Option<f64>,
    /// Seconds of one checkpoint write, and the config's checkpoint interval.
    pub checkpoint_s: Option<f64>,
    pub checkpoint_every: Option<f64>,
    /// `--variants`: the Trainer on glibc's default malloc, PyTorch on gan-rs's, and
    /// PyTorch written as the Trainer runs (with gan-rs's malloc).
    pub trainer_system_malloc: Option<f64>,
    pub pytorch_retain_malloc: Option<f64>,
    pub pytorch_tuned: Option<f64>,
    pub rss_gan: Option<f64>,
    pub rss_torch: Option<f64>,
}

impl Row {
    /// gan-rs `trainer` steps/s over PyTorch's.
    pub fn ratio(&self) -> Option<f64> {
        Some(self.trainer? / self.pytorch?)
    }
    pub fn plain_ratio(&self) -> Option<f64> {
        Some(self.plain? / self.pytorch?)
    }
    /// Extra time per step of `Trainer::run` with observers over bare `train_step`, in %,
    /// over the measured window as it ran (the run's end included once).
    pub fn loop_overhead_pct(&self) -> Option<f64> {
        Some((self.trainer? / self.lp? - 1.0) * 100.0)
    }
    /// The same at the config's settings in a long run: the window without the run's end,
    /// plus one checkpoint write per `checkpoint_every` steps (every 0: written only at
    /// the end, so nothing per step).
    pub fn loop_default_overhead_pct(&self) -> Option<f64> {
        let every = self.checkpoint_every?;
        let per_step_checkpoint = if every > 0.0 {
            self.checkpoint_s? / every
        } else {
            0.0
        };
        let step_s = 1.0 / self.lp_steady? + per_step_checkpoint;
        Some((step_s * self.trainer? - 1.0) * 100.0)
    }
    /// Extra time per step of `train_step` over the plain tch loop, in %.
    pub fn trainer_overhead_pct(&self) -> Option<f64> {
        Some((self.plain? / self.trainer? - 1.0) * 100.0)
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

pub fn summarize(records: &[Record]) -> Vec<Row> {
    let mut keys: Vec<(String, u32)> = Vec::new();
    for r in records {
        let k = (r.workload.clone(), r.threads);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(workload, threads)| {
            let of = |side: &str, imp: Option<&str>| -> Vec<&Record> {
                records
                    .iter()
                    .filter(|r| {
                        r.workload == workload
                            && r.threads == threads
                            && r.side == side
                            && imp.is_none_or(|i| r.imp == i)
                    })
                    .collect()
            };
            let sps = |rs: Vec<&Record>| median(rs.iter().map(|r| r.steps_per_s).collect());
            let rss = |rs: Vec<&Record>| rs.iter().filter_map(|r| r.peak_rss_mib).reduce(f64::max);
            let any = records
                .iter()
                .find(|r| r.workload == workload && r.threads == threads);
            let batch_images = any.map_or(1.0, |r| r.images_per_s / r.steps_per_s);
            let loops = of("gan-rs", Some("loop"));
            let steady = loops
                .iter()
                .filter_map(|r| Some(r.steps / (r.seconds - r.end_seconds?)))
                .filter(|v| v.is_finite() && *v > 0.0)
                .collect();
            let checkpoint = loops.iter().filter_map(|r| r.checkpoint_seconds).collect();
            Row {
                plain: sps(of("gan-rs", Some("plain"))),
                trainer: sps(of("gan-rs", Some("trainer"))),
                lp: sps(loops.clone()),
                pytorch: sps(of("pytorch", Some("eager"))),
                lp_steady: median(steady),
                checkpoint_s: median(checkpoint),
                checkpoint_every: loops.iter().find_map(|r| r.checkpoint_every),
                trainer_system_malloc: sps(of("gan-rs", Some("trainer-system-malloc"))),
                pytorch_retain_malloc: sps(of("pytorch", Some("eager-retain-malloc"))),
                pytorch_tuned: sps(of("pytorch", Some("eager-tuned"))),
                rss_gan: rss(of("gan-rs", Some("trainer"))),
                rss_torch: rss(of("pytorch", Some("eager"))),
                workload,
                threads,
                batch_images,
            }
        })
        .collect()
}

fn fmt_rss(v: Option<f64>) -> String {
    v.map_or("—".into(), |m| format!("{m:.0} MiB"))
}

fn fmt_sps(v: Option<f64>, batch: f64) -> String {
    v.map_or("—".into(), |s| format!("{s:.2} ({:.0})", s * batch))
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("—".into(), f)
}

pub fn markdown(rows: &[Row], args: &BenchArgs, rounds: u32) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "device: {}, rounds: {rounds}{}; steps/s (images/s), medians over rounds",
        args.device.as_str(),
        if args.quick {
            " (--quick: not a measurement)"
        } else {
            ""
        }
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| workload | threads | gan-rs Trainer | gan-rs Trainer+observers | plain tch | PyTorch eager | Trainer / PyTorch | plain / PyTorch | loop overhead (defaults) | loop overhead (window) | Trainer overhead vs plain | peak RSS gan-rs | peak RSS PyTorch |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let b = r.batch_images;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.threads,
            fmt_sps(r.trainer, b),
            fmt_sps(r.lp, b),
            fmt_sps(r.plain, b),
            fmt_sps(r.pytorch, b),
            fmt_opt(r.ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.plain_ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.loop_default_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_opt(r.loop_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_opt(r.trainer_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_rss(r.rss_gan),
            fmt_rss(r.rss_torch),
        );
    }
    let checkpoints: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            Some(format!(
                "{} {:.3} s every {} steps",
                r.workload, r.checkpoint_s?, r.checkpoint_every?
            ))
        })
        .collect();
    if !checkpoints.is_empty() {
        let _ = writeln!(
            s,
            "\nloop overhead (defaults): observers over the window without the run's end, plus one \
             checkpoint write per interval ({}); (window): as measured, the run's end included once.",
            checkpoints.join(", ")
        );
    }
    s
}

/// The `--variants` table: each side with and without gan-rs's malloc thresholds, and
/// PyTorch written as the Trainer runs.
pub fn variants_markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nvariants, steps/s (medians): malloc \"retain\" = gan-rs's thresholds (mmap 32 MiB, trim 1 GiB), \"default\" = glibc's; \
         PyTorch tuned = fused Adam, D frozen during G's step, no graph for G in D's step, channels-last, retain\n"
    );
    let _ = writeln!(
        s,
        "| workload | threads | Trainer (retain) | Trainer (default) | PyTorch (default) | PyTorch (retain) | PyTorch tuned | Trainer / PyTorch, both default | both retain | Trainer / PyTorch tuned |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for r in rows.iter().filter(|r| r.trainer_system_malloc.is_some()) {
        let ratio = |a: Option<f64>, b: Option<f64>| {
            fmt_opt(a.zip(b).map(|(a, b)| a / b), |x| format!("{x:.2}×"))
        };
        let sps = |v: Option<f64>| fmt_opt(v, |x| format!("{x:.2}"));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.threads,
            sps(r.trainer),
            sps(r.trainer_system_malloc),
            sps(r.pytorch),
            sps(r.pytorch_retain_malloc),
            sps(r.pytorch_tuned),
            ratio(r.trainer_system_malloc, r.pytorch),
            ratio(r.trainer, r.pytorch_retain_malloc),
            ratio(r.trainer, r.pytorch_tuned),
        );
    }
    s
}

fn json_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x}"),
        _ => "null".into(),
    }
}

fn results_json(records: &[Record], rows: &[Row], args: &BenchArgs) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{{\n  \"device\": \"{}\",\n  \"quick\": {},\n  \"rows\": [",
        args.device.as_str(),
        args.quick
    );
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(
            s,
            "{}\n    {{\"workload\": \"{}\", \"threads\": {}, \"trainer_steps_per_s\": {}, \"loop_steps_per_s\": {}, \"plain_steps_per_s\": {}, \"pytorch_steps_per_s\": {}, \"ratio\": {}, \"plain_ratio\": {}, \"loop_overhead_pct\": {}, \"loop_default_overhead_pct\": {}, \"checkpoint_seconds\": {}, \"trainer_system_malloc_steps_per_s\": {}, \"pytorch_retain_malloc_steps_per_s\": {}, \"pytorch_tuned_steps_per_s\": {}, \"peak_rss_mib_gan_rs\": {}, \"peak_rss_mib_pytorch\": {}}}",
            if i == 0 { "" } else { "," },
            r.workload,
            r.threads,
            json_num(r.trainer),
            json_num(r.lp),
            json_num(r.plain),
            json_num(r.pytorch),
            json_num(r.ratio()),
            json_num(r.plain_ratio()),
            json_num(r.loop_overhead_pct()),
            json_num(r.loop_default_overhead_pct()),
            json_num(r.checkpoint_s),
            json_num(r.trainer_system_malloc),
            json_num(r.pytorch_retain_malloc),
            json_num(r.pytorch_tuned),
            json_num(r.rss_gan),
            json_num(r.rss_torch),
        );
    }
    let _ = write!(s, "\n  ],\n  \"records\": [");
    for (i, r) in records.iter().enumerate() {
        let _ = write!(s, "{}\n    {}", if i == 0 { "" } else { "," }, r.raw);
    }
    let _ = writeln!(s, "\n  ]\n}}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"side": "pytorch", "impl": "eager", "workload": "dcgan32", "device": "cpu", "threads": 2, "batch": 64, "steps": 40, "seconds": 10.0, "steps_per_s": 4.0, "images_per_s": 256.0, "peak_rss_mib": 700.5, "torch": "2.13.0+cu130"}"#;

    fn rec(side: &str, imp: &str, sps: f64, rss: Option<f64>) -> Record {
        Record {
            side: side.into(),
            imp: imp.into(),
            workload: "dcgan32".into(),
            threads: 2,
            steps_per_s: sps,
            images_per_s: sps * 64.0,
            peak_rss_mib: rss,
            steps: 20.0,
            seconds: 20.0 / sps,
            end_seconds: None,
            checkpoint_seconds: None,
            checkpoint_every: None,
            raw: String::new(),
        }
    }

    fn args(quick: bool, variants: bool) -> BenchArgs {
        BenchArgs {
            device: BenchDevice::Cpu,
            quick,
            rounds: None,
            workloads: vec![],
            toy_threads: vec![],
            image_threads: None,
            python: None,
            variants,
        }
    }

    #[test]
    fn parses_runner_lines_and_rejects_broken_ones() {
        let r = parse_record(LINE).unwrap();
        assert_eq!((r.side.as_str(), r.imp.as_str()), ("pytorch", "eager"));
        assert_eq!((r.workload.as_str(), r.threads), ("dcgan32", 2));
        assert_eq!((r.steps_per_s, r.images_per_s), (4.0, 256.0));
        assert_eq!(r.peak_rss_mib, Some(700.5));
        let null_rss = LINE.replace("700.5", "null");
        assert_eq!(parse_record(&null_rss).unwrap().peak_rss_mib, None);
        assert!(parse_record("not json").is_err());
        assert!(parse_record(r#"{"side": "x"}"#).is_err());
        assert!(parse_record(&LINE.replace("4.0,", "\"fast\",")).is_err());
        assert!(parse_record(r#"{"side": {"nested": 1}}"#).is_err());
    }

    #[test]
    fn summary_takes_medians_ratios_and_overheads() {
        let records = vec![
            rec("gan-rs", "trainer", 5.0, Some(600.0)),
            rec("gan-rs", "trainer", 4.0, Some(650.0)),
            rec("gan-rs", "trainer", 6.0, Some(610.0)),
            rec("gan-rs", "loop", 4.0, None),
            rec("gan-rs", "plain", 5.5, None),
            rec("pytorch", "eager", 4.0, Some(900.0)),
            rec("pytorch", "eager", 5.0, Some(800.0)),
        ];
        let rows = summarize(&records);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.trainer, Some(5.0));
        assert_eq!(r.pytorch, Some(4.5));
        assert_eq!(r.rss_gan, Some(650.0));
        assert_eq!(r.rss_torch, Some(900.0));
        assert_eq!(r.batch_images, 64.0);
        assert!((r.ratio().unwrap() - 5.0 / 4.5).abs() < 1e-12);
        assert!((r.loop_overhead_pct().unwrap() - 25.0).abs() < 1e-9);
        assert!((r.trainer_overhead_pct().unwrap() - 10.0).abs() < 1e-9);
        let args = args(true, false);
        let md = markdown(&rows, &args, 1);
        assert!(md.contains("| dcgan32 | 2 | 5.00 (320) |"), "{md}");
        assert!(md.contains("1.11×"), "{md}");
        let json = results_json(&records, &rows, &args);
        assert!(json.contains("\"pytorch_steps_per_s\": 4.5"), "{json}");
    }

    #[test]
    fn loop_overhead_at_defaults_takes_out_the_run_end_and_amortizes_checkpoints() {
        // Trainer: 5 steps/s (0.2 s a step). Loop: 20 steps in 4.6 s, of which 0.5 s ending
        // the run and 0.4 s of that the checkpoint, written every 100 steps.
        let mut lp = rec("gan-rs", "loop", 20.0 / 4.6, None);
        lp.seconds = 4.6;
        lp.end_seconds = Some(0.5);
        lp.checkpoint_seconds = Some(0.4);
        lp.checkpoint_every = Some(100.0);
        let rows = summarize(&[rec("gan-rs", "trainer", 5.0, None), lp.clone()]);
        let r = &rows[0];
        assert!((r.lp_steady.unwrap() - 20.0 / 4.1).abs() < 1e-9);
        // (4.1 / 20 + 0.4 / 100) s a step against 0.2 s: +4.5 %.
        let expected = ((4.1 / 20.0 + 0.004) / 0.2 - 1.0) * 100.0;
        assert!((r.loop_default_overhead_pct().unwrap() - expected).abs() < 1e-9);
        // As measured, the window carries the whole run end: +15 %.
        assert!((r.loop_overhead_pct().unwrap() - 15.0).abs() < 1e-9);
        // Checkpoints only at the end: nothing per step.
        lp.checkpoint_every = Some(0.0);
        let rows = summarize(&[rec("gan-rs", "trainer", 5.0, None), lp]);
        let expected = (4.1 / 20.0 / 0.2 - 1.0) * 100.0;
        assert!((rows[0].loop_default_overhead_pct().unwrap() - expected).abs() < 1e-9);
        let md = markdown(&rows, &args(false, false), 3);
        assert!(md.contains("dcgan32 0.400 s every 0 steps"), "{md}");
    }

    #[test]
    fn variants_are_their_own_jobs_and_table() {
        let dcgan = select_specs(&["dcgan32".into()]).unwrap()[0];
        assert_eq!(jobs_of(dcgan, false).len(), 4);
        let jobs = jobs_of(dcgan, true);
        for job in [
            Job::TRAINER_SYSTEM_MALLOC,
            Job::PYTORCH_RETAIN_MALLOC,
            Job::PYTORCH_TUNED,
        ] {
            assert!(jobs.contains(&job), "{job:?}");
        }
        let sample = select_specs(&["sample32".into()]).unwrap()[0];
        assert!(
            !jobs_of(sample, true).contains(&Job::PYTORCH_TUNED),
            "nothing to tune"
        );
        let loader = select_specs(&["loader32".into()]).unwrap()[0];
        assert_eq!(
            jobs_of(loader, true).len(),
            3,
            "no Trainer, no malloc setting"
        );
        let rows = summarize(&[
            rec("gan-rs", "trainer", 5.5, None),
            rec("gan-rs", "trainer-system-malloc", 5.2, None),
            rec("pytorch", "eager", 5.0, Some(700.0)),
            rec("pytorch", "eager-retain-malloc", 5.1, Some(900.0)),
            rec("pytorch", "eager-tuned", 5.5, Some(800.0)),
        ]);
        let r = &rows[0];
        // The variants never leak into the main columns.
        assert_eq!(
            (r.trainer, r.pytorch, r.rss_torch),
            (Some(5.5), Some(5.0), Some(700.0))
        );
        let md = variants_markdown(&rows);
        assert!(
            md.contains(
                "| dcgan32 | 2 | 5.50 | 5.20 | 5.00 | 5.10 | 5.50 | 1.04× | 1.08× | 1.00× |"
            ),
            "{md}"
        );
    }

    #[test]
    fn unknown_workloads_are_rejected() {
        assert_eq!(select_specs(&[]).unwrap().len(), SPECS.len());
        assert_eq!(
            select_specs(&["dcgan64".into()]).unwrap()[0].name,
            "dcgan64"
        );
        let err = select_specs(&["resnet".into()]).unwrap_err().to_string();
        assert!(err.contains("toy_mlp"), "{err}");
    }
}
