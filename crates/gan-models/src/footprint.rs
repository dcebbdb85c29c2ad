//! How much memory a network needs, from its config alone, before anything is
//! allocated: its parameter count, and the floats its activations hold per sample in
//! one forward pass. Callers turn these into a training estimate (weights, gradients
//! and optimizer moments; activations kept for the backward pass) and refuse a config
//! that cannot fit, instead of letting libtorch fail mid-allocation.

use crate::dcgan::DcganConfig;
use crate::infogan_nets::{InfoGanConfig, INFOGAN_FC};
use crate::mlp::MlpConfig;

/// Parameters and per-sample activation floats of one network (as `f64`: the counts of
/// absurd configs overflow integers, and this is an estimate).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Footprint {
    /// Trainable scalars (weights, biases, norm affines) of the network.
    pub parameters: f64,
    /// Floats of intermediate activations one sample produces in one forward pass
    /// (multiply by the batch size for a batch's).
    pub activations_per_sample: f64,
}

impl std::ops::Add for Footprint {
    type Output = Footprint;
    fn add(self, o: Footprint) -> Footprint {
        Footprint {
            parameters: self.parameters + o.parameters,
            activations_per_sample: self.activations_per_sample + o.activations_per_sample,
        }
    }
}

impl MlpConfig {
    /// The footprint of the network this config builds (generator or discriminator).
    pub fn footprint(&self) -> Footprint {
        let classes = self.num_classes.unwrap_or(0) as f64;
        let mut dims: Vec<f64> = vec![self.input_dim as f64 + classes];
        dims.extend(self.hidden.iter().map(|&h| h as f64));
        dims.push(self.output_dim as f64);
        let layers: f64 = dims.windows(2).map(|w| (w[0] + 1.0) * w[1]).sum();
        let last = dims[dims.len() - 2];
        let mbd = self
            .minibatch_discrimination
            .map_or(0.0, |m| last * m.kernels as f64 * m.kernel_dim as f64);
        Footprint {
            parameters: layers + mbd + classes * classes.max(last),
            // Each layer's output before and after its activation.
            activations_per_sample: 2.0 * dims.iter().sum::<f64>(),
        }
    }
}

impl DcganConfig {
    /// The generator's footprint: transposed convolutions from `base_kernel()`² up to
    /// the image size, batch norm on each hidden layer.
    pub fn generator_footprint(&self) -> Footprint {
        let widths: Vec<f64> = self.generator_widths().iter().map(|&w| w as f64).collect();
        let k = self.base_kernel() as f64;
        let input = (self.latent_dim + self.num_classes.unwrap_or(0)) as f64;
        let mut parameters = input * widths[0] * k * k;
        let mut side = k;
        let mut activations = 3.0 * widths[0] * side * side;
        for pair in widths.windows(2) {
            parameters += pair[0] * pair[1] * 16.0 + 2.0 * pair[1];
            side *= 2.0;
            activations += 3.0 * pair[1] * side * side;
        }
        let channels = self.image_channels as f64;
        let size = self.image_size as f64;
        parameters += widths[widths.len() - 1] * channels * 16.0;
        activations += 2.0 * channels * size * size;
        Footprint {
            parameters,
            activations_per_sample: activations,
        }
    }

    /// The discriminator's footprint: strided convolutions from the image down to
    /// `base_kernel()`², then the score head.
    pub fn discriminator_footprint(&self) -> Footprint {
        let widths: Vec<f64> = self
            .discriminator_widths()
            .iter()
            .map(|&w| w as f64)
            .collect();
        let channels = self.image_channels as f64;
        let mut side = self.image_size as f64;
        let mut input = channels;
        let mut parameters = 0.0;
        let mut activations = channels * side * side;
        for &w in &widths {
            parameters += input * w * 16.0 + 2.0 * w;
            side = (side / 2.0).floor();
            activations += 3.0 * w * side * side;
            input = w;
        }
        let k = self.base_kernel() as f64;
        parameters += input * k * k * self.heads.output_width() as f64;
        Footprint {
            parameters,
            activations_per_sample: activations,
        }
    }
}

impl InfoGanConfig {
    /// The generator's footprint (FC 1024 → FC 7·7·128 → up-conv 64 → up-conv C).
    pub fn generator_footprint(&self) -> Footprint {
        let (z, fc, c) = (
            self.latent_dim as f64,
            INFOGAN_FC as f64,
            self.image_channels as f64,
        );
        let base = 128.0 * 49.0;
        Footprint {
            parameters: (z + 3.0) * fc
                + (fc + 3.0) * base
                + 128.0 * 64.0 * 16.0
                + 3.0 * 64.0
                + 64.0 * c * 16.0
                + c,
            activations_per_sample: 3.0 * fc + 3.0 * base + 3.0 * 64.0 * 196.0 + 2.0 * c * 784.0,
        }
    }

    /// The discriminator's footprint (conv 64 → conv 128 → FC 1024 → score), heads
    /// excluded.
    pub fn discriminator_footprint(&self) -> Footprint {
        let (fc, c) = (INFOGAN_FC as f64, self.image_channels as f64);
        let out = self.heads.output_width() as f64;
        Footprint {
            parameters: c * 64.0 * 16.0
                + 64.0
                + 64.0 * 128.0 * 16.0
                + 2.0 * 128.0
                + (6272.0 + 3.0) * fc
                + (fc + 1.0) * out,
            activations_per_sample: c * 784.0 + 2.0 * 64.0 * 196.0 + 3.0 * 6272.0 + 3.0 * fc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device};

    fn built_parameters(vs: &nn::VarStore) -> f64 {
        vs.trainable_variables()
            .iter()
            .map(|t| t.numel() as f64)
            .sum()
    }

    /// The estimate counts the parameters the networks really have (to 5 %).
    #[test]
    fn parameter_counts_match_the_built_networks() {
        let mlp = MlpConfig::new(2, vec![64, 32], 1);
        let vs = nn::VarStore::new(Device::Cpu);
        mlp.build_discriminator(&vs.root()).unwrap();
        assert_eq!(mlp.footprint().parameters, built_parameters(&vs));

        let info = InfoGanConfig::new(1, 74);
        let g = nn::VarStore::new(Device::Cpu);
        info.build_generator(&g.root()).unwrap();
        let d = nn::VarStore::new(Device::Cpu);
        info.build_discriminator(&d.root()).unwrap();
        for (est, vs) in [
            (info.generator_footprint().parameters, &g),
            (info.discriminator_footprint().parameters, &d),
        ] {
            let real = built_parameters(vs);
            assert!(
                (est - real).abs() <= 0.05 * real,
                "InfoGAN: {est} vs {real}"
            );
        }

        for (channels, size) in [(1, 28), (3, 32), (3, 64)] {
            let cfg = DcganConfig {
                ngf: 8,
                ndf: 8,
                ..DcganConfig::new(channels, size)
            };
            let g = nn::VarStore::new(Device::Cpu);
            cfg.build_generator(&g.root()).unwrap();
            let d = nn::VarStore::new(Device::Cpu);
            cfg.build_discriminator(&d.root()).unwrap();
            for (est, vs) in [
                (cfg.generator_footprint().parameters, &g),
                (cfg.discriminator_footprint().parameters, &d),
            ] {
                let real = built_parameters(vs);
                assert!(
                    (est - real).abs() <= 0.05 * real,
                    "{size}px: {est} vs {real}"
                );
            }
        }
    }
}
