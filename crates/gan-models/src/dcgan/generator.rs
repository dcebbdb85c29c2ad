//! [`DcganGenerator`]: `z [N, nz] → image [N, C, H, W]` in `(−1, 1)`.
//!
//! Variables under the builder's path: `convt0 … convt{L}` (transposed convolutions, `L`
//! the output layer), `bn{i}` / `vbn{i}` (hidden-layer norms), `label_emb` (conditional)
//! and, with virtual batch norm, the non-trainable reference noise `z_ref`.

use super::init::{conv_weight_init, dcgan_batch_norm_config, norm_weight_init};
use super::{DcganConfig, Norm};
use crate::conditional::{require_labels, LabelEmbedding};
use crate::error::Result;
use crate::vbn::VirtualBatchNorm;
use crate::Generator;
use tch::nn::{self, Module, ModuleT};
use tch::{Kind, Tensor};

#[derive(Debug)]
enum LayerNorm {
    Batch(nn::BatchNorm),
    Virtual(VirtualBatchNorm),
    None,
}

impl LayerNorm {
    fn apply(&self, x: &Tensor, train: bool) -> Tensor {
        match self {
            LayerNorm::Batch(bn) => bn.forward_t(x, train),
            LayerNorm::Virtual(vbn) => vbn.forward(x),
            LayerNorm::None => x.shallow_clone(),
        }
    }
}

/// The DCGAN generator built by [`DcganConfig::build_generator`].
#[derive(Debug)]
pub struct DcganGenerator {
    hidden: Vec<(nn::ConvTranspose2D, LayerNorm)>,
    out: nn::ConvTranspose2D,
    label_emb: Option<LabelEmbedding>,
    /// Fixed reference noise (and labels) for virtual batch norm.
    reference: Option<(Tensor, Option<Tensor>)>,
    latent_dim: i64,
}

impl DcganGenerator {
    pub(crate) fn new(p: &nn::Path, cfg: &DcganConfig) -> Result<Self> {
        let widths = cfg.generator_widths();
        let label_emb = match cfg.num_classes {
            Some(k) => Some(LabelEmbedding::new(&(p / "label_emb"), k, k)?),
            None => None,
        };
        let mut in_ch = cfg.latent_dim + cfg.num_classes.unwrap_or(0);
        let mut hidden = Vec::with_capacity(widths.len());
        for (i, &w) in widths.iter().enumerate() {
            let (k, stride, padding) = if i == 0 {
                (cfg.base_kernel(), 1, 0)
            } else {
                (4, 2, 1)
            };
            let conv_cfg = nn::ConvTransposeConfig {
                stride,
                padding,
                bias: cfg.generator_norm == Norm::None,
                ws_init: conv_weight_init(),
                ..Default::default()
            };
            let conv = nn::conv_transpose2d(p / format!("convt{i}"), in_ch, w, k, conv_cfg);
            let norm = match cfg.generator_norm {
                Norm::Batch => LayerNorm::Batch(nn::batch_norm2d(
                    p / format!("bn{i}"),
                    w,
                    dcgan_batch_norm_config(),
                )),
                Norm::Virtual => LayerNorm::Virtual(VirtualBatchNorm::with_scale_init(
                    &(p / format!("vbn{i}")),
                    w,
                    cfg.vbn_reference_size,
                    norm_weight_init(),
                )?),
                Norm::None => LayerNorm::None,
            };
            hidden.push((conv, norm));
            in_ch = w;
        }
        let out_cfg = nn::ConvTransposeConfig {
            stride: 2,
            padding: 1,
            bias: false,
            ws_init: conv_weight_init(),
            ..Default::default()
        };
        let out = nn::conv_transpose2d(
            p / format!("convt{}", widths.len()),
            in_ch,
            cfg.image_channels,
            4,
            out_cfg,
        );
        let reference = if cfg.generator_norm == Norm::Virtual {
            let r = cfg.vbn_reference_size;
            let z_ref = Tensor::randn([r, cfg.latent_dim], (Kind::Float, p.device()));
            let z_ref = p.add("z_ref", z_ref, false);
            // Balanced, deterministic reference labels: 0, 1, …, K−1, 0, 1, …
            let y_ref = cfg
                .num_classes
                .map(|k| Tensor::arange(r, (Kind::Int64, p.device())).remainder(k));
            Some((z_ref, y_ref))
        } else {
            None
        };
        Ok(DcganGenerator {
            hidden,
            out,
            label_emb,
            reference,
            latent_dim: cfg.latent_dim,
        })
    }

    /// The fixed virtual-batch-norm reference noise `[R, nz]`, if the generator uses VBN.
    pub fn reference_noise(&self) -> Option<&Tensor> {
        self.reference.as_ref().map(|(z, _)| z)
    }

    fn input(&self, z: &Tensor, labels: Option<&Tensor>) -> Tensor {
        let z = z.reshape([-1, self.latent_dim]);
        match &self.label_emb {
            Some(emb) => {
                let y = require_labels(labels, "DcganGenerator");
                Tensor::cat(&[z, emb.embed(y)], 1)
            }
            None => z,
        }
    }
}

impl Generator for DcganGenerator {
    fn latent_dim(&self) -> i64 {
        self.latent_dim
    }

    /// `z` is `[N, nz]` (or `[N, nz, 1, 1]`); returns `[N, C, H, W]` in `(−1, 1)`.
    ///
    /// # Panics
    /// If the generator is conditional and `labels` is `None`.
    fn generate(&self, z: &Tensor, labels: Option<&Tensor>, train: bool) -> Tensor {
        let n = z.size()[0];
        let mut h = self.input(z, labels);
        let ref_rows = match &self.reference {
            Some((z_ref, y_ref)) => {
                h = Tensor::cat(&[self.input(z_ref, y_ref.as_ref()), h], 0);
                z_ref.size()[0]
            }
            None => 0,
        };
        let c = h.size()[1];
        h = h.reshape([-1, c, 1, 1]);
        for (conv, norm) in &self.hidden {
            // ReLU in place (as in PyTorch's example): the norm's backward does not need
            // its output.
            h = norm.apply(&conv.forward(&h), train);
            let _ = h.relu_();
        }
        // With channels-last weights (`crate::memory_format`) the images are channels-last
        // too: the same values, which tch's conversions (`Vec::try_from`, `copy_data`) and
        // `contiguous()` read in NCHW order.
        let x = self.out.forward(&h).tanh();
        if ref_rows > 0 {
            x.narrow(0, ref_rows, n)
        } else {
            x
        }
    }
}
