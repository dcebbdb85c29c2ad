//! The layers an MLP is made of: [`Dense`], a linear map that is either plain
//! (`nn::Linear`) or weight-normalised ([`WeightNormLinear`]), chosen per layer by a
//! [`WeightNorm`] setting; and [`ShiftBatchNorm`], batch normalisation with a learned
//! shift and no scale (the generator of Salimans et al.'s MNIST semi-supervised GAN).

use serde::{Deserialize, Serialize};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

use crate::weight_norm::{DirectionInit, WeightNormLinear};

/// Which of an MLP's linear layers are weight-normalised (serde: `none | all | output`).
/// The output layer's scale is trained; hidden layers' scales are set by the
/// data-dependent initialisation and then fixed, as in OpenAI's `improved-gan`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum WeightNorm {
    /// Plain linear layers (PyTorch's default initialisation).
    #[default]
    None,
    /// Every layer (Salimans et al.'s MNIST discriminator).
    All,
    /// The output layer only (their generator's `l2normalize` on its last layer).
    Output,
}

impl WeightNorm {
    fn hidden(self) -> bool {
        self == WeightNorm::All
    }

    fn output(self) -> bool {
        self != WeightNorm::None
    }
}

/// One linear layer of an MLP.
#[derive(Debug)]
pub enum Dense {
    /// `nn::Linear` (with a bias, except before batch norm).
    Plain(nn::Linear),
    /// A weight-normalised layer.
    Normalized(WeightNormLinear),
}

impl Dense {
    /// The `k`-th hidden layer `in_dim → out_dim` under `p / "fc{k}"`; a weight-normed
    /// one draws its directions with `v_init`.
    pub fn hidden(
        p: &nn::Path,
        k: usize,
        (in_dim, out_dim): (i64, i64),
        wn: WeightNorm,
        v_init: DirectionInit,
    ) -> Self {
        let normed = wn.hidden().then_some(v_init);
        Self::build(&(p / format!("fc{k}")), in_dim, out_dim, normed, false)
    }

    /// The `k`-th hidden layer of a batch-normed generator: plain, Glorot-uniform, no
    /// bias (batch norm's shift replaces it), as Lasagne's `DenseLayer` under
    /// `improved-gan`'s `batch_norm`.
    pub fn hidden_before_batch_norm(p: &nn::Path, k: usize, (in_dim, out_dim): (i64, i64)) -> Self {
        let config = nn::LinearConfig {
            ws_init: crate::weight_norm::glorot_direction_init(in_dim, out_dim),
            bs_init: None,
            bias: false,
        };
        Dense::Plain(nn::linear(p / format!("fc{k}"), in_dim, out_dim, config))
    }

    /// The output layer under `p / "out"`.
    pub fn output(
        p: &nn::Path,
        (in_dim, out_dim): (i64, i64),
        wn: WeightNorm,
        v_init: DirectionInit,
    ) -> Self {
        let normed = wn.output().then_some(v_init);
        Self::build(&(p / "out"), in_dim, out_dim, normed, true)
    }

    fn build(
        p: &nn::Path,
        in_dim: i64,
        out_dim: i64,
        normed: Option<DirectionInit>,
        train_scale: bool,
    ) -> Self {
        if let Some(v_init) = normed {
            Dense::Normalized(WeightNormLinear::with_direction_init(
                p,
                in_dim,
                out_dim,
                train_scale,
                v_init,
            ))
        } else {
            Dense::Plain(nn::linear(p, in_dim, out_dim, Default::default()))
        }
    }

    /// The plain layer, if it is one (the functional forward of unrolled GANs needs it).
    pub fn as_plain(&self) -> Option<&nn::Linear> {
        match self {
            Dense::Plain(l) => Some(l),
            Dense::Normalized(_) => None,
        }
    }

    /// Data-dependent initialisation on `x` when weight-normalised (returns the new
    /// output, standardised per unit); a plain layer just computes its output.
    pub fn initialize_from(&self, x: &Tensor) -> Tensor {
        match self {
            Dense::Plain(l) => tch::no_grad(|| l.forward(x)),
            Dense::Normalized(l) => l.initialize_from(x),
        }
    }

    /// Whether the layer is weight-normalised.
    pub fn is_normalized(&self) -> bool {
        matches!(self, Dense::Normalized(_))
    }
}

impl Module for Dense {
    fn forward(&self, x: &Tensor) -> Tensor {
        match self {
            Dense::Plain(l) => l.forward(x),
            Dense::Normalized(l) => l.forward(x),
        }
    }
}

/// Batch norm over `[N, F]` without a scale: `(x − μ_B) / √(σ²_B + ε) + β`, with running
/// statistics for evaluation. Variables: `bn.running_mean`, `bn.running_var` (buffers) and
/// `shift` (β, trained), under the builder's path.
#[derive(Debug)]
pub struct ShiftBatchNorm {
    bn: nn::BatchNorm,
    shift: Tensor,
}

/// ε of [`ShiftBatchNorm`] (`improved-gan`'s `BatchNormLayer`).
pub const SHIFT_BATCH_NORM_EPS: f64 = 1e-6;

impl ShiftBatchNorm {
    /// A layer over `dim` features under `p`.
    pub fn new(p: &nn::Path, dim: i64) -> Self {
        let config = nn::BatchNormConfig {
            affine: false,
            eps: SHIFT_BATCH_NORM_EPS,
            ..Default::default()
        };
        ShiftBatchNorm {
            bn: nn::batch_norm1d(p / "bn", dim, config),
            shift: p.zeros("shift", &[dim]),
        }
    }
}

impl ModuleT for ShiftBatchNorm {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        self.bn.forward_t(x, train) + &self.shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    #[test]
    fn weight_norm_setting_picks_layers() {
        let vs = VarStore::new(Device::Cpu);
        let p = vs.root();
        let v = crate::weight_norm::normal_direction_init;
        assert!(!Dense::hidden(&p, 0, (3, 4), WeightNorm::Output, v).is_normalized());
        assert!(Dense::output(&p, (4, 2), WeightNorm::Output, v).is_normalized());
        assert!(Dense::hidden(&p, 1, (3, 4), WeightNorm::All, v).is_normalized());
        assert!(!Dense::output(&(&p / "x"), (4, 2), WeightNorm::None, v).is_normalized());
        assert_eq!(
            toml::from_str::<std::collections::HashMap<String, WeightNorm>>("a = \"all\"").unwrap()
                ["a"],
            WeightNorm::All
        );
    }

    #[test]
    fn shift_batch_norm_standardises_then_shifts() {
        tch::manual_seed(0);
        let vs = VarStore::new(Device::Cpu);
        let bn = ShiftBatchNorm::new(&vs.root(), 3);
        tch::no_grad(|| {
            vs.variables()
                .get_mut("shift")
                .unwrap()
                .copy_(&Tensor::from_slice(&[1.0f32, -2.0, 0.5]))
        });
        let x = Tensor::randn([64, 3], (Kind::Float, Device::Cpu)) * 5.0 + 3.0;
        let y = bn.forward_t(&x, true);
        let mean = y.mean_dim(0, false, Kind::Float);
        let expected = Tensor::from_slice(&[1.0f32, -2.0, 0.5]);
        assert!((mean - expected).abs().max().double_value(&[]) < 1e-4);
        let std = y.std_dim(0, false, false);
        assert!((std - 1.0).abs().max().double_value(&[]) < 1e-3);
        // Only the shift is trained.
        assert_eq!(vs.trainable_variables().len(), 1);
    }
}
