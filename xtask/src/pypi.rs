//! libtorch from PyPI: a venv in the per-user cache with `torch==2.13.0`, whose `torch`
//! package directory holds `lib/` and `include/` like an official libtorch archive.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::libtorch::{self, Libtorch, TORCH_VERSION};
use crate::prereq::{self, Needs};

/// The wheel with its nvidia-* dependencies takes about 4.7 GB; keep headroom for pip's cache.
pub const DISK_NEEDED: u64 = 6_000_000_000;

/// `<cache>/torch-2.13.0/venv`.
pub fn venv_dir(cache: &Path) -> PathBuf {
    cache.join(format!("torch-{TORCH_VERSION}")).join("venv")
}

/// `<venv>/lib/python3.X/site-packages/torch`, whichever python3.X the venv was made with.
pub fn torch_dir(venv: &Path) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = fs::read_dir(venv.join("lib"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path().join("site-packages").join("torch"))
        .filter(|p| p.is_dir())
        .collect();
    candidates.sort();
    candidates.pop()
}

/// The installed libtorch if present and valid (reads `version.py`, imports nothing).
pub fn installed(cache: &Path) -> Option<Libtorch> {
    libtorch::inspect(&torch_dir(&venv_dir(cache))?).ok()
}

/// Installs `torch==2.13.0` into the cache venv unless it is already there.
pub fn ensure(cache: &Path, force: bool) -> Result<Libtorch> {
    if !force {
        if let Some(lt) = installed(cache) {
            println!(
                "libtorch {} already installed at {}",
                lt.version,
                lt.dir.display()
            );
            return Ok(lt);
        }
    }
    prereq::require(&Needs {
        cxx: true,
        python_venv: true,
        disk: Some((cache.to_path_buf(), DISK_NEEDED)),
    })?;
    let venv = venv_dir(cache);
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        println!("creating a Python venv at {}", venv.display());
        fs::create_dir_all(venv.parent().unwrap_or(cache))
            .with_context(|| format!("creating {}", cache.display()))?;
        let status = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        if !status.as_ref().is_ok_and(|s| s.success()) {
            // A half-made venv would be mistaken for a usable one next time.
            let _ = fs::remove_dir_all(&venv);
            bail!("`python3 -m venv {}` failed ({status:?})", venv.display());
        }
    }
    let spec = format!("torch=={TORCH_VERSION}");
    println!(
        "installing {spec} from PyPI into {} (about 4.7 GB, a few minutes)",
        venv.display()
    );
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--progress-bar", "on"]);
    if force {
        pip.arg("--force-reinstall");
    }
    let status = pip.arg(&spec).status().context("running pip")?;
    if !status.success() {
        bail!(
            "`{} -m pip install {spec}` failed ({status}); pip's output above says why \
             (PyPI unreachable? then pass --libtorch with an existing libtorch {TORCH_VERSION})",
            python.display()
        );
    }
    let dir = torch_dir(&venv)
        .with_context(|| format!("pip finished but no torch package is in {}", venv.display()))?;
    let lt = libtorch::inspect(&dir)?;
    println!("libtorch {} installed at {}", lt.version, lt.dir.display());
    Ok(lt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libtorch::tests::fake_libtorch;

    #[test]
    fn finds_a_valid_install_in_the_cache_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path();
        assert_eq!(venv_dir(cache), cache.join("torch-2.13.0/venv"));
        assert!(installed(cache).is_none());
        let torch = cache.join("torch-2.13.0/venv/lib/python3.11/site-packages/torch");
        fake_libtorch(&torch, "version.py", "__version__ = '2.13.0+cu130'\n");
        let lt = installed(cache).expect("valid install");
        assert_eq!(lt.dir, torch);
        assert_eq!(lt.version, "2.13.0+cu130");
        // ensure() takes the fast path: no python, no pip, no prerequisite checks.
        assert_eq!(ensure(cache, false).unwrap().dir, torch);
    }

    #[test]
    fn a_wrong_version_is_not_taken_as_installed() {
        let tmp = tempfile::tempdir().unwrap();
        let torch = tmp
            .path()
            .join("torch-2.13.0/venv/lib/python3.12/site-packages/torch");
        fake_libtorch(&torch, "version.py", "__version__ = '2.12.0'\n");
        assert!(installed(tmp.path()).is_none());
    }
}
