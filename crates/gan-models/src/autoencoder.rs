//! The EBGAN autoencoder discriminator (Zhao et al. 2017, [`AutoencoderConfig`]).
//!
//! In an energy-based GAN the discriminator is an autoencoder and its energy — the
//! `score` of [`DiscOutput`] — is the per-sample mean squared reconstruction error: low
//! on real data, pushed up (to a margin) on generated data. The bottleneck code is
//! exposed as `features`, on which EBGAN's pulling-away term is computed.
//!
//! Two variants, chosen from the sample shape:
//!
//! - vectors `[D]` (toy data): encoder `enc0 … enc{L-1}` (linear + LeakyReLU(0.2)) then
//!   `code` (linear, no activation); decoder `dec0 … dec{L-1}` (linear + ReLU, widths of
//!   `hidden` reversed) then `out` (linear to `D`, no activation: toy data is unbounded).
//! - images `[C, S, S]`, `S` in [`DCGAN_IMAGE_SIZES`](crate::DCGAN_IMAGE_SIZES): the
//!   encoder is the DCGAN discriminator's conv stack — `conv{i}` (4×4, stride 2, pad 1),
//!   batch norm `bn{i}` on all but the first block, LeakyReLU(0.2) — flattened into `code`
//!   (linear). The decoder mirrors it: `fc` (linear `code_dim → w·k·k` reshaped to
//!   `[w, k, k]`, `k` = 4, or 7 for 28×28) with batch norm `bnt0` and ReLU, then
//!   transposed convolutions `convt{j}` (4×4, stride 2, pad 1) with batch norm `bnt{j+1}`
//!   and ReLU, the last one to `C` channels with tanh instead (images are in `[−1, 1]`).
//!
//! The conv layers are built with the DCGAN initialisation (conv weights `N(0, 0.02)`,
//! `bn*` / `bnt*` norms `N(1, 0.02)`, see [`crate::conv_weight_init`]); linear layers
//! keep tch's default initialisation.

use crate::activation::{leaky_relu, LEAKY_RELU_SLOPE};
use crate::dcgan::{conv_weight_init, dcgan_batch_norm_config, DcganConfig};
use crate::error::{ensure_positive, ModelError, Result};
use crate::{DiscOutput, Discriminator};
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

fn default_ndf() -> i64 {
    64
}

/// Configuration of an EBGAN autoencoder discriminator.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AutoencoderConfig {
    /// Width of the bottleneck code.
    pub code_dim: i64,
    /// Encoder hidden widths for vector data (the decoder mirrors them); refused for
    /// images, whose autoencoder is convolutional.
    #[serde(default)]
    pub hidden: Vec<i64>,
    /// Base conv width for image data (like DCGAN's `ndf`, default 64); refused for
    /// vectors, whose autoencoder is an MLP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndf: Option<i64>,
}

impl AutoencoderConfig {
    /// A config with the given code width, no hidden layers and the default `ndf` (64).
    pub fn new(code_dim: i64) -> Self {
        AutoencoderConfig {
            code_dim,
            hidden: Vec::new(),
            ndf: None,
        }
    }

    /// Checks that every size is positive (including the fields the chosen variant
    /// ignores: a zero there is a mistake either way).
    pub fn validate(&self) -> Result<()> {
        crate::spec::ensure_layer_width("code_dim", self.code_dim)?;
        for &h in &self.hidden {
            crate::spec::ensure_layer_width("hidden", h)?;
        }
        if let Some(ndf) = self.ndf {
            ensure_positive("ndf", ndf)?;
        }
        Ok(())
    }

    /// Builds under `p` for samples of `sample_shape`: `[D]` → MLP autoencoder;
    /// `[C, S, S]` with `S` in [`DCGAN_IMAGE_SIZES`](crate::DCGAN_IMAGE_SIZES) → conv
    /// autoencoder.
    ///
    /// Errors (naming the field) on non-positive sizes or an unsupported shape.
    pub fn build(&self, p: &nn::Path, sample_shape: &[i64]) -> Result<AutoencoderDiscriminator> {
        self.validate()?;
        if let Some(&bad) = sample_shape.iter().find(|&&d| d <= 0) {
            return Err(ModelError::invalid(
                "sample_shape",
                format!("must have positive dimensions, got {sample_shape:?} (contains {bad})"),
            ));
        }
        let net = match *sample_shape {
            [_] if self.ndf.is_some() => {
                return Err(ModelError::invalid(
                    "ndf",
                    "applies to image data; a vector autoencoder is an MLP (set hidden)",
                ))
            }
            [d] => self.build_mlp(p, d),
            [_, _, _] if !self.hidden.is_empty() => {
                return Err(ModelError::invalid(
                    "hidden",
                    "applies to vector data; an image autoencoder is convolutional (set ndf)",
                ))
            }
            [c, h, w] => {
                if h != w {
                    return Err(ModelError::invalid(
                        "sample_shape",
                        format!("images must be square, got {h}×{w}"),
                    ));
                }
                self.build_conv(p, c, h)?
            }
            _ => {
                return Err(ModelError::invalid(
                    "sample_shape",
                    format!("must be [D] (vectors) or [C, S, S] (images), got {sample_shape:?}"),
                ))
            }
        };
        Ok(AutoencoderDiscriminator {
            net,
            code_dim: self.code_dim,
        })
    }

    fn build_mlp(&self, p: &nn::Path, input_dim: i64) -> Net {
        let linear = |name: String, i, o| nn::linear(p / name, i, o, Default::default());
        let mut enc = Vec::with_capacity(self.hidden.len());
        let mut last = input_dim;
        for (i, &h) in self.hidden.iter().enumerate() {
            enc.push(linear(format!("enc{i}"), last, h));
            last = h;
        }
        let code = linear("code".into(), last, self.code_dim);
        let mut dec = Vec::with_capacity(self.hidden.len());
        last = self.code_dim;
        for (i, &h) in self.hidden.iter().rev().enumerate() {
            dec.push(linear(format!("dec{i}"), last, h));
            last = h;
        }
        let out = linear("out".into(), last, input_dim);
        Net::Mlp {
            enc,
            code,
            dec,
            out,
        }
    }

    fn build_conv(&self, p: &nn::Path, channels: i64, size: i64) -> Result<Net> {
        // Reuse DCGAN's size checks and layer plan (widths per depth, base kernel).
        let dcgan = DcganConfig {
            ndf: self.ndf.unwrap_or(default_ndf()),
            ..DcganConfig::new(channels, size)
        };
        dcgan.validate()?;
        let widths = dcgan.discriminator_widths();
        let k = dcgan.base_kernel();
        let depth = widths.len();

        let mut enc = Vec::with_capacity(depth);
        let mut in_ch = channels;
        for (i, &w) in widths.iter().enumerate() {
            let has_bn = i > 0;
            let conv_cfg = nn::ConvConfig {
                stride: 2,
                padding: 1,
                // A bias in front of batch norm would be cancelled by it (and get no gradient).
                bias: !has_bn,
                ws_init: conv_weight_init(),
                ..Default::default()
            };
            let conv = nn::conv2d(p / format!("conv{i}"), in_ch, w, 4, conv_cfg);
            let bn = has_bn
                .then(|| nn::batch_norm2d(p / format!("bn{i}"), w, dcgan_batch_norm_config()));
            enc.push((conv, bn));
            in_ch = w;
        }
        let map = [in_ch, k, k];
        let flat = in_ch * k * k;
        let code = nn::linear(p / "code", flat, self.code_dim, Default::default());

        let fc_cfg = nn::LinearConfig {
            bias: false,
            ..Default::default()
        };
        let fc = nn::linear(p / "fc", self.code_dim, flat, fc_cfg);
        let fc_bn = nn::batch_norm2d(p / "bnt0", in_ch, dcgan_batch_norm_config());
        let mut dec = Vec::with_capacity(depth);
        for j in 0..depth {
            let last = j + 1 == depth;
            let out_ch = if last {
                channels
            } else {
                widths[depth - 2 - j]
            };
            let conv_cfg = nn::ConvTransposeConfig {
                stride: 2,
                padding: 1,
                bias: last,
                ws_init: conv_weight_init(),
                ..Default::default()
            };
            let convt = nn::conv_transpose2d(p / format!("convt{j}"), in_ch, out_ch, 4, conv_cfg);
            let bn = (!last).then(|| {
                nn::batch_norm2d(
                    p / format!("bnt{}", j + 1),
                    out_ch,
                    dcgan_batch_norm_config(),
                )
            });
            dec.push((convt, bn));
            in_ch = out_ch;
        }
        Ok(Net::Conv {
            enc,
            code,
            fc,
            fc_bn,
            map,
            dec,
        })
    }
}

#[derive(Debug)]
enum Net {
    Mlp {
        enc: Vec<nn::Linear>,
        code: nn::Linear,
        dec: Vec<nn::Linear>,
        out: nn::Linear,
    },
    Conv {
        enc: Vec<(nn::Conv2D, Option<nn::BatchNorm>)>,
        code: nn::Linear,
        fc: nn::Linear,
        fc_bn: nn::BatchNorm,
        /// Shape `[w, k, k]` of the last encoder block, which `fc` is reshaped to.
        map: [i64; 3],
        /// Transposed convolutions; the norm is `None` only on the tanh output layer.
        dec: Vec<(nn::ConvTranspose2D, Option<nn::BatchNorm>)>,
    },
}

/// The EBGAN autoencoder discriminator built by [`AutoencoderConfig::build`].
#[derive(Debug)]
pub struct AutoencoderDiscriminator {
    net: Net,
    code_dim: i64,
}

impl AutoencoderDiscriminator {
    /// Encodes and decodes `x` (`[N, D]` or `[N, C, S, S]`, the shape it was built for):
    /// returns `(code [N, code_dim], reconstruction with x's shape)`. `train` switches
    /// batch norm to batch statistics.
    pub fn encode_decode(&self, x: &Tensor, train: bool) -> (Tensor, Tensor) {
        match &self.net {
            Net::Mlp {
                enc,
                code,
                dec,
                out,
            } => {
                let mut h = x.flatten(1, -1);
                for l in enc {
                    h = leaky_relu(&l.forward(&h), LEAKY_RELU_SLOPE);
                }
                let c = code.forward(&h);
                let mut h = c.shallow_clone();
                for l in dec {
                    h = l.forward(&h).relu();
                }
                let recon = out.forward(&h).reshape(x.size());
                (c, recon)
            }
            Net::Conv {
                enc,
                code,
                fc,
                fc_bn,
                map,
                dec,
            } => {
                let mut h = x.shallow_clone();
                for (conv, bn) in enc {
                    h = conv.forward(&h);
                    if let Some(bn) = bn {
                        h = bn.forward_t(&h, train);
                    }
                    h = leaky_relu(&h, LEAKY_RELU_SLOPE);
                }
                let c = code.forward(&h.flatten(1, -1));
                let [w, k, _] = *map;
                let mut h = fc_bn
                    .forward_t(&fc.forward(&c).reshape([-1, w, k, k]), train)
                    .relu();
                for (convt, bn) in dec {
                    h = convt.forward(&h);
                    h = match bn {
                        Some(bn) => bn.forward_t(&h, train).relu(),
                        None => h.tanh(),
                    };
                }
                (c, h)
            }
        }
    }

    /// Width of the bottleneck code (the `features` head).
    pub fn code_dim(&self) -> i64 {
        self.code_dim
    }
}

impl Discriminator for AutoencoderDiscriminator {
    /// `score` = per-sample mean squared reconstruction error (the energy, `≥ 0`), shape
    /// `[N]`; `features` = the code `[N, code_dim]`. `labels` are ignored.
    fn discriminate(&self, x: &Tensor, _labels: Option<&Tensor>, train: bool) -> DiscOutput {
        let (code, recon) = self.encode_decode(x, train);
        let score = (recon - x).square().flatten(1, -1).mean_dim(1, false, None);
        DiscOutput::from_score(score).with_features(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DCGAN_IMAGE_SIZES;
    use tch::Device;

    fn build(cfg: &AutoencoderConfig, shape: &[i64]) -> (nn::VarStore, AutoencoderDiscriminator) {
        let vs = nn::VarStore::new(Device::Cpu);
        let d = cfg.build(&(vs.root() / "d"), shape).unwrap();
        (vs, d)
    }

    fn names(vs: &nn::VarStore) -> Vec<String> {
        let mut n: Vec<String> = vs.variables().into_keys().collect();
        n.sort();
        n
    }

    #[test]
    fn mlp_variables_and_shapes() {
        tch::manual_seed(0);
        let cfg = AutoencoderConfig {
            hidden: vec![16, 8],
            ..AutoencoderConfig::new(3)
        };
        let (vs, d) = build(&cfg, &[2]);
        let mut expected = Vec::new();
        for l in ["code", "dec0", "dec1", "enc0", "enc1", "out"] {
            expected.push(format!("d.{l}.bias"));
            expected.push(format!("d.{l}.weight"));
        }
        assert_eq!(names(&vs), expected);
        let vars = vs.variables();
        assert_eq!(vars["d.enc0.weight"].size(), vec![16, 2]);
        assert_eq!(vars["d.code.weight"].size(), vec![3, 8]);
        assert_eq!(vars["d.dec0.weight"].size(), vec![8, 3]);
        assert_eq!(vars["d.dec1.weight"].size(), vec![16, 8]);
        assert_eq!(vars["d.out.weight"].size(), vec![2, 16]);
        let x = Tensor::randn([3, 2], tch::kind::FLOAT_CPU);
        let (c, r) = d.encode_decode(&x, true);
        assert_eq!(c.size(), vec![3, 3]);
        assert_eq!(r.size(), vec![3, 2]);
        assert_eq!(d.code_dim(), 3);
    }

    #[test]
    fn conv_variables_for_28px() {
        tch::manual_seed(0);
        let cfg = AutoencoderConfig {
            ndf: Some(4),
            ..AutoencoderConfig::new(5)
        };
        let (vs, _) = build(&cfg, &[1, 28, 28]);
        let vars = vs.variables();
        assert_eq!(vars["d.conv0.weight"].size(), vec![4, 1, 4, 4]);
        assert_eq!(vars["d.conv1.weight"].size(), vec![8, 4, 4, 4]);
        assert!(vars.contains_key("d.bn1.weight") && !vars.contains_key("d.bn0.weight"));
        assert_eq!(vars["d.code.weight"].size(), vec![5, 8 * 7 * 7]);
        assert_eq!(vars["d.fc.weight"].size(), vec![8 * 7 * 7, 5]);
        assert!(!vars.contains_key("d.fc.bias"));
        assert!(vars.contains_key("d.bnt0.weight") && vars.contains_key("d.bnt1.weight"));
        assert!(!vars.contains_key("d.bnt2.weight"));
        assert_eq!(vars["d.convt0.weight"].size(), vec![8, 4, 4, 4]);
        assert_eq!(vars["d.convt1.weight"].size(), vec![4, 1, 4, 4]);
        assert!(vars.contains_key("d.convt1.bias"));
    }

    #[test]
    fn bad_configs_are_errors() {
        let vs = nn::VarStore::new(Device::Cpu);
        let p = vs.root();
        let field = |r: Result<AutoencoderDiscriminator>| match r {
            Err(ModelError::InvalidConfig { field, .. }) => field,
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        assert_eq!(field(AutoencoderConfig::new(0).build(&p, &[2])), "code_dim");
        let zero_hidden = AutoencoderConfig {
            hidden: vec![4, 0],
            ..AutoencoderConfig::new(2)
        };
        assert_eq!(field(zero_hidden.build(&p, &[2])), "hidden");
        let zero_ndf = AutoencoderConfig {
            ndf: Some(0),
            ..AutoencoderConfig::new(2)
        };
        assert_eq!(field(zero_ndf.build(&p, &[1, 28, 28])), "ndf");
        // Each field applies to one kind of data, and is refused for the other.
        let ndf = AutoencoderConfig {
            ndf: Some(8),
            ..AutoencoderConfig::new(2)
        };
        assert_eq!(field(ndf.build(&p, &[2])), "ndf");
        let hidden = AutoencoderConfig {
            hidden: vec![4],
            ..AutoencoderConfig::new(2)
        };
        assert_eq!(field(hidden.build(&p, &[1, 28, 28])), "hidden");
        let cfg = AutoencoderConfig::new(2);
        assert_eq!(field(cfg.build(&p, &[1, 2, 3, 4])), "sample_shape");
        assert_eq!(field(cfg.build(&p, &[])), "sample_shape");
        assert_eq!(field(cfg.build(&p, &[0])), "sample_shape");
        assert_eq!(field(cfg.build(&p, &[3, 28, 32])), "sample_shape");
        assert_eq!(
            cfg.build(&p, &[3, 30, 30]).unwrap_err(),
            ModelError::UnsupportedImageSize {
                size: 30,
                allowed: DCGAN_IMAGE_SIZES
            }
        );
    }

    #[test]
    fn serde_defaults_and_unknown_fields() {
        let cfg: AutoencoderConfig = toml::from_str("code_dim = 8").unwrap();
        assert_eq!(cfg, AutoencoderConfig::new(8));
        let cfg: AutoencoderConfig =
            toml::from_str("code_dim = 2\nhidden = [64, 32]\nndf = 32").unwrap();
        let back: AutoencoderConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        assert!(toml::from_str::<AutoencoderConfig>("code_dim = 2\nhiden = [3]").is_err());
    }

    #[test]
    fn score_is_mean_squared_error_and_features_are_the_code() {
        tch::manual_seed(1);
        let cfg = AutoencoderConfig {
            hidden: vec![8],
            ..AutoencoderConfig::new(2)
        };
        let (_vs, d) = build(&cfg, &[3]);
        let x = Tensor::randn([4, 3], tch::kind::FLOAT_CPU);
        let out = d.discriminate(&x, None, false);
        let (c, r) = d.encode_decode(&x, false);
        let xv = Vec::<f32>::try_from(&x.view([-1])).unwrap();
        let rv = Vec::<f32>::try_from(&r.view([-1])).unwrap();
        let sv = Vec::<f32>::try_from(&out.score).unwrap();
        for i in 0..4 {
            let mse: f32 = (0..3)
                .map(|j| (rv[i * 3 + j] - xv[i * 3 + j]).powi(2))
                .sum::<f32>()
                / 3.0;
            assert!((sv[i] - mse).abs() < 1e-6, "{} vs {mse}", sv[i]);
            assert!(sv[i] >= 0.0);
        }
        assert_eq!(out.features.unwrap(), c);
        assert!(out.class_logits.is_none() && out.q.is_none());
    }
}
