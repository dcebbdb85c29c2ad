//! The workloads `cargo xtask bench` measures ([`Spec`], [`SPECS`]) and the processes
//! ([`Job`]) one round of a workload runs: the gan-rs implementations, PyTorch eager and,
//! with `--variants`, the malloc and tuned-PyTorch variants; each at every `--precision`,
//! with `torch.compile` PyTorch jobs under `--compile`.
//!
//! The workloads are synthetic (`toy_mlp`, `dcgan32`, `dcgan64`, `sample32`, `sample64`,
//! `loader32`: fixed networks on in-memory data, with a `plain` tch loop) or shipped configs
//! (`fashion_dcgan`, `toy_gaussian1d`, `toy_ring`: a config of `configs/` on its real data,
//! the `loop` with the observers `gan train` runs, each of them timed). See
//! `crates/gan-train/benches/workloads/mod.rs` for their definitions.

use anyhow::{Context, Result};

/// gan-rs's malloc thresholds (crates/gan-train/src/allocator.rs) as glibc tunables, for
/// the PyTorch processes of `--variants`.
const RETAIN_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824";

/// One process to run per round: which side, its `--impl`, a label for the records and
/// the environment it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub gan_impl: Option<&'static str>,
    pub label: &'static str,
    pub env: Option<(&'static str, &'static str)>,
    /// `fp32` or `bf16` (`--precision` of both runners).
    pub precision: &'static str,
}

impl Job {
    fn gan(imp: &'static str) -> Job {
        Job {
            gan_impl: Some(imp),
            label: imp,
            env: None,
            precision: "fp32",
        }
    }

    /// The same job at `precision`.
    pub fn at(self, precision: &'static str) -> Job {
        Job { precision, ..self }
    }

    pub const PYTORCH: Job = Job {
        gan_impl: None,
        label: "eager",
        env: None,
        precision: "fp32",
    };
    /// PyTorch written as the Trainer runs (`--tuned`), under `torch.compile`.
    pub const PYTORCH_COMPILE: Job = Job {
        gan_impl: None,
        label: "compile",
        env: None,
        precision: "fp32",
    };
    pub const TRAINER_SYSTEM_MALLOC: Job = Job {
        gan_impl: Some("trainer"),
        label: "trainer-system-malloc",
        env: Some(("GAN_RS_MALLOC", "system")),
        precision: "fp32",
    };
    pub const PYTORCH_RETAIN_MALLOC: Job = Job {
        gan_impl: None,
        label: "eager-retain-malloc",
        env: Some(("GLIBC_TUNABLES", RETAIN_TUNABLES)),
        precision: "fp32",
    };
    pub const PYTORCH_TUNED: Job = Job {
        gan_impl: None,
        label: "eager-tuned",
        env: Some(("GLIBC_TUNABLES", RETAIN_TUNABLES)),
        precision: "fp32",
    };

    /// The `side` its runner prints: `gan-rs` or `pytorch`.
    pub fn side(&self) -> &'static str {
        if self.gan_impl.is_some() {
            "gan-rs"
        } else {
            "pytorch"
        }
    }
}

/// What a round measures besides the workload: `--variants`, `--precision`, `--compile`.
#[derive(Debug, Clone, Copy)]
pub struct JobSet<'a> {
    pub variants: bool,
    pub precisions: &'a [&'static str],
    pub compile: bool,
}

/// The processes of one round of `spec`, in order. Only the training workloads run in
/// bf16 (sampling and loading are fp32 in gan-rs), and only the Trainer's
/// implementations have a bf16 form.
pub fn jobs_of(spec: &Spec, set: JobSet<'_>) -> Vec<Job> {
    let mut jobs = Vec::new();
    for &precision in set.precisions {
        if precision == "fp32" {
            jobs.extend(spec.gan_impls.iter().map(|&i| Job::gan(i)));
            jobs.push(Job::PYTORCH);
            if set.variants && spec.builds_trainer {
                jobs.push(Job::TRAINER_SYSTEM_MALLOC);
                jobs.push(Job::PYTORCH_RETAIN_MALLOC);
                if spec.trains() {
                    jobs.push(Job::PYTORCH_TUNED);
                }
            }
        } else if spec.trains() {
            jobs.push(Job::gan("trainer").at(precision));
            jobs.push(Job::gan("loop").at(precision));
            jobs.push(Job::PYTORCH.at(precision));
            if set.variants {
                jobs.push(Job::PYTORCH_TUNED.at(precision));
            }
        }
        if set.compile && spec.trains() {
            jobs.push(Job::PYTORCH_COMPILE.at(precision));
        }
    }
    jobs
}

/// A workload and how long to measure it (full, quick): (steps, warmup).
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    gan_impls: &'static [&'static str],
    /// Whether its `trainer` implementation builds a `Trainer` (which applies the malloc
    /// setting), so that `--variants` means something.
    builds_trainer: bool,
    /// A toy-data workload: measured at `--toy-threads` (1 and 2 by default), the others at
    /// `--image-threads`.
    pub toy: bool,
    full: (u32, u32),
    quick: (u32, u32),
}

const TRAIN_IMPLS: &[&str] = &["plain", "trainer", "loop"];
const OTHER_IMPLS: &[&str] = &["plain", "trainer"];
/// The shipped-config workloads: a config of `configs/` as `gan train` runs it, no plain loop.
const SHIPPED_IMPLS: &[&str] = &["trainer", "loop"];

pub const SPECS: [Spec; 9] = [
    Spec {
        name: "toy_mlp",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        toy: true,
        full: (2000, 100),
        quick: (200, 20),
    },
    Spec {
        name: "dcgan32",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        toy: false,
        full: (20, 3),
        quick: (4, 1),
    },
    Spec {
        name: "dcgan64",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        toy: false,
        full: (8, 2),
        quick: (2, 1),
    },
    Spec {
        name: "sample32",
        gan_impls: OTHER_IMPLS,
        builds_trainer: true,
        toy: false,
        full: (20, 2),
        quick: (5, 1),
    },
    Spec {
        name: "sample64",
        gan_impls: OTHER_IMPLS,
        builds_trainer: true,
        toy: false,
        full: (8, 1),
        quick: (2, 1),
    },
    Spec {
        name: "loader32",
        gan_impls: OTHER_IMPLS,
        builds_trainer: false,
        toy: false,
        full: (1000, 50),
        quick: (100, 10),
    },
    // The shipped configs, end to end with the observers of `gan train`. A fashion_dcgan
    // step is ~0.08 s at 1 thread; its window (steps 11 to 250) ends on the step of a sample
    // grid and a FID (every 250), so the loop pays them at their rate. The toy windows
    // (101 to 2100) hold two snapshots (every 1000).
    Spec {
        name: "fashion_dcgan",
        gan_impls: SHIPPED_IMPLS,
        builds_trainer: true,
        toy: false,
        full: (240, 10),
        quick: (5, 1),
    },
    Spec {
        name: "toy_gaussian1d",
        gan_impls: SHIPPED_IMPLS,
        builds_trainer: true,
        toy: true,
        full: (2000, 100),
        quick: (200, 20),
    },
    Spec {
        name: "toy_ring",
        gan_impls: SHIPPED_IMPLS,
        builds_trainer: true,
        toy: true,
        full: (2000, 100),
        quick: (200, 20),
    },
];

impl Spec {
    /// A training workload (it has the `loop` implementation), not sampling or loading.
    fn trains(&self) -> bool {
        self.gan_impls.contains(&"loop")
    }

    /// (steps, warmup) of a measurement, `--quick` or not.
    pub fn steps(&self, quick: bool) -> (u32, u32) {
        if quick {
            self.quick
        } else {
            self.full
        }
    }
}

/// The specs named by `--workloads` (all of them for none), in the order named.
pub fn select_specs(names: &[String]) -> Result<Vec<&'static Spec>> {
    if names.is_empty() {
        return Ok(SPECS.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            SPECS.iter().find(|s| s.name == n).with_context(|| {
                let all: Vec<_> = SPECS.iter().map(|s| s.name).collect();
                format!("unknown workload `{n}` (expected one of {all:?})")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP32: JobSet<'static> = JobSet {
        variants: false,
        precisions: &["fp32"],
        compile: false,
    };

    #[test]
    fn bf16_and_compile_add_their_own_jobs() {
        let dcgan = select_specs(&["dcgan32".into()]).unwrap()[0];
        let set = JobSet {
            precisions: &["fp32", "bf16"],
            compile: true,
            ..FP32
        };
        let jobs = jobs_of(dcgan, set);
        let bf16: Vec<&str> = jobs
            .iter()
            .filter(|j| j.precision == "bf16")
            .map(|j| j.label)
            .collect();
        assert_eq!(bf16, ["trainer", "loop", "eager", "compile"]);
        assert!(jobs.contains(&Job::PYTORCH_COMPILE), "fp32 compile too");
        let sample = select_specs(&["sample32".into()]).unwrap()[0];
        assert!(
            jobs_of(sample, set)
                .iter()
                .all(|j| j.precision == "fp32" && j.label != "compile"),
            "sampling is fp32 and not compiled"
        );
    }

    #[test]
    fn variants_are_their_own_jobs() {
        let dcgan = select_specs(&["dcgan32".into()]).unwrap()[0];
        assert_eq!(jobs_of(dcgan, FP32).len(), 4);
        let variants = JobSet {
            variants: true,
            ..FP32
        };
        let jobs = jobs_of(dcgan, variants);
        for job in [
            Job::TRAINER_SYSTEM_MALLOC,
            Job::PYTORCH_RETAIN_MALLOC,
            Job::PYTORCH_TUNED,
        ] {
            assert!(jobs.contains(&job), "{job:?}");
        }
        let sample = select_specs(&["sample32".into()]).unwrap()[0];
        assert!(
            !jobs_of(sample, variants).contains(&Job::PYTORCH_TUNED),
            "nothing to tune"
        );
        let loader = select_specs(&["loader32".into()]).unwrap()[0];
        assert_eq!(
            jobs_of(loader, variants).len(),
            3,
            "no Trainer, no malloc setting"
        );
    }

    #[test]
    fn shipped_configs_run_trainer_and_loop_and_toys_take_toy_threads() {
        let fashion = select_specs(&["fashion_dcgan".into()]).unwrap()[0];
        let labels: Vec<&str> = jobs_of(fashion, FP32).iter().map(|j| j.label).collect();
        assert_eq!(labels, ["trainer", "loop", "eager"], "no plain tch loop");
        assert!(!fashion.toy);
        let variants = JobSet {
            variants: true,
            ..FP32
        };
        assert!(jobs_of(fashion, variants).contains(&Job::PYTORCH_TUNED));
        for name in ["toy_mlp", "toy_gaussian1d", "toy_ring"] {
            assert!(select_specs(&[name.into()]).unwrap()[0].toy, "{name}");
        }
        for name in ["dcgan32", "sample32", "loader32", "fashion_dcgan"] {
            assert!(!select_specs(&[name.into()]).unwrap()[0].toy, "{name}");
        }
    }

    #[test]
    fn unknown_workloads_are_rejected() {
        assert_eq!(select_specs(&[]).unwrap().len(), SPECS.len());
        assert_eq!(
            select_specs(&["dcgan64".into()]).unwrap()[0].name,
            "dcgan64"
        );
        let err = select_specs(&["resnet".into()]).unwrap_err().to_string();
        assert!(err.contains("toy_mlp"), "{err}");
    }
}
