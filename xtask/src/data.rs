//! Datasets: Fashion-MNIST, MNIST and CIFAR-10 in the layout gan-data reads.
//!
//! ```text
//! <data>/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
//! <data>/mnist/…same names…
//! <data>/cifar10/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
//! ```
//!
//! Every file is checked against published SHA-256 values before use, whether it was
//! downloaded, linked from Debian's package or placed by hand. Where the hosts cannot be
//! reached the error lists each missing file, its URL and where to put it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::catalog::{
    Dataset, FileSpec, CIFAR_ARCHIVE, CIFAR_BATCHES, CIFAR_BATCH_BYTES, CIFAR_BATCH_DIR,
    CIFAR_MIRRORS, FASHION_DEBIAN_DIR, FASHION_DEBIAN_PACKAGE, FASHION_FILES, FASHION_MIRRORS,
    MNIST_FILES, MNIST_MIRRORS,
};
use crate::checksum;
use crate::download::{self, Unreachable};
use crate::extract;
use crate::link;

/// A file that could not be obtained: where to get it and where to put it.
#[derive(Debug)]
pub struct Missing {
    pub url: String,
    /// Other mirrors that serve the same file.
    pub also: Vec<String>,
    pub dest: PathBuf,
    pub error: anyhow::Error,
}

/// Makes `dataset` present and verified under `data_dir`.
pub fn ensure(dataset: Dataset, data_dir: &Path, force: bool) -> Result<()> {
    let dir = data_dir.join(dataset.name());
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let missing = match dataset {
        Dataset::FashionMnist => {
            let debian = debian_fashion_dir();
            ensure_files(
                &dir,
                &FASHION_FILES,
                FASHION_MIRRORS,
                debian.as_deref(),
                force,
            )?
        }
        Dataset::Mnist => ensure_files(&dir, &MNIST_FILES, MNIST_MIRRORS, None, force)?,
        Dataset::Cifar10 => ensure_cifar(
            &dir,
            CIFAR_MIRRORS,
            &CIFAR_ARCHIVE,
            CIFAR_BATCH_BYTES,
            force,
        )?,
    };
    if missing.is_empty() {
        println!("{}: ready in {}", dataset.name(), dir.display());
        return Ok(());
    }
    bail!("{}", missing_report(dataset, &missing))
}

/// "Put these files here by hand" instructions for files that could not be fetched.
pub fn missing_report(dataset: Dataset, missing: &[Missing]) -> String {
    let offline = missing
        .iter()
        .all(|m| m.error.downcast_ref::<Unreachable>().is_some());
    let mut out = format!(
        "{}: {} file(s) could not be obtained{}:\n",
        dataset.name(),
        missing.len(),
        if offline {
            " (the dataset hosts cannot be reached from here)"
        } else {
            ""
        }
    );
    for m in missing {
        out.push_str(&format!(
            "  - download {}\n    and save it as {}\n    (error: {:#})\n",
            m.url,
            m.dest.display(),
            m.error
        ));
        for url in &m.also {
            out.push_str(&format!("    (also at {url})\n"));
        }
    }
    if dataset == Dataset::FashionMnist {
        out.push_str(&format!(
            "  or install Debian's copy: apt-get install {FASHION_DEBIAN_PACKAGE}\n"
        ));
    }
    out.push_str(&format!(
        "then run `cargo xtask data {}` again: it checks hand-placed files (SHA-256) and uses them",
        dataset.name()
    ));
    out
}

/// Fashion-MNIST's directory from Debian's package, if installed (asks dpkg, falls back to
/// the usual path).
fn debian_fashion_dir() -> Option<PathBuf> {
    let listed = Command::new("dpkg")
        .args(["-L", FASHION_DEBIAN_PACKAGE])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find(|l| l.ends_with(FASHION_FILES[0].name))
                .and_then(|l| Path::new(l).parent().map(Path::to_path_buf))
        });
    listed
        .or_else(|| Some(PathBuf::from(FASHION_DEBIAN_DIR)))
        .filter(|d| d.join(FASHION_FILES[0].name).is_file())
}

/// Ensures each file of `specs` in `dir`; returns those that could not be obtained.
pub fn ensure_files(
    dir: &Path,
    specs: &[FileSpec],
    mirrors: &[&str],
    local_copy: Option<&Path>,
    force: bool,
) -> Result<Vec<Missing>> {
    let mut missing = Vec::new();
    // A mirror that could not be reached once is not tried again for the next files: with
    // dropped packets every attempt would wait for the connect timeout.
    let mut dead = Vec::new();
    for spec in specs {
        let dest = dir.join(spec.name);
        if let Some(m) = ensure_file(&dest, spec, mirrors, local_copy, force, &mut dead)? {
            missing.push(m);
        }
    }
    Ok(missing)
}

fn ensure_file(
    dest: &Path,
    spec: &FileSpec,
    mirrors: &[&str],
    local_copy: Option<&Path>,
    force: bool,
    dead: &mut Vec<String>,
) -> Result<Option<Missing>> {
    if fs::symlink_metadata(dest).is_ok() {
        if force || !dest.exists() {
            // Forced refresh, or a link whose target went away.
            fs::remove_file(dest).with_context(|| format!("removing {}", dest.display()))?;
        } else {
            match checksum::verify_or_remove(dest, spec.checks) {
                Ok(()) => {
                    println!("  {} verified", dest.display());
                    return Ok(None);
                }
                Err(e) => println!("  {e:#}; fetching it again"),
            }
        }
    }
    if let Some(local) = local_copy
        .map(|d| d.join(spec.name))
        .filter(|p| p.is_file())
    {
        match checksum::verify(&local, spec.checks)? {
            Ok(()) => {
                link::point_link(dest, &local)?;
                println!("  {} -> {} (verified)", dest.display(), local.display());
                return Ok(None);
            }
            // Never delete a system file; just do not use it.
            Err(found) => println!("  ignoring {}: checksum mismatch: {found}", local.display()),
        }
    }
    let urls: Vec<String> = mirrors
        .iter()
        .map(|m| format!("{m}{}", spec.name))
        .collect();
    let (url, also) = urls.split_first().context("no download location known")?;
    let mut first_error = None;
    for (mirror, url) in mirrors.iter().zip(&urls) {
        if dead.iter().any(|d| d == mirror) {
            continue;
        }
        match download::fetch(url, dest, spec.checks) {
            Ok(()) => {
                println!("  {} downloaded and verified", dest.display());
                return Ok(None);
            }
            Err(e) => {
                if e.downcast_ref::<Unreachable>().is_some() {
                    dead.push(mirror.to_string());
                } else {
                    // Reachable but wrong (HTTP error, checksum mismatch): say so now.
                    println!("  {url}: {e:#}");
                }
                first_error.get_or_insert(e);
            }
        }
    }
    let error = first_error.unwrap_or_else(|| {
        Unreachable {
            url: url.clone(),
            reason: "unreachable earlier in this run".into(),
        }
        .into()
    });
    Ok(Some(Missing {
        url: url.clone(),
        also: also.to_vec(),
        dest: dest.to_path_buf(),
        error,
    }))
}

/// CIFAR-10: the six batch files, extracted from the verified archive.
fn ensure_cifar(
    dir: &Path,
    mirrors: &[&str],
    archive_spec: &FileSpec,
    batch_bytes: u64,
    force: bool,
) -> Result<Vec<Missing>> {
    let batches = dir.join(CIFAR_BATCH_DIR);
    if !force && batches_complete(&batches, batch_bytes) {
        // The archive's SHA-256 was checked before these were extracted from it.
        println!(
            "  {} present (6 batch files of the right size)",
            batches.display()
        );
        return Ok(Vec::new());
    }
    let archive = dir.join(archive_spec.name);
    let missing = ensure_files(
        dir,
        std::slice::from_ref(archive_spec),
        mirrors,
        None,
        force,
    )?;
    if !missing.is_empty() {
        return Ok(missing);
    }
    extract_cifar(&archive, dir, batch_bytes)?;
    // The batches are what gan-data reads; the 170 MB archive is no longer needed.
    fs::remove_file(&archive).with_context(|| format!("removing {}", archive.display()))?;
    Ok(Vec::new())
}

fn batches_complete(batches: &Path, batch_bytes: u64) -> bool {
    CIFAR_BATCHES.iter().all(|name| {
        fs::metadata(batches.join(name)).is_ok_and(|m| m.is_file() && m.len() == batch_bytes)
    })
}

/// Extracts into a temporary directory inside `dir`, checks the batch files, then renames
/// `cifar-10-batches-bin` into place.
fn extract_cifar(archive: &Path, dir: &Path, batch_bytes: u64) -> Result<()> {
    let tmp = dir.join(format!(".extract-{}.tmp", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = (|| {
        println!("  extracting {}", archive.display());
        extract::extract_tar_gz(archive, &tmp)?;
        let extracted = tmp.join(CIFAR_BATCH_DIR);
        if !batches_complete(&extracted, batch_bytes) {
            bail!(
                "{} does not hold the six CIFAR-10 batch files of {batch_bytes} bytes under {CIFAR_BATCH_DIR}/",
                archive.display()
            );
        }
        let batches = dir.join(CIFAR_BATCH_DIR);
        if batches.exists() {
            fs::remove_dir_all(&batches)?;
        }
        fs::rename(&extracted, &batches)
            .with_context(|| format!("moving the batches to {}", batches.display()))
    })();
    let _ = fs::remove_dir_all(&tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Check;
    use std::io::Write;

    // SHA-256("abc") from FIPS 180-2; SHA-256("") is the well-known empty digest.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    /// Nothing listens on port 9 of localhost: connections are refused at once.
    const OFFLINE: &[&str] = &["http://127.0.0.1:9/"];
    const SPEC: FileSpec = FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        checks: &[Check::Sha256(ABC)],
    };

    #[test]
    fn hand_placed_file_is_verified_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(SPEC.name), b"abc").unwrap();
        let missing = ensure_files(tmp.path(), &[SPEC], OFFLINE, None, false).unwrap();
        assert!(missing.is_empty());
        assert_eq!(fs::read(tmp.path().join(SPEC.name)).unwrap(), b"abc");
    }

    #[test]
    fn bad_hand_placed_file_is_deleted_and_offline_report_says_where_to_put_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join(SPEC.name);
        fs::write(&dest, b"corrupt").unwrap();
        let missing = ensure_files(tmp.path(), &[SPEC], OFFLINE, None, false).unwrap();
        assert!(!dest.exists(), "the corrupt file must be deleted");
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].url, format!("http://127.0.0.1:9/{}", SPEC.name));
        let report = missing_report(Dataset::Mnist, &missing);
        assert!(report.contains("cannot be reached"), "{report}");
        assert!(
            report.contains(&format!("save it as {}", dest.display())),
            "{report}"
        );
        assert!(report.contains("cargo xtask data mnist"), "{report}");
    }

    #[test]
    fn an_unreachable_mirror_is_tried_once_and_every_file_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let other = FileSpec {
            name: "t10k-labels-idx1-ubyte.gz",
            checks: SPEC.checks,
        };
        let mirrors = ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"];
        let missing = ensure_files(tmp.path(), &[SPEC, other], &mirrors, None, false).unwrap();
        assert_eq!(missing.len(), 2);
        assert_eq!(
            missing[1].url,
            "http://127.0.0.1:9/a/t10k-labels-idx1-ubyte.gz"
        );
        assert_eq!(
            missing[1].also,
            ["http://127.0.0.1:9/b/t10k-labels-idx1-ubyte.gz"]
        );
        let second = format!("{:#}", missing[1].error);
        assert!(
            second.contains("unreachable earlier in this run"),
            "{second}"
        );
        let report = missing_report(Dataset::FashionMnist, &missing);
        assert!(
            report.contains("(also at http://127.0.0.1:9/b/"),
            "{report}"
        );
        assert!(
            report.contains("apt-get install dataset-fashion-mnist"),
            "{report}"
        );
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "no .part files left"
        );
    }

    #[test]
    fn local_copy_is_linked_after_verification() {
        let tmp = tempfile::tempdir().unwrap();
        let (local, data) = (tmp.path().join("debian"), tmp.path().join("data"));
        fs::create_dir_all(&local).unwrap();
        fs::create_dir_all(&data).unwrap();
        // A recompressed copy: accepted through the decompressed-content checksum.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(b"abc").unwrap();
        fs::write(local.join(SPEC.name), enc.finish().unwrap()).unwrap();
        let spec = FileSpec {
            name: SPEC.name,
            checks: &[Check::Sha256("0000"), Check::GzContentSha256(ABC)],
        };
        let missing = ensure_files(&data, &[spec], OFFLINE, Some(&local), false).unwrap();
        assert!(missing.is_empty());
        assert_eq!(
            fs::read_link(data.join(SPEC.name)).unwrap(),
            local.join(SPEC.name)
        );
        // A second run verifies through the link and leaves it alone.
        assert!(ensure_files(&data, &[spec], OFFLINE, Some(&local), false)
            .unwrap()
            .is_empty());

        // A local copy that fails its check is neither used nor deleted.
        let wrong = FileSpec {
            name: SPEC.name,
            checks: &[Check::Sha256(ABC)],
        };
        let missing = ensure_files(&data, &[wrong], OFFLINE, Some(&local), false).unwrap();
        assert_eq!(missing.len(), 1);
        assert!(local.join(SPEC.name).exists());
        assert!(fs::symlink_metadata(data.join(SPEC.name)).is_err());
    }

    fn cifar_tar_gz(path: &Path, batch_bytes: usize, names: &[&str]) {
        let file = fs::File::create(path).unwrap();
        let enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(enc);
        for name in names {
            let mut header = tar::Header::new_gnu();
            header.set_size(batch_bytes as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(
                    &mut header,
                    format!("{CIFAR_BATCH_DIR}/{name}"),
                    &vec![7u8; batch_bytes][..],
                )
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
    }

    #[test]
    fn cifar_archive_is_verified_extracted_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let archive = tmp.path().join("cifar-10-binary.tar.gz");
        cifar_tar_gz(&archive, 3073, &CIFAR_BATCHES);
        let sha: &'static str =
            Box::leak(checksum::sha256_file(&archive).unwrap().into_boxed_str());
        let checks: &'static [Check] = Box::leak(vec![Check::Sha256(sha)].into_boxed_slice());
        let spec = FileSpec {
            name: "cifar-10-binary.tar.gz",
            checks,
        };
        let missing = ensure_cifar(tmp.path(), OFFLINE, &spec, 3073, false).unwrap();
        assert!(missing.is_empty());
        assert!(batches_complete(&tmp.path().join(CIFAR_BATCH_DIR), 3073));
        assert!(!archive.exists());
        // Only the batch directory is left: no temporary extraction directory.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
        // Present now: no archive or network needed.
        assert!(ensure_cifar(tmp.path(), OFFLINE, &spec, 3073, false)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn incomplete_cifar_archive_is_refused_and_cleaned_up() {
        let tmp = tempfile::tempdir().unwrap();
        let archive = tmp.path().join("cifar-10-binary.tar.gz");
        cifar_tar_gz(&archive, 3073, &CIFAR_BATCHES[..5]);
        let err = extract_cifar(&archive, tmp.path(), 3073)
            .unwrap_err()
            .to_string();
        assert!(err.contains("six CIFAR-10 batch files"), "{err}");
        assert!(!tmp.path().join(CIFAR_BATCH_DIR).exists());
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "only the archive is left"
        );
    }

    #[test]
    fn cifar_offline_reports_the_archive() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = ensure_cifar(tmp.path(), OFFLINE, &CIFAR_ARCHIVE, 3073, false).unwrap();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].dest, tmp.path().join("cifar-10-binary.tar.gz"));
        assert!(missing[0].error.downcast_ref::<Unreachable>().is_some());
    }
}
