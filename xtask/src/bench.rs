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
}

/// A workload and how long to measure it (full, quick): (steps, warmup).
#[derive(Debug)]
struct Spec {
    name: &'static str,
    gan_impls: &'static [&'static str],
    full: (u32, u32),
    quick: (u32, u32),
}

const TRAIN_IMPLS: &[&str] = &["plain", "trainer", "loop"];
const OTHER_IMPLS: &[&str] = &["plain", "trainer"];

const SPECS: [Spec; 6] = [
    Spec {
        name: "toy_mlp",
        gan_impls: TRAIN_IMPLS,
        full: (2000, 100),
        quick: (200, 20),
    },
    Spec {
        name: "dcgan32",
        gan_impls: TRAIN_IMPLS,
        full: (10, 2),
        quick: (4, 1),
    },
    Spec {
        name: "dcgan64",
        gan_impls: TRAIN_IMPLS,
        full: (4, 1),
        quick: (2, 1),
    },
    Spec {
        name: "sample32",
        gan_impls: OTHER_IMPLS,
        full: (20, 2),
        quick: (5, 1),
    },
    Spec {
        name: "sample64",
        gan_impls: OTHER_IMPLS,
        full: (8, 1),
        quick: (2, 1),
    },
    Spec {
        name: "loader32",
        gan_impls: OTHER_IMPLS,
        full: (1000, 50),
        quick: (100, 10),
    },
];

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
                let mut jobs: Vec<Option<&str>> = spec.gan_impls.iter().map(|&i| Some(i)).collect();
                jobs.push(None);
                if round % 2 == 1 {
                    jobs.reverse();
                }
                for job in jobs {
                    let mut cmd = match job {
                        Some(imp) => {
                            let mut c = Command::new(&runner);
                            c.args(["--impl", imp]);
                            c
                        }
                        None => {
                            let mut c = Command::new(&python);
                            c.arg(&script);
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
                    let what = format!(
                        "{} {} (round {}/{rounds})",
                        spec.name,
                        job.map_or("pytorch".to_string(), |i| format!("gan-rs {i}")),
                        round + 1
                    );
                    let rec = run_one(&mut cmd, &what)?;
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
    let md = markdown(&rows, args, rounds);
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
    /// Extra time per step of `Trainer::run` with observers over bare `train_step`, in %.
    pub fn loop_overhead_pct(&self) -> Option<f64> {
        Some((self.trainer? / self.lp? - 1.0) * 100.0)
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
            Row {
                plain: sps(of("gan-rs", Some("plain"))),
                trainer: sps(of("gan-rs", Some("trainer"))),
                lp: sps(of("gan-rs", Some("loop"))),
                pytorch: sps(of("pytorch", None)),
                rss_gan: rss(of("gan-rs", Some("trainer"))),
                rss_torch: rss(of("pytorch", None)),
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
        "| workload | threads | gan-rs Trainer | gan-rs Trainer+observers | plain tch | PyTorch eager | Trainer / PyTorch | plain / PyTorch | observer overhead | Trainer overhead vs plain | peak RSS gan-rs | peak RSS PyTorch |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let b = r.batch_images;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.threads,
            fmt_sps(r.trainer, b),
            fmt_sps(r.lp, b),
            fmt_sps(r.plain, b),
            fmt_sps(r.pytorch, b),
            fmt_opt(r.ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.plain_ratio(), |x| format!("{x:.2}×")),
            fmt_opt(r.loop_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_opt(r.trainer_overhead_pct(), |x| format!("{x:+.1}%")),
            fmt_rss(r.rss_gan),
            fmt_rss(r.rss_torch),
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
            "{}\n    {{\"workload\": \"{}\", \"threads\": {}, \"trainer_steps_per_s\": {}, \"loop_steps_per_s\": {}, \"plain_steps_per_s\": {}, \"pytorch_steps_per_s\": {}, \"ratio\": {}, \"plain_ratio\": {}, \"loop_overhead_pct\": {}, \"peak_rss_mib_gan_rs\": {}, \"peak_rss_mib_pytorch\": {}}}",
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
            raw: String::new(),
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
        let args = BenchArgs {
            device: BenchDevice::Cpu,
            quick: true,
            rounds: None,
            workloads: vec![],
            toy_threads: vec![],
            image_threads: None,
            python: None,
        };
        let md = markdown(&rows, &args, 1);
        assert!(md.contains("| dcgan32 | 2 | 5.00 (320) |"), "{md}");
        assert!(md.contains("1.11×"), "{md}");
        let json = results_json(&records, &rows, &args);
        assert!(json.contains("\"pytorch_steps_per_s\": 4.5"), "{json}");
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
