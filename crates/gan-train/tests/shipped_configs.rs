//! Every config shipped in `configs/` parses and validates, and the toy ones (which need
//! no dataset) build their networks and take a training step: a shipped config that a
//! refactor of the config structs broke fails here, not in a user's first command.

use gan_train::{ExperimentConfig, Trainer};

fn shipped() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_shipped_config_loads_and_toy_ones_train() {
    let paths = shipped();
    assert!(paths.len() > 10, "found only {paths:?}");
    let mut failures = Vec::new();
    for path in &paths {
        let config = match ExperimentConfig::load(path, &["train.steps=1".into()]) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        // The config round-trips through its TOML form (what run directories store).
        let again = ExperimentConfig::from_toml_str(&config.to_toml(), &[]);
        if again.as_ref().ok() != Some(&config) {
            failures.push(format!(
                "{}: does not round-trip ({again:?})",
                path.display()
            ));
        }
        if config.data.toy.is_some() {
            let step = Trainer::new(config, tch::Device::Cpu).and_then(|mut t| t.train_step());
            if let Err(e) = step {
                failures.push(format!("{}: {e}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
