include!("../../build-support/link_libtorch.rs");

fn main() {
    link_libtorch();
    // Passed on (the manifest's `links`) as DEP_GAN_CORE_LIBTORCH_LIB to the build scripts
    // of crates that depend on gan-core directly: gan-build reads it, so another project
    // gets its rpath without depending on torch-sys itself.
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:libtorch_lib={dir}");
    }
}
