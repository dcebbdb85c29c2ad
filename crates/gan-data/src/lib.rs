//! Datasets for GANs as batch [`Source`]s of `tch` tensors.
//!
//! - Toy distributions ([`ToyConfig`], [`ToySource`]): 1-D Gaussian and mixtures, the 2-D ring
//!   and grid of the mode-coverage protocol, explicit 2-D mixtures — infinite seeded streams.
//! - Image datasets ([`load()`] → [`ImageDataset`] → [`ShuffledLoader`]): MNIST and
//!   Fashion-MNIST from IDX files (plain or gzip, see [`idx`]), CIFAR-10 from its binary
//!   batches (see [`cifar`]).
//!
//! Every source is seeded by a Rust RNG (ChaCha8), produces float32 batches on the CPU
//! (labels int64), and exposes its cursor as a [`SourceState`] so a resumed run continues the
//! exact same stream. Readers never panic on bad input: they return a [`DataError`] that names
//! the file and the problem.
//!
//! A trainer only sees the [`Source`] trait, so a toy stream and an image loader are used the
//! same way:
//!
//! ```
//! use gan_data::{Source, ToyConfig, ToySource};
//!
//! // 1-D N(4, 1.25²), as `[data.toy]` in an experiment config writes it.
//! let config = ToyConfig::Gaussian { mean: 4.0, std: 1.25 };
//! let mut source: Box<dyn Source> = Box::new(ToySource::new(config, 0).unwrap());
//! let batch = source.next_batch(4096).unwrap();
//! assert_eq!(batch.x.size(), [4096, 1]);
//! let mean = batch.x.mean(tch::Kind::Float).double_value(&[]);
//! assert!((mean - 4.0).abs() < 0.1, "sample mean {mean}");
//! // Bad input is an error, not a panic.
//! assert!(source.next_batch(0).is_err());
//! assert!(ToySource::new(ToyConfig::Gaussian { mean: 0.0, std: -1.0 }, 0).is_err());
//! ```

#![warn(missing_docs)]

pub mod batch;
pub mod cifar;
pub mod dataset;
pub mod error;
pub mod idx;
mod io_util;
pub mod load;
pub mod loader;
pub mod toy;

pub use batch::{Batch, Source, SourceState};
pub use cifar::{read_cifar_batch, CifarBatch};
pub use dataset::ImageDataset;
pub use error::{DataError, Result};
pub use idx::{read_idx_images, read_idx_labels, IdxImages};
pub use load::{
    data_dir_from, default_data_dir, load, load_from_dirs, DatasetName, Split,
    DEBIAN_FASHION_MNIST_DIR,
};
pub use loader::ShuffledLoader;
pub use toy::{ToyConfig, ToySource};
