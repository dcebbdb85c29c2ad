//! Loads the real Fashion-MNIST from the Debian package location when it is installed
//! (`apt-get install dataset-fashion-mnist`); prints why it is skipped otherwise.

use std::path::Path;

use gan_data::{load, load_from_dirs, DatasetName, Split, DEBIAN_FASHION_MNIST_DIR};

#[test]
fn loads_debian_fashion_mnist_when_present() {
    let dir = Path::new(DEBIAN_FASHION_MNIST_DIR);
    if !dir.join("train-images-idx3-ubyte.gz").is_file() {
        println!(
            "skipped: {} has no train-images-idx3-ubyte.gz (install the Debian package \
             dataset-fashion-mnist to run this test)",
            dir.display()
        );
        return;
    }
    // `load` falls back to the Debian directory when the data directory has no copy.
    let empty = tempfile::TempDir::new().unwrap();
    let test = load(DatasetName::FashionMnist, empty.path(), Split::Test).unwrap();
    assert_eq!(test.len(), 10_000);

    let dirs = vec![dir.to_path_buf()];
    for (split, n) in [(Split::Train, 60_000), (Split::Test, 10_000)] {
        let ds = load_from_dirs(DatasetName::FashionMnist, &dirs, split).unwrap();
        assert_eq!(ds.len(), n as i64);
        assert_eq!(ds.image_shape(), vec![1, 28, 28]);
        let min = ds.images.min().double_value(&[]);
        let max = ds.images.max().double_value(&[]);
        assert!(min >= -1.0 && max <= 1.0, "range [{min}, {max}]");
        // Real images use the full byte range.
        assert_eq!(min, -1.0);
        assert_eq!(max, 1.0);
        let mean = ds.images.mean(tch::Kind::Float).double_value(&[]);
        assert!(mean > -0.9 && mean < 0.0, "mean pixel {mean}");
        // Balanced classes: 6,000 / 1,000 of each.
        let labels = ds.labels_vec().unwrap();
        for c in 0..10 {
            assert_eq!(labels.iter().filter(|&&l| l == c).count(), n / 10);
        }
    }
}
