//! Property tests of the TOML config loader: arbitrary text, mutated valid configs and
//! arbitrary `--set` overrides give `Ok` or a typed config error — never a panic — and
//! every config that loads survives a round trip through the TOML a run directory records.

use gan_train::{ExperimentConfig, TrainError};
use proptest::prelude::*;

const VALID: &str = r#"name = "t"
seed = 3
[data.toy]
kind = "gaussian"
mean = 4.0
std = 1.25
[generator]
kind = "linear"
[discriminator]
kind = "mlp"
hidden = [8, 8]
dropout = 0.0
[loss]
kind = "non_saturating"
[train]
steps = 100
batch_size = 16
d_steps = 1
schedule = "alternating"
[optim.generator]
kind = "adam"
lr = 5e-3
[optim.discriminator]
kind = "sgd"
lr = 1e-2
[log]
every = 10
checkpoint_every = 50
"#;

/// Keys (existing or not) that a mutation may set.
const KEYS: &[&str] = &[
    "name",
    "seed",
    "data.toy.kind",
    "data.toy.mean",
    "data.toy.std",
    "data.toy.weights",
    "data.dataset.name",
    "generator.kind",
    "generator.latent_dim",
    "generator.hidden",
    "discriminator.kind",
    "discriminator.hidden",
    "discriminator.dropout",
    "loss.kind",
    "loss.margin",
    "loss.real_target",
    "loss.flip_prob",
    "train.steps",
    "train.batch_size",
    "train.d_steps",
    "train.schedule",
    "train.weight_clip",
    "train.gradient_penalty",
    "train.device",
    "train.threads",
    "optim.generator.kind",
    "optim.generator.lr",
    "optim.generator.beta1",
    "optim.discriminator.beta2",
    "log.every",
    "log.checkpoint_every",
    "bogus.key",
];

/// Values of every TOML type, in range and out of it.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        (-3i64..300).prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        prop_oneof![
            Just("nan"),
            Just("inf"),
            Just("-inf"),
            Just("-0.0"),
            Just("1e308")
        ]
        .prop_map(String::from),
        any::<bool>().prop_map(|v| v.to_string()),
        "[a-z_]{0,12}".prop_map(|s| format!("\"{s}\"")),
        prop::collection::vec(-2i64..40, 0..4).prop_map(|v| format!("{v:?}")),
        Just("{ a = 1 }".to_string()),
        ".{0,8}",
    ]
}

/// Load `text` with `overrides`; an error must be a config error (typed, with a key).
fn check(text: &str, overrides: &[String]) -> Result<(), TestCaseError> {
    match ExperimentConfig::from_toml_str(text, overrides) {
        Ok(c) => {
            // What a run directory records must load back to the same config.
            let again = ExperimentConfig::from_toml_str(&c.to_toml(), &[]);
            prop_assert!(
                again.is_ok(),
                "round trip failed: {:?}\n{}",
                again.err(),
                c.to_toml()
            );
            prop_assert_eq!(again.unwrap(), c);
        }
        Err(TrainError::Config { key, reason }) => {
            // The key names what is wrong (it is empty only for an empty `--set ""`).
            prop_assert!(
                !reason.is_empty() && (!key.is_empty() || overrides.iter().any(|o| o.is_empty()))
            );
        }
        Err(other) => prop_assert!(false, "not a config error: {other}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        check(&text, &[])?;
    }

    #[test]
    fn arbitrary_bytes_as_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes), &[])?;
    }

    /// A valid config with lines dropped or replaced by `key = value` lines.
    #[test]
    fn mutated_configs_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<bool>(), 0..KEYS.len(), value()), 1..4),
    ) {
        let mut lines: Vec<String> = VALID.lines().map(String::from).collect();
        for (at, drop, key, v) in edits {
            let i = at % lines.len();
            if drop {
                lines.remove(i);
            } else {
                let last = KEYS[key].rsplit('.').next().unwrap();
                lines[i] = format!("{last} = {v}");
            }
            if lines.is_empty() {
                break;
            }
        }
        check(&lines.join("\n"), &[])?;
    }

    /// Byte-level damage to a valid config (at char boundaries: it is a &str).
    #[test]
    fn damaged_configs_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<char>()), 1..6),
    ) {
        let mut chars: Vec<char> = VALID.chars().collect();
        for (at, c) in edits {
            let i = at % chars.len();
            chars[i] = c;
        }
        check(&chars.into_iter().collect::<String>(), &[])?;
    }

    /// `--set key=value` overrides on a valid config.
    #[test]
    fn arbitrary_overrides_never_panic(
        sets in prop::collection::vec((0..KEYS.len(), value()), 1..4),
        raw in prop::option::weighted(0.25, ".{0,20}"),
    ) {
        let mut overrides: Vec<String> =
            sets.into_iter().map(|(k, v)| format!("{}={v}", KEYS[k])).collect();
        overrides.extend(raw);
        check(VALID, &overrides)?;
    }
}

#[test]
fn the_base_config_is_valid() {
    ExperimentConfig::from_toml_str(VALID, &[]).unwrap();
}
