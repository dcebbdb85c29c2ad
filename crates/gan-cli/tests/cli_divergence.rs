//! Divergence end to end: a config that blows up (plain SGD at a large learning rate on
//! the unbounded least-squares loss) stops with the step and the loss that became NaN/inf,
//! keeps the last good checkpoint — finite, loadable, one step earlier — and fails the
//! same way, at the same step, when resumed from it.

mod cli_common;

use cli_common::*;

const SETTINGS: [&str; 12] = [
    "--set",
    "loss.kind=least_squares",
    "--set",
    "optim.generator.kind=sgd",
    "--set",
    "optim.discriminator.kind=sgd",
    "--set",
    "optim.generator.lr=0.03",
    "--set",
    "optim.discriminator.lr=0.03",
    "--set",
    "log.checkpoint_every=1",
];

/// The step named by "training diverged at step N: ..." in `stderr`.
fn diverged_step(stderr: &str) -> u64 {
    let rest = stderr
        .split("training diverged at step ")
        .nth(1)
        .unwrap_or_else(|| panic!("no divergence message: {stderr}"));
    rest.split(':').next().unwrap().parse().unwrap()
}

#[test]
fn nan_loss_stops_with_step_and_loss_and_keeps_last_good_checkpoint() {
    let s = Scratch::new();
    let run = s.path("run");
    let out = output(&mut s.train_cmd("run", &SETTINGS));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let step = diverged_step(&stderr);
    assert!(
        stderr.contains("discriminator loss is") || stderr.contains("generator loss is"),
        "names the loss: {stderr}"
    );
    assert!(stderr.contains("not finite") && stderr.contains("Lower the learning rates"));
    assert!(step >= 2, "diverges after a good step, at {step}");
    assert!(
        stderr.contains(&format!(
            "its last good checkpoint, at step {}, was kept",
            step - 1
        )),
        "says which checkpoint is left: {stderr}"
    );

    // The last good checkpoint: the step before, every tensor finite.
    let ck = gan_train::checkpoint::load(&checkpoint(&run)).expect("last good checkpoint");
    assert_eq!(ck.meta.step, step - 1);
    for (name, t) in &ck.tensors {
        if t.is_floating_point() {
            assert!(
                t.isfinite().all().int64_value(&[]) == 1,
                "{name} is not finite in the kept checkpoint"
            );
        }
    }
    let before = std::fs::read(checkpoint(&run)).unwrap();

    // Resuming replays the same steps and diverges at the same step: determinism holds
    // for failures too, and the good checkpoint is still not overwritten.
    let out = output(&mut s.resume_cmd("run", &[]));
    let again = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{again}");
    assert_eq!(diverged_step(&again), step, "{again}");
    assert_eq!(std::fs::read(checkpoint(&run)).unwrap(), before);
}

/// Diverging before the first checkpoint: the message says none was written, instead
/// of claiming one was kept.
#[test]
fn divergence_before_any_checkpoint_says_none_exists() {
    let s = Scratch::new();
    let mut settings = SETTINGS.to_vec();
    settings[11] = "log.checkpoint_every=0";
    let out = output(&mut s.train_cmd("run", &settings));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no checkpoint had been written yet"),
        "{stderr}"
    );
    assert!(!stderr.contains("was kept"), "{stderr}");
}
