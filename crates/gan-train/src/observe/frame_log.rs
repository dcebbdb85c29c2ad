//! The snapshot frames of a run, kept on disk (one JSON line per frame) so that a
//! resumed run's animations cover the whole run, not only the part since the last
//! resume. On resume the frames after the checkpoint's step (from a session killed
//! after its last checkpoint) are dropped, so the history matches the resumed state.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Result, TrainError};

/// A frame with the step it shows.
pub trait Frame: Serialize + DeserializeOwned {
    fn step(&self) -> u64;
}

/// Frames appended to a JSON-lines file.
pub struct FrameLog {
    path: PathBuf,
}

impl FrameLog {
    pub fn new(path: &Path) -> Self {
        FrameLog {
            path: path.to_path_buf(),
        }
    }

    /// The frames saved up to `step` (all of a run resumed at `step`); the file is
    /// rewritten to hold only those. A fresh run (`step` 0) starts a new file.
    pub fn resume<T: Frame>(&self, step: u64) -> Result<Vec<T>> {
        if step == 0 {
            let _ = std::fs::remove_file(&self.path);
            return Ok(Vec::new());
        }
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Ok(Vec::new());
        };
        // A torn last line (a kill mid-append) is skipped like a later frame.
        let frames: Vec<T> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<T>(l).ok())
            .filter(|f| f.step() <= step)
            .collect();
        let mut kept = String::new();
        for f in &frames {
            kept += &serde_json::to_string(f).expect("a frame serializes");
            kept.push('\n');
        }
        crate::output_file::write_file(&self.path, kept.as_bytes())?;
        Ok(frames)
    }

    /// Append one frame.
    pub fn append<T: Frame>(&self, frame: &T) -> Result<()> {
        let line = serde_json::to_string(frame).expect("a frame serializes") + "\n";
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| TrainError::io("writing", &self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct F {
        step: u64,
    }

    impl Frame for F {
        fn step(&self) -> u64 {
            self.step
        }
    }

    #[test]
    fn a_resume_keeps_the_frames_up_to_its_step() {
        let dir = tempfile::tempdir().unwrap();
        let log = FrameLog::new(&dir.path().join("frames.jsonl"));
        assert!(log.resume::<F>(0).unwrap().is_empty());
        for step in [0, 10, 20, 30] {
            log.append(&F { step }).unwrap();
        }
        // A torn line, as a kill in mid-append leaves.
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("frames.jsonl"))
            .unwrap()
            .write_all(b"{\"st")
            .unwrap();
        let frames: Vec<F> = log.resume(20).unwrap();
        assert_eq!(frames, [F { step: 0 }, F { step: 10 }, F { step: 20 }]);
        log.append(&F { step: 25 }).unwrap();
        assert_eq!(log.resume::<F>(25).unwrap().len(), 4);
        assert!(log.resume::<F>(0).unwrap().is_empty());
    }
}
