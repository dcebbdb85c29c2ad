//! [`standard_observers`]: the observers `gan train` runs, built in one place so that the
//! command line and the benchmarks (`cargo xtask bench`, the `loop` implementation) run
//! exactly the same ones.

use std::path::Path;

use super::{
    Checkpointer, Diagnostics, FidLog, MetricsLog, Observer, Progress, SampleGrid, Snapshots1d,
    Snapshots2d, TensorBoard,
};
use crate::trainer::Trainer;

/// The observers of `gan train` for `trainer`, writing into the run directory `run_dir`,
/// at the config's `[log]` settings, in the order the trainer calls them: [`MetricsLog`]
/// (`metrics.csv`), [`Diagnostics`], [`Snapshots1d`] and [`Snapshots2d`] (toy data),
/// [`SampleGrid`] (images), [`FidLog`], [`Checkpointer`] (keeping `log.keep_checkpoints`),
/// [`Progress`] (a progress bar over `train.steps`, hidden when `quiet`) and last, with
/// `log.tensorboard`, [`TensorBoard`].
///
/// The TensorBoard event file is opened first (here, keeping the events through the
/// trainer's step on a resume), so that the others can publish into it from their start,
/// and registered last, so that it closes after their final pictures. Call it after
/// [`Trainer::set_total_steps`] when the run's length changes: the progress bar's total is
/// read now.
pub fn standard_observers(
    run_dir: &Path,
    trainer: &Trainer,
    quiet: bool,
) -> Vec<Box<dyn Observer>> {
    let config = trainer.config();
    let log = &config.log;
    let tensorboard = log
        .tensorboard
        .then(|| TensorBoard::new(run_dir, log.every, trainer.step()));
    let publisher = tensorboard
        .as_ref()
        .map(TensorBoard::publisher)
        .unwrap_or_default();
    let toy = config.data.toy.clone();
    let mut observers: Vec<Box<dyn Observer>> = vec![
        Box::new(MetricsLog::new(run_dir, log.every).publish_to(publisher.clone())),
        Box::new(Diagnostics::new(run_dir, log.every)),
        Box::new(
            Snapshots1d::new(run_dir, log.snapshot_every, toy.clone())
                .publish_to(publisher.clone()),
        ),
        Box::new(Snapshots2d::new(run_dir, log.snapshot_every, toy).publish_to(publisher.clone())),
        Box::new(SampleGrid::new(run_dir, log.samples_every).publish_to(publisher.clone())),
        Box::new(
            FidLog::new(run_dir, log.fid_every, log.fid_samples)
                .keep_best(log.keep_best == "fid")
                .publish_to(publisher),
        ),
        Box::new(Checkpointer::new(run_dir, log.checkpoint_every).keep_last(log.keep_checkpoints)),
        Box::new(Progress::new(config.train.steps, log.every, quiet)),
    ];
    if let Some(tb) = tensorboard {
        observers.push(Box::new(tb));
    }
    observers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentConfig;

    fn names(observers: &[Box<dyn Observer>]) -> Vec<&'static str> {
        observers.iter().map(|o| o.name()).collect()
    }

    #[test]
    fn the_order_of_gan_train_with_tensorboard_last() {
        let dir = tempfile::tempdir().unwrap();
        let toml = "name = \"std\"\n[data.toy]\nkind = \"gaussian\"\nmean = 4.0\nstd = 1.25\n\
                    [generator]\nkind = \"linear\"\n[discriminator]\nkind = \"mlp\"\nhidden = [4]\n";
        let trainer = Trainer::new(
            ExperimentConfig::from_toml_str(toml, &[]).unwrap(),
            tch::Device::Cpu,
        )
        .unwrap();
        let all = [
            "MetricsLog",
            "Diagnostics",
            "Snapshots1d",
            "Snapshots2d",
            "SampleGrid",
            "FidLog",
            "Checkpointer",
            "Progress",
        ];
        let observers = standard_observers(dir.path(), &trainer, true);
        assert_eq!(names(&observers), [&all[..], &["TensorBoard"]].concat());
        let config = ExperimentConfig::from_toml_str(toml, &["log.tensorboard=false".into()]);
        let trainer = Trainer::new(config.unwrap(), tch::Device::Cpu).unwrap();
        let off = tempfile::tempdir().unwrap();
        assert_eq!(names(&standard_observers(off.path(), &trainer, true)), all);
        assert!(
            !off.path().join(super::super::TENSORBOARD_DIR).exists(),
            "no event file without log.tensorboard"
        );
    }
}
