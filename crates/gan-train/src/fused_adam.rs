//! One fused Adam update over many parameters, on ATen's `_fused_adam_` kernel.
//!
//! tch 0.26 binds no list ("foreach" / fused) optimizer kernels, and Adam written with
//! single-tensor ops (what [`crate::Optimizer`] did, and what `torch.optim.Adam` does by
//! default on CPU) reads and writes every parameter, gradient and moment several times per
//! step: 11 ms of a 180 ms DCGAN-32 step on one CPU thread, against under 1 ms fused
//! (BENCHMARKS.md). `csrc/fused_adam.cpp`, compiled by `build.rs` against the same
//! libtorch, calls the kernel that `torch.optim.Adam(fused=True)` uses.

use std::ffi::{c_char, c_int, CStr};

use tch::{TchError, Tensor};
use torch_sys::C_tensor;

extern "C" {
    fn gan_fused_adam_(
        params: *const *mut C_tensor,
        grads: *const *mut C_tensor,
        exp_avgs: *const *mut C_tensor,
        exp_avg_sqs: *const *mut C_tensor,
        n: c_int,
        step: f64,
        lr: f64,
        beta1: f64,
        beta2: f64,
        weight_decay: f64,
        eps: f64,
        error: *mut *mut c_char,
    ) -> c_int;
    fn gan_fused_adam_free_error(error: *mut c_char);
}

/// Adam's hyper-parameters for one update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct AdamStep {
    /// The update's number, from 1 (bias correction).
    pub step: u64,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub weight_decay: f64,
    pub eps: f64,
}

/// One tensor of each list per parameter: the parameter, its gradient and Adam's two
/// moments. All four lists must have the same length.
pub(crate) struct AdamTensors<'a> {
    pub params: Vec<&'a Tensor>,
    pub grads: Vec<Tensor>,
    pub exp_avgs: Vec<&'a Tensor>,
    pub exp_avg_sqs: Vec<&'a Tensor>,
}

/// Whether `x` covers one gap-free block of memory (any dimension order): sorted by
/// stride, each dimension's stride is the product of the sizes below it.
fn is_dense(x: &Tensor) -> bool {
    let mut dims: Vec<(i64, i64)> = x
        .size()
        .into_iter()
        .zip(x.stride())
        .filter(|&(size, _)| size != 1)
        .map(|(size, stride)| (stride, size))
        .collect();
    dims.sort_unstable();
    let mut expected = 1;
    for (stride, size) in dims {
        if stride != expected {
            return false;
        }
        expected *= size;
    }
    true
}

/// Why the tensors cannot go to the fused kernel, if they cannot. ATen's CPU kernel walks
/// each tensor's memory as one dense array of the parameter's length and checks neither
/// strides nor sizes: a strided view, or a gradient of another shape or layout, would be
/// updated wrongly without an error. So every tensor must be dense, of the parameter's
/// shape, strides (plain or channels-last, the same for all four) and floating kind, and on
/// the first parameter's device.
pub(crate) fn unfusable(t: &AdamTensors<'_>) -> Option<String> {
    let n = t.params.len();
    if t.grads.len() != n || t.exp_avgs.len() != n || t.exp_avg_sqs.len() != n {
        return Some("lists of different lengths".into());
    }
    let device = t.params.first()?.device();
    for i in 0..n {
        let p = t.params[i];
        let (size, stride) = (p.size(), p.stride());
        let kind = p.kind();
        if !p.is_floating_point() {
            return Some(format!("parameter {i} is {kind:?}, not floating point"));
        }
        for (what, x) in [
            ("parameter", p),
            ("gradient", &t.grads[i]),
            ("first moment", t.exp_avgs[i]),
            ("second moment", t.exp_avg_sqs[i]),
        ] {
            if !x.defined() || x.size() != size || x.kind() != kind || x.device() != device {
                return Some(format!(
                    "{what} {i} does not match its parameter's shape, kind and device"
                ));
            }
            if !is_dense(x) || x.stride() != stride {
                return Some(format!(
                    "{what} {i} is not dense with its parameter's strides"
                ));
            }
        }
    }
    None
}

/// Updates every parameter and both moments in place. Tensors the kernel cannot take
/// ([`unfusable`]) are an error before anything changes; so is any error libtorch raises.
/// Call under `no_grad`.
pub(crate) fn fused_adam_step(t: &AdamTensors<'_>, h: AdamStep) -> Result<(), TchError> {
    if let Some(reason) = unfusable(t) {
        return Err(TchError::Kind(format!("fused Adam: {reason}")));
    }
    let n = t.params.len();
    // The shim only reads through these pointers; it never takes ownership.
    let ptrs = |ts: &[&Tensor]| -> Vec<*mut C_tensor> {
        ts.iter().map(|t| t.as_ptr() as *mut C_tensor).collect()
    };
    let grads: Vec<&Tensor> = t.grads.iter().collect();
    let (p, g, m, v) = (
        ptrs(&t.params),
        ptrs(&grads),
        ptrs(&t.exp_avgs),
        ptrs(&t.exp_avg_sqs),
    );
    let mut error = std::ptr::null_mut();
    // SAFETY: every pointer is a live tensor handle borrowed for the call (the vectors
    // above outlive it); the shim updates the tensors in place, keeps no pointer, and on
    // failure sets `error` to a string it allocated, freed below.
    let status = unsafe {
        gan_fused_adam_(
            p.as_ptr(),
            g.as_ptr(),
            m.as_ptr(),
            v.as_ptr(),
            n as c_int,
            h.step as f64,
            h.lr,
            h.beta1,
            h.beta2,
            h.weight_decay,
            h.eps,
            &mut error,
        )
    };
    if status == 0 {
        return Ok(());
    }
    // SAFETY: on failure the shim set `error` to a NUL-terminated string or left it null.
    let message = unsafe {
        if error.is_null() {
            "fused Adam failed without a message".to_owned()
        } else {
            let m = CStr::from_ptr(error).to_string_lossy().into_owned();
            gan_fused_adam_free_error(error);
            m
        }
    };
    Err(TchError::Torch(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn first_step_moves_each_parameter_by_lr_against_its_gradient_sign() {
        // At step 1, m̂ = g and v̂ = g², so the update is lr·g/(|g| + ε) ≈ lr·sign(g).
        let p = Tensor::from_slice(&[1.0f64, -2.0, 0.5]);
        let m = p.zeros_like();
        let v = p.zeros_like();
        let grads = vec![Tensor::from_slice(&[0.3f64, -4.0, 0.0])];
        let h = hyper();
        let t = AdamTensors {
            params: vec![&p],
            grads,
            exp_avgs: vec![&m],
            exp_avg_sqs: vec![&v],
        };
        tch::no_grad(|| fused_adam_step(&t, h)).unwrap();
        let got = Vec::<f64>::try_from(&p).unwrap();
        assert!(
            (got[0] - 0.9).abs() < 1e-6 && (got[1] + 1.9).abs() < 1e-6,
            "{got:?}"
        );
        assert_eq!(got[2], 0.5, "a zero gradient does not move the parameter");
        let m = Vec::<f64>::try_from(&m).unwrap();
        assert!((m[0] - 0.03).abs() < 1e-12 && (m[1] + 0.4).abs() < 1e-12);
        let v = Vec::<f64>::try_from(&v).unwrap();
        assert!((v[1] - 0.016).abs() < 1e-12);
    }

    fn hyper() -> AdamStep {
        AdamStep {
            step: 1,
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            weight_decay: 0.0,
            eps: 1e-8,
        }
    }

    #[test]
    fn channels_last_parameters_are_fused_like_plain_ones() {
        // Same values, one plain and one channels-last (NHWC strides) parameter: the same
        // update, element for element.
        tch::manual_seed(4);
        let init = Tensor::randn([2, 3, 2, 2], tch::kind::FLOAT_CPU);
        let grad = Tensor::randn([2, 3, 2, 2], tch::kind::FLOAT_CPU);
        let cl = |x: &Tensor| x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2]);
        let plain = init.copy();
        let nhwc = cl(&init);
        assert_ne!(plain.stride(), nhwc.stride());
        let (m1, v1) = (plain.zeros_like(), plain.zeros_like());
        let (m2, v2) = (nhwc.zeros_like(), nhwc.zeros_like());
        assert_eq!(m2.stride(), nhwc.stride(), "zeros_like keeps the layout");
        let t = AdamTensors {
            params: vec![&plain, &nhwc],
            grads: vec![grad.copy(), cl(&grad)],
            exp_avgs: vec![&m1, &m2],
            exp_avg_sqs: vec![&v1, &v2],
        };
        assert_eq!(unfusable(&t), None);
        tch::no_grad(|| fused_adam_step(&t, hyper())).unwrap();
        assert!(plain.equal(&nhwc) && !plain.equal(&init));
        // A gradient in the other layout is refused (the kernel would mix elements up).
        let t = AdamTensors {
            params: vec![&nhwc],
            grads: vec![grad.copy()],
            exp_avgs: vec![&m2],
            exp_avg_sqs: vec![&v2],
        };
        assert!(unfusable(&t).unwrap().contains("not dense"));
    }

    #[test]
    fn tensors_the_kernel_would_corrupt_are_refused_before_any_update() {
        let p = Tensor::ones([2], (Kind::Float, Device::Cpu));
        let (m, v) = (p.zeros_like(), p.zeros_like());
        let strided = Tensor::ones([4], (Kind::Float, Device::Cpu));
        let view = strided.slice(0, 0, 4, 2); // 2 elements, stride 2
        let (vm, vv) = (view.zeros_like(), view.zeros_like());
        let ints = Tensor::ones([2], (Kind::Int64, Device::Cpu));
        let (im, iv) = (ints.zeros_like(), ints.zeros_like());
        let cases: Vec<(AdamTensors, &str)> = vec![
            (
                AdamTensors {
                    params: vec![&p, &view],
                    grads: vec![p.ones_like(), view.ones_like()],
                    exp_avgs: vec![&m, &vm],
                    exp_avg_sqs: vec![&v, &vv],
                },
                "not dense",
            ),
            (
                AdamTensors {
                    params: vec![&p],
                    grads: vec![Tensor::ones([3], (Kind::Float, Device::Cpu))],
                    exp_avgs: vec![&m],
                    exp_avg_sqs: vec![&v],
                },
                "shape",
            ),
            (
                AdamTensors {
                    params: vec![&p, &ints],
                    grads: vec![p.ones_like(), ints.ones_like()],
                    exp_avgs: vec![&m, &im],
                    exp_avg_sqs: vec![&v, &iv],
                },
                "not floating point",
            ),
            (
                AdamTensors {
                    params: vec![&p],
                    grads: vec![],
                    exp_avgs: vec![&m],
                    exp_avg_sqs: vec![&v],
                },
                "different lengths",
            ),
        ];
        for (t, expected) in cases {
            let err = tch::no_grad(|| fused_adam_step(&t, hyper()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
        assert_eq!(Vec::<f32>::try_from(&p).unwrap(), vec![1.0, 1.0]);
        assert_eq!(Vec::<f32>::try_from(&strided).unwrap(), vec![1.0; 4]);
    }
}
