//! [`InteropError`]: why weights could not be exported to or imported from PyTorch. Every
//! error names what the user can act on: the config key of an unsupported setting, or
//! each tensor of a state dict that does not fit.

use std::fmt;
use std::path::PathBuf;

/// How many tensor problems an error message lists before summarising the rest.
const LISTED_PROBLEMS: usize = 8;

/// Errors of the PyTorch interop (wrapped in [`crate::TrainError::Interop`]).
#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    /// A config setting whose network has no counterpart among the reference modules.
    #[error(
        "config key `{key}`: {reason}; only plain networks map onto the PyTorch reference \
         modules (scripts/pytorch_models.py)"
    )]
    Unsupported {
        /// The dotted config key (`discriminator.minibatch_std`).
        key: String,
        /// What that setting adds that the reference modules lack.
        reason: String,
    },

    /// A file that cannot be read as a state dict or latent matrix.
    #[error("{}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why, and what to do instead.
        reason: String,
    },

    /// A state dict whose tensors do not fit the network the config describes.
    #[error(
        "{} does not fit the {net} of this config, PyTorch's {module}: {}{}",
        path.display(),
        list_problems(problems),
        hint(problems)
    )]
    Mismatch {
        /// The state-dict file.
        path: PathBuf,
        /// `generator` or `discriminator`.
        net: &'static str,
        /// The reference module the config's network corresponds to, as a Python call.
        module: String,
        /// Every offending tensor (at least one).
        problems: Vec<TensorProblem>,
    },

    /// A variable of the built gan-rs network that the mapping does not cover, or the
    /// reverse: a network option this mapping does not know yet (a gan-rs bug to report).
    #[error(
        "the gan-rs {net} does not match PyTorch's {module}: {reason} (this configuration \
         cannot be exported or imported)"
    )]
    Unmapped {
        /// `generator` or `discriminator`.
        net: &'static str,
        /// The reference module, as a Python call.
        module: String,
        /// The variable and what is wrong with it.
        reason: String,
    },
}

/// One tensor of a state dict that does not fit, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorProblem {
    /// The tensor's name in the state dict (`main.3.weight`).
    pub tensor: String,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a state-dict tensor.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The module has the tensor, the file does not.
    Missing {
        /// The shape the module expects.
        expected: Vec<i64>,
    },
    /// The file has the tensor, the module does not.
    Unexpected {
        /// Its shape in the file.
        shape: Vec<i64>,
    },
    /// Present with another shape.
    Shape {
        /// Its shape in the file.
        found: Vec<i64>,
        /// The shape the module expects.
        expected: Vec<i64>,
    },
    /// Not floating point (or, for a `num_batches_tracked` counter, not an integer scalar).
    Dtype {
        /// The stored dtype, as libtorch names it.
        found: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// Holds NaN or ±inf.
    NonFinite,
}

impl fmt::Display for TensorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tensor;
        match &self.problem {
            Problem::Missing { expected } => {
                write!(f, "tensor `{t}` (shape {expected:?}) is missing")
            }
            Problem::Unexpected { shape } => write!(
                f,
                "tensor `{t}` (shape {shape:?}) is not part of the module (refused rather than ignored)"
            ),
            Problem::Shape { found, expected } => {
                write!(f, "tensor `{t}` has shape {found:?}, expected {expected:?}")
            }
            Problem::Dtype { found, expected } => {
                write!(f, "tensor `{t}` is {found}, expected {expected}")
            }
            Problem::NonFinite => write!(f, "tensor `{t}` holds NaN or ±inf"),
        }
    }
}

/// The first [`LISTED_PROBLEMS`] problems, in order, but always including the first of
/// each kind (a wrong shape and a stray tensor both say which architecture it was).
fn list_problems(problems: &[TensorProblem]) -> String {
    let kind = |p: &TensorProblem| std::mem::discriminant(&p.problem);
    let mut shown: Vec<usize> = Vec::new();
    for (i, p) in problems.iter().enumerate() {
        if !shown.iter().any(|&j| kind(&problems[j]) == kind(p)) {
            shown.push(i);
        }
    }
    for i in 0..problems.len() {
        if shown.len() >= LISTED_PROBLEMS {
            break;
        }
        if !shown.contains(&i) {
            shown.push(i);
        }
    }
    shown.sort_unstable();
    let mut text: Vec<String> = shown.iter().map(|&i| problems[i].to_string()).collect();
    if problems.len() > shown.len() {
        text.push(format!(
            "and {} more problem(s)",
            problems.len() - shown.len()
        ));
    }
    text.join("; ")
}

/// Shape problems mean another architecture; say which settings decide the shapes.
fn hint(problems: &[TensorProblem]) -> &'static str {
    let structural = problems.iter().any(|p| {
        matches!(
            p.problem,
            Problem::Missing { .. } | Problem::Unexpected { .. } | Problem::Shape { .. }
        )
    });
    if structural {
        ". Was it saved for another architecture? Check the config's image size (the \
         dataset), latent_dim, ngf / ndf, hidden sizes and image channels against the \
         module that saved it"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_names_each_tensor_and_summarises_the_rest() {
        let mut problems = vec![TensorProblem {
            tensor: "main.0.weight".into(),
            problem: Problem::Shape {
                found: vec![8, 32, 4, 4],
                expected: vec![8, 16, 4, 4],
            },
        }];
        for i in 0..10 {
            problems.push(TensorProblem {
                tensor: format!("main.{}.weight", 20 + i),
                problem: Problem::Shape {
                    found: vec![2],
                    expected: vec![3],
                },
            });
        }
        problems.push(TensorProblem {
            tensor: "main.12.weight".into(),
            problem: Problem::Unexpected { shape: vec![2] },
        });
        let e = InteropError::Mismatch {
            path: "netG.safetensors".into(),
            net: "generator",
            module: "DcganGenerator(nz=8, ngf=4, nc=3, image_size=32)".into(),
            problems,
        }
        .to_string();
        assert!(
            e.contains("netG.safetensors")
                && e.contains("`main.0.weight` has shape [8, 32, 4, 4], expected [8, 16, 4, 4]")
                && e.contains("`main.12.weight` (shape [2]) is not part of the module")
                && !e.contains("main.27.weight")
                && e.contains("and 4 more problem(s)")
                && e.contains("another architecture"),
            "{e}"
        );
        let e = InteropError::Mismatch {
            path: "d.safetensors".into(),
            net: "discriminator",
            module: "M()".into(),
            problems: vec![TensorProblem {
                tensor: "main.0.weight".into(),
                problem: Problem::NonFinite,
            }],
        }
        .to_string();
        assert!(e.contains("`main.0.weight` holds NaN") && !e.contains("architecture"));
    }
}
