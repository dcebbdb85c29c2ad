//! [`export_run`]: a trained run's generator or discriminator as the state dict of its
//! PyTorch reference module, in a safetensors file.

use std::collections::HashMap;
use std::path::Path;

use tch::{nn::VarStore, Device, Kind, Tensor};

use super::reference::{Net, Reference};
use super::state_dict::{state_dict_bytes, REFERENCE_METADATA_KEY};
use crate::checkpoint;
use crate::config::ExperimentConfig;
use crate::error::{Result, TrainError};
use crate::experiment::{self, DataShape};
use crate::output_file::write_file;
use crate::run_dir;

/// What [`export_run`] wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The reference module whose state dict was written.
    pub reference: Reference,
    /// Tensors written (parameters, running statistics and `num_batches_tracked`).
    pub tensors: usize,
    /// The generator updates the weights have had.
    pub step: u64,
    /// Whether the generator's weights are its exponential moving average (`train.ema`),
    /// the weights `gan sample` and `gan eval` use.
    pub ema: bool,
}

/// Writes `net` of the run in `run_dir` to `out` as a safetensors state dict of its
/// reference module (see the [module docs](super)): the generator's sampling weights
/// (its EMA when the run keeps one), or the discriminator. Batch-norm counters
/// `num_batches_tracked` are written as 0 (see [`super::Layout::counters`]); the file's
/// metadata records the module as JSON under [`REFERENCE_METADATA_KEY`].
pub fn export_run(run_dir: &Path, net: Net, out: &Path) -> Result<Exported> {
    let path = run_dir::checkpoint_path(run_dir);
    if !path.is_file() {
        return Err(TrainError::Checkpoint {
            path,
            reason: format!(
                "{} has no checkpoint to export (is it a run directory?)",
                run_dir.display()
            ),
        });
    }
    let ck = checkpoint::load(&path)?;
    let config = ExperimentConfig::from_toml_str(&ck.meta.config_toml, &[]).map_err(|e| {
        TrainError::Checkpoint {
            path: path.clone(),
            reason: format!("its config no longer parses: {e}"),
        }
    })?;
    let shape = match &ck.meta.data_shape {
        Some(shape) => shape.clone(),
        // Format 1 did not record the data's shape: read it off the data.
        None => DataShape::of(experiment::build_source(&config)?.as_ref()),
    };
    let reference = Reference::of(&config, &shape, net)?;
    let layout = reference.layout();
    let module = reference.module_call();
    let (vs, ema) = load_network(&config, &shape, &ck, &path, net)?;
    layout.check_var_store(&vs, net.root(), net.name(), &module)?;
    let vars = vs.variables();
    let mut tensors: Vec<(String, Tensor)> = layout
        .tensors
        .iter()
        .map(|t| {
            let var = &vars[&format!("{}.{}", net.root(), t.gan)];
            (t.reference.clone(), var.detach().to_kind(Kind::Float))
        })
        .collect();
    tensors.extend(layout.counters.iter().map(|name| {
        (
            name.clone(),
            Tensor::scalar_tensor(0, (Kind::Int64, Device::Cpu)),
        )
    }));
    let metadata = HashMap::from([
        // What `safetensors.torch.save_file` records.
        ("format".to_string(), "pt".to_string()),
        (REFERENCE_METADATA_KEY.to_string(), reference.to_json()),
        ("gan_rs_step".to_string(), ck.meta.step.to_string()),
        ("gan_rs_ema".to_string(), ema.to_string()),
    ]);
    write_file(out, &state_dict_bytes(&tensors, metadata)?)?;
    Ok(Exported {
        reference,
        tensors: tensors.len(),
        step: ck.meta.step,
        ema,
    })
}

/// `net` of the checkpoint built on the CPU with its weights loaded, and whether they are
/// the EMA ones.
fn load_network(
    config: &ExperimentConfig,
    shape: &DataShape,
    ck: &checkpoint::Checkpoint,
    path: &Path,
    net: Net,
) -> Result<(VarStore, bool)> {
    let device = Device::Cpu;
    match net {
        Net::Generator => {
            let (vs, _g) = experiment::build_generator(config, shape, device)?;
            checkpoint::load_var_store(&vs, &ck.with_prefix("gen/"), path, "generator")?;
            let ema = config.train.ema > 0.0;
            if ema {
                checkpoint::load_var_store(&vs, &ck.with_prefix("ema/"), path, "EMA generator")?;
            }
            Ok((vs, ema))
        }
        Net::Discriminator => {
            let member = experiment::build_member_for_inference(config)?;
            let (vs, _d) = experiment::build_discriminator(config, shape, member.as_ref(), device)?;
            checkpoint::load_var_store(&vs, &ck.with_prefix("disc/"), path, "discriminator")?;
            Ok((vs, false))
        }
    }
}
