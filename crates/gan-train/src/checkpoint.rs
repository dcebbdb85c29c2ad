//! Checkpoints: everything needed to continue a run, in one safetensors file.
//!
//! A checkpoint holds the generator and discriminator weights, both optimizers' state
//! tensors, and JSON metadata (step, seed, data-source cursor, optimizer step counts,
//! the resolved config). Torch's RNG needs no saving: it is re-seeded from
//! `(seed, step)` every step (see [`crate::rng`]).
//!
//! Writes are atomic: the file is written to `<name>.tmp`, flushed to disk, then renamed
//! over the old one, so a crash at any moment leaves either the previous checkpoint or
//! the new one, never a torn file.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::error::{Result, TrainError};

/// File name of the rolling checkpoint inside a run's `checkpoints/` directory.
pub const LATEST: &str = "latest.safetensors";
const META_KEY: &str = "gan_rs";
/// The checkpoint format this gan-rs writes. Version 2 keys optimizer state and
/// historical averages by parameter name; version 1 keyed them by parameter index.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format this gan-rs still reads; an older or newer checkpoint is refused with
/// a message naming the versions.
pub const OLDEST_READABLE_VERSION: u32 = 1;

/// Everything in a checkpoint that is not a tensor.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CheckpointMeta {
    /// Format of the file ([`FORMAT_VERSION`] when this gan-rs wrote it).
    pub format_version: u32,
    /// Generator updates completed.
    pub step: u64,
    /// The run's seed (`seed` of the config), which with `step` re-seeds torch's RNG.
    pub seed: u64,
    /// Cursor of the real-data source, so a resumed run continues the same stream.
    pub source_state: gan_data::SourceState,
    /// Cursor of the semi-supervised GAN's labelled-data loader.
    #[serde(default)]
    pub labeled_source_state: Option<gan_data::SourceState>,
    /// Updates the generator's optimizer has taken (Adam's bias-correction step count).
    pub opt_g_steps: u64,
    /// Updates the discriminator's optimizer has taken (`d_steps` per generator step).
    pub opt_d_steps: u64,
    /// The resolved experiment config, as TOML.
    pub config_toml: String,
    /// The data's sample shape and class count, so the networks can be rebuilt without
    /// reading the data (see [`crate::inference::Inference`]). Absent in format 1.
    #[serde(default)]
    pub data_shape: Option<crate::experiment::DataShape>,
    /// Free-form extra state (e.g. observers' counters), as JSON.
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// A checkpoint in memory: named tensors (on CPU) plus metadata.
pub struct Checkpoint {
    /// Step, seed, cursors and config: everything that is not a tensor.
    pub meta: CheckpointMeta,
    /// Tensors by name, prefixed by owner: `gen/`, `disc/` (weights), `opt_g/`, `opt_d/`
    /// (optimizer state), `ha_g/`, `ha_d/` (historical averages).
    pub tensors: HashMap<String, Tensor>,
}

impl Checkpoint {
    /// Tensor named `name`, if present.
    pub fn tensor(&self, name: &str) -> Option<Tensor> {
        self.tensors.get(name).map(Tensor::shallow_clone)
    }

    /// All tensors whose name starts with `prefix`, with the prefix removed.
    pub fn with_prefix(&self, prefix: &str) -> HashMap<String, Tensor> {
        self.tensors
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(prefix)
                    .map(|rest| (rest.to_string(), v.shallow_clone()))
            })
            .collect()
    }
}

fn dtype_of(kind: Kind) -> Option<Dtype> {
    Some(match kind {
        Kind::Float => Dtype::F32,
        Kind::Double => Dtype::F64,
        Kind::Half => Dtype::F16,
        Kind::BFloat16 => Dtype::BF16,
        Kind::Int64 => Dtype::I64,
        Kind::Int => Dtype::I32,
        Kind::Uint8 => Dtype::U8,
        Kind::Bool => Dtype::BOOL,
        _ => return None,
    })
}

fn kind_of(dtype: Dtype) -> Option<Kind> {
    Some(match dtype {
        Dtype::F32 => Kind::Float,
        Dtype::F64 => Kind::Double,
        Dtype::F16 => Kind::Half,
        Dtype::BF16 => Kind::BFloat16,
        Dtype::I64 => Kind::Int64,
        Dtype::I32 => Kind::Int,
        Dtype::U8 => Kind::Uint8,
        Dtype::BOOL => Kind::Bool,
        _ => return None,
    })
}

/// Write `tensors` and `meta` to `path` atomically.
pub fn save(path: &Path, tensors: &[(String, Tensor)], meta: &CheckpointMeta) -> Result<()> {
    let err = |reason: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    // Bring every tensor to contiguous CPU bytes.
    let mut owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        let t = t.detach().to_device(Device::Cpu).contiguous();
        let dtype = dtype_of(t.kind()).ok_or_else(|| {
            err(format!(
                "tensor `{name}` has unsupported kind {:?}",
                t.kind()
            ))
        })?;
        check_finite_tensor(name, &t, meta.step, path)?;
        let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
        let numel = t.numel();
        let mut bytes = vec![0u8; numel * t.kind().elt_size_in_bytes()];
        t.f_copy_data_u8(&mut bytes, numel)?;
        owned.push((name.clone(), dtype, shape, bytes));
    }
    let views = owned
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| err(format!("tensor `{name}`: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta_json = serde_json::to_string(meta).map_err(|e| err(e.to_string()))?;
    let info = HashMap::from([(META_KEY.to_string(), meta_json)]);
    let bytes =
        safetensors::tensor::serialize(views, Some(info)).map_err(|e| err(e.to_string()))?;
    crate::output_file::write_file(path, &bytes)
}

/// Refuse to save a floating-point tensor holding NaN or ±inf: a checkpoint must always
/// be a state worth resuming from, so a diverged model never replaces the last good one.
fn check_finite_tensor(name: &str, t: &Tensor, step: u64, path: &Path) -> Result<()> {
    if !t.is_floating_point() || t.numel() == 0 {
        return Ok(());
    }
    let bad = t.isfinite().logical_not();
    if bad.any().int64_value(&[]) == 0 {
        return Ok(());
    }
    let value = t
        .masked_select(&bad)
        .get(0)
        .to_kind(Kind::Double)
        .double_value(&[]);
    let what = match name.split_once('/') {
        Some(("gen", rest)) => format!("generator weight `{rest}`"),
        Some(("disc", rest)) => format!("discriminator weight `{rest}`"),
        Some((opt, _)) if opt.starts_with("opt") => format!("optimizer state `{name}`"),
        _ => format!("tensor `{name}`"),
    };
    Err(TrainError::NonFinite {
        step,
        what,
        value,
        hint: format!(
            "The checkpoint was not written{}. Lower the learning rates, check the data \
             scaling, or try a bounded loss (hinge, least_squares) or a gradient penalty.",
            if path.exists() {
                "; the previous one was kept"
            } else {
                " (there is no earlier one)"
            }
        ),
    })
}

/// Read a checkpoint written by [`save`]; every tensor lands on the CPU.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let err = |reason: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| TrainError::io("reading", path, e))?;
    let (_, header) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| err(format!("not a valid safetensors file ({e})")))?;
    let meta_json = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| err("no gan-rs metadata: not a gan-rs checkpoint".into()))?;
    let meta: CheckpointMeta =
        serde_json::from_str(meta_json).map_err(|e| err(format!("corrupt metadata ({e})")))?;
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&meta.format_version) {
        return Err(err(format!(
            "format version {} is not supported (this gan-rs reads versions \
             {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}){}",
            meta.format_version,
            if meta.format_version > FORMAT_VERSION {
                "; it was written by a newer gan-rs"
            } else {
                ""
            }
        )));
    }
    let st =
        SafeTensors::deserialize(&bytes).map_err(|e| err(format!("corrupt tensor data ({e})")))?;
    let mut tensors = HashMap::new();
    for (name, view) in st.tensors() {
        let kind = kind_of(view.dtype()).ok_or_else(|| {
            err(format!(
                "tensor `{name}` has unsupported dtype {:?}",
                view.dtype()
            ))
        })?;
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        let t = Tensor::f_from_data_size(view.data(), &shape, kind)?;
        tensors.insert(name, t);
    }
    Ok(Checkpoint { meta, tensors })
}

/// Copy saved tensors into the variables of `vs` (matched by name). Every variable must
/// be present with the same shape; extra saved tensors are an error too, since they mean
/// the checkpoint belongs to a different model.
pub fn load_var_store(
    vs: &tch::nn::VarStore,
    saved: &HashMap<String, Tensor>,
    path: &Path,
    what: &str,
) -> Result<()> {
    let err = |reason: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    let vars = vs.variables();
    for (name, var) in &vars {
        let src = saved.get(name).ok_or_else(|| {
            err(format!(
                "{what} weight `{name}` is missing (was the config changed?)"
            ))
        })?;
        if src.size() != var.size() {
            return Err(err(format!(
                "{what} weight `{name}` has shape {:?}, the model expects {:?}",
                src.size(),
                var.size()
            )));
        }
        check_loaded_tensor(src, var.kind(), &format!("{what} weight `{name}`")).map_err(err)?;
        let mut var = var.shallow_clone();
        tch::no_grad(|| var.f_copy_(src))?;
    }
    if let Some(extra) = saved.keys().find(|k| !vars.contains_key(*k)) {
        return Err(err(format!(
            "{what} weight `{extra}` does not exist in the model (was the config changed?)"
        )));
    }
    Ok(())
}

/// A saved tensor must have the kind the model uses (no silent cast of an I32 or F64
/// weight) and, if floating, hold only finite values (saving refuses NaN / ±inf, so one
/// here means the file was damaged or forged). The error text names `what`.
pub fn check_loaded_tensor(
    src: &Tensor,
    expected: Kind,
    what: &str,
) -> std::result::Result<(), String> {
    if src.kind() != expected {
        return Err(format!(
            "{what} is stored as {:?}, the model's is {expected:?}",
            src.kind()
        ));
    }
    if src.is_floating_point()
        && src.numel() > 0
        && src.isfinite().logical_not().any().int64_value(&[]) != 0
    {
        return Err(format!(
            "{what} holds NaN or ±inf (a saved checkpoint never does: the file is damaged)"
        ));
    }
    Ok(())
}

/// Named tensors of a var store, each prefixed (e.g. `"gen/"`), sorted by name.
pub fn var_store_tensors(vs: &tch::nn::VarStore, prefix: &str) -> Vec<(String, Tensor)> {
    let mut v: Vec<_> = vs
        .variables()
        .into_iter()
        .map(|(k, t)| (format!("{prefix}{k}"), t))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> CheckpointMeta {
        CheckpointMeta {
            format_version: FORMAT_VERSION,
            step: 12,
            seed: 3,
            source_state: Default::default(),
            labeled_source_state: None,
            opt_g_steps: 12,
            opt_d_steps: 24,
            config_toml: "name = \"x\"".into(),
            data_shape: None,
            extra: serde_json::json!({"k": 1}),
        }
    }

    #[test]
    fn save_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.safetensors");
        let a = Tensor::from_slice(&[1.5f32, -2.0, 3.25]).view([3, 1]);
        let b = Tensor::from_slice(&[7i64, 8]);
        save(
            &path,
            &[
                ("gen/a".into(), a.shallow_clone()),
                ("opt/b".into(), b.shallow_clone()),
            ],
            &meta(),
        )
        .unwrap();
        let ck = load(&path).unwrap();
        assert_eq!(ck.meta, meta());
        assert!(ck.tensor("gen/a").unwrap().equal(&a));
        assert!(ck.tensor("opt/b").unwrap().equal(&b));
        assert_eq!(ck.with_prefix("gen/").len(), 1);
        assert!(!dir.path().join("c.safetensors.tmp").exists());
    }

    #[test]
    fn corrupt_or_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.safetensors");
        std::fs::write(&path, b"definitely not safetensors").unwrap();
        let e = load(&path).err().unwrap().to_string();
        assert!(
            e.contains("bad.safetensors") && e.contains("not a valid safetensors"),
            "{e}"
        );

        // A valid safetensors file without our metadata.
        let t = Tensor::from_slice(&[1.0f32]);
        t.write_safetensors_compat(&path);
        let e = load(&path).err().unwrap().to_string();
        assert!(e.contains("not a gan-rs checkpoint"), "{e}");

        let e = load(&dir.path().join("missing.safetensors"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("missing.safetensors"), "{e}");
    }

    #[test]
    fn truncated_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.safetensors");
        save(
            &path,
            &[("w".into(), Tensor::ones([64], (Kind::Float, Device::Cpu)))],
            &meta(),
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert!(load(&path).is_err());
    }

    #[test]
    fn failed_write_keeps_previous_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.safetensors");
        save(
            &path,
            &[("w".into(), Tensor::ones([2], (Kind::Float, Device::Cpu)))],
            &meta(),
        )
        .unwrap();
        // Make the temporary file impossible to create: a directory in its place.
        std::fs::create_dir(dir.path().join("c.safetensors.tmp")).unwrap();
        let e = save(
            &path,
            &[("w".into(), Tensor::zeros([2], (Kind::Float, Device::Cpu)))],
            &meta(),
        );
        assert!(e.is_err());
        let ck = load(&path).unwrap();
        assert!(ck
            .tensor("w")
            .unwrap()
            .equal(&Tensor::ones([2], (Kind::Float, Device::Cpu))));
    }

    #[test]
    fn non_finite_tensors_are_never_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.safetensors");
        let good = Tensor::ones([3], (Kind::Float, Device::Cpu));
        save(&path, &[("gen/w".into(), good.shallow_clone())], &meta()).unwrap();
        for bad in [f32::NAN, f32::INFINITY] {
            let t = Tensor::from_slice(&[1.0f32, bad, 2.0]);
            let e = save(&path, &[("gen/w".into(), t)], &meta())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("step 12")
                    && e.contains("generator weight `w`")
                    && e.contains("previous one was kept"),
                "{e}"
            );
            // The last good checkpoint is untouched.
            assert!(load(&path).unwrap().tensor("gen/w").unwrap().equal(&good));
        }
        // Integer tensors are never checked (and never non-finite).
        save(
            &path,
            &[("opt/n".into(), Tensor::from_slice(&[1i64]))],
            &meta(),
        )
        .unwrap();
    }

    #[test]
    fn var_store_round_trip_and_mismatch() {
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let _l = tch::nn::linear(vs.root() / "fc", 3, 2, Default::default());
        let saved: HashMap<String, Tensor> = vs
            .variables()
            .into_iter()
            .map(|(k, v)| (k, v.detach().copy()))
            .collect();
        let vs2 = tch::nn::VarStore::new(Device::Cpu);
        let _l2 = tch::nn::linear(vs2.root() / "fc", 3, 2, Default::default());
        load_var_store(&vs2, &saved, Path::new("x"), "generator").unwrap();
        for (k, v) in vs2.variables() {
            assert!(v.equal(&saved[&k]));
        }
        let vs3 = tch::nn::VarStore::new(Device::Cpu);
        let _l3 = tch::nn::linear(vs3.root() / "fc", 4, 2, Default::default());
        let e = load_var_store(&vs3, &saved, Path::new("x"), "generator")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fc.weight") && e.contains("shape"), "{e}");
    }

    trait WriteCompat {
        fn write_safetensors_compat(&self, path: &Path);
    }
    impl WriteCompat for Tensor {
        fn write_safetensors_compat(&self, path: &Path) {
            Tensor::write_safetensors(&[("t", self)], path).unwrap();
        }
    }
}
