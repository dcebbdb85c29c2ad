// Shared by the C++ shims over libtorch (crates/*/csrc/*.cpp, compiled by
// build-support/libtorch_shim.rs): how a C++ exception's message crosses to Rust.
#pragma once

#include <cstdlib>
#include <cstring>

namespace gan_shim {

// A malloc'ed copy of `what`, for the Rust side to read and hand back to the shim's
// `..._free_error`, which calls std::free. Null if the allocation fails.
inline char* copy_message(const char* what) {
    size_t n = std::strlen(what) + 1;
    char* out = static_cast<char*>(std::malloc(n));
    if (out != nullptr) std::memcpy(out, what, n);
    return out;
}

}  // namespace gan_shim
