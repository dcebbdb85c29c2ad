//! Image grids: a batch of images `[N, C, H, W]` in `[−1, 1]` tiled into one picture
//! (like torchvision's `make_grid`) and written as PNG; plus the raw `.npy` writer that
//! `gan sample --format npy` uses.

use std::path::Path;

use image::{ImageBuffer, Rgb, RgbImage};
use tch::{Device, Kind, Tensor};

use crate::error::{Result, TrainError};
use crate::output_file::write_file;

/// Pixels of (black) padding between and around the tiles.
pub const GRID_PADDING: u32 = 2;

fn bad(path: &Path, reason: impl Into<String>) -> TrainError {
    TrainError::Plot {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Checks `images` is a non-empty `[N, C, H, W]` batch with 1 or 3 channels.
fn image_dims(images: &Tensor, path: &Path) -> Result<(usize, usize, usize, usize)> {
    match images.size()[..] {
        [n, c, h, w] if n > 0 && (c == 1 || c == 3) && h > 0 && w > 0 => {
            Ok((n as usize, c as usize, h as usize, w as usize))
        }
        ref s => Err(bad(
            path,
            format!("expected images [N>0, 1 or 3, H, W], got shape {s:?}"),
        )),
    }
}

/// Tiles `images` (`[N, C, H, W]`, values in `[−1, 1]`, clamped) into a grid with `nrow`
/// images per row and [`GRID_PADDING`] pixels of black between tiles. Grey images are
/// repeated over the three colour channels. `path` only names the picture in errors.
pub fn make_grid(images: &Tensor, nrow: usize, path: &Path) -> Result<RgbImage> {
    let (n, c, h, w) = image_dims(images, path)?;
    let nrow = nrow.clamp(1, n);
    let rows = n.div_ceil(nrow);
    let pad = GRID_PADDING as usize;
    let width = nrow * (w + pad) + pad;
    let height = rows * (h + pad) + pad;
    let bytes: Vec<u8> = {
        let t = images
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .nan_to_num(0.0, 1.0, -1.0)
            .clamp(-1.0, 1.0)
            .f_add_scalar(1.0)?
            .f_mul_scalar(127.5)?
            .round()
            .to_kind(Kind::Uint8)
            .contiguous();
        Vec::<u8>::try_from(t.flatten(0, -1))?
    };
    let mut img: RgbImage = ImageBuffer::from_pixel(width as u32, height as u32, Rgb([0, 0, 0]));
    for (i, tile) in bytes.chunks_exact(c * h * w).enumerate() {
        let x0 = pad + (i % nrow) * (w + pad);
        let y0 = pad + (i / nrow) * (h + pad);
        for y in 0..h {
            for x in 0..w {
                let at = |ch: usize| tile[ch * h * w + y * w + x];
                let px = if c == 1 {
                    let v = at(0);
                    [v, v, v]
                } else {
                    [at(0), at(1), at(2)]
                };
                img.put_pixel((x0 + x) as u32, (y0 + y) as u32, Rgb(px));
            }
        }
    }
    Ok(img)
}

/// Writes `images` as a PNG grid with `nrow` images per row to `path` (atomically).
pub fn write_grid_png(images: &Tensor, nrow: usize, path: &Path) -> Result<()> {
    let img = make_grid(images, nrow, path)?;
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| bad(path, e.to_string()))?;
    write_file(path, &bytes)
}

/// The number of images per row of a square-ish grid of `n` images.
pub fn default_nrow(n: usize) -> usize {
    ((n as f64).sqrt().ceil() as usize).max(1)
}

/// `.npy` (format 1.0) bytes of a float32 tensor: little-endian, C order, with its shape
/// in the header, readable by `numpy.load`.
pub fn npy_bytes(t: &Tensor) -> Result<Vec<u8>> {
    let shape = t.size();
    let values = Vec::<f32>::try_from(
        t.to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .contiguous()
            .flatten(0, -1),
    )?;
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 4 * values.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_layout_and_pixel_values() {
        // 3 grey 2×2 images: black, white, mid-grey, 2 per row → 2 rows.
        let x = Tensor::cat(
            &[
                Tensor::full([1, 1, 2, 2], -1.0, (Kind::Float, Device::Cpu)),
                Tensor::full([1, 1, 2, 2], 1.0, (Kind::Float, Device::Cpu)),
                Tensor::full([1, 1, 2, 2], 0.0, (Kind::Float, Device::Cpu)),
            ],
            0,
        );
        let img = make_grid(&x, 2, Path::new("t.png")).unwrap();
        assert_eq!((img.width(), img.height()), (2 * 4 + 2, 2 * 4 + 2));
        assert_eq!(img.get_pixel(2, 2).0, [0, 0, 0]);
        assert_eq!(img.get_pixel(6, 3).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(3, 6).0, [128, 128, 128]);
        // The unused fourth tile stays padding-black.
        assert_eq!(img.get_pixel(7, 7).0, [0, 0, 0]);
    }

    #[test]
    fn colour_channels_are_kept_and_values_clamped() {
        let x = Tensor::zeros([1, 3, 1, 1], (Kind::Float, Device::Cpu));
        let _ = x.get(0).get(0).fill_(5.0); // red saturates
        let _ = x.get(0).get(2).fill_(-1.0);
        let img = make_grid(&x, 8, Path::new("t.png")).unwrap();
        assert_eq!(img.get_pixel(2, 2).0, [255, 128, 0]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        for shape in [vec![4, 2, 3, 3], vec![4, 9], vec![0, 1, 3, 3]] {
            let x = Tensor::zeros(shape.as_slice(), (Kind::Float, Device::Cpu));
            assert!(make_grid(&x, 2, Path::new("t.png")).is_err(), "{shape:?}");
        }
    }

    #[test]
    fn png_round_trips() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("g.png");
        let x = Tensor::rand([5, 1, 4, 4], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
        write_grid_png(&x, default_nrow(5), &path).unwrap();
        let back = image::open(&path).unwrap().to_rgb8();
        assert_eq!((back.width(), back.height()), (3 * 6 + 2, 2 * 6 + 2));
    }

    #[test]
    fn npy_header_is_valid() {
        let x = Tensor::from_slice(&[1.0f32, -2.0, 0.5, 4.0, 5.0, 6.0]).reshape([2, 1, 3]);
        let b = npy_bytes(&x).unwrap();
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let header = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
        assert!(header.contains("'shape': (2, 1, 3)"), "{header}");
        assert!(header.ends_with('\n'));
        assert_eq!(b.len(), 10 + hlen + 6 * 4);
        assert_eq!(
            f32::from_le_bytes(b[10 + hlen + 4..10 + hlen + 8].try_into().unwrap()),
            -2.0
        );
    }
}
