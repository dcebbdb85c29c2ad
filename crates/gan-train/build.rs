include!("../../build-support/link_libtorch.rs");
include!("../../build-support/libtorch_shim.rs");

fn main() {
    link_libtorch();
    // Adam as one fused kernel (src/fused_adam.rs).
    compile_libtorch_shim("csrc/fused_adam.cpp", "gan_train_fused_adam");
    // bf16/fp16 autocast regions with a device type (src/trainer/autocast.rs).
    compile_libtorch_shim("csrc/autocast.cpp", "gan_train_autocast");
    // Record the commit a binary was built from, for run provenance.
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GAN_RS_GIT_COMMIT={commit}");
    println!(
        "cargo:rustc-env=GAN_RS_LIBTORCH_LIB={}",
        std::env::var("DEP_TCH_LIBTORCH_LIB").unwrap_or_default()
    );
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
}
