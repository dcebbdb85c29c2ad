//! [`LinearGenerator`]: the affine generator `G(z) = a·z + b` of the 1-D Gaussian
//! experiment (seed 001: fitting `N(μ, σ)` with `a → σ`, `b → μ`).
//!
//! One scale and one shift per output dimension (element-wise, no mixing); `a` starts at 1
//! and `b` at 0, stored as `p / "scale"` and `p / "shift"`. The latent dimension equals the
//! output dimension.

use crate::error::{ensure_positive, Result};
use crate::Generator;
use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

/// Configuration of a [`LinearGenerator`].
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LinearGeneratorConfig {
    /// Data (and latent) dimension.
    pub dim: i64,
}

impl LinearGeneratorConfig {
    /// Checks `dim > 0`.
    pub fn validate(&self) -> Result<()> {
        ensure_positive("dim", self.dim)
    }

    /// Builds the generator under `p`.
    pub fn build(&self, p: &nn::Path) -> Result<LinearGenerator> {
        self.validate()?;
        Ok(LinearGenerator {
            scale: p.ones("scale", &[self.dim]),
            shift: p.zeros("shift", &[self.dim]),
            dim: self.dim,
        })
    }
}

/// `G(z) = a ⊙ z + b` with learned `a`, `b ∈ R^dim`.
#[derive(Debug)]
pub struct LinearGenerator {
    scale: Tensor,
    shift: Tensor,
    dim: i64,
}

impl LinearGenerator {
    /// The learned scale `a` (one value per dimension).
    pub fn scale(&self) -> Vec<f64> {
        to_vec(&self.scale)
    }

    /// The learned shift `b` (one value per dimension).
    pub fn shift(&self) -> Vec<f64> {
        to_vec(&self.shift)
    }
}

fn to_vec(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(t.detach().to_kind(Kind::Double).to_device(tch::Device::Cpu))
        .expect("a 1-D float tensor converts to Vec<f64>")
}

impl Generator for LinearGenerator {
    fn latent_dim(&self) -> i64 {
        self.dim
    }

    fn generate(&self, z: &Tensor, _labels: Option<&Tensor>, _train: bool) -> Tensor {
        z * &self.scale + &self.shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn starts_as_identity_and_is_affine() {
        let vs = nn::VarStore::new(Device::Cpu);
        let g = LinearGeneratorConfig { dim: 2 }
            .build(&(vs.root() / "gen"))
            .unwrap();
        assert_eq!(g.latent_dim(), 2);
        assert_eq!(g.scale(), vec![1.0, 1.0]);
        assert_eq!(g.shift(), vec![0.0, 0.0]);
        let z = Tensor::from_slice(&[1.0f32, -2.0, 0.5, 3.0]).reshape([2, 2]);
        assert_eq!(g.generate(&z, None, true), z);
        tch::no_grad(|| {
            let mut vars = vs.variables();
            let scale = vars.get_mut("gen.scale").unwrap();
            scale.copy_(&Tensor::from_slice(&[2.0f32, 3.0]));
            let shift = vars.get_mut("gen.shift").unwrap();
            shift.copy_(&Tensor::from_slice(&[-1.0f32, 0.5]));
        });
        let expected = Tensor::from_slice(&[1.0f32, -5.5, 0.0, 9.5]).reshape([2, 2]);
        assert_eq!(g.generate(&z, None, true), expected);
        assert_eq!(g.scale(), vec![2.0, 3.0]);
        assert_eq!(g.shift(), vec![-1.0, 0.5]);
    }

    #[test]
    fn gradients_reach_scale_and_shift() {
        let vs = nn::VarStore::new(Device::Cpu);
        let g = LinearGeneratorConfig { dim: 1 }.build(&vs.root()).unwrap();
        let z = Tensor::from_slice(&[2.0f32, 4.0]).reshape([2, 1]);
        g.generate(&z, None, true).sum(Kind::Float).backward();
        let grads: Vec<f64> = ["scale", "shift"]
            .iter()
            .map(|n| vs.variables()[*n].grad().double_value(&[0]))
            .collect();
        assert_eq!(grads, vec![6.0, 2.0]);
    }

    #[test]
    fn zero_dim_is_an_error() {
        let vs = nn::VarStore::new(Device::Cpu);
        assert!(LinearGeneratorConfig { dim: 0 }.build(&vs.root()).is_err());
    }
}
