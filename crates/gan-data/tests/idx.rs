//! IDX reader on real-format fixtures: plain and gzip, and every kind of corruption.

mod common;

use common::*;
use gan_data::{read_idx_images, read_idx_labels, DataError};
use tempfile::TempDir;

#[test]
fn reads_plain_and_gzip_images_identically() {
    let dir = TempDir::new().unwrap();
    let bytes = idx_images(3, 4, 5);
    let plain = write(dir.path(), "imgs", &bytes);
    let gz = write(dir.path(), "imgs.gz", &gzip(&bytes));
    // gzip detected by magic, not by name:
    let gz_no_ext = write(dir.path(), "imgs-compressed", &gzip(&bytes));
    let a = read_idx_images(&plain).unwrap();
    assert_eq!((a.n, a.rows, a.cols), (3, 4, 5));
    assert_eq!(a.pixels.len(), 60);
    assert_eq!(a.pixels[20 + 3], pixel(1, 3));
    assert_eq!(read_idx_images(&gz).unwrap(), a);
    assert_eq!(read_idx_images(&gz_no_ext).unwrap(), a);
}

#[test]
fn reads_labels() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "l.gz", &gzip(&idx_labels(&[0, 9, 3])));
    assert_eq!(read_idx_labels(&p, 10).unwrap(), vec![0, 9, 3]);
}

#[test]
fn wrong_magic() {
    let dir = TempDir::new().unwrap();
    // A label file given as an image file.
    let p = write(dir.path(), "labels-as-images", &idx_labels(&[1, 2]));
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::BadMagic {
                expected: 2051,
                found: 2049,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);
    // Random bytes, gzip-compressed.
    let p = write(dir.path(), "junk.gz", &gzip(b"hello world, not idx"));
    let e = read_idx_labels(&p, 10).unwrap_err();
    assert!(
        matches!(e, DataError::BadMagic { expected: 2049, .. }),
        "{e:?}"
    );
    assert_names(&e, &p);
}

#[test]
fn truncated_data_and_header() {
    let dir = TempDir::new().unwrap();
    let mut bytes = idx_images(3, 4, 5);
    bytes.truncate(bytes.len() - 7);
    let p = write(dir.path(), "short", &bytes);
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected_bytes: 76,
                actual_bytes: 69,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);

    let pg = write(dir.path(), "short.gz", &gzip(&bytes));
    let e = read_idx_images(&pg).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected_bytes: 76,
                actual_bytes: 69,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &pg);

    let ph = write(dir.path(), "header-only", &2051u32.to_be_bytes()[..]);
    let e = read_idx_images(&ph).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected_bytes: 16,
                actual_bytes: 4,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &ph);

    let pe = write(dir.path(), "empty", b"");
    let e = read_idx_labels(&pe, 10).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                actual_bytes: 0,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn trailing_data_is_rejected() {
    let dir = TempDir::new().unwrap();
    let mut bytes = idx_labels(&[1, 2, 3]);
    bytes.push(4);
    let p = write(dir.path(), "long", &bytes);
    let e = read_idx_labels(&p, 10).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::TrailingData {
                expected_bytes: 11,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);
    let pg = write(dir.path(), "long.gz", &gzip(&bytes));
    let e = read_idx_labels(&pg, 10).unwrap_err();
    assert!(matches!(e, DataError::TrailingData { .. }), "{e:?}");
}

#[test]
fn not_gzip_despite_name() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "train-images-idx3-ubyte.gz",
        &idx_images(1, 2, 2),
    );
    let e = read_idx_images(&p).unwrap_err();
    assert!(matches!(e, DataError::NotGzip { .. }), "{e:?}");
    assert_names(&e, &p);
    assert!(e.to_string().contains("not gzip"), "{e}");
}

#[test]
fn corrupt_gzip_stream() {
    let dir = TempDir::new().unwrap();
    let mut gz = gzip(&idx_images(4, 8, 8));
    let mid = gz.len() / 2;
    for b in &mut gz[12..mid] {
        *b ^= 0xa5;
    }
    let p = write(dir.path(), "corrupt.gz", &gz);
    let e = read_idx_images(&p).unwrap_err();
    // Depending on where the deflate stream breaks, the decoder reports an error or the data
    // comes out wrong/short; either way it must be a typed error naming the file.
    assert!(
        matches!(
            e,
            DataError::CorruptGzip { .. }
                | DataError::BadMagic { .. }
                | DataError::Truncated { .. }
                | DataError::TrailingData { .. }
                | DataError::BadHeader { .. }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);
}

#[test]
fn huge_declared_count_fails_fast_without_allocating() {
    let dir = TempDir::new().unwrap();
    let mut bytes = idx_images_header(4_000_000_000, 28, 28);
    bytes.resize(100, 0);
    let p = write(dir.path(), "huge", &bytes);
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected_bytes: 3_136_000_000_016,
                actual_bytes: 100,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);

    // Same lie inside a gzip file: rejected from the header, before decompressing the rest.
    let pg = write(dir.path(), "huge.gz", &gzip(&bytes));
    let e = read_idx_images(&pg).unwrap_err();
    assert!(matches!(e, DataError::BadHeader { .. }), "{e:?}");
    assert_names(&e, &pg);
    assert!(e.to_string().contains("3136000000016"), "{e}");

    // Dimensions whose product overflows u64 in bytes are not a plausible size either.
    let p = write(
        dir.path(),
        "overflow",
        &idx_images_header(u32::MAX, u32::MAX, u32::MAX),
    );
    let e = read_idx_images(&p).unwrap_err();
    assert!(matches!(e, DataError::BadHeader { .. }), "{e:?}");
    assert_names(&e, &p);
}

#[test]
fn zip_bomb_is_capped() {
    // A header declaring 1 image of 4x4, followed by 10 MB of zeros, all gzip'd: the reader
    // stops at declared + 1 byte and reports trailing data instead of inflating everything.
    let dir = TempDir::new().unwrap();
    let mut bytes = idx_images_header(1, 4, 4);
    bytes.resize(16 + 10_000_000, 0);
    let p = write(dir.path(), "bomb.gz", &gzip(&bytes));
    let e = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::TrailingData {
                expected_bytes: 32,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn zero_sized_images_are_rejected() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "zero", &idx_images_header(5, 0, 28));
    let e = read_idx_images(&p).unwrap_err();
    assert!(matches!(e, DataError::BadHeader { .. }), "{e:?}");
    assert_names(&e, &p);
}

#[test]
fn label_out_of_range() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "labels", &idx_labels(&[0, 1, 10, 2]));
    let e = read_idx_labels(&p, 10).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::BadLabel {
                index: 2,
                value: 10,
                num_classes: 10,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);
    // The same file is fine for a reader expecting more classes.
    assert_eq!(read_idx_labels(&p, 11).unwrap().len(), 4);
}

#[test]
fn missing_file_is_io_error() {
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("nope");
    let e = read_idx_images(&p).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert_names(&e, &p);
}
