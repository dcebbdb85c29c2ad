//! Private input checks shared by the public functions (shapes, emptiness, finiteness),
//! so that bad input becomes a [`CoreError`] instead of a libtorch panic.

use crate::error::{CoreError, Result};
use tch::{Device, Kind, Tensor};

/// Fails unless `a` and `b` have the same shape.
pub(crate) fn same_shape(what: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    let (sa, sb) = (a.size(), b.size());
    if sa != sb {
        return Err(CoreError::ShapeMismatch {
            what,
            left: sa,
            right: sb,
        });
    }
    Ok(())
}

/// Fails unless `t` has exactly `dims` dimensions; returns its shape.
pub(crate) fn ndim(what: &'static str, t: &Tensor, dims: usize) -> Result<Vec<i64>> {
    let s = t.size();
    if s.len() != dims {
        return Err(CoreError::InvalidInput {
            what,
            reason: format!("expected a {dims}-D tensor, got shape {s:?}"),
        });
    }
    Ok(s)
}

/// Fails unless the first dimension of `t` has at least `min` entries; returns it.
pub(crate) fn min_rows(what: &'static str, t: &Tensor, min: i64) -> Result<i64> {
    let n = t.size().first().copied().unwrap_or(0);
    if n < min {
        return Err(CoreError::Empty {
            what,
            reason: format!("need at least {min} samples, got {n}"),
        });
    }
    Ok(n)
}

/// Fails unless every value is finite.
pub(crate) fn finite_slice(what: &'static str, v: &[f64]) -> Result<()> {
    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
        return Err(CoreError::InvalidInput {
            what,
            reason: format!("non-finite value {x}"),
        });
    }
    Ok(())
}

/// Fails unless both slices have the same length.
pub(crate) fn same_len(what: &'static str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(CoreError::LengthMismatch {
            what,
            left: a,
            right: b,
        });
    }
    Ok(())
}

/// Copies a tensor of any shape into a flat `Vec<f64>` (row-major), on the CPU.
pub(crate) fn to_f64_vec(t: &Tensor) -> Result<Vec<f64>> {
    let flat = t
        .f_to_device(Device::Cpu)?
        .f_to_kind(Kind::Double)?
        .f_contiguous()?
        .f_view([-1])?;
    Ok(Vec::<f64>::try_from(&flat)?)
}
