//! [`read_latents`]: a latent matrix from a `.npy` file, so that gan-rs and PyTorch can
//! be fed the same z (`gan sample --latents z.npy`).

use std::path::Path;

use tch::{Kind, Tensor};

use super::error::InteropError;
use crate::error::Result;

/// Reads the `[N, width]` latent matrix of the `.npy` file at `path` (float32, or float64
/// converted to float32; C order), on the CPU. `width` is the generator's latent
/// dimension; errors name the file and say what was expected.
pub fn read_latents(path: &Path, width: i64) -> Result<Tensor> {
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
    let z = Tensor::read_npy(path).map_err(|e| {
        unreadable(format!(
            "not a .npy array gan-rs can read ({e}); save a float32 [N, {width}] array with \
             `numpy.save(path, z.astype(numpy.float32))`"
        ))
    })?;
    if !matches!(z.kind(), Kind::Float | Kind::Double) {
        return Err(unreadable(format!(
            "holds {:?} values; latents must be float32 (or float64)",
            z.kind()
        ))
        .into());
    }
    let shape = z.size();
    match shape[..] {
        [n, w] if n > 0 && w == width => {}
        [_, w] if w != width => {
            return Err(unreadable(format!(
                "has {w} latent columns (shape {shape:?}), the generator takes nz = {width}"
            ))
            .into())
        }
        _ => {
            return Err(unreadable(format!(
                "has shape {shape:?}; expected [N, {width}] with N >= 1 (one row per sample)"
            ))
            .into())
        }
    }
    let z = z.to_kind(Kind::Float);
    if z.isfinite().logical_not().any().int64_value(&[]) != 0 {
        return Err(unreadable("holds NaN or ±inf".into()).into());
    }
    Ok(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn write(dir: &Path, name: &str, t: &Tensor) -> std::path::PathBuf {
        let path = dir.join(name);
        t.write_npy(&path).unwrap();
        path
    }

    #[test]
    fn reads_float32_and_float64_and_checks_the_width() {
        let dir = tempfile::tempdir().unwrap();
        let z = Tensor::randn([4, 3], (Kind::Float, Device::Cpu));
        let p = write(dir.path(), "z.npy", &z);
        assert!(read_latents(&p, 3).unwrap().equal(&z));
        let p64 = write(dir.path(), "z64.npy", &z.to_kind(Kind::Double));
        let back = read_latents(&p64, 3).unwrap();
        assert_eq!(back.kind(), Kind::Float);
        assert!(back.equal(&z));
        let e = read_latents(&p, 5).unwrap_err().to_string();
        assert!(
            e.contains("3 latent columns") && e.contains("nz = 5"),
            "{e}"
        );
        let p1 = write(dir.path(), "flat.npy", &z.flatten(0, -1));
        let e = read_latents(&p1, 3).unwrap_err().to_string();
        assert!(e.contains("expected [N, 3]"), "{e}");
        let pi = write(dir.path(), "int.npy", &z.to_kind(Kind::Int64));
        let e = read_latents(&pi, 3).unwrap_err().to_string();
        assert!(e.contains("Int64"), "{e}");
        std::fs::write(dir.path().join("junk.npy"), b"junk").unwrap();
        let e = read_latents(&dir.path().join("junk.npy"), 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("junk.npy") && e.contains("numpy.save"), "{e}");
    }

    #[test]
    fn npy_files_written_by_gan_rs_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let z = Tensor::randn([2, 5], (Kind::Float, Device::Cpu));
        let path = dir.path().join("z.npy");
        std::fs::write(&path, crate::image_grid::npy_bytes(&z).unwrap()).unwrap();
        assert!(read_latents(&path, 5).unwrap().equal(&z));
    }
}
