//! Will a training run fit in this machine's memory? An estimate from the networks'
//! footprints (parameters, per-sample activations; [`gan_models::Footprint`]) and the
//! batch size, checked before anything is allocated, so that a config that cannot fit is
//! refused with the estimate and the available memory instead of failing inside
//! libtorch (or being killed by the kernel) part-way through.

use gan_models::Footprint;

use crate::config::ExperimentConfig;
use crate::error::{Result, TrainError};

/// Bytes per float (networks train in fp32).
const FLOAT: f64 = 4.0;

/// The bytes a CPU training run of `config` needs at least, with `(g, d)` the networks'
/// footprints: each parameter as weight, gradient and two optimizer moments (plus an EMA
/// copy of G's); each activation kept for the backward pass and its gradient, for the
/// generator's batch and D's real and fake batches.
pub fn training_bytes(config: &ExperimentConfig, (g, d): &(Footprint, Footprint)) -> f64 {
    let batch = config.train.batch_size as f64;
    let ema = if config.train.ema > 0.0 { 1.0 } else { 0.0 };
    let weights = FLOAT * ((4.0 + ema) * g.parameters + 4.0 * d.parameters);
    let activations =
        FLOAT * 2.0 * batch * (g.activations_per_sample + 2.0 * d.activations_per_sample);
    weights + activations
}

/// `MemAvailable` of `/proc/meminfo`, in bytes (`None` where there is no such file).
pub fn available_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

fn gib(bytes: f64) -> f64 {
    bytes / (1u64 << 30) as f64
}

/// Refuse `config` when its estimated need exceeds the memory available now, naming the
/// setting that dominates (`train.batch_size` for activations, else the networks).
pub fn check_fits(config: &ExperimentConfig, footprints: &(Footprint, Footprint)) -> Result<()> {
    let Some(available) = available_bytes() else {
        return Ok(());
    };
    check_against(config, footprints, available)
}

fn check_against(
    config: &ExperimentConfig,
    footprints: &(Footprint, Footprint),
    available: f64,
) -> Result<()> {
    let need = training_bytes(config, footprints);
    if need <= available {
        return Ok(());
    }
    let (g, d) = footprints;
    let weights = FLOAT * 4.0 * (g.parameters + d.parameters);
    let key = if weights * 2.0 > need {
        if g.parameters > d.parameters {
            "generator"
        } else {
            "discriminator"
        }
    } else {
        "train.batch_size"
    };
    Err(TrainError::config(
        key,
        format!(
            "training needs about {:.1} GiB (networks {:.0} M parameters, activations at batch \
             {}), and this machine has {:.1} GiB available; lower the batch size or the layer \
             widths",
            gib(need),
            (g.parameters + d.parameters) / 1e6,
            config.train.batch_size,
            gib(available)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(overrides: &[&str]) -> ExperimentConfig {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        ExperimentConfig::from_toml_str(
            "name = \"m\"\n[data.toy]\nkind = \"gaussian\"\nmean = 4.0\nstd = 1.25\n[generator]\nkind = \"linear\"\n[discriminator]\nkind = \"mlp\"\nhidden = [8]\n",
            &o,
        )
        .unwrap()
    }

    #[test]
    fn an_estimate_by_hand_and_which_setting_is_named() {
        let c = config(&["train.batch_size=10"]);
        let fp = (
            Footprint {
                parameters: 2.0,
                activations_per_sample: 4.0,
            },
            Footprint {
                parameters: 25.0,
                activations_per_sample: 20.0,
            },
        );
        // 4·(4·2 + 4·25) + 4·2·10·(4 + 2·20) = 432 + 3520.
        assert_eq!(training_bytes(&c, &fp), 3952.0);
        assert!(check_against(&c, &fp, 3952.0).is_ok());
        let e = check_against(&c, &fp, 1000.0).unwrap_err().to_string();
        assert!(
            e.contains("train.batch_size") && e.contains("GiB available"),
            "{e}"
        );
        let heavy = (
            Footprint::default(),
            Footprint {
                parameters: 1e9,
                activations_per_sample: 1.0,
            },
        );
        let e = check_against(&c, &heavy, 1e9).unwrap_err().to_string();
        assert!(e.contains("`discriminator`"), "{e}");
    }

    /// A 65,536-wide layer on the largest batch is refused before anything is built.
    #[test]
    fn a_run_that_cannot_fit_is_refused_before_allocating() {
        let c = config(&["discriminator.hidden=[65536]", "train.batch_size=16777216"]);
        let e = crate::Trainer::new(c, tch::Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("train.batch_size") && e.contains("GiB"), "{e}");
    }
}
