//! The error type of gan-core: every public function that can be handed bad input
//! (wrong shapes, empty input, out-of-range settings) reports it as a [`CoreError`]
//! instead of panicking.

use thiserror::Error;

/// Everything that can go wrong in gan-core.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A loss name that is not one of [`crate::LossKind::ALL`].
    #[error("unknown loss kind `{name}`; valid kinds are: {valid}")]
    UnknownLossKind {
        /// The name that was given.
        name: String,
        /// The valid names, comma separated.
        valid: String,
    },
    /// A numeric setting outside its allowed range.
    #[error("invalid value {value} for `{field}`: expected {expected}")]
    InvalidParameter {
        /// The setting's name (e.g. `flip_prob`).
        field: &'static str,
        /// The value that was given.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// An option set for a game it has no effect on (refused rather than ignored).
    #[error("`{field}` = {value} has no effect with loss `{kind}`; it applies to {applies_to} (remove it, or pick one of those losses)")]
    UnusedOption {
        /// The option's name (e.g. `margin`).
        field: &'static str,
        /// The value that was given.
        value: f64,
        /// The configured game.
        kind: &'static str,
        /// The games the option applies to.
        applies_to: &'static str,
    },
    /// Two tensors whose shapes should agree do not.
    #[error("shape mismatch in {what}: {left:?} vs {right:?}")]
    ShapeMismatch {
        /// What was being computed.
        what: &'static str,
        /// The first shape.
        left: Vec<i64>,
        /// The second shape.
        right: Vec<i64>,
    },
    /// Two slices whose lengths should agree do not.
    #[error("length mismatch in {what}: {left} vs {right}")]
    LengthMismatch {
        /// What was being computed.
        what: &'static str,
        /// The first length.
        left: usize,
        /// The second length.
        right: usize,
    },
    /// An input that must not be empty is empty (or too small).
    #[error("empty input in {what}: {reason}")]
    Empty {
        /// What was being computed.
        what: &'static str,
        /// What was missing.
        reason: String,
    },
    /// Input that is well shaped but not valid (e.g. negative probabilities, NaN).
    #[error("invalid input to {what}: {reason}")]
    InvalidInput {
        /// What was being computed.
        what: &'static str,
        /// Why the input was rejected.
        reason: String,
    },
    /// An error reported by libtorch.
    #[error("torch error: {0}")]
    Torch(#[from] tch::TchError),
}

/// `Result` with [`CoreError`].
pub type Result<T> = std::result::Result<T, CoreError>;
