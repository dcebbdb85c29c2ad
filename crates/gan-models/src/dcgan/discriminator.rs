//! [`DcganDiscriminator`]: `image [N, C, H, W] → score [N]` plus `features`.
//!
//! Variables under the builder's path: `conv0 … conv{L-1}` (strided blocks), `bn{i}` (every
//! block but the first, and the last only with `features_layer_batch_norm`), `out` (final
//! valid conv, or a linear layer with minibatch discrimination; K (+1) wide for a
//! semi-supervised discriminator), `mbd`, `label_emb`, and the optional heads `aux`,
//! `q_hidden`, `q_out` (see [`crate::heads`]).
//! `features` = the flattened activations of the last conv block (before any minibatch
//! std / minibatch discrimination features).

use super::init::{conv_weight_init, dcgan_batch_norm_config};
use super::DcganConfig;
use crate::activation::LEAKY_RELU_SLOPE;
use crate::conditional::{projection, require_labels, LabelEmbedding};
use crate::error::Result;
use crate::heads::{score_and_class_logits, Heads, SemiSupervisedOutput};
use crate::leaky_relu::leaky_relu_;
use crate::minibatch::MinibatchDiscrimination;
use crate::minibatch_std::minibatch_std;
use crate::{DiscOutput, Discriminator};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

#[derive(Debug)]
enum Head {
    /// Final valid convolution to one channel.
    Conv(nn::Conv2D),
    /// Minibatch discrimination on the flattened block, then a linear layer.
    Minibatch(MinibatchDiscrimination, nn::Linear),
}

/// The DCGAN discriminator built by [`DcganConfig::build_discriminator`].
#[derive(Debug)]
pub struct DcganDiscriminator {
    blocks: Vec<(nn::Conv2D, Option<nn::BatchNorm>)>,
    head: Head,
    heads: Heads,
    semi_supervised: Option<SemiSupervisedOutput>,
    label_emb: Option<LabelEmbedding>,
    minibatch_std: bool,
    feature_dim: i64,
}

impl DcganDiscriminator {
    pub(crate) fn new(p: &nn::Path, cfg: &DcganConfig) -> Result<Self> {
        let widths = cfg.discriminator_widths();
        let last = widths.len() - 1;
        let mut in_ch = cfg.image_channels;
        let mut blocks = Vec::with_capacity(widths.len());
        for (i, &w) in widths.iter().enumerate() {
            let has_bn = i > 0 && (i < last || cfg.features_layer_batch_norm);
            let conv_cfg = nn::ConvConfig {
                stride: 2,
                padding: 1,
                // As in PyTorch's example the input layer has no bias; a feature layer
                // without batch norm gets one.
                bias: i > 0 && !has_bn,
                ws_init: conv_weight_init(),
                ..Default::default()
            };
            let conv = nn::conv2d(p / format!("conv{i}"), in_ch, w, 4, conv_cfg);
            let bn = has_bn
                .then(|| nn::batch_norm2d(p / format!("bn{i}"), w, dcgan_batch_norm_config()));
            blocks.push((conv, bn));
            in_ch = w;
        }
        let k = cfg.base_kernel();
        let feature_dim = in_ch * k * k;
        let head_ch = in_ch + i64::from(cfg.minibatch_std);
        let head = match &cfg.minibatch_discrimination {
            None => {
                let conv_cfg = nn::ConvConfig {
                    bias: false,
                    ws_init: conv_weight_init(),
                    ..Default::default()
                };
                Head::Conv(nn::conv2d(
                    p / "out",
                    head_ch,
                    cfg.heads.output_width(),
                    k,
                    conv_cfg,
                ))
            }
            Some(m) => {
                let mbd = MinibatchDiscrimination::new(&(p / "mbd"), head_ch * k * k, m)?;
                let linear = nn::linear(
                    p / "out",
                    mbd.out_dim(),
                    cfg.heads.output_width(),
                    Default::default(),
                );
                Head::Minibatch(mbd, linear)
            }
        };
        let label_emb = match cfg.num_classes {
            Some(n) => Some(LabelEmbedding::for_projection(
                &(p / "label_emb"),
                n,
                feature_dim,
            )?),
            None => None,
        };
        let heads = Heads::new(p, feature_dim, &cfg.heads)?;
        Ok(DcganDiscriminator {
            blocks,
            head,
            heads,
            semi_supervised: cfg.heads.semi_supervised,
            label_emb,
            minibatch_std: cfg.minibatch_std,
            feature_dim,
        })
    }

    /// Width `F` of the `features` head.
    pub fn feature_dim(&self) -> i64 {
        self.feature_dim
    }
}

impl Discriminator for DcganDiscriminator {
    /// # Panics
    /// If the discriminator is conditional and `labels` is `None`.
    fn discriminate(&self, x: &Tensor, labels: Option<&Tensor>, train: bool) -> DiscOutput {
        let mut h = x.shallow_clone();
        for (conv, bn) in &self.blocks {
            h = conv.forward(&h);
            if let Some(bn) = bn {
                h = bn.forward_t(&h, train);
            }
            // In place, as PyTorch's example does: neither the convolution's nor batch
            // norm's backward needs the value it overwrites.
            leaky_relu_(&mut h, LEAKY_RELU_SLOPE);
        }
        let features = h.flatten(1, -1);
        let head_in = if self.minibatch_std {
            minibatch_std(&h)
        } else {
            h
        };
        let output = match &self.head {
            Head::Conv(conv) => conv.forward(&head_in).flatten(1, -1),
            Head::Minibatch(mbd, linear) => linear.forward(&mbd.forward(&head_in.flatten(1, -1))),
        };
        let (base, semi_logits) = score_and_class_logits(output, self.semi_supervised);
        let score = match &self.label_emb {
            Some(emb) => {
                let y = require_labels(labels, "DcganDiscriminator");
                base + projection(&emb.embed(y), &features)
            }
            None => base,
        };
        let (aux_logits, q) = self.heads.apply(&features, train);
        DiscOutput {
            score,
            features: Some(features),
            class_logits: semi_logits.or(aux_logits),
            q,
        }
    }
}
