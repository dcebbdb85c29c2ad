fn main() {
    // Embeds an rpath to the libtorch that torch-sys linked (or warns what to set).
    gan_build::link_libtorch();
}
