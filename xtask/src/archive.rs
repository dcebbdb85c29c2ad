//! libtorch from the official archives on download.pytorch.org (CPU or a CUDA variant),
//! for machines that can reach it. Downloaded to `.part`, checked, extracted safely.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;

use crate::checksum::{self, Check};
use crate::download::{self, Unreachable};
use crate::extract;
use crate::libtorch::{self, Libtorch, TORCH_VERSION};
use crate::prereq::{self, Needs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Variant {
    Cpu,
    Cu126,
    Cu128,
    Cu130,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Cpu => "cpu",
            Variant::Cu126 => "cu126",
            Variant::Cu128 => "cu128",
            Variant::Cu130 => "cu130",
        }
    }

    /// Zip download plus extracted tree, with headroom (CUDA archives are ~3 GB zipped).
    fn disk_needed(self) -> u64 {
        match self {
            Variant::Cpu => 2_000_000_000,
            _ => 10_000_000_000,
        }
    }
}

pub fn url(variant: Variant) -> String {
    let v = variant.as_str();
    format!("https://download.pytorch.org/libtorch/{v}/libtorch-shared-with-deps-{TORCH_VERSION}%2B{v}.zip")
}

/// `<cache>/libtorch-2.13.0-<variant>`; the libtorch itself is its `libtorch/` subdirectory.
pub fn install_dir(cache: &Path, variant: Variant) -> PathBuf {
    cache.join(format!("libtorch-{TORCH_VERSION}-{}", variant.as_str()))
}

/// Lower-case 64-digit hex, or an error.
pub fn parse_sha256(hex: &str) -> Result<String> {
    let hex = hex.trim().to_ascii_lowercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("--sha256 must be 64 hexadecimal digits, got {hex:?}");
    }
    Ok(hex)
}

pub fn ensure(
    cache: &Path,
    variant: Variant,
    sha256: Option<&str>,
    force: bool,
) -> Result<Libtorch> {
    let dir = install_dir(cache, variant);
    if !force {
        if let Ok(lt) = libtorch::inspect(&dir.join("libtorch")) {
            println!(
                "libtorch {} already installed at {}",
                lt.version,
                lt.dir.display()
            );
            return Ok(lt);
        }
    }
    let sha256 = sha256.map(parse_sha256).transpose()?;
    prereq::require(&Needs {
        cxx: true,
        python_venv: false,
        disk: Some((cache.to_path_buf(), variant.disk_needed())),
    })?;
    fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let zip = cache.join(format!("libtorch-{TORCH_VERSION}-{}.zip", variant.as_str()));
    let url = url(variant);
    // `Check` holds `&'static str`; this process is short-lived, so leaking one string is fine.
    let checks: Vec<Check> = sha256
        .as_deref()
        .map(|s| Check::Sha256(Box::leak(s.to_string().into_boxed_str())))
        .into_iter()
        .collect();
    println!("downloading {url}");
    if let Err(e) = download::fetch(&url, &zip, &checks) {
        if e.downcast_ref::<Unreachable>().is_some() {
            bail!(
                "{e}\nthe official libtorch archives are not reachable from here; use the default \
                 source instead (`cargo xtask setup`, which installs torch=={TORCH_VERSION} from \
                 PyPI), or unzip the archive elsewhere and pass `--libtorch <dir>/libtorch`"
            );
        }
        return Err(e);
    }
    if sha256.is_none() {
        println!(
            "SHA-256 of {}: {} (not verified: pass --sha256 to check it)",
            zip.display(),
            checksum::sha256_file(&zip)?
        );
    }
    let lt = extract_into(&zip, &dir)?;
    // The extracted tree is what the build uses; the zip is gigabytes of duplicate data.
    fs::remove_file(&zip).with_context(|| format!("removing {}", zip.display()))?;
    println!("libtorch {} installed at {}", lt.version, lt.dir.display());
    Ok(lt)
}

/// Extracts `zip` into a temporary directory next to `dir`, validates, then renames.
fn extract_into(zip: &Path, dir: &Path) -> Result<Libtorch> {
    let mut tmp_name = dir.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.with_file_name(tmp_name);
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = (|| {
        println!("extracting {}", zip.display());
        extract::extract_zip(zip, &tmp)?;
        libtorch::inspect(&tmp.join("libtorch")).context("the extracted archive")?;
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("removing old {}", dir.display()))?;
        }
        fs::rename(&tmp, dir).with_context(|| format!("renaming to {}", dir.display()))?;
        libtorch::inspect(&dir.join("libtorch"))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn archive_urls_follow_pytorch_naming() {
        assert_eq!(
            url(Variant::Cpu),
            "https://download.pytorch.org/libtorch/cpu/libtorch-shared-with-deps-2.13.0%2Bcpu.zip"
        );
        assert_eq!(
            url(Variant::Cu128),
            "https://download.pytorch.org/libtorch/cu128/libtorch-shared-with-deps-2.13.0%2Bcu128.zip"
        );
        assert_eq!(
            install_dir(Path::new("/c"), Variant::Cu130),
            Path::new("/c/libtorch-2.13.0-cu130")
        );
    }

    #[test]
    fn sha256_argument_is_validated() {
        let upper = "C4A38C50A1BC5F3A1C5537F2155AB9D68F9F25EB1ED8D9DDDA3DB29A59BCA1DD";
        assert_eq!(parse_sha256(upper).unwrap(), upper.to_ascii_lowercase());
        assert!(parse_sha256("abc").is_err());
        assert!(parse_sha256(&"g".repeat(64)).is_err());
    }

    fn write_zip(path: &Path, files: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        for (name, data) in files {
            zip.start_file(*name, zip::write::FileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn extracts_and_validates_an_archive_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let zip = tmp.path().join("l.zip");
        write_zip(
            &zip,
            &[
                ("libtorch/lib/libtorch_cpu.so", b""),
                ("libtorch/include/torch/torch.h", b""),
                ("libtorch/build-version", b"2.13.0+cpu\n"),
            ],
        );
        let dir = tmp.path().join("libtorch-2.13.0-cpu");
        let lt = extract_into(&zip, &dir).unwrap();
        assert_eq!(lt.version, "2.13.0+cpu");
        assert_eq!(lt.dir, dir.join("libtorch"));
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            2,
            "no temporary directory left"
        );
    }

    #[test]
    fn a_wrong_archive_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let zip = tmp.path().join("l.zip");
        write_zip(
            &zip,
            &[
                ("libtorch/lib/libtorch_cpu.so", b""),
                ("libtorch/include/torch/torch.h", b""),
                ("libtorch/build-version", b"2.9.0+cpu\n"),
            ],
        );
        let dir = tmp.path().join("libtorch-2.13.0-cpu");
        let err = format!("{:#}", extract_into(&zip, &dir).unwrap_err());
        assert!(err.contains("tch 0.26 needs libtorch 2.13.0"), "{err}");
        assert!(!dir.exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
