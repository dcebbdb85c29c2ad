//! Finding and loading the image datasets: [`DatasetName`], [`Split`], [`load`] and
//! [`default_data_dir`].
//!
//! Layout under a data directory `D` (the one `cargo xtask setup --data NAME` fills):
//!
//! | dataset | directory | files |
//! | --- | --- | --- |
//! | `mnist` | `D/mnist/` | `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each plain or `.gz`) |
//! | `fashion_mnist` | `D/fashion-mnist/`, then `/usr/share/datasets/fashion-mnist` (Debian package `dataset-fashion-mnist`) | same names as MNIST |
//! | `cifar10` | `D/cifar10/cifar-10-batches-bin/` | `data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin` |
//!
//! The default data directory is `$GAN_DATA_DIR`, else `$XDG_CACHE_HOME/gan-rs/data`, else
//! `$HOME/.cache/gan-rs/data` (empty variables count as unset); xtask uses the same rule.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cifar::{read_cifar_batch, CIFAR_CLASSES};
use crate::dataset::ImageDataset;
use crate::error::DataError;
use crate::idx::{read_idx_images, read_idx_labels};

/// Where the Debian package `dataset-fashion-mnist` installs the original IDX `.gz` files.
pub const DEBIAN_FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// A supported image dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetName {
    /// MNIST handwritten digits, 1 × 28 × 28, 10 classes.
    Mnist,
    /// Fashion-MNIST, 1 × 28 × 28, 10 classes (also spelled `fashion-mnist`).
    #[serde(alias = "fashion-mnist")]
    FashionMnist,
    /// CIFAR-10, 3 × 32 × 32, 10 classes.
    Cifar10,
}

/// Which part of a dataset to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Training set (60,000 images for the MNISTs, 50,000 for CIFAR-10).
    Train,
    /// Test set (10,000 images).
    Test,
}

impl DatasetName {
    /// Every supported dataset.
    pub const ALL: [DatasetName; 3] = [
        DatasetName::Mnist,
        DatasetName::FashionMnist,
        DatasetName::Cifar10,
    ];

    /// The config spelling: `mnist`, `fashion_mnist`, `cifar10`.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion_mnist",
            DatasetName::Cifar10 => "cifar10",
        }
    }

    /// The directory name under the data directory (and the `cargo xtask setup --data` name):
    /// `mnist`, `fashion-mnist`, `cifar10`.
    pub fn dir_name(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Cifar10 => "cifar10",
        }
    }

    /// Number of classes (10 for all three).
    pub fn num_classes(self) -> i64 {
        10
    }

    /// Shape of one image, `[C, H, W]`.
    pub fn image_shape(self) -> [i64; 3] {
        match self {
            DatasetName::Mnist | DatasetName::FashionMnist => [1, 28, 28],
            DatasetName::Cifar10 => [3, 32, 32],
        }
    }

    /// Directories searched for the files, in order, given the data directory.
    pub fn search_dirs(self, data_dir: &Path) -> Vec<PathBuf> {
        match self {
            DatasetName::Mnist => vec![data_dir.join("mnist")],
            DatasetName::FashionMnist => vec![
                data_dir.join("fashion-mnist"),
                PathBuf::from(DEBIAN_FASHION_MNIST_DIR),
            ],
            DatasetName::Cifar10 => vec![data_dir.join("cifar10").join("cifar-10-batches-bin")],
        }
    }

    /// File names that make up `split` (IDX names without the optional `.gz`).
    pub fn file_names(self, split: Split) -> Vec<String> {
        match (self, split) {
            (DatasetName::Cifar10, Split::Train) => {
                (1..=5).map(|i| format!("data_batch_{i}.bin")).collect()
            }
            (DatasetName::Cifar10, Split::Test) => vec!["test_batch.bin".into()],
            (_, Split::Train) => vec![
                "train-images-idx3-ubyte".into(),
                "train-labels-idx1-ubyte".into(),
            ],
            (_, Split::Test) => vec![
                "t10k-images-idx3-ubyte".into(),
                "t10k-labels-idx1-ubyte".into(),
            ],
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetName {
    type Err = DataError;

    /// Accepts `mnist`, `fashion_mnist`, `fashion-mnist`, `cifar10` (also `cifar-10`).
    fn from_str(s: &str) -> Result<Self, DataError> {
        match s {
            "mnist" => Ok(DatasetName::Mnist),
            "fashion_mnist" | "fashion-mnist" => Ok(DatasetName::FashionMnist),
            "cifar10" | "cifar-10" => Ok(DatasetName::Cifar10),
            other => Err(DataError::invalid(
                "dataset",
                format!("unknown dataset `{other}` (expected mnist, fashion_mnist or cifar10)"),
            )),
        }
    }
}

/// Loads `split` of dataset `name`, searching [`DatasetName::search_dirs`] of `data_dir`.
///
/// Images come back as float32 `[N, C, H, W]` in [−1, 1], labels as int64 `[N]`.
///
/// ```
/// use gan_data::{load, DatasetName, Split};
///
/// fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
///     let mut bytes = magic.to_be_bytes().to_vec();
///     dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
///     bytes.extend_from_slice(data);
///     bytes
/// }
/// // A three-image "MNIST" under <data>/mnist/: black, grey and white 28×28 images.
/// let data = tempfile::tempdir().unwrap();
/// let mnist = data.path().join("mnist");
/// std::fs::create_dir(&mnist).unwrap();
/// let pixels: Vec<u8> = [0u8, 51, 255].iter().flat_map(|&v| [v; 28 * 28]).collect();
/// std::fs::write(mnist.join("train-images-idx3-ubyte"), idx(2051, &[3, 28, 28], &pixels))
///     .unwrap();
/// std::fs::write(mnist.join("train-labels-idx1-ubyte"), idx(2049, &[3], &[4, 2, 9])).unwrap();
///
/// let ds = load(DatasetName::Mnist, data.path(), Split::Train).unwrap();
/// assert_eq!(ds.images.size(), [3, 1, 28, 28]);
/// assert_eq!(ds.labels_vec().unwrap(), [4, 2, 9]);
/// // Bytes are scaled with x / 127.5 − 1: 0 → −1, 51 → −0.6, 255 → 1.
/// let firsts: Vec<f32> = ds.images.view([3, -1]).select(1, 0).try_into().unwrap();
/// assert!(firsts.iter().zip([-1.0, -0.6, 1.0]).all(|(a, b)| (a - b).abs() < 1e-6));
///
/// // The test split is missing: the error names the files it looked for.
/// let err = load(DatasetName::Mnist, data.path(), Split::Test).unwrap_err();
/// assert!(err.to_string().contains("t10k-images-idx3-ubyte"));
/// ```
pub fn load(name: DatasetName, data_dir: &Path, split: Split) -> Result<ImageDataset, DataError> {
    load_from_dirs(name, &name.search_dirs(data_dir), split)
}

/// Loads `split` of dataset `name` from the first of `dirs` that holds all its files.
/// Nothing found gives [`DataError::Missing`] naming every file and directory tried.
pub fn load_from_dirs(
    name: DatasetName,
    dirs: &[PathBuf],
    split: Split,
) -> Result<ImageDataset, DataError> {
    let names = name.file_names(split);
    let idx = name != DatasetName::Cifar10;
    for dir in dirs {
        let found: Option<Vec<PathBuf>> = names
            .iter()
            .map(|f| find_file(dir, f, idx))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .collect();
        if let Some(paths) = found {
            return if idx {
                load_idx(name, &paths[0], &paths[1])
            } else {
                load_cifar(&paths)
            };
        }
    }
    // Name only what is missing: where a directory holds some of the files, those.
    let missing: Vec<&String> = match dirs.iter().find(|d| d.is_dir()) {
        Some(dir) => names
            .iter()
            .filter(|f| !matches!(find_file(dir, f, idx), Ok(Some(_))))
            .collect(),
        None => names.iter().collect(),
    };
    let files = if idx {
        missing
            .iter()
            .flat_map(|f| [f.to_string(), format!("{f}.gz")])
            .collect()
    } else {
        missing.into_iter().cloned().collect()
    };
    let first = dirs
        .first()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let hint = match name {
        DatasetName::Cifar10 => format!(
            "run `cargo xtask setup --data {}` or extract cifar-10-binary.tar.gz so that \
             the .bin files are in {first}",
            name.dir_name()
        ),
        _ => format!(
            "run `cargo xtask setup --data {}` or copy the four IDX files (plain or .gz) into {first}",
            name.dir_name()
        ),
    };
    Err(DataError::Missing {
        dataset: name.dir_name().to_string(),
        dirs: dirs.to_vec(),
        files,
        hint,
    })
}

/// `dir/name` if it is a file, else `dir/name.gz` when `allow_gz`, else `None`. Something
/// other than a file at either path (a directory, a device, a symlink loop or a dangling
/// symlink) is an error that says so, rather than "not found".
fn find_file(dir: &Path, name: &str, allow_gz: bool) -> Result<Option<PathBuf>, DataError> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    let candidates: &[PathBuf] = if allow_gz { &[plain, gz] } else { &[plain] };
    for path in candidates {
        let not_a_file = |what: String| DataError::Io {
            path: path.clone(),
            source: std::io::Error::other(format!("it is {what}, not a data file")),
        };
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => return Ok(Some(path.clone())),
            Ok(m) if m.is_dir() => return Err(not_a_file("a directory".into())),
            Ok(_) => return Err(not_a_file("a device, FIFO or socket".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(not_a_file("a symlink to a missing file".into()));
                }
            }
            // A symlink loop, a permission problem, ...: the system's own words.
            Err(source) => {
                return Err(DataError::Io {
                    path: path.clone(),
                    source,
                })
            }
        }
    }
    Ok(None)
}

fn load_idx(
    name: DatasetName,
    images_path: &Path,
    labels_path: &Path,
) -> Result<ImageDataset, DataError> {
    let classes = name.num_classes();
    let images = read_idx_images(images_path)?;
    if (images.rows, images.cols) != (28, 28) {
        return Err(DataError::BadHeader {
            path: images_path.to_path_buf(),
            reason: format!(
                "{} images are 28×28, this file holds {}×{} images",
                name.dir_name(),
                images.rows,
                images.cols
            ),
        });
    }
    let labels = read_idx_labels(labels_path, classes as u8)?;
    if images.n != labels.len() {
        return Err(DataError::CountMismatch {
            images: images_path.to_path_buf(),
            labels: labels_path.to_path_buf(),
            n_images: images.n as u64,
            n_labels: labels.len() as u64,
        });
    }
    ImageDataset::from_bytes(
        &images.pixels,
        [1, images.rows as i64, images.cols as i64],
        &labels,
        classes,
    )
}

fn load_cifar(paths: &[PathBuf]) -> Result<ImageDataset, DataError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for p in paths {
        let b = read_cifar_batch(p)?;
        pixels.extend_from_slice(&b.pixels);
        labels.extend_from_slice(&b.labels);
    }
    ImageDataset::from_bytes(&pixels, [3, 32, 32], &labels, i64::from(CIFAR_CLASSES))
}

/// The default data directory: `$GAN_DATA_DIR`, else `$XDG_CACHE_HOME/gan-rs/data`, else
/// `$HOME/.cache/gan-rs/data`; `None` when none of them is set.
pub fn default_data_dir() -> Option<PathBuf> {
    data_dir_from(
        std::env::var_os("GAN_DATA_DIR"),
        std::env::var_os("XDG_CACHE_HOME"),
        std::env::var_os("HOME"),
    )
}

/// The rule of [`default_data_dir`] applied to given values of `GAN_DATA_DIR`,
/// `XDG_CACHE_HOME` and `HOME` (empty values count as unset).
pub fn data_dir_from(
    gan_data_dir: Option<OsString>,
    xdg_cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let set = |v: Option<OsString>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    set(gan_data_dir)
        .or_else(|| set(xdg_cache_home).map(|d| d.join("gan-rs").join("data")))
        .or_else(|| set(home).map(|d| d.join(".cache").join("gan-rs").join("data")))
}
