//! Property tests of the checkpoint loader: a real checkpoint with bytes overwritten,
//! cut or appended — and arbitrary bytes — gives `Ok` or a typed error from
//! `checkpoint::load` and from `Trainer::resume`, never a panic.

use std::path::Path;

use gan_train::{checkpoint, ExperimentConfig, Trainer};
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

#[test]
fn the_valid_checkpoint_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    std::fs::write(&path, valid_checkpoint()).unwrap();
    let t = Trainer::resume(&path, Device::Cpu).unwrap();
    assert_eq!(t.step(), 3);
}
