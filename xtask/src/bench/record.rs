//! One measurement: the JSON line a runner prints last (flat, but for the `loop`'s
//! `observers` list), read with serde.
//!
//! The runners are `crates/gan-train/examples/bench_steps.rs` (its fields, plus the
//! `extra()` ones of `crates/gan-train/benches/workloads/mod.rs`) and
//! `scripts/bench_pytorch.py`. [`Record`] lists every field either prints, so a renamed
//! or misspelt field is an error rather than a figure silently missing from the tables.

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One measurement: one process's JSON line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// `gan-rs` or `pytorch`.
    pub side: String,
    /// The runner's `--impl`; `cargo xtask bench` replaces it with the job's label
    /// (`trainer-system-malloc`, `eager-retain-malloc`, ...).
    #[serde(rename = "impl")]
    pub imp: String,
    pub workload: String,
    /// `fp32` or `bf16` (lines of runners older than `--precision` are fp32).
    #[serde(default = "fp32")]
    pub precision: String,
    pub threads: u32,
    pub steps_per_s: f64,
    pub images_per_s: f64,
    /// Always printed; `null` where the runner cannot tell.
    #[serde(deserialize_with = "required_nullable")]
    pub peak_rss_mib: Option<f64>,
    /// Steps and seconds of the timed window.
    pub steps: f64,
    pub seconds: f64,
    /// `loop` only: seconds of the window spent starting the run (observers' `on_start`)
    /// and ending it (final checkpoint, last log rows, end plots), of which
    /// `checkpoint_seconds` writing the checkpoint, and the config's checkpoint interval.
    #[serde(default)]
    pub start_seconds: Option<f64>,
    #[serde(default)]
    pub end_seconds: Option<f64>,
    #[serde(default)]
    pub checkpoint_seconds: Option<f64>,
    #[serde(default)]
    pub checkpoint_every: Option<f64>,
    /// `loop` only: the seconds of each observer in the window, in calling order.
    #[serde(default)]
    pub observers: Option<Vec<ObserverRecord>>,
    /// PyTorch `--compile` only: seconds of the warm-up, which compiles G and D.
    #[serde(default)]
    pub compile_seconds: Option<f64>,
    /// Printed by both runners; kept in [`Record::raw`] only.
    #[serde(default, rename = "device")]
    pub _device: Option<String>,
    #[serde(default, rename = "batch")]
    pub _batch: Option<u32>,
    /// PyTorch only: `torch.__version__`; kept in [`Record::raw`] only.
    #[serde(default, rename = "torch")]
    pub _torch: Option<String>,
    /// The whole line as the runner printed it, for `results.json`.
    #[serde(skip)]
    pub raw: Value,
}

/// One observer's time in a `loop` window (`ObserverTimes` of the workloads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserverRecord {
    /// The observer's name (`MetricsLog`, `Checkpointer`, ...).
    pub name: String,
    /// Seconds in `on_start`, in all its `on_step` calls, and in `on_end`.
    pub start_s: f64,
    pub step_s: f64,
    pub end_s: f64,
    /// The longest single `on_step` call.
    pub max_step_s: f64,
}

fn fp32() -> String {
    "fp32".into()
}

/// An `Option` field that must be present, though it may be `null` (serde's default for
/// `Option` fields is to take a missing one as `None`).
fn required_nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d)
}

/// Parse the JSON line a runner prints; the error names what is wrong and quotes the line.
pub fn parse_record(line: &str) -> Result<Record> {
    let line = line.trim();
    let bad = || format!("bad runner JSON line {line}");
    let mut record: Record = serde_json::from_str(line).with_context(bad)?;
    record.raw = serde_json::from_str(line).with_context(bad)?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fixtures::LINE;

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
    fn reads_the_loop_figures_of_a_gan_rs_line() {
        // As `bench_steps` prints it for `--impl loop`: serde_json's compact form, with
        // the runner's `extra()` figures at the end.
        let line = r#"{"batch":64,"device":"cpu","images_per_s":250.0,"impl":"loop","peak_rss_mib":null,"seconds":5.12,"side":"gan-rs","steps":20,"steps_per_s":3.9,"threads":2,"workload":"dcgan32","start_seconds":0.01,"end_seconds":0.5,"checkpoint_seconds":0.4,"checkpoint_every":1000.0,"observers":[{"name":"MetricsLog","start_s":0.01,"step_s":0.2,"end_s":0.05,"max_step_s":0.02},{"name":"Checkpointer","start_s":0.0,"step_s":0.0,"end_s":0.4,"max_step_s":0.0}]}"#;
        let r = parse_record(line).unwrap();
        assert_eq!((r.side.as_str(), r.imp.as_str()), ("gan-rs", "loop"));
        assert_eq!((r.steps, r.seconds, r.peak_rss_mib), (20.0, 5.12, None));
        assert_eq!(r.end_seconds, Some(0.5));
        assert_eq!(r.start_seconds, Some(0.01));
        assert_eq!(r.checkpoint_seconds, Some(0.4));
        assert_eq!(r.checkpoint_every, Some(1000.0));
        let observers = r.observers.as_ref().unwrap();
        assert_eq!(observers.len(), 2);
        assert_eq!(
            observers[0],
            ObserverRecord {
                name: "MetricsLog".into(),
                start_s: 0.01,
                step_s: 0.2,
                end_s: 0.05,
                max_step_s: 0.02,
            }
        );
        assert_eq!(observers[1].end_s, 0.4);
        let bad = line.replace("\"max_step_s\":0.0", "\"max_step\":0.0");
        assert!(
            parse_record(&bad).is_err(),
            "observer fields are checked too"
        );
        assert_eq!(r.raw["batch"], 64);
        assert_eq!(parse_record(LINE).unwrap().end_seconds, None, "loop only");
        assert_eq!(parse_record(LINE).unwrap().observers, None);
    }

    #[test]
    fn unknown_or_missing_fields_are_clear_errors() {
        let err = |line: &str| format!("{:#}", parse_record(line).unwrap_err());
        let extra = LINE.replace("\"batch\"", "\"speed\": 1, \"batch\"");
        let msg = err(&extra);
        assert!(msg.contains("unknown field `speed`"), "{msg}");
        assert!(msg.contains(&extra), "the error quotes the line: {msg}");

        let missing = LINE.replace("\"threads\": 2, ", "");
        let msg = err(&missing);
        assert!(msg.contains("missing field `threads`"), "{msg}");
        assert!(msg.contains(&missing), "the error quotes the line: {msg}");

        // `peak_rss_mib` may be null but not left out.
        let msg = err(&LINE.replace("\"peak_rss_mib\": 700.5, ", ""));
        assert!(msg.contains("missing field `peak_rss_mib`"), "{msg}");

        let msg = err(&LINE.replace("4.0,", "\"fast\","));
        assert!(msg.contains("invalid type: string \"fast\""), "{msg}");
    }
}
