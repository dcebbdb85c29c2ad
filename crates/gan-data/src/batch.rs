//! The data contract shared with the trainer: [`Batch`], [`Source`] and [`SourceState`].
//!
//! A source is an endless stream of batches. Its whole cursor fits in a [`SourceState`], which
//! the trainer stores in checkpoints: restoring it on a source built from the same
//! configuration and seed yields exactly the batches the original would have produced next.

use serde::{Deserialize, Serialize};
use tch::Tensor;

use crate::error::DataError;

/// One batch of samples, on the CPU.
#[derive(Debug)]
pub struct Batch {
    /// Samples, float32, shape `[N, ...sample_shape]`.
    pub x: Tensor,
    /// Class labels, int64, shape `[N]`, when the source has labels.
    pub y: Option<Tensor>,
}

impl Batch {
    /// Number of samples in the batch (the first dimension of `x`).
    pub fn len(&self) -> i64 {
        self.x.size().first().copied().unwrap_or(0)
    }

    /// Whether the batch holds no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cursor of a [`Source`]: enough to resume the exact same stream after a restart.
///
/// - `epoch`: completed passes over a finite dataset (always 0 for infinite toy sources).
/// - `position`: index of the next sample within the current epoch's permutation (0 for toys).
/// - `draws`: number of batches produced so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceState {
    /// Completed epochs.
    pub epoch: u64,
    /// Next position within the current epoch.
    pub position: u64,
    /// Batches produced so far.
    pub draws: u64,
}

/// An endless, seeded stream of batches.
pub trait Source: Send {
    /// Shape of one sample, e.g. `[1]`, `[2]` or `[1, 28, 28]`.
    fn sample_shape(&self) -> Vec<i64>;
    /// Number of classes when batches carry labels, `None` otherwise.
    fn num_classes(&self) -> Option<i64>;
    /// Next batch of (at most, see the implementors) `batch_size` samples, on the CPU.
    fn next_batch(&mut self, batch_size: i64) -> Result<Batch, DataError>;
    /// The cursor to store in a checkpoint.
    fn state(&self) -> SourceState;
    /// Moves the cursor to `state`, as returned earlier by [`Source::state`].
    fn restore(&mut self, state: &SourceState) -> Result<(), DataError>;
}

impl<S: Source + ?Sized> Source for Box<S> {
    fn sample_shape(&self) -> Vec<i64> {
        (**self).sample_shape()
    }
    fn num_classes(&self) -> Option<i64> {
        (**self).num_classes()
    }
    fn next_batch(&mut self, batch_size: i64) -> Result<Batch, DataError> {
        (**self).next_batch(batch_size)
    }
    fn state(&self) -> SourceState {
        (**self).state()
    }
    fn restore(&mut self, state: &SourceState) -> Result<(), DataError> {
        (**self).restore(state)
    }
}

/// Checks a requested batch size, naming `field` in the error.
pub(crate) fn check_batch_size(batch_size: i64) -> Result<usize, DataError> {
    if batch_size <= 0 {
        return Err(DataError::invalid(
            "batch_size",
            format!("must be positive, got {batch_size}"),
        ));
    }
    usize::try_from(batch_size)
        .map_err(|_| DataError::invalid("batch_size", format!("{batch_size} is too large")))
}
