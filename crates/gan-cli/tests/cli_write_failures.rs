//! Writes that fail: a checkpoint that cannot be written (its temporary file blocked by a
//! directory), a full disk (the temporary file linked to `/dev/full`) and an unusable run
//! directory. Each gives a clear error naming the file, and the previous checkpoint stays
//! intact and resumable.
//!
//! Tests run as root in CI, where `chmod` does not stop writes, so the failures are made
//! with paths that no permission can fix.

mod cli_common;

use cli_common::*;

/// A run with a checkpoint at step 100; returns the checkpoint's bytes.
fn run_to_100(s: &Scratch) -> Vec<u8> {
    run_ok(&mut s.train_cmd("run", &["--steps", "100"]));
    assert_eq!(checkpoint_step(&s.path("run")), Some(100));
    std::fs::read(checkpoint(&s.path("run"))).unwrap()
}

/// Resume to 200 steps; it must fail with every `needles` in its stderr and leave the
/// step-100 checkpoint byte for byte as it was.
fn resume_fails_keeping_checkpoint(s: &Scratch, before: &[u8], needles: &[&str]) {
    let out = output(&mut s.resume_cmd("run", &["--steps", "200"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks `{n}`: {stderr}");
    }
    let ck = checkpoint(&s.path("run"));
    assert_eq!(
        std::fs::read(&ck).unwrap(),
        before,
        "previous checkpoint changed"
    );
    assert_eq!(checkpoint_step(&s.path("run")), Some(100));
}

#[test]
fn blocked_checkpoint_write_keeps_previous_checkpoint() {
    let s = Scratch::new();
    let before = run_to_100(&s);
    let tmp = s.path("run/checkpoints/latest.safetensors.tmp");
    std::fs::create_dir(&tmp).unwrap();
    resume_fails_keeping_checkpoint(&s, &before, &["latest.safetensors.tmp", "writing"]);
    // Once the obstacle is gone the run resumes from step 100 and completes.
    std::fs::remove_dir(&tmp).unwrap();
    run_ok(&mut s.resume_cmd("run", &["--steps", "200"]));
    assert_eq!(checkpoint_step(&s.path("run")), Some(200));
}

#[test]
fn disk_full_is_a_clear_error_and_keeps_previous_checkpoint() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let s = Scratch::new();
    let before = run_to_100(&s);
    // Every write of the next checkpoint goes to /dev/full: ENOSPC, as on a full disk.
    let tmp = s.path("run/checkpoints/latest.safetensors.tmp");
    std::os::unix::fs::symlink("/dev/full", &tmp).unwrap();
    resume_fails_keeping_checkpoint(
        &s,
        &before,
        &["latest.safetensors.tmp", "No space left on device"],
    );
    // The failed write cleaned up after itself (the link is gone), so resuming works.
    assert!(
        std::fs::symlink_metadata(&tmp).is_err(),
        "temporary file removed"
    );
    run_ok(&mut s.resume_cmd("run", &["--steps", "200"]));
    assert_eq!(checkpoint_step(&s.path("run")), Some(200));
}

#[test]
fn unusable_run_directory_fails_before_training() {
    let s = Scratch::new();
    // A file where the run directory must be created.
    std::fs::write(s.path("file"), b"x").unwrap();
    let out = output(&mut s.train_cmd("file/run", &[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("creating run directory") && stderr.contains("file/run"),
        "{stderr}"
    );

    // A file where the checkpoint directory must be: caught before the first step
    // (the directory is not empty and not a run, so a new run refuses it outright).
    std::fs::create_dir(s.path("run")).unwrap();
    std::fs::write(s.path("run/checkpoints"), b"x").unwrap();
    let out = output(&mut s.train_cmd("run", &[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a gan-rs run directory"), "{stderr}");
    assert!(!s.path("run/metrics.csv").exists(), "no training happened");
}
