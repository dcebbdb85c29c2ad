//! Criterion suite of the gan-rs hot paths (see `workloads/mod.rs` for the exact
//! definitions, mirrored by `scripts/bench_pytorch.py`):
//!
//! - `train_step/*`: one full GAN step (D update + G update, Adam) of the toy MLP GAN
//!   (batch 256, 1 thread) and of DCGAN 32×32 / 64×64 (batch 64), through the `Trainer`
//!   and through a plain tch loop;
//! - `sample/*`: one generator forward pass for sampling (eval, no grad, 64 images);
//! - `loader/*`: one 64-image batch of a `ShuffledLoader` over a synthetic 32×32 set.
//!
//! Measurement windows are short (10 samples, a few seconds) because the reference
//! machine has 2 cores. For the side-by-side PyTorch table use `cargo xtask bench`.
//!
//! ```text
//! cargo bench -p gan-train --bench training [-- FILTER]
//! ```

mod workloads;

use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use tch::Device;
use workloads::{Impl, Workload};

fn bench_workload(c: &mut Criterion, group: &str, workload: Workload, imps: &[Impl], secs: u64) {
    let scratch = tempfile::tempdir().expect("creating a scratch directory");
    let threads = if workload.is_toy() {
        1
    } else {
        tch::get_num_threads()
    };
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .throughput(Throughput::Elements(workload.batch() as u64));
    for &imp in imps {
        let mut runner =
            workloads::build(workload, imp, Device::Cpu, threads, scratch.path(), "fp32")
                .unwrap_or_else(|e| panic!("building {workload} / {}: {e}", imp.name()));
        g.bench_function(BenchmarkId::new(workload.name(), imp.name()), |b| {
            b.iter(|| runner.run(1).expect("a benchmark step failed"))
        });
    }
    g.finish();
}

fn train_step(c: &mut Criterion) {
    let imps = [Impl::Plain, Impl::Trainer];
    bench_workload(c, "train_step", Workload::ToyMlp, &imps, 3);
    bench_workload(c, "train_step", Workload::Dcgan32, &imps, 5);
    bench_workload(c, "train_step", Workload::Dcgan64, &imps, 8);
}

fn sample(c: &mut Criterion) {
    let imps = [Impl::Plain, Impl::Trainer];
    bench_workload(c, "sample", Workload::Sample32, &imps, 3);
    bench_workload(c, "sample", Workload::Sample64, &imps, 4);
}

fn loader(c: &mut Criterion) {
    bench_workload(
        c,
        "loader",
        Workload::Loader32,
        &[Impl::Plain, Impl::Trainer],
        2,
    );
}

criterion_group!(benches, train_step, sample, loader);
criterion_main!(benches);
