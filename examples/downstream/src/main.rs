//! Trains a tiny 1-D GAN with gan-train and scores it with gan-core, as a program outside
//! gan-rs's workspace would: it depends on the crates by path, and its build.rs calls
//! `gan_build::link_libtorch()` so that it starts without LD_LIBRARY_PATH.

use gan_core::metrics::emd_1d_samples;
use gan_train::{ExperimentConfig, Trainer};
use tch::{Device, Kind, Tensor};

/// configs/gaussian1d.toml, cut to a few steps: N(4, 1.25) with a linear generator.
const CONFIG: &str = r#"
name = "downstream-gaussian1d"
seed = 1

[data.toy]
kind = "gaussian"
mean = 4.0
std = 1.25

[generator]
kind = "linear"

[discriminator]
kind = "mlp"
hidden = [32, 32]
activation = "leaky_relu"

[loss]
kind = "non_saturating"

[train]
steps = 1000
batch_size = 256

[optim.generator]
kind = "adam"
lr = 5e-3
beta1 = 0.5

[optim.discriminator]
kind = "adam"
lr = 5e-3
beta1 = 0.5
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ExperimentConfig::from_toml_str(CONFIG, &[])?;
    let steps = config.train.steps;
    let mut trainer = Trainer::new(config, Device::Cpu)?;
    while trainer.step() < steps {
        let stats = trainer.train_step()?;
        if stats.step == 1 || stats.step % 200 == 0 {
            println!(
                "step {:>3}  d_loss {:.4}  g_loss {:.4}  D(real) {:.3}  D(fake) {:.3}",
                stats.step, stats.d_loss, stats.g_loss, stats.d_real, stats.d_fake
            );
        }
    }

    // gan-core directly: the Wasserstein-1 distance between generated and real samples.
    let fake = to_vec(&trainer.sample(2000)?)?;
    let real = to_vec(&trainer.draw_real(2000)?)?;
    let mean = fake.iter().sum::<f64>() / fake.len() as f64;
    let emd = emd_1d_samples(&fake, &real)?;
    println!("after {steps} steps: generator mean {mean:.3} (target 4), EMD to the data {emd:.3}");
    Ok(())
}

fn to_vec(samples: &Tensor) -> Result<Vec<f64>, tch::TchError> {
    Vec::<f64>::try_from(samples.flatten(0, -1).to_kind(Kind::Double))
}
