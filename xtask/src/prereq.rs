//! Prerequisite checks, run before anything is installed: every missing piece is reported at
//! once, each with the exact command that fixes it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// One missing prerequisite and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub what: String,
    pub fix: String,
}

/// What the chosen setup path needs.
#[derive(Debug, Default)]
pub struct Needs {
    /// A C++ compiler (torch-sys compiles its C++ wrapper).
    pub cxx: bool,
    /// `python3` with `venv` and `ensurepip` (the PyPI source).
    pub python_venv: bool,
    /// Free space in a directory, in bytes.
    pub disk: Option<(PathBuf, u64)>,
}

/// Runs the checks that `needs` asks for and returns everything missing.
pub fn check(needs: &Needs) -> Vec<Missing> {
    let mut missing = Vec::new();
    if needs.cxx && !succeeds("c++", &["--version"]) && !succeeds("g++", &["--version"]) {
        missing.push(Missing {
            what: "a C++ compiler (c++ or g++), needed to build torch-sys".into(),
            fix: "apt-get install g++".into(),
        });
    }
    if needs.python_venv {
        if !succeeds("python3", &["--version"]) {
            missing.push(Missing {
                what: "python3, needed to install PyTorch's libtorch from PyPI".into(),
                fix: "apt-get install python3 python3-venv".into(),
            });
        } else if !succeeds("python3", &["-m", "venv", "--help"])
            || !succeeds("python3", &["-c", "import ensurepip"])
        {
            missing.push(Missing {
                what: "python3's venv module with ensurepip".into(),
                fix: "apt-get install python3-venv".into(),
            });
        }
    }
    if let Some((dir, need)) = &needs.disk {
        match free_bytes(dir) {
            Ok(free) if free >= *need => {}
            Ok(free) => missing.push(Missing {
                what: format!(
                    "{} of free disk space in {} (only {} free)",
                    gigabytes(*need),
                    dir.display(),
                    gigabytes(free)
                ),
                fix: "free some space there, or set GAN_RS_CACHE to a directory on a larger disk"
                    .into(),
            }),
            Err(e) => missing.push(Missing {
                what: format!(
                    "the free disk space in {} could not be read ({e:#})",
                    dir.display()
                ),
                fix: "check that `df -Pk` works, or set GAN_RS_CACHE to another directory".into(),
            }),
        }
    }
    missing
}

/// The message printed when something is missing: one line per item, its fix indented.
pub fn report(missing: &[Missing]) -> String {
    let mut out = format!("missing prerequisites ({}):\n", missing.len());
    for m in missing {
        out.push_str(&format!("  - {}\n      fix: {}\n", m.what, m.fix));
    }
    out.push_str("install them, then run `cargo xtask setup` again");
    out
}

/// Fails with [`report`] when anything is missing.
pub fn require(needs: &Needs) -> Result<()> {
    let missing = check(needs);
    if missing.is_empty() {
        Ok(())
    } else {
        bail!("{}", report(&missing))
    }
}

/// Free bytes on the file system holding `dir` (or its nearest existing ancestor).
pub fn free_bytes(dir: &Path) -> Result<u64> {
    let existing = dir
        .ancestors()
        .find(|p| p.exists())
        .context("no existing ancestor directory")?;
    let out = Command::new("df")
        .arg("-Pk")
        .arg(existing)
        .stderr(Stdio::null())
        .output()
        .context("running df")?;
    if !out.status.success() {
        bail!("df -Pk {} failed", existing.display());
    }
    Ok(parse_df_available_kb(&String::from_utf8_lossy(&out.stdout))? * 1024)
}

/// The "Available" column (KiB) of POSIX `df -Pk` output for one file system.
pub fn parse_df_available_kb(output: &str) -> Result<u64> {
    let line = output
        .lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .context("df printed no file system line")?;
    // Filesystem, 1024-blocks, Used, Available, Capacity, Mounted on; the name may hold
    // spaces, so count from the right where the capacity column ends in '%'.
    let fields: Vec<&str> = line.split_whitespace().collect();
    let cap = fields
        .iter()
        .rposition(|f| f.ends_with('%'))
        .context("df line has no capacity column")?;
    let avail = cap
        .checked_sub(1)
        .and_then(|i| fields.get(i))
        .context("df line has no available column")?;
    avail
        .parse()
        .with_context(|| format!("df available column {avail:?} is not a number"))
}

fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_df_output() {
        let out = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                   /dev/vda         264212084 17531600  77754288      19% /\n";
        assert_eq!(parse_df_available_kb(out).unwrap(), 77_754_288);
        let spaced = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                      my disk 100 40 60 40% /mnt/my disk\n";
        assert_eq!(parse_df_available_kb(spaced).unwrap(), 60);
        assert!(parse_df_available_kb("Filesystem\n").is_err());
        assert!(parse_df_available_kb("h\nfs 1 2 x 3% /\n").is_err());
    }

    #[test]
    fn report_lists_every_missing_item_with_its_fix() {
        let missing = vec![
            Missing {
                what: "a C++ compiler".into(),
                fix: "apt-get install g++".into(),
            },
            Missing {
                what: "python3's venv".into(),
                fix: "apt-get install python3-venv".into(),
            },
        ];
        let text = report(&missing);
        assert!(text.starts_with("missing prerequisites (2):\n"), "{text}");
        assert!(
            text.contains("  - a C++ compiler\n      fix: apt-get install g++\n"),
            "{text}"
        );
        assert!(text.contains("fix: apt-get install python3-venv"), "{text}");
        assert!(
            text.ends_with("then run `cargo xtask setup` again"),
            "{text}"
        );
    }

    #[test]
    fn disk_check_reports_too_little_space() {
        let tmp = tempfile::tempdir().unwrap();
        let free = free_bytes(tmp.path()).unwrap();
        assert!(free > 0);
        let ok = Needs {
            disk: Some((tmp.path().join("not/yet/created"), 1)),
            ..Needs::default()
        };
        assert!(check(&ok).is_empty());
        let too_much = Needs {
            disk: Some((tmp.path().to_path_buf(), u64::MAX)),
            ..Needs::default()
        };
        let missing = check(&too_much);
        assert_eq!(missing.len(), 1);
        assert!(
            missing[0].what.contains("free disk space"),
            "{:?}",
            missing[0]
        );
        assert!(missing[0].fix.contains("GAN_RS_CACHE"));
    }
}
