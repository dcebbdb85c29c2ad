//! [`PixelRange`]: the range in which the networks see image pixels.
//!
//! gan-rs keeps images in `[−1, 1]` everywhere between the networks (loaders, sample
//! grids, FID features, checkpoints' samples), so one convention serves every tool. A
//! network pair trained on `[0, 1]` pixels (Salimans et al.'s MNIST GAN: sigmoid
//! generator output, Gaussian noise of std 0.3 on D's input) is wrapped at that
//! boundary: [`ZeroOneGenerator`] maps its generator's `[0, 1]` output to `[−1, 1]`,
//! and [`ZeroOneDiscriminator`] shows its discriminator `(x + 1) / 2`. The networks
//! inside compute exactly what they would on `[0, 1]` data.

use serde::{Deserialize, Serialize};
use tch::Tensor;

use crate::{DiscOutput, Discriminator, Generator};

/// The pixel range the networks work in (serde: `minus_one_one | zero_one`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PixelRange {
    /// `[−1, 1]` (tanh generators; DCGAN).
    #[default]
    MinusOneOne,
    /// `[0, 1]` (sigmoid generators).
    ZeroOne,
}

/// A generator whose output lies in `[0, 1]`, seen from outside in `[−1, 1]` (`2x − 1`).
pub struct ZeroOneGenerator(pub Box<dyn Generator>);

impl Generator for ZeroOneGenerator {
    fn latent_dim(&self) -> i64 {
        self.0.latent_dim()
    }

    fn generate(&self, z: &Tensor, labels: Option<&Tensor>, train: bool) -> Tensor {
        self.0.generate(z, labels, train) * 2.0 - 1.0
    }
}

/// A discriminator trained on `[0, 1]` pixels, given `[−1, 1]` images (`(x + 1) / 2`).
pub struct ZeroOneDiscriminator(pub Box<dyn Discriminator>);

fn to_zero_one(x: &Tensor) -> Tensor {
    (x + 1.0) * 0.5
}

impl Discriminator for ZeroOneDiscriminator {
    fn discriminate(&self, x: &Tensor, labels: Option<&Tensor>, train: bool) -> DiscOutput {
        self.0.discriminate(&to_zero_one(x), labels, train)
    }

    fn initialize_from_data(&self, x: &Tensor) -> bool {
        self.0.initialize_from_data(&to_zero_one(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, MlpConfig};
    use tch::{nn::VarStore, Device, Kind};

    #[test]
    fn adapters_map_between_ranges_exactly() {
        tch::manual_seed(0);
        let vs = VarStore::new(Device::Cpu);
        let g_cfg = MlpConfig {
            output_activation: Activation::Sigmoid,
            ..MlpConfig::new(3, vec![8], 4)
        };
        let inner = g_cfg.build_generator(&(vs.root() / "g")).unwrap();
        let z = Tensor::randn([6, 3], (Kind::Float, Device::Cpu));
        let raw = inner.generate(&z, None, false);
        let g = ZeroOneGenerator(Box::new(inner));
        let x = g.generate(&z, None, false);
        assert!((&x - (&raw * 2.0 - 1.0)).abs().max().double_value(&[]) < 1e-7);
        assert!(x.min().double_value(&[]) >= -1.0 && x.max().double_value(&[]) <= 1.0);

        let d_inner = MlpConfig::new(4, vec![8], 1)
            .build_discriminator(&(vs.root() / "d"))
            .unwrap();
        let direct = d_inner.discriminate(&raw, None, false).score;
        let d = ZeroOneDiscriminator(Box::new(d_inner));
        // D sees exactly the [0, 1] image G produced.
        let wrapped = d.discriminate(&x, None, false).score;
        assert!((direct - wrapped).abs().max().double_value(&[]) < 1e-6);
        assert!(d.as_mlp().is_none());
    }
}
