//! Recognising a usable libtorch directory: its libraries, headers and version.
//!
//! Two layouts are accepted: an official archive (`build-version` file) and the `torch`
//! package directory of a pip install (`version.py`). Both hold `lib/` and `include/`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The only libtorch version that `tch` 0.26 (torch-sys) builds against.
pub const TORCH_VERSION: &str = "2.13.0";

/// A libtorch directory that passed [`inspect`].
#[derive(Debug, Clone)]
pub struct Libtorch {
    pub dir: PathBuf,
    /// The full version string, e.g. `2.13.0+cu130`.
    pub version: String,
}

/// `__version__ = '2.13.0+cu130'` from a pip torch package's `version.py`.
pub fn parse_version_py(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("__version__")?;
        // Allow an annotation such as `__version__: str = '...'`.
        let value = rest.split_once('=')?.1.trim();
        let quote = value.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let inner = &value[1..];
        let end = inner.find(quote)?;
        Some(inner[..end].to_string()).filter(|v| !v.is_empty())
    })
}

/// The first non-empty line of an official archive's `build-version`, e.g. `2.13.0+cpu`.
pub fn parse_build_version(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// `2.13.0+cu130` → `2.13.0`.
pub fn base_version(version: &str) -> &str {
    version.split('+').next().unwrap_or(version)
}

/// Reads the version of a libtorch directory from `build-version` or `version.py`.
pub fn read_version(dir: &Path) -> Result<String> {
    for (file, parse) in [
        (
            "build-version",
            parse_build_version as fn(&str) -> Option<String>,
        ),
        ("version.py", parse_version_py),
    ] {
        let path = dir.join(file);
        if path.is_file() {
            let text =
                fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            return parse(&text).with_context(|| format!("no version found in {}", path.display()));
        }
    }
    bail!(
        "{} has neither build-version (official archive) nor version.py (pip torch); \
         cannot tell its libtorch version",
        dir.display()
    )
}

/// Checks that `dir` is a libtorch 2.13.0 with libraries and headers; no import, no linking.
pub fn inspect(dir: &Path) -> Result<Libtorch> {
    if !dir.is_dir() {
        bail!("libtorch directory {} does not exist", dir.display());
    }
    let lib = dir.join("lib");
    if !lib.join("libtorch_cpu.so").is_file() && !lib.join("libtorch.so").is_file() {
        bail!(
            "{} is not a libtorch directory: {} has no libtorch_cpu.so or libtorch.so",
            dir.display(),
            lib.display()
        );
    }
    let headers = dir.join("include").join("torch");
    if !headers.is_dir() {
        bail!(
            "{} is not a libtorch directory: the C++ headers {} are missing",
            dir.display(),
            headers.display()
        );
    }
    let version = read_version(dir)?;
    if base_version(&version) != TORCH_VERSION {
        bail!(
            "libtorch at {} is version {version}, but tch 0.26 needs libtorch {TORCH_VERSION} \
             exactly; run `cargo xtask setup` to install {TORCH_VERSION}, or pass --libtorch with \
             a {TORCH_VERSION} directory",
            dir.display()
        );
    }
    Ok(Libtorch {
        dir: dir.to_path_buf(),
        version,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a fake libtorch directory (empty library file, header dir, version file).
    pub(crate) fn fake_libtorch(dir: &Path, version_file: &str, contents: &str) {
        fs::create_dir_all(dir.join("lib")).unwrap();
        fs::create_dir_all(dir.join("include/torch")).unwrap();
        fs::write(dir.join("lib/libtorch_cpu.so"), b"").unwrap();
        fs::write(dir.join(version_file), contents).unwrap();
    }

    #[test]
    fn parses_pip_version_py() {
        let text = "from typing import Optional\n\n__all__ = ['__version__']\n\
                    __version__ = '2.13.0+cu130'\ndebug = False\n";
        assert_eq!(parse_version_py(text).as_deref(), Some("2.13.0+cu130"));
        assert_eq!(
            parse_version_py("__version__: str = \"2.12.1\"\n").as_deref(),
            Some("2.12.1")
        );
        assert_eq!(parse_version_py("version = '2.13.0'\n"), None);
        assert_eq!(parse_version_py("__version__ = ''\n"), None);
    }

    #[test]
    fn parses_build_version() {
        assert_eq!(
            parse_build_version("\n2.13.0+cpu\n").as_deref(),
            Some("2.13.0+cpu")
        );
        assert_eq!(parse_build_version("  \n"), None);
        assert_eq!(base_version("2.13.0+cu128"), "2.13.0");
        assert_eq!(base_version("2.13.0"), "2.13.0");
    }

    #[test]
    fn accepts_archive_and_pip_layouts() {
        let tmp = tempfile::tempdir().unwrap();
        let archive = tmp.path().join("archive");
        fake_libtorch(&archive, "build-version", "2.13.0+cpu\n");
        assert_eq!(inspect(&archive).unwrap().version, "2.13.0+cpu");
        let pip = tmp.path().join("pip");
        fake_libtorch(&pip, "version.py", "__version__ = '2.13.0+cu130'\n");
        assert_eq!(inspect(&pip).unwrap().version, "2.13.0+cu130");
    }

    #[test]
    fn rejects_missing_dir_lib_headers_and_wrong_version() {
        let tmp = tempfile::tempdir().unwrap();
        let err = inspect(&tmp.path().join("nope")).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");

        let no_lib = tmp.path().join("no_lib");
        fs::create_dir_all(no_lib.join("include/torch")).unwrap();
        fs::write(no_lib.join("build-version"), "2.13.0\n").unwrap();
        let err = inspect(&no_lib).unwrap_err().to_string();
        assert!(err.contains("no libtorch_cpu.so"), "{err}");

        let no_headers = tmp.path().join("no_headers");
        fake_libtorch(&no_headers, "build-version", "2.13.0\n");
        fs::remove_dir_all(no_headers.join("include")).unwrap();
        let err = inspect(&no_headers).unwrap_err().to_string();
        assert!(err.contains("headers"), "{err}");

        let old = tmp.path().join("old");
        fake_libtorch(&old, "build-version", "2.5.1+cpu\n");
        let err = inspect(&old).unwrap_err().to_string();
        assert!(
            err.contains("2.5.1+cpu") && err.contains("tch 0.26 needs libtorch 2.13.0"),
            "{err}"
        );

        let unknown = tmp.path().join("unknown");
        fake_libtorch(&unknown, "README", "");
        let err = inspect(&unknown).unwrap_err().to_string();
        assert!(err.contains("cannot tell its libtorch version"), "{err}");
    }
}
