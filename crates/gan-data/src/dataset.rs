//! [`ImageDataset`]: a labelled image dataset held in memory as tensors, with class filtering
//! and class-balanced labelled subsets (for semi-supervised training).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Kind, Tensor};

use crate::error::DataError;

/// Images and labels of a dataset, on the CPU.
#[derive(Debug)]
pub struct ImageDataset {
    /// Images `[N, C, H, W]`, float32, scaled from bytes to [−1, 1] (`x / 127.5 − 1`).
    pub images: Tensor,
    /// Labels `[N]`, int64, each in `0..num_classes`.
    pub labels: Tensor,
    /// Number of classes of the dataset (10 for MNIST, Fashion-MNIST, CIFAR-10).
    pub num_classes: i64,
}

impl ImageDataset {
    /// Builds a dataset from tensors, checking kinds and shapes (`images` float32
    /// `[N, C, H, W]`, `labels` int64 `[N]`, labels in `0..num_classes`).
    pub fn new(images: Tensor, labels: Tensor, num_classes: i64) -> Result<Self, DataError> {
        let isz = images.size();
        let lsz = labels.size();
        if images.kind() != Kind::Float || isz.len() != 4 {
            return Err(DataError::invalid(
                "images",
                format!(
                    "must be float32 [N, C, H, W], got {:?} {isz:?}",
                    images.kind()
                ),
            ));
        }
        if labels.kind() != Kind::Int64 || lsz.len() != 1 || lsz[0] != isz[0] {
            return Err(DataError::invalid(
                "labels",
                format!(
                    "must be int64 [{}], got {:?} {lsz:?}",
                    isz[0],
                    labels.kind()
                ),
            ));
        }
        if num_classes <= 0 {
            return Err(DataError::invalid(
                "num_classes",
                format!("must be positive, got {num_classes}"),
            ));
        }
        let ds = ImageDataset {
            images,
            labels,
            num_classes,
        };
        if let Some(bad) = ds
            .labels_vec()?
            .into_iter()
            .find(|&l| l < 0 || l >= num_classes)
        {
            return Err(DataError::invalid(
                "labels",
                format!("label {bad} is outside 0..{num_classes}"),
            ));
        }
        Ok(ds)
    }

    /// Builds a dataset from raw bytes: `pixels` holds `n` images of `shape = [C, H, W]` bytes
    /// each, scaled to [−1, 1]; `labels` holds `n` class indices.
    pub fn from_bytes(
        pixels: &[u8],
        shape: [i64; 3],
        labels: &[u8],
        num_classes: i64,
    ) -> Result<Self, DataError> {
        let n = labels.len() as i64;
        let total = shape
            .iter()
            .try_fold(n, |acc, &d| if d > 0 { acc.checked_mul(d) } else { None });
        if total != Some(pixels.len() as i64) {
            return Err(DataError::invalid(
                "pixels",
                format!(
                    "{} bytes do not make {n} images of shape {shape:?}",
                    pixels.len()
                ),
            ));
        }
        let ctx = "converting image bytes to a tensor";
        let images = Tensor::f_from_slice(pixels)
            .and_then(|t| t.f_reshape([n, shape[0], shape[1], shape[2]]))
            .and_then(|t| t.f_to_kind(Kind::Float))
            .and_then(|t| t.f_div_scalar(127.5))
            .and_then(|t| t.f_sub_scalar(1.0))
            .map_err(DataError::torch(ctx))?;
        let labels: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
        let labels = Tensor::f_from_slice(&labels).map_err(DataError::torch(ctx))?;
        ImageDataset::new(images, labels, num_classes)
    }

    /// Number of samples.
    pub fn len(&self) -> i64 {
        self.images.size()[0]
    }

    /// Whether the dataset holds no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shape of one image, `[C, H, W]`.
    pub fn image_shape(&self) -> Vec<i64> {
        self.images.size()[1..].to_vec()
    }

    /// The labels as a vector.
    pub fn labels_vec(&self) -> Result<Vec<i64>, DataError> {
        Vec::<i64>::try_from(&self.labels).map_err(DataError::torch("reading labels"))
    }

    /// A dataset sharing this one's storage (tensors are reference-counted).
    pub fn shallow_clone(&self) -> Self {
        ImageDataset {
            images: self.images.shallow_clone(),
            labels: self.labels.shallow_clone(),
            num_classes: self.num_classes,
        }
    }

    /// The samples at `indices`, in that order.
    pub fn select(&self, indices: &[i64]) -> Result<Self, DataError> {
        let n = self.len();
        if let Some(bad) = indices.iter().find(|&&i| i < 0 || i >= n) {
            return Err(DataError::invalid(
                "indices",
                format!("index {bad} is outside 0..{n}"),
            ));
        }
        let ctx = "selecting samples";
        let idx = Tensor::f_from_slice(indices).map_err(DataError::torch(ctx))?;
        Ok(ImageDataset {
            images: self
                .images
                .f_index_select(0, &idx)
                .map_err(DataError::torch(ctx))?,
            labels: self
                .labels
                .f_index_select(0, &idx)
                .map_err(DataError::torch(ctx))?,
            num_classes: self.num_classes,
        })
    }

    /// Only the samples whose label is in `classes`, in their original order. Labels and
    /// `num_classes` are kept as they are (not renumbered).
    pub fn filter_classes(&self, classes: &[i64]) -> Result<Self, DataError> {
        if classes.is_empty() {
            return Err(DataError::invalid(
                "classes",
                "must name at least one class",
            ));
        }
        if let Some(bad) = classes.iter().find(|&&c| c < 0 || c >= self.num_classes) {
            return Err(DataError::invalid(
                "classes",
                format!("class {bad} is outside 0..{}", self.num_classes),
            ));
        }
        let keep: Vec<i64> = self
            .labels_vec()?
            .iter()
            .enumerate()
            .filter(|(_, l)| classes.contains(l))
            .map(|(i, _)| i as i64)
            .collect();
        if keep.is_empty() {
            return Err(DataError::invalid(
                "classes",
                format!("no sample has a class in {classes:?}"),
            ));
        }
        self.select(&keep)
    }

    /// A class-balanced labelled subset of `n_total` samples: `n_total / K` of each of the `K`
    /// classes present in the dataset, chosen at random by `seed`, returned in their original
    /// order. `n_total` must be a positive multiple of `K`, and every class must have enough
    /// samples.
    pub fn labeled_subset(&self, n_total: usize, seed: u64) -> Result<Self, DataError> {
        let labels = self.labels_vec()?;
        let mut present: Vec<i64> = labels.clone();
        present.sort_unstable();
        present.dedup();
        let k = present.len();
        if k == 0 || n_total == 0 || n_total % k != 0 {
            return Err(DataError::invalid(
                "n_total",
                format!("must be a positive multiple of the {k} classes present, got {n_total}"),
            ));
        }
        let per = n_total / k;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut chosen = Vec::with_capacity(n_total);
        for &class in &present {
            let mut idx: Vec<i64> = labels
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == class)
                .map(|(i, _)| i as i64)
                .collect();
            if idx.len() < per {
                return Err(DataError::invalid(
                    "n_total",
                    format!(
                        "{n_total} labelled samples need {per} of class {class}, which has only {}",
                        idx.len()
                    ),
                ));
            }
            idx.shuffle(&mut rng);
            chosen.extend_from_slice(&idx[..per]);
        }
        chosen.sort_unstable();
        self.select(&chosen)
    }
}
