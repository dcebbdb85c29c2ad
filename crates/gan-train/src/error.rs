//! The error type of gan-train: every failure a training run can report, with enough
//! context (the config key, the file, the step) for a user to act on it.

use std::path::PathBuf;

/// Errors from building or running an experiment.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A config value is missing, of the wrong type or out of range.
    #[error("config error at `{key}`: {reason}")]
    Config { key: String, reason: String },

    /// Reading or writing a file failed.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A checkpoint is missing, corrupt or does not match the model.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint { path: PathBuf, reason: String },

    /// A loss or weight became NaN or infinite.
    #[error("training diverged at step {step}: {what} is {value} (not finite). {hint}")]
    NonFinite {
        step: u64,
        what: String,
        value: f64,
        hint: String,
    },

    /// The run was interrupted by the user (Ctrl-C) after a checkpoint was written.
    #[error("interrupted at step {step}; resume with `gan train --resume {run_dir}`")]
    Interrupted { step: u64, run_dir: PathBuf },

    #[error(transparent)]
    Data(#[from] gan_data::DataError),

    #[error(transparent)]
    Model(#[from] gan_models::ModelError),

    #[error(transparent)]
    Core(#[from] gan_core::CoreError),

    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),

    #[error("plot {path}: {reason}")]
    Plot { path: PathBuf, reason: String },

    /// The metrics classifier is missing, corrupt or does not fit the images.
    #[error("classifier: {reason}")]
    Classifier { reason: String },
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
