//! Weights that load in PyTorch, and back: the mapping between gan-rs's networks and the
//! PyTorch reference modules of `scripts/pytorch_models.py`.
//!
//! Each plain gan-rs network has one reference module ([`Reference`]): the DCGAN
//! example's `Generator` / `Discriminator` (`self.main = nn.Sequential(...)`) at 28, 32
//! and 64 px, `nn.Sequential` MLPs for the toy networks, and the affine generator
//! `a·z + b`. A [`Layout`] names every tensor of the module's `state_dict` and the gan-rs
//! variable holding the same values; shapes and memory layouts agree exactly (PyTorch and
//! libtorch share them: `Conv2d` weights are `[out, in, k, k]`, `ConvTranspose2d` weights
//! `[in, out, k, k]`, `Linear` weights `[out, in]`), so no tensor is transposed, and
//! exported tensors are contiguous NCHW even when a run keeps its weights channels-last.
//!
//! - [`export_run`]: a run's generator or discriminator as a safetensors state dict that
//!   `module.load_state_dict(safetensors.torch.load_file(path))` accepts.
//! - [`import_run`]: a reference module's state dict (safetensors, or a `.pth` that
//!   libtorch can read) plus an experiment config become a run directory that
//!   `gan sample` / `gan eval` (and `gan train --resume`) accept.
//! - [`read_latents`]: a `[N, nz]` `.npy` latent matrix, so both sides can be fed the same z.
//!
//! Configurations whose networks have no reference module (label embeddings, extra
//! discriminator heads, minibatch discrimination / std, virtual batch norm, …) are refused
//! with an error naming the config key ([`InteropError::Unsupported`]); state dicts that do
//! not fit are refused naming each offending tensor ([`InteropError::Mismatch`]).
//!
//! The reference discriminators return logits (no `Sigmoid`): PyTorch's example ends its
//! `Discriminator` with `nn.Sigmoid()` and trains with `nn.BCELoss`, which is the same as
//! `nn.BCEWithLogitsLoss` on the logits; the `Sigmoid` has no parameters, so the state
//! dicts are the same either way.

mod dcgan;
mod error;
mod export;
mod import;
mod latents;
mod layout;
mod mlp;
mod reference;
mod state_dict;

pub use error::{InteropError, Problem, TensorProblem};
pub use export::{export_run, Exported};
pub use import::{import_run, ImportRequest, Imported, IMPORT_RECORD};
pub use latents::read_latents;
pub use layout::{Layout, MappedTensor};
pub use reference::{Net, Reference};
pub use state_dict::{read_state_dict, REFERENCE_METADATA_KEY};
