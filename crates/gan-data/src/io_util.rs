//! Small file helpers shared by the binary readers: bounded reads and gzip detection.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::DataError;

/// The two magic bytes that open every gzip member.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Deflate cannot expand data by more than about 1032:1; a gzip file of `n` bytes therefore
/// cannot decompress to more than `n * MAX_DEFLATE_RATIO` bytes (plus a little slack).
pub const MAX_DEFLATE_RATIO: u64 = 1032;

/// An opened data file: its on-disk length and a reader over its (decompressed) content.
pub struct Opened {
    /// Length of the file on disk.
    pub file_len: u64,
    /// Whether the content is gzip-compressed (detected from the magic bytes, not the name).
    pub gzip: bool,
    /// Reader over the decompressed content.
    pub reader: Box<dyn Read>,
}

/// Opens `path`, detecting gzip by its magic bytes. A name ending in `.gz` whose content is
/// not gzip gives [`DataError::NotGzip`].
pub fn open_maybe_gzip(path: &Path) -> Result<Opened, DataError> {
    let mut file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| DataError::io(path, e))?.len();
    let mut head = [0u8; 2];
    let got = read_up_to(&mut file, &mut head).map_err(|e| DataError::io(path, e))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| DataError::io(path, e))?;
    let gzip = got == 2 && head == GZIP_MAGIC;
    let named_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if named_gz && !gzip {
        return Err(DataError::NotGzip {
            path: path.to_path_buf(),
        });
    }
    let reader: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    Ok(Opened {
        file_len,
        gzip,
        reader,
    })
}

/// Maps a read error to [`DataError::CorruptGzip`] for gzip content, [`DataError::Io`]
/// otherwise.
pub fn read_error(path: &Path, gzip: bool, source: io::Error) -> DataError {
    if gzip {
        DataError::CorruptGzip {
            path: path.to_path_buf(),
            source,
        }
    } else {
        DataError::io(path, source)
    }
}

/// Fills as much of `buf` as the reader allows; returns the number of bytes read (less than
/// `buf.len()` only at end of stream).
pub fn read_up_to<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads at most `limit` bytes into a vector that grows with the data actually read (never
/// pre-allocated from an untrusted size).
pub fn read_at_most<R: Read + ?Sized>(reader: &mut R, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(limit).read_to_end(&mut out)?;
    Ok(out)
}
