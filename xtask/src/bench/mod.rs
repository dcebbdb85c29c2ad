//! `cargo xtask bench`: gan-rs against PyTorch eager on the same workloads, same device,
//! same thread count, in one run.
//!
//! It builds `crates/gan-train/examples/bench_steps.rs` in release mode, then for every
//! workload runs, round after round and alternating with each other, the gan-rs
//! implementations (`plain` tch loop, `trainer` = `Trainer::train_step`, `loop` =
//! `Trainer::run` with observers) and `scripts/bench_pytorch.py` in the venv of
//! `cargo xtask setup` (`<cache>/torch-2.13.0/venv`). Each measurement is a fresh process
//! that prints one JSON line, so its peak RSS is its own. The medians over rounds go
//! into a table printed here and saved as `target/bench/results.{json,md}`; for the `loop`
//! implementation a second table shows where its time goes, observer by observer.
//!
//! This file holds the command line and the orchestration (build, run, save); the rest is
//! one concept a file: [`jobs`] (the workloads and the processes of a round), [`record`]
//! (a runner's JSON line), [`summary`] (medians, ratios, overheads) and [`report`] (the
//! markdown tables and `results.json`).

mod jobs;
mod record;
mod report;
mod summary;

#[cfg(test)]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use crate::paths;
use jobs::{Job, Spec};
use record::Record;

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
    /// Only these workloads (toy_mlp, dcgan32, dcgan64, sample32, sample64, loader32, and the
    /// shipped configs fashion_dcgan, toy_gaussian1d, toy_ring).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Thread counts for the toy workloads (toy_mlp, toy_gaussian1d, toy_ring; default 1,2;
    /// 1 with --quick). Image workloads use libtorch's default (one per core) on both sides.
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
    /// Precisions to measure the training workloads at, on both sides: `fp32` (default)
    /// and/or `bf16` (gan-rs `train.precision = "bf16"` against PyTorch eager under
    /// `torch.autocast(..., dtype=torch.bfloat16)`), e.g. `--precision fp32,bf16`.
    #[arg(long, value_delimiter = ',', default_value = "fp32", value_parser = ["fp32", "bf16"])]
    pub precision: Vec<String>,
    /// Also run PyTorch under `torch.compile` (written as the Trainer runs, as
    /// `--variants`' tuned PyTorch) at each precision; its compile time is reported apart
    /// and the timed window starts after warm-up.
    #[arg(long)]
    pub compile: bool,
}

impl BenchArgs {
    /// `--precision` as static names, in the order given, without repeats.
    fn precisions(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for p in &self.precision {
            let p = if p == "bf16" { "bf16" } else { "fp32" };
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Rounds per measurement: `--rounds`, else 3 (1 with `--quick`), at least 1.
    fn rounds(&self) -> u32 {
        self.rounds.unwrap_or(if self.quick { 1 } else { 3 }).max(1)
    }

    /// The `--threads` values to measure `spec` with (`None`: the runner's default).
    fn threads_of(&self, spec: &Spec) -> Vec<Option<u32>> {
        if !spec.toy {
            return vec![self.image_threads];
        }
        match (&self.toy_threads[..], self.quick) {
            ([], true) => vec![Some(1)],
            ([], false) => vec![Some(1), Some(2)],
            (t, _) => t.iter().map(|&t| Some(t)).collect(),
        }
    }
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let repo = paths::repo_root();
    let python = python_of(args)?;
    let specs = jobs::select_specs(&args.workloads)?;
    let bench = Bench {
        runner: build_runner(&repo)?,
        script: repo.join("scripts/bench_pytorch.py"),
        python,
        repo,
        args,
        rounds: args.rounds(),
    };
    let mut records = Vec::new();
    for spec in specs {
        for threads in args.threads_of(spec) {
            for round in 0..bench.rounds {
                records.extend(bench.round(spec, threads, round)?);
            }
        }
    }
    save(&bench.repo, &records, args, bench.rounds)
}

/// The Python that runs `scripts/bench_pytorch.py`: `--python`, else the setup's venv.
fn python_of(args: &BenchArgs) -> Result<PathBuf> {
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
    Ok(python)
}

/// Build the gan-rs runner (`bench_steps` example, release) and return its path.
fn build_runner(repo: &Path) -> Result<PathBuf> {
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
        .current_dir(repo)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the bench runner failed ({status})");
    }
    Ok(repo.join("target/release/examples/bench_steps"))
}

/// What every measurement of one `cargo xtask bench` shares.
struct Bench<'a> {
    args: &'a BenchArgs,
    repo: PathBuf,
    /// The gan-rs runner, and the Python and script of the PyTorch one.
    runner: PathBuf,
    python: PathBuf,
    script: PathBuf,
    rounds: u32,
}

impl Bench<'_> {
    /// Round `round` (from 0) of `spec` at `threads`: one record per job.
    fn round(&self, spec: &Spec, threads: Option<u32>, round: u32) -> Result<Vec<Record>> {
        // Alternate who goes first, so slow drifts of a shared machine even out.
        let precisions = self.args.precisions();
        let set = jobs::JobSet {
            variants: self.args.variants,
            precisions: &precisions,
            compile: self.args.compile,
        };
        let mut jobs = jobs::jobs_of(spec, set);
        if round % 2 == 1 {
            jobs.reverse();
        }
        jobs.into_iter()
            .map(|job| {
                let what = format!(
                    "{} {} {} {} (round {}/{})",
                    spec.name,
                    job.side(),
                    job.label,
                    job.precision,
                    round + 1,
                    self.rounds
                );
                let mut rec = run_one(&mut self.command(spec, threads, job), &what)?;
                rec.imp = job.label.to_string();
                println!(
                    "  {what}: {:.2} steps/s, peak RSS {}",
                    rec.steps_per_s,
                    report::fmt_rss(rec.peak_rss_mib)
                );
                Ok(rec)
            })
            .collect()
    }

    /// The process that measures `job` on `spec` at `threads`.
    fn command(&self, spec: &Spec, threads: Option<u32>, job: Job) -> Command {
        let mut cmd = match job.gan_impl {
            Some(imp) => {
                let mut c = Command::new(&self.runner);
                c.args(["--impl", imp]);
                c
            }
            None => {
                let mut c = Command::new(&self.python);
                c.arg(&self.script);
                if job.label == Job::PYTORCH_TUNED.label {
                    c.arg("--tuned");
                }
                if job.label == Job::PYTORCH_COMPILE.label {
                    c.arg("--compile");
                }
                c
            }
        };
        if job.precision != "fp32" {
            cmd.args(["--precision", job.precision]);
        }
        let (steps, warmup) = spec.steps(self.args.quick);
        cmd.args([
            "--workload",
            spec.name,
            "--device",
            self.args.device.as_str(),
        ])
        .args([
            "--steps",
            &steps.to_string(),
            "--warmup",
            &warmup.to_string(),
        ])
        .current_dir(&self.repo);
        if let Some(t) = threads {
            cmd.args(["--threads", &t.to_string()]);
        }
        if let Some((key, value)) = job.env {
            cmd.env(key, value);
        }
        cmd
    }
}

/// Run one measurement process and read the last JSON line of its output.
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
    record::parse_record(line).with_context(|| what.to_string())
}

/// Print the tables and save them with `results.json` under `target/bench`.
fn save(repo: &Path, records: &[Record], args: &BenchArgs, rounds: u32) -> Result<()> {
    let rows = summary::summarize(records);
    let mut md = report::markdown(&rows, args, rounds);
    md.push_str(&report::observers_markdown(&rows));
    if args.variants {
        md.push_str(&report::variants_markdown(&rows));
    }
    println!("\n{md}");
    let out = repo.join("target/bench");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    write(&out.join("results.md"), &md)?;
    write(
        &out.join("results.json"),
        &report::results_json(records, &rows, args)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use fixtures::args;

    #[test]
    fn rounds_and_threads_default_by_mode() {
        let quick = args(true, false);
        let full = args(false, false);
        let toy = jobs::select_specs(&["toy_mlp".into()]).unwrap()[0];
        let dcgan = jobs::select_specs(&["dcgan32".into()]).unwrap()[0];
        assert_eq!((quick.rounds(), full.rounds()), (1, 3));
        assert_eq!(quick.threads_of(toy), [Some(1)]);
        assert_eq!(full.threads_of(toy), [Some(1), Some(2)]);
        assert_eq!(full.threads_of(dcgan), [None]);
        let ring = jobs::select_specs(&["toy_ring".into()]).unwrap()[0];
        let fashion = jobs::select_specs(&["fashion_dcgan".into()]).unwrap()[0];
        assert_eq!(full.threads_of(ring), [Some(1), Some(2)]);
        assert_eq!(full.threads_of(fashion), [None]);
        let set = BenchArgs {
            rounds: Some(0),
            toy_threads: vec![4],
            image_threads: Some(1),
            ..full
        };
        assert_eq!(set.rounds(), 1, "at least one round");
        assert_eq!(set.threads_of(toy), [Some(4)]);
        assert_eq!(set.threads_of(dcgan), [Some(1)]);
        assert_eq!(set.threads_of(ring), [Some(4)]);
        assert_eq!(set.threads_of(fashion), [Some(1)]);
    }
}
