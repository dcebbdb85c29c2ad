//! The workloads `cargo xtask bench` measures ([`Spec`], [`SPECS`]) and the processes
//! ([`Job`]) one round of a workload runs: the gan-rs implementations, PyTorch eager and,
//! with `--variants`, the malloc and tuned-PyTorch variants; each at every `--precision`,
//! with `torch.compile` PyTorch jobs under `--compile`.

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
    full: (u32, u32),
    quick: (u32, u32),
}

const TRAIN_IMPLS: &[&str] = &["plain", "trainer", "loop"];
const OTHER_IMPLS: &[&str] = &["plain", "trainer"];

pub const SPECS: [Spec; 6] = [
    Spec {
        name: "toy_mlp",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        full: (2000, 100),
        quick: (200, 20),
    },
    Spec {
        name: "dcgan32",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        full: (20, 3),
        quick: (4, 1),
    },
    Spec {
        name: "dcgan64",
        gan_impls: TRAIN_IMPLS,
        builds_trainer: true,
        full: (8, 2),
        quick: (2, 1),
    },
    Spec {
        name: "sample32",
        gan_impls: OTHER_IMPLS,
        builds_trainer: true,
        full: (20, 2),
        quick: (5, 1),
    },
    Spec {
        name: "sample64",
        gan_impls: OTHER_IMPLS,
        builds_trainer: true,
        full: (8, 1),
        quick: (2, 1),
    },
    Spec {
        name: "loader32",
        gan_impls: OTHER_IMPLS,
        builds_trainer: false,
        full: (1000, 50),
        quick: (100, 10),
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
