//! The run directory: where a run writes its resolved config, its provenance, metrics,
//! plots and checkpoints.
//!
//! ```text
//! runs/<name>-<YYYYmmdd-HHMMSS>/
//!   config.toml        the resolved experiment config
//!   run.json           what produced it: versions, commit, device, seed, command
//!   metrics.csv        per-step metrics
//!   *.png, *.gif       plots
//!   checkpoints/latest.safetensors
//! ```

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::checkpoint::{write_atomically, LATEST};
use crate::config::ExperimentConfig;
use crate::error::{Result, TrainError};

/// The libtorch version tch 0.26 is built against (torch-sys checks it at build time).
pub const LIBTORCH_VERSION: &str = "2.13.0";

/// What produced a run.
#[derive(Serialize, Clone, Debug)]
pub struct Provenance {
    pub gan_rs_version: &'static str,
    pub git_commit: &'static str,
    pub libtorch_version: &'static str,
    pub libtorch_lib: &'static str,
    pub device: String,
    pub seed: u64,
    pub command: Vec<String>,
    pub started_utc: String,
    pub resumed_from_step: Option<u64>,
}

impl Provenance {
    pub fn new(device: String, seed: u64, resumed_from_step: Option<u64>) -> Self {
        Provenance {
            gan_rs_version: env!("CARGO_PKG_VERSION"),
            git_commit: env!("GAN_RS_GIT_COMMIT"),
            libtorch_version: LIBTORCH_VERSION,
            libtorch_lib: env!("GAN_RS_LIBTORCH_LIB"),
            device,
            seed,
            command: std::env::args().collect(),
            started_utc: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            resumed_from_step,
        }
    }
}

/// A fresh directory `base/<name>-<timestamp>` (with a numeric suffix if taken).
pub fn create_run_dir(base: &Path, name: &str) -> Result<PathBuf> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut dir = base.join(format!("{name}-{stamp}"));
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = base.join(format!("{name}-{stamp}-{n}"));
    }
    std::fs::create_dir_all(&dir).map_err(|e| TrainError::io("creating", &dir, e))?;
    Ok(dir)
}

/// Make sure `dir` and its `checkpoints/` subdirectory exist and are writable, with a
/// clear error if not — before any training time is spent.
pub fn ensure_writable_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io("creating run directory", dir, e))?;
    probe_write(dir, "writing to run directory")?;
    let checkpoints = dir.join("checkpoints");
    std::fs::create_dir_all(&checkpoints)
        .map_err(|e| TrainError::io("creating checkpoint directory", &checkpoints, e))?;
    probe_write(&checkpoints, "writing to checkpoint directory")
}

fn probe_write(dir: &Path, op: &'static str) -> Result<()> {
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| TrainError::io(op, dir, e))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Write `config.toml` and `run.json` into `dir`. A resumed run keeps its first
/// `run.json` and records the resume in `run-resumed-<step>.json`.
pub fn write_run_files(
    dir: &Path,
    config: &ExperimentConfig,
    provenance: &Provenance,
) -> Result<()> {
    write_atomically(&dir.join("config.toml"), config.to_toml().as_bytes())?;
    let json = serde_json::to_string_pretty(provenance).expect("provenance serializes");
    let name = match provenance.resumed_from_step {
        Some(step) => format!("run-resumed-{step}.json"),
        None => "run.json".into(),
    };
    write_atomically(&dir.join(name), json.as_bytes())
}

/// The checkpoint of a run directory.
pub fn checkpoint_path(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoints").join(LATEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dirs_are_unique() {
        let base = tempfile::tempdir().unwrap();
        let a = create_run_dir(base.path(), "x").unwrap();
        let b = create_run_dir(base.path(), "x").unwrap();
        assert_ne!(a, b);
        assert!(a.is_dir() && b.is_dir());
    }

    #[test]
    fn unwritable_dir_is_a_clear_error() {
        let base = tempfile::tempdir().unwrap();
        let file = base.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = ensure_writable_dir(&file.join("sub"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("creating run directory"), "{e}");

        // A file where the checkpoint directory must be.
        let dir = base.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("checkpoints"), b"x").unwrap();
        let e = ensure_writable_dir(&dir).unwrap_err().to_string();
        assert!(
            e.contains("creating checkpoint directory") && e.contains("checkpoints"),
            "{e}"
        );
    }
}
