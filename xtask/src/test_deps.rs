//! The Python reference packages of the test suite (`scripts/requirements-test.txt`):
//! installed into the venv that `cargo xtask setup` made, which already has torch.
//!
//! `cargo xtask test` passes that venv's python to the tests as `GAN_TEST_PYTHON`, and sets
//! `GAN_REQUIRE_PYTHON=1` so that a reference test cannot skip there. A plain `cargo test`
//! without the variable skips those tests with a message instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::pypi;

/// The requirements file, relative to the repository root.
pub const REQUIREMENTS: &str = "scripts/requirements-test.txt";

/// The venv's python with the test requirements installed, or why there is none.
pub fn ensure(repo: &Path, cache: &Path) -> Result<PathBuf> {
    let venv = pypi::venv_dir(cache);
    let python = venv.join("bin").join("python");
    if pypi::torch_dir(&venv).is_none() || !python.is_file() {
        bail!(
            "no torch venv at {} (libtorch was set up from elsewhere); the PyTorch and \
             TensorBoard reference tests need it: run `cargo xtask setup --force` to create it",
            venv.display()
        );
    }
    let requirements = repo.join(REQUIREMENTS);
    // pip answers "already satisfied" in a second or two when nothing is missing.
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements)
        .status()
        .with_context(|| format!("running {}", python.display()))?;
    if !status.success() {
        bail!(
            "`{} -m pip install -r {}` failed ({status}); pip's output above says why \
             (is PyPI reachable?)",
            python.display(),
            requirements.display()
        );
    }
    Ok(python)
}
