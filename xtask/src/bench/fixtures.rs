//! Test fixtures shared by the bench modules' tests: a PyTorch runner line, records and
//! command lines.

use serde_json::Value;

use super::record::Record;
use super::{BenchArgs, BenchDevice};

/// A line as `scripts/bench_pytorch.py` prints it (`json.dumps`).
pub const LINE: &str = r#"{"side": "pytorch", "impl": "eager", "workload": "dcgan32", "device": "cpu", "threads": 2, "batch": 64, "steps": 40, "seconds": 10.0, "steps_per_s": 4.0, "images_per_s": 256.0, "peak_rss_mib": 700.5, "torch": "2.13.0+cu130"}"#;

/// A dcgan32 record at 2 threads, batch 64, 20 steps at `sps` steps/s.
pub fn rec(side: &str, imp: &str, sps: f64, rss: Option<f64>) -> Record {
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
        precision: "fp32".into(),
        compile_seconds: None,
        start_seconds: None,
        end_seconds: None,
        checkpoint_seconds: None,
        checkpoint_every: None,
        observers: None,
        _device: None,
        _batch: None,
        _torch: None,
        raw: Value::Null,
    }
}

/// The default command line on the CPU, with `--quick` and `--variants` as given.
pub fn args(quick: bool, variants: bool) -> BenchArgs {
    BenchArgs {
        device: BenchDevice::Cpu,
        quick,
        rounds: None,
        workloads: vec![],
        toy_threads: vec![],
        image_threads: None,
        python: None,
        variants,
        precision: vec!["fp32".into()],
        compile: false,
    }
}
