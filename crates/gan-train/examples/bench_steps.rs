//! Machine-readable step timings of the gan-rs side of the PyTorch comparison: runs one
//! implementation of one workload (see `benches/workloads/mod.rs`) and prints one JSON line
//! with steps/s, images/s and the process's peak RSS. `cargo xtask bench` runs it once per
//! (workload, implementation), each in a fresh process so the peak RSS is its own, next to
//! `scripts/bench_pytorch.py`, which prints the same JSON for PyTorch.
//!
//! `--impl loop` also times every observer: the line gets `observers`, one object per
//! observer in calling order (`name`, `start_s`, `step_s`, `end_s`, `max_step_s`), and a
//! table of them goes to stderr. `--warmup 0` times a whole run from step 0, as
//! `gan train` runs it (e.g. `--workload fashion_dcgan --impl loop --steps 1500 --warmup 0
//! --threads 1`).
//!
//! ```text
//! cargo run --release -p gan-train --example bench_steps -- \
//!     --workload dcgan32 --impl trainer [--device cpu|cuda] [--threads N] [--steps N] [--warmup N]
//!     [--precision fp32|bf16]
//! ```

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use std::process::ExitCode;
use std::time::Instant;

use tch::Device;
use workloads::{BenchResult, Impl, Workload};

struct Args {
    workload: Workload,
    imp: Impl,
    device: String,
    threads: Option<i32>,
    steps: u64,
    warmup: u64,
    precision: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        workload: Workload::ToyMlp,
        imp: Impl::Trainer,
        device: "cpu".into(),
        threads: None,
        steps: 100,
        warmup: 10,
        precision: "fp32".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{flag}: `{v}` is not a count"))
        };
        match flag.as_str() {
            "--workload" => args.workload = value()?.parse()?,
            "--impl" => args.imp = value()?.parse()?,
            "--device" => args.device = value()?,
            "--threads" => args.threads = Some(num(value()?)? as i32),
            "--steps" => args.steps = num(value()?)?.max(1),
            "--warmup" => args.warmup = num(value()?)?,
            "--precision" => args.precision = value()?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !args.workload.impls().contains(&args.imp) {
        return Err(format!(
            "workload {} has no `{}` implementation",
            args.workload,
            args.imp.name()
        ));
    }
    Ok(args)
}

fn device_of(name: &str) -> Result<Device, String> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        "cuda" => Err("--device cuda: no CUDA device is available to libtorch".into()),
        other => Err(format!("unknown device `{other}` (cpu or cuda)")),
    }
}

fn sync(device: Device) {
    if let Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}

fn run(args: &Args) -> BenchResult<serde_json::Value> {
    let device = device_of(&args.device)?;
    // Same default as the trainer (`train.threads = 0`): 1 thread for toy data, else
    // libtorch's default.
    let threads = args.threads.unwrap_or(if args.workload.is_toy() {
        1
    } else {
        tch::get_num_threads()
    });
    let scratch = tempfile::tempdir()?;
    let mut runner = workloads::build(
        args.workload,
        args.imp,
        device,
        threads,
        scratch.path(),
        &args.precision,
    )?;
    runner.run(args.warmup)?;
    sync(device);
    let t = Instant::now();
    runner.run(args.steps)?;
    sync(device);
    let seconds = t.elapsed().as_secs_f64();
    let steps_per_s = args.steps as f64 / seconds;
    let mut line = serde_json::json!({
        "side": "gan-rs",
        "impl": args.imp.name(),
        "precision": args.precision,
        "workload": args.workload.name(),
        "device": args.device,
        "threads": tch::get_num_threads(),
        "batch": args.workload.batch(),
        "steps": args.steps,
        "seconds": seconds,
        "steps_per_s": steps_per_s,
        "images_per_s": steps_per_s * args.workload.batch() as f64,
        "peak_rss_mib": workloads::peak_rss_mib(),
    });
    for (key, value) in runner.extra() {
        line[key] = serde_json::json!(value);
    }
    let observers = runner.observer_times();
    if !observers.is_empty() {
        report_observers(&observers, args.steps, seconds);
        line["observers"] = observers
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name,
                    "start_s": t.start_s,
                    "step_s": t.step_s,
                    "end_s": t.end_s,
                    "max_step_s": t.max_step_s,
                })
            })
            .collect();
    }
    Ok(line)
}

/// Where the `loop` window's time went, on stderr: each observer's seconds (start, steps,
/// end) and per step, against what is left for the steps themselves.
fn report_observers(observers: &[workloads::ObserverTimes], steps: u64, seconds: f64) {
    let ms_per_step = |s: f64| s / steps as f64 * 1e3;
    let observed: f64 = observers.iter().map(|t| t.total_s()).sum();
    eprintln!(
        "observers over {steps} steps in {seconds:.3} s ({:.3} ms a step):",
        ms_per_step(seconds)
    );
    eprintln!(
        "  {:<14} {:>9} {:>9} {:>9} {:>12} {:>11} {:>7}",
        "observer", "start s", "steps s", "end s", "max step ms", "ms a step", "share"
    );
    for t in observers {
        eprintln!(
            "  {:<14} {:>9.4} {:>9.4} {:>9.4} {:>12.3} {:>11.4} {:>6.1}%",
            t.name,
            t.start_s,
            t.step_s,
            t.end_s,
            t.max_step_s * 1e3,
            ms_per_step(t.total_s()),
            t.total_s() / seconds * 100.0
        );
    }
    eprintln!(
        "  {:<14} {:>41.4} {:>11.4} {:>6.1}%",
        "all observers",
        observed,
        ms_per_step(observed),
        observed / seconds * 100.0
    );
    let rest = seconds - observed;
    eprintln!(
        "  {:<14} {:>41.4} {:>11.4} {:>6.1}%",
        "steps + loop",
        rest,
        ms_per_step(rest),
        rest / seconds * 100.0
    );
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
