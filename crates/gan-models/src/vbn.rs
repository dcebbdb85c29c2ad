//! Virtual batch normalization (Salimans et al. 2016), for generators.
//!
//! Plain batch norm makes a sample's output depend on the other samples of its batch. VBN
//! normalizes every sample with the statistics of a fixed **reference batch** instead. The
//! layer here receives an input whose first `ref_size` rows are the (forward-propagated)
//! reference batch: it computes the mean and (biased) variance over those rows only — per
//! feature for 2-D input, per channel for 4-D input — normalizes *all* rows with them and
//! applies a learnable affine `gamma`, `beta`. The owning generator prepends its fixed
//! reference noise to every batch and drops those rows from the result (see
//! [`crate::DcganGenerator`]); because the reference rows are recomputed with the current
//! parameters at every call, the statistics track training.
//!
//! The layer has no running statistics, so train and eval behave the same.

use crate::error::{ensure_positive, Result};
use tch::{nn, Kind, Tensor};

/// Numerical epsilon added to the reference variance.
pub const VBN_EPS: f64 = 1e-5;

/// A virtual-batch-norm layer over `num_features` features / channels.
#[derive(Debug)]
pub struct VirtualBatchNorm {
    gamma: Tensor,
    beta: Tensor,
    ref_size: i64,
    num_features: i64,
}

impl VirtualBatchNorm {
    /// Creates the layer; `gamma` is stored as `p / "weight"` (init 1) and `beta` as
    /// `p / "bias"` (init 0), like a batch-norm layer.
    pub fn new(p: &nn::Path, num_features: i64, ref_size: i64) -> Result<Self> {
        Self::with_scale_init(p, num_features, ref_size, nn::Init::Const(1.0))
    }

    /// Like [`new`](Self::new) with `gamma` drawn from `scale_init` (DCGAN: `N(1, 0.02)`).
    pub fn with_scale_init(
        p: &nn::Path,
        num_features: i64,
        ref_size: i64,
        scale_init: nn::Init,
    ) -> Result<Self> {
        ensure_positive("virtual batch norm features", num_features)?;
        ensure_positive("vbn_reference_size", ref_size)?;
        Ok(VirtualBatchNorm {
            gamma: p.var("weight", &[num_features], scale_init),
            beta: p.zeros("bias", &[num_features]),
            ref_size,
            num_features,
        })
    }

    /// Number of leading reference rows the input must carry.
    pub fn ref_size(&self) -> i64 {
        self.ref_size
    }

    /// Normalizes `x` (`[R + N, F]` or `[R + N, C, H, W]`, the first `R = ref_size` rows
    /// being the reference batch) with the reference statistics.
    ///
    /// # Panics
    /// If `x` has fewer than `ref_size` rows or its dimension 1 is not `num_features`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let size = x.size();
        assert!(
            size.len() >= 2 && size[0] >= self.ref_size && size[1] == self.num_features,
            "VirtualBatchNorm expects [>= {} reference rows, {}, ...], got {:?}",
            self.ref_size,
            self.num_features,
            size
        );
        let dims: Vec<i64> = (0..size.len() as i64).filter(|&d| d != 1).collect();
        let reference = x.narrow(0, 0, self.ref_size);
        let mean = reference.mean_dim(dims.as_slice(), true, Kind::Float);
        let var = reference.var_correction(dims.as_slice(), 0, true);
        let mut affine_shape = vec![1i64; size.len()];
        affine_shape[1] = self.num_features;
        let gamma = self.gamma.reshape(affine_shape.as_slice());
        let beta = self.beta.reshape(affine_shape.as_slice());
        (x - mean) / (var + VBN_EPS).sqrt() * gamma + beta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn uses_reference_rows_only() {
        let vs = nn::VarStore::new(Device::Cpu);
        let vbn = VirtualBatchNorm::new(&vs.root(), 1, 2).unwrap();
        // Reference rows 1 and 3 (mean 2, var 1); the other rows must not affect them.
        let x = Tensor::from_slice(&[1.0f32, 3.0, 2.0, 100.0]).reshape([4, 1]);
        let y = Vec::<f64>::try_from(vbn.forward(&x).flatten(0, -1).to_kind(Kind::Double)).unwrap();
        let s = (1.0f64 + VBN_EPS).sqrt();
        let expected = [-1.0 / s, 1.0 / s, 0.0, 98.0 / s];
        for (v, e) in y.iter().zip(expected.iter()) {
            assert!((v - e).abs() < 1e-4, "{y:?}");
        }
    }

    #[test]
    fn four_d_normalizes_per_channel() {
        tch::manual_seed(1);
        let vs = nn::VarStore::new(Device::Cpu);
        let vbn = VirtualBatchNorm::new(&vs.root(), 3, 4).unwrap();
        let x = Tensor::randn([6, 3, 2, 2], tch::kind::FLOAT_CPU) * 5.0 + 2.0;
        let y = vbn.forward(&x);
        let r = y.narrow(0, 0, 4);
        let mean = r.mean_dim([0i64, 2, 3].as_slice(), false, Kind::Float);
        let var = r.var_correction([0i64, 2, 3].as_slice(), 0, false);
        assert!(mean.abs().max().double_value(&[]) < 1e-4);
        assert!((var - 1.0).abs().max().double_value(&[]) < 1e-3);
    }

    #[test]
    fn gamma_and_beta_get_gradients() {
        let vs = nn::VarStore::new(Device::Cpu);
        let vbn = VirtualBatchNorm::new(&(vs.root() / "vbn"), 2, 2).unwrap();
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 5.0, 0.5, 0.0]).reshape([3, 2]);
        (vbn.forward(&x) * Tensor::from_slice(&[1.0f32, 2.0]))
            .pow_tensor_scalar(2)
            .sum(Kind::Float)
            .backward();
        for name in ["vbn.weight", "vbn.bias"] {
            let g = vs.variables()[name].grad();
            assert!(g.defined() && g.abs().sum(Kind::Float).double_value(&[]) > 0.0);
        }
    }

    #[test]
    fn zero_reference_size_is_an_error() {
        let vs = nn::VarStore::new(Device::Cpu);
        assert!(VirtualBatchNorm::new(&vs.root(), 2, 0).is_err());
    }
}
