//! [`import_run`]: a PyTorch reference module's state dict and an experiment config
//! become a gan-rs run directory (`config.toml`, `run.json`, `import.json` and a step-0
//! checkpoint written by the trainer's own checkpoint writer), which `gan sample`,
//! `gan eval`, `gan export` and `gan train --resume` (fine-tuning from step 0) accept.
//!
//! Every tensor is validated before anything is written: each one the module has must be
//! present with its shape, a floating-point dtype (converted to float32) and finite values,
//! and a tensor the module does not have is refused, never ignored. Batch-norm
//! `num_batches_tracked` counters are accepted (integer scalars) and dropped: tch's batch
//! norm keeps none. Without a discriminator file, D is initialised from the config's seed
//! exactly as `gan train` would start it, and the run's `import.json` says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tch::{nn::VarStore, Device, Kind, Tensor};

use gan_data::{Batch, DataError, Source, SourceState};

use super::error::{InteropError, Problem, TensorProblem};
use super::reference::{Net, Reference};
use super::state_dict::read_state_dict;
use crate::config::ExperimentConfig;
use crate::error::Result;
use crate::experiment::{self, DataShape, Parts};
use crate::output_file::write_file;
use crate::run_dir::{self, Provenance, RunLock};
use crate::trainer::Trainer;

/// The file of an imported run directory recording where its weights came from.
pub const IMPORT_RECORD: &str = "import.json";

/// What to import, from where, to where.
#[derive(Debug)]
pub struct ImportRequest<'a> {
    /// The experiment the weights belong to (its networks must be plain; see
    /// [`Reference::of`]).
    pub config: ExperimentConfig,
    /// The generator's state dict.
    pub generator: &'a Path,
    /// The discriminator's state dict; `None` initialises D from the config's seed.
    pub discriminator: Option<&'a Path>,
    /// The run directory to create: new or empty, or an old run with `overwrite`.
    pub out: &'a Path,
    /// Replace an existing run directory ([`run_dir::prepare_new_run_dir`]).
    pub overwrite: bool,
}

/// What [`import_run`] created.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The generator's reference module.
    pub generator: Reference,
    /// The discriminator's reference module, or `None` when D was freshly initialised.
    pub discriminator: Option<Reference>,
    /// The run directory.
    pub run_dir: PathBuf,
    /// Its checkpoint.
    pub checkpoint: PathBuf,
}

/// Imports the state dicts of `request` into a new run directory (see the module docs).
/// Nothing is written, and an existing `out` is left alone, unless every tensor fits.
pub fn import_run(request: &ImportRequest) -> Result<Imported> {
    let config = &request.config;
    let shape = data_shape(config)?;
    let generator = Reference::of(config, &shape, Net::Generator)?;
    let gen_weights = fit(&generator, request.generator)?;
    let discriminator = match request.discriminator {
        Some(path) => {
            let reference = Reference::of(config, &shape, Net::Discriminator)?;
            let weights = fit(&reference, path)?;
            Some((reference, weights))
        }
        None => None,
    };

    // Both networks are built as `gan train` builds them (the same seeded stream, so a
    // fresh D is the one training would start from), then the weights are loaded.
    let device = Device::Cpu;
    let (gen_vs, gen_net) = experiment::build_generator(config, &shape, device)?;
    load(&gen_vs, &generator, &gen_weights)?;
    let member = experiment::build_member_for_inference(config)?;
    let (disc_vs, disc_net) =
        experiment::build_discriminator(config, &shape, member.as_ref(), device)?;
    if let Some((reference, weights)) = &discriminator {
        load(&disc_vs, reference, weights)?;
    }
    let source: Box<dyn Source> = match &config.data.toy {
        Some(_) => experiment::build_source(config)?,
        None => Box::new(ShapeOnly(shape)),
    };
    let trainer = Trainer::from_parts(
        config.clone(),
        device,
        Parts {
            gen_vs,
            disc_vs,
            generator: gen_net,
            discriminator: disc_net,
            source,
            member,
        },
    )?;

    let out = request.out;
    run_dir::prepare_new_run_dir(out, request.overwrite)?;
    run_dir::ensure_writable_dir(out)?;
    let _lock = RunLock::acquire(out)?;
    let record = import_record(request, &generator, discriminator.as_ref().map(|d| &d.0));
    run_dir::write_run_files(
        out,
        config,
        &Provenance::new("cpu".into(), config.seed, None),
    )?;
    let text = serde_json::to_string_pretty(&record).expect("the record serializes");
    write_file(&out.join(IMPORT_RECORD), text.as_bytes())?;
    let checkpoint = run_dir::checkpoint_path(out);
    trainer.save_checkpoint(&checkpoint, serde_json::json!({ "imported": record }))?;
    Ok(Imported {
        generator,
        discriminator: discriminator.map(|d| d.0),
        run_dir: out.to_path_buf(),
        checkpoint,
    })
}

/// The data's shape without reading the data: a toy source costs nothing to build, and a
/// dataset's images have a fixed shape.
fn data_shape(config: &ExperimentConfig) -> Result<DataShape> {
    match (&config.data.toy, &config.data.dataset) {
        (Some(_), _) => Ok(DataShape::of(experiment::build_source(config)?.as_ref())),
        (None, Some(spec)) => Ok(DataShape {
            sample_shape: spec.name.image_shape().to_vec(),
            num_classes: Some(spec.name.num_classes()),
        }),
        (None, None) => Err(crate::TrainError::config(
            "data",
            "set `data.toy` or `data.dataset`",
        )),
    }
}

/// The tensors of the file at `path`, validated against `reference`'s state dict and
/// keyed by gan-rs variable name; every problem found is reported, each naming its tensor.
fn fit(reference: &Reference, path: &Path) -> Result<HashMap<String, Tensor>> {
    let layout = reference.layout();
    let mut stored: HashMap<String, Tensor> = read_state_dict(path)?.into_iter().collect();
    let mut problems = Vec::new();
    let mut problem = |tensor: &str, problem: Problem| {
        problems.push(TensorProblem {
            tensor: tensor.to_string(),
            problem,
        })
    };
    let mut fitted = HashMap::new();
    for t in &layout.tensors {
        let Some(src) = stored.remove(&t.reference) else {
            problem(
                &t.reference,
                Problem::Missing {
                    expected: t.shape.clone(),
                },
            );
            continue;
        };
        if src.size() != t.shape {
            problem(
                &t.reference,
                Problem::Shape {
                    found: src.size(),
                    expected: t.shape.clone(),
                },
            );
        } else if !src.is_floating_point() {
            problem(
                &t.reference,
                Problem::Dtype {
                    found: format!("{:?}", src.kind()),
                    expected: "a floating-point dtype",
                },
            );
        } else {
            // Float64 values beyond float32's range become ±inf here, and are caught.
            let value = src.to_kind(Kind::Float);
            if value.numel() > 0 && value.isfinite().logical_not().any().int64_value(&[]) != 0 {
                problem(&t.reference, Problem::NonFinite);
            } else {
                fitted.insert(t.gan.clone(), value);
            }
        }
    }
    for counter in &layout.counters {
        if let Some(src) = stored.remove(counter) {
            if src.is_floating_point() || src.kind() == Kind::Bool || src.numel() != 1 {
                problem(
                    counter,
                    Problem::Dtype {
                        found: format!("{:?} of shape {:?}", src.kind(), src.size()),
                        expected: "an integer scalar (a batch-norm counter)",
                    },
                );
            }
        }
    }
    let mut unexpected: Vec<(String, Tensor)> = stored.into_iter().collect();
    unexpected.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, t) in unexpected {
        problem(&name, Problem::Unexpected { shape: t.size() });
    }
    if problems.is_empty() {
        Ok(fitted)
    } else {
        Err(InteropError::Mismatch {
            path: path.to_path_buf(),
            net: reference.net().name(),
            module: reference.module_call(),
            problems,
        }
        .into())
    }
}

/// Copies `weights` (keyed by gan-rs name) into the network of `vs`, after checking that
/// its variables are exactly `reference`'s.
fn load(vs: &VarStore, reference: &Reference, weights: &HashMap<String, Tensor>) -> Result<()> {
    let net = reference.net();
    reference
        .layout()
        .check_var_store(vs, net.root(), net.name(), &reference.module_call())?;
    let prefix = format!("{}.", net.root());
    for (name, var) in vs.variables() {
        let key = name.strip_prefix(&prefix).unwrap_or(&name);
        let mut var = var.shallow_clone();
        // Copying keeps the variable's own layout (channels-last when configured).
        tch::no_grad(|| var.f_copy_(&weights[key]))?;
    }
    Ok(())
}

/// What `import.json` (and the checkpoint's metadata) record.
fn import_record(
    request: &ImportRequest,
    generator: &Reference,
    discriminator: Option<&Reference>,
) -> serde_json::Value {
    let file = |p: &Path| {
        std::fs::canonicalize(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .display()
            .to_string()
    };
    let disc = match (discriminator, request.discriminator) {
        (Some(r), Some(p)) => serde_json::json!({
            "file": file(p),
            "module": r.module_call(),
            "weights": "imported",
        }),
        _ => serde_json::json!({
            "file": null,
            "weights": format!(
                "freshly initialised from seed {} (as `gan train` starts); no discriminator \
                 was imported",
                request.config.seed
            ),
        }),
    };
    serde_json::json!({
        "from": "pytorch",
        "generator": {
            "file": file(request.generator),
            "module": generator.module_call(),
            "weights": "imported",
        },
        "discriminator": disc,
        "imported_utc": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

/// A dataset's shape without its images: an imported run reads no training data (a
/// resumed one rebuilds the real loader from its config).
struct ShapeOnly(DataShape);

impl Source for ShapeOnly {
    fn sample_shape(&self) -> Vec<i64> {
        self.0.sample_shape.clone()
    }

    fn num_classes(&self) -> Option<i64> {
        self.0.num_classes
    }

    fn next_batch(&mut self, _batch_size: i64) -> std::result::Result<Batch, DataError> {
        Err(DataError::invalid(
            "data",
            "an imported run reads no data until it is resumed (`gan train --resume`)",
        ))
    }

    fn state(&self) -> SourceState {
        // A fresh loader's cursor: a resumed run starts its first epoch.
        SourceState::default()
    }

    fn restore(&mut self, _state: &SourceState) -> std::result::Result<(), DataError> {
        Ok(())
    }
}
