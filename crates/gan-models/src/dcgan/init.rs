//! DCGAN weight initialisation (Radford et al. 2016, PyTorch example's `weights_init`).

use tch::nn;

/// Standard deviation of the DCGAN initialisation.
pub const DCGAN_INIT_STD: f64 = 0.02;

/// Re-initialises, in place and without recording gradients, every variable of `vs`:
///
/// - convolution / transposed-convolution weights (any 4-D variable named `…weight`):
///   `N(0, 0.02)`;
/// - batch-norm and virtual-batch-norm layers (layer name starting with `bn` or `vbn`):
///   weight `N(1, 0.02)`, bias 0.
///
/// Variables are visited in name order, so a fixed torch seed gives fixed weights.
/// Everything else (linear layers, minibatch-discrimination tensors, embeddings, running
/// statistics, VBN reference noise) is left untouched. Returns the number of tensors
/// re-initialised.
pub fn init_dcgan_weights(vs: &nn::VarStore) -> usize {
    let mut count = 0;
    // `variables()` is a HashMap: sort by name so the draws, and hence the weights, are
    // the same for the same seed in every process.
    let mut vars: Vec<_> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    tch::no_grad(|| {
        for (name, mut t) in vars {
            let mut parts = name.rsplit('.');
            let leaf = parts.next().unwrap_or("");
            let layer = parts.next().unwrap_or("");
            let is_norm = layer.starts_with("bn") || layer.starts_with("vbn");
            match leaf {
                "weight" if is_norm => {
                    let _ = t.normal_(1.0, DCGAN_INIT_STD);
                }
                "bias" if is_norm => {
                    let _ = t.zero_();
                }
                "weight" if t.dim() == 4 => {
                    let _ = t.normal_(0.0, DCGAN_INIT_STD);
                }
                _ => continue,
            }
            count += 1;
        }
    });
    count
}
