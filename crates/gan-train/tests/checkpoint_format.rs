//! Checkpoint format versions. Format 2 keys optimizer state and historical averages by
//! parameter name. A checkpoint in format 1's layout (the same state keyed by parameter
//! index, `format_version: 1`) still loads, and continues exactly like the format-2
//! checkpoint of the same state. Versions outside the readable range are refused with a
//! message naming them.

use std::collections::HashMap;
use std::path::Path;

use gan_train::checkpoint::{self, FORMAT_VERSION};
use gan_train::{ExperimentConfig, Trainer};
use tch::{Device, Tensor};

const CONFIG: &str = r#"name = "format"
seed = 9
[data.toy]
kind = "gaussian"
mean = 4.0
std = 1.25
[generator]
kind = "mlp"
latent_dim = 2
hidden = [8]
[discriminator]
kind = "mlp"
hidden = [8, 8]
[optim.discriminator]
kind = "sgd"
momentum = 0.5
[train]
steps = 20
batch_size = 16
threads = 1
historical_averaging = 0.1
"#;

fn trainer() -> Trainer {
    Trainer::new(
        ExperimentConfig::from_toml_str(CONFIG, &[]).unwrap(),
        Device::Cpu,
    )
    .unwrap()
}

/// Rewrite a format-2 checkpoint into format 1's layout: `opt_*/first/<name>` becomes
/// `opt_*/<i>.first` and `ha_*/<name>` becomes `ha_*/<i>`, where `i` is the parameter's
/// position in its optimizer.
fn to_format_1(t: &Trainer, from: &Path, to: &Path) {
    let ck = checkpoint::load(from).unwrap();
    let index = |names: Vec<&str>| -> HashMap<String, usize> {
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i))
            .collect()
    };
    let g = index(t.generator_optimizer().param_names().collect());
    let d = index(t.discriminator_optimizer().param_names().collect());
    let rename = |key: &str| -> String {
        for (opt, ha, names) in [("opt_g/", "ha_g/", &g), ("opt_d/", "ha_d/", &d)] {
            if let Some(rest) = key.strip_prefix(opt) {
                let (which, name) = rest.split_once('/').unwrap();
                return format!("{opt}{}.{which}", names[name]);
            }
            if let Some(name) = key.strip_prefix(ha) {
                if name != "count" {
                    return format!("{ha}{}", names[name]);
                }
            }
        }
        key.to_string()
    };
    let tensors: Vec<(String, Tensor)> = ck
        .tensors
        .iter()
        .map(|(k, v)| (rename(k), v.shallow_clone()))
        .collect();
    assert!(tensors.iter().any(|(k, _)| k == "opt_g/0.first"));
    assert!(tensors.iter().any(|(k, _)| k == "ha_d/0"));
    let mut meta = ck.meta.clone();
    meta.format_version = 1;
    checkpoint::save(to, &tensors, &meta).unwrap();
}

fn run_on(mut t: Trainer, n: usize) -> Vec<u64> {
    (0..n)
        .flat_map(|_| {
            let s = t.train_step().unwrap();
            [s.d_loss.to_bits(), s.g_loss.to_bits()]
        })
        .collect()
}

#[test]
fn a_format_1_checkpoint_loads_and_continues_like_format_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = trainer();
    for _ in 0..7 {
        t.train_step().unwrap();
    }
    let v2 = dir.path().join("v2.safetensors");
    let v1 = dir.path().join("v1.safetensors");
    t.save_checkpoint(&v2, serde_json::Value::Null).unwrap();
    assert_eq!(
        checkpoint::load(&v2).unwrap().meta.format_version,
        FORMAT_VERSION
    );
    to_format_1(&t, &v2, &v1);

    let from_v2 = Trainer::resume(&v2, Device::Cpu).unwrap();
    let from_v1 = Trainer::resume(&v1, Device::Cpu).unwrap();
    assert_eq!(from_v1.step(), 7);
    assert_eq!(run_on(from_v2, 5), run_on(from_v1, 5));
}

#[test]
fn a_format_1_checkpoint_missing_state_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = trainer();
    t.train_step().unwrap();
    let v2 = dir.path().join("v2.safetensors");
    t.save_checkpoint(&v2, serde_json::Value::Null).unwrap();
    // Claim format 1 without re-keying: the index keys are then missing.
    let ck = checkpoint::load(&v2).unwrap();
    let mut meta = ck.meta.clone();
    meta.format_version = 1;
    let tensors: Vec<(String, Tensor)> = ck
        .tensors
        .iter()
        .map(|(k, v)| (k.clone(), v.shallow_clone()))
        .collect();
    let bad = dir.path().join("bad.safetensors");
    checkpoint::save(&bad, &tensors, &meta).unwrap();
    let err = Trainer::resume(&bad, Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("optimizer state `0.first` is missing"),
        "{err}"
    );
    assert!(err.contains("bad.safetensors"), "{err}");
}

#[test]
fn unknown_format_versions_are_refused_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = trainer();
    t.train_step().unwrap();
    let good = dir.path().join("good.safetensors");
    t.save_checkpoint(&good, serde_json::Value::Null).unwrap();
    let ck = checkpoint::load(&good).unwrap();
    let tensors: Vec<(String, Tensor)> = ck
        .tensors
        .iter()
        .map(|(k, v)| (k.clone(), v.shallow_clone()))
        .collect();
    for (version, expect) in [(0u32, "format version 0"), (99, "newer gan-rs")] {
        let mut meta = ck.meta.clone();
        meta.format_version = version;
        let path = dir.path().join(format!("v{version}.safetensors"));
        checkpoint::save(&path, &tensors, &meta).unwrap();
        let err = Trainer::resume(&path, Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(expect), "{version}: {err}");
        assert!(err.contains(&format!("to {FORMAT_VERSION}")), "{err}");
    }
}
