//! Builds a DCGAN generator / discriminator pair for each supported image size and prints
//! the tensor shapes and parameter counts.
//!
//! Run with `cargo run -p gan-models --example dcgan_shapes`.

use gan_models::{DcganConfig, Discriminator, Generator, ModelError};
use tch::{nn, Device, Tensor};

fn main() -> Result<(), ModelError> {
    tch::manual_seed(0);
    for (channels, size) in [(1, 28), (3, 32), (3, 64)] {
        let cfg = DcganConfig::new(channels, size);
        let vs = nn::VarStore::new(Device::Cpu);
        let g = cfg.build_generator(&(vs.root() / "gen"))?;
        let d = cfg.build_discriminator(&(vs.root() / "disc"))?;
        let params: i64 = vs
            .trainable_variables()
            .iter()
            .map(|t| t.numel() as i64)
            .sum();
        let z = Tensor::randn([4, g.latent_dim()], tch::kind::FLOAT_CPU);
        let x = g.generate(&z, None, false);
        let out = d.discriminate(&x, None, false);
        let features = out.features.as_ref().map(Tensor::size);
        println!(
            "{size}x{size}x{channels}: z {:?} -> image {:?} -> score {:?}, features {:?} ({params} parameters)",
            z.size(),
            x.size(),
            out.score.size(),
            features
        );
    }
    match DcganConfig::new(3, 48).validate() {
        Err(e) => println!("48x48: {e}"),
        Ok(()) => println!("48x48: unexpectedly accepted"),
    }
    Ok(())
}
