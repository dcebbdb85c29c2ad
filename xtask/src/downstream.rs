//! The `cargo xtask test` check of `examples/downstream`: a crate outside the workspace that
//! uses gan-core and gan-train by path, as another project does. It is built in the
//! workspace's target directory and its binary is run with `LD_LIBRARY_PATH` unset, which
//! proves that gan-build's rpath works.
//!
//! Sharing the target directory makes it cheap only while the example resolves like the
//! workspace, so the check first gives it the workspace's profiles and lock:
//!
//! - its `[profile.*]` tables must equal the root manifest's (compared here, not copied);
//! - its `Cargo.lock` is the workspace's, pruned by cargo to what it uses, so every
//!   dependency has the workspace's version. The file is tracked; rewriting it from
//!   `Cargo.lock` each time keeps it current when the workspace's dependencies change.
//!
//! Then torch-sys's build script run (its C++ wrapper, minutes) and everything else the two
//! share is `Fresh`. What the example compiles for itself, once per target directory: the
//! crates whose features differ from the workspace's (gan-cli, xtask and the
//! dev-dependencies turn on more features of libc, serde, …, so torch-sys's Rust bindings,
//! tch and their dependents: about 2 minutes on 2 cores), and gan-rs's own crates, again
//! after each change to them, because cargo hashes a path dependency by its path relative
//! to the workspace root, which differs between the two. A warm run takes a few seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Where the example lives, relative to the repository root.
pub const DIR: &str = "examples/downstream";
/// Its binary (the package name).
const BIN: &str = "gan-downstream";

/// Build and run the example with `cargo`; `repo` is the workspace root.
pub fn check(repo: &Path, cargo: &OsStr) -> Result<()> {
    let dir = repo.join(DIR);
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    };

    let mismatched = profile_mismatches(
        &read(&repo.join("Cargo.toml"))?,
        &read(&dir.join("Cargo.toml"))?,
    );
    if !mismatched.is_empty() {
        bail!(
            "{DIR}/Cargo.toml's profiles differ from the workspace's in {}: copy the \
             [profile.*] tables of the root Cargo.toml there, or its build recompiles \
             torch-sys and the rest in gan-rs's target directory",
            mismatched.join(", ")
        );
    }

    let workspace_lock = read(&repo.join("Cargo.lock"))?;
    let lock = dir.join("Cargo.lock");
    let before = std::fs::read_to_string(&lock).unwrap_or_default();
    std::fs::write(&lock, &workspace_lock)
        .with_context(|| format!("writing {}", lock.display()))?;

    let target = target_dir(repo, cargo)?;
    // Run from the example's directory, inside the repository, so that cargo reads gan-rs's
    // .cargo/config.toml (LIBTORCH) as a downstream project's own config would.
    let built = run(Command::new(cargo)
        .args(["build", "--bin", BIN])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir));
    if built.is_err() && !before.is_empty() {
        // Not left as the whole workspace lock, which cargo had no chance to prune.
        let _ = std::fs::write(&lock, &before);
    }
    built?;

    let pruned = read(&lock)?;
    let drift = lock_drift(&workspace_lock, &pruned);
    if !drift.is_empty() {
        bail!(
            "{DIR} resolved packages that the workspace's Cargo.lock does not hold, which \
             gan-rs's target directory cannot have built: {}",
            drift.join(", ")
        );
    }
    if pruned != before {
        println!("note: updated {DIR}/Cargo.lock from the workspace's Cargo.lock");
    }

    // The binary itself, not `cargo run`: cargo would put libtorch's directory (torch-sys's
    // link search path) on LD_LIBRARY_PATH and hide a missing rpath.
    let bin = target.join("debug").join(BIN);
    println!("$ env -u LD_LIBRARY_PATH {}", bin.display());
    run(Command::new(&bin)
        .env_remove("LD_LIBRARY_PATH")
        .current_dir(&dir))
}

fn run(command: &mut Command) -> Result<()> {
    let what = command.get_program().to_string_lossy().into_owned();
    let status = command
        .status()
        .with_context(|| format!("could not run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// The workspace's target directory, as cargo resolves it (CARGO_TARGET_DIR, config).
fn target_dir(repo: &Path, cargo: &OsStr) -> Result<PathBuf> {
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(repo)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    match meta["target_directory"].as_str() {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => bail!("cargo metadata gave no target_directory"),
    }
}

/// A manifest's `[profile…]` tables: header → its `key = value` lines, without comments
/// and blank lines. (Line-based: enough for the plain tables that profiles are.)
fn profile_tables(manifest: &str) -> BTreeMap<String, Vec<String>> {
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            current = line.starts_with("[profile").then(|| line.to_owned());
            if let Some(header) = &current {
                tables.entry(header.clone()).or_default();
            }
        } else if let Some(header) = &current {
            let entry = tables.entry(header.clone()).or_default();
            entry.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
            entry.sort();
        }
    }
    tables
}

/// The profile tables that differ between the two manifests (missing from one counts).
fn profile_mismatches(workspace: &str, downstream: &str) -> Vec<String> {
    let (a, b) = (profile_tables(workspace), profile_tables(downstream));
    let headers: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    headers
        .into_iter()
        .filter(|h| a.get(*h) != b.get(*h))
        .cloned()
        .collect()
}

/// The `(name, version, source)` of every locked package that has a source (registry or
/// git; path packages have none).
fn locked_packages(lock: &str) -> BTreeSet<(String, String, String)> {
    let mut packages = BTreeSet::new();
    let mut entry: [Option<String>; 3] = [None, None, None];
    let mut flush = |entry: &mut [Option<String>; 3]| {
        if let [Some(name), Some(version), Some(source)] = std::mem::take(entry) {
            packages.insert((name, version, source));
        }
    };
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            flush(&mut entry);
            continue;
        }
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        let slot = match key {
            "name" => 0,
            "version" => 1,
            "source" => 2,
            _ => continue,
        };
        entry[slot] = Some(value.trim_matches('"').to_owned());
    }
    flush(&mut entry);
    packages
}

/// `name version` of each package in the downstream lock that the workspace's lock lacks.
fn lock_drift(workspace: &str, downstream: &str) -> Vec<String> {
    let known = locked_packages(workspace);
    locked_packages(downstream)
        .difference(&known)
        .map(|(name, version, _)| format!("{name} {version}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = r#"
[workspace]
members = ["a"]

[profile.release]
debug = 1

[profile.dev.package."*"]
opt-level = 2 # dependencies

[workspace.dependencies]
tch = "=0.26.0"
"#;

    #[test]
    fn profiles_compare_tables_not_comments_or_order() {
        let downstream = r#"
[package]
name = "x"

# the workspace's
[profile.dev.package."*"]
opt-level   = 2

[profile.release]
debug = 1
[dependencies]
tch = "=0.26.0"
"#;
        assert!(profile_mismatches(ROOT, downstream).is_empty());
    }

    #[test]
    fn profiles_name_the_tables_that_differ() {
        let downstream = "[profile.release]\ndebug = 2\n[profile.bench]\nlto = true\n";
        assert_eq!(
            profile_mismatches(ROOT, downstream),
            [
                "[profile.bench]",
                "[profile.dev.package.\"*\"]",
                "[profile.release]"
            ]
        );
    }

    const LOCK: &str = r#"
version = 4

[[package]]
name = "anyhow"
version = "1.0.104"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aa"

[[package]]
name = "gan-core"
version = "0.1.0"
dependencies = [
 "tch",
]

[[package]]
name = "tch"
version = "0.26.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    #[test]
    fn lock_parsing_keeps_sourced_packages_only() {
        let packages = locked_packages(LOCK);
        let names: Vec<&str> = packages.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["anyhow", "tch"]);
    }

    #[test]
    fn lock_drift_names_new_or_changed_versions() {
        let same = LOCK.replace(
            "[[package]]\nname = \"anyhow\"",
            "[[package]]\nname = \"other-path-crate\"\nversion = \"9.9.9\"\n\n[[package]]\nname = \"anyhow\"",
        );
        assert!(lock_drift(LOCK, &same).is_empty());
        let newer = LOCK.replace("1.0.104", "1.0.105");
        assert_eq!(lock_drift(LOCK, &newer), ["anyhow 1.0.105"]);
    }
}
