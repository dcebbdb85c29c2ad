//! The MLP and affine mappings: gan-rs's [`gan_models::MlpConfig`] networks (plain ones:
//! no label embedding, heads, minibatch features or noise) onto `nn.Sequential` MLPs, and
//! the affine generator `a·z + b` onto a module with `scale` and `shift` parameters.
//!
//! The Sequential holds, per hidden layer, `Linear`, its activation (`nn.Identity` for
//! `none`, so indices never shift) and, when the network has dropout, `nn.Dropout`; then
//! the output `Linear` and, if any, the output activation. With `s` = 2 modules per hidden
//! layer (3 with dropout) and `H` hidden layers:
//!
//! | gan-rs | PyTorch |
//! | --- | --- |
//! | `fc{k}.weight` `[out, in]`, `fc{k}.bias` | `main.{s·k}.weight`, `main.{s·k}.bias` |
//! | `out.weight`, `out.bias` | `main.{s·H}.weight`, `main.{s·H}.bias` |

use super::layout::Layout;

/// The layout of an MLP with layer widths `sizes` (input, hidden…, output); `dropout`:
/// whether its Sequential holds `nn.Dropout` modules.
pub(super) fn mlp_layout(sizes: &[i64], dropout: bool) -> Layout {
    let stride = if dropout { 3 } else { 2 };
    let hidden = sizes.len().saturating_sub(2);
    let mut layout = Layout::default();
    for (k, pair) in sizes.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        let gan = if k == hidden {
            "out".to_string()
        } else {
            format!("fc{k}")
        };
        let index = stride * k;
        layout.push(
            format!("main.{index}.weight"),
            format!("{gan}.weight"),
            vec![fan_out, fan_in],
        );
        layout.push(
            format!("main.{index}.bias"),
            format!("{gan}.bias"),
            vec![fan_out],
        );
    }
    layout
}

/// The layout of `AffineGenerator(dim)`.
pub(super) fn affine_layout(dim: i64) -> Layout {
    let mut layout = Layout::default();
    for name in ["scale", "shift"] {
        layout.push(name.into(), name.into(), vec![dim]);
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;
    use gan_models::{LinearGeneratorConfig, MlpConfig};
    use tch::{nn::VarStore, Device};

    #[test]
    fn layouts_cover_the_built_networks_exactly() {
        let vs = VarStore::new(Device::Cpu);
        MlpConfig::new(2, vec![16, 8, 4], 3)
            .build_generator(&(vs.root() / "gen"))
            .unwrap();
        mlp_layout(&[2, 16, 8, 4, 3], false)
            .check_var_store(&vs, "gen", "generator", "G")
            .unwrap();
        let vs = VarStore::new(Device::Cpu);
        MlpConfig {
            dropout: 0.5,
            ..MlpConfig::new(3, vec![5], 1)
        }
        .build_discriminator(&(vs.root() / "disc"))
        .unwrap();
        mlp_layout(&[3, 5, 1], true)
            .check_var_store(&vs, "disc", "discriminator", "D")
            .unwrap();
        let vs = VarStore::new(Device::Cpu);
        MlpConfig::new(3, vec![], 1)
            .build_discriminator(&(vs.root() / "disc"))
            .unwrap();
        mlp_layout(&[3, 1], false)
            .check_var_store(&vs, "disc", "discriminator", "D")
            .unwrap();
        let vs = VarStore::new(Device::Cpu);
        LinearGeneratorConfig { dim: 2 }
            .build(&(vs.root() / "gen"))
            .unwrap();
        affine_layout(2)
            .check_var_store(&vs, "gen", "generator", "A")
            .unwrap();
    }

    #[test]
    fn sequential_indices_skip_activations_and_dropout() {
        let names = |l: Layout| -> Vec<(String, String)> {
            l.tensors
                .into_iter()
                .filter(|t| t.reference.ends_with("weight"))
                .map(|t| (t.reference, t.gan))
                .collect()
        };
        let plain = names(mlp_layout(&[2, 128, 128, 2], false));
        assert_eq!(
            plain,
            [
                ("main.0.weight".into(), "fc0.weight".into()),
                ("main.2.weight".into(), "fc1.weight".into()),
                ("main.4.weight".into(), "out.weight".into()),
            ]
        );
        let with_dropout = names(mlp_layout(&[2, 128, 128, 1], true));
        assert_eq!(with_dropout[1].0, "main.3.weight");
        assert_eq!(with_dropout[2].0, "main.6.weight");
        assert_eq!(
            mlp_layout(&[2, 128, 1], false).tensors[0].shape,
            [128, 2],
            "Linear weights are [out, in] on both sides"
        );
    }
}
