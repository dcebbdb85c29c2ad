//! gan-rs's own small image classifier, the feature extractor behind its FID / KID /
//! Inception-Score-like metrics (see [`crate::image_metrics`]).
//!
//! A two-block CNN: `conv3×3(C→w) ReLU maxpool2 → conv3×3(w→2w) ReLU maxpool2 → flatten →
//! linear(→F) ReLU` (the **penultimate features**, `[N, F]`) `→ linear(→K)` (logits).
//! One is trained per dataset (`gan classifier train --data fashion-mnist`) and cached
//! as safetensors under `<data dir>/classifiers/<dataset>.safetensors`.
//!
//! **Metrics computed with it are comparable across gan-rs runs on the same dataset and
//! classifier file only — NOT with published FID / IS numbers, which use Inception-v3.**
//!
//! The file is self-describing: the widths and image shape are read back from the
//! tensor shapes, so [`Classifier::load`] needs only the path.

use std::path::{Path, PathBuf};

use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

use gan_data::{DatasetName, ImageDataset};

use crate::error::{Result, TrainError};

/// Shape of a classifier: input images and widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassifierConfig {
    /// Image channels `C`.
    pub image_channels: i64,
    /// Image height = width `S` (a multiple of 4).
    pub image_size: i64,
    /// Number of classes `K`.
    pub num_classes: i64,
    /// Channels of the first conv block `w` (the second has `2w`).
    pub width: i64,
    /// Penultimate feature dimension `F` (what FID / KID use).
    pub feature_dim: i64,
}

impl ClassifierConfig {
    /// The default classifier for `dataset`: `w = 32`, `F = 128`.
    pub fn for_dataset(dataset: DatasetName) -> Self {
        let [c, s, _] = dataset.image_shape();
        ClassifierConfig {
            image_channels: c,
            image_size: s,
            num_classes: dataset.num_classes(),
            width: 32,
            feature_dim: 128,
        }
    }

    fn validate(&self) -> Result<()> {
        let ok = self.image_channels > 0
            && self.image_size >= 4
            && self.image_size % 4 == 0
            && self.num_classes >= 2
            && self.width > 0
            && self.feature_dim > 0;
        if ok {
            Ok(())
        } else {
            Err(TrainError::Classifier {
                reason: format!("invalid classifier shape {self:?}"),
            })
        }
    }

    fn flat_dim(&self) -> i64 {
        let s = self.image_size / 4;
        2 * self.width * s * s
    }
}

/// Options of [`Classifier::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Passes over the training set (ignored when `max_steps` is set).
    pub epochs: u32,
    /// Stop after this many updates (for quick tests).
    pub max_steps: Option<u64>,
    /// Images per update (default 128).
    pub batch_size: i64,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of the initialisation and the batch order.
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            epochs: 2,
            max_steps: None,
            batch_size: 128,
            lr: 1e-3,
            seed: 0,
        }
    }
}

/// The classifier network and its variables.
pub struct Classifier {
    vs: nn::VarStore,
    config: ClassifierConfig,
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    fc1: nn::Linear,
    fc2: nn::Linear,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("config", &self.config)
            .finish()
    }
}

/// Images per forward pass when extracting features.
const EVAL_BATCH: i64 = 500;

impl Classifier {
    /// A freshly initialised classifier on `device` (initialised from torch's global
    /// generator; [`Classifier::fit`] re-seeds it).
    pub fn new(config: ClassifierConfig, device: Device) -> Result<Self> {
        config.validate()?;
        let vs = nn::VarStore::new(device);
        let p = vs.root();
        let conv = |name: &str, i, o| {
            nn::conv2d(
                &p / name,
                i,
                o,
                3,
                nn::ConvConfig {
                    padding: 1,
                    ..Default::default()
                },
            )
        };
        let w = config.width;
        let conv1 = conv("conv1", config.image_channels, w);
        let conv2 = conv("conv2", w, 2 * w);
        let fc1 = nn::linear(
            &p / "fc1",
            config.flat_dim(),
            config.feature_dim,
            Default::default(),
        );
        let fc2 = nn::linear(
            &p / "fc2",
            config.feature_dim,
            config.num_classes,
            Default::default(),
        );
        Ok(Classifier {
            vs,
            config,
            conv1,
            conv2,
            fc1,
            fc2,
        })
    }

    /// The shape of this classifier.
    pub fn config(&self) -> ClassifierConfig {
        self.config
    }

    /// Penultimate features `[N, F]` and logits `[N, K]` of images `[N, C, S, S]`.
    pub fn forward(&self, x: &Tensor, train: bool) -> (Tensor, Tensor) {
        let h = x
            .apply(&self.conv1)
            .relu()
            .max_pool2d_default(2)
            .apply(&self.conv2)
            .relu()
            .max_pool2d_default(2)
            .flatten(1, -1);
        let features = h.apply(&self.fc1).relu();
        let logits = features.dropout(0.3, train).apply_t(&self.fc2, train);
        (features, logits)
    }

    fn check_images(&self, images: &Tensor) -> Result<()> {
        let c = self.config;
        let want = [c.image_channels, c.image_size, c.image_size];
        let s = images.size();
        if s.len() != 4 || s[1..] != want || s[0] < 1 {
            return Err(TrainError::Classifier {
                reason: format!("expected images [N, {want:?}], got shape {s:?}"),
            });
        }
        Ok(())
    }

    /// Features `[N, F]` and logits `[N, K]` of `images` (eval mode, no gradients,
    /// in batches), on the CPU.
    pub fn features_and_logits(&self, images: &Tensor) -> Result<(Tensor, Tensor)> {
        self.check_images(images)?;
        let device = self.vs.device();
        let (mut feats, mut logits) = (Vec::new(), Vec::new());
        tch::no_grad(|| {
            for chunk in images.split(EVAL_BATCH, 0) {
                let (f, l) = self.forward(&chunk.to_device(device).to_kind(Kind::Float), false);
                feats.push(f.to_device(Device::Cpu));
                logits.push(l.to_device(Device::Cpu));
            }
        });
        Ok((Tensor::cat(&feats, 0), Tensor::cat(&logits, 0)))
    }

    /// Fraction of `ds` classified correctly.
    pub fn accuracy(&self, ds: &ImageDataset) -> Result<f64> {
        let (_, logits) = self.features_and_logits(&ds.images)?;
        let pred = logits.argmax(1, false);
        Ok(pred
            .eq_tensor(&ds.labels)
            .to_kind(Kind::Double)
            .mean(Kind::Double)
            .double_value(&[]))
    }

    /// Trains on `ds` with Adam and cross-entropy; calls `progress(step, loss)` every 100
    /// updates. Returns the number of updates made.
    pub fn fit(
        &mut self,
        ds: &ImageDataset,
        opts: &FitOptions,
        mut progress: impl FnMut(u64, f64),
    ) -> Result<u64> {
        self.check_images(&ds.images)?;
        if opts.batch_size < 1 || opts.lr.is_nan() || opts.lr <= 0.0 {
            return Err(TrainError::Classifier {
                reason: format!(
                    "batch size must be >= 1 and lr > 0, got {} and {}",
                    opts.batch_size, opts.lr
                ),
            });
        }
        tch::manual_seed(opts.seed as i64);
        // Re-initialise from the seed so training is reproducible.
        let fresh = Classifier::new(self.config, self.vs.device())?;
        self.vs.copy(&fresh.vs)?;
        let mut opt = nn::Adam::default().build(&self.vs, opts.lr)?;
        let device = self.vs.device();
        let n = ds.len();
        let epochs = if opts.max_steps.is_some() {
            u32::MAX
        } else {
            opts.epochs
        };
        let mut step = 0u64;
        'outer: for _ in 0..epochs {
            let perm = Tensor::randperm(n, (Kind::Int64, Device::Cpu));
            for idx in perm.split(opts.batch_size, 0) {
                if opts.max_steps.is_some_and(|m| step >= m) {
                    break 'outer;
                }
                let x = ds.images.index_select(0, &idx).to_device(device);
                let y = ds.labels.index_select(0, &idx).to_device(device);
                let (_, logits) = self.forward(&x, true);
                let loss = logits.cross_entropy_for_logits(&y);
                opt.backward_step(&loss);
                step += 1;
                if step % 100 == 0 {
                    progress(step, loss.double_value(&[]));
                }
            }
        }
        Ok(step)
    }

    /// Saves the weights as safetensors at `path` (creating its directory).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| TrainError::io("creating", dir, e))?;
        }
        let tmp = path.with_extension("tmp.safetensors");
        self.vs.save(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| TrainError::io("renaming", path, e))
    }

    /// Loads a classifier saved by [`Classifier::save`]; its shape is read from the file.
    pub fn load(path: &Path, device: Device) -> Result<Self> {
        let bad = |reason: String| TrainError::Classifier {
            reason: format!("{}: {reason}", path.display()),
        };
        if !path.is_file() {
            return Err(bad(
                "no such file; train one with `gan classifier train --data <dataset>`".into(),
            ));
        }
        let tensors = Tensor::read_safetensors(path).map_err(|e| bad(e.to_string()))?;
        let shape = |name: &str| -> Result<Vec<i64>> {
            tensors
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.size())
                .ok_or_else(|| bad(format!("missing tensor `{name}`")))
        };
        let (c1, f1, f2) = (
            shape("conv1.weight")?,
            shape("fc1.weight")?,
            shape("fc2.weight")?,
        );
        if c1.len() != 4 || f1.len() != 2 || f2.len() != 2 {
            return Err(bad("unexpected tensor ranks".into()));
        }
        let width = c1[0];
        let cells = f1[1] / (2 * width).max(1);
        let side = (cells as f64).sqrt().round() as i64;
        if side * side * 2 * width != f1[1] {
            return Err(bad(format!(
                "fc1 input {} does not match conv width {width}",
                f1[1]
            )));
        }
        let config = ClassifierConfig {
            image_channels: c1[1],
            image_size: side * 4,
            num_classes: f2[0],
            width,
            feature_dim: f1[0],
        };
        let mut c = Classifier::new(config, device)?;
        c.vs.load(path).map_err(|e| bad(e.to_string()))?;
        Ok(c)
    }
}

/// Where the classifier of `dataset` is cached for a data directory:
/// `<data_dir>/classifiers/<dataset>.safetensors` (e.g. `fashion-mnist.safetensors`).
pub fn classifier_path(data_dir: &Path, dataset: DatasetName) -> PathBuf {
    data_dir
        .join("classifiers")
        .join(format!("{}.safetensors", dataset.dir_name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ClassifierConfig {
        ClassifierConfig {
            image_channels: 1,
            image_size: 8,
            num_classes: 3,
            width: 2,
            feature_dim: 5,
        }
    }

    #[test]
    fn shapes_and_bad_input() {
        let c = Classifier::new(tiny(), Device::Cpu).unwrap();
        let x = Tensor::zeros([7, 1, 8, 8], (Kind::Float, Device::Cpu));
        let (f, l) = c.features_and_logits(&x).unwrap();
        assert_eq!((f.size(), l.size()), (vec![7, 5], vec![7, 3]));
        let wrong = Tensor::zeros([7, 3, 8, 8], (Kind::Float, Device::Cpu));
        assert!(c.features_and_logits(&wrong).is_err());
        let bad = ClassifierConfig {
            image_size: 6,
            ..tiny()
        };
        assert!(Classifier::new(bad, Device::Cpu).is_err());
    }

    #[test]
    fn save_load_round_trip_infers_shape() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("classifiers").join("t.safetensors");
        let c = Classifier::new(tiny(), Device::Cpu).unwrap();
        c.save(&path).unwrap();
        let back = Classifier::load(&path, Device::Cpu).unwrap();
        assert_eq!(back.config(), tiny());
        let x = Tensor::randn([4, 1, 8, 8], (Kind::Float, Device::Cpu));
        let (a, _) = c.features_and_logits(&x).unwrap();
        let (b, _) = back.features_and_logits(&x).unwrap();
        assert!(a.allclose(&b, 1e-6, 1e-6, false));
        let missing = Classifier::load(&dir.path().join("nope.safetensors"), Device::Cpu);
        assert!(missing
            .unwrap_err()
            .to_string()
            .contains("gan classifier train"));
    }

    #[test]
    fn path_layout() {
        assert_eq!(
            classifier_path(Path::new("/d"), DatasetName::FashionMnist),
            PathBuf::from("/d/classifiers/fashion-mnist.safetensors")
        );
    }
}
