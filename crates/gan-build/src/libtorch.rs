// Finding libtorch's lib directory from a build script and embedding an rpath to it.
//
// This file is gan-build's whole implementation and is also `include!`d, as source, by
// gan-rs's own build scripts (build-support/link_libtorch.rs): it must stay one
// self-contained file with no crate-level attributes and no dependencies.

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variables [`plan`] reads, in the order it tries them (cargo reruns the
/// build script when one of them changes).
pub const WATCHED_VARS: [&str; 5] = [
    "DEP_TCH_LIBTORCH_LIB",
    "DEP_GAN_CORE_LIBTORCH_LIB",
    "LIBTORCH_USE_PYTORCH",
    "LIBTORCH_LIB",
    "LIBTORCH",
];

/// Where [`resolve`] found libtorch's lib directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `DEP_TCH_LIBTORCH_LIB`, exported by torch-sys to crates that depend on it directly.
    TorchSys,
    /// `DEP_GAN_CORE_LIBTORCH_LIB`, passed on by gan-core to crates that depend on it
    /// directly.
    GanCore,
    /// `$LIBTORCH_LIB/lib` (torch-sys's override of where `lib/` is).
    LibtorchLib,
    /// `$LIBTORCH/lib`.
    Libtorch,
    /// `/usr/lib`, which holds a system-wide `libtorch.so`.
    System,
}

impl Origin {
    /// The variable (or file) the directory came from, as the warnings name it.
    pub fn source(self) -> &'static str {
        match self {
            Origin::TorchSys => "DEP_TCH_LIBTORCH_LIB",
            Origin::GanCore => "DEP_GAN_CORE_LIBTORCH_LIB",
            Origin::LibtorchLib => "LIBTORCH_LIB",
            Origin::Libtorch => "LIBTORCH",
            Origin::System => "/usr/lib/libtorch.so",
        }
    }
}

/// A libtorch lib directory and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The directory holding `libtorch_cpu.so` (what the rpath names).
    pub dir: PathBuf,
    /// Which setting gave it.
    pub origin: Origin,
}

/// Why [`resolve`] found no libtorch lib directory; its `Display` says what to set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotFound {
    /// No variable names libtorch and there is no system-wide one.
    Unset,
    /// `LIBTORCH_USE_PYTORCH` is set, so torch-sys asked Python, and this crate depends on
    /// neither torch-sys nor gan-core directly, which is how it would learn the answer.
    UsePytorch,
    /// A variable holds a relative path, which neither torch-sys (it resolves it from its
    /// own source directory) nor an rpath (resolved from the current directory of the
    /// running program) would read as meant.
    Relative {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CONSEQUENCE: &str =
            "so this crate's binaries get no rpath and start only with LD_LIBRARY_PATH set";
        match self {
            NotFound::Unset => write!(
                f,
                "libtorch not found, {CONSEQUENCE}.\n\
                 Set LIBTORCH to the libtorch 2.13.0 root (the directory holding lib/ and \
                 include/; a gan-rs checkout's `.libtorch` after `cargo xtask setup`), or \
                 depend on gan-core (or on torch-sys = \"=0.26.0\") directly, so that cargo \
                 tells this build script where torch-sys found libtorch."
            ),
            NotFound::UsePytorch => write!(
                f,
                "LIBTORCH_USE_PYTORCH is set, so torch-sys took libtorch from Python's torch, \
                 and only crates that depend on gan-core or torch-sys directly learn where; \
                 {CONSEQUENCE}.\n\
                 Add gan-core (or torch-sys = \"=0.26.0\") to [dependencies], or set LIBTORCH \
                 to torch's directory instead."
            ),
            NotFound::Relative { var, value } => write!(
                f,
                "{var}={value} is a relative path, {CONSEQUENCE}.\n\
                 Give an absolute path (in .cargo/config.toml: \
                 `{var} = {{ value = \"{value}\", relative = true }}` under [env])."
            ),
        }
    }
}

impl std::error::Error for NotFound {}

/// The libtorch lib directory that torch-sys links against, read from `env` (a variable's
/// value, `None` when unset; empty counts as unset) the way torch-sys reads it.
/// `exists` is asked only about the system location, `/usr/lib/libtorch.so`.
pub fn resolve(
    env: impl Fn(&str) -> Option<String>,
    exists: impl Fn(&Path) -> bool,
) -> Result<Found, NotFound> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    // Exported after torch-sys's build: exactly what it linked, however it found it.
    for (name, origin) in [
        ("DEP_TCH_LIBTORCH_LIB", Origin::TorchSys),
        ("DEP_GAN_CORE_LIBTORCH_LIB", Origin::GanCore),
    ] {
        if let Some(dir) = var(name) {
            return Ok(Found {
                dir: PathBuf::from(dir),
                origin,
            });
        }
    }
    // torch-sys ignores LIBTORCH then, and what Python said is not in the environment.
    if var("LIBTORCH_USE_PYTORCH").is_some() {
        return Err(NotFound::UsePytorch);
    }
    for (name, origin) in [
        ("LIBTORCH_LIB", Origin::LibtorchLib),
        ("LIBTORCH", Origin::Libtorch),
    ] {
        if let Some(root) = var(name) {
            if Path::new(&root).is_relative() {
                return Err(NotFound::Relative {
                    var: name,
                    value: root,
                });
            }
            return Ok(Found {
                dir: Path::new(&root).join("lib"),
                origin,
            });
        }
    }
    if exists(Path::new("/usr/lib/libtorch.so")) {
        return Ok(Found {
            dir: PathBuf::from("/usr/lib"),
            origin: Origin::System,
        });
    }
    Err(NotFound::Unset)
}

/// What a build script should tell cargo: the output of [`plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The libtorch lib directory, when one was found.
    pub lib_dir: Option<PathBuf>,
    /// The `cargo:` lines to print, in order.
    pub lines: Vec<String>,
}

/// The `cargo:` lines that embed an rpath to libtorch, or warn why they cannot: a pure
/// function of the build script's environment `env` (see [`resolve`]; it also reads
/// `CARGO_CFG_TARGET_OS`) and of `exists`, which says whether a file exists.
pub fn plan(env: impl Fn(&str) -> Option<String>, exists: impl Fn(&Path) -> bool) -> Plan {
    let mut lines: Vec<String> = WATCHED_VARS
        .iter()
        .map(|var| format!("cargo:rerun-if-env-changed={var}"))
        .collect();
    let warn = |lines: &mut Vec<String>, message: &str| {
        // One `cargo:warning=` per line: cargo shows each as its own warning line.
        lines.extend(
            message
                .lines()
                .map(|line| format!("cargo:warning=gan-build: {line}")),
        );
    };
    let windows = env("CARGO_CFG_TARGET_OS").as_deref() == Some("windows");
    match resolve(&env, &exists) {
        Ok(found) => {
            let has_lib = ["libtorch_cpu.so", "libtorch_cpu.dylib"]
                .iter()
                .any(|name| exists(&found.dir.join(name)));
            if !has_lib && !windows {
                let hint = match found.origin {
                    Origin::Libtorch | Origin::LibtorchLib => format!(
                        "\n{} must name the libtorch root, the directory holding lib/ and \
                         include/.",
                        found.origin.source()
                    ),
                    _ => String::new(),
                };
                warn(
                    &mut lines,
                    &format!(
                        "{} (from {}) holds no libtorch_cpu library, so the rpath to it will \
                         not find libtorch.{hint}",
                        found.dir.display(),
                        found.origin.source()
                    ),
                );
            }
            if !windows {
                lines.push(format!(
                    "cargo:rustc-link-arg=-Wl,-rpath,{}",
                    found.dir.display()
                ));
            }
            Plan {
                lib_dir: Some(found.dir),
                lines,
            }
        }
        Err(why) => {
            warn(&mut lines, &why.to_string());
            Plan {
                lib_dir: None,
                lines,
            }
        }
    }
}

/// Call from `build.rs`: embeds an rpath to libtorch's lib directory in the crate's
/// binaries, tests, benches and examples, or prints a cargo warning saying what to set.
/// Returns the directory when one was found. Never fails the build.
pub fn link_libtorch() -> Option<PathBuf> {
    let plan = plan(|var| std::env::var(var).ok(), |path| path.exists());
    for line in &plan.lines {
        println!("{line}");
    }
    plan.lib_dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        move |name| map.get(name).map(|v| v.to_string())
    }

    /// A file system holding exactly `files`.
    fn files<'a>(files: &'a [&'a str]) -> impl Fn(&Path) -> bool + 'a {
        move |path| files.iter().any(|f| Path::new(f) == path)
    }

    fn found(dir: &str, origin: Origin) -> Result<Found, NotFound> {
        Ok(Found {
            dir: PathBuf::from(dir),
            origin,
        })
    }

    #[test]
    fn torch_sys_export_wins_over_everything() {
        let e = env(&[
            ("DEP_TCH_LIBTORCH_LIB", "/a/lib"),
            ("DEP_GAN_CORE_LIBTORCH_LIB", "/b/lib"),
            ("LIBTORCH_USE_PYTORCH", "1"),
            ("LIBTORCH", "/c"),
        ]);
        let fs = files(&["/usr/lib/libtorch.so"]);
        assert_eq!(resolve(&e, &fs), found("/a/lib", Origin::TorchSys));
    }

    #[test]
    fn gan_core_export_is_next_and_works_with_pytorch() {
        let e = env(&[
            ("DEP_GAN_CORE_LIBTORCH_LIB", "/venv/torch/lib"),
            ("LIBTORCH_USE_PYTORCH", "1"),
            ("LIBTORCH", "/c"),
        ]);
        assert_eq!(
            resolve(&e, files(&[])),
            found("/venv/torch/lib", Origin::GanCore)
        );
    }

    #[test]
    fn libtorch_lib_overrides_libtorch_as_in_torch_sys() {
        let e = env(&[("LIBTORCH_LIB", "/x"), ("LIBTORCH", "/y")]);
        assert_eq!(
            resolve(&e, files(&[])),
            found("/x/lib", Origin::LibtorchLib)
        );
        let e = env(&[("LIBTORCH", "/opt/libtorch")]);
        assert_eq!(
            resolve(&e, files(&[])),
            found("/opt/libtorch/lib", Origin::Libtorch)
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let e = env(&[("DEP_TCH_LIBTORCH_LIB", ""), ("LIBTORCH", "/y")]);
        assert_eq!(resolve(&e, files(&[])), found("/y/lib", Origin::Libtorch));
        let e = env(&[("LIBTORCH_USE_PYTORCH", ""), ("LIBTORCH", "/y")]);
        assert_eq!(resolve(&e, files(&[])), found("/y/lib", Origin::Libtorch));
    }

    #[test]
    fn pytorch_without_an_export_is_not_guessed_from_libtorch() {
        let e = env(&[("LIBTORCH_USE_PYTORCH", "1"), ("LIBTORCH", "/y")]);
        assert_eq!(resolve(&e, files(&[])), Err(NotFound::UsePytorch));
    }

    #[test]
    fn relative_paths_are_refused_with_the_variable_named() {
        let e = env(&[("LIBTORCH", ".libtorch")]);
        assert_eq!(
            resolve(&e, files(&[])),
            Err(NotFound::Relative {
                var: "LIBTORCH",
                value: ".libtorch".into()
            })
        );
        let message = resolve(&e, files(&[])).unwrap_err().to_string();
        assert!(message.contains("relative = true"), "{message}");
    }

    #[test]
    fn system_location_then_nothing() {
        assert_eq!(
            resolve(env(&[]), files(&["/usr/lib/libtorch.so"])),
            found("/usr/lib", Origin::System)
        );
        assert_eq!(resolve(env(&[]), files(&[])), Err(NotFound::Unset));
    }

    #[test]
    fn plan_emits_the_rpath_and_watches_every_variable() {
        let e = env(&[
            ("DEP_TCH_LIBTORCH_LIB", "/t/lib"),
            ("CARGO_CFG_TARGET_OS", "linux"),
        ]);
        let plan = plan(e, files(&["/t/lib/libtorch_cpu.so"]));
        assert_eq!(plan.lib_dir, Some(PathBuf::from("/t/lib")));
        let mut expected: Vec<String> = WATCHED_VARS
            .iter()
            .map(|v| format!("cargo:rerun-if-env-changed={v}"))
            .collect();
        expected.push("cargo:rustc-link-arg=-Wl,-rpath,/t/lib".into());
        assert_eq!(plan.lines, expected);
    }

    #[test]
    fn plan_warns_when_the_directory_has_no_libtorch() {
        let plan = plan(env(&[("LIBTORCH", "/opt/torch")]), files(&[]));
        let warnings: Vec<&String> = plan
            .lines
            .iter()
            .filter(|l| l.starts_with("cargo:warning=gan-build: "))
            .collect();
        assert_eq!(warnings.len(), 2, "{:?}", plan.lines);
        assert!(warnings[0].contains("/opt/torch/lib (from LIBTORCH) holds no libtorch_cpu"));
        assert!(warnings[1].contains("LIBTORCH must name the libtorch root"));
        // Still linked: the library may be installed there later.
        assert_eq!(
            plan.lines.last().map(String::as_str),
            Some("cargo:rustc-link-arg=-Wl,-rpath,/opt/torch/lib")
        );
    }

    #[test]
    fn plan_warns_and_links_nothing_when_not_found() {
        let plan = plan(env(&[]), files(&[]));
        assert_eq!(plan.lib_dir, None);
        assert!(!plan.lines.iter().any(|l| l.contains("rustc-link-arg")));
        let warnings: Vec<&String> = plan
            .lines
            .iter()
            .filter(|l| l.starts_with("cargo:warning="))
            .collect();
        // Every line of the message is its own warning, and it names what to set.
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[1].contains("Set LIBTORCH"), "{warnings:?}");
        assert!(warnings.iter().all(|l| !l.contains('\n')));
    }

    #[test]
    fn windows_gets_no_rpath() {
        let e = env(&[
            ("DEP_TCH_LIBTORCH_LIB", "C:\\libtorch\\lib"),
            ("CARGO_CFG_TARGET_OS", "windows"),
        ]);
        let plan = plan(e, files(&[]));
        assert_eq!(plan.lib_dir, Some(PathBuf::from("C:\\libtorch\\lib")));
        assert!(plan
            .lines
            .iter()
            .all(|l| l.starts_with("cargo:rerun-if-env-changed=")));
    }
}
