//! Typed errors for invalid model configurations.
//!
//! Building a network never panics on a bad configuration: every builder validates its
//! config first and returns a [`ModelError`] that names the offending field.

use thiserror::Error;

/// An invalid model configuration.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// The DCGAN image size is not one of the supported sizes.
    #[error("unsupported image size {size}: allowed sizes are {allowed:?}")]
    UnsupportedImageSize {
        /// The requested size.
        size: i64,
        /// The sizes the architecture supports.
        allowed: &'static [i64],
    },
    /// A configuration field has an invalid value.
    #[error("invalid model config: `{field}` {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ModelError {
    /// Shorthand for [`ModelError::InvalidConfig`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ModelError::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}

/// Result alias for model construction.
pub type Result<T> = std::result::Result<T, ModelError>;

/// Checks that an integer config field is strictly positive.
pub(crate) fn ensure_positive(field: &'static str, value: i64) -> Result<()> {
    if value > 0 {
        Ok(())
    } else {
        Err(ModelError::invalid(
            field,
            format!("must be positive, got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_size_message_names_allowed_sizes() {
        let e = ModelError::UnsupportedImageSize {
            size: 48,
            allowed: &[28, 32, 64],
        };
        assert_eq!(
            e.to_string(),
            "unsupported image size 48: allowed sizes are [28, 32, 64]"
        );
    }

    #[test]
    fn ensure_positive_rejects_zero_and_negative() {
        assert!(ensure_positive("x", 1).is_ok());
        assert!(matches!(
            ensure_positive("x", 0),
            Err(ModelError::InvalidConfig { field: "x", .. })
        ));
        assert!(ensure_positive("x", -3).is_err());
    }
}
