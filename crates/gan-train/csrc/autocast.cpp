// libtorch's autocast state for gan-train (src/trainer/autocast.rs): what
// `torch.autocast(device_type, dtype)` does on entry and exit.
//
// tch 0.26 binds only the CUDA-era `at::autocast::set_enabled`, which has no device type
// and no dtype; CPU autocast (bf16) and the dtype choice need `set_autocast_enabled` and
// `set_autocast_dtype` with a device type. The state is thread-local, like PyTorch's.

#include "shim_error.h"

#include <ATen/autocast_mode.h>

#include <cstdlib>
#include <exception>

namespace {
at::DeviceType device_type(int cuda) { return cuda ? at::kCUDA : at::kCPU; }
at::ScalarType scalar_type(int fp16) { return fp16 ? at::kHalf : at::kBFloat16; }
}  // namespace

extern "C" {

// Enter an autocast region on the CPU (`cuda` = 0) or CUDA (1) in bf16 (`fp16` = 0) or
// fp16 (1). The previous enabled flag and dtype are written to `*was_enabled` and
// `*was_fp16` for `gan_autocast_exit`. Returns 0, or 1 with `*error` set.
int gan_autocast_enter(int cuda, int fp16, int* was_enabled, int* was_fp16, char** error) {
    try {
        at::DeviceType d = device_type(cuda);
        *was_enabled = at::autocast::is_autocast_enabled(d) ? 1 : 0;
        *was_fp16 = at::autocast::get_autocast_dtype(d) == at::kHalf ? 1 : 0;
        at::autocast::set_autocast_enabled(d, true);
        at::autocast::set_autocast_dtype(d, scalar_type(fp16));
        at::autocast::increment_nesting();
        return 0;
    } catch (const std::exception& e) {
        *error = gan_shim::copy_message(e.what());
        return 1;
    }
}

// Leave the region entered by `gan_autocast_enter`, restoring the previous state; the
// outermost exit drops the cached low-precision copies of the weights, as PyTorch does.
int gan_autocast_exit(int cuda, int was_enabled, int was_fp16, char** error) {
    try {
        at::DeviceType d = device_type(cuda);
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        at::autocast::set_autocast_enabled(d, was_enabled != 0);
        at::autocast::set_autocast_dtype(d, scalar_type(was_fp16));
        return 0;
    } catch (const std::exception& e) {
        *error = gan_shim::copy_message(e.what());
        return 1;
    }
}

// 1 if autocast is on for the device type, else 0 (for tests).
int gan_autocast_is_enabled(int cuda) {
    return at::autocast::is_autocast_enabled(device_type(cuda)) ? 1 : 0;
}

void gan_autocast_free_error(char* error) { std::free(error); }

}  // extern "C"
