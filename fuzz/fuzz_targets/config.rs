//! The TOML experiment config: any text (first line = a `--set` override) gives Ok or a
//! config error; every config that loads survives the round trip through `to_toml`.
#![no_main]

use gan_train::{ExperimentConfig, TrainError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, rest) = text.split_once('\n').unwrap_or(("", text));
    let overrides: Vec<String> = if first.contains('=') && !first.contains('[') {
        vec![first.to_string()]
    } else {
        Vec::new()
    };
    match ExperimentConfig::from_toml_str(rest, &overrides) {
        Ok(c) => {
            let again = ExperimentConfig::from_toml_str(&c.to_toml(), &[])
                .expect("a loaded config must load again from its own TOML");
            assert_eq!(again, c);
        }
        Err(TrainError::Config { .. }) => {}
        Err(e) => panic!("not a config error: {e}"),
    }
});
