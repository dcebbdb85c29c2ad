//! HTTP(S) downloads into a `.part` file that is verified before it takes the final name.
//!
//! A `.part` file is never trusted: a stale one from an interrupted run is deleted and the
//! download starts from scratch, and a failed or short download removes it again.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::checksum::{self, Check};

/// The host could not be reached at all (DNS failure, refused connection, timeout, no route):
/// callers turn this into "place the file by hand" instructions.
#[derive(Debug)]
pub struct Unreachable {
    pub url: String,
    pub reason: String,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot reach {} ({})", self.url, self.reason)
    }
}

impl std::error::Error for Unreachable {}

/// `dest` with `.part` appended to its file name.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// Opens `url` and returns its body and, when the server says, its length.
pub fn open_url(url: &str) -> Result<(Box<dyn Read>, Option<u64>)> {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        // A stalled transfer should fail, not hang CI forever; slow ones may go on.
        .timeout_per_read(Some(Duration::from_secs(60)));
    // Tests talk to 127.0.0.1 only; an HTTP(S)_PROXY in the environment must not reroute them.
    #[cfg(test)]
    let config = config.proxy(None);
    let agent: ureq::Agent = config.build().into();
    match agent.get(url).call() {
        Ok(response) => {
            let body = response.into_body();
            let len = body.content_length();
            Ok((Box::new(body.into_reader()), len))
        }
        Err(ureq::Error::StatusCode(code)) => bail!("{url} answered HTTP {code}"),
        Err(
            e @ (ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)),
        ) => Err(Unreachable {
            url: url.to_string(),
            reason: e.to_string(),
        }
        .into()),
        Err(e) => Err(e).with_context(|| format!("downloading {url}")),
    }
}

/// Downloads `url` to `dest`: into `dest.part`, checked against `checks` (if any), then renamed.
pub fn fetch(url: &str, dest: &Path, checks: &[Check]) -> Result<()> {
    fetch_with(dest, checks, url, || open_url(url))
}

/// [`fetch`] with the transport injected (tests pass in-memory readers).
pub fn fetch_with(
    dest: &Path,
    checks: &[Check],
    label: &str,
    open: impl FnOnce() -> Result<(Box<dyn Read>, Option<u64>)>,
) -> Result<()> {
    let part = part_path(dest);
    // Whatever an earlier run left is untrusted: start from scratch.
    remove_if_exists(&part)?;
    let (reader, len) = open()?;
    // The bar is hidden when stderr is not a terminal (CI), so also say what is happening.
    match len {
        Some(len) => println!("  downloading {label} ({:.1} MB)", len as f64 / 1e6),
        None => println!("  downloading {label}"),
    }
    let result = copy_with_progress(reader, len, &part, label);
    if let Err(e) = result {
        let _ = fs::remove_file(&part);
        return Err(e);
    }
    if !checks.is_empty() {
        checksum::verify_or_remove(&part, checks)?;
    }
    fs::rename(&part, dest)
        .with_context(|| format!("renaming {} to {}", part.display(), dest.display()))
}

fn copy_with_progress(
    mut reader: Box<dyn Read>,
    len: Option<u64>,
    part: &Path,
    label: &str,
) -> Result<()> {
    let file = File::create(part).with_context(|| format!("creating {}", part.display()))?;
    let mut out = BufWriter::new(file);
    let bar = progress_bar(len, label);
    let mut buf = vec![0u8; 1 << 16];
    let mut written = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(e).with_context(|| {
                    format!("download of {label} interrupted after {written} bytes")
                });
            }
        };
        out.write_all(&buf[..n])
            .with_context(|| format!("writing {}", part.display()))?;
        written += n as u64;
        bar.set_position(written);
    }
    bar.finish();
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    if let Some(len) = len {
        if written != len {
            bail!("download of {label} ended after {written} of {len} bytes");
        }
    }
    Ok(())
}

fn progress_bar(len: Option<u64>, label: &str) -> ProgressBar {
    let bar = match len {
        Some(len) => ProgressBar::new(len).with_style(
            ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{msg} {bytes} {bytes_per_sec}").expect("valid template"),
        ),
    };
    bar.set_message(label.to_string());
    bar
}

pub fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256("abc") from FIPS 180-2.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn body(bytes: &'static [u8], len: Option<u64>) -> Result<(Box<dyn Read>, Option<u64>)> {
        Ok((Box::new(bytes), len))
    }

    /// Yields some bytes, then fails like a dropped connection.
    struct Broken(bool);
    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            } else {
                buf[..2].copy_from_slice(b"ab");
                Ok(2)
            }
        }
    }

    #[test]
    fn verified_download_replaces_a_stale_part() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("f.gz");
        fs::write(part_path(&dest), b"stale garbage from an interrupted run").unwrap();
        fetch_with(&dest, &[Check::Sha256(ABC)], "f", || body(b"abc", Some(3))).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"abc");
        assert!(!part_path(&dest).exists());
    }

    #[test]
    fn checksum_mismatch_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("f.gz");
        let err = fetch_with(&dest, &[Check::Sha256(ABC)], "f", || body(b"abd", None)).unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
        assert!(!dest.exists() && !part_path(&dest).exists());
    }

    #[test]
    fn interrupted_or_short_download_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("f.gz");
        let err =
            fetch_with(&dest, &[], "f", || Ok((Box::new(Broken(false)), Some(3)))).unwrap_err();
        assert!(
            format!("{err:#}").contains("interrupted after 2 bytes"),
            "{err:#}"
        );
        assert!(!dest.exists() && !part_path(&dest).exists());

        let err = fetch_with(&dest, &[], "f", || body(b"ab", Some(3))).unwrap_err();
        assert!(err.to_string().contains("after 2 of 3 bytes"), "{err}");
        assert!(!dest.exists() && !part_path(&dest).exists());
    }

    #[test]
    fn unreachable_host_is_reported_as_unreachable() {
        // Port 9 on localhost: nothing listens there, so the connection is refused at once.
        let err = open_url("http://127.0.0.1:9/file.gz")
            .err()
            .expect("no server on port 9");
        let unreachable = err
            .downcast_ref::<Unreachable>()
            .expect("an Unreachable error");
        assert!(unreachable.url.ends_with("file.gz"));
    }
}
