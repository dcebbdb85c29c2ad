//! Mixed precision (`train.precision`): [`MixedPrecision`] is the [`Precision`] seam's
//! implementation for bf16 and fp16.
//!
//! - The networks' training forward passes run inside a libtorch autocast region
//!   (`csrc/autocast.cpp`, the state `torch.autocast(device, dtype)` sets): convolutions,
//!   linear layers and matmuls run in bf16/fp16 on fp32 weights (cast once per region and
//!   cached), everything else in its input's type.
//! - The networks' outputs are cast back to fp32 at their boundary
//!   ([`to_fp32`], [`disc_to_fp32`]), so that every loss, penalty and reported statistic is
//!   reduced in fp32; gradients, weights, optimizer state and checkpoints are fp32.
//! - fp16 (CUDA only) adds a dynamic loss scale per player ([`DynamicLossScale`], as
//!   `torch.amp.GradScaler`): the loss is multiplied by the scale before `backward()`, the
//!   gradients divided by it before the optimizer step, and a step whose gradients
//!   overflowed is skipped and the scale halved.
//!
//! Sampling, evaluation and the FID extractor stay fp32. The unrolled schedule's
//! look-ahead updates run in fp32 (only the generator's objective is autocast).

use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr};

use tch::{Device, Kind, Tensor};

use gan_models::DiscOutput;

use super::seams::{FullPrecision, Player, Precision};
use crate::config::PrecisionSetting;
use crate::error::{Result, TrainError};
use crate::optim::Optimizer;

extern "C" {
    fn gan_autocast_enter(
        cuda: c_int,
        fp16: c_int,
        was_enabled: *mut c_int,
        was_fp16: *mut c_int,
        error: *mut *mut c_char,
    ) -> c_int;
    fn gan_autocast_exit(
        cuda: c_int,
        was_enabled: c_int,
        was_fp16: c_int,
        error: *mut *mut c_char,
    ) -> c_int;
    fn gan_autocast_is_enabled(cuda: c_int) -> c_int;
    fn gan_autocast_free_error(error: *mut c_char);
}

/// The message of a shim error (and the shim's copy freed).
fn shim_error(error: *mut c_char) -> String {
    if error.is_null() {
        return "unknown libtorch error".into();
    }
    // SAFETY: the shim wrote a NUL-terminated malloc'ed copy of the exception's message.
    let text = unsafe { CStr::from_ptr(error) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: freed once, by the shim's own allocator.
    unsafe { gan_autocast_free_error(error) };
    text
}

/// Whether libtorch's autocast is on for `device`'s type on this thread.
pub fn autocast_enabled(device: Device) -> bool {
    // SAFETY: reads thread-local state; no pointers.
    unsafe { gan_autocast_is_enabled(c_int::from(device.is_cuda())) != 0 }
}

/// An autocast region's device type and dtype, and the state it replaced.
#[derive(Debug)]
struct Autocast {
    cuda: bool,
    fp16: bool,
    /// (was enabled, was fp16) while inside a region.
    saved: Cell<Option<(c_int, c_int)>>,
}

impl Autocast {
    fn enter(&self) {
        let (mut was_enabled, mut was_fp16) = (0, 0);
        let mut error = std::ptr::null_mut();
        // SAFETY: out-pointers to locals; `error` is set only on failure.
        let rc = unsafe {
            gan_autocast_enter(
                c_int::from(self.cuda),
                c_int::from(self.fp16),
                &mut was_enabled,
                &mut was_fp16,
                &mut error,
            )
        };
        // Entering only sets thread-local flags; it fails only if libtorch was built
        // without the device type, which `for_config` has ruled out.
        assert_eq!(rc, 0, "autocast could not start: {}", shim_error(error));
        self.saved.set(Some((was_enabled, was_fp16)));
    }

    fn exit(&self) {
        let Some((was_enabled, was_fp16)) = self.saved.take() else {
            return;
        };
        let mut error = std::ptr::null_mut();
        // SAFETY: plain values and an out-pointer to a local.
        let rc =
            unsafe { gan_autocast_exit(c_int::from(self.cuda), was_enabled, was_fp16, &mut error) };
        assert_eq!(rc, 0, "autocast could not stop: {}", shim_error(error));
    }
}

/// `x` in fp32 if autocast made it bf16/fp16 (a no-op otherwise).
pub fn to_fp32(x: Tensor) -> Tensor {
    match x.kind() {
        Kind::BFloat16 | Kind::Half => x.to_kind(Kind::Float),
        _ => x,
    }
}

/// A discriminator's outputs in fp32.
pub fn disc_to_fp32(out: DiscOutput) -> DiscOutput {
    DiscOutput {
        score: to_fp32(out.score),
        features: out.features.map(to_fp32),
        class_logits: out.class_logits.map(to_fp32),
        q: out.q.map(to_fp32),
    }
}

/// fp16's dynamic loss scale, one per player: start at 2^16, halve on an overflow (and
/// skip that step), double after 2,000 steps without one — `torch.amp.GradScaler`'s
/// defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicLossScale {
    /// The current scale.
    pub scale: f64,
    /// Steps since the last overflow (or growth).
    pub good_steps: u32,
}

impl Default for DynamicLossScale {
    fn default() -> Self {
        DynamicLossScale {
            scale: 65536.0,
            good_steps: 0,
        }
    }
}

/// Steps without an overflow before the scale doubles.
pub const GROWTH_INTERVAL: u32 = 2000;

impl DynamicLossScale {
    /// Unscale `optimizer`'s gradients in place; `true` if they are all finite (step),
    /// `false` after an overflow (skip the step; the scale was halved).
    pub fn unscale_and_check(&mut self, optimizer: &Optimizer) -> bool {
        let inv = 1.0 / self.scale;
        let mut finite = true;
        for p in optimizer.params() {
            let mut g = p.grad();
            if !g.defined() {
                continue;
            }
            let _ = g.g_mul_scalar_(inv);
            finite &= bool::try_from(g.isfinite().all()).unwrap_or(false);
        }
        if finite {
            self.good_steps += 1;
            if self.good_steps >= GROWTH_INTERVAL {
                self.scale *= 2.0;
                self.good_steps = 0;
            }
        } else {
            self.scale /= 2.0;
            self.good_steps = 0;
        }
        finite
    }
}

/// bf16 or fp16 training (see the module docs).
#[derive(Debug)]
pub struct MixedPrecision {
    autocast: Autocast,
    /// fp16's loss scales (generator, discriminator); none for bf16.
    scales: Option<[DynamicLossScale; 2]>,
}

fn index(player: Player) -> usize {
    match player {
        Player::Generator => 0,
        Player::Discriminator => 1,
    }
}

impl MixedPrecision {
    /// The loss scales (generator, discriminator) of fp16 training.
    pub fn loss_scales(&self) -> Option<&[DynamicLossScale; 2]> {
        self.scales.as_ref()
    }
}

impl Precision for MixedPrecision {
    fn enter_forward(&self) {
        self.autocast.enter();
    }

    fn exit_forward(&self) {
        self.autocast.exit();
    }

    fn scale_loss(&self, player: Player, loss: &Tensor) -> Tensor {
        match &self.scales {
            Some(s) => loss * s[index(player)].scale,
            None => loss.shallow_clone(),
        }
    }

    fn before_step(&mut self, player: Player, optimizer: &Optimizer) -> Result<bool> {
        Ok(match self.scales.as_mut() {
            Some(s) => s[index(player)].unscale_and_check(optimizer),
            None => true,
        })
    }
}

/// The precision seam for `setting` on `device`; fp16 on the CPU is refused by name.
pub fn for_config(setting: PrecisionSetting, device: Device) -> Result<Box<dyn Precision>> {
    let cuda = device.is_cuda();
    match setting {
        PrecisionSetting::Fp32 => Ok(Box::new(FullPrecision)),
        PrecisionSetting::Fp16 if !cuda => Err(TrainError::config(
            "train.precision",
            "\"fp16\" needs a CUDA device (its loss scaling is for GPUs; libtorch's CPU \
             autocast computes in bf16): use \"bf16\" on the CPU",
        )),
        PrecisionSetting::Bf16 | PrecisionSetting::Fp16 => {
            let fp16 = setting == PrecisionSetting::Fp16;
            Ok(Box::new(MixedPrecision {
                autocast: Autocast {
                    cuda,
                    fp16,
                    saved: Cell::new(None),
                },
                scales: fp16.then(Default::default),
            }))
        }
    }
}
