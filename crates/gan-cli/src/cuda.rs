//! Loading libtorch's CUDA backend only when a CUDA device is asked for.
//!
//! The linker drops `libtorch_cuda.so` from a binary that never calls into it, so tch
//! would report no CUDA device even on a GPU machine (a known tch pitfall). Linking it
//! unconditionally costs every CPU run ~0.15 s and ~400 MB; instead we `dlopen` it with
//! `RTLD_GLOBAL` before the first device query, and only if the device setting is not
//! `cpu`.

use std::ffi::CString;

/// Directory of the libtorch this binary was linked against.
const LIBTORCH_LIB: &str = env!("GAN_RS_LIBTORCH_LIB");

/// Make libtorch's CUDA backend available if `device` may use it. Returns a note when
/// CUDA was explicitly requested but could not be loaded.
pub fn prepare(device: &str) -> Option<String> {
    let device = device.trim().to_ascii_lowercase();
    if device == "cpu" {
        return None;
    }
    let explicit = device.starts_with("cuda") || device == "gpu";
    // Without a driver there is no point loading 1 GB of CUDA kernels.
    if !explicit && !loadable("libcuda.so.1") {
        return None;
    }
    let path = format!("{LIBTORCH_LIB}/libtorch_cuda.so");
    if std::path::Path::new(&path).exists() && load_global(&path) {
        None
    } else if explicit {
        Some(format!(
            "could not load {path}: this libtorch may be a CPU-only build"
        ))
    } else {
        None
    }
}

fn loadable(name: &str) -> bool {
    let c = CString::new(name).expect("no NUL in library name");
    // SAFETY: dlopen with a valid C string; the handle is intentionally leaked (the
    // library stays loaded for the life of the process).
    unsafe { !libc::dlopen(c.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL).is_null() }
}

fn load_global(path: &str) -> bool {
    let c = CString::new(path).expect("no NUL in path");
    // SAFETY: as above; RTLD_GLOBAL so libtorch's registries see the CUDA backend.
    unsafe { !libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL).is_null() }
}
