//! Reproducibility of `gan train` on the CPU, through the real binary: the same config
//! and seed give bit-identical metrics and weights across two runs, across a stop at
//! `--steps` followed by `--resume`, and across a SIGKILL followed by `--resume`. Every
//! run directory records what produced it.

mod cli_common;

use std::time::Duration;

use cli_common::*;

#[test]
fn same_config_and_seed_give_bit_identical_runs() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("a", &[]));
    run_ok(&mut s.train_cmd("b", &[]));
    assert_same_run(&s.path("a"), &s.path("b"));
    assert_eq!(checkpoint_step(&s.path("a")), Some(300));
    // The comparison can fail: another seed gives other numbers.
    run_ok(&mut s.train_cmd("c", &["--seed", "8"]));
    let a = std::fs::read_to_string(s.path("a/metrics.csv")).unwrap();
    let c = std::fs::read_to_string(s.path("c/metrics.csv")).unwrap();
    assert_eq!(a.lines().count(), c.lines().count());
    assert_ne!(a, c, "a different seed must change the run");
}

#[test]
fn stop_at_steps_then_resume_equals_uninterrupted_run() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("full", &[]));
    // 135 is a multiple of neither checkpoint_every (50) nor log.every (10): the stop's
    // checkpoint falls between logged rows.
    run_ok(&mut s.train_cmd("split", &["--steps", "135"]));
    assert_eq!(checkpoint_step(&s.path("split")), Some(135));
    run_ok(&mut s.resume_cmd("split", &["--steps", "300"]));
    assert_same_run(&s.path("full"), &s.path("split"));
    // A resume records itself next to the first run.json.
    assert!(s.path("split/run-resumed-135.json").is_file());
}

#[test]
fn sigkill_then_resume_equals_uninterrupted_run() {
    let s = Scratch::new();
    let steps = ["--steps", "800"];
    run_ok(&mut s.train_cmd("full", &steps));
    let mut child = spawn(&mut s.train_cmd("killed", &steps));
    let run = s.path("killed");
    // Kill once a checkpoint past step 100 exists and training is well on its way.
    wait_for("a checkpoint", Duration::from_secs(60), || {
        checkpoint_step(&run).is_some_and(|st| st >= 100)
    });
    signal(&child, libc::SIGKILL);
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
    let at = checkpoint_step(&run).expect("the checkpoint survives SIGKILL");
    assert!(at < 800, "killed before the end (checkpoint at {at})");
    run_ok(&mut s.resume_cmd("killed", &[]));
    assert_same_run(&s.path("full"), &run);
}

#[test]
fn run_dir_records_config_versions_commit_device_and_seed() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("r", &["--seed", "11", "--steps", "20"]));
    let run = s.path("r");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["gan_rs_version"], env!("CARGO_PKG_VERSION"));
    // The libtorch that ran, read from its installation beside the loaded library (not
    // the compile-time constant): e.g. `2.13.0+cu130` from `torch/version.py`.
    let lib = std::path::PathBuf::from(json["libtorch_lib"].as_str().unwrap());
    assert!(
        lib.ends_with("lib/libtorch_cpu.so") && lib.exists(),
        "{lib:?}"
    );
    let version_py = lib.parent().unwrap().parent().unwrap().join("version.py");
    let recorded = std::fs::read_to_string(version_py).unwrap();
    let version = json["libtorch_version"].as_str().unwrap();
    assert!(
        recorded.contains(&format!("__version__ = '{version}'")),
        "{version}"
    );
    assert!(version.starts_with("2.13.0"), "{version}");
    assert_eq!(json["built_for_libtorch"], "2.13.0");
    assert_eq!(json["device"], "cpu");
    assert_eq!(json["seed"], 11);
    let commit = json["git_commit"].as_str().unwrap();
    assert!(!commit.is_empty(), "git_commit recorded");
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.git")).exists() {
        assert!(
            commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "built from a git checkout, so the commit is known: {commit}"
        );
    }
    assert!(json["command"].as_array().unwrap().len() > 2);
    // The resolved config, with the command-line overrides applied, is in the run dir,
    // and is exactly what the checkpoint holds.
    let config = gan_train::ExperimentConfig::load(&run.join("config.toml"), &[]).unwrap();
    assert_eq!(config.seed, 11);
    assert_eq!(config.train.steps, 20);
    let ck = gan_train::checkpoint::load(&checkpoint(&run)).unwrap();
    assert_eq!(ck.meta.config_toml, config.to_toml());
    assert_eq!(ck.meta.seed, 11);
}
