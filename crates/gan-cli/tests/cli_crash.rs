//! Crash safety of `gan train`: a training child process is SIGKILLed at random moments
//! (with a checkpoint every step, so many kills land inside a checkpoint write) and
//! resumed each time. Every resume must find a valid checkpoint, no more work than one
//! checkpoint interval may be lost, and the finished run must be bit-identical to an
//! uninterrupted one.
//!
//! The CI test does a few kills; `crash_campaign` (ignored, run it with
//! `cargo test -p gan-cli --test cli_crash -- --ignored --nocapture`, or
//! `scripts/crash_campaign.sh`) does 24 or `GAN_CRASH_KILLS` and prints its figures.

mod cli_common;

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use cli_common::*;

/// What a campaign measured.
#[derive(Debug, Default)]
struct Figures {
    kills: u32,
    /// Kills that left `latest.safetensors.tmp` behind: they hit a checkpoint write.
    kills_during_checkpoint_write: u32,
    /// Kills before the first checkpoint existed (the run restarts from scratch).
    kills_before_first_checkpoint: u32,
    resumes: u32,
    /// Largest `last logged step - checkpoint step` seen after a kill.
    max_steps_lost: u64,
    total_steps_lost: u64,
    /// Steps of the finished run (300, extended by 200 each time it finished early).
    final_step: u64,
    seconds: f64,
}

fn campaign(kills: u32, checkpoint_every: u64, seed: u64) -> Figures {
    let started = Instant::now();
    let s = Scratch::new();
    let every = format!("log.checkpoint_every={checkpoint_every}");
    // The run is extended by `--steps` whenever it finishes before the next kill, so the
    // campaign needs no guess of how fast this machine trains.
    let mut target: u64 = 300;
    let run = s.path("crash");
    let ck = checkpoint(&run);
    let tmp = ck.with_file_name("latest.safetensors.tmp");
    let mut rng = XorShift(seed | 1);
    let mut f = Figures::default();
    let mut finished = false;
    while f.kills < kills {
        let steps = target.to_string();
        let mut child = if finished {
            target += 200;
            finished = false;
            f.resumes += 1;
            spawn(&mut s.resume_cmd("crash", &["--steps", &target.to_string()]))
        } else if ck.exists() {
            // `--steps` again: a kill may have hit an extended run before its first
            // checkpoint, and the checkpoint on disk still has the shorter target.
            f.resumes += 1;
            spawn(&mut s.resume_cmd("crash", &["--steps", &steps]))
        } else {
            spawn(&mut s.train_cmd("crash", &["--steps", &steps, "--set", &every]))
        };
        // A random moment. One kill in four lands in start-up (loading libtorch,
        // restoring the checkpoint, truncating metrics.csv); the others wait until
        // this child has written a checkpoint, then up to 400 ms more. (Waiting for
        // progress rather than a fixed delay keeps the kills inside training however
        // slow this machine's disk syncs are.)
        if rng.range(0, 4) == 0 {
            std::thread::sleep(Duration::from_millis(rng.range(0, 300)));
        } else {
            let before = modified(&ck);
            wait_for("a checkpoint write", Duration::from_secs(120), || {
                modified(&ck) != before || child.try_wait().ok().flatten().is_some()
            });
            std::thread::sleep(Duration::from_millis(rng.range(0, 400)));
        }
        signal(&child, libc::SIGKILL);
        let status = child.wait().unwrap();
        if status.success() {
            finished = true;
            continue;
        }
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "the child must die from the kill, not from an error: {:?}",
            child
                .wait_with_output()
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        );
        f.kills += 1;
        if tmp.exists() {
            f.kills_during_checkpoint_write += 1;
        }
        if !ck.exists() {
            f.kills_before_first_checkpoint += 1;
            continue;
        }
        let at = checkpoint_step(&run).unwrap_or_else(|| {
            panic!(
                "kill {}: {} exists but does not load: {:?}",
                f.kills,
                ck.display(),
                gan_train::checkpoint::load(&ck).err()
            )
        });
        let logged = last_metrics_step(&run).unwrap_or(0);
        let lost = logged.saturating_sub(at);
        assert!(
            lost <= checkpoint_every,
            "kill {}: metrics reached step {logged} but the checkpoint is at {at}: \
             more than one checkpoint interval ({checkpoint_every}) lost",
            f.kills
        );
        f.max_steps_lost = f.max_steps_lost.max(lost);
        f.total_steps_lost += lost;
    }
    // Finish the run, then train the same number of steps without interruption (and
    // without per-step checkpoints, which change nothing but the speed).
    if !finished {
        f.resumes += ck.exists() as u32;
        let steps = target.to_string();
        if ck.exists() {
            run_ok(&mut s.resume_cmd("crash", &["--steps", &steps]));
        } else {
            run_ok(&mut s.train_cmd("crash", &["--steps", &steps, "--set", &every]));
        }
    }
    f.final_step = target;
    run_ok(&mut s.train_cmd(
        "reference",
        &[
            "--steps",
            &target.to_string(),
            "--set",
            "log.checkpoint_every=0",
        ],
    ));
    assert_same_run(&s.path("reference"), &run);
    f.seconds = started.elapsed().as_secs_f64();
    f
}

/// Modification time of `path`, if it exists.
fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let f = campaign(4, 1, 0x5eed);
    eprintln!("{f:#?}");
    assert_eq!(f.kills, 4, "{f:?}");
    assert!(f.resumes >= 1, "{f:?}");
}

#[test]
#[ignore = "long crash campaign (≥ 20 kills); run with --ignored --nocapture"]
fn crash_campaign() {
    let kills = std::env::var("GAN_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let seed = std::env::var("GAN_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xc0ffee);
    // Every step writes a checkpoint: kills often land inside a write.
    let f = campaign(kills, 1, seed);
    eprintln!("checkpoint every step: {f:#?}");
    assert_eq!(f.kills, kills, "{f:?}");
    // A sparse checkpoint interval: the work lost per kill is bounded by the interval.
    let g = campaign(kills / 2, 25, seed ^ 0xff);
    assert_eq!(g.kills, kills / 2, "{g:?}");
    eprintln!("checkpoint every 25 steps: {g:#?}");
}
