//! Dataset loading from real-format fixture layouts, class filtering, labelled subsets,
//! dataset names and the data-directory rule.

mod common;

use std::path::PathBuf;

use common::*;
use gan_data::{data_dir_from, load, load_from_dirs, DataError, DatasetName, ImageDataset, Split};
use tempfile::TempDir;

/// Writes an MNIST-style layout with `n_train` / `n_test` 28×28 images under `root/mnist`.
fn write_mnist(root: &std::path::Path, n_train: usize, n_test: usize, gz: bool) -> PathBuf {
    let dir = root.join("mnist");
    let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let files = [
        ("train-images-idx3-ubyte", idx_images(n_train, 28, 28)),
        ("train-labels-idx1-ubyte", idx_labels(&labels(n_train))),
        ("t10k-images-idx3-ubyte", idx_images(n_test, 28, 28)),
        ("t10k-labels-idx1-ubyte", idx_labels(&labels(n_test))),
    ];
    for (name, bytes) in files {
        if gz {
            write(&dir, &format!("{name}.gz"), &gzip(&bytes));
        } else {
            write(&dir, name, &bytes);
        }
    }
    dir
}

#[test]
fn loads_idx_layout_plain_and_gzip_scaled() {
    for gz in [false, true] {
        let root = TempDir::new().unwrap();
        write_mnist(root.path(), 20, 7, gz);
        let train = load(DatasetName::Mnist, root.path(), Split::Train).unwrap();
        assert_eq!(train.len(), 20);
        assert_eq!(train.image_shape(), vec![1, 28, 28]);
        assert_eq!(train.images.kind(), tch::Kind::Float);
        assert_eq!(train.labels.kind(), tch::Kind::Int64);
        assert_eq!(train.num_classes, 10);
        // Pixel (image 5, byte 7) scaled: b / 127.5 - 1.
        let v = train.images.get(5).flatten(0, -1).double_value(&[7]);
        let expect = f64::from(pixel(5, 7)) / 127.5 - 1.0;
        assert!((v - expect).abs() < 1e-6, "{v} vs {expect}");
        let labels = train.labels_vec().unwrap();
        assert_eq!(labels[13], 3);
        let test = load(DatasetName::Mnist, root.path(), Split::Test).unwrap();
        assert_eq!(test.len(), 7);
    }
}

#[test]
fn loads_cifar_layout() {
    let root = TempDir::new().unwrap();
    let dir = root.path().join("cifar10").join("cifar-10-batches-bin");
    for i in 1..=5 {
        write(
            &dir,
            &format!("data_batch_{i}.bin"),
            &cifar_records(&[i as u8, 9]),
        );
    }
    write(&dir, "test_batch.bin", &cifar_records(&[4]));
    let train = load(DatasetName::Cifar10, root.path(), Split::Train).unwrap();
    assert_eq!(train.len(), 10);
    assert_eq!(train.image_shape(), vec![3, 32, 32]);
    assert_eq!(
        train.labels_vec().unwrap(),
        vec![1, 9, 2, 9, 3, 9, 4, 9, 5, 9]
    );
    // Batch 2's first record is record 0 of its file: channel 2 (blue), row 0, col 5.
    let v = train.images.double_value(&[2, 2, 0, 5]);
    let expect = f64::from(pixel(0, 2048 + 5)) / 127.5 - 1.0;
    assert!((v - expect).abs() < 1e-6);
    let test = load(DatasetName::Cifar10, root.path(), Split::Test).unwrap();
    assert_eq!(test.labels_vec().unwrap(), vec![4]);

    // One batch missing: the error names that one, not all five.
    std::fs::remove_file(dir.join("data_batch_3.bin")).unwrap();
    match load(DatasetName::Cifar10, root.path(), Split::Train).unwrap_err() {
        DataError::Missing { files, .. } => assert_eq!(files, ["data_batch_3.bin"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn count_mismatch_names_both_files() {
    let root = TempDir::new().unwrap();
    let dir = write_mnist(root.path(), 10, 5, false);
    let labels = write(&dir, "train-labels-idx1-ubyte", &idx_labels(&[1; 9]));
    let e = load(DatasetName::Mnist, root.path(), Split::Train).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CountMismatch {
                n_images: 10,
                n_labels: 9,
                ..
            }
        ),
        "{e:?}"
    );
    assert_names(&e, &labels);
    assert_names(&e, &dir.join("train-images-idx3-ubyte"));
}

#[test]
fn corrupt_file_in_layout_is_reported() {
    let root = TempDir::new().unwrap();
    let dir = write_mnist(root.path(), 10, 5, true);
    let p = write(&dir, "t10k-images-idx3-ubyte.gz", b"plain bytes, not gzip");
    let e = load(DatasetName::Mnist, root.path(), Split::Test).unwrap_err();
    assert!(matches!(e, DataError::NotGzip { .. }), "{e:?}");
    assert_names(&e, &p);
}

#[test]
fn missing_names_files_dirs_and_command() {
    let root = TempDir::new().unwrap();
    let e = load(DatasetName::Mnist, root.path(), Split::Train).unwrap_err();
    match &e {
        DataError::Missing {
            dataset,
            dirs,
            files,
            hint,
        } => {
            assert_eq!(dataset, "mnist");
            assert_eq!(dirs, &vec![root.path().join("mnist")]);
            assert!(files.contains(&"train-images-idx3-ubyte.gz".to_string()));
            assert!(files.contains(&"train-labels-idx1-ubyte".to_string()));
            assert!(hint.contains("cargo xtask setup --data mnist"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&root.path().join("mnist").display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("train-labels-idx1-ubyte"), "{msg}");

    // Only one of the two files present is still "missing".
    let dir = root.path().join("mnist");
    write(&dir, "train-images-idx3-ubyte", &idx_images(1, 2, 2));
    assert!(matches!(
        load(DatasetName::Mnist, root.path(), Split::Train),
        Err(DataError::Missing { .. })
    ));

    let e = load(DatasetName::Cifar10, root.path(), Split::Train).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("data_batch_5.bin") && msg.contains("cifar-10-batches-bin"),
        "{msg}"
    );
    assert!(msg.contains("cargo xtask setup --data cifar10"), "{msg}");

    // Fashion-MNIST searches the data dir, then the Debian location.
    let dirs = DatasetName::FashionMnist.search_dirs(root.path());
    assert_eq!(dirs[0], root.path().join("fashion-mnist"));
    assert_eq!(dirs[1], PathBuf::from("/usr/share/datasets/fashion-mnist"));
    let e = load_from_dirs(DatasetName::FashionMnist, &dirs[..1], Split::Test).unwrap_err();
    assert!(
        e.to_string()
            .contains("cargo xtask setup --data fashion-mnist"),
        "{e}"
    );
}

/// What sits at a data file's path is said plainly: another image size, a directory, a
/// dangling symlink or a symlink loop is not "dataset not found".
#[test]
fn wrong_things_at_data_paths_are_named() {
    let root = TempDir::new().unwrap();
    let dir = write_mnist(root.path(), 4, 2, false);
    write(&dir, "train-images-idx3-ubyte", &idx_images(4, 32, 32));
    let e = load(DatasetName::Mnist, root.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(e.contains("28×28") && e.contains("32×32"), "{e}");

    let images = dir.join("train-images-idx3-ubyte");
    std::fs::remove_file(&images).unwrap();
    std::fs::create_dir(&images).unwrap();
    let e = load(DatasetName::Mnist, root.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(e.contains("is a directory, not a data file"), "{e}");

    std::fs::remove_dir(&images).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), &images).unwrap();
    let e = load(DatasetName::Mnist, root.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(e.contains("symlink to a missing file"), "{e}");

    std::fs::remove_file(&images).unwrap();
    let other = dir.join("loop");
    std::os::unix::fs::symlink(&other, &images).unwrap();
    std::os::unix::fs::symlink(&images, &other).unwrap();
    let e = load(DatasetName::Mnist, root.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(e.contains("symbolic links"), "{e}");
}

#[test]
fn first_complete_directory_wins() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    write_mnist(b.path(), 6, 2, true);
    let dirs = vec![a.path().join("mnist"), b.path().join("mnist")];
    let ds = load_from_dirs(DatasetName::Mnist, &dirs, Split::Train).unwrap();
    assert_eq!(ds.len(), 6);
}

fn toy_dataset(labels: &[u8]) -> ImageDataset {
    let pixels: Vec<u8> = (0..labels.len() * 4).map(|i| (i % 256) as u8).collect();
    ImageDataset::from_bytes(&pixels, [1, 2, 2], labels, 10).unwrap()
}

#[test]
fn filter_classes_keeps_order_and_labels() {
    let ds = toy_dataset(&[0, 1, 2, 1, 0, 5, 1]);
    let f = ds.filter_classes(&[1, 5]).unwrap();
    assert_eq!(f.labels_vec().unwrap(), vec![1, 1, 5, 1]);
    assert_eq!(f.num_classes, 10);
    // Image 3 of the original is image 1 of the filtered set.
    assert!(f.images.get(1).equal(&ds.images.get(3)));
    assert!(matches!(
        ds.filter_classes(&[10]),
        Err(DataError::InvalidConfig { .. })
    ));
    assert!(matches!(
        ds.filter_classes(&[7]),
        Err(DataError::InvalidConfig { .. })
    ));
    assert!(matches!(
        ds.filter_classes(&[]),
        Err(DataError::InvalidConfig { .. })
    ));
}

#[test]
fn labeled_subset_is_balanced_and_seeded() {
    let labels: Vec<u8> = (0..60).map(|i| (i % 3) as u8).collect();
    let ds = toy_dataset(&labels);
    let s = ds.labeled_subset(12, 7).unwrap();
    let l = s.labels_vec().unwrap();
    assert_eq!(l.len(), 12);
    for c in 0..3 {
        assert_eq!(l.iter().filter(|&&x| x == c).count(), 4);
    }
    let again = ds.labeled_subset(12, 7).unwrap();
    assert!(again.images.equal(&s.images));
    let other = ds.labeled_subset(12, 8).unwrap();
    assert!(!other.images.equal(&s.images));
    // Not a multiple of the 3 classes; too many per class.
    assert!(matches!(
        ds.labeled_subset(10, 0),
        Err(DataError::InvalidConfig { .. })
    ));
    assert!(matches!(
        ds.labeled_subset(0, 0),
        Err(DataError::InvalidConfig { .. })
    ));
    let e = ds.labeled_subset(63, 0).unwrap_err();
    assert!(e.to_string().contains("only 20"), "{e}");
}

#[test]
fn new_checks_shapes_and_labels() {
    let imgs = tch::Tensor::zeros([3, 1, 2, 2], (tch::Kind::Float, tch::Device::Cpu));
    let ok = tch::Tensor::from_slice(&[0i64, 1, 2]);
    assert!(ImageDataset::new(imgs.shallow_clone(), ok, 10).is_ok());
    let bad = tch::Tensor::from_slice(&[0i64, 1, 10]);
    assert!(ImageDataset::new(imgs.shallow_clone(), bad, 10).is_err());
    let short = tch::Tensor::from_slice(&[0i64, 1]);
    assert!(ImageDataset::new(imgs.shallow_clone(), short, 10).is_err());
    assert!(ImageDataset::from_bytes(&[0u8; 11], [1, 2, 2], &[0, 1, 2], 10).is_err());
    assert!(ImageDataset::from_bytes(&[0u8; 12], [1, 2, 2], &[0, 1, 2], 10).is_ok());
    assert!(ImageDataset::from_bytes(&[0u8; 12], [1, i64::MAX, 2], &[0, 1, 2], 10).is_err());
    let flat = tch::Tensor::zeros([3, 4], (tch::Kind::Float, tch::Device::Cpu));
    assert!(ImageDataset::new(flat, tch::Tensor::from_slice(&[0i64, 1, 2]), 10).is_err());
}

#[test]
fn dataset_names_parse() {
    #[derive(serde::Deserialize)]
    struct C {
        name: DatasetName,
        split: Split,
    }
    for (s, want) in [
        ("mnist", DatasetName::Mnist),
        ("fashion_mnist", DatasetName::FashionMnist),
        ("fashion-mnist", DatasetName::FashionMnist),
        ("cifar10", DatasetName::Cifar10),
    ] {
        let c: C = toml::from_str(&format!("name = \"{s}\"\nsplit = \"test\"")).unwrap();
        assert_eq!(c.name, want);
        assert_eq!(c.split, Split::Test);
        assert_eq!(s.parse::<DatasetName>().unwrap(), want);
    }
    assert!(toml::from_str::<C>("name = \"imagenet\"\nsplit = \"train\"").is_err());
    assert!("imagenet".parse::<DatasetName>().is_err());
    assert_eq!(
        serde_json::to_string(&DatasetName::FashionMnist).unwrap(),
        "\"fashion_mnist\""
    );
    assert_eq!(DatasetName::FashionMnist.to_string(), "fashion_mnist");
}

#[test]
fn data_dir_rule() {
    let s = |x: &str| Some(std::ffi::OsString::from(x));
    assert_eq!(
        data_dir_from(s("/d"), s("/x"), s("/h")),
        Some(PathBuf::from("/d"))
    );
    assert_eq!(
        data_dir_from(None, s("/x"), s("/h")),
        Some(PathBuf::from("/x/gan-rs/data"))
    );
    assert_eq!(
        data_dir_from(s(""), s(""), s("/h")),
        Some(PathBuf::from("/h/.cache/gan-rs/data"))
    );
    assert_eq!(data_dir_from(None, None, None), None);
}
