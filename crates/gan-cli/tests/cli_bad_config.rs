//! Out-of-range config values are rejected by `gan train` before any work starts — no run
//! directory is created — with a message naming the key and the allowed range.

mod cli_common;

use cli_common::*;

#[test]
fn out_of_range_values_are_rejected_before_any_work() {
    let s = Scratch::new();
    for (set, needles) in [
        (
            "optim.generator.lr=-1",
            &["optim.generator.lr", "> 0", "-1"][..],
        ),
        (
            "optim.discriminator.lr=nan",
            &["optim.discriminator.lr", "> 0"],
        ),
        (
            "train.batch_size=0",
            &["train.batch_size", "1..=16777216", "got 0"],
        ),
        (
            "train.batch_size=1000000000000",
            &["train.batch_size", "1..=16777216"],
        ),
        ("train.d_steps=0", &["train.d_steps", ">= 1"]),
        ("train.threads=100000000", &["train.threads", "0..=1024"]),
        (
            "discriminator.hidden=[100000000000]",
            &["discriminator.hidden", "1..=65536"],
        ),
        (
            "discriminator.dropout=1.5",
            &["discriminator.dropout", "[0, 1)"],
        ),
        ("loss.kind=wgan", &["loss.kind", "wasserstein", "hinge"]),
        ("train.stepz=5", &["stepz"]),
        ("log.every=0", &["log.every", "> 0"]),
    ] {
        let runs = s.path("runs");
        let out = output(
            gan(s.dir.path())
                .args(["train", "-c"])
                .arg(s.config())
                .arg("--runs-dir")
                .arg(&runs)
                .args(["--set", set]),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{set}: {stderr}");
        assert!(stderr.contains("config error"), "{set}: {stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{set}: message lacks `{n}`: {stderr}");
        }
        assert!(!runs.exists(), "{set}: a run directory was created");
    }
}

#[test]
fn precision_flag_trains_bf16_and_refuses_fp16_on_the_cpu() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("bf16", &["--steps", "20", "--precision", "bf16"]));
    let config = std::fs::read_to_string(s.path("bf16").join("config.toml")).unwrap();
    assert!(config.contains("precision = \"bf16\""), "{config}");

    let runs = s.path("runs");
    let refused = |extra: &[&str]| {
        let out = output(
            gan(s.dir.path())
                .args(["train", "-c"])
                .arg(s.config())
                .arg("--runs-dir")
                .arg(&runs)
                .args(extra),
        );
        assert_ne!(out.status.code(), Some(0), "{extra:?} was accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = refused(&["--precision", "fp16"]);
    assert!(e.contains("train.precision") && e.contains("CUDA"), "{e}");
    let e = refused(&["--precision", "bf16", "--set", "train.precision=fp32"]);
    assert!(
        e.contains("--precision") && e.contains("train.precision"),
        "{e}"
    );
    let e = refused(&["--precision", "fp8"]);
    assert!(e.contains("fp8") && e.contains("bf16"), "{e}");
    assert!(!runs.exists(), "a refused run created a directory");
}
