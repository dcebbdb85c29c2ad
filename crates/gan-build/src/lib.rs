//! # gan-build
//!
//! A build-script helper for crates that use gan-rs's libraries (gan-core, gan-train, …):
//! it makes their binaries find libtorch at run time without `LD_LIBRARY_PATH`.
//!
//! torch-sys links libtorch dynamically but records nowhere where it is, so a binary built
//! against it stops at start-up with `libtorch_cpu.so: cannot open shared object file`
//! (exit 127). gan-rs's own binaries carry an rpath to libtorch's `lib/` directory, but a
//! build script's linker arguments reach only its own crate's targets, never a dependent's.
//! A downstream crate calls [`link_libtorch`] from its own `build.rs`:
//!
//! ```toml
//! [build-dependencies]
//! gan-build = { path = "<gan-rs checkout>/crates/gan-build" }
//! ```
//!
//! ```no_run
//! // In build.rs's `fn main`:
//! gan_build::link_libtorch();
//! ```
//!
//! That adds `-Wl,-rpath,<libtorch lib dir>` to the link of every binary, test, bench and
//! example of the crate. The directory is the first of:
//!
//! 1. `DEP_TCH_LIBTORCH_LIB`: the directory torch-sys linked against. Cargo passes it only
//!    to crates that depend on torch-sys directly (`torch-sys = "=0.26.0"`: the same
//!    version as tch's, so nothing more is compiled);
//! 2. `DEP_GAN_CORE_LIBTORCH_LIB`: the same directory, passed on by gan-core to crates that
//!    depend on gan-core directly;
//! 3. `$LIBTORCH_LIB/lib`, then `$LIBTORCH/lib`: torch-sys's own settings, read the way
//!    torch-sys reads them (not when `LIBTORCH_USE_PYTORCH` is set: torch-sys then asks
//!    Python, and only the two variables above can say what it found);
//! 4. `/usr/lib`, when `/usr/lib/libtorch.so` exists (torch-sys's system location).
//!
//! When none applies, when a path is relative, or when the directory holds no
//! `libtorch_cpu` library, the build goes on and cargo shows a warning that names what to
//! set. The warnings and the rpath come from [`plan`], a pure function of the environment,
//! which [`link_libtorch`] prints.
//!
//! It emits `cargo:rerun-if-env-changed` for each variable it reads ([`WATCHED_VARS`]).
//! Like any `rerun-if` line, that turns off cargo's default of rerunning the build script
//! whenever a file of the package changes: a build script with inputs of its own should
//! name them (`cargo:rerun-if-changed=PATH`). Windows has no rpath: there the helper
//! emits nothing else, and libtorch's `lib` directory must be on `PATH`.

#![warn(missing_docs)]

// The whole helper is in one file without crate attributes, because gan-rs's own build
// scripts include it as source (build-support/link_libtorch.rs).
mod libtorch;

pub use libtorch::{link_libtorch, plan, resolve, Found, NotFound, Origin, Plan, WATCHED_VARS};
