//! State-dict files: reading one that PyTorch wrote (safetensors, or a `torch.save`
//! pickle that libtorch can read) and writing one that `safetensors.torch.load_file`
//! reads, with the reference module recorded in the metadata.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tch::{Device, Kind, Tensor};

use super::error::InteropError;
use crate::error::Result;

/// Metadata key of an exported file holding its reference module as JSON
/// ([`super::Reference::to_json`]); `scripts/pytorch_models.py` builds the module from it.
pub const REFERENCE_METADATA_KEY: &str = "gan_rs_reference";

/// How to make a safetensors file, for errors about files that cannot be read.
const CONVERT_HINT: &str = "save the state dict as safetensors instead: `from \
    safetensors.torch import save_file; save_file(net.state_dict(), \"net.safetensors\")` \
    (or `python scripts/pytorch_models.py convert net.pth net.safetensors`)";

fn kind_of(dtype: Dtype) -> Option<Kind> {
    Some(match dtype {
        Dtype::F64 => Kind::Double,
        Dtype::F32 => Kind::Float,
        Dtype::F16 => Kind::Half,
        Dtype::BF16 => Kind::BFloat16,
        Dtype::I64 => Kind::Int64,
        Dtype::I32 => Kind::Int,
        Dtype::I16 => Kind::Int16,
        Dtype::I8 => Kind::Int8,
        Dtype::U8 => Kind::Uint8,
        Dtype::BOOL => Kind::Bool,
        _ => return None,
    })
}

fn dtype_of(kind: Kind) -> Option<Dtype> {
    Some(match kind {
        Kind::Float => Dtype::F32,
        Kind::Int64 => Dtype::I64,
        _ => return None,
    })
}

/// The named tensors of a state-dict file, on the CPU, as stored. `.safetensors` files
/// are read directly; anything else is tried as a `torch.save(state_dict)` zip pickle and
/// then as a TorchScript archive through libtorch, and if neither reads, the error says
/// how to convert the file to safetensors.
pub fn read_state_dict(path: &Path) -> Result<Vec<(String, Tensor)>> {
    let unreadable = |reason: String| InteropError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(crate::TrainError::io(
            "reading",
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let is_safetensors = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"));
    if !is_safetensors {
        return Tensor::loadz_multi_with_device(path, Device::Cpu)
            .or_else(|pickle| {
                Tensor::load_multi_with_device(path, Device::Cpu).map_err(|script| {
                    unreadable(format!(
                        "libtorch (through tch) reads neither this PyTorch pickle ({}) nor \
                         a TorchScript archive from it ({}); {CONVERT_HINT}",
                        first_line(&pickle.to_string()),
                        first_line(&script.to_string())
                    ))
                })
            })
            .map_err(Into::into);
    }
    let bytes = std::fs::read(path).map_err(|e| crate::TrainError::io("reading", path, e))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| unreadable(format!("not a valid safetensors file ({e})")))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        let kind = kind_of(view.dtype()).ok_or_else(|| {
            unreadable(format!(
                "tensor `{name}` has dtype {:?}, which gan-rs does not read",
                view.dtype()
            ))
        })?;
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        let t = Tensor::f_from_data_size(view.data(), &shape, kind)?;
        out.push((name, t));
    }
    Ok(out)
}

/// libtorch's errors carry a C++ backtrace after the first line.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

/// Serializes `tensors` (float32 or int64, any device and memory layout) as a safetensors
/// state dict, contiguous and row-major, with `metadata`.
pub(super) fn state_dict_bytes(
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let mut owned = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        // `contiguous()` also turns channels-last weights into plain NCHW strides.
        let t = t.detach().to_device(Device::Cpu).contiguous();
        let dtype = dtype_of(t.kind()).ok_or_else(|| InteropError::Unmapped {
            net: "network",
            module: "its reference module".into(),
            reason: format!("tensor `{name}` is {:?}, not float32", t.kind()),
        })?;
        let numel = t.numel();
        let mut bytes = vec![0u8; numel * t.kind().elt_size_in_bytes()];
        t.f_copy_data_u8(&mut bytes, numel)?;
        let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
        owned.push((name.clone(), dtype, shape, bytes));
    }
    let views = owned
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| InteropError::Unmapped {
                    net: "network",
                    module: "its reference module".into(),
                    reason: format!("tensor `{name}`: {e}"),
                })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    safetensors::tensor::serialize(views, Some(metadata)).map_err(|e| {
        InteropError::Unmapped {
            net: "network",
            module: "its reference module".into(),
            reason: format!("serializing: {e}"),
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safetensors_round_trip_is_contiguous_nchw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sd.safetensors");
        let w = Tensor::arange(2 * 3 * 2 * 2, (Kind::Float, Device::Cpu)).reshape([2, 3, 2, 2]);
        let cl = gan_models::channels_last(&w);
        assert_ne!(cl.stride(), w.stride());
        let tensors = vec![
            ("main.0.weight".to_string(), cl),
            (
                "main.1.num_batches_tracked".to_string(),
                Tensor::scalar_tensor(0, (Kind::Int64, Device::Cpu)),
            ),
        ];
        let meta = HashMap::from([(REFERENCE_METADATA_KEY.to_string(), "{}".to_string())]);
        std::fs::write(&path, state_dict_bytes(&tensors, meta).unwrap()).unwrap();
        let back: HashMap<_, _> = read_state_dict(&path).unwrap().into_iter().collect();
        assert_eq!(back.len(), 2);
        let w2 = &back["main.0.weight"];
        assert!(w2.equal(&w) && w2.stride() == w.stride());
        let n = &back["main.1.num_batches_tracked"];
        assert_eq!((n.size(), n.kind()), (vec![], Kind::Int64));
    }

    #[test]
    fn unreadable_files_say_how_to_convert() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.pth");
        std::fs::write(&path, b"not a pickle").unwrap();
        let e = read_state_dict(&path).unwrap_err().to_string();
        assert!(
            e.contains("net.pth") && e.contains("save_file") && !e.contains('\n'),
            "{e}"
        );
        let bad = dir.path().join("bad.safetensors");
        std::fs::write(&bad, b"junk").unwrap();
        let e = read_state_dict(&bad).unwrap_err().to_string();
        assert!(e.contains("not a valid safetensors"), "{e}");
        let e = read_state_dict(&dir.path().join("none.safetensors"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.safetensors"), "{e}");
    }
}
