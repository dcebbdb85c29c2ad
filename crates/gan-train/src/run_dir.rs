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

use crate::checkpoint::LATEST;
use crate::config::ExperimentConfig;
use crate::error::{Result, TrainError};
use crate::output_file::write_file;

/// The libtorch version tch 0.26 is built against (torch-sys checks it at build time).
pub const LIBTORCH_VERSION: &str = "2.13.0";

/// What produced a run.
#[derive(Serialize, Clone, Debug)]
pub struct Provenance {
    /// gan-rs's crate version.
    pub gan_rs_version: &'static str,
    /// The commit the binary was built from (12 hex digits, `"unknown"` outside git).
    pub git_commit: &'static str,
    /// The version of the libtorch this process loaded (read from its installation;
    /// `"unknown"` where it records none).
    pub libtorch_version: String,
    /// The `libtorch_cpu.so` this process loaded.
    pub libtorch_lib: String,
    /// The CUDA version that libtorch was built with (`None`: a CPU-only build).
    pub libtorch_cuda: Option<String>,
    /// The libtorch gan-rs was compiled against (tch's, and the build's library path).
    pub built_for_libtorch: &'static str,
    /// The libtorch `lib/` directory the build linked against (torch-sys's).
    pub built_with_libtorch_lib: &'static str,
    /// The device the run trains on, as resolved (`cpu`, `cuda:0`, …).
    pub device: String,
    /// The run's seed.
    pub seed: u64,
    /// The process's command line, program name first.
    pub command: Vec<String>,
    /// When the run (or this resumption of it) started, `YYYY-mm-ddTHH:MM:SSZ`.
    pub started_utc: String,
    /// The checkpoint step a resumed run continued from; `None` for a fresh run.
    pub resumed_from_step: Option<u64>,
}

impl Provenance {
    /// The provenance of this process (versions, commit, command line, current time).
    pub fn new(device: String, seed: u64, resumed_from_step: Option<u64>) -> Self {
        let loaded = crate::libtorch_info::loaded_libtorch();
        Provenance {
            gan_rs_version: env!("CARGO_PKG_VERSION"),
            git_commit: env!("GAN_RS_GIT_COMMIT"),
            libtorch_version: loaded.version.unwrap_or_else(|| "unknown".into()),
            libtorch_lib: loaded
                .library
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "unknown".into()),
            libtorch_cuda: loaded.cuda,
            built_for_libtorch: LIBTORCH_VERSION,
            built_with_libtorch_lib: env!("GAN_RS_LIBTORCH_LIB"),
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
    write_file(&dir.join("config.toml"), config.to_toml().as_bytes())?;
    let json = serde_json::to_string_pretty(provenance).expect("provenance serializes");
    let name = match provenance.resumed_from_step {
        Some(step) => format!("run-resumed-{step}.json"),
        None => "run.json".into(),
    };
    write_file(&dir.join(name), json.as_bytes())
}

/// The lock file of a run directory (holds the writer's PID).
pub const LOCK_FILE: &str = ".lock";

/// An exclusive lock on a run directory, held by the one process that writes to it
/// (`gan train`, `--resume`). It is an `flock` on `<dir>/.lock`, so the kernel releases
/// it when the process exits, also when it is killed. A second writer fails at once and
/// is told the holder's PID.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Lock `dir` (which must exist) or fail naming the process that holds it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        use std::io::{Read, Seek, Write};
        use std::os::fd::AsRawFd;
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| TrainError::io("opening the run lock", &path, e))?;
        // SAFETY: a valid open file descriptor.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = std::io::Error::last_os_error();
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("another gan process (PID {holder})")
            };
            return Err(TrainError::io(
                "locking the run directory",
                dir,
                std::io::Error::new(
                    err.kind(),
                    format!(
                        "{who} is writing to it; wait for it to finish or stop it (its lock is {})",
                        path.display()
                    ),
                ),
            ));
        }
        let mut record = || -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())?;
            file.flush()
        };
        record().map_err(|e| TrainError::io("writing", &path, e))?;
        Ok(RunLock { _file: file })
    }
}

/// Prepare `dir` for a new run (`gan train --out DIR`). A directory that does not
/// exist or is empty is used as is. One that holds files is refused, since a new run
/// would overwrite its checkpoint and mix its files with the old run's, unless
/// `overwrite` is set and it is a gan-rs run directory (it has a `config.toml` or a
/// `checkpoints/`): then its contents are removed first. Anything else is never deleted.
pub fn prepare_new_run_dir(dir: &Path, overwrite: bool) -> Result<()> {
    let refuse = |reason: String| {
        Err(TrainError::io(
            "starting a new run in",
            dir,
            std::io::Error::other(reason),
        ))
    };
    let entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        // Nothing there yet (creating it reports any problem with the path).
        Err(_) if !dir.exists() => return Ok(()),
        Err(e) if !dir.is_dir() => return refuse(format!("it is not a directory ({e})")),
        Err(e) => return Err(TrainError::io("reading", dir, e)),
    };
    if entries.is_empty() {
        return Ok(());
    }
    let is_run = dir.join("config.toml").is_file() || dir.join("checkpoints").is_dir();
    match (is_run, overwrite) {
        (true, false) => refuse(format!(
            "it holds a run already; continue it with `gan train --resume {0}`, or pass \
             --overwrite to delete it and start again",
            dir.display()
        )),
        (false, _) => refuse(format!(
            "it is not empty and not a gan-rs run directory ({} entries); choose a new or \
             empty directory",
            entries.len()
        )),
        (true, true) => {
            // Never delete under a run another process is writing.
            let _lock = RunLock::acquire(dir)?;
            for entry in entries {
                if entry.file_name().is_some_and(|n| n == LOCK_FILE) {
                    continue;
                }
                let removed = if entry.is_dir() && !entry.is_symlink() {
                    std::fs::remove_dir_all(&entry)
                } else {
                    std::fs::remove_file(&entry)
                };
                removed.map_err(|e| TrainError::io("removing", &entry, e))?;
            }
            Ok(())
        }
    }
}

/// The file recording a run's total training time over all its sessions.
pub const TIMING_FILE: &str = "timing.json";

/// Seconds a run trained in its earlier sessions (0 for a new run).
pub fn previous_seconds(dir: &Path) -> f64 {
    std::fs::read_to_string(dir.join(TIMING_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["seconds"].as_f64())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(0.0)
}

/// Record a run's total training time (all sessions), for the next resume.
pub fn record_seconds(dir: &Path, total: f64) -> Result<()> {
    let json = serde_json::json!({ "seconds": total });
    write_file(&dir.join(TIMING_FILE), json.to_string().as_bytes())
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
    fn a_second_writer_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        // flock locks belong to open files, so a second open in this process conflicts
        // exactly as another process would.
        let e = RunLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("PID {}", std::process::id())), "{e}");
        drop(first);
        RunLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn new_runs_never_overwrite_silently() {
        let base = tempfile::tempdir().unwrap();
        let missing = base.path().join("new");
        prepare_new_run_dir(&missing, false).unwrap();
        let empty = base.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        prepare_new_run_dir(&empty, false).unwrap();

        let run = base.path().join("run");
        std::fs::create_dir_all(run.join("checkpoints")).unwrap();
        std::fs::write(run.join("config.toml"), "x").unwrap();
        std::fs::write(run.join("checkpoints/latest.safetensors"), "x").unwrap();
        let e = prepare_new_run_dir(&run, false).unwrap_err().to_string();
        assert!(e.contains("--resume") && e.contains("--overwrite"), "{e}");
        assert!(run.join("config.toml").exists());
        prepare_new_run_dir(&run, true).unwrap();
        assert_eq!(
            std::fs::read_dir(&run)
                .unwrap()
                .filter(|e| { e.as_ref().unwrap().file_name() != LOCK_FILE })
                .count(),
            0
        );

        // Not a run directory: refused even with --overwrite, and nothing is deleted.
        let other = base.path().join("photos");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("cat.jpg"), "x").unwrap();
        let e = prepare_new_run_dir(&other, true).unwrap_err().to_string();
        assert!(e.contains("not a gan-rs run directory"), "{e}");
        assert!(other.join("cat.jpg").exists());
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
