//! Reader for the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//!
//! An IDX file is a big-endian header — a 4-byte magic `00 00 <dtype> <ndim>` followed by
//! `ndim` 4-byte dimensions — and then the data. Images use magic 2051 (`0x00000803`: u8,
//! 3 dims `[n, rows, cols]`), labels magic 2049 (`0x00000801`: u8, 1 dim `[n]`).
//!
//! Declared sizes are never trusted: they are computed with checked arithmetic and compared
//! with the real file length (plain files) or with the most a gzip file of that length can
//! decompress to, before anything is allocated; gzip data is read through a cap of the
//! declared size + 1 byte, so a lying header or a decompression bomb cannot exhaust memory.

use std::path::Path;

use crate::error::DataError;
use crate::io_util::{open_maybe_gzip, read_at_most, read_error, read_up_to, MAX_DEFLATE_RATIO};

/// Magic number of an IDX image file (u8, 3 dimensions).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX label file (u8, 1 dimension).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Raw images of an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub n: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// Pixels, `n * rows * cols` bytes, image after image, row-major.
    pub pixels: Vec<u8>,
}

/// Reads an IDX image file (magic 2051), plain or gzip.
///
/// A name ending in `.gz` is read as gzip (and must be gzip); any other name as plain IDX.
///
/// ```
/// use gan_data::{read_idx_images, read_idx_labels, DataError};
///
/// // An IDX file: magic, then each dimension, all big-endian u32, then the bytes.
/// fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
///     let mut bytes = magic.to_be_bytes().to_vec();
///     dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
///     bytes.extend_from_slice(data);
///     bytes
/// }
/// let dir = tempfile::tempdir().unwrap();
/// let images = dir.path().join("images-idx3-ubyte");
/// std::fs::write(&images, idx(2051, &[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))
///     .unwrap();
///
/// let read = read_idx_images(&images).unwrap();
/// assert_eq!((read.n, read.rows, read.cols), (2, 2, 3));
/// assert_eq!(read.pixels[6..], [6, 7, 8, 9, 10, 11]); // the second image
///
/// // A label out of range is an error naming the file, the index and the value.
/// let labels = dir.path().join("labels-idx1-ubyte");
/// std::fs::write(&labels, idx(2049, &[2], &[3, 12])).unwrap();
/// let err = read_idx_labels(&labels, 10).unwrap_err();
/// assert!(matches!(err, DataError::BadLabel { index: 1, value: 12, .. }));
/// // An image reader refuses a label file by its magic number.
/// assert!(matches!(read_idx_images(&labels), Err(DataError::BadMagic { .. })));
/// ```
pub fn read_idx_images(path: &Path) -> Result<IdxImages, DataError> {
    let (dims, pixels) = read_idx(path, IDX_IMAGES_MAGIC, 3)?;
    let [n, rows, cols] = [dims[0], dims[1], dims[2]];
    if rows == 0 || cols == 0 {
        return Err(DataError::BadHeader {
            path: path.to_path_buf(),
            reason: format!("image size {rows}x{cols} has a zero dimension"),
        });
    }
    Ok(IdxImages {
        n: n as usize,
        rows: rows as usize,
        cols: cols as usize,
        pixels,
    })
}

/// Reads an IDX label file (magic 2049), plain or gzip, and checks every label is
/// `< num_classes`.
pub fn read_idx_labels(path: &Path, num_classes: u8) -> Result<Vec<u8>, DataError> {
    let (_, labels) = read_idx(path, IDX_LABELS_MAGIC, 1)?;
    check_labels(path, &labels, num_classes)?;
    Ok(labels)
}

/// Fails with [`DataError::BadLabel`] at the first label `>= num_classes`.
pub(crate) fn check_labels(path: &Path, labels: &[u8], num_classes: u8) -> Result<(), DataError> {
    match labels.iter().position(|&l| l >= num_classes) {
        None => Ok(()),
        Some(index) => Err(DataError::BadLabel {
            path: path.to_path_buf(),
            index: index as u64,
            value: labels[index],
            num_classes,
        }),
    }
}

/// Reads an u8 IDX file with the given magic and number of dimensions; returns the dimensions
/// and the data.
fn read_idx(path: &Path, magic: u32, ndim: usize) -> Result<(Vec<u64>, Vec<u8>), DataError> {
    let mut opened = open_maybe_gzip(path)?;
    let header_len = 4 + 4 * ndim;
    let mut header = vec![0u8; header_len];
    let got = read_up_to(&mut opened.reader, &mut header)
        .map_err(|e| read_error(path, opened.gzip, e))?;
    if got < 4 {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected_bytes: header_len as u64,
            actual_bytes: got as u64,
        });
    }
    let found = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    if got < header_len {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected_bytes: header_len as u64,
            actual_bytes: got as u64,
        });
    }
    let dims: Vec<u64> = header[4..]
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let payload = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DataError::BadHeader {
            path: path.to_path_buf(),
            reason: format!("dimensions {dims:?} overflow a 64-bit size"),
        })?;
    let expected = payload
        .checked_add(header_len as u64)
        .ok_or_else(|| DataError::BadHeader {
            path: path.to_path_buf(),
            reason: format!("dimensions {dims:?} overflow a 64-bit size"),
        })?;

    let data = if opened.gzip {
        let max = opened
            .file_len
            .saturating_mul(MAX_DEFLATE_RATIO)
            .saturating_add(1024);
        if expected > max {
            return Err(DataError::BadHeader {
                path: path.to_path_buf(),
                reason: format!(
                    "dimensions {dims:?} declare {expected} bytes, but a {}-byte gzip file \
                     decompresses to at most {max}",
                    opened.file_len
                ),
            });
        }
        let data =
            read_at_most(&mut opened.reader, payload + 1).map_err(|e| read_error(path, true, e))?;
        let actual = data.len() as u64 + header_len as u64;
        if actual < expected {
            return Err(DataError::Truncated {
                path: path.to_path_buf(),
                expected_bytes: expected,
                actual_bytes: actual,
            });
        }
        if actual > expected {
            return Err(DataError::TrailingData {
                path: path.to_path_buf(),
                expected_bytes: expected,
            });
        }
        data
    } else {
        if opened.file_len < expected {
            return Err(DataError::Truncated {
                path: path.to_path_buf(),
                expected_bytes: expected,
                actual_bytes: opened.file_len,
            });
        }
        if opened.file_len > expected {
            return Err(DataError::TrailingData {
                path: path.to_path_buf(),
                expected_bytes: expected,
            });
        }
        // The size now matches the real file length, so allocating it is safe; the read is
        // still capped in case the file changed underneath.
        let data = read_at_most(&mut opened.reader, payload + 1)
            .map_err(|e| read_error(path, false, e))?;
        if data.len() as u64 != payload {
            return Err(DataError::Truncated {
                path: path.to_path_buf(),
                expected_bytes: expected,
                actual_bytes: data.len() as u64 + header_len as u64,
            });
        }
        data
    };
    Ok((dims, data))
}
