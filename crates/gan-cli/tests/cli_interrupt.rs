//! Ctrl-C: SIGINT stops `gan train` cleanly after the current step, writes a checkpoint
//! of exactly that step, prints the command that resumes the run, and the resumed run
//! ends bit-identical to an uninterrupted one.

mod cli_common;

use std::time::Duration;

use cli_common::*;

#[test]
fn sigint_checkpoints_prints_resume_command_and_resumes_exactly() {
    let s = Scratch::new();
    let steps = ["--steps", "800"];
    let run = s.path("interrupted");
    let child = spawn(&mut s.train_cmd("interrupted", &steps));
    // Interrupt once training is under way (a metrics row exists), between checkpoints.
    wait_for("training to start", Duration::from_secs(60), || {
        last_metrics_step(&run).is_some_and(|st| st >= 20)
    });
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an interrupted run is not a success");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a clean exit, not death by signal: {stderr}"
    );
    let at = checkpoint_step(&run).expect("a checkpoint was written on Ctrl-C");
    assert!(at < 800, "stopped early, at {at}");
    assert!(
        stderr.contains(&format!("interrupted at step {at}")),
        "the message names the checkpoint's step {at}: {stderr}"
    );
    let resume = format!("gan train --resume {}", run.display());
    assert!(stderr.contains(&resume), "prints `{resume}`: {stderr}");
    assert!(
        !run.join("checkpoints/latest.safetensors.tmp").exists(),
        "no half-written checkpoint left behind"
    );

    run_ok(&mut s.resume_cmd("interrupted", &[]));
    run_ok(&mut s.train_cmd("reference", &steps));
    assert_same_run(&s.path("reference"), &run);
}
