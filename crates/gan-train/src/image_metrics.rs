//! FID, KID and an Inception-Score-like score of generated images, computed on the
//! penultimate features / softmax of gan-rs's own per-dataset [`Classifier`].
//!
//! **These numbers are comparable across gan-rs runs that use the same classifier file
//! — they are NOT comparable with published FID / KID / IS values**, which use an
//! ImageNet Inception-v3 network. The JSON written by `gan eval` says so in its `note`.

use serde::Serialize;
use tch::Tensor;

use gan_core::metrics::{frechet_distance, inception_score_from_logits, kid_subsets};
use gan_core::FeatureStats;

use gan_data::ImageDataset;

use crate::classifier::{classifier_path, Classifier};
use crate::config::DatasetSpec;
use crate::error::{Result, TrainError};
use crate::experiment::dataset_dir;

/// The caveat attached to every report.
pub const METRICS_NOTE: &str = "FID/KID/IS use gan-rs's own small classifier (not Inception-v3): \
comparable across gan-rs runs with the same classifier, NOT with published values";

/// Number of random subsets KID is averaged over.
pub const KID_SUBSETS: usize = 10;
/// Largest KID subset size.
pub const KID_MAX_SUBSET: i64 = 1000;

/// Features of the real images that generated ones are compared with.
pub struct RealReference {
    /// Penultimate features `[N, F]` (CPU).
    pub features: Tensor,
    /// Their mean and covariance.
    pub stats: FeatureStats,
}

impl RealReference {
    /// Runs `classifier` over real `images` `[N, C, H, W]` (N ≥ 2).
    pub fn new(classifier: &Classifier, images: &Tensor) -> Result<Self> {
        let (features, _) = classifier.features_and_logits(images)?;
        let stats = FeatureStats::from_features(&features)?;
        Ok(RealReference { features, stats })
    }

    /// Number of real images.
    pub fn len(&self) -> i64 {
        self.features.size()[0]
    }

    /// Whether there are no real images (never true for a built reference).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The scores of one set of generated images.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageScores {
    /// Fréchet distance of classifier features (lower is better; ≈ 0 for real data).
    pub fid: f64,
    /// Kernel (MMD²) distance of classifier features, mean over subsets.
    pub kid_mean: f64,
    /// Standard deviation of KID over subsets.
    pub kid_std: f64,
    /// `exp(E KL(p(y|x) ‖ p(y)))` of the classifier's softmax, in `[1, K]`.
    pub inception_score: f64,
    /// Generated images scored.
    pub n_generated: i64,
    /// Real images compared with.
    pub n_real: i64,
}

/// Only the Fréchet distance of `images` to `reference` (cheap; for training curves).
pub fn fid(classifier: &Classifier, reference: &RealReference, images: &Tensor) -> Result<f64> {
    let (features, _) = classifier.features_and_logits(images)?;
    Ok(frechet_distance(
        &reference.stats,
        &FeatureStats::from_features(&features)?,
    )?)
}

/// FID, KID and IS of `images` (at least 2) against `reference`. KID subsets come from
/// torch's global generator (seed it for reproducible numbers).
pub fn score(
    classifier: &Classifier,
    reference: &RealReference,
    images: &Tensor,
) -> Result<ImageScores> {
    let (features, logits) = classifier.features_and_logits(images)?;
    let n = features.size()[0];
    if n < 2 {
        return Err(TrainError::Classifier {
            reason: format!("need at least 2 generated images, got {n}"),
        });
    }
    let fid = frechet_distance(&reference.stats, &FeatureStats::from_features(&features)?)?;
    let subset = n.min(reference.len()).min(KID_MAX_SUBSET);
    let kid = kid_subsets(&reference.features, &features, KID_SUBSETS, subset as usize)?;
    Ok(ImageScores {
        fid,
        kid_mean: kid.mean,
        kid_std: kid.std,
        inception_score: inception_score_from_logits(&logits)?,
        n_generated: n,
        n_real: reference.len(),
    })
}

/// The classifier file of a run's dataset (see [`crate::classifier::classifier_path`]).
pub fn classifier_path_for(spec: &DatasetSpec) -> Result<std::path::PathBuf> {
    Ok(classifier_path(&dataset_dir(spec)?, spec.name))
}

/// The real images generated ones are compared with: the dataset's **test** split
/// (restricted to `data.dataset.classes` when set), at most `max` images.
pub fn reference_images(spec: &DatasetSpec, max: i64) -> Result<ImageDataset> {
    let mut ds = gan_data::load(spec.name, &dataset_dir(spec)?, gan_data::Split::Test)?;
    if let Some(classes) = &spec.classes {
        ds = ds.filter_classes(classes)?;
    }
    if ds.len() > max {
        let idx: Vec<i64> = (0..max).collect();
        ds = ds.select(&idx)?;
    }
    Ok(ds)
}
