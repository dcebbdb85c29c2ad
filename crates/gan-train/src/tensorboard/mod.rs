//! TensorBoard event files, written from Rust: what `torch.utils.tensorboard.SummaryWriter`
//! writes, for the summaries a GAN run needs (scalars, PNG images, text, hparams).
//!
//! An event file is a sequence of TFRecords ([`record`]), each holding one protobuf
//! `tensorboard.Event` ([`proto`]). The messages are derived with `prost` from the field
//! numbers of TensorBoard's own `.proto` files, so no `protoc` is needed at build time;
//! `tensorboard-rs`, the crate that does this, is unmaintained (protobuf 2, image 0.23)
//! and writes neither text nor hparams.
//!
//! [`EventFile`] is one run's file: resuming a run keeps the records up to the
//! checkpoint's step and appends after them, so steps stay monotonic as in `metrics.csv`.

mod event_file;
pub mod proto;
pub mod record;

pub use event_file::{EventFile, HParamValue, EVENT_FILE_PREFIX};
