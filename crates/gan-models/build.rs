include!("../../build-support/link_libtorch.rs");
include!("../../build-support/libtorch_shim.rs");

fn main() {
    link_libtorch();
    // LeakyReLU with a slope on ATen's kernel (src/leaky_relu.rs).
    compile_libtorch_shim("csrc/activation.cpp", "gan_models_activation");
}
