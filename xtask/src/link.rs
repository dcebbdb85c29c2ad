//! Atomic symlink updates: `.libtorch` → the chosen libtorch, dataset files → Debian's copies.
//!
//! A new link is created under a temporary name next to the old one and renamed over it, so a
//! concurrent build sees either the old target or the new one, never a missing link.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// What [`point_link`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The link already pointed at the target.
    Unchanged,
    Created,
    Replaced {
        previous: PathBuf,
    },
}

/// Makes `link` a symlink to `target`, replacing an existing symlink atomically.
///
/// Refuses to replace a real file or directory: that is someone's data, not our link.
pub fn point_link(link: &Path, target: &Path) -> Result<LinkOutcome> {
    let previous = match fs::symlink_metadata(link) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let current =
                fs::read_link(link).with_context(|| format!("reading link {}", link.display()))?;
            if current == target {
                return Ok(LinkOutcome::Unchanged);
            }
            Some(current)
        }
        Ok(_) => bail!(
            "{} exists and is not a symlink; move it away so that it can point at {}",
            link.display(),
            target.display()
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("inspecting {}", link.display())),
    };
    let name = link
        .file_name()
        .with_context(|| format!("{} has no file name", link.display()))?;
    // `*.tmp` is git-ignored, so an interrupted run leaves nothing that git would pick up.
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = link.with_file_name(tmp_name);
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .with_context(|| format!("creating link {}", tmp.display()))?;
    if let Err(e) = fs::rename(&tmp, link) {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("renaming {} to {}", tmp.display(), link.display()));
    }
    Ok(match previous {
        Some(previous) => LinkOutcome::Replaced { previous },
        None => LinkOutcome::Created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_is_idempotent_then_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        let link = tmp.path().join(".libtorch");

        assert_eq!(point_link(&link, &a).unwrap(), LinkOutcome::Created);
        assert_eq!(fs::read_link(&link).unwrap(), a);
        assert_eq!(point_link(&link, &a).unwrap(), LinkOutcome::Unchanged);
        assert_eq!(
            point_link(&link, &b).unwrap(),
            LinkOutcome::Replaced {
                previous: a.clone()
            }
        );
        assert_eq!(fs::read_link(&link).unwrap(), b);
        // No temporary link is left behind.
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn replaces_a_dangling_link() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("l");
        std::os::unix::fs::symlink(tmp.path().join("gone"), &link).unwrap();
        let outcome = point_link(&link, tmp.path()).unwrap();
        assert!(matches!(outcome, LinkOutcome::Replaced { .. }));
        assert_eq!(fs::read_link(&link).unwrap(), tmp.path());
    }

    #[test]
    fn refuses_to_replace_a_real_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join(".libtorch");
        fs::create_dir(&link).unwrap();
        let err = point_link(&link, tmp.path()).unwrap_err().to_string();
        assert!(err.contains("not a symlink"), "{err}");
        assert!(link.is_dir());
    }
}
