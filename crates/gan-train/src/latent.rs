//! Latent noise for sampling, including the truncation trick (BigGAN): entries of `z`
//! whose magnitude exceeds a threshold are redrawn until none does.

use tch::{Device, Kind, Tensor};

use crate::error::{Result, TrainError};

/// Redraw rounds before giving up (each keeps ≥ 68 % of entries for `threshold ≥ 1`).
const MAX_ROUNDS: usize = 1000;

/// Standard normal noise `[n, dim]` on `device`; with `truncation = Some(t)` every entry
/// with `|z| > t` is resampled, so all entries lie in `[−t, t]`. Uses torch's global
/// generator. Errors if `t` is not a positive finite number or `n, dim < 1`.
pub fn latent_noise(n: i64, dim: i64, truncation: Option<f64>, device: Device) -> Result<Tensor> {
    if n < 1 || dim < 1 {
        return Err(TrainError::config(
            "n",
            format!("noise needs n >= 1 and dim >= 1, got {n} × {dim}"),
        ));
    }
    let mut z = Tensor::randn([n, dim], (Kind::Float, device));
    let Some(t) = truncation else {
        return Ok(z);
    };
    if !(t > 0.0 && t.is_finite()) {
        return Err(TrainError::config(
            "truncation",
            format!("must be a positive number, got {t}"),
        ));
    }
    for _ in 0..MAX_ROUNDS {
        let outside = z.abs().gt(t);
        if outside.any().int64_value(&[]) == 0 {
            return Ok(z);
        }
        let fresh = Tensor::randn([n, dim], (Kind::Float, device));
        z = fresh.where_self(&outside, &z);
    }
    Err(TrainError::config(
        "truncation",
        format!("threshold {t} is too small to sample from"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_bounds_every_entry() {
        tch::manual_seed(3);
        let z = latent_noise(500, 16, Some(0.5), Device::Cpu).unwrap();
        assert_eq!(z.size(), vec![500, 16]);
        assert!(z.abs().max().double_value(&[]) <= 0.5);
        // Without truncation some entries exceed 0.5 (about 62 % of them).
        let z = latent_noise(500, 16, None, Device::Cpu).unwrap();
        assert!(z.abs().max().double_value(&[]) > 2.0);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(latent_noise(0, 4, None, Device::Cpu).is_err());
        assert!(latent_noise(4, 4, Some(0.0), Device::Cpu).is_err());
        assert!(latent_noise(4, 4, Some(f64::NAN), Device::Cpu).is_err());
    }
}
