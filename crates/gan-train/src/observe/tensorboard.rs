//! [`TensorBoard`]: the run's TensorBoard event file, `tb/events.out.tfevents.*`
//! (`log.tensorboard`, on by default). View it with `tensorboard --logdir runs/`.
//!
//! It holds:
//! - every `metrics.csv` scalar under grouped tags (`loss/d`, `loss/g`, `d/real`, …; see
//!   [`super::MetricsLog`]), the classifier FID (`eval/classifier_fid`) when logged, and the learning
//!   rates (`lr/generator`, `lr/discriminator`) on the same steps as the metrics rows;
//! - the fixed-noise sample grids (`samples/grid`, `samples/final`) and the end-of-run
//!   plots (`plots/density`, `plots/scatter`, …) as images;
//! - the run's config as text (`config`, again at each resume), and at the end the
//!   hparams (every config value) with the final metrics.
//!
//! The other observers publish into it through [`TensorBoard::publisher`]; it never stops
//! a run: an error (opening or writing) becomes a warning and switches it off. Register
//! it after the observers that publish, so that it closes the file after their last
//! pictures.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::publish::{EventSink, Publisher};
use super::Observer;
use crate::error::{Result, TrainError};
use crate::tensorboard::{EventFile, HParamValue};
use crate::trainer::{StepStats, Trainer};

/// The event file's directory inside a run directory.
pub const TENSORBOARD_DIR: &str = "tb";

/// The open event file, shared with the publishing observers.
#[derive(Default)]
struct Sink {
    file: Option<EventFile>,
    /// The first write error; the file is closed then.
    error: Option<TrainError>,
    /// Scalar tags written in this session (the hparams metrics).
    tags: std::collections::BTreeSet<String>,
}

impl Sink {
    fn record(&mut self, write: impl FnOnce(&mut EventFile) -> Result<()>) {
        if let Some(file) = self.file.as_mut() {
            if let Err(e) = write(file) {
                self.error.get_or_insert(e);
                self.file = None;
            }
        }
    }
}

impl EventSink for Sink {
    fn scalars(&mut self, step: u64, values: &[(&str, f64)]) {
        if self.file.is_some() {
            self.tags
                .extend(values.iter().map(|(t, _)| (*t).to_string()));
        }
        self.record(|f| f.scalars(step, values));
    }

    fn image_png(&mut self, tag: &str, step: u64, png: &[u8]) {
        self.record(|f| f.image_png(tag, step, png));
    }
}

/// Writes the run's TensorBoard event file (see the module docs).
pub struct TensorBoard {
    every: u64,
    sink: Arc<Mutex<Sink>>,
}

/// Every scalar of the config as a dotted key (`train.batch_size`); arrays as text.
fn flatten_config(prefix: &str, value: &toml::Value, out: &mut Vec<(String, HParamValue)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten_config(&key(k), v, out);
            }
        }
        toml::Value::String(s) => out.push((prefix.into(), HParamValue::Text(s.clone()))),
        toml::Value::Integer(i) => out.push((prefix.into(), HParamValue::Number(*i as f64))),
        toml::Value::Float(x) => out.push((prefix.into(), HParamValue::Number(*x))),
        toml::Value::Boolean(b) => out.push((prefix.into(), HParamValue::Bool(*b))),
        other => out.push((prefix.into(), HParamValue::Text(other.to_string()))),
    }
}

impl TensorBoard {
    /// The event file of the run in `run_dir`, opened now so that observers can publish
    /// from their `on_start`; a resumed run keeps its events through `resume_step` (the
    /// checkpoint's step, 0 for a new run). Learning rates are logged every `every`
    /// steps (`log.every`, the metrics rows' grid).
    pub fn new(run_dir: &Path, every: u64, resume_step: u64) -> Self {
        let dir = run_dir.join(TENSORBOARD_DIR);
        let mut sink = Sink::default();
        match EventFile::open(&dir, resume_step) {
            Ok(file) => sink.file = Some(file),
            // Reported (as a warning) at the first step.
            Err(e) => sink.error = Some(e),
        }
        TensorBoard {
            every: every.max(1),
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    /// The outlet to hand to the observers whose values and pictures TensorBoard shows.
    pub fn publisher(&self) -> Publisher {
        Publisher::to(self.sink.clone())
    }

    fn sink(&self) -> std::sync::MutexGuard<'_, Sink> {
        // Nothing panics while holding the lock; if something did, its state is still
        // a consistent (if incomplete) record.
        self.sink.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The write error recorded since the last call, if any.
    fn take_error(&self) -> Result<()> {
        match self.sink().error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Observer for TensorBoard {
    fn on_start(&mut self, trainer: &Trainer) -> Result<()> {
        // The config always renders (run directories store it the same way).
        let config = toml::to_string(trainer.config()).unwrap_or_default();
        let step = trainer.step();
        self.sink()
            .record(|f| f.text("config", step, &format!("```toml\n{config}```")));
        Ok(())
    }

    fn on_step(&mut self, trainer: &Trainer, s: &StepStats) -> Result<()> {
        self.take_error()?;
        if s.step % self.every == 0 || s.step == trainer.config().train.steps {
            let lrs = [
                ("lr/generator", trainer.generator_optimizer().lr()),
                ("lr/discriminator", trainer.discriminator_optimizer().lr()),
            ];
            self.sink().scalars(s.step, &lrs);
        }
        self.take_error()
    }

    fn on_end(&mut self, trainer: &Trainer, error: Option<&TrainError>) -> Result<()> {
        if error.is_none() {
            let mut hparams = Vec::new();
            if let Ok(toml::Value::Table(t)) = toml::Value::try_from(trainer.config()) {
                flatten_config("", &toml::Value::Table(t), &mut hparams);
            }
            let mut sink = self.sink();
            let metrics: Vec<String> = sink
                .tags
                .iter()
                .filter(|t| !t.starts_with("lr/"))
                .cloned()
                .collect();
            let metrics: Vec<&str> = metrics.iter().map(String::as_str).collect();
            sink.record(|f| f.hparams(trainer.step(), &hparams, &metrics));
        }
        // Closing the file: a later resume opens it again.
        let mut sink = self.sink();
        sink.file = None;
        match sink.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_flattens_to_dotted_keys() {
        let v: toml::Value = toml::from_str(
            "name = \"x\"\nseed = 3\n[train]\nlr = 0.5\nema = true\nhidden = [4, 8]\n",
        )
        .unwrap();
        let mut out = Vec::new();
        flatten_config("", &v, &mut out);
        assert_eq!(
            out,
            vec![
                ("name".into(), HParamValue::Text("x".into())),
                ("seed".into(), HParamValue::Number(3.0)),
                ("train.ema".into(), HParamValue::Bool(true)),
                ("train.hidden".into(), HParamValue::Text("[4, 8]".into())),
                ("train.lr".into(), HParamValue::Number(0.5)),
            ]
        );
    }
}
