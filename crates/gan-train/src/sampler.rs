//! What sampling and evaluation need of a trained GAN, whether it is still training (a
//! [`Trainer`](crate::Trainer)) or loaded for inference only (an
//! [`Inference`](crate::inference::Inference)): the config, the generator's inputs and
//! samples, and the discriminator where it exists. Evaluation code takes `&dyn
//! Sampler`, so the same figures come out during training and after it.

use tch::{Device, Tensor};

use gan_models::Discriminator;

use crate::conditioning::{Conditioning, GenInput};
use crate::config::ExperimentConfig;
use crate::error::Result;

/// A trained generator (and possibly its discriminator) to draw from.
pub trait Sampler {
    /// The experiment's config.
    fn config(&self) -> &ExperimentConfig;

    /// The device the networks live on.
    fn device(&self) -> Device;

    /// Generator updates the weights have had.
    fn step(&self) -> u64;

    /// How generator inputs are drawn (labels, InfoGAN codes).
    fn conditioning(&self) -> &Conditioning;

    /// Shape of one sample, e.g. `[2]` or `[1, 28, 28]`.
    fn sample_shape(&self) -> Vec<i64>;

    /// The generator's samples for `input`: eval mode, no gradients, on the CPU, from
    /// the EMA weights when the run keeps them (`train.ema`).
    fn sample_from(&self, input: &GenInput) -> Tensor;

    /// The discriminator, where this handle has one.
    fn discriminator(&self) -> Option<&dyn Discriminator>;

    /// `n` samples with labels and codes drawn from their priors (torch's generator).
    /// Errors if `n < 1`.
    fn sample(&self, n: i64) -> Result<Tensor> {
        let input = self.conditioning().draw(n, self.device(), None, None)?;
        Ok(self.sample_from(&input))
    }
}
