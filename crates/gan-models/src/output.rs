//! [`DiscOutput`]: everything a discriminator returns for one batch.

use tch::Tensor;

/// The output of a discriminator on a batch of `N` samples (see `docs/ARCHITECTURE.md`).
///
/// `score` is the only mandatory head. Its meaning depends on the loss (a logit for the BCE
/// family, a critic value for hinge / Wasserstein, an energy for EBGAN); networks here never
/// apply a sigmoid to it.
#[derive(Debug)]
pub struct DiscOutput {
    /// One score per sample, shape `[N]`.
    pub score: Tensor,
    /// Penultimate features `[N, F]` (feature matching, semi-supervised GAN).
    pub features: Option<Tensor>,
    /// Class logits `[N, K]` (AC-GAN, semi-supervised GAN).
    pub class_logits: Option<Tensor>,
    /// InfoGAN Q head `[N, Q]`.
    pub q: Option<Tensor>,
}

impl DiscOutput {
    /// An output with only a score.
    pub fn from_score(score: Tensor) -> Self {
        DiscOutput {
            score,
            features: None,
            class_logits: None,
            q: None,
        }
    }

    /// Sets the features head.
    pub fn with_features(mut self, features: Tensor) -> Self {
        self.features = Some(features);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_heads() {
        let out = DiscOutput::from_score(Tensor::zeros([3], tch::kind::FLOAT_CPU))
            .with_features(Tensor::ones([3, 2], tch::kind::FLOAT_CPU));
        assert_eq!(out.score.size(), vec![3]);
        assert_eq!(out.features.as_ref().map(|f| f.size()), Some(vec![3, 2]));
        assert!(out.class_logits.is_none());
        assert!(out.q.is_none());
    }
}
