//! One Adam update over the DCGAN-32 generator's and discriminator's parameters (1.7 M,
//! random gradients), one thread: gan-train's [`Optimizer`] (ATen's fused kernel, with
//! saveable state) against libtorch's own `torch::optim::Adam` through tch's `nn::Adam`
//! (one tensor at a time, state not saveable).
//!
//! ```text
//! cargo bench -p gan-train --bench optimizer
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gan_models::DcganConfig;
use gan_train::{Optimizer, OptimizerConfig};
use tch::nn::{self, OptimizerConfig as _};
use tch::{Device, Tensor};

/// A var store with both DCGAN-32 networks, every parameter given a random gradient.
fn dcgan32_parameters() -> nn::VarStore {
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig::new(3, 32);
    let _g = cfg
        .build_generator(&(vs.root() / "gen"))
        .expect("the DCGAN-32 generator builds");
    let _d = cfg
        .build_discriminator(&(vs.root() / "disc"))
        .expect("the DCGAN-32 discriminator builds");
    set_random_grads(&vs);
    vs
}

fn set_random_grads(vs: &nn::VarStore) {
    for p in vs.trainable_variables() {
        // A backward pass through `sum(p · r)` leaves exactly `r` as p's gradient.
        let r = Tensor::randn_like(&p);
        (&p * r).sum(tch::Kind::Float).backward();
    }
}

fn adam(c: &mut Criterion) {
    tch::set_num_threads(1);
    let mut g = c.benchmark_group("adam_dcgan32");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let vs = dcgan32_parameters();
    let config = OptimizerConfig {
        lr: 2e-4,
        ..Default::default()
    };
    let mut ours = Optimizer::new(&config, vs.trainable_variables());
    g.bench_function(BenchmarkId::from_parameter("gan_train_fused"), |b| {
        b.iter(|| ours.step())
    });

    let vs = dcgan32_parameters();
    let mut theirs = nn::Adam {
        beta1: 0.5,
        beta2: 0.999,
        wd: 0.0,
        eps: 1e-8,
        amsgrad: false,
    }
    .build(&vs, 2e-4)
    .expect("building tch's Adam");
    g.bench_function(BenchmarkId::from_parameter("tch_nn_adam"), |b| {
        b.iter(|| theirs.step())
    });
    g.finish();
}

criterion_group!(benches, adam);
criterion_main!(benches);
