//! Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training GANs").
//!
//! Given features `f ∈ R^{N×A}` and a learned tensor `T ∈ R^{A×B×C}`:
//! `M_i = f_i · T` reshaped to `[B, C]`; `c_b(i, j) = exp(−‖M_{i,b} − M_{j,b}‖₁)`;
//! `o(x_i)_b = Σ_j c_b(i, j)` (the sum runs over the whole batch *including* `j = i`, which
//! contributes exactly 1, as in the reference TensorFlow snippet); the layer outputs
//! `concat([f, o])` of width `A + B`.

use crate::error::{ensure_positive, Result};
use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

/// Standard deviation of the `N(0, σ)` initialisation of `T` (the value used by Salimans
/// et al.'s reference code). Small enough that `exp(−L1)` does not underflow at init.
pub const MINIBATCH_INIT_STD: f64 = 0.05;

fn default_kernels() -> i64 {
    5
}

fn default_kernel_dim() -> i64 {
    3
}

/// Configuration of a [`MinibatchDiscrimination`] layer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MinibatchDiscriminationConfig {
    /// Number of kernels `B` (extra output features). Default 5.
    #[serde(default = "default_kernels")]
    pub kernels: i64,
    /// Dimension `C` of each kernel. Default 3.
    #[serde(default = "default_kernel_dim")]
    pub kernel_dim: i64,
}

impl Default for MinibatchDiscriminationConfig {
    fn default() -> Self {
        MinibatchDiscriminationConfig {
            kernels: default_kernels(),
            kernel_dim: default_kernel_dim(),
        }
    }
}

impl MinibatchDiscriminationConfig {
    /// Checks that both sizes are positive.
    pub fn validate(&self) -> Result<()> {
        crate::spec::ensure_layer_width("minibatch_discrimination.kernels", self.kernels)?;
        crate::spec::ensure_layer_width("minibatch_discrimination.kernel_dim", self.kernel_dim)
    }
}

/// A minibatch-discrimination layer: `[N, A] → [N, A + B]`.
#[derive(Debug)]
pub struct MinibatchDiscrimination {
    t: Tensor,
    in_dim: i64,
    kernels: i64,
}

impl MinibatchDiscrimination {
    /// Creates the layer with its tensor `T` (`[A, B, C]`) stored as `p / "T"`, initialised
    /// `N(0, MINIBATCH_INIT_STD)`.
    pub fn new(p: &nn::Path, in_dim: i64, config: &MinibatchDiscriminationConfig) -> Result<Self> {
        config.validate()?;
        ensure_positive("minibatch_discrimination input width", in_dim)?;
        let t = p.randn(
            "T",
            &[in_dim, config.kernels, config.kernel_dim],
            0.0,
            MINIBATCH_INIT_STD,
        );
        Ok(MinibatchDiscrimination {
            t,
            in_dim,
            kernels: config.kernels,
        })
    }

    /// Input width `A`.
    pub fn in_dim(&self) -> i64 {
        self.in_dim
    }

    /// Output width `A + B`.
    pub fn out_dim(&self) -> i64 {
        self.in_dim + self.kernels
    }

    /// The learned tensor `T` (`[A, B, C]`).
    pub fn weight(&self) -> &Tensor {
        &self.t
    }

    /// Applies the layer with its stored `T`.
    pub fn forward(&self, f: &Tensor) -> Tensor {
        minibatch_discrimination(f, &self.t)
    }
}

/// Functional minibatch discrimination: `concat([f, o(f; t)])` for `f: [N, A]`,
/// `t: [A, B, C]`; returns `[N, A + B]`.
pub fn minibatch_discrimination(f: &Tensor, t: &Tensor) -> Tensor {
    let o = minibatch_similarity(f, t);
    Tensor::cat(&[f.shallow_clone(), o], 1)
}

/// The similarity features `o(f; t)` alone, `[N, B]`.
pub fn minibatch_similarity(f: &Tensor, t: &Tensor) -> Tensor {
    let size = t.size();
    let (a, b, c) = (size[0], size[1], size[2]);
    let m = f.matmul(&t.reshape([a, b * c])).reshape([-1, b, c]); // [N, B, C]
    let diffs = m.unsqueeze(0) - m.unsqueeze(1); // [N, N, B, C]
    let l1 = diffs.abs().sum_dim_intlist(3, false, Kind::Float); // [N, N, B]
    l1.neg().exp().sum_dim_intlist(1, false, Kind::Float) // [N, B]
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn to_vec2(t: &Tensor) -> Vec<Vec<f64>> {
        Vec::<Vec<f64>>::try_from(t.to_kind(Kind::Double)).unwrap()
    }

    /// N = 3, A = 2, B = 1, C = 2 with T[:, 0, :] = [[2, 0], [0, 1]], so M_i = (2 f_i1, f_i2).
    #[test]
    fn matches_hand_computed_example() {
        let f = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 2.0, 0.0, 1.0]).reshape([3, 2]);
        let t = Tensor::from_slice(&[2.0f32, 0.0, 0.0, 1.0]).reshape([2, 1, 2]);
        // M1 = (0, 0), M2 = (2, 2), M3 = (0, 1): d12 = 4, d13 = 1, d23 = 3.
        let e = |d: f64| (-d).exp();
        let expected = [
            [0.0, 0.0, 1.0 + e(4.0) + e(1.0)],
            [1.0, 2.0, 1.0 + e(4.0) + e(3.0)],
            [0.0, 1.0, 1.0 + e(1.0) + e(3.0)],
        ];
        let out = to_vec2(&minibatch_discrimination(&f, &t));
        assert_eq!(out.len(), 3);
        for (row, exp_row) in out.iter().zip(expected.iter()) {
            assert_eq!(row.len(), 3);
            for (v, e) in row.iter().zip(exp_row.iter()) {
                assert!((v - e).abs() < 1e-6, "{out:?} vs {expected:?}");
            }
        }
    }

    /// A zero kernel makes every pair identical, so that kernel's feature is N.
    #[test]
    fn zero_kernel_counts_batch_size() {
        let f = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 2.0]).reshape([2, 2]);
        // B = 2: kernel 0 is the identity, kernel 1 is zero.
        let t = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]).reshape([2, 2, 2]);
        let o = to_vec2(&minibatch_similarity(&f, &t));
        let c = 1.0 + (-3.0f64).exp();
        for row in &o {
            assert!((row[0] - c).abs() < 1e-6);
            assert!((row[1] - 2.0).abs() < 1e-6);
        }
    }

    #[test]
    fn layer_shapes_and_gradients() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MinibatchDiscriminationConfig {
            kernels: 4,
            kernel_dim: 3,
        };
        let layer = MinibatchDiscrimination::new(&(vs.root() / "mbd"), 6, &cfg).unwrap();
        assert_eq!(layer.weight().size(), vec![6, 4, 3]);
        assert_eq!(layer.out_dim(), 10);
        let f = Tensor::randn([5, 6], tch::kind::FLOAT_CPU);
        let out = layer.forward(&f);
        assert_eq!(out.size(), vec![5, 10]);
        out.sum(Kind::Float).backward();
        let g = layer.weight().grad();
        assert!(g.defined());
        assert!(g.abs().sum(Kind::Float).double_value(&[]) > 0.0);
        assert!(vs.variables().contains_key("mbd.T"));
    }

    #[test]
    fn bad_config_is_an_error() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MinibatchDiscriminationConfig {
            kernels: 0,
            kernel_dim: 3,
        };
        assert!(MinibatchDiscrimination::new(&vs.root(), 4, &cfg).is_err());
    }

    #[test]
    fn serde_defaults() {
        let cfg: MinibatchDiscriminationConfig = toml::from_str("").unwrap();
        assert_eq!(cfg, MinibatchDiscriminationConfig::default());
        assert!(toml::from_str::<MinibatchDiscriminationConfig>("kernel = 3").is_err());
    }
}
