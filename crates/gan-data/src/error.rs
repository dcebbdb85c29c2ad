//! The crate's error type, [`DataError`].
//!
//! Every variant that concerns a file names that file, and every message says what was wrong
//! in words a user can act on (which bytes, which field, which command to run).

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while building a data source or reading a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The operating system refused to open or read a file.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// File that could not be read.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },

    /// A file whose name ends in `.gz` does not start with the gzip magic bytes `1f 8b`.
    #[error("{} is named .gz but is not gzip-compressed (its first bytes are not 1f 8b)", path.display())]
    NotGzip {
        /// The offending file.
        path: PathBuf,
    },

    /// A gzip stream could not be decompressed (corrupt deflate data, bad checksum, ...).
    #[error("{} is not a valid gzip stream: {source}", path.display())]
    CorruptGzip {
        /// The offending file.
        path: PathBuf,
        /// Decoder error.
        source: std::io::Error,
    },

    /// The file's magic number is not the one its format requires.
    #[error(
        "{} has the wrong magic number: expected {expected} (0x{expected:08x}), found {found} (0x{found:08x})",
        path.display()
    )]
    BadMagic {
        /// The offending file.
        path: PathBuf,
        /// Magic number the format requires.
        expected: u32,
        /// Magic number read from the file.
        found: u32,
    },

    /// A header field has an impossible value (for example a zero image dimension).
    #[error("{} has an invalid header: {reason}", path.display())]
    BadHeader {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with the header.
        reason: String,
    },

    /// The file holds fewer bytes than its header (or its format) requires.
    #[error(
        "{} is truncated or malformed: expected {expected_bytes} bytes, found {actual_bytes}",
        path.display()
    )]
    Truncated {
        /// The offending file.
        path: PathBuf,
        /// Bytes the header or format requires.
        expected_bytes: u64,
        /// Bytes actually present (for gzip files: decompressed bytes read).
        actual_bytes: u64,
    },

    /// The file holds more bytes than its header declares.
    #[error(
        "{} has trailing data: its header declares {expected_bytes} bytes but the file is longer",
        path.display()
    )]
    TrailingData {
        /// The offending file.
        path: PathBuf,
        /// Bytes the header declares (header included).
        expected_bytes: u64,
    },

    /// An image file and its label file disagree on the number of samples.
    #[error(
        "{} holds {n_images} images but {} holds {n_labels} labels",
        images.display(),
        labels.display()
    )]
    CountMismatch {
        /// Image file.
        images: PathBuf,
        /// Label file.
        labels: PathBuf,
        /// Images declared by the image file.
        n_images: u64,
        /// Labels declared by the label file.
        n_labels: u64,
    },

    /// A label is not a valid class index.
    #[error(
        "{}: label {value} at record {index} is out of range (expected 0..{num_classes})",
        path.display()
    )]
    BadLabel {
        /// The offending file.
        path: PathBuf,
        /// Zero-based record index.
        index: u64,
        /// Label value found.
        value: u8,
        /// Number of classes of the dataset.
        num_classes: u8,
    },

    /// The files of a dataset were not found in any of the searched directories.
    #[error(
        "{dataset} dataset not found: looked for {} in {}; {hint}",
        files.join(", "),
        DisplayPaths(dirs)
    )]
    Missing {
        /// Dataset name, e.g. `fashion-mnist`.
        dataset: String,
        /// Directories searched, in order.
        dirs: Vec<PathBuf>,
        /// File names looked for in each directory.
        files: Vec<String>,
        /// How to obtain the files.
        hint: String,
    },

    /// A configuration value (toy distribution, subset size, batch size, ...) is invalid.
    #[error("invalid configuration: `{field}` {reason}")]
    InvalidConfig {
        /// Name of the offending field or argument.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A libtorch operation failed.
    #[error("tensor operation failed while {context}: {source}")]
    Torch {
        /// What the crate was doing.
        context: String,
        /// The libtorch error.
        source: tch::TchError,
    },
}

impl DataError {
    /// Shorthand for [`DataError::InvalidConfig`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DataError::InvalidConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`DataError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    /// Returns a closure mapping a [`tch::TchError`] to [`DataError::Torch`].
    pub fn torch(context: &str) -> impl FnOnce(tch::TchError) -> DataError + '_ {
        move |source| DataError::Torch {
            context: context.to_string(),
            source,
        }
    }
}

/// Shorthand result type of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// Formats a list of paths as `a, b, c`.
struct DisplayPaths<'a>(&'a [PathBuf]);

impl fmt::Display for DisplayPaths<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", p.display())?;
        }
        Ok(())
    }
}
