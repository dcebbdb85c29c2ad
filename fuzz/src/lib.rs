//! Shared by the fuzz targets: the readers under test take a path, so each input is
//! written to a per-process scratch file (on tmpfs when available) first.

use std::path::PathBuf;

/// Write `data` to this process's scratch file named `name` and return its path.
pub fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("gan-rs-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("scratch file");
    path
}
