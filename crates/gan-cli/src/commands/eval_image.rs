//! `gan eval` for image runs: FID, KID and an Inception-Score-like score of `--n`
//! generated images against the test split, on the features / softmax of gan-rs's own
//! dataset classifier (`gan classifier train`). The numbers are comparable across gan-rs
//! runs with the same classifier, NOT with published Inception-v3 FID / IS.
//!
//! Variants add their own figures (see `gan_train::variant_eval`): class agreement of
//! conditional / AC-GAN samples, InfoGAN code-class alignment, and the semi-supervised
//! discriminator's test classification error (which needs no classifier).

use anyhow::{bail, Context, Result};

use gan_train::classifier::Classifier;
use gan_train::image_metrics::{self, RealReference, METRICS_NOTE};
use gan_train::{variant_eval, Inference, Sampler, Variant};

use super::eval::EvalArgs;

/// Real test images compared with at most.
const MAX_REAL: i64 = 10_000;

/// Samples per class for the class-agreement check.
const AGREEMENT_PER_CLASS: i64 = 500;

pub fn run(args: &EvalArgs, model: Inference) -> Result<()> {
    let Some(spec) = model.config().data.dataset.clone() else {
        bail!("not an image run");
    };
    let mut report =
        serde_json::json!({ "step": model.step(), "variant": model.config().variant.name() });
    // The whole test split, when the semi-supervised error needs it; reused below as the
    // FID reference when it is within MAX_REAL, so the split is read once.
    let mut full_test = None;
    if let Variant::SemiSupervised { labels, .. } = &model.config().variant {
        let test = image_metrics::reference_images(&spec, i64::MAX)?;
        let error = variant_eval::test_classification_error(&model, &test)?;
        println!(
            "semi-supervised D, {labels} labels: test error {:.2}% on {} test images",
            100.0 * error,
            test.len()
        );
        report["labels"] = (*labels).into();
        report["test_error"] = error.into();
        report["n_test"] = test.len().into();
        full_test = Some(test);
        let path = image_metrics::classifier_path_for(&spec)?;
        if !path.is_file() {
            report["note"] = "no dataset classifier: FID / KID / IS skipped".into();
            return super::eval::publish_report(&args.run, &report);
        }
    }
    let device = model.device();
    let path = image_metrics::classifier_path_for(&spec)?;
    let classifier = Classifier::load(&path, device).with_context(|| {
        format!(
            "`gan eval` scores images with gan-rs's {0} classifier; train it with `gan classifier train --data {0}`",
            spec.name.dir_name()
        )
    })?;
    let real = match full_test {
        Some(test) if test.len() <= MAX_REAL => test,
        _ => image_metrics::reference_images(&spec, MAX_REAL)?,
    };
    let reference = RealReference::new(&classifier, &real.images)?;
    tch::manual_seed(0);
    let mut parts = Vec::new();
    let mut left = args.n;
    while left > 0 {
        let k = left.min(1000);
        parts.push(model.sample(k)?);
        left -= k;
    }
    let fake = tch::Tensor::cat(&parts, 0);
    let scores = image_metrics::score(&classifier, &reference, &fake)?;
    report["fid"] = scores.fid.into();
    report["kid_mean"] = scores.kid_mean.into();
    report["kid_std"] = scores.kid_std.into();
    report["inception_score"] = scores.inception_score.into();
    report["n_generated"] = scores.n_generated.into();
    report["n_real"] = scores.n_real.into();
    report["classifier"] = path.display().to_string().into();
    report["note"] = METRICS_NOTE.into();
    if model.conditioning().label_classes().is_some() {
        let a = variant_eval::class_agreement(&model, &classifier, AGREEMENT_PER_CLASS)?;
        report["class_agreement"] = serde_json::to_value(&a)?;
    }
    if model.conditioning().categorical() > 0 {
        let a = variant_eval::infogan_alignment(&model, &classifier, &real, args.n.min(10_000))?;
        report["infogan_alignment"] = serde_json::to_value(&a)?;
    }
    super::eval::publish_report(&args.run, &report)
}
