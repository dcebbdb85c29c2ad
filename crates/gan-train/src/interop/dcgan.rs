//! The DCGAN mapping: gan-rs's [`gan_models::DcganConfig`] networks (plain ones: batch
//! norm, no heads) onto PyTorch's DCGAN example, `self.main = nn.Sequential(...)`.
//!
//! Generator (`L` hidden blocks: 4 at 64 px, 3 at 32, 2 at 28), block `i` being
//! `ConvTranspose2d, BatchNorm2d, ReLU` at Sequential indices `3i, 3i+1, 3i+2`, then the
//! output `ConvTranspose2d` at `3L` and `Tanh`:
//!
//! | gan-rs | PyTorch |
//! | --- | --- |
//! | `convt{i}.weight` `[in, out, k, k]` | `main.{3i}.weight` |
//! | `bn{i}.{weight, bias, running_mean, running_var}` | `main.{3i+1}.…` (+ `num_batches_tracked`) |
//! | `convt{L}.weight` `[in, nc, 4, 4]` | `main.{3L}.weight` |
//!
//! Discriminator (`L` strided blocks, the first without batch norm): `Conv2d, LeakyReLU`
//! at `0, 1`, then `Conv2d, BatchNorm2d, LeakyReLU` at `3i-1, 3i, 3i+1`, and the final
//! valid `Conv2d` at `3L-1` (the example's `Sigmoid` after it is left out: logits):
//!
//! | gan-rs | PyTorch |
//! | --- | --- |
//! | `conv0.weight` `[ndf, nc, 4, 4]` | `main.0.weight` |
//! | `conv{i}.weight`, `bn{i}.…` (i ≥ 1) | `main.{3i-1}.weight`, `main.{3i}.…` |
//! | `out.weight` `[1, in, k, k]` | `main.{3L-1}.weight` |
//!
//! `k` is 4, or 7 at 28 px (the first generator and last discriminator layer); all
//! convolutions are bias-free, as in the example.

use super::layout::Layout;

/// Kernel of the first generator / last discriminator layer.
fn base_kernel(image_size: i64) -> i64 {
    if image_size == 28 {
        7
    } else {
        4
    }
}

/// Width multipliers of the generator's hidden blocks, from the smallest spatial size.
fn generator_mults(image_size: i64) -> &'static [i64] {
    match image_size {
        64 => &[8, 4, 2, 1],
        32 => &[4, 2, 1],
        _ => &[4, 2],
    }
}

/// Width multipliers of the discriminator's blocks, from the input side (at 28 px not
/// the generator's reversed: `ndf, 2·ndf`).
fn discriminator_mults(image_size: i64) -> &'static [i64] {
    match image_size {
        64 => &[1, 2, 4, 8],
        32 => &[1, 2, 4],
        _ => &[1, 2],
    }
}

/// The layout of `DcganGenerator(nz, ngf, nc, image_size)`.
pub(super) fn generator_layout(nz: i64, ngf: i64, nc: i64, image_size: i64) -> Layout {
    let mut layout = Layout::default();
    let mults = generator_mults(image_size);
    let mut in_ch = nz;
    for (i, m) in mults.iter().enumerate() {
        let width = m * ngf;
        let k = if i == 0 { base_kernel(image_size) } else { 4 };
        layout.push(
            format!("main.{}.weight", 3 * i),
            format!("convt{i}.weight"),
            vec![in_ch, width, k, k],
        );
        layout.batch_norm(&format!("main.{}", 3 * i + 1), &format!("bn{i}"), width);
        in_ch = width;
    }
    let last = mults.len();
    layout.push(
        format!("main.{}.weight", 3 * last),
        format!("convt{last}.weight"),
        vec![in_ch, nc, 4, 4],
    );
    layout
}

/// The layout of `DcganDiscriminator(ndf, nc, image_size)`.
pub(super) fn discriminator_layout(ndf: i64, nc: i64, image_size: i64) -> Layout {
    let mut layout = Layout::default();
    let mults = discriminator_mults(image_size);
    let mut in_ch = nc;
    for (i, m) in mults.iter().enumerate() {
        let width = m * ndf;
        let conv = if i == 0 { 0 } else { 3 * i - 1 };
        layout.push(
            format!("main.{conv}.weight"),
            format!("conv{i}.weight"),
            vec![width, in_ch, 4, 4],
        );
        if i > 0 {
            layout.batch_norm(&format!("main.{}", 3 * i), &format!("bn{i}"), width);
        }
        in_ch = width;
    }
    let k = base_kernel(image_size);
    layout.push(
        format!("main.{}.weight", 3 * mults.len() - 1),
        "out.weight".into(),
        vec![1, in_ch, k, k],
    );
    layout
}

#[cfg(test)]
mod tests {
    use super::*;
    use gan_models::DcganConfig;
    use tch::{nn::VarStore, Device};

    fn config(size: i64) -> DcganConfig {
        DcganConfig {
            latent_dim: 8,
            ngf: 3,
            ndf: 5,
            ..DcganConfig::new(2, size)
        }
    }

    #[test]
    fn layouts_cover_the_built_networks_exactly() {
        for size in [28, 32, 64] {
            let cfg = config(size);
            let vs = VarStore::new(Device::Cpu);
            cfg.build_generator(&(vs.root() / "gen")).unwrap();
            generator_layout(8, 3, 2, size)
                .check_var_store(&vs, "gen", "generator", "G")
                .unwrap();
            let vs = VarStore::new(Device::Cpu);
            cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
            discriminator_layout(5, 2, size)
                .check_var_store(&vs, "disc", "discriminator", "D")
                .unwrap();
        }
    }

    #[test]
    fn the_64_px_names_are_the_pytorch_examples() {
        let g = generator_layout(100, 64, 3, 64);
        let names: Vec<_> = g
            .tensors
            .iter()
            .filter(|t| t.reference.ends_with(".weight"))
            .map(|t| t.reference.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "main.0.weight",
                "main.1.weight",
                "main.3.weight",
                "main.4.weight",
                "main.6.weight",
                "main.7.weight",
                "main.9.weight",
                "main.10.weight",
                "main.12.weight"
            ]
        );
        assert_eq!(g.tensors[0].shape, [100, 512, 4, 4]);
        assert_eq!(
            g.by_reference("main.12.weight").unwrap().shape,
            [64, 3, 4, 4]
        );
        assert_eq!(g.counters.len(), 4);
        let d = discriminator_layout(64, 3, 64);
        let conv: Vec<_> = d
            .tensors
            .iter()
            .filter(|t| t.gan.starts_with("conv") || t.gan == "out.weight")
            .map(|t| (t.reference.as_str(), t.shape.clone()))
            .collect();
        assert_eq!(
            conv,
            [
                ("main.0.weight", vec![64, 3, 4, 4]),
                ("main.2.weight", vec![128, 64, 4, 4]),
                ("main.5.weight", vec![256, 128, 4, 4]),
                ("main.8.weight", vec![512, 256, 4, 4]),
                ("main.11.weight", vec![1, 512, 4, 4]),
            ]
        );
        assert_eq!(
            d.by_reference("main.9.running_var").unwrap().gan,
            "bn3.running_var"
        );
    }

    #[test]
    fn the_28_px_networks_use_7x7_end_layers() {
        let g = generator_layout(8, 4, 1, 28);
        assert_eq!(g.tensors[0].shape, [8, 16, 7, 7]);
        assert_eq!(
            g.by_reference("main.6.weight").unwrap().gan,
            "convt2.weight"
        );
        let d = discriminator_layout(4, 1, 28);
        assert_eq!(d.by_reference("main.5.weight").unwrap().shape, [1, 8, 7, 7]);
        assert_eq!(d.counters, ["main.3.num_batches_tracked"]);
    }
}
