//! Property tests of the checkpoint loader: a real checkpoint with bytes overwritten,
//! cut or appended — and arbitrary bytes — gives `Ok` or a typed error from
//! `checkpoint::load` and from `Trainer::resume`, never a panic.

use std::path::Path;

use gan_train::{checkpoint, ExperimentConfig, Inference, Sampler, Trainer};
use proptest::prelude::*;
use tch::Device;

const CONFIG: &str = r#"name = "t"
seed = 3
[data.toy]
kind = "gaussian"
mean = 4.0
std = 1.25
[generator]
kind = "linear"
[discriminator]
kind = "mlp"
hidden = [4]
[train]
steps = 100
batch_size = 8
threads = 1
"#;

/// The bytes of a checkpoint after 3 training steps (made once).
fn valid_checkpoint() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let config = ExperimentConfig::from_toml_str(CONFIG, &[]).unwrap();
        let mut t = Trainer::new(config, Device::Cpu).unwrap();
        for _ in 0..3 {
            t.train_step().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.safetensors");
        t.save_checkpoint(&path, serde_json::Value::Null).unwrap();
        std::fs::read(path).unwrap()
    })
}

/// Load `bytes` both ways; a success of `load` must also be safe to resume from.
fn check(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latest.safetensors");
    std::fs::write(&path, bytes).unwrap();
    match checkpoint::load(&path) {
        Ok(_) => {
            if let Ok(mut t) = Trainer::resume(&path, Device::Cpu) {
                // A checkpoint that resumes must also train (bounded: step < steps or not).
                if t.step() < t.config().train.steps {
                    let _ = t.train_step();
                }
            }
        }
        Err(e) => assert_names(&e.to_string(), &path),
    }
    if let Err(e) = Trainer::resume(&path, Device::Cpu) {
        assert!(!e.to_string().is_empty());
    }
}

fn assert_names(msg: &str, path: &Path) {
    assert!(msg.contains(&path.display().to_string()), "{msg}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        check(&bytes);
    }

    #[test]
    fn mutated_checkpoints_never_panic(
        writes in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in prop::option::weighted(0.3, any::<usize>()),
        append in prop::collection::vec(any::<u8>(), 0..3),
    ) {
        let mut bytes = valid_checkpoint().to_vec();
        let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        for (i, v) in writes {
            // Mostly inside the JSON header (names, dtypes, shapes, offsets, metadata).
            let i = if i % 4 == 0 { i % bytes.len() } else { i % header };
            bytes[i] = v;
        }
        if let Some(c) = cut {
            bytes.truncate(c % (bytes.len() + 1));
        }
        bytes.extend_from_slice(&append);
        check(&bytes);
    }

    /// Edits of the JSON header as text: digits changed in shapes, offsets and the
    /// metadata (step, cursor, optimizer counters, config).
    #[test]
    fn edited_header_numbers_never_panic(
        edits in prop::collection::vec((any::<usize>(), 0u8..10), 1..4),
    ) {
        let mut bytes = valid_checkpoint().to_vec();
        let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let digits: Vec<usize> = (8..header).filter(|&i| bytes[i].is_ascii_digit()).collect();
        for (at, d) in edits {
            bytes[digits[at % digits.len()]] = b'0' + d;
        }
        check(&bytes);
    }
}

/// The valid checkpoint with its metadata replaced by `edit`'s (tensors unchanged).
fn with_meta(
    edit: impl FnOnce(&mut checkpoint::CheckpointMeta),
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.safetensors");
    std::fs::write(&good, valid_checkpoint()).unwrap();
    let ck = checkpoint::load(&good).unwrap();
    let mut meta = ck.meta.clone();
    edit(&mut meta);
    let tensors: Vec<(String, tch::Tensor)> = ck
        .tensors
        .iter()
        .map(|(k, v)| (k.clone(), v.shallow_clone()))
        .collect();
    let path = dir.path().join("latest.safetensors");
    checkpoint::save(&path, &tensors, &meta).unwrap();
    (dir, path)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Metadata against the config: any step, counters, cursor, data shape or version
    /// either loads into a state the config allows (step within the run, and it samples)
    /// or is refused with a message naming the file; never a panic.
    #[test]
    fn checkpoint_metadata_is_checked_against_the_config(
        step in prop_oneof![0u64..200, any::<u64>()],
        opt in (any::<u64>(), any::<u64>()),
        cursor in (0u64..4, prop_oneof![0u64..20, any::<u64>()], any::<u64>()),
        shape in prop::option::of(prop::collection::vec(-2i64..40, 0..4)),
        classes in prop::option::of(-1i64..20),
        version in 0u32..4,
    ) {
        let (_dir, path) = with_meta(|m| {
            m.step = step;
            (m.opt_g_steps, m.opt_d_steps) = opt;
            (m.source_state.epoch, m.source_state.position, m.source_state.draws) = cursor;
            if let Some(sample_shape) = shape {
                m.data_shape = Some(gan_train::experiment::DataShape { sample_shape, num_classes: classes });
            }
            m.format_version = version;
        });
        match Trainer::resume(&path, Device::Cpu) {
            Ok(t) => prop_assert!(t.step() <= t.config().train.steps),
            Err(e) => assert_names(&e.to_string(), &path),
        }
        if let Ok(inference) = Inference::load(&path, Device::Cpu) {
            prop_assert!(inference.step() <= inference.config().train.steps);
            prop_assert!(inference.sample(4).is_ok());
        }
    }

    /// A resume's new step count goes through the config's validation: accepted exactly
    /// when it is a valid step count no smaller than the steps already trained.
    #[test]
    fn resume_step_overrides_are_validated(steps in prop_oneof![0u64..10, any::<u64>()]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.safetensors");
        std::fs::write(&path, valid_checkpoint()).unwrap();
        let mut t = Trainer::resume(&path, Device::Cpu).unwrap();
        let fresh = ExperimentConfig::from_toml_str(CONFIG, &[format!("train.steps={steps}")]);
        match t.set_total_steps(steps) {
            Ok(()) => {
                prop_assert!(steps >= 3 && fresh.is_ok());
                prop_assert_eq!(t.config().train.steps, steps);
            }
            Err(e) => {
                prop_assert!(steps < 3 || fresh.is_err(), "{}", e);
                prop_assert!(e.to_string().contains("train.steps"));
                prop_assert_eq!(t.config().train.steps, 100);
            }
        }
    }
}

#[test]
fn the_valid_checkpoint_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    std::fs::write(&path, valid_checkpoint()).unwrap();
    let t = Trainer::resume(&path, Device::Cpu).unwrap();
    assert_eq!(t.step(), 3);
}
