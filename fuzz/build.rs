// Embed an rpath to libtorch so the fuzz binaries run without LD_LIBRARY_PATH.
include!("../build-support/link_libtorch.rs");

fn main() {
    link_libtorch();
}
