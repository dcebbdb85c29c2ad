//! An exponential moving average of the generator's weights (`train.ema`): updated after
//! every G step, and swapped in for sampling and evaluation.

use tch::{nn::VarStore, Tensor};

use crate::checkpoint;
use crate::error::{Result, TrainError};

/// An exponential moving average of every variable of a var store.
pub(crate) struct Ema {
    decay: f64,
    /// The live variables, sorted by name (shallow clones sharing storage).
    vars: Vec<(String, Tensor)>,
    /// Their averages, same order.
    averages: Vec<Tensor>,
}

impl Ema {
    pub(crate) fn new(vs: &VarStore, decay: f64) -> Self {
        let vars = checkpoint::var_store_tensors(vs, "");
        let averages = vars.iter().map(|(_, v)| v.detach().copy()).collect();
        Ema {
            decay,
            vars,
            averages,
        }
    }

    pub(crate) fn update(&mut self) {
        tch::no_grad(|| {
            for ((_, v), a) in self.vars.iter().zip(self.averages.iter_mut()) {
                let _ = a.lerp_(&v.detach(), 1.0 - self.decay);
            }
        });
    }

    /// Run `f` with the averaged weights loaded into the live variables, then put the
    /// trained weights back.
    pub(crate) fn with_averaged_weights<T>(&self, f: impl FnOnce() -> T) -> T {
        let saved: Vec<Tensor> = self.vars.iter().map(|(_, v)| v.detach().copy()).collect();
        let load = |src: &[Tensor]| {
            tch::no_grad(|| {
                for ((_, v), s) in self.vars.iter().zip(src) {
                    let mut v = v.shallow_clone();
                    v.copy_(s);
                }
            })
        };
        load(&self.averages);
        let out = f();
        load(&saved);
        out
    }

    /// Checkpoint tensors: `ema/<variable name>`.
    pub(crate) fn state_tensors(&self) -> Vec<(String, Tensor)> {
        self.vars
            .iter()
            .zip(&self.averages)
            .map(|((name, _), avg)| (format!("ema/{name}"), avg.shallow_clone()))
            .collect()
    }

    /// Restore what [`state_tensors`](Self::state_tensors) saved.
    pub(crate) fn load_state(&mut self, ck: &checkpoint::Checkpoint) -> Result<()> {
        for ((name, _), avg) in self.vars.iter().zip(self.averages.iter_mut()) {
            let saved =
                ck.tensor(&format!("ema/{name}"))
                    .ok_or_else(|| TrainError::Checkpoint {
                        path: Default::default(),
                        reason: format!("EMA weight `{name}` is missing (was the config changed?)"),
                    })?;
            checkpoint::check_loaded_tensor(&saved, avg.kind(), &format!("EMA weight `{name}`"))
                .map_err(|reason| TrainError::Checkpoint {
                    path: Default::default(),
                    reason,
                })?;
            tch::no_grad(|| avg.f_copy_(&saved))?;
        }
        Ok(())
    }
}
