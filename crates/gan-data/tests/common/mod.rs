//! Fixture writers shared by the integration tests: real IDX / CIFAR-10 binary bytes.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Deterministic pixel value of image `i` at byte `j`.
pub fn pixel(i: usize, j: usize) -> u8 {
    ((i * 31 + j * 7) % 256) as u8
}

/// An IDX image file (magic 2051) declaring `n` images of `rows × cols`, holding them all.
pub fn idx_images(n: usize, rows: usize, cols: usize) -> Vec<u8> {
    let mut out = idx_images_header(n as u32, rows as u32, cols as u32);
    for i in 0..n {
        for j in 0..rows * cols {
            out.push(pixel(i, j));
        }
    }
    out
}

/// Just the 16-byte header of an IDX image file.
pub fn idx_images_header(n: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [2051u32, n, rows, cols] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

/// An IDX label file (magic 2049).
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&2049u32.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A CIFAR-10 binary batch with one record per label; record `i` has pixel bytes
/// `pixel(i, j)`.
pub fn cifar_records(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        out.push(l);
        for j in 0..3072 {
            out.push(pixel(i, j));
        }
    }
    out
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Asserts that the error message names `path` (its full display form).
pub fn assert_names(err: &gan_data::DataError, path: &Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "message does not name {}: {msg}",
        path.display()
    );
}
