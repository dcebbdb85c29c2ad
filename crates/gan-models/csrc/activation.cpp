// LeakyReLU with a chosen negative slope, for gan-models (src/leaky_relu.rs).
//
// tch 0.26 binds `leaky_relu` only at its default slope 0.01: its generated C API drops
// scalar arguments that have defaults. `prelu` with a constant weight can express any
// slope, but its backward also computes the weight's gradient (a full-size product and a
// reduction) on every call. These two functions call ATen's own kernel instead, through
// the dispatcher, so autograd records them exactly as it records `F.leaky_relu` in
// PyTorch (one kernel forward, one backward, differentiable twice).
//
// Tensors cross the boundary as tch does: `at::Tensor*`, owned by the caller once
// returned (tch's `Tensor::from_ptr` / `at_free`). C++ exceptions never cross it: they
// come back as a message that the caller frees with `gan_free_error`.

#include "shim_error.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/leaky_relu.h>

#include <cstdlib>
#include <exception>

extern "C" {

// `leaky_relu(x, slope)`, a new tensor; or nullptr with `*error` set.
at::Tensor* gan_leaky_relu(const at::Tensor* x, double slope, char** error) {
    try {
        return new at::Tensor(at::leaky_relu(*x, slope));
    } catch (const std::exception& e) {
        *error = gan_shim::copy_message(e.what());
        return nullptr;
    }
}

// `x.leaky_relu_(slope)` in place; returns 0, or 1 with `*error` set.
int gan_leaky_relu_(at::Tensor* x, double slope, char** error) {
    try {
        at::leaky_relu_(*x, slope);
        return 0;
    } catch (const std::exception& e) {
        *error = gan_shim::copy_message(e.what());
        return 1;
    }
}

void gan_free_error(char* error) { std::free(error); }

}  // extern "C"
