//! Mode coverage of a mixture of Gaussians (the VEEGAN / PacGAN toy protocol): how many
//! modes a generator reaches, how many of its samples are "high quality", and how evenly
//! they spread over the modes.

use crate::check;
use crate::error::{CoreError, Result};
use tch::Tensor;

const WHAT: &str = "ModeSet";

/// The modes of a mixture of isotropic Gaussians with a common standard deviation.
/// Works in any dimension (1-D, 2-D, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct ModeSet {
    centers: Vec<Vec<f64>>,
    std: f64,
}

/// What [`ModeSet::evaluate`] measures.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeReport {
    /// Number of modes `K` of the target mixture.
    pub total_modes: usize,
    /// Modes that are the nearest mode of at least one high-quality sample.
    pub modes_covered: usize,
    /// Number of samples evaluated.
    pub num_samples: usize,
    /// Number of high-quality samples (within 3·std of their nearest mode).
    pub high_quality: usize,
    /// `high_quality / num_samples`.
    pub high_quality_fraction: f64,
    /// `KL(q ‖ uniform) = Σ_k q_k ln(q_k·K)` where `q` is the histogram of **high-quality**
    /// samples over their nearest modes (as in VEEGAN). Empty modes contribute 0
    /// (`0·ln 0 = 0`), so it is finite, in `[0, ln K]`. With no high-quality sample at all
    /// the histogram is undefined and the value is set to its maximum `ln K`.
    pub reverse_kl: f64,
    /// High-quality samples per mode (the histogram behind `reverse_kl`).
    pub counts_per_mode: Vec<usize>,
}

impl ModeSet {
    /// A mixture with the given centers (all of one dimension ≥ 1) and common `std` > 0.
    pub fn new(centers: Vec<Vec<f64>>, std: f64) -> Result<Self> {
        let dim = centers
            .first()
            .map(Vec::len)
            .ok_or_else(|| CoreError::Empty {
                what: WHAT,
                reason: "no mode centers".into(),
            })?;
        if dim == 0 {
            return Err(CoreError::InvalidInput {
                what: WHAT,
                reason: "0-D centers".into(),
            });
        }
        for c in &centers {
            check::same_len(WHAT, c.len(), dim)?;
            check::finite_slice(WHAT, c)?;
        }
        if !(std > 0.0 && std.is_finite()) {
            return Err(CoreError::InvalidParameter {
                field: "std",
                value: std,
                expected: "a finite value > 0",
            });
        }
        Ok(ModeSet { centers, std })
    }

    /// 8 modes on the unit circle at angles `2πi/8`, std 0.01.
    pub fn ring() -> Self {
        let centers = (0..8)
            .map(|i| {
                let a = 2.0 * std::f64::consts::PI * i as f64 / 8.0;
                vec![a.cos(), a.sin()]
            })
            .collect();
        ModeSet { centers, std: 0.01 }
    }

    /// 25 modes at `(−4 + 2i, −4 + 2j)`, `i, j ∈ 0..5`, std 0.05.
    pub fn grid() -> Self {
        let centers = (0..5)
            .flat_map(|i| (0..5).map(move |j| vec![-4.0 + 2.0 * i as f64, -4.0 + 2.0 * j as f64]))
            .collect();
        ModeSet { centers, std: 0.05 }
    }

    /// The mode centers.
    pub fn centers(&self) -> &[Vec<f64>] {
        &self.centers
    }

    /// The common standard deviation.
    pub fn std(&self) -> f64 {
        self.std
    }

    /// Dimension of the samples.
    pub fn dim(&self) -> usize {
        self.centers[0].len()
    }

    /// Index of the nearest center (ties → lowest index) and the Euclidean distance to it.
    fn nearest(&self, x: &[f64]) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (k, c) in self.centers.iter().enumerate() {
            let d2: f64 = c.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum();
            if d2 < best.1 {
                best = (k, d2);
            }
        }
        (best.0, best.1.sqrt())
    }

    /// Evaluates samples given row-major as a flat slice of `N × dim` values.
    ///
    /// A sample is high-quality if it lies within `3·std` of its nearest mode; a mode is
    /// covered if at least one high-quality sample has it as nearest mode; see
    /// [`ModeReport::reverse_kl`] for the histogram. Errors if the length is not a positive
    /// multiple of [`dim`](Self::dim) or a value is not finite.
    pub fn evaluate(&self, samples: &[f64]) -> Result<ModeReport> {
        let dim = self.dim();
        if samples.is_empty() || samples.len() % dim != 0 {
            return Err(CoreError::InvalidInput {
                what: "ModeSet::evaluate",
                reason: format!(
                    "{} values is not a positive multiple of dim {dim}",
                    samples.len()
                ),
            });
        }
        check::finite_slice("ModeSet::evaluate", samples)?;
        let k = self.centers.len();
        let mut counts = vec![0usize; k];
        for x in samples.chunks_exact(dim) {
            let (mode, dist) = self.nearest(x);
            if dist <= 3.0 * self.std {
                counts[mode] += 1;
            }
        }
        let n = samples.len() / dim;
        let hq: usize = counts.iter().sum();
        Ok(ModeReport {
            total_modes: k,
            modes_covered: counts.iter().filter(|&&c| c > 0).count(),
            num_samples: n,
            high_quality: hq,
            high_quality_fraction: hq as f64 / n as f64,
            reverse_kl: reverse_kl_to_uniform(&counts),
            counts_per_mode: counts,
        })
    }

    /// [`evaluate`](Self::evaluate) on a `[N, dim]` tensor (or `[N]` when `dim` is 1).
    pub fn evaluate_tensor(&self, samples: &Tensor) -> Result<ModeReport> {
        let s = samples.size();
        let ok = match s.len() {
            1 => self.dim() == 1,
            2 => s[1] == self.dim() as i64,
            _ => false,
        };
        if !ok {
            return Err(CoreError::InvalidInput {
                what: "ModeSet::evaluate_tensor",
                reason: format!("expected [N, {}] samples, got {s:?}", self.dim()),
            });
        }
        self.evaluate(&check::to_f64_vec(samples)?)
    }
}

/// `KL(q ‖ uniform)` of a histogram of counts, `ln K` when all counts are 0.
fn reverse_kl_to_uniform(counts: &[usize]) -> f64 {
    let k = counts.len() as f64;
    let total: usize = counts.iter().sum();
    if total == 0 {
        return k.ln();
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let q = c as f64 / total as f64;
            q * (q * k).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(set: &ModeSet, per_mode: usize) -> Vec<f64> {
        set.centers()
            .iter()
            .flat_map(|c| std::iter::repeat_n(c.clone(), per_mode))
            .flatten()
            .collect()
    }

    #[test]
    fn constructors_match_protocol() {
        let ring = ModeSet::ring();
        assert_eq!(ring.centers().len(), 8);
        assert_eq!(ring.std(), 0.01);
        let c2 = &ring.centers()[2];
        assert!(
            c2[0].abs() < 1e-12 && (c2[1] - 1.0).abs() < 1e-12,
            "angle π/2"
        );
        let grid = ModeSet::grid();
        assert_eq!(grid.centers().len(), 25);
        assert_eq!(grid.std(), 0.05);
        assert!(grid.centers().contains(&vec![-4.0, 4.0]));
        assert!(grid.centers().contains(&vec![0.0, 2.0]));
    }

    #[test]
    fn samples_at_every_mode() {
        for set in [ModeSet::ring(), ModeSet::grid()] {
            let r = set.evaluate(&flat(&set, 3)).unwrap();
            assert_eq!(r.modes_covered, r.total_modes);
            assert_eq!(r.high_quality_fraction, 1.0);
            assert!(r.reverse_kl.abs() < 1e-12);
            assert!(r.counts_per_mode.iter().all(|&c| c == 3));
        }
    }

    #[test]
    fn all_samples_at_one_mode() {
        let set = ModeSet::grid();
        let c = &set.centers()[7];
        let samples: Vec<f64> = (0..10).flat_map(|_| [c[0] + 0.1, c[1] - 0.05]).collect();
        let r = set.evaluate(&samples).unwrap();
        // distance √(0.01 + 0.0025) ≈ 0.112 ≤ 0.15 = 3·std
        assert_eq!(r.modes_covered, 1);
        assert_eq!(r.high_quality, 10);
        assert!((r.reverse_kl - 25f64.ln()).abs() < 1e-12);
        assert_eq!(r.counts_per_mode[7], 10);
    }

    #[test]
    fn far_samples_are_low_quality() {
        let set = ModeSet::ring();
        // 3·std = 0.03. (0, 0) is 1 away from every mode, (0.75, 0.75) is 0.0607 from mode 1
        // at (√½, √½), (5, 5) is far; (0.7, 0.7) is only 0.01005 from mode 1.
        let r = set.evaluate(&[0.0, 0.0, 0.75, 0.75, 5.0, 5.0]).unwrap();
        assert_eq!(r.high_quality, 0);
        assert_eq!(r.modes_covered, 0);
        assert_eq!(r.high_quality_fraction, 0.0);
        assert!(
            (r.reverse_kl - 8f64.ln()).abs() < 1e-12,
            "no HQ sample → ln K"
        );
        let r = set.evaluate(&[0.7, 0.7, 0.0, 0.0]).unwrap();
        assert_eq!((r.high_quality, r.modes_covered), (1, 1));
        assert_eq!(r.counts_per_mode[1], 1);
        assert_eq!(r.high_quality_fraction, 0.5);
    }

    #[test]
    fn two_of_four_modes_even_split() {
        // 1-D, 4 modes; HQ samples split 2:2 over two modes → q = (½, ½, 0, 0),
        // KL = 2 · ½ ln(½ · 4) = ln 2. One far sample does not count.
        let set = ModeSet::new(vec![vec![0.0], vec![1.0], vec![2.0], vec![3.0]], 0.1).unwrap();
        let r = set.evaluate(&[0.05, -0.2, 2.1, 1.95, 0.5]).unwrap();
        assert_eq!(r.counts_per_mode, vec![2, 0, 2, 0]);
        assert_eq!(r.modes_covered, 2);
        assert!((r.high_quality_fraction - 0.8).abs() < 1e-12);
        assert!((r.reverse_kl - std::f64::consts::LN_2).abs() < 1e-12);
    }

    #[test]
    fn tensor_input_and_errors() {
        let set = ModeSet::ring();
        let t = Tensor::from_slice(&[1.0f32, 0.0, 0.0, -1.0]).view([2, 2]);
        let r = set.evaluate_tensor(&t).unwrap();
        assert_eq!((r.high_quality, r.modes_covered), (2, 2));
        assert!(set.evaluate_tensor(&t.view([4])).is_err());
        assert!(set.evaluate(&[1.0, 0.0, 0.5]).is_err());
        assert!(set.evaluate(&[]).is_err());
        assert!(set.evaluate(&[f64::NAN, 0.0]).is_err());
        assert!(ModeSet::new(vec![], 0.1).is_err());
        assert!(ModeSet::new(vec![vec![0.0], vec![0.0, 1.0]], 0.1).is_err());
        assert!(ModeSet::new(vec![vec![0.0]], 0.0).is_err());
    }
}
