//! `gan train` / `gan sample` / `gan eval` on an image run, with the real binary: a tiny
//! DCGAN on a 28×28 IDX fixture, PNG / NPY / CSV samples with truncation, and the FID /
//! KID / IS report (with a small untrained classifier placed where `gan eval` looks).

use std::path::Path;
use std::process::Command;

mod cli_common;

use cli_common::{write_mnist_fixture, write_untrained_classifier};

fn gan(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        .current_dir(cwd)
        .env("GAN_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

#[test]
fn image_run_samples_and_evaluates() {
    let tmp = tempfile::TempDir::new().unwrap();
    let data = tmp.path().join("data");
    write_mnist_fixture(&data);
    let config = format!(
        r#"
        name = "img"
        [data.dataset]
        name = "mnist"
        dir = "{}"
        [generator]
        kind = "dcgan"
        latent_dim = 8
        ngf = 4
        [discriminator]
        kind = "dcgan"
        ndf = 4
        [train]
        steps = 3
        batch_size = 8
        device = "cpu"
        threads = 1
        [log]
        every = 1
        samples_every = 0
        fid_every = 2
        fid_samples = 16
        "#,
        data.display()
    );
    std::fs::write(tmp.path().join("c.toml"), config).unwrap();
    // FID logging without a classifier only warns.
    ok(&gan(&["train", "-c", "c.toml", "--out", "run"], tmp.path()));
    let run = tmp.path().join("run");
    assert!(run.join("samples").join("final.png").is_file());
    assert!(!run.join("fid.csv").exists());

    ok(&gan(
        &[
            "sample",
            "--run",
            "run",
            "--n",
            "10",
            "--out",
            "g.png",
            "--truncation",
            "1.0",
        ],
        tmp.path(),
    ));
    // PNG header: width and height are big-endian u32s at bytes 16..24 (IHDR).
    let png = std::fs::read(tmp.path().join("g.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (4 * 30 + 2, 3 * 30 + 2));

    ok(&gan(
        &[
            "sample", "--run", "run", "--n", "5", "--out", "s.bin", "--format", "npy",
        ],
        tmp.path(),
    ));
    let npy = std::fs::read(tmp.path().join("s.bin")).unwrap();
    let hlen = u16::from_le_bytes([npy[8], npy[9]]) as usize;
    assert!(String::from_utf8_lossy(&npy[10..10 + hlen]).contains("(5, 1, 28, 28)"));
    assert_eq!(npy.len(), 10 + hlen + 5 * 784 * 4);

    ok(&gan(
        &["sample", "--run", "run", "--n", "3", "--out", "s.csv"],
        tmp.path(),
    ));
    let csv = std::fs::read_to_string(tmp.path().join("s.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert_eq!(csv.lines().next().unwrap().split(',').count(), 784);

    // `gan eval` needs the dataset's classifier and says how to get one.
    let out = gan(&["eval", "--run", "run", "--n", "20"], tmp.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("gan classifier train --data mnist"));

    write_untrained_classifier(&data);
    let text = ok(&gan(&["eval", "--run", "run", "--n", "20"], tmp.path()));
    assert!(text.contains("NOT with published"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("eval.json")).unwrap()).unwrap();
    for key in ["fid", "kid_mean", "inception_score"] {
        assert!(report[key].as_f64().unwrap().is_finite(), "{key}: {report}");
    }
    assert_eq!(report["n_generated"], 20);

    // With the classifier in place, training logs FID.
    ok(&gan(
        &["train", "-c", "c.toml", "--out", "run2"],
        tmp.path(),
    ));
    let fid = std::fs::read_to_string(tmp.path().join("run2").join("fid.csv")).unwrap();
    let steps: Vec<&str> = fid
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(steps, ["0", "2", "3"]);

    // Retention: the two newest periodic checkpoints, and the best by FID with its record.
    ok(&gan(
        &[
            "train",
            "-c",
            "c.toml",
            "--out",
            "run3",
            "--set",
            "log.checkpoint_every=1",
            "--set",
            "log.keep_checkpoints=2",
            "--set",
            "log.keep_best=fid",
        ],
        tmp.path(),
    ));
    let checkpoints = tmp.path().join("run3").join("checkpoints");
    let mut kept: Vec<String> = std::fs::read_dir(&checkpoints)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            "best.json",
            "best.safetensors",
            "latest.safetensors",
            "step-00000002.safetensors",
            "step-00000003.safetensors"
        ]
    );
    let best: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(checkpoints.join("best.json")).unwrap())
            .unwrap();
    let fid_log = std::fs::read_to_string(tmp.path().join("run3").join("fid.csv")).unwrap();
    let lowest = fid_log
        .lines()
        .skip(1)
        .map(|l| {
            let (step, fid) = l.split_once(',').unwrap();
            (fid.parse::<f64>().unwrap(), step.parse::<u64>().unwrap())
        })
        .fold((f64::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a });
    assert_eq!(best["step"].as_u64(), Some(lowest.1), "{best} vs {fid_log}");
    // serde_json's default float parsing may be one ulp off: compare to rounding.
    let value = best["value"].as_f64().unwrap();
    assert!(
        (value - lowest.0).abs() <= 1e-12 * lowest.0.abs(),
        "{value} vs {}",
        lowest.0
    );

    // Sampling loads only the generator: it works after the dataset is deleted.
    std::fs::remove_dir_all(data.join("mnist")).unwrap();
    ok(&gan(
        &["sample", "--run", "run", "--n", "4", "--out", "after.npy"],
        tmp.path(),
    ));
    assert!(tmp.path().join("after.npy").is_file());
}

/// The GAN family through the CLI: `gan sample --class`, `gan train --labels`, and
/// `gan eval`'s class agreement, code alignment and test error.
#[test]
fn family_variants_sample_by_class_and_evaluate() {
    let tmp = tempfile::TempDir::new().unwrap();
    let data = tmp.path().join("data");
    write_mnist_fixture(&data);
    let nets = r#"
        [generator]
        kind = "dcgan"
        latent_dim = 8
        ngf = 4
        [discriminator]
        kind = "dcgan"
        ndf = 4
        [train]
        steps = 2
        batch_size = 8
        device = "cpu"
        threads = 1
        [log]
        every = 1
        samples_every = 0
    "#;
    let write = |name: &str, variant: &str, nets: &str| {
        let text = format!(
            "name = \"{name}\"\n[data.dataset]\nname = \"mnist\"\ndir = \"{}\"\n[variant]\n{variant}\n{nets}",
            data.display()
        );
        std::fs::write(tmp.path().join(format!("{name}.toml")), text).unwrap();
    };
    write("cond", "kind = \"conditional\"", nets);
    write(
        "info",
        "kind = \"infogan\"\ncategorical = 3\ncontinuous = 1",
        nets,
    );
    write("plain", "kind = \"unconditional\"", nets);
    let mlp = nets
        .replace("kind = \"dcgan\"\n        latent_dim = 8\n        ngf = 4", "kind = \"mlp\"\n        latent_dim = 8\n        hidden = [16]\n        output_activation = \"tanh\"")
        .replace("kind = \"dcgan\"\n        ndf = 4", "kind = \"mlp\"\n        hidden = [16, 8]");
    write("semi", "kind = \"semi_supervised\"\nlabels = 10", &mlp);
    for name in ["cond", "info", "plain"] {
        ok(&gan(
            &["train", "-c", &format!("{name}.toml"), "--out", name],
            tmp.path(),
        ));
    }
    // One row per class: 10 rows × 10 columns of 30 px (+2 px border).
    let png = std::fs::read(tmp.path().join("cond/samples/final.png")).unwrap();
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (302, 302));
    ok(&gan(
        &[
            "sample", "--run", "cond", "--class", "3", "--n", "4", "--out", "c3.npy",
        ],
        tmp.path(),
    ));
    assert!(tmp.path().join("info/samples/traversal_c0.png").is_file());
    ok(&gan(
        &[
            "sample", "--run", "info", "--class", "2", "--n", "4", "--out", "i2.csv",
        ],
        tmp.path(),
    ));
    for (run, class, want) in [
        ("cond", "10", "--class: must be in 0..10, got 10"),
        ("info", "3", "--class: must be in 0..3, got 3"),
        ("plain", "0", "takes no class"),
    ] {
        let out = gan(
            &["sample", "--run", run, "--class", class, "--out", "x.csv"],
            tmp.path(),
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{run} --class {class}: {err}");
    }

    // --labels: only for semi-supervised configs, and a multiple of the classes.
    let out = gan(&["train", "-c", "plain.toml", "--labels", "10"], tmp.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("semi-supervised"),
        "{err}"
    );
    let out = gan(&["train", "-c", "semi.toml", "--labels", "15"], tmp.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("variant.labels"),
        "{err}"
    );
    ok(&gan(
        &[
            "train",
            "-c",
            "semi.toml",
            "--labels",
            "20",
            "--out",
            "semi",
        ],
        tmp.path(),
    ));
    // The semi-supervised test error needs no classifier.
    let text = ok(&gan(&["eval", "--run", "semi", "--n", "20"], tmp.path()));
    assert!(text.contains("test error"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("semi/eval.json")).unwrap())
            .unwrap();
    assert_eq!(report["labels"], 20);
    let e = report["test_error"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&e), "{report}");

    // With a classifier: class agreement and code alignment.
    write_untrained_classifier(&data);
    ok(&gan(&["eval", "--run", "cond", "--n", "20"], tmp.path()));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("cond/eval.json")).unwrap())
            .unwrap();
    let a = &report["class_agreement"];
    assert_eq!(a["per_class"].as_array().unwrap().len(), 10, "{report}");
    assert!((0.0..=1.0).contains(&a["overall"].as_f64().unwrap()));
    ok(&gan(&["eval", "--run", "info", "--n", "20"], tmp.path()));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("info/eval.json")).unwrap())
            .unwrap();
    let q = report["infogan_alignment"]["q_on_test_accuracy"]
        .as_f64()
        .unwrap();
    // 3 code values matched to 10 classes: at most 3 classes can be right.
    assert!((0.0..=1.0).contains(&q), "{report}");
}
