include!("../../build-support/link_libtorch.rs");

fn main() {
    link_libtorch();
    // Where libtorch_cuda.so would be: loaded at run time only when CUDA is asked for,
    // so CPU runs don't pay its start-up time and memory.
    println!(
        "cargo:rustc-env=GAN_RS_LIBTORCH_LIB={}",
        std::env::var("DEP_TCH_LIBTORCH_LIB").unwrap_or_default()
    );
}
