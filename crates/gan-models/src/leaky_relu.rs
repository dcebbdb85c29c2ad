//! LeakyReLU with a chosen negative slope, on ATen's own kernel.
//!
//! tch 0.26 binds `leaky_relu` only at the default slope 0.01 (its generated C API drops
//! scalar arguments that have defaults), and the DCGAN guideline slope is 0.2. The two
//! expressions tch does allow are slower: `prelu` with a constant weight (its backward also
//! computes the weight's gradient, a full-size product and a reduction, every call) and
//! `where(x > 0, x, slope·x)` (three kernels and temporaries each way). So `csrc/activation.cpp`
//! (compiled by `build.rs` against the same libtorch) calls `at::leaky_relu` through the
//! dispatcher: autograd records it exactly as `torch.nn.functional.leaky_relu` in PyTorch,
//! one kernel forward and one backward, differentiable twice (gradient penalty, unrolled GAN).
//! Measured against the `prelu` form in BENCHMARKS.md.

use std::ffi::{c_char, c_int, CStr};

use tch::{TchError, Tensor};
use torch_sys::C_tensor;

extern "C" {
    fn gan_leaky_relu(x: *const C_tensor, slope: f64, error: *mut *mut c_char) -> *mut C_tensor;
    fn gan_leaky_relu_(x: *mut C_tensor, slope: f64, error: *mut *mut c_char) -> c_int;
    fn gan_free_error(error: *mut c_char);
}

/// Takes ownership of a message written by the shim.
///
/// # Safety
/// `error` is null or a NUL-terminated string allocated by the shim, not yet freed.
unsafe fn take_error(error: *mut c_char) -> TchError {
    if error.is_null() {
        return TchError::Torch("leaky_relu failed without a message".to_owned());
    }
    let message = CStr::from_ptr(error).to_string_lossy().into_owned();
    gan_free_error(error);
    TchError::Torch(message)
}

/// `x` where `x > 0`, `slope · x` elsewhere, as a new tensor; the error libtorch raised
/// otherwise (e.g. an integer tensor).
pub fn f_leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor, TchError> {
    let mut error = std::ptr::null_mut();
    // SAFETY: `x.as_ptr()` is a live tensor handle for the duration of the call; the shim
    // returns either a new owned handle (handed to `from_ptr`, which frees it on drop) or
    // null with `error` set, never both.
    unsafe {
        let out = gan_leaky_relu(x.as_ptr(), slope, &mut error);
        if out.is_null() {
            Err(take_error(error))
        } else {
            Ok(Tensor::from_ptr(out))
        }
    }
}

/// [`f_leaky_relu`], panicking on a libtorch error as tch's own non-`f_` methods do.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Tensor {
    f_leaky_relu(x, slope).unwrap_or_else(|e| panic!("leaky_relu: {e}"))
}

/// In-place [`f_leaky_relu`]: overwrites `x`. Saves the output allocation where nothing
/// else needs `x` (a convolution's or batch norm's output); autograd refuses it, with an
/// error, where the overwritten value is needed for a backward pass.
pub fn f_leaky_relu_(x: &mut Tensor, slope: f64) -> Result<(), TchError> {
    let mut error = std::ptr::null_mut();
    // SAFETY: `x` is a live, exclusively borrowed tensor handle; the shim only modifies the
    // tensor it points to and sets `error` on failure.
    unsafe {
        if gan_leaky_relu_(x.as_mut_ptr(), slope, &mut error) == 0 {
            Ok(())
        } else {
            Err(take_error(error))
        }
    }
}

/// [`f_leaky_relu_`], panicking on a libtorch error.
pub fn leaky_relu_(x: &mut Tensor, slope: f64) {
    f_leaky_relu_(x, slope).unwrap_or_else(|e| panic!("leaky_relu_: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn where_form(x: &Tensor, slope: f64) -> Tensor {
        x.where_self(&x.gt(0.0), &(x * slope))
    }

    #[test]
    fn values_match_hand_computed_ones() {
        let x = Tensor::from_slice(&[-2.0f32, -0.5, 0.0, 3.0]);
        let y = Vec::<f32>::try_from(leaky_relu(&x, 0.2)).unwrap();
        assert_eq!(y, vec![-0.4, -0.1, 0.0, 3.0]);
        // 0-d tensors are fine too (prelu rejects them).
        let s = leaky_relu(&Tensor::from(-1.5f64), 0.2);
        assert!((s.double_value(&[]) + 0.3).abs() < 1e-12);
    }

    #[test]
    fn equals_the_where_form_in_values_and_gradients() {
        tch::manual_seed(5);
        for shape in [vec![3i64, 4, 5, 5], vec![7], vec![]] {
            let base = Tensor::randn(shape.as_slice(), tch::kind::FLOAT_CPU);
            let a = base.copy().set_requires_grad(true);
            let b = base.copy().set_requires_grad(true);
            let ya = leaky_relu(&a, 0.2);
            let yb = where_form(&b, 0.2);
            assert_eq!(ya, yb, "{shape:?}");
            (&ya * &base).sum(Kind::Float).backward();
            (&yb * &base).sum(Kind::Float).backward();
            assert_eq!(a.grad(), b.grad(), "{shape:?}");
        }
    }

    #[test]
    fn in_place_form_overwrites_and_backpropagates() {
        let x = Tensor::from_slice(&[-1.0f64, 2.0]).set_requires_grad(true);
        // A non-leaf, as after a convolution: in-place on a leaf that requires grad is an error.
        let mut h = &x * 1.0;
        leaky_relu_(&mut h, 0.2);
        assert_eq!(Vec::<f64>::try_from(&h).unwrap(), vec![-0.2, 2.0]);
        h.sum(Kind::Double).backward();
        assert_eq!(Vec::<f64>::try_from(x.grad()).unwrap(), vec![0.2, 1.0]);
    }

    #[test]
    fn second_derivative_flows_through_the_gradient() {
        // d/dw of ‖∂/∂x Σ leaky(w·x)‖² = d/dw Σ (s_i·w)² = 2w Σ s_i², s_i = 1 or 0.2.
        let x = Tensor::from_slice(&[-1.0f64, 2.0]).set_requires_grad(true);
        let w = Tensor::from(3.0f64).set_requires_grad(true);
        let y = leaky_relu(&(&x * &w), 0.2).sum(Kind::Double);
        let gx = Tensor::run_backward(&[&y], &[&x], true, true).remove(0);
        let penalty = gx.square().sum(Kind::Double);
        let gw = Tensor::run_backward(&[&penalty], &[&w], false, false).remove(0);
        assert!((gw.double_value(&[]) - 2.0 * 3.0 * (0.04 + 1.0)).abs() < 1e-12);
    }

    #[test]
    fn libtorch_errors_come_back_as_errors() {
        let ints = Tensor::from_slice(&[1i64, -2]);
        let err = f_leaky_relu(&ints, 0.2).unwrap_err().to_string();
        assert!(err.to_lowercase().contains("leaky"), "{err}");
        // In place on a leaf that requires grad: autograd refuses, no panic or abort.
        let mut leaf = Tensor::zeros([2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let err = f_leaky_relu_(&mut leaf, 0.2).unwrap_err().to_string();
        assert!(err.contains("leaf"), "{err}");
    }
}
