//! Channels-last (NHWC) memory layout for convolutional networks.
//!
//! A tensor's logical shape stays `[N, C, H, W]`; only its strides change, so that the
//! channels of one pixel sit next to each other in memory. libtorch's CPU convolutions
//! (oneDNN) and batch norm then run on that layout directly instead of reordering every
//! input and output between the plain layout and their own: 9–14 % of a DCGAN step on one
//! CPU thread (BENCHMARKS.md). Converting a network's 4-D weights is enough: a convolution
//! whose weight is channels-last gives a channels-last output, so the layout propagates
//! through the whole network.
//!
//! tch 0.26 has no memory-format API, so the layout is made with strides: permuting to
//! NHWC, making that contiguous and permuting back gives exactly the tensor that PyTorch's
//! `x.contiguous(memory_format=torch.channels_last)` gives.

use tch::{nn, Tensor};

/// `x` (4-D) with channels-last strides and the same values; other ranks are returned
/// as they are.
pub fn channels_last(x: &Tensor) -> Tensor {
    if x.dim() != 4 {
        return x.shallow_clone();
    }
    x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
}

/// Whether `x` is 4-D and laid out channels-last.
pub fn is_channels_last(x: &Tensor) -> bool {
    if x.dim() != 4 {
        return false;
    }
    let (size, stride) = (x.size(), x.stride());
    let (c, h, w) = (size[1], size[2], size[3]);
    // Dimensions of size 1 may have any stride.
    let ok = |dim: usize, expected: i64| size[dim] == 1 || stride[dim] == expected;
    ok(1, 1) && ok(3, c) && ok(2, c * w) && ok(0, c * w * h)
}

/// Re-lays out every 4-D variable of `vs` (convolution and transposed-convolution
/// weights) channels-last, in place: the variables keep their identity, values and
/// `requires_grad`, so call it before building the optimizers, which allocate their
/// moments with each parameter's layout. Returns how many variables were converted.
pub fn to_channels_last(vs: &nn::VarStore) -> usize {
    let mut count = 0;
    tch::no_grad(|| {
        for (_, mut v) in vs.variables() {
            if v.dim() == 4 && !is_channels_last(&v) {
                let relaid = channels_last(&v.detach());
                v.set_data(&relaid);
                count += 1;
            }
        }
    });
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::Module;
    use tch::{Device, Kind};

    #[test]
    fn strides_change_values_do_not() {
        let x = Tensor::arange(2 * 3 * 4 * 5, (Kind::Float, Device::Cpu)).reshape([2, 3, 4, 5]);
        let y = channels_last(&x);
        assert_eq!(y.size(), vec![2, 3, 4, 5]);
        assert_eq!(y.stride(), vec![60, 1, 15, 3]);
        assert!(is_channels_last(&y) && !is_channels_last(&x));
        assert!(y.equal(&x));
        // Not 4-D: untouched.
        assert_eq!(channels_last(&x.flatten(0, 1)).stride(), vec![20, 5, 1]);
        assert!(!is_channels_last(&x.flatten(0, 1)));
    }

    #[test]
    fn converting_a_var_store_keeps_the_network_function_and_its_gradients() {
        tch::manual_seed(2);
        let vs = nn::VarStore::new(Device::Cpu);
        let conv_cfg = nn::ConvConfig {
            stride: 2,
            padding: 1,
            ..Default::default()
        };
        let conv = nn::conv2d(vs.root() / "conv", 3, 8, 4, conv_cfg);
        let x = Tensor::randn([2, 3, 8, 8], tch::kind::FLOAT_CPU);
        let before = conv.forward(&x);
        assert_eq!(
            to_channels_last(&vs),
            1,
            "the weight only (the bias is 1-D)"
        );
        assert_eq!(to_channels_last(&vs), 0, "already converted");
        assert!(is_channels_last(&conv.ws) && conv.ws.requires_grad());
        let after = conv.forward(&x);
        assert!(
            is_channels_last(&after),
            "the layout propagates to the output"
        );
        let diff = (&after - &before).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "outputs differ by {diff}");
        after.sum(Kind::Float).backward();
        let grad = conv.ws.grad();
        assert!(grad.defined() && is_channels_last(&grad));
        // The variable is still the one the var store holds.
        let stored = vs.variables()["conv.weight"].shallow_clone();
        assert_eq!(stored.data_ptr(), conv.ws.data_ptr());
    }
}
