//! The error type of gan-train: every failure a training run can report, with enough
//! context (the config key, the file, the step) for a user to act on it.

use std::path::PathBuf;

/// Errors from building or running an experiment.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A config value is missing, of the wrong type or out of range.
    #[error("config error at `{key}`: {reason}")]
    Config {
        /// The dotted config key, e.g. `train.batch_size` (`<file>` for TOML syntax errors).
        key: String,
        /// What is wrong, and where the value came from when it was an override.
        reason: String,
    },

    /// Reading or writing a file failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done, e.g. `"reading"`, `"creating run directory"`.
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A checkpoint is missing, corrupt or does not match the model.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is missing or does not match.
        reason: String,
    },

    /// A loss or weight became NaN or infinite.
    #[error("training diverged at step {step}: {what} is {value} (not finite). {hint}")]
    NonFinite {
        /// The generator step at which it happened.
        step: u64,
        /// Which quantity, e.g. `d_loss`.
        what: String,
        /// The value read (NaN or ±inf).
        value: f64,
        /// What to try instead.
        hint: String,
    },

    /// The run was interrupted by the user (Ctrl-C) after a checkpoint was written.
    #[error("interrupted at step {step}; resume with `gan train --resume {run_dir}`")]
    Interrupted {
        /// Generator updates completed (and checkpointed).
        step: u64,
        /// The run directory to resume from.
        run_dir: PathBuf,
    },

    /// A data source could not be built or read.
    #[error(transparent)]
    Data(#[from] gan_data::DataError),

    /// A network config is invalid.
    #[error(transparent)]
    Model(#[from] gan_models::ModelError),

    /// Weights could not be exported to or imported from PyTorch.
    #[error(transparent)]
    Interop(#[from] crate::interop::InteropError),

    /// A loss, regularizer or metric was handed bad input.
    #[error(transparent)]
    Core(#[from] gan_core::CoreError),

    /// A libtorch operation failed (out of memory, a shape error, a missing device, …).
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),

    /// A chart or animation could not be drawn or written.
    #[error("plot {path}: {reason}")]
    Plot {
        /// The image file.
        path: PathBuf,
        /// The plotting backend's error.
        reason: String,
    },

    /// The metrics classifier is missing, corrupt or does not fit the images.
    #[error("classifier: {reason}")]
    Classifier {
        /// What is wrong, and how to fix it (e.g. which command trains the classifier).
        reason: String,
    },
}

impl TrainError {
    /// Shorthand for a config error naming `key`.
    pub fn config(key: impl Into<String>, reason: impl Into<String>) -> Self {
        TrainError::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for an I/O error on `path` during `op` ("reading", "writing", ...).
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// Result alias for gan-train.
pub type Result<T> = std::result::Result<T, TrainError>;
