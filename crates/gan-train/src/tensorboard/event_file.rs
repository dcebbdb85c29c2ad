//! [`EventFile`]: the one TensorBoard event file of a run, appended to as it trains.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;

use super::proto::{
    self, Dim, Event, EventWhat, Experiment, HParamInfo, HParamsData, HParamsPluginData, Image,
    MetricInfo, MetricName, PluginData, ProtoKind, ProtoValue, SessionEndInfo, SessionStartInfo,
    Summary, SummaryMetadata, SummaryValue, TensorProto, TensorShapeProto, Value,
};
use super::record;
use crate::error::{Result, TrainError};

/// TensorBoard finds event files by this prefix (any name containing `tfevents` works).
pub const EVENT_FILE_PREFIX: &str = "events.out.tfevents.";
const FILE_VERSION: &str = "brain.Event:2";

/// A hyperparameter value for [`EventFile::hparams`].
#[derive(Clone, Debug, PartialEq)]
pub enum HParamValue {
    /// A number (integers too).
    Number(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// One run's event file. Each write is one `Event` record, flushed at once, so a crash
/// loses at most the record being written (and [`EventFile::open`] drops that torn tail).
pub struct EventFile {
    path: PathBuf,
    out: File,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .unwrap_or_else(|| "localhost".into())
}

/// The existing event file in `dir` (the first by name), if any.
fn existing(dir: &Path) -> Result<Option<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TrainError::io("reading", dir, e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(EVENT_FILE_PREFIX)
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files.into_iter().next())
}

/// `bytes` without the events after `step` (and without a torn tail), or `None` if
/// nothing needs to go.
fn kept_through(bytes: &[u8], step: u64) -> Option<Vec<u8>> {
    let records = record::records(bytes);
    let mut kept = Vec::with_capacity(bytes.len());
    let mut dropped = false;
    for data in records {
        let keep = match Event::decode(data) {
            Ok(e) => matches!(e.what, Some(EventWhat::FileVersion(_))) || e.step as u64 <= step,
            Err(_) => false,
        };
        if keep {
            record::frame(data, &mut kept);
        } else {
            dropped = true;
        }
    }
    (dropped || kept.len() != bytes.len()).then_some(kept)
}

/// Width, height and TensorBoard colorspace of a PNG, from its IHDR chunk.
fn png_header(png: &[u8]) -> Option<(i32, i32, i32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 26 || &png[..8] != SIGNATURE || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
    let colorspace = match png[25] {
        0 => 1, // grey
        4 => 2, // grey + alpha
        2 | 3 => 3,
        6 => 4, // RGBA
        _ => return None,
    };
    Some((
        i32::try_from(be(16)).ok()?,
        i32::try_from(be(20)).ok()?,
        colorspace,
    ))
}

fn plugin(name: &str, content: Vec<u8>) -> Option<SummaryMetadata> {
    Some(SummaryMetadata {
        plugin_data: Some(PluginData {
            plugin_name: name.into(),
            content,
        }),
    })
}

impl EventFile {
    /// Open the event file in `dir` (creating `dir` and the file when there is none),
    /// keeping only the events of steps `≤ keep_through_step`: a resumed run continues
    /// after its checkpoint, as its `metrics.csv` does.
    pub fn open(dir: &Path, keep_through_step: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::io("creating", dir, e))?;
        let path = match existing(dir)? {
            Some(path) => {
                let bytes =
                    std::fs::read(&path).map_err(|e| TrainError::io("reading", &path, e))?;
                if let Some(kept) = kept_through(&bytes, keep_through_step) {
                    crate::output_file::write_file(&path, &kept)?;
                }
                path
            }
            None => dir.join(format!(
                "{EVENT_FILE_PREFIX}{}.{}.gan-rs",
                now() as u64,
                hostname()
            )),
        };
        let fresh = std::fs::metadata(&path).map_or(true, |m| m.len() == 0);
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| TrainError::io("opening", &path, e))?;
        let mut file = EventFile { path, out };
        if fresh {
            file.write(Event {
                wall_time: now(),
                step: 0,
                what: Some(EventWhat::FileVersion(FILE_VERSION.into())),
            })?;
        }
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&mut self, event: Event) -> Result<()> {
        let mut framed = Vec::new();
        record::frame(&event.encode_to_vec(), &mut framed);
        self.out
            .write_all(&framed)
            .and_then(|()| self.out.flush())
            .map_err(|e| TrainError::io("writing", &self.path, e))
    }

    fn summary(&mut self, step: u64, value: Vec<SummaryValue>) -> Result<()> {
        self.write(Event {
            wall_time: now(),
            step: step as i64,
            what: Some(EventWhat::Summary(Summary { value })),
        })
    }

    /// Scalars of one step, as one event. TensorBoard keeps them as float32.
    pub fn scalars(&mut self, step: u64, values: &[(&str, f64)]) -> Result<()> {
        let value = values
            .iter()
            .map(|(tag, v)| SummaryValue {
                tag: (*tag).into(),
                metadata: None,
                value: Some(Value::SimpleValue(*v as f32)),
            })
            .collect();
        self.summary(step, value)
    }

    /// A PNG image (the file's bytes) under `tag`.
    pub fn image_png(&mut self, tag: &str, step: u64, png: &[u8]) -> Result<()> {
        let (width, height, colorspace) = png_header(png).ok_or_else(|| TrainError::Plot {
            path: self.path.clone(),
            reason: format!("image `{tag}` is not a PNG"),
        })?;
        self.summary(
            step,
            vec![SummaryValue {
                tag: tag.into(),
                metadata: None,
                value: Some(Value::Image(Image {
                    height,
                    width,
                    colorspace,
                    encoded_image_string: png.to_vec(),
                })),
            }],
        )
    }

    /// Text (TensorBoard renders it as Markdown) under `tag`, for the text plugin.
    pub fn text(&mut self, tag: &str, step: u64, text: &str) -> Result<()> {
        self.summary(
            step,
            vec![SummaryValue {
                tag: tag.into(),
                // TextPluginData { version: 0 } serializes to nothing.
                metadata: plugin("text", Vec::new()),
                value: Some(Value::Tensor(TensorProto {
                    dtype: proto::DT_STRING,
                    tensor_shape: Some(TensorShapeProto {
                        dim: vec![Dim { size: 1 }],
                    }),
                    string_val: vec![text.as_bytes().to_vec()],
                })),
            }],
        )
    }

    /// The hparams plugin's three summaries, as `SummaryWriter.add_hparams` writes them:
    /// the experiment (hyperparameter and metric columns), this run's values, and its
    /// successful end. The metrics are read by TensorBoard from this run's scalar series
    /// named `metric_tags` (their last values).
    pub fn hparams(
        &mut self,
        step: u64,
        hparams: &[(String, HParamValue)],
        metric_tags: &[&str],
    ) -> Result<()> {
        let infos = hparams
            .iter()
            .map(|(name, v)| HParamInfo {
                name: name.clone(),
                r#type: match v {
                    HParamValue::Number(_) => proto::HPARAM_FLOAT64,
                    HParamValue::Text(_) => proto::HPARAM_STRING,
                    HParamValue::Bool(_) => proto::HPARAM_BOOL,
                },
            })
            .collect();
        let metric_infos = metric_tags
            .iter()
            .map(|tag| MetricInfo {
                name: Some(MetricName {
                    group: String::new(),
                    tag: (*tag).into(),
                }),
            })
            .collect();
        let values = hparams
            .iter()
            .map(|(name, v)| {
                let kind = match v {
                    HParamValue::Number(x) => ProtoKind::NumberValue(*x),
                    HParamValue::Text(s) => ProtoKind::StringValue(s.clone()),
                    HParamValue::Bool(b) => ProtoKind::BoolValue(*b),
                };
                (name.clone(), ProtoValue { kind: Some(kind) })
            })
            .collect();
        let t = now();
        let parts = [
            (
                "_hparams_/experiment",
                HParamsData::Experiment(Experiment {
                    hparam_infos: infos,
                    metric_infos,
                }),
            ),
            (
                "_hparams_/session_start_info",
                HParamsData::SessionStartInfo(SessionStartInfo {
                    hparams: values,
                    start_time_secs: t,
                }),
            ),
            (
                "_hparams_/session_end_info",
                HParamsData::SessionEndInfo(SessionEndInfo {
                    status: proto::STATUS_SUCCESS,
                    end_time_secs: t,
                }),
            ),
        ];
        for (tag, data) in parts {
            let content = HParamsPluginData {
                version: 0,
                data: Some(data),
            }
            .encode_to_vec();
            self.summary(
                step,
                vec![SummaryValue {
                    tag: tag.into(),
                    metadata: plugin("hparams", content),
                    value: None,
                }],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(path: &Path) -> Vec<Event> {
        let bytes = std::fs::read(path).unwrap();
        record::records(&bytes)
            .into_iter()
            .map(|d| Event::decode(d).unwrap())
            .collect()
    }

    fn steps(path: &Path) -> Vec<i64> {
        events(path).iter().map(|e| e.step).collect()
    }

    #[test]
    fn resume_keeps_events_through_the_checkpoint_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = EventFile::open(dir.path(), 0).unwrap();
        for step in [10, 20, 30] {
            f.scalars(step, &[("loss/d", step as f64 / 10.0)]).unwrap();
        }
        let path = f.path().to_path_buf();
        drop(f);
        // A crash tore the last record in half.
        let len = std::fs::metadata(&path).unwrap().len();
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - 5).unwrap();
        assert_eq!(steps(&path), [0, 10, 20]);

        let mut f = EventFile::open(dir.path(), 10).unwrap();
        assert_eq!(f.path(), path, "the same file is reused");
        f.scalars(20, &[("loss/d", 9.0)]).unwrap();
        let all = events(&path);
        assert!(matches!(&all[0].what, Some(EventWhat::FileVersion(v)) if v == FILE_VERSION));
        assert_eq!(steps(&path), [0, 10, 20]);
        let Some(EventWhat::Summary(s)) = &all[2].what else {
            panic!("a summary")
        };
        assert_eq!(s.value[0].value, Some(Value::SimpleValue(9.0)));
    }

    #[test]
    fn png_header_reads_size_and_colour_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        image::RgbImage::new(5, 3).save(&path).unwrap();
        let png = std::fs::read(&path).unwrap();
        assert_eq!(png_header(&png), Some((5, 3, 3)));
        assert_eq!(png_header(b"GIF89a not a png at all....."), None);
        let mut f = EventFile::open(dir.path(), 0).unwrap();
        let e = f.image_png("samples/grid", 1, b"nope").unwrap_err();
        assert!(e.to_string().contains("samples/grid"), "{e}");
    }
}
