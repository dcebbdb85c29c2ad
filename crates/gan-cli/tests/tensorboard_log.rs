//! The TensorBoard event file of a run, read back by TensorBoard's own readers
//! (`scripts/tb_read.py`, in the setup venv): every scalar equals its `metrics.csv` /
//! `fid.csv` cell (as float32) at the same step, also across a resume that rolls back
//! past logged steps; the images decode and are the PNGs in the run directory; the config
//! and hparams are there; and `log.tensorboard = false` writes nothing.

mod cli_common;

use std::collections::BTreeMap;
use std::path::Path;

use cli_common::{reference_python, repo_script, run_ok, run_python, Scratch};
use serde_json::Value;

/// `scripts/tb_read.py <run>/tb` as JSON.
fn read_back(python: &Path, run: &Path) -> Value {
    let out = run_python(
        python,
        &repo_script("tb_read.py"),
        &[run.join("tb").as_os_str()],
    );
    serde_json::from_str(&out).expect("tb_read.py prints JSON")
}

/// `(step, value)` pairs of a JSON series. TensorBoard holds float32; the JSON has them
/// as exact doubles, and serde_json's parser may be one f64 ulp off, which the cast back
/// to f32 removes.
fn series(v: &Value) -> Vec<(u64, f32)> {
    v.as_array()
        .expect("a series")
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap() as f32))
        .collect()
}

/// What TensorBoard should hold for a CSV with a `step` column: for each column, its
/// non-NaN cells as float32, keyed by the TensorBoard tag.
fn expected_from_csv(
    path: &Path,
    tags: &BTreeMap<&str, &str>,
) -> BTreeMap<String, Vec<(u64, f32)>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out: BTreeMap<String, Vec<(u64, f32)>> = BTreeMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let step: u64 = cells[0].parse().unwrap();
        for (name, cell) in header.iter().zip(&cells).skip(1) {
            let v: f64 = cell.parse().unwrap();
            if !v.is_nan() {
                out.entry(tags[name].to_string())
                    .or_default()
                    .push((step, v as f32));
            }
        }
    }
    out
}

fn metrics_tags() -> BTreeMap<&'static str, &'static str> {
    let columns =
        "d_loss,g_loss,d_real,d_fake,d_fake_g,g_grad_norm,g_mean,g_std,modes,hq,reverse_kl,aux";
    columns
        .split(',')
        .zip(gan_train::observe::METRIC_TAGS)
        .collect()
}

/// The PNG of `tag` at `step`, decoded; it must be `file`'s bytes exactly.
fn assert_image_is_file(tb: &Value, tag: &str, step: u64, file: &Path) {
    let entries = tb["images"][tag]
        .as_array()
        .unwrap_or_else(|| panic!("no images `{tag}`"));
    let e = entries
        .iter()
        .find(|e| e[0].as_u64() == Some(step))
        .unwrap_or_else(|| panic!("`{tag}` has no image at step {step}: {entries:?}"));
    let png = base64_decode(e[3].as_str().unwrap());
    let decoded = image::load_from_memory(&png).expect("the image decodes");
    assert_eq!(
        (u64::from(decoded.width()), u64::from(decoded.height())),
        (e[1].as_u64().unwrap(), e[2].as_u64().unwrap()),
        "`{tag}`: the header's size is the image's"
    );
    assert_eq!(
        png,
        std::fs::read(file).unwrap(),
        "`{tag}` is {}",
        file.display()
    );
}

/// Standard base64 (the reader's output), decoded.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c) << (18 - 6 * i);
        }
        out.extend_from_slice(&acc.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn toy_run_tensorboard_equals_metrics_csv_across_a_rolled_back_resume() {
    let Some(python) = reference_python("toy_run_tensorboard") else {
        return;
    };
    let s = Scratch::new();
    let run = s.path("run");
    run_ok(&mut s.train_cmd(
        "run",
        &[
            "--set",
            "log.keep_checkpoints=10",
            "--set",
            "log.snapshot_every=50",
        ],
    ));
    // As after a crash at step ~190 with a checkpoint at 150: the resume drops what was
    // logged after 150 (metrics.csv rows, TensorBoard events) and logs it again.
    let checkpoints = run.join("checkpoints");
    std::fs::copy(
        checkpoints.join("step-00000150.safetensors"),
        checkpoints.join("latest.safetensors"),
    )
    .unwrap();
    run_ok(&mut s.resume_cmd("run", &[]));

    let tb = read_back(&python, &run);
    assert_eq!(
        tb["files"].as_array().unwrap().len(),
        1,
        "one event file: {tb}"
    );
    let expected = expected_from_csv(&run.join("metrics.csv"), &metrics_tags());
    assert!(expected.contains_key("loss/d") && expected.contains_key("samples/mean"));
    let scalars = tb["scalars"].as_object().unwrap();
    let mut raw_scalars = 0;
    for (tag, want) in &expected {
        let got = series(&scalars[tag]);
        assert_eq!(&got, want, "`{tag}` in TensorBoard vs metrics.csv");
        raw_scalars += got.len();
    }
    // No tag beyond the CSV's columns but the learning rates, logged on the same rows.
    let steps: Vec<u64> = expected["loss/d"].iter().map(|p| p.0).collect();
    assert_eq!(steps.len(), 30);
    for tag in ["lr/generator", "lr/discriminator"] {
        let got = series(&scalars[tag]);
        assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), steps, "{tag}");
        assert!(got.iter().all(|p| p.1 == 5e-3f32), "{tag}: {got:?}");
        raw_scalars += got.len();
    }
    assert_eq!(
        scalars.len(),
        expected.len() + 2,
        "tags: {:?}",
        scalars.keys()
    );
    // TensorBoard's accumulator keeps all of them: the steps never went backwards.
    assert_eq!(
        tb["accumulator"]["scalars"].as_u64().unwrap() as usize,
        raw_scalars
    );

    // The config as text, at the start and again at the resume.
    let text = tb["text"]["config"].as_array().unwrap();
    assert_eq!(
        text.iter()
            .map(|t| t[0].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 150]
    );
    assert!(text[0][1]
        .as_str()
        .unwrap()
        .contains("name = \"hardening\""));

    // The end-of-run plots, once each (the first session's were rolled back).
    for name in ["density", "losses", "d_outputs", "moments"] {
        let tag = format!("plots/{name}");
        assert_eq!(tb["images"][&tag].as_array().unwrap().len(), 1, "{tag}");
        assert_image_is_file(&tb, &tag, 300, &run.join(format!("{name}.png")));
    }

    // hparams: every config value, the final metrics, a finished run.
    let h = &tb["hparams"];
    assert_eq!(h["hparams"]["train.batch_size"], 64.0);
    assert_eq!(h["hparams"]["loss.kind"], "non_saturating");
    assert_eq!(h["status"], 1);
    let metrics: Vec<&str> = h["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        metrics.contains(&"loss/d") && !metrics.contains(&"lr/generator"),
        "{metrics:?}"
    );
}

#[test]
fn tensorboard_false_writes_no_event_file() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("off", &["--steps", "20", "--set", "log.tensorboard=false"]));
    assert!(s.path("off").join("metrics.csv").is_file());
    assert!(!s.path("off").join("tb").exists());
}

#[test]
fn image_run_tensorboard_has_the_grids_and_the_fid() {
    let Some(python) = reference_python("image_run_tensorboard") else {
        return;
    };
    let tmp = tempfile::TempDir::new().unwrap();
    let data = tmp.path().join("data");
    cli_common::write_mnist_fixture(&data);
    cli_common::write_untrained_classifier(&data);
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
        steps = 4
        batch_size = 8
        threads = 1
        [log]
        every = 1
        samples_every = 2
        fid_every = 2
        fid_samples = 16
        "#,
        data.display()
    );
    let s = Scratch::with_config(&config);
    run_ok(&mut s.train_cmd("run", &[]));
    let run = s.path("run");
    let tb = read_back(&python, &run);

    let fid_tags = BTreeMap::from([("fid", "eval/classifier_fid")]);
    let fid = expected_from_csv(&run.join("fid.csv"), &fid_tags);
    assert_eq!(
        fid["eval/classifier_fid"]
            .iter()
            .map(|p| p.0)
            .collect::<Vec<_>>(),
        [0, 2, 4]
    );
    assert_eq!(
        series(&tb["scalars"]["eval/classifier_fid"]),
        fid["eval/classifier_fid"]
    );
    let metrics = expected_from_csv(&run.join("metrics.csv"), &metrics_tags());
    for (tag, want) in &metrics {
        assert_eq!(&series(&tb["scalars"][tag]), want, "`{tag}`");
    }

    for step in [0, 2, 4] {
        let file = run.join("samples").join(format!("step_{step:06}.png"));
        assert_image_is_file(&tb, "samples/grid", step, &file);
    }
    assert_image_is_file(&tb, "samples/final", 4, &run.join("samples/final.png"));
    assert_image_is_file(&tb, "plots/fid", 4, &run.join("fid.png"));
    assert_image_is_file(&tb, "plots/losses", 4, &run.join("losses.png"));
    assert_eq!(
        tb["accumulator"]["images"].as_u64().unwrap(),
        tb["images"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_array().unwrap().len() as u64)
            .sum::<u64>()
    );
}

#[test]
fn a_tensorboard_write_failure_is_a_warning_and_touches_nothing() {
    let s = Scratch::new();
    run_ok(&mut s.train_cmd("run", &["--steps", "100"]));
    // Something that is not a directory where the event files go.
    let tb = s.path("run").join("tb");
    std::fs::remove_dir_all(&tb).unwrap();
    std::fs::write(&tb, "not a directory").unwrap();
    let out = cli_common::output(&mut s.resume_cmd("run", &["--steps", "200"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "finished with warnings: {stderr}"
    );
    assert!(
        stderr.contains("TensorBoard") && stderr.contains("tb"),
        "{stderr}"
    );
    let metrics = std::fs::read_to_string(s.path("run").join("metrics.csv")).unwrap();
    assert!(
        metrics.lines().last().unwrap().starts_with("200,"),
        "the run finished"
    );
    assert_eq!(std::fs::read_to_string(&tb).unwrap(), "not a directory");
}
