//! `gan eval` for image runs: FID, KID and an Inception-Score-like score of `--n`
//! generated images against the test split, on the features / softmax of gan-rs's own
//! dataset classifier (`gan classifier train`). The numbers are comparable across gan-rs
//! runs with the same classifier, NOT with published Inception-v3 FID / IS.

use anyhow::{bail, Context, Result};

use gan_train::classifier::Classifier;
use gan_train::image_metrics::{self, RealReference, METRICS_NOTE};
use gan_train::Trainer;

use super::eval::EvalArgs;

/// Real test images compared with at most.
const MAX_REAL: i64 = 10_000;

pub fn run(args: &EvalArgs, trainer: Trainer) -> Result<()> {
    let Some(spec) = trainer.config.data.dataset.clone() else {
        bail!("not an image run");
    };
    let device = trainer.device;
    let path = image_metrics::classifier_path_for(&spec)?;
    let classifier = Classifier::load(&path, device).with_context(|| {
        format!(
            "`gan eval` scores images with gan-rs's {0} classifier; train it with `gan classifier train --data {0}`",
            spec.name.dir_name()
        )
    })?;
    let real = image_metrics::reference_images(&spec, MAX_REAL)?;
    let reference = RealReference::new(&classifier, &real.images)?;
    tch::manual_seed(0);
    let mut parts = Vec::new();
    let mut left = args.n;
    while left > 0 {
        let k = left.min(1000);
        parts.push(trainer.sample(k));
        left -= k;
    }
    let fake = tch::Tensor::cat(&parts, 0);
    let scores = image_metrics::score(&classifier, &reference, &fake)?;
    let report = serde_json::json!({
        "step": trainer.step,
        "fid": scores.fid,
        "kid_mean": scores.kid_mean,
        "kid_std": scores.kid_std,
        "inception_score": scores.inception_score,
        "n_generated": scores.n_generated,
        "n_real": scores.n_real,
        "classifier": path.display().to_string(),
        "note": METRICS_NOTE,
    });
    super::eval::publish_report(&args.run, &report)
}
