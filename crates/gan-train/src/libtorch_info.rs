//! Which libtorch this process actually runs on, read at run time: the path of the
//! `libtorch_cpu.so` mapped into the process (`/proc/self/maps`), and the version its
//! installation records beside it (a PyTorch wheel's `torch/version.py`, or a libtorch
//! archive's `build-version`). Provenance records this, not the version gan-rs was
//! compiled for, since one binary can load another libtorch through the library path.

use std::path::{Path, PathBuf};

/// The libtorch loaded into this process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadedLibtorch {
    /// The mapped `libtorch_cpu.so`.
    pub library: Option<PathBuf>,
    /// Its version, e.g. `2.13.0+cu130`.
    pub version: Option<String>,
    /// The CUDA version it was built with (`None` for a CPU-only build).
    pub cuda: Option<String>,
}

/// Read what this process has loaded (`None` fields where it cannot be told).
pub fn loaded_libtorch() -> LoadedLibtorch {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let Some(library) = mapped_library(&maps, "libtorch_cpu.so") else {
        return LoadedLibtorch::default();
    };
    let (version, cuda) = library
        .parent()
        .and_then(Path::parent)
        .map(version_beside)
        .unwrap_or_default();
    LoadedLibtorch {
        library: Some(library),
        version,
        cuda,
    }
}

/// The path of the first mapping of a file named `name` (or `name.N`) in a
/// `/proc/<pid>/maps` text.
fn mapped_library(maps: &str, name: &str) -> Option<PathBuf> {
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(PathBuf::from)
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == name || n.starts_with(&format!("{name}.")))
        })
}

/// `(version, cuda)` recorded in an installation root (`torch/` of a wheel, or the
/// directory of a libtorch archive).
fn version_beside(root: &Path) -> (Option<String>, Option<String>) {
    if let Ok(text) = std::fs::read_to_string(root.join("version.py")) {
        return parse_version_py(&text);
    }
    match std::fs::read_to_string(root.join("build-version")) {
        Ok(text) => {
            let v = text.trim().to_string();
            let cuda = v
                .split_once("+cu")
                .map(|(_, c)| c.to_string())
                .filter(|c| !c.is_empty());
            (Some(v), cuda)
        }
        Err(_) => (None, None),
    }
}

/// `__version__` and `cuda` of a PyTorch `version.py`.
fn parse_version_py(text: &str) -> (Option<String>, Option<String>) {
    let value_of = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            let k = k.split(':').next()?.trim();
            (k == key).then(|| v.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        })
    };
    let cuda = value_of("cuda").filter(|c| c != "None");
    (value_of("__version__"), cuda)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_wheels_version_file() {
        let text = "from typing import Optional\n__version__ = '2.11.0+cu128'\ndebug = False\ncuda: Optional[str] = '12.8'\n";
        assert_eq!(
            parse_version_py(text),
            (Some("2.11.0+cu128".into()), Some("12.8".into()))
        );
        let cpu = "__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\n";
        assert_eq!(parse_version_py(cpu), (Some("2.13.0+cpu".into()), None));
    }

    #[test]
    fn finds_the_mapped_library() {
        let maps = "7f00-7f10 r-xp 00000000 08:01 123 /usr/lib/libc.so.6\n\
                    7f20-7f30 r-xp 00000000 08:01 456 /opt/torch/lib/libtorch_cpu.so\n";
        assert_eq!(
            mapped_library(maps, "libtorch_cpu.so"),
            Some(PathBuf::from("/opt/torch/lib/libtorch_cpu.so"))
        );
        assert_eq!(mapped_library(maps, "libcuda.so"), None);
    }

    /// This test process links libtorch: the loaded one is found and has a version.
    #[test]
    fn this_process_reports_its_libtorch() {
        let _ = tch::Tensor::zeros([1], tch::kind::FLOAT_CPU);
        let info = loaded_libtorch();
        let lib = info.library.clone().expect("libtorch_cpu.so is mapped");
        assert!(lib.exists(), "{lib:?}");
        assert!(info.version.is_some(), "{info:?}");
    }
}
