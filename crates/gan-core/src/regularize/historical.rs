//! Historical averaging (Salimans et al. 2016): a penalty `‖θ − (1/t) Σᵢ θ[i]‖²` that pulls
//! parameters towards their running mean over past steps, damping oscillation.

use crate::error::{CoreError, Result};
use tch::Tensor;

const WHAT: &str = "HistoricalAverage";

/// Running mean of a fixed list of parameter tensors over training steps.
///
/// Call [`update`](Self::update) once per step with the current parameters and add
/// `λ · penalty(params)` to the loss. The state (`count`, means) can be saved with
/// [`state`](Self::state) and restored with [`from_state`](Self::from_state).
#[derive(Debug, Default)]
pub struct HistoricalAverage {
    count: u64,
    means: Vec<Tensor>,
}

impl HistoricalAverage {
    /// An empty average (no step seen yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of updates so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Checks that `params` match the stored means in number and shape.
    fn check(&self, params: &[Tensor]) -> Result<()> {
        if params.len() != self.means.len() {
            return Err(CoreError::LengthMismatch {
                what: WHAT,
                left: params.len(),
                right: self.means.len(),
            });
        }
        for (p, m) in params.iter().zip(&self.means) {
            crate::check::same_shape(WHAT, p, m)?;
        }
        Ok(())
    }

    /// Folds the current parameter values into the running mean:
    /// `mean ← mean + (θ − mean)/(t + 1)`. The first update stores copies of `params`.
    /// Errors if `params` is empty or differs in length or shapes from the first list.
    pub fn update(&mut self, params: &[Tensor]) -> Result<()> {
        if params.is_empty() {
            return Err(CoreError::Empty {
                what: WHAT,
                reason: "no parameters".into(),
            });
        }
        tch::no_grad(|| {
            if self.count == 0 {
                self.means = params.iter().map(|p| p.detach().copy()).collect();
            } else {
                self.check(params)?;
                let k = 1.0 / (self.count as f64 + 1.0);
                for (p, m) in params.iter().zip(self.means.iter_mut()) {
                    let step = (p.detach() - &*m) * k;
                    let _ = m.f_add_(&step)?;
                }
            }
            self.count += 1;
            Ok(())
        })
    }

    /// `Σ_k ‖θ_k − mean_k‖²` over all parameter tensors, differentiable in `params`.
    /// Zero (on the first parameter's device) before the first update. Errors if
    /// `params` is empty or does not match the stored means.
    pub fn penalty(&self, params: &[Tensor]) -> Result<Tensor> {
        let first = params.first().ok_or_else(|| CoreError::Empty {
            what: WHAT,
            reason: "no parameters".into(),
        })?;
        let zero = Tensor::f_zeros([], (first.kind(), first.device()))?;
        if self.count == 0 {
            return Ok(zero);
        }
        self.check(params)?;
        Ok(params
            .iter()
            .zip(&self.means)
            .fold(zero, |acc, (p, m)| acc + (p - m).square().sum(p.kind())))
    }

    /// The state to checkpoint: the update count and copies of the running means.
    pub fn state(&self) -> (u64, Vec<Tensor>) {
        (self.count, self.means.iter().map(Tensor::copy).collect())
    }

    /// Restores a state saved by [`state`](Self::state). Errors if `count` is zero but
    /// means are given, or `count` is positive but no means are.
    pub fn from_state(count: u64, means: Vec<Tensor>) -> Result<Self> {
        if (count == 0) != means.is_empty() {
            return Err(CoreError::InvalidInput {
                what: WHAT,
                reason: format!("count {count} with {} mean tensors", means.len()),
            });
        }
        Ok(HistoricalAverage { count, means })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_slice(v)
    }

    #[test]
    fn running_mean_and_penalty_by_hand() {
        let mut h = HistoricalAverage::new();
        h.update(&[t(&[1.0, 2.0]), t(&[0.0])]).unwrap();
        h.update(&[t(&[3.0, 2.0]), t(&[3.0])]).unwrap();
        h.update(&[t(&[5.0, 5.0]), t(&[0.0])]).unwrap();
        // means: (3, 3) and (1)
        let (count, means) = h.state();
        assert_eq!(count, 3);
        assert_eq!(Vec::<f64>::try_from(&means[0]).unwrap(), vec![3.0, 3.0]);
        assert_eq!(Vec::<f64>::try_from(&means[1]).unwrap(), vec![1.0]);
        // θ = (4, 1), (3): (1² + 2²) + 2² = 9
        let p = h.penalty(&[t(&[4.0, 1.0]), t(&[3.0])]).unwrap();
        assert!((p.double_value(&[]) - 9.0).abs() < 1e-12);
    }

    #[test]
    fn update_stores_copies_not_aliases() {
        let mut h = HistoricalAverage::new();
        let p = t(&[1.0]);
        h.update(&[p.shallow_clone()]).unwrap();
        let _ = p.shallow_clone().fill_(10.0);
        // mean is still 1: penalty at θ = 10 is 81
        let pen = h.penalty(&[p]).unwrap();
        assert_eq!(pen.double_value(&[]), 81.0);
    }

    #[test]
    fn penalty_is_zero_before_first_update_and_differentiable() {
        let mut h = HistoricalAverage::new();
        let w = t(&[2.0, -1.0]).set_requires_grad(true);
        assert_eq!(
            h.penalty(&[w.shallow_clone()]).unwrap().double_value(&[]),
            0.0
        );
        h.update(&[t(&[0.0, 0.0])]).unwrap();
        h.penalty(&[w.shallow_clone()]).unwrap().backward();
        // d/dθ ‖θ − 0‖² = 2θ
        assert_eq!(Vec::<f64>::try_from(&w.grad()).unwrap(), vec![4.0, -2.0]);
    }

    #[test]
    fn state_round_trip_and_mismatch_errors() {
        let mut h = HistoricalAverage::new();
        h.update(&[t(&[1.0, 3.0])]).unwrap();
        let (c, m) = h.state();
        let mut back = HistoricalAverage::from_state(c, m).unwrap();
        back.update(&[t(&[3.0, 5.0])]).unwrap();
        let (c2, m2) = back.state();
        assert_eq!(c2, 2);
        assert_eq!(Vec::<f64>::try_from(&m2[0]).unwrap(), vec![2.0, 4.0]);

        assert!(back.update(&[t(&[1.0])]).is_err(), "shape mismatch");
        assert!(
            back.update(&[t(&[1.0, 1.0]), t(&[1.0])]).is_err(),
            "count mismatch"
        );
        assert!(back.penalty(&[]).is_err());
        assert!(HistoricalAverage::new().update(&[]).is_err());
        assert!(HistoricalAverage::from_state(0, vec![t(&[1.0])]).is_err());
        assert!(HistoricalAverage::from_state(2, vec![]).is_err());
    }
}
