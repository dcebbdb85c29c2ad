//! [`Activation`]: the element-wise non-linearities selectable from configs.

use serde::{Deserialize, Serialize};
use tch::Tensor;

pub use crate::leaky_relu::leaky_relu;

/// Negative slope of [`Activation::LeakyRelu`] (DCGAN guideline).
pub const LEAKY_RELU_SLOPE: f64 = 0.2;

/// An element-wise activation (serde: `relu | leaky_relu | tanh | elu | softplus |
/// sigmoid | none`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(x, 0)`.
    #[default]
    Relu,
    /// `x` for `x > 0`, `0.2 x` otherwise.
    LeakyRelu,
    /// Hyperbolic tangent.
    Tanh,
    /// Exponential linear unit (alpha 1).
    Elu,
    /// `ln(1 + eˣ)` (the hidden activation of Salimans et al.'s MNIST generator).
    Softplus,
    /// The logistic `1 / (1 + e⁻ˣ)`: a generator output in `[0, 1]`.
    Sigmoid,
    /// Identity.
    None,
}

impl Activation {
    /// Applies the activation.
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Relu => x.relu(),
            Activation::LeakyRelu => leaky_relu(x, LEAKY_RELU_SLOPE),
            Activation::Tanh => x.tanh(),
            Activation::Elu => x.elu(),
            Activation::Softplus => x.softplus(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::None => x.shallow_clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(tch::Kind::Double)).unwrap()
    }

    #[test]
    fn activations_match_hand_values() {
        let x = Tensor::from_slice(&[-2.0f32, 0.0, 3.0]);
        assert_eq!(values(&Activation::Relu.apply(&x)), vec![0.0, 0.0, 3.0]);
        let lr = values(&Activation::LeakyRelu.apply(&x));
        assert!((lr[0] + 0.4).abs() < 1e-6 && lr[1] == 0.0 && lr[2] == 3.0);
        let th = values(&Activation::Tanh.apply(&x));
        assert!((th[2] - 3f64.tanh()).abs() < 1e-6);
        let elu = values(&Activation::Elu.apply(&x));
        assert!((elu[0] - ((-2f64).exp() - 1.0)).abs() < 1e-6 && elu[2] == 3.0);
        assert_eq!(values(&Activation::None.apply(&x)), vec![-2.0, 0.0, 3.0]);
        let sp = values(&Activation::Softplus.apply(&x));
        assert!((sp[0] - (1.0 + (-2f64).exp()).ln()).abs() < 1e-6);
        assert!((sp[1] - 2f64.ln()).abs() < 1e-6);
        let sg = values(&Activation::Sigmoid.apply(&x));
        assert!((sg[1] - 0.5).abs() < 1e-7 && (sg[2] - 1.0 / (1.0 + (-3f64).exp())).abs() < 1e-6);
    }

    #[test]
    fn leaky_relu_gradient_is_slope_on_negative_side() {
        let x = Tensor::from_slice(&[-1.0f32, 2.0]).set_requires_grad(true);
        leaky_relu(&x, 0.2).sum(tch::Kind::Float).backward();
        let g = values(&x.grad());
        assert!((g[0] - 0.2).abs() < 1e-6 && (g[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn serde_names_are_snake_case() {
        #[derive(Deserialize)]
        struct W {
            a: Vec<Activation>,
        }
        let w: W = toml::from_str(
            r#"a = ["relu", "leaky_relu", "tanh", "elu", "softplus", "sigmoid", "none"]"#,
        )
        .unwrap();
        assert_eq!(
            w.a,
            vec![
                Activation::Relu,
                Activation::LeakyRelu,
                Activation::Tanh,
                Activation::Elu,
                Activation::Softplus,
                Activation::Sigmoid,
                Activation::None
            ]
        );
        assert!(toml::from_str::<W>(r#"a = ["swish"]"#).is_err());
    }
}
