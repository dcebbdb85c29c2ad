//! `cargo xtask`: project automation for gan-rs.
//!
//! - `setup`: install or accept libtorch 2.13.0 and point `.libtorch` at it (plus `--data`).
//! - `data NAME...`: fetch and verify datasets.
//! - `test`: setup if needed, then fmt, clippy, the whole test suite and examples/downstream.
//! - `downstream`: only the last: build examples/downstream and run it (see `downstream.rs`).
//! - `bench`: gan-rs vs PyTorch eager step timings and peak RSS (see `bench/mod.rs`).
//!
//! xtask never depends on tch: it has to run before libtorch exists.

mod archive;
mod bench;
mod catalog;
mod checksum;
mod data;
mod download;
mod downstream;
mod extract;
mod libtorch;
mod link;
mod paths;
mod prereq;
mod pypi;
mod setup;
mod test_cmd;
mod test_deps;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "gan-rs project automation"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install libtorch 2.13.0 (or accept one) and point the build at it; optionally fetch data.
    Setup(setup::SetupArgs),
    /// Fetch and verify datasets: fashion-mnist, mnist, cifar10 or all.
    Data {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// Dataset directory (default: $GAN_DATA_DIR, else $XDG_CACHE_HOME/gan-rs/data, else ~/.cache/gan-rs/data).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Re-fetch even if present and valid.
        #[arg(long)]
        force: bool,
    },
    /// Set up if needed, then run fmt, clippy and all tests (including ignored ones).
    Test,
    /// Build examples/downstream in the workspace's target directory and run it without
    /// LD_LIBRARY_PATH (the last step of `test`).
    Downstream,
    /// Benchmark gan-rs against PyTorch eager on the same device; saves target/bench/results.{json,md}.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole cause chain; a backtrace would only bury the fix.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Cmd::Setup(args) => setup::run(&args),
        Cmd::Data {
            names,
            data_dir,
            force,
        } => {
            let datasets = catalog::Dataset::parse_list(&names)?;
            setup::fetch_datasets(&datasets, data_dir.as_deref(), force)
        }
        Cmd::Test => test_cmd::run(),
        Cmd::Downstream => {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            downstream::check(&paths::repo_root(), &cargo)
        }
        Cmd::Bench(args) => bench::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed_and_rejects_conflicts() {
        Cli::command().debug_assert();
        assert!(
            Cli::try_parse_from(["xtask", "setup", "--libtorch", "/x", "--source", "archive"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["xtask", "setup", "--variant", "cu999"]).is_err());
        let cli = Cli::try_parse_from(["xtask", "setup", "--data", "mnist", "--data", "cifar10"])
            .unwrap();
        match cli.command {
            Cmd::Setup(a) => assert_eq!(a.data, ["mnist", "cifar10"]),
            _ => panic!("expected setup"),
        }
        assert!(Cli::try_parse_from(["xtask", "data"]).is_err());
    }
}
