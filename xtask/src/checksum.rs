//! Checksums of downloaded and hand-placed files; a file that fails its check is deleted.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// One accepted checksum of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// SHA-256 of the file's bytes (lower-case hex).
    Sha256(&'static str),
    /// SHA-256 of a gzip file's *decompressed* bytes. Used where a redistributor recompressed
    /// the original (Debian's strip-nondeterminism rewrites gzip headers), so the .gz bytes
    /// differ but the content is the original.
    GzContentSha256(&'static str),
}

/// Lower-case hex SHA-256 of everything `reader` yields.
pub fn sha256_reader(mut reader: impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    sha256_reader(file).with_context(|| format!("reading {}", path.display()))
}

fn gz_content_sha256(path: &Path) -> Result<String> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    sha256_reader(MultiGzDecoder::new(file))
        .with_context(|| format!("decompressing {}", path.display()))
}

/// Whether `path` satisfies any of `checks`; the error names what was expected and found.
pub fn verify(path: &Path, checks: &[Check]) -> Result<std::result::Result<(), String>> {
    let mut found = Vec::new();
    let mut file_sha = None;
    for check in checks {
        match *check {
            Check::Sha256(want) => {
                let got = match &file_sha {
                    Some(got) => got,
                    None => file_sha.insert(sha256_file(path)?),
                };
                if got == want {
                    return Ok(Ok(()));
                }
                found.push(format!("SHA-256 {got} (expected {want})"));
            }
            Check::GzContentSha256(want) => match gz_content_sha256(path) {
                Ok(got) if got == want => return Ok(Ok(())),
                Ok(got) => found.push(format!("decompressed SHA-256 {got} (expected {want})")),
                Err(e) => found.push(format!("not a valid gzip file ({e:#})")),
            },
        }
    }
    Ok(Err(found.join("; ")))
}

/// Checks `path`; on a mismatch deletes it and fails, saying so.
pub fn verify_or_remove(path: &Path, checks: &[Check]) -> Result<()> {
    match verify(path, checks)? {
        Ok(()) => Ok(()),
        Err(found) => {
            fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
            bail!(
                "checksum mismatch for {}: {found}; the file was deleted",
                path.display()
            )
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    // SHA-256("abc") from FIPS 180-2, appendix B.1.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn sha256_matches_the_fips_vector() {
        assert_eq!(sha256_reader(&b"abc"[..]).unwrap(), ABC);
    }

    #[test]
    fn matching_file_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        fs::write(&path, b"abc").unwrap();
        verify_or_remove(&path, &[Check::Sha256(ABC)]).unwrap();
        assert!(path.exists());
    }

    #[test]
    fn mismatch_removes_the_file_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        fs::write(&path, b"abd").unwrap();
        let err = verify_or_remove(&path, &[Check::Sha256(ABC)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("checksum mismatch") && err.contains("deleted"),
            "{err}"
        );
        assert!(err.contains(ABC), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn recompressed_gzip_is_accepted_by_content_checksum() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.gz");
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"abc").unwrap();
        fs::write(&path, enc.finish().unwrap()).unwrap();
        let checks = [Check::Sha256(ABC), Check::GzContentSha256(ABC)];
        assert_eq!(verify(&path, &checks).unwrap(), Ok(()));
        // Plain bytes "abc" are not gzip: only the file checksum can accept them.
        fs::write(&path, b"abc").unwrap();
        assert!(verify(&path, &checks[1..]).unwrap().is_err());
        assert_eq!(verify(&path, &checks).unwrap(), Ok(()));
    }
}
