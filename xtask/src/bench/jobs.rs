//! The workloads `cargo xtask bench` measures ([`Spec`], [`SPECS`]) and the processes
//! ([`Job`]) one round of a workload runs: the gan-rs implementations, PyTorch eager and,
//! with `--variants`, the malloc and tuned-PyTorch variants.

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
}

impl Job {
    fn gan(imp: &'static str) -> Job {
        Job {
            gan_impl: Some(imp),
            label: imp,
            env: None,
        }
    }

    pub const PYTORCH: Job = Job {
        gan_impl: None,
        label: "eager",
        env: None,
    };
    pub const TRAINER_SYSTEM_MALLOC: Job = Job {
        gan_impl: Some("trainer"),
        label: "trainer-system-malloc",
        env: Some(("GAN_RS_MALLOC", "system")),
    };
    pub const PYTORCH_RETAIN_MALLOC: Job = Job {
        gan_impl: None,
        label: "eager-retain-malloc",
        env: Some(("GLIBC_TUNABLES", RETAIN_TUNABLES)),
    };
    pub const PYTORCH_TUNED: Job = Job {
        gan_impl: None,
        label: "eager-tuned",
        env: Some(("GLIBC_TUNABLES", RETAIN_TUNABLES)),
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

/// The processes of one round of `spec`, in order.
pub fn jobs_of(spec: &Spec, variants: bool) -> Vec<Job> {
    let mut jobs: Vec<Job> = spec.gan_impls.iter().map(|&i| Job::gan(i)).collect();
    jobs.push(Job::PYTORCH);
    if variants && spec.builds_trainer {
        jobs.push(Job::TRAINER_SYSTEM_MALLOC);
        jobs.push(Job::PYTORCH_RETAIN_MALLOC);
        if spec.trains() {
            jobs.push(Job::PYTORCH_TUNED);
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

    #[test]
    fn variants_are_their_own_jobs() {
        let dcgan = select_specs(&["dcgan32".into()]).unwrap()[0];
        assert_eq!(jobs_of(dcgan, false).len(), 4);
        let jobs = jobs_of(dcgan, true);
        for job in [
            Job::TRAINER_SYSTEM_MALLOC,
            Job::PYTORCH_RETAIN_MALLOC,
            Job::PYTORCH_TUNED,
        ] {
            assert!(jobs.contains(&job), "{job:?}");
        }
        let sample = select_specs(&["sample32".into()]).unwrap()[0];
        assert!(
            !jobs_of(sample, true).contains(&Job::PYTORCH_TUNED),
            "nothing to tune"
        );
        let loader = select_specs(&["loader32".into()]).unwrap()[0];
        assert_eq!(
            jobs_of(loader, true).len(),
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
