// One fused Adam update over a list of parameters, for gan-train (src/fused_adam.rs).
//
// tch 0.26 binds no list ("foreach" / fused) optimizer kernels. Adam written with single
// tensor ops reads and writes every parameter, gradient and moment several times per
// step; ATen's `_fused_adam_` (what `torch.optim.Adam(fused=True)` calls) does the whole
// update in one pass per tensor, on CPU and CUDA.
//
// Tensors cross the boundary as tch does (`at::Tensor*`, borrowed here); C++ exceptions
// come back as a message that the caller frees with `gan_fused_adam_free_error`.

#include "shim_error.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/_fused_adam.h>
#include <ATen/ops/scalar_tensor.h>

#include <cstdlib>
#include <exception>
#include <vector>

namespace {
std::vector<at::Tensor> gather(at::Tensor* const* tensors, int n) {
    std::vector<at::Tensor> out;
    out.reserve(n);
    for (int i = 0; i < n; ++i) out.push_back(*tensors[i]);
    return out;
}
}  // namespace

extern "C" {

// Adam step number `step` (1-based, after the caller's increment) over `n` parameters,
// updating `params`, `exp_avgs` and `exp_avg_sqs` in place. Weight decay is the L2 form
// (added to the gradient), as in torch.optim.Adam. Returns 0, or 1 with `*error` set.
int gan_fused_adam_(at::Tensor* const* params, at::Tensor* const* grads,
                    at::Tensor* const* exp_avgs, at::Tensor* const* exp_avg_sqs, int n,
                    double step, double lr, double beta1, double beta2, double weight_decay,
                    double eps, char** error) {
    try {
        if (n <= 0) return 0;
        std::vector<at::Tensor> p = gather(params, n);
        // The kernel reads each parameter's step count from a float tensor on its device.
        at::Tensor step_tensor =
            at::scalar_tensor(step, p[0].options().dtype(at::kFloat));
        std::vector<at::Tensor> steps(n, step_tensor);
        at::_fused_adam_(p, gather(grads, n), gather(exp_avgs, n), gather(exp_avg_sqs, n),
                         /*max_exp_avg_sqs=*/{}, steps, lr, beta1, beta2, weight_decay, eps,
                         /*amsgrad=*/false, /*maximize=*/false);
        return 0;
    } catch (const std::exception& e) {
        *error = gan_shim::copy_message(e.what());
        return 1;
    }
}

void gan_fused_adam_free_error(char* error) { std::free(error); }

}  // extern "C"
