//! LeakyReLU(0.2), forward + backward, over the activations of the DCGAN-32
//! discriminator (batch 64, ndf 64): gan-models' ATen kernel (out of place and in place)
//! against the two forms tch itself can express, `prelu` with a constant weight and
//! `where(x > 0, x, 0.2·x)`. One thread, as in BENCHMARKS.md.
//!
//! ```text
//! cargo bench -p gan-models --bench activation
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gan_models::{leaky_relu, leaky_relu_};
use tch::{Kind, Tensor};

const SLOPE: f64 = 0.2;

/// One way of computing LeakyReLU(SLOPE) on a (non-leaf) tensor.
type Form = Box<dyn Fn(Tensor) -> Tensor>;

/// The three activation shapes of DCGAN-32's discriminator.
fn inputs() -> Vec<Tensor> {
    tch::manual_seed(1);
    [[64i64, 64, 16, 16], [64, 128, 8, 8], [64, 256, 4, 4]]
        .iter()
        .map(|s| Tensor::randn(s.as_slice(), tch::kind::FLOAT_CPU).set_requires_grad(true))
        .collect()
}

/// Forward and backward of `f` over every input (the `* 1.0` makes a non-leaf, as a
/// convolution's output is, so the in-place form is allowed).
fn pass(xs: &[Tensor], f: &dyn Fn(Tensor) -> Tensor) {
    for x in xs {
        let y = f(x * 1.0);
        y.sum(Kind::Float).backward();
    }
}

fn leaky_relu_forms(c: &mut Criterion) {
    tch::set_num_threads(1);
    let xs = inputs();
    let slope = Tensor::from_slice(&[SLOPE as f32]);
    let forms: [(&str, Form); 4] = [
        ("aten", Box::new(|h| leaky_relu(&h, SLOPE))),
        (
            "aten_in_place",
            Box::new(|mut h| {
                leaky_relu_(&mut h, SLOPE);
                h
            }),
        ),
        ("prelu", Box::new(move |h| h.prelu(&slope))),
        (
            "where",
            Box::new(|h| h.where_self(&h.gt(0.0), &(&h * SLOPE))),
        ),
    ];
    let mut g = c.benchmark_group("leaky_relu_dcgan32_d");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, f) in &forms {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| pass(&xs, f.as_ref()))
        });
    }
    g.finish();
}

criterion_group!(benches, leaky_relu_forms);
criterion_main!(benches);
