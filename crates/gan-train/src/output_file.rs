//! Writing a file at a path a user named (`--out`, a run directory's files): a regular
//! file, or a new one, is replaced atomically (a temporary file, flushed, then renamed
//! over it), so a crash leaves the old file or the new one, never a torn one. What is
//! not a regular file is never replaced: a symlink is written through (its target is
//! replaced atomically), a device or FIFO is written to in place (`/dev/stdout`,
//! `/dev/full` reports its error), and a directory is refused. Nothing but the named
//! file (or its symlink's target) and its `.tmp` sibling is ever touched.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, TrainError};

/// How many symlinks are followed before giving up (a loop).
const MAX_LINKS: usize = 32;

/// Write `bytes` to `path`: atomically for regular files, through for symlinks,
/// in place for devices and FIFOs; a directory at `path` is an error.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    match target_of(path)? {
        Target::Regular(real) => write_atomically(&real, bytes),
        Target::Special(real) => write_in_place(&real, bytes),
    }
}

/// What a path resolves to for writing.
enum Target {
    /// A regular file, or nothing yet: replace atomically.
    Regular(PathBuf),
    /// A device, FIFO or socket: write to it, never replace it.
    Special(PathBuf),
}

fn target_of(path: &Path) -> Result<Target> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Target::Regular(current))
            }
            Err(e) => return Err(TrainError::io("inspecting", &current, e)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = std::fs::read_link(&current)
                .map_err(|e| TrainError::io("reading the symlink", &current, e))?;
            current = match current.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
        } else if kind.is_dir() {
            return Err(TrainError::io(
                "writing",
                &current,
                std::io::Error::other("it is a directory, not a file"),
            ));
        } else if kind.is_file() {
            return Ok(Target::Regular(current));
        } else {
            return Ok(Target::Special(current));
        }
    }
    Err(TrainError::io(
        "writing",
        path,
        std::io::Error::other(format!("more than {MAX_LINKS} symlinks (a loop?)")),
    ))
}

/// Write into an existing device or FIFO, without creating, truncating or replacing it.
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(bytes)?;
        f.flush()
    };
    write().map_err(|e| TrainError::io("writing", path, e))
}

/// Write `bytes` to the regular file `path` through a temporary file and a rename,
/// syncing both the file and its directory so the rename survives a power loss.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io("creating", dir, e))?;
    let tmp = tmp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(TrainError::io("writing", &tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        TrainError::io("renaming into place", path, e)
    })?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The temporary sibling a write goes through: `<name>.tmp`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileTypeExt;

    use super::*;

    #[test]
    fn regular_files_are_replaced_and_new_ones_created() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_file(&p, b"one").unwrap();
        write_file(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert!(!tmp_path(&p).exists());
        let nested = dir.path().join("x/y/b.txt");
        write_file(&nested, b"b").unwrap();
        assert_eq!(std::fs::read(&nested).unwrap(), b"b");
    }

    #[test]
    fn a_symlink_is_written_through_and_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.csv");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("target.csv", &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("made.csv"), &dangling).unwrap();
        write_file(&dangling, b"made").unwrap();
        assert_eq!(std::fs::read(dir.path().join("made.csv")).unwrap(), b"made");
        // A loop is an error, not a hang.
        let a = dir.path().join("loop-a");
        let b = dir.path().join("loop-b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = write_file(&a, b"x").unwrap_err().to_string();
        assert!(e.contains("symlinks"), "{e}");
    }

    #[test]
    fn a_fifo_is_written_to_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_file(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    /// A `/dev/full` of our own (character device 1:7) in a temporary directory: the
    /// write fails with the device's error and the node is still a device. Needs root
    /// (as CI runs); elsewhere the node cannot be made and the test says so.
    #[test]
    fn a_device_reports_its_error_and_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("full");
        let c = std::ffi::CString::new(node.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; makedev(1, 7) is /dev/full's number.
        let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 7)) };
        if made != 0 {
            eprintln!("skipped: mknod needs root");
            return;
        }
        // /dev/full's own error; a container's device policy may refuse the open instead.
        let e = write_file(&node, b"data").unwrap_err().to_string();
        assert!(
            e.contains("No space left on device") || e.contains("Operation not permitted"),
            "{e}"
        );
        assert!(std::fs::symlink_metadata(&node)
            .unwrap()
            .file_type()
            .is_char_device());
        assert!(!tmp_path(&node).exists());
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_file(dir.path(), b"x").unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }
}
