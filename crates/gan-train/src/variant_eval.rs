//! Evaluations specific to the GAN family's variants:
//!
//! - conditional GAN / AC-GAN: [`class_agreement`], the fraction of class-conditional
//!   samples that the dataset's classifier (trained on real data) assigns to the
//!   requested class;
//! - InfoGAN: [`infogan_alignment`], how well the categorical code aligns with the
//!   classes, under the best one-to-one relabelling (Q's prediction on real test images,
//!   as in Chen et al.'s "5 % error" figure, and the classifier's labels of generated
//!   images against the code that generated them);
//! - semi-supervised GAN: [`test_classification_error`] of D's class head on the test set.

use serde::Serialize;
use tch::{Device, Kind, Tensor};

use gan_core::metrics::best_permutation_accuracy;
use gan_data::ImageDataset;

use crate::classifier::Classifier;
use crate::error::{Result, TrainError};
use crate::sampler::Sampler;

/// Whether evaluating a run of `config` needs its discriminator: the semi-supervised
/// GAN's test error is D's, and InfoGAN's code alignment reads Q (a head of D).
pub fn needs_discriminator(config: &crate::ExperimentConfig) -> bool {
    matches!(
        config.variant,
        crate::Variant::SemiSupervised { .. } | crate::Variant::Info { .. }
    )
}

/// Images per forward pass of the discriminator during evaluation.
const EVAL_BATCH: i64 = 500;

/// Result of [`class_agreement`].
#[derive(Clone, Debug, Serialize)]
pub struct ClassAgreement {
    /// Fraction of all samples labelled with their requested class.
    pub overall: f64,
    /// The same per requested class.
    pub per_class: Vec<f64>,
    /// Samples generated per class.
    pub per_class_samples: i64,
}

/// Generate `per_class` samples of every class and report how many the classifier
/// labels with the class they were generated for.
pub fn class_agreement(
    trainer: &dyn Sampler,
    classifier: &Classifier,
    per_class: i64,
) -> Result<ClassAgreement> {
    let k = trainer.conditioning().label_classes().ok_or_else(|| {
        TrainError::config(
            "variant.kind",
            "class agreement needs a label-conditioned generator (conditional GAN or AC-GAN)",
        )
    })?;
    let mut per = Vec::with_capacity(k as usize);
    for class in 0..k {
        let input = trainer
            .conditioning()
            .draw(per_class, trainer.device(), None, Some(class))?;
        let images = trainer.sample_from(&input);
        let (_, logits) = classifier.features_and_logits(&images)?;
        let hits = logits
            .argmax(1, false)
            .eq(class)
            .to_kind(Kind::Double)
            .mean(Kind::Double);
        per.push(hits.double_value(&[]));
    }
    Ok(ClassAgreement {
        overall: per.iter().sum::<f64>() / per.len() as f64,
        per_class: per,
        per_class_samples: per_class,
    })
}

/// Result of [`infogan_alignment`].
#[derive(Clone, Debug, Serialize)]
pub struct InfoAlignment {
    /// Best-permutation accuracy of Q's categorical prediction on real test images
    /// against their labels.
    pub q_on_test_accuracy: f64,
    /// Best-permutation accuracy of the classifier's labels of generated images against
    /// the categorical code that generated them.
    pub generated_accuracy: f64,
    /// `mapping[c]` = the class matched to code value `c` (from the test-set match).
    pub code_to_class: Vec<Option<usize>>,
}

/// How well InfoGAN's categorical code aligns with the classes (see the module docs).
pub fn infogan_alignment(
    trainer: &dyn Sampler,
    classifier: &Classifier,
    test: &ImageDataset,
    generated: i64,
) -> Result<InfoAlignment> {
    let k = trainer.conditioning().categorical();
    if k == 0 {
        return Err(TrainError::config(
            "variant.categorical",
            "code alignment needs an InfoGAN with a categorical code",
        ));
    }
    let classes = test.num_classes as usize;
    let truth = to_usize(&test.labels)?;
    // Q on real images.
    let q = discriminator_heads(trainer, &test.images, |o| o.q)?;
    let predicted = to_usize(&q.narrow(1, 0, k).argmax(1, false))?;
    let on_test = best_permutation_accuracy(&predicted, &truth, k as usize, classes)?;
    // The classifier on generated images.
    let input = trainer
        .conditioning()
        .draw(generated, trainer.device(), None, None)?;
    let images = trainer.sample_from(&input);
    let (_, logits) = classifier.features_and_logits(&images)?;
    let codes = input
        .categorical
        .as_ref()
        .expect("InfoGAN with a categorical code draws one");
    let generated_match = best_permutation_accuracy(
        &to_usize(codes)?,
        &to_usize(&logits.argmax(1, false))?,
        k as usize,
        classes,
    )?;
    Ok(InfoAlignment {
        q_on_test_accuracy: on_test.accuracy,
        generated_accuracy: generated_match.accuracy,
        code_to_class: on_test.mapping,
    })
}

/// Test-set classification error of the semi-supervised discriminator's class head
/// (arg-max over the K real classes).
pub fn test_classification_error(trainer: &dyn Sampler, test: &ImageDataset) -> Result<f64> {
    let logits = discriminator_heads(trainer, &test.images, |o| o.class_logits)?;
    let k = test.num_classes;
    let real_classes = logits.narrow(1, 0, k.min(logits.size()[1]));
    let accuracy = gan_core::class_accuracy(&real_classes, &test.labels)?;
    Ok(1.0 - accuracy)
}

/// A head of the discriminator (eval mode, no gradients) on `images`, in batches, on CPU.
fn discriminator_heads(
    trainer: &dyn Sampler,
    images: &Tensor,
    head: impl Fn(gan_models::DiscOutput) -> Option<Tensor>,
) -> Result<Tensor> {
    let discriminator = trainer.discriminator().ok_or_else(|| {
        TrainError::config(
            "variant.kind",
            "this evaluation needs the discriminator, which was not loaded",
        )
    })?;
    let mut parts = Vec::new();
    tch::no_grad(|| -> Result<()> {
        for chunk in images.split(EVAL_BATCH, 0) {
            let out = discriminator.discriminate(
                &chunk.to_device(trainer.device()).to_kind(Kind::Float),
                None,
                false,
            );
            let h = head(out).ok_or_else(|| {
                TrainError::config(
                    "variant.kind",
                    "the discriminator lacks the head this evaluation needs",
                )
            })?;
            parts.push(h.to_device(Device::Cpu));
        }
        Ok(())
    })?;
    Ok(Tensor::cat(&parts, 0))
}

fn to_usize(t: &Tensor) -> Result<Vec<usize>> {
    let v: Vec<i64> = Vec::try_from(t.to_kind(Kind::Int64).flatten(0, -1))?;
    Ok(v.into_iter().map(|x| x.max(0) as usize).collect())
}
