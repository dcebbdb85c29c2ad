//! Where things live: the repository root, the per-user cache and the data directory.
//!
//! Environment lookups go through an [`Env`] function so that the resolution order can be
//! unit-tested without touching the process environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// Reads one environment variable; empty values count as unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The real process environment, with empty values treated as unset.
pub fn process_env(key: &str) -> Option<OsString> {
    std::env::var_os(key).filter(|v| !v.is_empty())
}

/// The workspace root: xtask's manifest directory is `<repo>/xtask`.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The git-ignored link that `.cargo/config.toml` names as `LIBTORCH`.
pub fn libtorch_link(repo: &Path) -> PathBuf {
    repo.join(".libtorch")
}

/// Per-user cache root: `$GAN_RS_CACHE`, else `$XDG_CACHE_HOME/gan-rs`, else `$HOME/.cache/gan-rs`.
pub fn cache_root(env: Env) -> Result<PathBuf> {
    if let Some(dir) = env("GAN_RS_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    Ok(xdg_cache(env)?.join("gan-rs"))
}

/// Dataset root: `--data-dir`, else `$GAN_DATA_DIR`, else `$XDG_CACHE_HOME/gan-rs/data`, else
/// `$HOME/.cache/gan-rs/data` — the same rule as the gan-data crate, so both find the files.
pub fn data_dir(arg: Option<&Path>, env: Env) -> Result<PathBuf> {
    if let Some(dir) = arg {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = env("GAN_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    Ok(xdg_cache(env)?.join("gan-rs").join("data"))
}

fn xdg_cache(env: Env) -> Result<PathBuf> {
    if let Some(dir) = env("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir));
    }
    match env("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".cache")),
        None => {
            bail!("cannot find a cache directory: set GAN_RS_CACHE (or XDG_CACHE_HOME or HOME)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |key| {
            pairs
                .iter()
                .find(|(k, v)| *k == key && !v.is_empty())
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn cache_root_prefers_gan_rs_cache_then_xdg_then_home() {
        let all = env_of(&[
            ("GAN_RS_CACHE", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(cache_root(&all).unwrap(), PathBuf::from("/c"));
        let xdg = env_of(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(cache_root(&xdg).unwrap(), PathBuf::from("/x/gan-rs"));
        let home = env_of(&[("HOME", "/h")]);
        assert_eq!(
            cache_root(&home).unwrap(),
            PathBuf::from("/h/.cache/gan-rs")
        );
        let empty_xdg = env_of(&[("XDG_CACHE_HOME", ""), ("HOME", "/h")]);
        assert_eq!(
            cache_root(&empty_xdg).unwrap(),
            PathBuf::from("/h/.cache/gan-rs")
        );
        assert!(cache_root(&env_of(&[])).is_err());
    }

    #[test]
    fn data_dir_resolution_order() {
        let env = env_of(&[
            ("GAN_DATA_DIR", "/d"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(
            data_dir(Some(Path::new("/arg")), &env).unwrap(),
            PathBuf::from("/arg")
        );
        assert_eq!(data_dir(None, &env).unwrap(), PathBuf::from("/d"));
        let xdg = env_of(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(
            data_dir(None, &xdg).unwrap(),
            PathBuf::from("/x/gan-rs/data")
        );
        let home = env_of(&[("HOME", "/h"), ("GAN_RS_CACHE", "/ignored")]);
        assert_eq!(
            data_dir(None, &home).unwrap(),
            PathBuf::from("/h/.cache/gan-rs/data")
        );
    }

    #[test]
    fn repo_root_holds_the_workspace_manifest() {
        assert!(repo_root().join("xtask").join("Cargo.toml").is_file());
    }
}
