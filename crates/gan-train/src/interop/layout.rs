//! [`Layout`]: the tensors of one reference module's `state_dict`, each paired with the
//! gan-rs variable that holds the same values, and the check that a built gan-rs network
//! has exactly those variables.

use std::collections::BTreeMap;

use tch::nn::VarStore;

use super::error::InteropError;

/// One tensor of a reference module's state dict and its gan-rs variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedTensor {
    /// Name in the PyTorch state dict, e.g. `main.3.weight`.
    pub reference: String,
    /// Name of the gan-rs variable below the network's root, e.g. `convt1.weight`.
    pub gan: String,
    /// The shape, the same on both sides (no tensor needs transposing).
    pub shape: Vec<i64>,
}

/// The state dict of one reference module, mapped onto a gan-rs network.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Layout {
    /// Parameters and batch-norm running statistics, in the module's order.
    pub tensors: Vec<MappedTensor>,
    /// The batch-norm `num_batches_tracked` counters (0-d int64). tch's batch norm keeps
    /// none, and PyTorch reads them only with `momentum=None` (a cumulative average),
    /// which the DCGAN modules do not use: exports write 0, imports ignore the value.
    pub counters: Vec<String>,
}

impl Layout {
    /// Adds a tensor named `reference` in PyTorch and `gan` in gan-rs.
    pub(super) fn push(&mut self, reference: String, gan: String, shape: Vec<i64>) {
        self.tensors.push(MappedTensor {
            reference,
            gan,
            shape,
        });
    }

    /// Adds a `BatchNorm2d(width)` named `reference` in PyTorch and `gan` in gan-rs
    /// (tch's batch norm stores the same four tensors under the same names).
    pub(super) fn batch_norm(&mut self, reference: &str, gan: &str, width: i64) {
        for t in ["weight", "bias", "running_mean", "running_var"] {
            self.push(
                format!("{reference}.{t}"),
                format!("{gan}.{t}"),
                vec![width],
            );
        }
        self.counters
            .push(format!("{reference}.num_batches_tracked"));
    }

    /// The mapped tensor named `reference` in the state dict.
    pub fn by_reference(&self, reference: &str) -> Option<&MappedTensor> {
        self.tensors.iter().find(|t| t.reference == reference)
    }

    /// Checks that the variables of `vs` below `root` (`gen`, `disc`) are exactly this
    /// layout's gan-rs tensors with the same shapes; `net` and `module` name the two sides
    /// in the error.
    pub fn check_var_store(
        &self,
        vs: &VarStore,
        root: &str,
        net: &'static str,
        module: &str,
    ) -> Result<(), InteropError> {
        let unmapped = |reason: String| InteropError::Unmapped {
            net,
            module: module.to_string(),
            reason,
        };
        let prefix = format!("{root}.");
        let vars: BTreeMap<String, Vec<i64>> = vs
            .variables()
            .into_iter()
            .map(|(name, t)| {
                let name = name.strip_prefix(&prefix).unwrap_or(&name).to_string();
                (name, t.size())
            })
            .collect();
        for t in &self.tensors {
            match vars.get(&t.gan) {
                None => {
                    return Err(unmapped(format!(
                        "it has no variable `{root}.{}` for `{}`",
                        t.gan, t.reference
                    )))
                }
                Some(shape) if *shape != t.shape => {
                    return Err(unmapped(format!(
                        "variable `{root}.{}` has shape {shape:?}, `{}` has {:?}",
                        t.gan, t.reference, t.shape
                    )))
                }
                Some(_) => {}
            }
        }
        if let Some(extra) = vars
            .keys()
            .find(|name| !self.tensors.iter().any(|t| &t.gan == *name))
        {
            return Err(unmapped(format!(
                "variable `{root}.{extra}` has no counterpart in the reference module"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device};

    #[test]
    fn batch_norm_maps_four_tensors_and_a_counter() {
        let mut l = Layout::default();
        l.batch_norm("main.1", "bn0", 3);
        let names: Vec<_> = l.tensors.iter().map(|t| t.reference.as_str()).collect();
        assert_eq!(
            names,
            [
                "main.1.weight",
                "main.1.bias",
                "main.1.running_mean",
                "main.1.running_var"
            ]
        );
        assert_eq!(l.counters, ["main.1.num_batches_tracked"]);
        assert_eq!(l.by_reference("main.1.bias").unwrap().gan, "bn0.bias");
    }

    #[test]
    fn var_store_check_names_the_odd_variable() {
        let vs = VarStore::new(Device::Cpu);
        let _bn = nn::batch_norm2d(vs.root() / "gen" / "bn0", 3, Default::default());
        let mut l = Layout::default();
        l.batch_norm("main.1", "bn0", 3);
        l.check_var_store(&vs, "gen", "generator", "M()").unwrap();
        let _extra = (vs.root() / "gen").var("z", &[1], nn::Init::Const(0.0));
        let e = l
            .check_var_store(&vs, "gen", "generator", "M()")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`gen.z` has no counterpart"), "{e}");
        let mut wrong = Layout::default();
        wrong.batch_norm("main.1", "bn0", 4);
        let e = wrong
            .check_var_store(&vs, "gen", "generator", "M()")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`gen.bn0.weight` has shape [3]"), "{e}");
    }
}
