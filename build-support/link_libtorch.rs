// Shared by the build scripts of every crate that links libtorch (included with
// `include!`). It makes test, bench, example and binary targets find libtorch at
// run time without LD_LIBRARY_PATH, by embedding an rpath to the directory that
// torch-sys linked against (exported by torch-sys as DEP_TCH_LIBTORCH_LIB).
//
// The code is gan-build's, the helper that other projects' build scripts call, included
// as source so that these build scripts and the fuzz crate need no build-dependency.
#[allow(dead_code)] // gan-build's API is more than these build scripts use.
mod gan_build {
    include!("../crates/gan-build/src/libtorch.rs");
}

fn link_libtorch() {
    gan_build::link_libtorch();
}
