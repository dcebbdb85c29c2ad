//! Hardening II (issue 20): no run is lost or overwritten, nothing outside the named
//! path changes, no panic, and each message says what is wrong. One test per numbered
//! case of the issue, through the real binary.

mod cli_common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use cli_common::*;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fail with `code` and every needle in stderr.
fn fails_with(out: &std::process::Output, code: i32, needles: &[&str]) -> String {
    let err = stderr_of(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks `{n}`: {err}");
    }
    err
}

/// Case 1: `--out` naming a symlink writes through it; a FIFO is written to, not replaced.
#[test]
fn sample_outputs_write_through_links_and_special_files() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("run", &["--steps", "20"]));
    let target = s.path("real.csv");
    std::fs::write(&target, "old").unwrap();
    std::os::unix::fs::symlink(&target, s.path("link.csv")).unwrap();
    let sample = |out: &str| {
        let mut c = gan(s.dir.path());
        c.args(["sample", "--run", "run", "--n", "3", "--out", out]);
        c
    };
    run_ok(&mut sample("link.csv"));
    assert!(std::fs::symlink_metadata(s.path("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 4);

    let fifo = s.path("pipe.csv");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    run_ok(&mut sample("pipe.csv"));
    assert_eq!(reader.join().unwrap().lines().count(), 4);
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

/// Case 2: a new run never overwrites an old one silently.
#[test]
fn a_new_run_refuses_an_existing_run_directory() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("run", &["--steps", "50"]));
    let before = std::fs::read(checkpoint(&s.path("run"))).unwrap();
    let out = output(&mut s.train_cmd("run", &["--steps", "20"]));
    fails_with(&out, 1, &["holds a run already", "--resume", "--overwrite"]);
    assert_eq!(std::fs::read(checkpoint(&s.path("run"))).unwrap(), before);

    // --overwrite starts again in a clean directory (no stale files of the old run).
    std::fs::write(s.path("run/stale.png"), "old plot").unwrap();
    run_ok(&mut s.train_cmd("run", &["--steps", "20", "--overwrite"]));
    assert_eq!(checkpoint_step(&s.path("run")), Some(20));
    assert!(!s.path("run/stale.png").exists());

    // A directory that is not a run is never deleted, even with --overwrite.
    std::fs::create_dir(s.path("photos")).unwrap();
    std::fs::write(s.path("photos/cat.jpg"), "x").unwrap();
    let out = output(&mut s.train_cmd("photos", &["--overwrite"]));
    fails_with(&out, 1, &["not a gan-rs run directory"]);
    assert!(s.path("photos/cat.jpg").exists());
}

/// Case 3: a resume override goes through the same validation as a fresh run, and a
/// refused one leaves the run usable.
#[test]
fn resume_with_zero_steps_is_refused_and_the_run_survives() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("run", &["--steps", "40"]));
    let out = output(&mut s.resume_cmd("run", &["--steps", "0"]));
    fails_with(&out, 1, &["train.steps"]);
    run_ok(gan(s.dir.path()).args(["sample", "--run", "run", "--n", "5", "--out", "s.csv"]));
    run_ok(&mut s.resume_cmd("run", &["--steps", "60"]));
    assert_eq!(checkpoint_step(&s.path("run")), Some(60));
}

/// Case 4: one writer per run directory; the second is told the first one's PID, and a
/// killed holder's lock is gone with it.
#[test]
fn a_second_writer_is_refused_naming_the_first() {
    let s = Scratch::new();
    let run = s.path("run");
    let child = spawn(&mut s.train_cmd("run", &["--steps", "1000000"]));
    wait_for("a first checkpoint", Duration::from_secs(120), || {
        checkpoint_step(&run).is_some()
    });
    let out = output(&mut s.resume_cmd("run", &["--steps", "2000000"]));
    fails_with(&out, 1, &[&format!("PID {}", child.id()), "writing to it"]);
    signal(&child, libc::SIGKILL);
    let _ = child.wait_with_output();
    let at = checkpoint_step(&run).unwrap();
    // Case 11: evaluating the unfinished run says so, and an infinite figure is "inf".
    let mut eval = gan(s.dir.path());
    eval.env("GAN_LOG", "warn")
        .args(["eval", "--run", "run", "--n", "200"]);
    let out = run_ok(&mut eval);
    assert!(stderr_of(&out).contains(&format!("trained {at} of its 1000000 steps")));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("eval.json")).unwrap()).unwrap();
    assert_eq!(report["finished"], false);
    assert!(
        report["kl_real_gen"].is_number() || report["kl_real_gen"] == "inf",
        "{report}"
    );
    run_ok(&mut s.resume_cmd("run", &["--steps", &(at + 10).to_string()]));
    assert_eq!(checkpoint_step(&run), Some(at + 10));
}

/// Case 5: a plot that cannot be written is a warning (exit status 3), and the final
/// checkpoint is written anyway.
#[test]
fn a_failed_plot_does_not_cost_the_final_checkpoint() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("run", &["--steps", "100", "--set", "log.snapshot_every=10"]));
    let gif = s.path("run/training.gif");
    assert!(gif.is_file(), "the 1-D run writes training.gif");
    std::fs::remove_file(&gif).unwrap();
    std::fs::create_dir(&gif).unwrap();
    let out = output(&mut s.resume_cmd("run", &["--steps", "200"]));
    fails_with(&out, 3, &["finished", "training.gif"]);
    assert_eq!(checkpoint_step(&s.path("run")), Some(200));
}

/// Case 6: SIGTERM and SIGHUP stop a run like Ctrl-C: checkpoint, message, resumable.
#[test]
fn sigterm_and_sighup_checkpoint_and_resume() {
    for (name, sig) in [("term", libc::SIGTERM), ("hup", libc::SIGHUP)] {
        let s = Scratch::new();
        let run = s.path(name);
        let child = spawn(&mut s.train_cmd(name, &["--steps", "800"]));
        wait_for("training to start", Duration::from_secs(60), || {
            last_metrics_step(&run).is_some_and(|st| st >= 20)
        });
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        let at = checkpoint_step(&run).expect("a checkpoint on the signal");
        fails_with(
            &out,
            1,
            &[&format!("interrupted at step {at}"), "gan train --resume"],
        );
        assert!(at < 800, "{name}: stopped early");
        run_ok(&mut s.resume_cmd(name, &[]));
        assert_eq!(checkpoint_step(&run), Some(800));
    }
}

/// Rewrite a run's checkpoint with `edit` applied to its raw tensors (name → (dtype,
/// shape, bytes)) and its metadata JSON, bypassing every check `save` makes.
fn forge(
    run: &Path,
    edit: impl FnOnce(
        &mut HashMap<String, (safetensors::Dtype, Vec<usize>, Vec<u8>)>,
        &mut serde_json::Value,
    ),
) {
    let path = checkpoint(run);
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&header.metadata().as_ref().unwrap()["gan_rs"]).unwrap();
    let mut tensors: HashMap<_, _> = st
        .tensors()
        .into_iter()
        .map(|(k, v)| (k, (v.dtype(), v.shape().to_vec(), v.data().to_vec())))
        .collect();
    edit(&mut tensors, &mut meta);
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(k, (d, s, b))| {
            (
                k.clone(),
                safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
            )
        })
        .collect();
    let info = HashMap::from([("gan_rs".to_string(), meta.to_string())]);
    std::fs::write(
        &path,
        safetensors::tensor::serialize(views, Some(info)).unwrap(),
    )
    .unwrap();
}

/// Case 7: a damaged or forged checkpoint is refused by name, not used.
#[test]
fn the_checkpoint_loader_checks_values_types_and_metadata() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("run", &["--steps", "30"]));
    let sample = |s: &Scratch| {
        output(gan(s.dir.path()).args(["sample", "--run", "run", "--n", "5", "--out", "x.csv"]))
    };
    let pristine = std::fs::read(checkpoint(&s.path("run"))).unwrap();

    forge(&s.path("run"), |t, _| {
        let w = t
            .get_mut("gen/gen.scale")
            .expect("the linear generator's scale");
        w.2[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    fails_with(&sample(&s), 1, &["generator weight `gen.scale`", "NaN"]);

    std::fs::write(checkpoint(&s.path("run")), &pristine).unwrap();
    forge(&s.path("run"), |t, _| {
        let w = t.get_mut("gen/gen.scale").unwrap();
        w.0 = safetensors::Dtype::I32;
    });
    fails_with(&sample(&s), 1, &["gen.scale", "stored as Int"]);

    std::fs::write(checkpoint(&s.path("run")), &pristine).unwrap();
    forge(&s.path("run"), |_, meta| meta["step"] = 1_000_000.into());
    fails_with(&sample(&s), 1, &["step 1000000", "30 steps"]);
    fails_with(&output(&mut s.resume_cmd("run", &[])), 1, &["step 1000000"]);
}

/// Case 10: allocations that cannot be served and absurd sizes are clear errors with
/// exit code 1, never a panic (101).
#[test]
fn huge_sizes_are_clear_errors_not_panics() {
    let s = Scratch::new();
    let cases: &[&[&str]] = &[
        // 2^24 samples through a 65,536-wide layer: a 4 TiB activation, refused at once
        // by the allocator (no weight that large is built first).
        &[
            "--set",
            "discriminator.hidden=[65536]",
            "--set",
            "train.batch_size=16777216",
        ],
        &[
            "--set",
            "train.schedule=\"unrolled\"",
            "--set",
            "train.unrolled_steps=4000000000",
        ],
    ];
    for (i, extra) in cases.iter().enumerate() {
        let out = output(&mut s.train_cmd(&format!("big{i}"), extra));
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{extra:?}: {err}");
        assert!(err.starts_with("error: "), "{extra:?}: {err}");
    }
    run_ok(&mut s.train_cmd("run", &["--steps", "10"]));
    let out = output(gan(s.dir.path()).args([
        "sample",
        "--run",
        "run",
        "--n",
        "9223372036854775807",
        "--out",
        "x.csv",
    ]));
    fails_with(&out, 1, &["--n must be in 1..="]);
    let out = output(gan(s.dir.path()).args(["eval", "--run", "run", "--n", "1000000000000"]));
    fails_with(&out, 1, &["--n must be in 2..="]);
}

/// Case 11: messages that say what is wrong.
#[test]
fn messages_say_what_is_wrong() {
    let s = Scratch::new();
    // A seed TOML cannot hold.
    let out = output(&mut s.train_cmd("a", &["--seed", "18446744073709551615"]));
    fails_with(&out, 2, &["--seed"]);
    // An error from --set names --set, not the file.
    let out = output(&mut s.train_cmd("b", &["--set", "train.batch_size=0"]));
    let err = fails_with(
        &out,
        1,
        &["train.batch_size", "from --set train.batch_size=0"],
    );
    assert!(!err.contains("config.toml"), "{err}");
    // A flag and a --set of the same key.
    let out = output(&mut s.train_cmd("c", &["--steps", "5", "--set", "train.steps=10"]));
    fails_with(&out, 1, &["--steps and --set train.steps=10"]);
    // A run start that fails (its dataset is missing) leaves no directory behind.
    let missing = Scratch::with_config(
        "name = \"m\"\n[data.dataset]\nname = \"mnist\"\ndir = \"/nonexistent/data\"\n\
         [generator]\nkind = \"dcgan\"\n[discriminator]\nkind = \"dcgan\"\n",
    );
    let out = output(&mut missing.train_cmd("d", &[]));
    fails_with(&out, 1, &["mnist"]);
    assert!(!missing.path("d").exists());
    let runs = missing.path("runs");
    let out = output(gan(missing.dir.path()).args([
        "train",
        "-c",
        "config.toml",
        "--runs-dir",
        runs.to_str().unwrap(),
    ]));
    fails_with(&out, 1, &["mnist"]);
    assert!(!runs.exists() || std::fs::read_dir(&runs).unwrap().next().is_none());
}

/// Case 9: a resumed run's animation and time cover the whole run.
#[test]
fn a_resume_keeps_the_frame_history_and_the_total_time() {
    let s = Scratch::new();
    let run = s.path("run");
    run_ok(&mut s.train_cmd("run", &["--steps", "100", "--set", "log.snapshot_every=10"]));
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    let first_seconds = first["seconds"].as_f64().unwrap();
    run_ok(&mut s.resume_cmd("run", &["--steps", "200"]));
    let frames = std::fs::read_to_string(run.join("snapshots_1d.jsonl")).unwrap();
    let steps: Vec<u64> = frames
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, (0..=200).step_by(10).collect::<Vec<u64>>());
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    assert!(
        second["seconds"].as_f64().unwrap() > first_seconds,
        "{first} then {second}"
    );
}
