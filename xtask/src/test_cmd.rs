//! `cargo xtask test`: make sure libtorch is set up, then run the project's checks in order —
//! fmt, clippy, the API docs without a warning, the whole test suite including ignored
//! (slow / real-data) tests, then the crate outside the workspace ([`crate::downstream`]) —
//! failing fast. The tests get the Python references ([`crate::test_deps`]) and must not
//! skip the tests that use them.

use std::ffi::OsString;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::catalog::Dataset;
use crate::data;
use crate::downstream;
use crate::libtorch;
use crate::paths;
use crate::setup::{self, SetupArgs};
use crate::test_deps;

/// One check: cargo's arguments, and the environment variables it needs.
type Check = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

const CHECKS: [Check; 4] = [
    (&["fmt", "--all", "--", "--check"], &[]),
    (
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    ),
    // rustdoc takes its lint level from the environment only.
    (
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    ),
    (&["test", "--workspace", "--", "--include-ignored"], &[]),
];

pub fn run() -> Result<()> {
    let repo = paths::repo_root();
    let mut timings: Vec<(String, Duration, &str)> = Vec::new();

    let t = Instant::now();
    match libtorch::inspect(&paths::libtorch_link(&repo)) {
        // Fast path: no prerequisite checks, no cache lookups.
        Ok(lt) => println!("libtorch {} at {} (set up)", lt.version, lt.dir.display()),
        Err(e) => {
            println!("libtorch is not set up ({e:#}); running `cargo xtask setup`");
            setup::run(&SetupArgs::default())?;
        }
    }
    timings.push(("setup (libtorch)".into(), t.elapsed(), "ok"));

    // The real-data tests need Fashion-MNIST; without it they skip, so this is not fatal.
    let t = Instant::now();
    let status = match paths::data_dir(None, &paths::process_env)
        .and_then(|dir| data::ensure(Dataset::FashionMnist, &dir, false))
    {
        Ok(()) => "ok",
        Err(e) => {
            println!(
                "note: Fashion-MNIST is not available, so tests that need it will skip:\n{e:#}"
            );
            "unavailable"
        }
    };
    timings.push(("data fashion-mnist".into(), t.elapsed(), status));

    // The Python references (PyTorch, TensorBoard's reader) of the parity tests.
    let t = Instant::now();
    let python = paths::cache_root(&paths::process_env)
        .and_then(|cache| test_deps::ensure(&repo, &cache))?;
    timings.push(("python test packages".into(), t.elapsed(), "ok"));

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    for (args, env) in CHECKS {
        let vars: String = env.iter().map(|(k, v)| format!("{k}=\"{v}\" ")).collect();
        let name = format!("{vars}cargo {}", args.join(" "));
        println!("\n==> {name}");
        let t = Instant::now();
        let status = Command::new(&cargo)
            .args(args)
            .envs(env.iter().copied())
            .env("GAN_TEST_PYTHON", &python)
            .env("GAN_REQUIRE_PYTHON", "1")
            .current_dir(&repo)
            .status();
        let failure = match &status {
            Ok(s) if s.success() => None,
            Ok(s) => Some(s.to_string()),
            Err(e) => Some(format!("could not run {}: {e}", cargo.to_string_lossy())),
        };
        let ok = failure.is_none();
        let status = if ok { "ok" } else { "FAILED" };
        println!("<== {name}: {status} in {:.1} s", t.elapsed().as_secs_f64());
        timings.push((name.clone(), t.elapsed(), status));
        if let Some(why) = failure {
            print_summary(&timings);
            bail!("`{name}` failed ({why})");
        }
    }

    // After the tests, whose build it reuses: a crate outside the workspace that uses the
    // crates (gan-build's rpath, no LD_LIBRARY_PATH).
    let name = format!("build and run {}", downstream::DIR);
    println!("\n==> {name}");
    let t = Instant::now();
    let result = downstream::check(&repo, &cargo);
    let status = if result.is_ok() { "ok" } else { "FAILED" };
    println!("<== {name}: {status} in {:.1} s", t.elapsed().as_secs_f64());
    timings.push((name, t.elapsed(), status));
    if let Err(e) = result {
        print_summary(&timings);
        return Err(e.context(format!("{} failed", downstream::DIR)));
    }
    print_summary(&timings);
    Ok(())
}

fn print_summary(timings: &[(String, Duration, &str)]) {
    println!("\nsummary:");
    for (name, took, status) in timings {
        println!("  {:>8.1} s  {:<11}  {name}", took.as_secs_f64(), status);
    }
    let total: Duration = timings.iter().map(|(_, d, _)| *d).sum();
    println!("  {:>8.1} s  total", total.as_secs_f64());
}
