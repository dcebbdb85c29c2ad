//! DCGAN weight initialisation (Radford et al. 2016, PyTorch example's `weights_init`),
//! given to each layer as it is built: convolution weights `N(0, 0.02)`, batch-norm
//! scales `N(1, 0.02)` and shifts 0. Linear layers, embeddings, minibatch-discrimination
//! tensors and running statistics keep their own initialisation.

use tch::nn;

/// Standard deviation of the DCGAN initialisation.
pub const DCGAN_INIT_STD: f64 = 0.02;

/// The DCGAN initialisation of a convolution or transposed-convolution weight:
/// `N(0, 0.02)`. DCGAN layers are built with it (their biases keep tch's default).
pub fn conv_weight_init() -> nn::Init {
    nn::Init::Randn {
        mean: 0.0,
        stdev: DCGAN_INIT_STD,
    }
}

/// The DCGAN initialisation of a (virtual) batch-norm scale: `N(1, 0.02)`; the shift
/// starts at 0.
pub fn norm_weight_init() -> nn::Init {
    nn::Init::Randn {
        mean: 1.0,
        stdev: DCGAN_INIT_STD,
    }
}

/// Batch norm as DCGAN builds it: scale `N(1, 0.02)`, shift 0, PyTorch's momentum and eps.
pub fn dcgan_batch_norm_config() -> nn::BatchNormConfig {
    nn::BatchNormConfig {
        ws_init: norm_weight_init(),
        bs_init: nn::Init::Const(0.0),
        ..Default::default()
    }
}
