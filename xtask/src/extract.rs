//! Safe archive extraction: no member may land outside the target directory.
//!
//! Refused: absolute member names, any `..` component, links whose target is absolute or
//! contains `..` (with those excluded, no chain of links can climb above the target), and
//! device/fifo entries. Callers extract into a fresh temporary directory and rename the
//! result into place, so a refused or interrupted extraction leaves nothing half-done.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The relative path a member called `name` may be written to, or an error saying why not.
pub fn safe_member_path(name: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for component in name.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => bail!("refusing archive member {name:?}: it contains `..`"),
            Component::RootDir | Component::Prefix(_) => {
                bail!("refusing archive member {name:?}: it is an absolute path")
            }
        }
    }
    if out.as_os_str().is_empty() {
        bail!("refusing archive member {name:?}: empty path");
    }
    Ok(out)
}

/// A link target is accepted only if it is relative and has no `..`.
pub fn check_link_target(member: &Path, target: &Path) -> Result<()> {
    let escapes = target.is_absolute()
        || target.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        });
    if escapes {
        bail!(
            "refusing archive member {member:?}: it links to {target:?}, which may point \
             outside the extraction directory"
        );
    }
    Ok(())
}

/// Extracts a tar stream into `into` (which must exist), checking every member first.
pub fn extract_tar<R: Read>(reader: R, into: &Path) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().context("reading tar archive")? {
        let mut entry = entry.context("reading tar entry")?;
        if entry.header().entry_type().is_pax_global_extensions() {
            // Archive-wide metadata (e.g. from `git archive`), not a file.
            continue;
        }
        let name = entry.path().context("tar entry name")?.into_owned();
        let rel = safe_member_path(&name)?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()
                .context("tar link target")?
                .with_context(|| format!("link {name:?} has no target"))?
                .into_owned();
            check_link_target(&name, &target)?;
            if kind.is_hard_link() {
                // Hard-link targets are archive member names, relative to the archive root.
                safe_member_path(&target)?;
            }
        } else if !(kind.is_file() || kind.is_dir()) {
            bail!("refusing archive member {name:?}: unsupported entry type {kind:?}");
        }
        let dest = into.join(&rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        // `unpack_in` repeats tar's own path checks (it also refuses to write through links
        // that resolve outside `into`).
        let written = entry
            .unpack_in(into)
            .with_context(|| format!("extracting {name:?}"))?;
        if !written {
            bail!("refusing archive member {name:?}: tar refused to place it");
        }
    }
    Ok(())
}

/// Extracts a `.tar.gz` file into `into`.
pub fn extract_tar_gz(archive: &Path, into: &Path) -> Result<()> {
    let file = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    extract_tar(flate2::read::GzDecoder::new(io::BufReader::new(file)), into)
        .with_context(|| format!("extracting {}", archive.display()))
}

/// Extracts a `.zip` file into `into` with the same rules (official libtorch archives).
pub fn extract_zip(archive: &Path, into: &Path) -> Result<()> {
    let file = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
        .with_context(|| format!("{} is not a valid zip archive", archive.display()))?;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).context("reading zip entry")?;
        let name = PathBuf::from(member.name());
        let rel = safe_member_path(&name)?;
        let dest = into.join(&rel);
        let mode = member.unix_mode();
        const S_IFMT: u32 = 0o170000;
        const S_IFLNK: u32 = 0o120000;
        if mode.is_some_and(|m| m & S_IFMT == S_IFLNK) {
            let mut target = String::new();
            member
                .read_to_string(&mut target)
                .context("reading zip link target")?;
            check_link_target(&name, Path::new(&target))?;
            create_parent(&dest)?;
            std::os::unix::fs::symlink(&target, &dest)
                .with_context(|| format!("creating link {}", dest.display()))?;
        } else if member.is_dir() {
            fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
        } else {
            create_parent(&dest)?;
            let mut out =
                File::create(&dest).with_context(|| format!("creating {}", dest.display()))?;
            io::copy(&mut member, &mut out).with_context(|| format!("extracting {name:?}"))?;
            if let Some(mode) = mode {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&dest, fs::Permissions::from_mode(mode & 0o777))?;
            }
        }
    }
    Ok(())
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use tar::{EntryType, Header};

    /// A tar archive built in memory; entries are (name, type, link target, data).
    fn tar_bytes(entries: &[(&str, EntryType, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, link, data) in entries {
            let mut header = Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            // Write names raw: `append_data` itself refuses `..`, and we must test our own check.
            let raw = &mut header.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(link) = link {
                let raw = &mut header.as_old_mut().linkname;
                raw[..link.len()].copy_from_slice(link.as_bytes());
            }
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn extract_err(
        entries: &[(&str, EntryType, Option<&str>, &[u8])],
    ) -> (String, tempfile::TempDir) {
        let tmp = tempfile::tempdir().unwrap();
        let into = tmp.path().join("into");
        fs::create_dir(&into).unwrap();
        let err = extract_tar(&tar_bytes(entries)[..], &into).unwrap_err();
        (format!("{err:#}"), tmp)
    }

    #[test]
    fn extracts_regular_files_dirs_and_inner_links() {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = tar_bytes(&[
            ("d/", EntryType::Directory, None, b""),
            ("d/a.bin", EntryType::Regular, None, b"hello"),
            ("./d/b.bin", EntryType::Regular, None, b"x"),
            ("d/link", EntryType::Symlink, Some("a.bin"), b""),
        ]);
        extract_tar(&bytes[..], tmp.path()).unwrap();
        assert_eq!(fs::read(tmp.path().join("d/a.bin")).unwrap(), b"hello");
        assert_eq!(fs::read(tmp.path().join("d/b.bin")).unwrap(), b"x");
        assert_eq!(fs::read(tmp.path().join("d/link")).unwrap(), b"hello");
    }

    #[test]
    fn skips_pax_global_headers() {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = tar_bytes(&[
            (
                "pax_global_header",
                EntryType::XGlobalHeader,
                None,
                b"13 comment=x\n",
            ),
            ("a.bin", EntryType::Regular, None, b"a"),
        ]);
        extract_tar(&bytes[..], tmp.path()).unwrap();
        assert!(!tmp.path().join("pax_global_header").exists());
        assert_eq!(fs::read(tmp.path().join("a.bin")).unwrap(), b"a");
    }

    #[test]
    fn refuses_parent_dir_members() {
        let (err, tmp) = extract_err(&[("../evil", EntryType::Regular, None, b"x")]);
        assert!(err.contains("contains `..`"), "{err}");
        assert!(!tmp.path().join("evil").exists());
        let (err, _) = extract_err(&[("a/../../evil", EntryType::Regular, None, b"x")]);
        assert!(err.contains("contains `..`"), "{err}");
    }

    #[test]
    fn refuses_absolute_members() {
        let (err, _) = extract_err(&[("/tmp/gan-rs-xtask-evil", EntryType::Regular, None, b"x")]);
        assert!(err.contains("absolute path"), "{err}");
        assert!(!Path::new("/tmp/gan-rs-xtask-evil").exists());
    }

    #[test]
    fn refuses_links_pointing_outside() {
        let (err, tmp) = extract_err(&[
            ("escape", EntryType::Symlink, Some("../outside"), b""),
            ("escape/evil", EntryType::Regular, None, b"x"),
        ]);
        assert!(err.contains("links to"), "{err}");
        assert!(!tmp.path().join("outside").exists());
        let (err, _) = extract_err(&[("abs", EntryType::Symlink, Some("/etc"), b"")]);
        assert!(err.contains("links to"), "{err}");
        let (err, _) = extract_err(&[("hard", EntryType::Link, Some("../x"), b"")]);
        assert!(err.contains("links to"), "{err}");
        // `x -> y/..` with `y -> .` would resolve above the root physically.
        let (err, _) = extract_err(&[
            ("y", EntryType::Symlink, Some("."), b""),
            ("x", EntryType::Symlink, Some("y/.."), b""),
        ]);
        assert!(err.contains("links to"), "{err}");
    }

    #[test]
    fn refuses_device_entries() {
        let (err, _) = extract_err(&[("dev", EntryType::Char, None, b"")]);
        assert!(err.contains("unsupported entry type"), "{err}");
    }

    #[test]
    fn zip_extraction_checks_names() {
        let tmp = tempfile::tempdir().unwrap();
        let write_zip = |path: &Path, names: &[&str]| {
            let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
            let opts = zip::write::FileOptions::default().unix_permissions(0o755);
            for name in names {
                zip.start_file(*name, opts).unwrap();
                zip.write_all(b"data").unwrap();
            }
            zip.finish().unwrap();
        };
        let good = tmp.path().join("good.zip");
        write_zip(
            &good,
            &["libtorch/lib/libtorch_cpu.so", "libtorch/bin/tool"],
        );
        let into = tmp.path().join("good");
        fs::create_dir(&into).unwrap();
        extract_zip(&good, &into).unwrap();
        assert_eq!(
            fs::read(into.join("libtorch/lib/libtorch_cpu.so")).unwrap(),
            b"data"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(into.join("libtorch/bin/tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);

        let evil = tmp.path().join("evil.zip");
        write_zip(&evil, &["libtorch/../../evil"]);
        let into = tmp.path().join("evil");
        fs::create_dir(&into).unwrap();
        let err = format!("{:#}", extract_zip(&evil, &into).unwrap_err());
        assert!(err.contains("contains `..`"), "{err}");
        assert!(!tmp
            .path()
            .join("evil")
            .join("..")
            .join("..")
            .join("evil")
            .exists());
    }
}
