//! What a checkpoint holds of a trainer, and how a trainer is rebuilt from one. Each
//! stateful part saves and restores its own tensors: the networks (`gen/`, `disc/`), the
//! optimizers (`opt_g/`, `opt_d/`), the EMA (`ema/`), the historical averages (`ha_g/`,
//! `ha_d/`), and the data sources' cursors (metadata). Optimizer state and historical
//! averages are keyed by parameter name; checkpoints of format 1 keyed them by index and
//! still load.

use std::path::Path;

use tch::{Device, Tensor};

use gan_core::HistoricalAverage;

use super::Trainer;
use crate::checkpoint::{self, CheckpointMeta};
use crate::config::ExperimentConfig;
use crate::error::{Result, TrainError};

/// The step a checkpoint records must be one its config can reach: a forged or corrupt
/// step (10^6 of a 3,000-step run) is refused rather than reported as trained.
pub(crate) fn check_step(
    meta: &checkpoint::CheckpointMeta,
    config: &ExperimentConfig,
    path: &Path,
) -> Result<()> {
    if meta.step > config.train.steps {
        return Err(TrainError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!(
                "it records step {} of a run configured for {} steps (damaged or edited)",
                meta.step, config.train.steps
            ),
        });
    }
    Ok(())
}

impl Trainer {
    /// Like [`resume`](Self::resume), from a checkpoint already read from `path` (which
    /// error messages name).
    pub fn from_checkpoint(
        ck: checkpoint::Checkpoint,
        path: &Path,
        device: Device,
    ) -> Result<Self> {
        let config = ExperimentConfig::from_toml_str(&ck.meta.config_toml, &[]).map_err(|e| {
            TrainError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!("its config no longer parses: {e}"),
            }
        })?;
        check_step(&ck.meta, &config, path)?;
        let mut t = Trainer::new(config, device)?;
        checkpoint::load_var_store(&t.gen_vs, &ck.with_prefix("gen/"), path, "generator")?;
        checkpoint::load_var_store(&t.disc_vs, &ck.with_prefix("disc/"), path, "discriminator")?;
        let with_path = |e: TrainError| match e {
            TrainError::Checkpoint { reason, .. } => TrainError::Checkpoint {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        };
        let indexed = ck.meta.format_version == 1;
        for (opt, prefix, steps, player) in [
            (&mut t.opt_g, "opt_g/", ck.meta.opt_g_steps, "generator"),
            (&mut t.opt_d, "opt_d/", ck.meta.opt_d_steps, "discriminator"),
        ] {
            let state = ck.with_prefix(prefix);
            let lookup = |k: &str| state.get(k).map(|x| x.to_device(device));
            if indexed {
                opt.load_indexed_state(steps, &lookup)
            } else {
                opt.load_state(steps, &lookup)
            }
            .map_err(|e| match with_path(e) {
                TrainError::Checkpoint { path, reason } => TrainError::Checkpoint {
                    path,
                    reason: format!("the {player}'s {reason}"),
                },
                other => other,
            })?;
        }
        let cursor_error = |e: String| TrainError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!("its data cursor does not fit the data: {e}"),
        };
        t.source
            .restore(&ck.meta.source_state)
            .map_err(|e| cursor_error(e.to_string()))?;
        if let Some(state) = &ck.meta.labeled_source_state {
            t.member
                .restore_source(state)
                .map_err(|e| cursor_error(e.to_string()))?;
        }
        t.step = ck.meta.step;
        t.restore_stabilizers(&ck).map_err(with_path)?;
        Ok(t)
    }

    /// Restore the EMA weights and historical averages saved by [`Self::save_checkpoint`].
    fn restore_stabilizers(&mut self, ck: &checkpoint::Checkpoint) -> Result<()> {
        let missing = |what: String| TrainError::Checkpoint {
            path: Default::default(),
            reason: format!("{what} is missing (was the config changed?)"),
        };
        if let Some(ema) = self.ema.as_mut() {
            ema.load_state(ck)?;
        }
        if let Some((g, d)) = self.history.as_mut() {
            for (prefix, ha, opt) in [("ha_g", g, &self.opt_g), ("ha_d", d, &self.opt_d)] {
                let count = ck
                    .tensor(&format!("{prefix}/count"))
                    .ok_or_else(|| missing(format!("historical average `{prefix}/count`")))?
                    .int64_value(&[0]);
                let count = u64::try_from(count).map_err(|_| missing(format!("{prefix}/count")))?;
                // An average that has seen no update holds no means yet.
                let stored = count > 0;
                let means = opt
                    .param_names()
                    .enumerate()
                    .filter(|_| stored)
                    .map(|(i, name)| {
                        let key = if ck.meta.format_version == 1 {
                            format!("{prefix}/{i}")
                        } else {
                            format!("{prefix}/{name}")
                        };
                        ck.tensor(&key)
                            .map(|t| t.to_device(self.device))
                            .ok_or_else(|| missing(format!("historical average `{key}`")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                *ha = HistoricalAverage::from_state(count, means)?;
            }
        }
        Ok(())
    }

    /// Checkpoint tensors of the EMA weights and historical averages.
    fn stabilizer_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        if let Some(ema) = &self.ema {
            out.extend(ema.state_tensors());
        }
        if let Some((g, d)) = &self.history {
            for (prefix, ha, opt) in [("ha_g", g, &self.opt_g), ("ha_d", d, &self.opt_d)] {
                let (count, means) = ha.state();
                out.push((
                    format!("{prefix}/count"),
                    Tensor::from_slice(&[count as i64]),
                ));
                for (name, m) in opt.param_names().zip(means) {
                    out.push((format!("{prefix}/{name}"), m));
                }
            }
        }
        out
    }

    /// Write a checkpoint of the current state to `path` (atomically).
    pub fn save_checkpoint(&self, path: &Path, extra: serde_json::Value) -> Result<()> {
        let mut tensors = checkpoint::var_store_tensors(&self.gen_vs, "gen/");
        tensors.extend(checkpoint::var_store_tensors(&self.disc_vs, "disc/"));
        tensors.extend(
            self.opt_g
                .state_tensors()
                .into_iter()
                .map(|(k, t)| (format!("opt_g/{k}"), t)),
        );
        tensors.extend(
            self.opt_d
                .state_tensors()
                .into_iter()
                .map(|(k, t)| (format!("opt_d/{k}"), t)),
        );
        tensors.extend(self.stabilizer_tensors());
        let meta = CheckpointMeta {
            format_version: checkpoint::FORMAT_VERSION,
            step: self.step,
            seed: self.config.seed,
            source_state: self.source.state(),
            labeled_source_state: self.member.source_state(),
            opt_g_steps: self.opt_g.steps(),
            opt_d_steps: self.opt_d.steps(),
            config_toml: self.config.to_toml(),
            data_shape: Some(crate::experiment::DataShape::of(self.source.as_ref())),
            extra,
        };
        checkpoint::save(path, &tensors, &meta)
    }
}
