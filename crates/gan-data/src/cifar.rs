//! Reader for the CIFAR-10 binary batches (`cifar-10-batches-bin/data_batch_1.bin` …
//! `data_batch_5.bin`, `test_batch.bin`).
//!
//! Each record is 1 label byte (0..10) followed by 3,072 pixel bytes: the red plane (32 × 32,
//! row-major), then green, then blue — already channel-first. A file must hold a whole number
//! of records; its length is checked before anything is read.

use std::path::Path;

use crate::error::DataError;
use crate::idx::check_labels;
use crate::io_util::{open_maybe_gzip, read_at_most, read_error};

/// Pixel bytes of one CIFAR-10 image (3 × 32 × 32).
pub const CIFAR_IMAGE_BYTES: usize = 3 * 32 * 32;
/// Bytes of one record: label + image.
pub const CIFAR_RECORD_BYTES: usize = 1 + CIFAR_IMAGE_BYTES;
/// Number of CIFAR-10 classes.
pub const CIFAR_CLASSES: u8 = 10;

/// Raw content of one CIFAR-10 binary batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CifarBatch {
    /// Number of records.
    pub n: usize,
    /// One label per record, each `< 10`.
    pub labels: Vec<u8>,
    /// `n * 3072` pixel bytes, record after record, each `[3, 32, 32]`.
    pub pixels: Vec<u8>,
}

/// Reads one CIFAR-10 binary batch file.
pub fn read_cifar_batch(path: &Path) -> Result<CifarBatch, DataError> {
    let mut opened = open_maybe_gzip(path)?;
    if opened.gzip {
        return Err(DataError::BadHeader {
            path: path.to_path_buf(),
            reason: "CIFAR-10 binary batches must be uncompressed (extract the .tar.gz first)"
                .into(),
        });
    }
    let record = CIFAR_RECORD_BYTES as u64;
    if opened.file_len == 0 || opened.file_len % record != 0 {
        let whole = (opened.file_len / record + 1) * record;
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected_bytes: whole,
            actual_bytes: opened.file_len,
        });
    }
    // The length is the real file length, so reading it is safe; cap it anyway.
    let raw = read_at_most(&mut opened.reader, opened.file_len)
        .map_err(|e| read_error(path, false, e))?;
    if raw.len() as u64 != opened.file_len {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected_bytes: opened.file_len,
            actual_bytes: raw.len() as u64,
        });
    }
    let n = raw.len() / CIFAR_RECORD_BYTES;
    let mut labels = Vec::with_capacity(n);
    let mut pixels = Vec::with_capacity(n * CIFAR_IMAGE_BYTES);
    for rec in raw.chunks_exact(CIFAR_RECORD_BYTES) {
        labels.push(rec[0]);
        pixels.extend_from_slice(&rec[1..]);
    }
    check_labels(path, &labels, CIFAR_CLASSES)?;
    Ok(CifarBatch { n, labels, pixels })
}
