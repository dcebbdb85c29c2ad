// Shared by the build scripts of crates with a C++ shim over libtorch (included with
// `include!`, after link_libtorch.rs). It compiles one C++ file against the headers of
// the libtorch that torch-sys linked, with torch-sys's own flags, into a static library
// that the crate links.
fn compile_libtorch_shim(source: &str, lib_name: &str) {
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-env-changed=LIBTORCH_INCLUDE");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    // torch-sys exports the lib directory; libtorch archives and the PyPI wheel both keep
    // the headers beside it (`<root>/lib`, `<root>/include`). LIBTORCH_INCLUDE overrides,
    // with the same meaning as for torch-sys.
    let root = match std::env::var("LIBTORCH_INCLUDE") {
        Ok(dir) => std::path::PathBuf::from(dir),
        Err(_) => {
            let lib = std::env::var("DEP_TCH_LIBTORCH_LIB").expect(
                "torch-sys did not export DEP_TCH_LIBTORCH_LIB (is libtorch set up? run `cargo xtask setup`)",
            );
            std::path::Path::new(&lib)
                .parent()
                .expect("the libtorch lib directory has a parent")
                .to_path_buf()
        }
    };
    let include = root.join("include");
    assert!(
        include.join("ATen/ATen.h").exists(),
        "libtorch headers not found under {} (set LIBTORCH_INCLUDE to the libtorch root)",
        include.display()
    );
    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());
    // build-support/ itself, for the shims' shared `shim_error.h`.
    let support = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("../../build-support");
    println!("cargo:rerun-if-changed={}", support.join("shim_error.h").display());
    cc::Build::new()
        .cpp(true)
        .pic(true)
        .warnings(false)
        .include(&include)
        .include(&support)
        .flag("-std=c++17")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .file(source)
        .compile(lib_name);
}
