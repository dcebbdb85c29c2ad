//! Learned label embeddings for conditional networks.
//!
//! Generators concatenate the embedding of the label to `z` (Mirza & Osindero's conditional
//! GAN with a learned instead of one-hot code); discriminators use it as a projection head
//! (Miyato & Koyama 2018): `score += ⟨embed(y), φ(x)⟩` where `φ(x)` are the features.

use crate::error::{ensure_positive, Result};
use tch::{nn, Tensor};

/// A `[num_classes, dim]` embedding table stored as `p / "weight"`, init `N(0, 1)`.
#[derive(Debug)]
pub struct LabelEmbedding {
    weight: Tensor,
    num_classes: i64,
}

impl LabelEmbedding {
    /// Creates the table, initialised `N(0, 1)` (a generator input beside `z ~ N(0, I)`).
    pub fn new(p: &nn::Path, num_classes: i64, dim: i64) -> Result<Self> {
        Self::with_std(p, num_classes, dim, 1.0)
    }

    /// Creates a projection table for a discriminator with `dim`-wide features,
    /// initialised `N(0, 1/dim)`: the projection term `⟨embed(y), φ(x)⟩` then starts at
    /// the scale of one feature instead of `√dim` times it, which made DCGAN projection
    /// discriminators (3,136 features) dominated by the label term and collapse.
    pub fn for_projection(p: &nn::Path, num_classes: i64, dim: i64) -> Result<Self> {
        Self::with_std(p, num_classes, dim, 1.0 / (dim.max(1) as f64).sqrt())
    }

    fn with_std(p: &nn::Path, num_classes: i64, dim: i64, std: f64) -> Result<Self> {
        ensure_positive("num_classes", num_classes)?;
        ensure_positive("label embedding dim", dim)?;
        Ok(LabelEmbedding {
            weight: p.var(
                "weight",
                &[num_classes, dim],
                nn::Init::Randn {
                    mean: 0.0,
                    stdev: std,
                },
            ),
            num_classes,
        })
    }

    /// Number of classes.
    pub fn num_classes(&self) -> i64 {
        self.num_classes
    }

    /// The embedding table.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// Embeds int64 labels `[N]` → `[N, dim]`.
    pub fn embed(&self, labels: &Tensor) -> Tensor {
        embed_with(&self.weight, labels)
    }
}

/// Embeds `labels` with an explicit table (functional form).
pub fn embed_with(weight: &Tensor, labels: &Tensor) -> Tensor {
    Tensor::embedding(weight, &labels.to_kind(tch::Kind::Int64), -1, false, false)
}

/// The projection term `⟨embedding_i, features_i⟩` per sample: `[N, D] × [N, D] → [N]`.
pub fn projection(embedding: &Tensor, features: &Tensor) -> Tensor {
    (embedding * features).sum_dim_intlist(1, false, features.kind())
}

/// Unwraps the labels a conditional network needs.
///
/// # Panics
/// If `labels` is `None`: a conditional network cannot run without them.
pub(crate) fn require_labels<'a>(labels: Option<&'a Tensor>, who: &str) -> &'a Tensor {
    match labels {
        Some(l) => l,
        None => panic!("{who} is conditional (num_classes is set) and needs labels"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn embeds_rows_of_the_table() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let e = LabelEmbedding::new(&vs.root(), 4, 3).unwrap();
        let y = Tensor::from_slice(&[2i64, 0, 2]);
        let out = e.embed(&y);
        assert_eq!(out.size(), vec![3, 3]);
        assert_eq!(out.get(0), e.weight().get(2));
        assert_eq!(out.get(1), e.weight().get(0));
        assert!(LabelEmbedding::new(&vs.root(), 0, 3).is_err());
    }
}
