//! End-to-end checks of the `gan` binary: the default training run writes a complete
//! run directory, and bad input gives a clear error (non-zero exit, no panic).

use std::path::Path;
use std::process::{Command, Output};

fn gan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        .current_dir(cwd)
        .env("GAN_LOG", "warn")
        .output()
        .expect("gan runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_clean_failure(o: &Output, needle: &str) {
    let t = text(o);
    assert!(!o.status.success(), "expected failure, got success:\n{t}");
    assert!(!t.contains("panicked"), "panicked:\n{t}");
    assert!(t.contains(needle), "expected `{needle}` in:\n{t}");
}

#[test]
fn default_train_writes_a_complete_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    // Run outside the repo: the built-in default config is used.
    let out = tmp.path().join("run");
    let o = gan(
        &[
            "train",
            "-q",
            "--steps",
            "300",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("generator mean") && t.contains("target 4"),
        "{t}"
    );
    for f in [
        "config.toml",
        "run.json",
        "metrics.csv",
        "summary.json",
        "density.png",
        "training.gif",
        "d_outputs.png",
        "losses.png",
        "moments.png",
        "checkpoints/latest.safetensors",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(
        metrics.lines().count(),
        1 + 30,
        "header + one row per 10 steps"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(
        run["libtorch_version"]
            .as_str()
            .unwrap()
            .starts_with("2.13.0"),
        "{run}"
    );
    assert_eq!(run["device"], "cpu");
    assert_eq!(run["seed"], 1);

    // The run can be sampled and evaluated.
    let csv = tmp.path().join("s.csv");
    let o = gan(
        &[
            "sample",
            "--run",
            out.to_str().unwrap(),
            "--n",
            "50",
            "--out",
            csv.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 51);
    let o = gan(
        &["eval", "--run", out.to_str().unwrap(), "--n", "2000"],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("\"js\""), "{}", text(&o));
}

#[test]
fn help_lists_every_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gan(&["--help"], tmp.path());
    let t = text(&o);
    assert!(o.status.success());
    for sub in ["train", "sample", "eval"] {
        assert!(t.contains(sub), "{sub} missing from help:\n{t}");
    }
    let o = gan(&["train", "--help"], tmp.path());
    let t = text(&o);
    for flag in [
        "--config", "--set", "--resume", "--out", "--device", "--steps", "--seed",
    ] {
        assert!(t.contains(flag), "{flag} missing from train help:\n{t}");
    }
}

#[test]
fn config_errors_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gan(&["train", "--set", "train.batch_size=0"], tmp.path());
    assert_clean_failure(&o, "train.batch_size");
    let o = gan(&["train", "--set", "train.stepz=10"], tmp.path());
    assert_clean_failure(&o, "stepz");
    let o = gan(&["train", "--set", "optim.generator.lr=fast"], tmp.path());
    assert_clean_failure(&o, "optim.generator.lr");
    let o = gan(&["train", "--set", "loss.kind=nonsaturating"], tmp.path());
    assert_clean_failure(&o, "non_saturating");
}

#[test]
fn missing_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gan(&["train", "--config", "nope.toml"], tmp.path());
    assert_clean_failure(&o, "nope.toml");
    let o = gan(&["train", "--resume", "no-such-run"], tmp.path());
    assert_clean_failure(&o, "no checkpoint");
    let o = gan(
        &["sample", "--run", "no-such-run", "--out", "x.csv"],
        tmp.path(),
    );
    assert_clean_failure(&o, "no checkpoint");
    let o = gan(&["train", "--device", "tpu"], tmp.path());
    assert_clean_failure(&o, "unknown device");
    // A corrupt checkpoint is reported, not a crash.
    let run = tmp.path().join("bad");
    std::fs::create_dir_all(run.join("checkpoints")).unwrap();
    std::fs::write(run.join("checkpoints/latest.safetensors"), b"garbage").unwrap();
    let o = gan(&["eval", "--run", run.to_str().unwrap()], tmp.path());
    assert_clean_failure(&o, "not a valid safetensors");
}
