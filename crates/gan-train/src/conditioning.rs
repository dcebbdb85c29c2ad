//! What the generator is fed: the latent noise `z`, plus class labels (conditional GAN,
//! AC-GAN) or an InfoGAN code `[one_hot(c_cat), c_cont]` appended to `z`.
//!
//! [`Conditioning`] draws these inputs from their priors for training and sampling, and
//! lays out the fixed inputs of the picture grids: one row per class (or categorical
//! code value), and InfoGAN traversals where one continuous code sweeps across columns.

use tch::{Device, Kind, Tensor};

use crate::error::{Result, TrainError};
use crate::latent::latent_noise;
use crate::variant::Variant;

/// Range swept by the continuous-code columns of a traversal grid. The prior is
/// U(−1, 1); the InfoGAN paper shows that sweeping past it (to ±2) still varies the factor.
pub const TRAVERSAL_RANGE: f64 = 2.0;

/// One batch of generator inputs.
#[derive(Debug)]
pub struct GenInput {
    /// The full latent matrix fed to G, `[N, latent_dim]`: noise, then any InfoGAN code.
    pub z: Tensor,
    /// Class labels `[N]` for a label-conditioned generator.
    pub labels: Option<Tensor>,
    /// InfoGAN categorical code `[N]` (int64).
    pub categorical: Option<Tensor>,
    /// InfoGAN continuous codes `[N, n]` in `[−1, 1]`.
    pub continuous: Option<Tensor>,
}

/// How generator inputs are drawn for an experiment's variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Conditioning {
    /// Width of the noise part of `z`.
    noise_dim: i64,
    /// Number of classes fed as labels (label-conditioned variants).
    label_classes: Option<i64>,
    /// InfoGAN categorical code size (0 = none).
    categorical: i64,
    /// InfoGAN continuous code count.
    continuous: i64,
}

impl Conditioning {
    /// The conditioning of `variant` for a generator with `latent_dim` inputs (noise plus
    /// any InfoGAN code) on data with `num_classes` classes.
    pub fn new(variant: &Variant, latent_dim: i64, num_classes: Option<i64>) -> Result<Self> {
        let code = variant.code_dim();
        let (categorical, continuous) = match variant {
            Variant::Info {
                categorical,
                continuous,
                ..
            } => (*categorical, *continuous),
            _ => (0, 0),
        };
        let label_classes = if variant.label_conditioned() {
            Some(num_classes.ok_or_else(|| {
                TrainError::config(
                    "variant.kind",
                    format!(
                        "\"{}\" needs a labelled dataset (data.dataset), not toy data",
                        variant.name()
                    ),
                )
            })?)
        } else {
            None
        };
        if latent_dim <= code {
            return Err(TrainError::config(
                "generator.latent_dim",
                format!("must exceed the InfoGAN code width {code}, got {latent_dim}"),
            ));
        }
        Ok(Conditioning {
            noise_dim: latent_dim - code,
            label_classes,
            categorical,
            continuous,
        })
    }

    /// Width of the noise part of `z`.
    pub fn noise_dim(&self) -> i64 {
        self.noise_dim
    }

    /// Classes a label-conditioned generator takes (`None` if it takes no labels).
    pub fn label_classes(&self) -> Option<i64> {
        self.label_classes
    }

    /// Values of the InfoGAN categorical code (0 = none).
    pub fn categorical(&self) -> i64 {
        self.categorical
    }

    /// Number of InfoGAN continuous codes.
    pub fn continuous(&self) -> i64 {
        self.continuous
    }

    /// Rows of a class grid: the label classes, else the categorical code values.
    pub fn grid_classes(&self) -> Option<i64> {
        self.label_classes
            .or((self.categorical > 0).then_some(self.categorical))
    }

    /// Draw `n` inputs from the priors (torch's global generator): `z ~ N(0, I)` (with
    /// optional truncation), labels and categorical codes uniform, continuous codes
    /// U(−1, 1). `class`, when given, fixes the label (or, for InfoGAN, the categorical
    /// code) of every sample.
    pub fn draw(
        &self,
        n: i64,
        device: Device,
        truncation: Option<f64>,
        class: Option<i64>,
    ) -> Result<GenInput> {
        let noise = latent_noise(n, self.noise_dim, truncation, device)?;
        let classes = match (class, self.grid_classes()) {
            (Some(c), Some(k)) if (0..k).contains(&c) => {
                Some(Tensor::full([n], c, (Kind::Int64, device)))
            }
            (Some(c), Some(k)) => {
                return Err(TrainError::config(
                    "class",
                    format!("must be in 0..{k}, got {c}"),
                ))
            }
            (Some(_), None) => {
                return Err(TrainError::config(
                    "class",
                    "this run's generator takes no class or categorical code",
                ))
            }
            (None, Some(k)) => Some(Tensor::randint(k, [n], (Kind::Int64, device))),
            (None, None) => None,
        };
        let continuous = (self.continuous > 0)
            .then(|| Tensor::rand([n, self.continuous], (Kind::Float, device)) * 2.0 - 1.0);
        Ok(self.assemble(noise, classes, continuous))
    }

    /// Builds the generator input from its parts: `classes` become the labels of a
    /// label-conditioned generator or the categorical code of an InfoGAN one.
    pub fn assemble(
        &self,
        noise: Tensor,
        classes: Option<Tensor>,
        continuous: Option<Tensor>,
    ) -> GenInput {
        if self.label_classes.is_some() {
            return GenInput {
                z: noise,
                labels: classes,
                categorical: None,
                continuous: None,
            };
        }
        let mut parts = vec![noise];
        let categorical = (self.categorical > 0).then(|| {
            let c = classes.expect("InfoGAN inputs always carry a categorical code");
            parts.push(c.one_hot(self.categorical).to_kind(Kind::Float));
            c
        });
        if let Some(c) = &continuous {
            parts.push(c.shallow_clone());
        }
        let z = if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Tensor::cat(&parts, 1)
        };
        GenInput {
            z,
            labels: None,
            categorical,
            continuous,
        }
    }

    /// A `rows × cols` grid (row-major) of inputs where row `r` has class / categorical
    /// value `r` and column `c` has its own noise, shared down the column. Continuous
    /// codes are 0. Returns `None` when the generator takes no classes.
    pub fn class_grid(&self, cols: i64, device: Device) -> Option<GenInput> {
        let rows = self.grid_classes()?;
        let noise = Tensor::randn([1, cols, self.noise_dim], (Kind::Float, device))
            .expand([rows, cols, self.noise_dim], false)
            .reshape([rows * cols, self.noise_dim]);
        let classes =
            Tensor::arange(rows, (Kind::Int64, device)).repeat_interleave_self_int(cols, 0, None);
        let continuous = (self.continuous > 0)
            .then(|| Tensor::zeros([rows * cols, self.continuous], (Kind::Float, device)));
        Some(self.assemble(noise, Some(classes), continuous))
    }

    /// InfoGAN latent traversal of continuous code `code`: row `r` has categorical value
    /// `r` (a single row without a categorical code), columns sweep code `code` evenly
    /// over `[−TRAVERSAL_RANGE, TRAVERSAL_RANGE]`; one noise vector and all other codes
    /// (0) are shared by the whole grid. Returns the inputs and the number of rows.
    pub fn traversal_grid(&self, code: i64, cols: i64, device: Device) -> Result<(GenInput, i64)> {
        if !(0..self.continuous).contains(&code) {
            return Err(TrainError::config(
                "code",
                format!("must be in 0..{}, got {code}", self.continuous),
            ));
        }
        let rows = self.categorical.max(1);
        let n = rows * cols;
        let noise = Tensor::randn([1, self.noise_dim], (Kind::Float, device))
            .expand([n, self.noise_dim], false)
            .contiguous();
        let sweep = Tensor::linspace(
            -TRAVERSAL_RANGE,
            TRAVERSAL_RANGE,
            cols,
            (Kind::Float, device),
        )
        .repeat([rows]);
        let continuous = Tensor::zeros([n, self.continuous], (Kind::Float, device));
        continuous.narrow(1, code, 1).copy_(&sweep.unsqueeze(1));
        let classes = (self.categorical > 0).then(|| {
            Tensor::arange(rows, (Kind::Int64, device)).repeat_interleave_self_int(cols, 0, None)
        });
        Ok((self.assemble(noise, classes, Some(continuous)), rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(categorical: i64, continuous: i64) -> Variant {
        Variant::Info {
            categorical,
            continuous,
            info_weight: 1.0,
            continuous_weight: 1.0,
        }
    }

    #[test]
    fn infogan_latent_is_noise_then_one_hot_then_continuous() {
        let c = Conditioning::new(&info(3, 2), 10, None).unwrap();
        assert_eq!(c.noise_dim(), 5);
        tch::manual_seed(0);
        let x = c.draw(7, Device::Cpu, None, Some(2)).unwrap();
        assert_eq!(x.z.size(), vec![7, 10]);
        assert!(x.labels.is_none());
        // Columns 5..8 are the one-hot of the categorical code 2.
        let one_hot = x.z.narrow(1, 5, 3);
        let want = Tensor::from_slice(&[0.0f32, 0.0, 1.0]).expand([7, 3], false);
        assert_eq!(one_hot, want);
        let cont = x.continuous.unwrap();
        assert_eq!(x.z.narrow(1, 8, 2), cont);
        assert!(cont.abs().max().double_value(&[]) <= 1.0);
        assert_eq!(x.categorical.unwrap().size(), vec![7]);
    }

    #[test]
    fn label_conditioning_needs_classes() {
        let e = Conditioning::new(&Variant::Conditional, 8, None).unwrap_err();
        assert!(e.to_string().contains("labelled dataset"), "{e}");
        let c = Conditioning::new(&Variant::Conditional, 8, Some(10)).unwrap();
        tch::manual_seed(1);
        let x = c.draw(500, Device::Cpu, None, None).unwrap();
        let y = x.labels.unwrap();
        assert_eq!(x.z.size(), vec![500, 8]);
        assert_eq!(y.min().int64_value(&[]), 0);
        assert_eq!(y.max().int64_value(&[]), 9);
        let e = c.draw(2, Device::Cpu, None, Some(10)).unwrap_err();
        assert!(e.to_string().contains("0..10"), "{e}");
        let plain = Conditioning::new(&Variant::Unconditional, 8, Some(10)).unwrap();
        assert!(plain.draw(2, Device::Cpu, None, Some(1)).is_err());
        assert!(Conditioning::new(&info(10, 2), 12, None).is_err());
    }

    #[test]
    fn class_grid_rows_are_classes_and_columns_share_noise() {
        let c = Conditioning::new(&Variant::Conditional, 4, Some(3)).unwrap();
        let g = c.class_grid(5, Device::Cpu).unwrap();
        let y: Vec<i64> = Vec::try_from(g.labels.unwrap()).unwrap();
        assert_eq!(y, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
        assert_eq!(g.z.get(1), g.z.get(6));
        assert_ne!(g.z.get(0), g.z.get(1));
        assert!(Conditioning::new(&Variant::Unconditional, 4, Some(3))
            .unwrap()
            .class_grid(5, Device::Cpu)
            .is_none());
    }

    #[test]
    fn traversal_sweeps_one_code() {
        let c = Conditioning::new(&info(2, 2), 6, None).unwrap();
        let (g, rows) = c.traversal_grid(1, 5, Device::Cpu).unwrap();
        assert_eq!(rows, 2);
        let cont = g.continuous.unwrap();
        let swept: Vec<f32> = Vec::try_from(cont.select(1, 1).narrow(0, 0, 5)).unwrap();
        assert_eq!(swept, [-2.0, -1.0, 0.0, 1.0, 2.0]);
        assert_eq!(
            cont.select(1, 0).abs().sum(Kind::Float).double_value(&[]),
            0.0
        );
        assert!(c.traversal_grid(2, 5, Device::Cpu).is_err());
    }
}
