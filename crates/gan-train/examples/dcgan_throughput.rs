//! Images per second of DCGAN training steps on synthetic data, the way the trainer
//! steps (one D update on a real and a generated batch, then one G update; Adam, the
//! non-saturating loss, DCGAN init):
//!
//! ```text
//! cargo run --release -p gan-train --example dcgan_throughput -- [SIZE] [STEPS] [WIDTH] [CHANNELS]
//! ```
//! SIZE ∈ {28, 32, 64} (default 32), STEPS timed after 2 warm-up steps (default 10),
//! WIDTH = ngf = ndf (default 64), CHANNELS (default 3). Batch 64, CPU, libtorch's default
//! thread count. Prints one line with images/s (generated images per G step × steps / s).

use std::time::Instant;

use tch::nn::OptimizerConfig;
use tch::{nn, Device, Kind, Tensor};

use gan_core::{AdversarialLoss, LossKind};
use gan_models::{DcganConfig, Discriminator, Generator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<i64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let size = args.first().copied().unwrap_or(32);
    let steps = args.get(1).copied().unwrap_or(10);
    let width = args.get(2).copied().unwrap_or(64);
    let channels = args.get(3).copied().unwrap_or(3);
    let batch = 64;
    tch::manual_seed(0);
    let cfg = DcganConfig {
        ngf: width,
        ndf: width,
        ..DcganConfig::new(channels, size)
    };
    let (gvs, dvs) = (
        nn::VarStore::new(Device::Cpu),
        nn::VarStore::new(Device::Cpu),
    );
    let g = cfg.build_generator(&gvs.root())?;
    let d = cfg.build_discriminator(&dvs.root())?;
    let adam = nn::Adam {
        beta1: 0.5,
        beta2: 0.999,
        wd: 0.0,
        eps: 1e-8,
        amsgrad: false,
    };
    let mut opt_g = adam.build(&gvs, 2e-4)?;
    let mut opt_d = adam.build(&dvs, 2e-4)?;
    let loss = AdversarialLoss {
        kind: LossKind::NonSaturating,
        ..Default::default()
    };
    let real = Tensor::rand([batch, channels, size, size], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let mut step = || {
        let z = Tensor::randn([batch, cfg.latent_dim], (Kind::Float, Device::Cpu));
        let fake = g.generate(&z, None, true).detach();
        let dl = loss.d_loss(
            &d.discriminate(&real, None, true).score,
            &d.discriminate(&fake, None, true).score,
        );
        opt_d.backward_step(&dl);
        let z = Tensor::randn([batch, cfg.latent_dim], (Kind::Float, Device::Cpu));
        let gl = loss
            .g_loss(
                &d.discriminate(&g.generate(&z, None, true), None, true)
                    .score,
                None,
            )
            .expect("the non-saturating loss needs no real scores");
        opt_g.zero_grad();
        gl.backward();
        opt_g.step();
    };
    for _ in 0..2 {
        step();
    }
    let t0 = Instant::now();
    for _ in 0..steps {
        step();
    }
    let s = t0.elapsed().as_secs_f64();
    println!(
        "DCGAN {size}x{size}x{channels} ngf=ndf={width} batch {batch}: {steps} steps in {s:.2} s = {:.3} s/step, {:.1} images/s ({} threads)",
        s / steps as f64,
        (steps * batch) as f64 / s,
        tch::get_num_threads()
    );
    Ok(())
}
