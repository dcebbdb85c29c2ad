//! Property tests of the binary readers (IDX images / labels, CIFAR-10 batches) on
//! arbitrary bytes and on mutated valid files, plain and gzip: every input gives `Ok` or a
//! typed [`DataError`] naming the file — never a panic — and a header's declared size must
//! match the real content exactly before anything is accepted.

mod common;

use std::path::Path;

use common::*;
use gan_data::{read_cifar_batch, read_idx_images, read_idx_labels, DataError};
use proptest::prelude::*;

/// Run every reader on `bytes`, written as `name` in a fresh directory. Errors must name
/// the file; successes must be internally consistent.
fn check_all_readers(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    check_result(
        read_idx_images(&path).map(|im| {
            assert_eq!(im.pixels.len(), im.n * im.rows * im.cols);
            assert!(im.rows > 0 && im.cols > 0);
        }),
        &path,
    );
    check_result(
        read_idx_labels(&path, 10).map(|l| {
            assert!(l.iter().all(|&v| v < 10));
        }),
        &path,
    );
    check_result(
        read_cifar_batch(&path).map(|b| {
            assert_eq!(b.labels.len(), b.n);
            assert_eq!(b.pixels.len(), b.n * 3072);
            assert!(b.labels.iter().all(|&v| v < 10));
        }),
        &path,
    );
}

fn check_result(r: Result<(), DataError>, path: &Path) {
    if let Err(e) = r {
        assert_names(&e, path);
    }
}

/// A mutation of a valid file: overwrite some bytes, then cut or extend it.
#[derive(Debug, Clone)]
struct Mutation {
    writes: Vec<(usize, u8)>,
    cut: Option<usize>,
    append: Vec<u8>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        prop::option::of(any::<usize>()),
        prop::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(|(writes, cut, append)| Mutation {
            writes,
            cut,
            append,
        })
}

fn mutate(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    if !bytes.is_empty() {
        for &(i, v) in &m.writes {
            let n = bytes.len();
            // Bias towards the header, where a flipped byte matters most.
            let i = if i % 2 == 0 {
                (i / 2) % n.min(24)
            } else {
                (i / 2) % n
            };
            bytes[i] = v;
        }
    }
    if let Some(c) = m.cut {
        bytes.truncate(c % (bytes.len() + 1));
    }
    bytes.extend_from_slice(&m.append);
    bytes
}

/// A few valid files of each format.
fn valid_file() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0usize..4, 1usize..5, 1usize..5).prop_map(|(n, r, c)| idx_images(n, r, c)),
        prop::collection::vec(0u8..10, 0..8).prop_map(|l| idx_labels(&l)),
        prop::collection::vec(0u8..10, 1..3).prop_map(|l| cifar_records(&l)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_all_readers(&bytes, "train-images-idx3-ubyte");
        check_all_readers(&bytes, "t10k-labels-idx1-ubyte.gz");
    }

    /// Arbitrary bytes behind a valid IDX magic, so the header fields get exercised.
    #[test]
    fn arbitrary_headers_never_panic(
        magic in prop_oneof![Just(2051u32), Just(2049u32)],
        dims in prop::collection::vec(any::<u32>(), 0..4),
        tail in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut bytes = magic.to_be_bytes().to_vec();
        for d in dims {
            // Mostly small dimensions (which may match the data), sometimes huge ones.
            let d = if d % 4 == 0 { d } else { d % 5 };
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&tail);
        check_all_readers(&bytes, "images-idx3-ubyte");
        check_all_readers(&gzip(&bytes), "images-idx3-ubyte.gz");
    }

    #[test]
    fn mutated_valid_files_never_panic(file in valid_file(), m in mutation()) {
        let bytes = mutate(file, &m);
        check_all_readers(&bytes, "data_batch_1.bin");
    }

    #[test]
    fn mutated_gzip_files_never_panic(file in valid_file(), m in mutation()) {
        let bytes = mutate(gzip(&file), &m);
        check_all_readers(&bytes, "train-images-idx3-ubyte.gz");
    }

    /// Declared size versus real content: an image file is accepted exactly when its
    /// payload holds `n * rows * cols` bytes, whatever the header claims.
    #[test]
    fn idx_accepts_only_exact_sizes(
        n in 0u32..4, rows in 1u32..4, cols in 1u32..4, extra in -3i64..3,
        gz in any::<bool>(),
    ) {
        let mut bytes = idx_images(n as usize, rows as usize, cols as usize);
        let len = (bytes.len() as i64 + extra).max(0) as usize;
        bytes.resize(len, 0);
        let dir = tempfile::tempdir().unwrap();
        let (bytes, name) = if gz { (gzip(&bytes), "i.gz") } else { (bytes, "i") };
        let path = write(dir.path(), name, &bytes);
        let r = read_idx_images(&path);
        if extra == 0 {
            let im = r.unwrap();
            prop_assert_eq!(im.n, n as usize);
        } else {
            let e = r.unwrap_err();
            let typed = matches!(e, DataError::Truncated { .. } | DataError::TrailingData { .. });
            prop_assert!(typed, "{}", e);
        }
    }
}

/// Headers declaring terabytes over a few bytes of data fail at once, plain or gzip,
/// without trying to allocate what they declare.
#[test]
fn huge_declared_sizes_fail_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    for (n, r, c) in [
        (u32::MAX, u32::MAX, u32::MAX),
        (65_535, 65_535, 65_535),
        (u32::MAX, 1, 1),
    ] {
        let header = idx_images_header(n, r, c);
        let plain = write(dir.path(), "h", &header);
        let e = read_idx_images(&plain).unwrap_err();
        assert!(
            matches!(e, DataError::Truncated { .. } | DataError::BadHeader { .. }),
            "{e}"
        );
        let gz = write(dir.path(), "h.gz", &gzip(&header));
        let e = read_idx_images(&gz).unwrap_err();
        assert!(matches!(e, DataError::BadHeader { .. }), "{e}");
    }
}
