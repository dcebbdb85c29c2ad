// Shared by the build scripts of every crate that links libtorch (included with
// `include!`). It makes test, bench, example and binary targets find libtorch at
// run time without LD_LIBRARY_PATH, by embedding an rpath to the directory that
// torch-sys linked against (exported by torch-sys as DEP_TCH_LIBTORCH_LIB).
fn link_libtorch() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
