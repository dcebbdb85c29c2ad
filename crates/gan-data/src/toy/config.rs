//! [`ToyConfig`]: the serde description of a toy distribution, its validation, its modes and
//! its analytic 1-D density.
//!
//! Every toy is a mixture of isotropic Gaussians. Defaults follow the evaluation protocol of
//! VEEGAN / PacGAN: `ring` = 8 Gaussians on the unit circle at angles 2πi/8 with std 0.01;
//! `grid` = 25 Gaussians at (−4+2i, −4+2j), i, j ∈ 0..5, with std 0.05.

use serde::{Deserialize, Serialize};

use super::normal::normal_pdf;
use crate::error::DataError;

/// Largest number of mixture components a toy config may declare (ring `modes`, grid `side²`,
/// or an explicit list), so that a typo cannot allocate without bound.
pub const MAX_TOY_MODES: usize = 1_000_000;

/// A toy distribution, as written in a config file (`kind = "ring"`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ToyConfig {
    /// 1-D N(mean, std²).
    Gaussian {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        std: f64,
    },
    /// 1-D mixture of Gaussians; uniform weights unless `weights` is given.
    Mixture1d {
        /// Component means.
        means: Vec<f64>,
        /// Component standard deviations (one per mean, > 0).
        stds: Vec<f64>,
        /// Relative weights (≥ 0, positive sum; normalised); uniform when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
    /// 2-D ring: `modes` Gaussians on a circle of `radius` at angles 2πi/modes.
    Ring {
        /// Number of modes (default 8).
        #[serde(default = "default_ring_modes")]
        modes: usize,
        /// Circle radius (default 1.0).
        #[serde(default = "default_ring_radius")]
        radius: f64,
        /// Per-mode standard deviation (default 0.01).
        #[serde(default = "default_ring_std")]
        std: f64,
    },
    /// 2-D grid: `side × side` Gaussians, `spacing` apart, centred on the origin.
    Grid {
        /// Modes per side (default 5).
        #[serde(default = "default_grid_side")]
        side: usize,
        /// Distance between neighbouring modes (default 2.0).
        #[serde(default = "default_grid_spacing")]
        spacing: f64,
        /// Per-mode standard deviation (default 0.05).
        #[serde(default = "default_grid_std")]
        std: f64,
    },
    /// 2-D mixture with explicit centres; give exactly one of `std` (shared) or `stds`.
    Mixture2d {
        /// Component centres `[x, y]`.
        centers: Vec<[f64; 2]>,
        /// Shared standard deviation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        std: Option<f64>,
        /// Per-component standard deviations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stds: Option<Vec<f64>>,
        /// Relative weights (≥ 0, positive sum; normalised); uniform when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
}

fn default_ring_modes() -> usize {
    8
}
fn default_ring_radius() -> f64 {
    1.0
}
fn default_ring_std() -> f64 {
    0.01
}
fn default_grid_side() -> usize {
    5
}
fn default_grid_spacing() -> f64 {
    2.0
}
fn default_grid_std() -> f64 {
    0.05
}

impl ToyConfig {
    /// The protocol's ring: 8 modes, radius 1, std 0.01.
    pub fn ring() -> Self {
        ToyConfig::Ring {
            modes: default_ring_modes(),
            radius: default_ring_radius(),
            std: default_ring_std(),
        }
    }

    /// The protocol's grid: 5 × 5 modes at (−4+2i, −4+2j), std 0.05.
    pub fn grid() -> Self {
        ToyConfig::Grid {
            side: default_grid_side(),
            spacing: default_grid_spacing(),
            std: default_grid_std(),
        }
    }

    /// Checks every field; the error names the offending one (e.g. `ring.std`).
    pub fn validate(&self) -> Result<(), DataError> {
        match self {
            ToyConfig::Gaussian { mean, std } => {
                finite("gaussian.mean", *mean)?;
                positive("gaussian.std", *std)
            }
            ToyConfig::Mixture1d {
                means,
                stds,
                weights,
            } => {
                count("mixture1d.means", means.len())?;
                for (i, m) in means.iter().enumerate() {
                    finite(&format!("mixture1d.means[{i}]"), *m)?;
                }
                same_len("mixture1d.stds", stds.len(), "means", means.len())?;
                for (i, s) in stds.iter().enumerate() {
                    positive(&format!("mixture1d.stds[{i}]"), *s)?;
                }
                check_weights("mixture1d.weights", weights.as_deref(), means.len())
            }
            ToyConfig::Ring { modes, radius, std } => {
                count("ring.modes", *modes)?;
                positive("ring.radius", *radius)?;
                positive("ring.std", *std)
            }
            ToyConfig::Grid { side, spacing, std } => {
                let total = side.checked_mul(*side).unwrap_or(usize::MAX);
                if *side == 0 || total > MAX_TOY_MODES {
                    return Err(DataError::invalid(
                        "grid.side",
                        format!("must give 1..={MAX_TOY_MODES} modes in all, got side {side}"),
                    ));
                }
                positive("grid.spacing", *spacing)?;
                positive("grid.std", *std)
            }
            ToyConfig::Mixture2d {
                centers,
                std,
                stds,
                weights,
            } => {
                count("mixture2d.centers", centers.len())?;
                for (i, c) in centers.iter().enumerate() {
                    finite(&format!("mixture2d.centers[{i}][0]"), c[0])?;
                    finite(&format!("mixture2d.centers[{i}][1]"), c[1])?;
                }
                match (std, stds) {
                    (Some(s), None) => positive("mixture2d.std", *s)?,
                    (None, Some(v)) => {
                        same_len("mixture2d.stds", v.len(), "centers", centers.len())?;
                        for (i, s) in v.iter().enumerate() {
                            positive(&format!("mixture2d.stds[{i}]"), *s)?;
                        }
                    }
                    _ => {
                        return Err(DataError::invalid(
                            "mixture2d.std",
                            "give exactly one of `std` (shared) or `stds` (per centre)",
                        ))
                    }
                }
                check_weights("mixture2d.weights", weights.as_deref(), centers.len())
            }
        }
    }

    /// Dimension of one sample: 1 or 2.
    pub fn dim(&self) -> usize {
        match self {
            ToyConfig::Gaussian { .. } | ToyConfig::Mixture1d { .. } => 1,
            _ => 2,
        }
    }

    /// Mode centres, each of length [`ToyConfig::dim`].
    ///
    /// Ring mode `i` is at angle 2πi/modes; grid mode `i·side + j` is at
    /// `(−(side−1)·spacing/2 + i·spacing, −(side−1)·spacing/2 + j·spacing)`.
    pub fn modes(&self) -> Vec<Vec<f64>> {
        match self {
            ToyConfig::Gaussian { mean, .. } => vec![vec![*mean]],
            ToyConfig::Mixture1d { means, .. } => means.iter().map(|m| vec![*m]).collect(),
            ToyConfig::Ring { modes, radius, .. } => (0..*modes)
                .map(|i| {
                    let a = std::f64::consts::TAU * i as f64 / *modes as f64;
                    vec![radius * a.cos(), radius * a.sin()]
                })
                .collect(),
            ToyConfig::Grid { side, spacing, .. } => {
                let offset = -((*side as f64) - 1.0) * spacing / 2.0;
                let mut out = Vec::with_capacity(side.saturating_mul(*side).min(MAX_TOY_MODES));
                for i in 0..*side {
                    for j in 0..*side {
                        out.push(vec![
                            offset + i as f64 * spacing,
                            offset + j as f64 * spacing,
                        ]);
                    }
                }
                out
            }
            ToyConfig::Mixture2d { centers, .. } => centers.iter().map(|c| c.to_vec()).collect(),
        }
    }

    /// Standard deviation of each mode, in the order of [`ToyConfig::modes`].
    pub fn mode_stds(&self) -> Vec<f64> {
        let n = self.num_modes();
        match self {
            ToyConfig::Gaussian { std, .. }
            | ToyConfig::Ring { std, .. }
            | ToyConfig::Grid { std, .. } => vec![*std; n],
            ToyConfig::Mixture1d { stds, .. } => stds.clone(),
            ToyConfig::Mixture2d { std, stds, .. } => match (std, stds) {
                (_, Some(v)) => v.clone(),
                (Some(s), None) => vec![*s; n],
                (None, None) => vec![f64::NAN; n],
            },
        }
    }

    /// The (largest) mode standard deviation: the shared std of `gaussian`, `ring`, `grid`
    /// and `mixture2d` with `std`; the largest component std of the per-component mixtures.
    /// Used by the "within 3 std of its nearest mode" quality criterion.
    pub fn mode_std(&self) -> f64 {
        self.mode_stds().into_iter().fold(f64::NAN, f64::max)
    }

    /// Number of mixture components.
    pub fn num_modes(&self) -> usize {
        match self {
            ToyConfig::Gaussian { .. } => 1,
            ToyConfig::Mixture1d { means, .. } => means.len(),
            ToyConfig::Ring { modes, .. } => *modes,
            ToyConfig::Grid { side, .. } => side.saturating_mul(*side),
            ToyConfig::Mixture2d { centers, .. } => centers.len(),
        }
    }

    /// Normalised mixture weights (summing to 1), in the order of [`ToyConfig::modes`].
    /// Assumes a valid config.
    pub fn weights(&self) -> Vec<f64> {
        let n = self.num_modes();
        let given = match self {
            ToyConfig::Mixture1d { weights, .. } | ToyConfig::Mixture2d { weights, .. } => {
                weights.clone()
            }
            _ => None,
        };
        match given {
            Some(w) => {
                let sum: f64 = w.iter().sum();
                w.iter().map(|x| x / sum).collect()
            }
            None => vec![1.0 / n as f64; n],
        }
    }

    /// Mean and standard deviation of the whole distribution for 1-D toys (law of total
    /// variance), `None` for 2-D toys.
    pub fn mean_std_1d(&self) -> Option<(f64, f64)> {
        if self.dim() != 1 {
            return None;
        }
        let modes = self.modes();
        let stds = self.mode_stds();
        let w = self.weights();
        let mean: f64 = modes.iter().zip(&w).map(|(m, w)| w * m[0]).sum();
        let var: f64 = modes
            .iter()
            .zip(&stds)
            .zip(&w)
            .map(|((m, s), w)| w * (s * s + (m[0] - mean).powi(2)))
            .sum();
        Some((mean, var.sqrt()))
    }

    /// The true density at `x` for 1-D toys (the "real density" curve of the plots), `None` for
    /// 2-D toys.
    pub fn density_1d(&self, x: f64) -> Option<f64> {
        if self.dim() != 1 {
            return None;
        }
        let modes = self.modes();
        let stds = self.mode_stds();
        let w = self.weights();
        Some(
            modes
                .iter()
                .zip(&stds)
                .zip(&w)
                .map(|((m, s), w)| w * normal_pdf(x, m[0], *s))
                .sum(),
        )
    }
}

fn finite(field: &str, v: f64) -> Result<(), DataError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(DataError::invalid(
            field,
            format!("must be finite, got {v}"),
        ))
    }
}

fn positive(field: &str, v: f64) -> Result<(), DataError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(DataError::invalid(
            field,
            format!("must be finite and > 0, got {v}"),
        ))
    }
}

fn count(field: &str, n: usize) -> Result<(), DataError> {
    if (1..=MAX_TOY_MODES).contains(&n) {
        Ok(())
    } else {
        Err(DataError::invalid(
            field,
            format!("must have 1..={MAX_TOY_MODES} modes, got {n}"),
        ))
    }
}

fn same_len(field: &str, n: usize, other: &str, m: usize) -> Result<(), DataError> {
    if n == m {
        Ok(())
    } else {
        Err(DataError::invalid(
            field,
            format!("has {n} entries but `{other}` has {m}; they must match"),
        ))
    }
}

fn check_weights(field: &str, weights: Option<&[f64]>, n: usize) -> Result<(), DataError> {
    let Some(w) = weights else { return Ok(()) };
    same_len(field, w.len(), "the components", n)?;
    for (i, x) in w.iter().enumerate() {
        if !(x.is_finite() && *x >= 0.0) {
            return Err(DataError::invalid(
                format!("{field}[{i}]"),
                format!("must be finite and >= 0, got {x}"),
            ));
        }
    }
    let sum: f64 = w.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        Ok(())
    } else {
        Err(DataError::invalid(
            field,
            format!("must have a positive finite sum, got {sum}"),
        ))
    }
}
