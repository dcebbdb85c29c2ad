//! CIFAR-10 binary reader on real-format fixtures.

mod common;

use common::*;
use gan_data::{read_cifar_batch, DataError};
use tempfile::TempDir;

#[test]
fn reads_records_channel_first() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "data_batch_1.bin", &cifar_records(&[3, 0, 9]));
    let b = read_cifar_batch(&p).unwrap();
    assert_eq!(b.n, 3);
    assert_eq!(b.labels, vec![3, 0, 9]);
    assert_eq!(b.pixels.len(), 3 * 3072);
    // Record 2, green plane (offset 1024), row 1, col 2.
    let j = 1024 + 32 + 2;
    assert_eq!(b.pixels[2 * 3072 + j], pixel(2, j));
}

#[test]
fn length_not_a_multiple_of_records() {
    let dir = TempDir::new().unwrap();
    let mut bytes = cifar_records(&[1, 2]);
    bytes.truncate(bytes.len() - 100);
    let p = write(dir.path(), "data_batch_2.bin", &bytes);
    let e = read_cifar_batch(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected_bytes: 6146,
                actual_bytes: 6046,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);

    let p = write(dir.path(), "empty.bin", b"");
    let e = read_cifar_batch(&p).unwrap_err();
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
    assert_names(&e, &p);
}

#[test]
fn label_out_of_range() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "test_batch.bin",
        &cifar_records(&[1, 2, 7, 200]),
    );
    let e = read_cifar_batch(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::BadLabel {
                index: 3,
                value: 200,
                num_classes: 10,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &p);
}

#[test]
fn gzip_or_fake_gz_is_rejected() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "data_batch_1.bin", &gzip(&cifar_records(&[1])));
    let e = read_cifar_batch(&p).unwrap_err();
    assert!(matches!(e, DataError::BadHeader { .. }), "{e:?}");
    assert_names(&e, &p);
    let p = write(dir.path(), "data_batch_1.bin.gz", &cifar_records(&[1]));
    let e = read_cifar_batch(&p).unwrap_err();
    assert!(matches!(e, DataError::NotGzip { .. }), "{e:?}");
    assert_names(&e, &p);
}
