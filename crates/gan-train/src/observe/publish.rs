//! [`Publisher`]: the observers' second outlet. Besides writing their own files
//! (`metrics.csv`, `fid.csv`, PNGs), the observers hand what they measured and drew to
//! the sinks of a publisher — today the TensorBoard event file — so that every sink shows
//! exactly the values in the files, computed once.
//!
//! Sinks never fail the observer that publishes: a sink keeps its own error, and the
//! observer that owns it reports it (see [`super::TensorBoard`]).

use std::path::Path;
use std::sync::{Arc, Mutex};

/// Something that records published scalars and images.
pub trait EventSink: Send {
    /// Scalars of one step, by tag (e.g. `loss/d`).
    fn scalars(&mut self, step: u64, values: &[(&str, f64)]);
    /// A PNG image (the file's bytes) under `tag`.
    fn image_png(&mut self, tag: &str, step: u64, png: &[u8]);
}

/// A shared [`EventSink`].
pub type SharedSink = Arc<Mutex<dyn EventSink>>;

/// Fans published values out to its sinks; with none (the default) it does nothing.
#[derive(Clone, Default)]
pub struct Publisher {
    sinks: Vec<SharedSink>,
}

impl Publisher {
    /// A publisher with one sink.
    pub fn to(sink: SharedSink) -> Self {
        Publisher { sinks: vec![sink] }
    }

    /// Whether anything listens (lets observers skip work done only for the sinks).
    pub fn is_active(&self) -> bool {
        !self.sinks.is_empty()
    }

    /// Publish scalars of one step. NaN values (a column that does not apply to this
    /// run, like `modes` for 1-D data) are left out.
    pub fn scalars(&self, step: u64, values: &[(&str, f64)]) {
        let finite: Vec<(&str, f64)> = values
            .iter()
            .copied()
            .filter(|(_, v)| !v.is_nan())
            .collect();
        if finite.is_empty() {
            return;
        }
        for sink in &self.sinks {
            // A sink that panicked while holding the lock has nothing more to record.
            if let Ok(mut s) = sink.lock() {
                s.scalars(step, &finite);
            }
        }
    }

    /// Publish the PNG file at `path` (just written by the observer) under `tag`.
    pub fn image_file(&self, tag: &str, step: u64, path: &Path) {
        if self.sinks.is_empty() {
            return;
        }
        let Ok(png) = std::fs::read(path) else {
            // Only reachable if the file vanished just after it was written; the
            // observer that wrote it reported any write error already.
            tracing::warn!("could not read back {} to publish it", path.display());
            return;
        };
        for sink in &self.sinks {
            if let Ok(mut s) = sink.lock() {
                s.image_png(tag, step, &png);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Vec<(u64, String, f64)>);

    impl EventSink for Recorder {
        fn scalars(&mut self, step: u64, values: &[(&str, f64)]) {
            for (tag, v) in values {
                self.0.push((step, (*tag).to_string(), *v));
            }
        }
        fn image_png(&mut self, _tag: &str, _step: u64, _png: &[u8]) {}
    }

    #[test]
    fn nan_columns_are_left_out_and_no_sink_is_a_no_op() {
        let rec = Arc::new(Mutex::new(Recorder::default()));
        let p = Publisher::to(rec.clone());
        assert!(p.is_active());
        p.scalars(10, &[("loss/d", 1.5), ("modes/covered", f64::NAN)]);
        p.scalars(20, &[("modes/covered", f64::NAN)]);
        assert_eq!(rec.lock().unwrap().0, vec![(10, "loss/d".to_string(), 1.5)]);
        let none = Publisher::default();
        assert!(!none.is_active());
        none.scalars(1, &[("loss/d", 1.0)]);
    }
}
