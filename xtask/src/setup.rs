//! `cargo xtask setup`: install (or accept) libtorch 2.13.0, point `<repo>/.libtorch` at it,
//! and optionally fetch datasets. Idempotent; a second run only checks and finishes at once.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use crate::archive::{self, Variant};
use crate::catalog::Dataset;
use crate::data;
use crate::libtorch::{self, Libtorch};
use crate::link::{self, LinkOutcome};
use crate::paths;
use crate::prereq::{self, Needs};
use crate::pypi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Source {
    /// `torch==2.13.0` from PyPI into a venv in the per-user cache (works where only PyPI is reachable).
    #[default]
    Pypi,
    /// The official libtorch archive from download.pytorch.org.
    Archive,
}

#[derive(Debug, Args, Default)]
pub struct SetupArgs {
    /// Use an existing libtorch 2.13.0 directory (holding lib/ and include/) instead of installing one.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["source", "variant", "sha256"])]
    pub libtorch: Option<PathBuf>,
    /// Where to get libtorch from.
    #[arg(long, value_enum)]
    pub source: Option<Source>,
    /// Which official archive (`--source archive` only; default cpu).
    #[arg(long, value_enum)]
    pub variant: Option<Variant>,
    /// Expected SHA-256 of the official archive (`--source archive` only).
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// Also fetch datasets: fashion-mnist, mnist, cifar10 or all (repeatable).
    #[arg(long = "data", value_name = "NAME")]
    pub data: Vec<String>,
    /// Dataset directory (default: $GAN_DATA_DIR, else $XDG_CACHE_HOME/gan-rs/data, else ~/.cache/gan-rs/data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Reinstall / re-download even if already present.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &SetupArgs) -> Result<()> {
    let start = Instant::now();
    // Check every argument before doing anything slow.
    let datasets = Dataset::parse_list(&args.data)?;
    let source = args.source.unwrap_or_default();
    if source == Source::Pypi && (args.variant.is_some() || args.sha256.is_some()) {
        bail!(
            "--variant and --sha256 apply to --source archive; the PyPI wheel is the CUDA 13.0 \
             build of libtorch, which also runs on CPU"
        );
    }
    let repo = paths::repo_root();
    let lt = match &args.libtorch {
        Some(path) => use_existing(path)?,
        None => {
            let cache = paths::cache_root(&paths::process_env)?;
            match source {
                Source::Pypi => pypi::ensure(&cache, args.force)?,
                Source::Archive => archive::ensure(
                    &cache,
                    args.variant.unwrap_or(Variant::Cpu),
                    args.sha256.as_deref(),
                    args.force,
                )?,
            }
        }
    };
    point_repo_at(&repo, &lt)?;
    let data_failed = fetch_datasets(&datasets, args.data_dir.as_deref(), args.force);
    println!("setup finished in {:.1} s", start.elapsed().as_secs_f64());
    data_failed?;
    println!("next: cargo run --release -p gan-cli -- train");
    Ok(())
}

/// `--libtorch PATH`: accept a directory the user already has.
fn use_existing(path: &Path) -> Result<Libtorch> {
    prereq::require(&Needs {
        cxx: true,
        ..Needs::default()
    })?;
    // The link must not depend on the directory setup was run from.
    let abs = path
        .canonicalize()
        .with_context(|| format!("libtorch directory {} does not exist", path.display()))?;
    let lt = libtorch::inspect(&abs)?;
    println!("using libtorch {} at {}", lt.version, lt.dir.display());
    Ok(lt)
}

/// Makes `<repo>/.libtorch` (named by `.cargo/config.toml`) point at `lt`.
pub fn point_repo_at(repo: &Path, lt: &Libtorch) -> Result<()> {
    let link_path = paths::libtorch_link(repo);
    match link::point_link(&link_path, &lt.dir)? {
        LinkOutcome::Unchanged => println!("{} already points there", link_path.display()),
        LinkOutcome::Created => println!("linked {} -> {}", link_path.display(), lt.dir.display()),
        LinkOutcome::Replaced { previous } => println!(
            "relinked {} -> {} (was {})\nnote: torch-sys re-runs its build script only when the \
             LIBTORCH variable changes, not its link target: run `cargo clean -p torch-sys` \
             before the next build",
            link_path.display(),
            lt.dir.display(),
            previous.display()
        ),
    }
    Ok(())
}

/// Fetches every dataset, reporting all failures together at the end.
pub fn fetch_datasets(datasets: &[Dataset], data_dir: Option<&Path>, force: bool) -> Result<()> {
    if datasets.is_empty() {
        return Ok(());
    }
    let dir = paths::data_dir(data_dir, &paths::process_env)?;
    let mut failures = Vec::new();
    for &d in datasets {
        println!("dataset {} -> {}", d.name(), dir.join(d.name()).display());
        if let Err(e) = data::ensure(d, &dir, force) {
            failures.push(format!("{e:#}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("{}", failures.join("\n\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_only_options_are_refused_for_pypi_before_any_work() {
        let args = SetupArgs {
            variant: Some(Variant::Cu128),
            ..SetupArgs::default()
        };
        let err = run(&args).unwrap_err().to_string();
        assert!(err.contains("apply to --source archive"), "{err}");
        let args = SetupArgs {
            data: vec!["imagenet".into()],
            ..SetupArgs::default()
        };
        let err = run(&args).unwrap_err().to_string();
        assert!(err.contains("unknown dataset"), "{err}");
    }

    #[test]
    fn existing_libtorch_is_validated() {
        let tmp = tempfile::tempdir().unwrap();
        let err = format!(
            "{:#}",
            use_existing(&tmp.path().join("missing")).unwrap_err()
        );
        assert!(err.contains("does not exist"), "{err}");
        let old = tmp.path().join("old");
        crate::libtorch::tests::fake_libtorch(&old, "build-version", "2.1.0+cpu\n");
        let err = format!("{:#}", use_existing(&old).unwrap_err());
        assert!(err.contains("tch 0.26 needs libtorch 2.13.0"), "{err}");
        let good = tmp.path().join("good");
        crate::libtorch::tests::fake_libtorch(&good, "build-version", "2.13.0+cpu\n");
        assert_eq!(
            use_existing(&good).unwrap().dir,
            good.canonicalize().unwrap()
        );
    }

    #[test]
    fn repo_link_points_at_the_chosen_libtorch() {
        let tmp = tempfile::tempdir().unwrap();
        let lt = Libtorch {
            dir: tmp.path().join("lt"),
            version: "2.13.0+cpu".into(),
        };
        point_repo_at(tmp.path(), &lt).unwrap();
        assert_eq!(
            std::fs::read_link(tmp.path().join(".libtorch")).unwrap(),
            lt.dir
        );
        point_repo_at(tmp.path(), &lt).unwrap();
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
