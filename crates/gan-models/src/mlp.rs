//! Fully connected generator and discriminator ([`MlpConfig`]).
//!
//! Layers are stored under the builder's path as `fc0`, `fc1`, …, `out` (plus `bn0`, … for
//! the generator's batch norm, `mbd` for minibatch discrimination and `label_emb` for
//! conditional networks). Any of them may be weight-normalised ([`WeightNorm`]); the
//! discriminator's weight-normalised layers get the data-dependent initialisation
//! ([`Discriminator::initialize_from_data`]).
//!
//! Generator forward pass: `h = z` (its first `uniform_latent_dims` columns mapped to
//! `U(0, 1)` by the normal CDF Φ, when set); for each hidden layer
//! `h = dropout(act(bn_k(fc_k(h))))` (`bn_k` only with `batch_norm`); `x = out_act(out(h))`.
//!
//! Discriminator forward pass: `h = x` (flattened to `[N, input_dim]`, plus Gaussian noise
//! of std `input_noise` in training); for each hidden layer
//! `h = dropout(act(fc_k(h)) + noise)` (std `hidden_noise`); `features` = the last hidden
//! activations before their noise and dropout (the layer Salimans et al. match features
//! on) and before any minibatch features; then the head input is
//! `h → minibatch_discrimination(h)` (if configured) `→ minibatch_std(·)` (if configured),
//! `score = output_activation(out(head))` squeezed to `[N]`. With `num_classes` set the
//! projection term `⟨label_emb(y), features⟩` is added to the score.
//!
//! [`MlpDiscriminator::forward_with`] computes the same function with caller-supplied
//! parameter tensors (for unrolled GANs, which differentiate through discriminator updates).

use crate::activation::Activation;
use crate::conditional::{embed_with, projection, require_labels, LabelEmbedding};
use crate::dense::{Dense, ShiftBatchNorm, WeightNorm};
use crate::error::{ensure_positive, ModelError, Result};
use crate::heads::{score_and_class_logits, Heads, HeadsConfig, SemiSupervisedOutput};
use crate::minibatch::{
    minibatch_discrimination, MinibatchDiscrimination, MinibatchDiscriminationConfig,
};
use crate::minibatch_std::minibatch_std;
use crate::weight_norm::{glorot_direction_init, normal_direction_init, DirectionInit};
use crate::{DiscOutput, Discriminator, Generator};
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

fn default_output_activation() -> Activation {
    Activation::None
}

/// Configuration of an MLP generator or discriminator.
///
/// The same struct builds either network ([`build_generator`](Self::build_generator),
/// [`build_discriminator`](Self::build_discriminator)); start from [`MlpConfig::new`] and
/// override fields with struct-update syntax.
///
/// ```
/// use gan_models::{Discriminator, Generator, MlpConfig};
/// use tch::{nn::VarStore, Device, Kind, Tensor};
///
/// let vs = VarStore::new(Device::Cpu);
/// // G: z [N, 2] → x [N, 3] through two hidden layers of 16 units.
/// let g = MlpConfig::new(2, vec![16, 16], 3)
///     .build_generator(&(vs.root() / "g"))
///     .unwrap();
/// assert_eq!(g.latent_dim(), 2);
/// let z = Tensor::randn([5, 2], (Kind::Float, Device::Cpu));
/// let x = g.generate(&z, None, false);
/// assert_eq!(x.size(), [5, 3]);
///
/// // D: x [N, 3] → one score per sample; the last hidden layer is exposed as features.
/// let d = MlpConfig::new(3, vec![8], 1)
///     .build_discriminator(&(vs.root() / "d"))
///     .unwrap();
/// let out = d.discriminate(&x, None, false);
/// assert_eq!(out.score.size(), [5]);
/// assert_eq!(out.features.unwrap().size(), [5, 8]);
///
/// // A discriminator scores each sample once: other output widths are refused by name.
/// let err = MlpConfig::new(3, vec![8], 2)
///     .build_discriminator(&(vs.root() / "bad"))
///     .unwrap_err();
/// assert!(err.to_string().contains("`output_dim`"));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Input width: the latent dimension for a generator, the data dimension for a
    /// discriminator.
    pub input_dim: i64,
    /// Widths of the hidden layers (default: none).
    #[serde(default)]
    pub hidden: Vec<i64>,
    /// Output width: the data dimension for a generator, 1 for a discriminator.
    pub output_dim: i64,
    /// Hidden activation (default `relu`).
    #[serde(default)]
    pub activation: Activation,
    /// Output activation (default `none`; keep it `none` for logit / critic scores).
    #[serde(default = "default_output_activation")]
    pub output_activation: Activation,
    /// Dropout probability after each hidden activation, active only in training
    /// (default 0 = off).
    #[serde(default)]
    pub dropout: f64,
    /// Minibatch discrimination before the output layer (discriminator only).
    #[serde(default)]
    pub minibatch_discrimination: Option<MinibatchDiscriminationConfig>,
    /// Append the minibatch-std feature before the output layer (discriminator only).
    #[serde(default)]
    pub minibatch_std: bool,
    /// Number of classes for a conditional network (a learned label embedding of width
    /// `num_classes` concatenated to `z` for a generator; projection head for a discriminator, which then needs at least one
    /// hidden layer).
    #[serde(default)]
    pub num_classes: Option<i64>,
    /// Extra discriminator heads (AC-GAN classes, InfoGAN Q, semi-supervised output);
    /// they read the last hidden layer, so need at least one (discriminator only).
    #[serde(default)]
    pub heads: HeadsConfig,
    /// Std of Gaussian noise added to the input in training (discriminator only; 0 = off).
    /// Salimans et al.'s semi-supervised MNIST discriminator uses 0.3.
    #[serde(default)]
    pub input_noise: f64,
    /// Std of Gaussian noise added after each hidden activation in training
    /// (discriminator only; Salimans et al. use 0.5).
    #[serde(default)]
    pub hidden_noise: f64,
    /// Which linear layers are weight-normalised (default none).
    #[serde(default)]
    pub weight_norm: WeightNorm,
    /// Batch norm (shift only, no scale) on each hidden pre-activation (generator only).
    #[serde(default)]
    pub batch_norm: bool,
    /// Map the first this-many latent inputs from `N(0, 1)` to `U(0, 1)` by the normal CDF
    /// (generator only; 0 = off): a generator trained on uniform noise, fed by the
    /// trainer's normal draws.
    #[serde(default)]
    pub uniform_latent_dims: i64,
}

impl MlpConfig {
    /// A config with the given sizes and defaults for everything else.
    pub fn new(input_dim: i64, hidden: Vec<i64>, output_dim: i64) -> Self {
        MlpConfig {
            input_dim,
            hidden,
            output_dim,
            activation: Activation::Relu,
            output_activation: Activation::None,
            dropout: 0.0,
            minibatch_discrimination: None,
            minibatch_std: false,
            num_classes: None,
            heads: HeadsConfig::default(),
            input_noise: 0.0,
            hidden_noise: 0.0,
            weight_norm: WeightNorm::None,
            batch_norm: false,
            uniform_latent_dims: 0,
        }
    }

    /// Checks sizes, dropout range and sub-configs.
    pub fn validate(&self) -> Result<()> {
        ensure_positive("input_dim", self.input_dim)?;
        ensure_positive("output_dim", self.output_dim)?;
        for &h in &self.hidden {
            crate::spec::ensure_layer_width("hidden", h)?;
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ModelError::invalid(
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        if let Some(mbd) = &self.minibatch_discrimination {
            mbd.validate()?;
        }
        if let Some(k) = self.num_classes {
            ensure_positive("num_classes", k)?;
        }
        self.heads.validate()?;
        if self.batch_norm && self.weight_norm == WeightNorm::All {
            return Err(ModelError::invalid(
                "weight_norm",
                "\"all\" would normalise hidden layers that batch norm already normalises; use \
                 \"output\" with batch_norm",
            ));
        }
        if !(0..=self.input_dim).contains(&self.uniform_latent_dims) {
            return Err(ModelError::invalid(
                "uniform_latent_dims",
                format!(
                    "must be in 0..={} (the input width), got {}",
                    self.input_dim, self.uniform_latent_dims
                ),
            ));
        }
        for (field, std) in [
            ("input_noise", self.input_noise),
            ("hidden_noise", self.hidden_noise),
        ] {
            if !(std >= 0.0 && std.is_finite()) {
                return Err(ModelError::invalid(
                    field,
                    format!("must be a finite std >= 0, got {std}"),
                ));
            }
        }
        Ok(())
    }

    /// Builds a generator `z [N, input_dim] → [N, output_dim]` under `p`.
    ///
    /// Errors on an invalid config or if discriminator-only options are set.
    pub fn build_generator(&self, p: &nn::Path) -> Result<MlpGenerator> {
        self.validate()?;
        if self.minibatch_discrimination.is_some() {
            return Err(ModelError::invalid(
                "minibatch_discrimination",
                "is a discriminator option; remove it from the generator config",
            ));
        }
        if self.minibatch_std {
            return Err(ModelError::invalid(
                "minibatch_std",
                "is a discriminator option; remove it from the generator config",
            ));
        }
        if self.heads != HeadsConfig::default() {
            return Err(ModelError::invalid(
                "heads",
                "are a discriminator option; remove them from the generator config",
            ));
        }
        if self.input_noise > 0.0 || self.hidden_noise > 0.0 {
            return Err(ModelError::invalid(
                "input_noise",
                "input / hidden noise is a discriminator option",
            ));
        }
        if self.batch_norm && self.hidden.is_empty() {
            return Err(ModelError::invalid(
                "batch_norm",
                "normalises hidden layers; this generator has none",
            ));
        }
        let label_emb = match self.num_classes {
            Some(k) => Some(LabelEmbedding::new(&(p / "label_emb"), k, k)?),
            None => None,
        };
        let first_in = self.input_dim + self.num_classes.unwrap_or(0);
        // The generator's weight-normed layers start from Glorot directions, as
        // improved-gan's (Lasagne DenseLayer + l2normalize); the discriminator's from
        // N(0, 0.1²), as its nn.DenseLayer.
        let v_init: DirectionInit = glorot_direction_init;
        let (layers, last) = hidden_layers(first_in, &self.hidden, |k, dims| {
            if self.batch_norm {
                Dense::hidden_before_batch_norm(p, k, dims)
            } else {
                Dense::hidden(p, k, dims, self.weight_norm, v_init)
            }
        });
        let norms = if self.batch_norm {
            self.hidden
                .iter()
                .enumerate()
                .map(|(k, &h)| ShiftBatchNorm::new(&(p / format!("bn{k}")), h))
                .collect()
        } else {
            Vec::new()
        };
        let out = Dense::output(p, (last, self.output_dim), self.weight_norm, v_init);
        Ok(MlpGenerator {
            layers,
            norms,
            uniform_latent_dims: self.uniform_latent_dims,
            out,
            label_emb,
            input_dim: self.input_dim,
            activation: self.activation,
            output_activation: self.output_activation,
            dropout: self.dropout,
        })
    }

    /// Builds a discriminator `x [N, input_dim] → score [N]` under `p`.
    ///
    /// Errors on an invalid config, if `output_dim != 1`, or if `num_classes` is set
    /// without a hidden layer.
    pub fn build_discriminator(&self, p: &nn::Path) -> Result<MlpDiscriminator> {
        self.validate()?;
        if self.output_dim != 1 {
            return Err(ModelError::invalid(
                "output_dim",
                format!(
                    "must be 1 for a discriminator (one score per sample), got {}",
                    self.output_dim
                ),
            ));
        }
        if self.batch_norm {
            return Err(ModelError::invalid(
                "batch_norm",
                "is a generator option for MLPs; remove it from the discriminator config",
            ));
        }
        if self.uniform_latent_dims != 0 {
            return Err(ModelError::invalid(
                "uniform_latent_dims",
                "is a generator option; remove it from the discriminator config",
            ));
        }
        let v_init: DirectionInit = normal_direction_init;
        let (layers, last) = hidden_layers(self.input_dim, &self.hidden, |k, dims| {
            Dense::hidden(p, k, dims, self.weight_norm, v_init)
        });
        let mbd = match &self.minibatch_discrimination {
            Some(cfg) => Some(MinibatchDiscrimination::new(&(p / "mbd"), last, cfg)?),
            None => None,
        };
        let mut head_in = mbd.as_ref().map_or(last, |m| m.out_dim());
        if self.minibatch_std {
            head_in += 1;
        }
        let out = Dense::output(
            p,
            (head_in, self.heads.output_width()),
            self.weight_norm,
            v_init,
        );
        if self.hidden.is_empty()
            && (self.heads.aux_classes.is_some() || self.heads.q_dim.is_some())
        {
            return Err(ModelError::invalid(
                "heads",
                "auxiliary-class and Q heads read the last hidden layer; add at least one",
            ));
        }
        let heads = Heads::new(p, last, &self.heads)?;
        let label_emb = match self.num_classes {
            Some(_) if self.hidden.is_empty() => {
                return Err(ModelError::invalid(
                    "num_classes",
                    "a conditional MLP discriminator needs at least one hidden layer",
                ))
            }
            Some(k) => Some(LabelEmbedding::for_projection(&(p / "label_emb"), k, last)?),
            None => None,
        };
        Ok(MlpDiscriminator {
            layers,
            mbd,
            out,
            label_emb,
            input_dim: self.input_dim,
            activation: self.activation,
            output_activation: self.output_activation,
            dropout: self.dropout,
            minibatch_std: self.minibatch_std,
            heads,
            semi_supervised: self.heads.semi_supervised,
            input_noise: self.input_noise,
            hidden_noise: self.hidden_noise,
            var_path: p.components().collect::<Vec<_>>().join("."),
        })
    }
}

/// The hidden layers `input_dim → hidden[0] → …`, each built by `layer(k, (in, out))`,
/// and the width of the last one.
fn hidden_layers(
    input_dim: i64,
    hidden: &[i64],
    layer: impl Fn(usize, (i64, i64)) -> Dense,
) -> (Vec<Dense>, i64) {
    let mut layers = Vec::with_capacity(hidden.len());
    let mut last = input_dim;
    for (k, &h) in hidden.iter().enumerate() {
        layers.push(layer(k, (last, h)));
        last = h;
    }
    (layers, last)
}

/// `z` with its first `k` columns mapped to `U(0, 1)` by the standard normal CDF
/// `Φ(z) = (1 + erf(z / √2)) / 2`, which is exactly uniform for `z ~ N(0, 1)`.
fn uniform_prefix(z: &Tensor, k: i64) -> Tensor {
    if k == 0 {
        return z.shallow_clone();
    }
    let u = (z.narrow(1, 0, k) * std::f64::consts::FRAC_1_SQRT_2).erf() * 0.5 + 0.5;
    if k == z.size()[1] {
        u
    } else {
        Tensor::cat(&[u, z.narrow(1, k, z.size()[1] - k)], 1)
    }
}

/// `h + N(0, std²)` in training, `h` otherwise.
fn add_noise(h: Tensor, std: f64, train: bool) -> Tensor {
    if std > 0.0 && train {
        &h + h.randn_like() * std
    } else {
        h
    }
}

fn maybe_dropout(h: Tensor, p: f64, train: bool) -> Tensor {
    if p > 0.0 && train {
        h.dropout(p, true)
    } else {
        h
    }
}

/// Flattens `[N, ...]` to `[N, F]`.
fn flat(x: &Tensor) -> Tensor {
    if x.dim() == 2 {
        x.shallow_clone()
    } else {
        x.flatten(1, -1)
    }
}

/// An MLP generator built by [`MlpConfig::build_generator`].
#[derive(Debug)]
pub struct MlpGenerator {
    layers: Vec<Dense>,
    norms: Vec<ShiftBatchNorm>,
    uniform_latent_dims: i64,
    out: Dense,
    label_emb: Option<LabelEmbedding>,
    input_dim: i64,
    activation: Activation,
    output_activation: Activation,
    dropout: f64,
}

impl Generator for MlpGenerator {
    fn latent_dim(&self) -> i64 {
        self.input_dim
    }

    /// # Panics
    /// If the generator is conditional and `labels` is `None`.
    fn generate(&self, z: &Tensor, labels: Option<&Tensor>, train: bool) -> Tensor {
        let z = uniform_prefix(z, self.uniform_latent_dims);
        let mut h = match &self.label_emb {
            Some(emb) => {
                let y = require_labels(labels, "MlpGenerator");
                Tensor::cat(&[z, emb.embed(y)], 1)
            }
            None => z,
        };
        for (k, layer) in self.layers.iter().enumerate() {
            let mut pre = layer.forward(&h);
            if let Some(bn) = self.norms.get(k) {
                pre = bn.forward_t(&pre, train);
            }
            h = maybe_dropout(self.activation.apply(&pre), self.dropout, train);
        }
        self.output_activation.apply(&self.out.forward(&h))
    }
}

/// An MLP discriminator built by [`MlpConfig::build_discriminator`].
#[derive(Debug)]
pub struct MlpDiscriminator {
    layers: Vec<Dense>,
    mbd: Option<MinibatchDiscrimination>,
    out: Dense,
    label_emb: Option<LabelEmbedding>,
    input_dim: i64,
    activation: Activation,
    output_activation: Activation,
    dropout: f64,
    minibatch_std: bool,
    heads: Heads,
    semi_supervised: Option<SemiSupervisedOutput>,
    input_noise: f64,
    hidden_noise: f64,
    /// The var-store path it was built under (`"disc"`), joined with `.` as tch does.
    var_path: String,
}

/// # Panics
/// On a weight-normalised layer (the functional forward covers plain layers only).
fn linear_params(l: &Dense) -> [Tensor; 2] {
    let l = l
        .as_plain()
        .expect("forward_with / parameters need plain (not weight-normalised) layers");
    let b = l.bs.as_ref().expect("MLP layers are built with a bias");
    [l.ws.shallow_clone(), b.shallow_clone()]
}

impl MlpDiscriminator {
    /// Input width.
    pub fn input_dim(&self) -> i64 {
        self.input_dim
    }

    /// Whether every linear layer is plain, so that [`Self::parameters`] and
    /// [`Self::forward_with`] apply (not with weight normalisation).
    pub fn has_functional_form(&self) -> bool {
        self.layers
            .iter()
            .chain([&self.out])
            .all(|l| !l.is_normalized())
    }

    /// The trainable parameters, in the fixed order expected by [`Self::forward_with`]:
    /// `fc0.weight, fc0.bias, …, fc{k-1}.weight, fc{k-1}.bias`, then `mbd.T` if minibatch
    /// discrimination is configured, then `out.weight, out.bias`, then `label_emb.weight`
    /// if conditional. The tensors share storage with the stored variables.
    ///
    /// # Panics
    /// Unless [`Self::has_functional_form`].
    pub fn parameters(&self) -> Vec<Tensor> {
        let mut ps = Vec::new();
        for l in &self.layers {
            ps.extend(linear_params(l));
        }
        if let Some(m) = &self.mbd {
            ps.push(m.weight().shallow_clone());
        }
        ps.extend(linear_params(&self.out));
        if let Some(e) = &self.label_emb {
            ps.push(e.weight().shallow_clone());
        }
        ps
    }

    /// Names of [`Self::parameters`], relative to the builder's path (e.g. `"fc0.weight"`).
    pub fn parameter_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for k in 0..self.layers.len() {
            names.push(format!("fc{k}.weight"));
            names.push(format!("fc{k}.bias"));
        }
        if self.mbd.is_some() {
            names.push("mbd.T".to_string());
        }
        names.push("out.weight".to_string());
        names.push("out.bias".to_string());
        if self.label_emb.is_some() {
            names.push("label_emb.weight".to_string());
        }
        names
    }

    /// Names of [`Self::parameters`] in the var store (e.g. `"disc.fc0.weight"`): the
    /// names an optimizer built with `Optimizer::for_var_store` keys their state by.
    pub fn variable_names(&self) -> Vec<String> {
        self.parameter_names()
            .into_iter()
            .map(|n| {
                if self.var_path.is_empty() {
                    n
                } else {
                    format!("{}.{n}", self.var_path)
                }
            })
            .collect()
    }

    /// The discriminator function evaluated with `params` (same order and shapes as
    /// [`Self::parameters`]) in place of the stored parameters. `labels` are needed when
    /// the discriminator is conditional.
    ///
    /// # Panics
    /// If `params.len()` differs from `self.parameters().len()`, or labels are missing for
    /// a conditional discriminator.
    pub fn forward_with(
        &self,
        params: &[Tensor],
        x: &Tensor,
        labels: Option<&Tensor>,
        train: bool,
    ) -> DiscOutput {
        let expected = self.parameters().len();
        assert_eq!(
            params.len(),
            expected,
            "MlpDiscriminator::forward_with expects {expected} parameter tensors (see parameters())"
        );
        let mut it = params.iter();
        let mut next = || it.next().expect("length checked above");
        let mut h = add_noise(flat(x), self.input_noise, train);
        let mut features = None;
        for _ in 0..self.layers.len() {
            let (w, b) = (next(), next());
            let a = self.activation.apply(&h.linear(w, Some(b)));
            features = Some(a.shallow_clone());
            h = maybe_dropout(add_noise(a, self.hidden_noise, train), self.dropout, train);
        }
        if self.mbd.is_some() {
            h = minibatch_discrimination(&h, next());
        }
        if self.minibatch_std {
            h = minibatch_std(&h);
        }
        let (w, b) = (next(), next());
        let (base, class_logits) = score_and_class_logits(
            self.output_activation.apply(&h.linear(w, Some(b))),
            self.semi_supervised,
        );
        let score = if self.label_emb.is_some() {
            let y = require_labels(labels, "MlpDiscriminator");
            let f = features
                .as_ref()
                .expect("conditional discriminators have a hidden layer");
            base + projection(&embed_with(next(), y), f)
        } else {
            base
        };
        // The auxiliary and Q heads are not part of the functional form (the unrolled
        // GAN only looks ahead through the adversarial score).
        DiscOutput {
            score,
            features,
            class_logits,
            q: None,
        }
    }
}

impl Discriminator for MlpDiscriminator {
    /// # Panics
    /// If the discriminator is conditional and `labels` is `None`.
    fn discriminate(&self, x: &Tensor, labels: Option<&Tensor>, train: bool) -> DiscOutput {
        let mut h = add_noise(flat(x), self.input_noise, train);
        let mut features = None;
        for layer in &self.layers {
            let a = self.activation.apply(&layer.forward(&h));
            features = Some(a.shallow_clone());
            h = maybe_dropout(add_noise(a, self.hidden_noise, train), self.dropout, train);
        }
        if let Some(m) = &self.mbd {
            h = m.forward(&h);
        }
        if self.minibatch_std {
            h = minibatch_std(&h);
        }
        let (base, semi_logits) = score_and_class_logits(
            self.output_activation.apply(&self.out.forward(&h)),
            self.semi_supervised,
        );
        let score = match &self.label_emb {
            Some(emb) => {
                let y = require_labels(labels, "MlpDiscriminator");
                let f = features
                    .as_ref()
                    .expect("conditional discriminators have a hidden layer");
                base + projection(&emb.embed(y), f)
            }
            None => base,
        };
        let (aux_logits, q) = match &features {
            Some(f) => self.heads.apply(f, train),
            None => (None, None),
        };
        DiscOutput {
            score,
            features,
            class_logits: semi_logits.or(aux_logits),
            q,
        }
    }

    /// Initialises the weight-normalised layers in one training-mode pass over `x`
    /// (input and hidden noise on, as in `improved-gan`): each layer is standardised on
    /// the batch in turn, and the next one sees its new output.
    fn initialize_from_data(&self, x: &Tensor) -> bool {
        if self.has_functional_form() {
            return false; // no weight-normalised layer to initialise
        }
        tch::no_grad(|| {
            let mut h = add_noise(flat(x), self.input_noise, true);
            for layer in &self.layers {
                let a = self.activation.apply(&layer.initialize_from(&h));
                h = add_noise(a, self.hidden_noise, true);
            }
            if let Some(m) = &self.mbd {
                h = m.forward(&h);
            }
            if self.minibatch_std {
                h = minibatch_std(&h);
            }
            let _ = self.out.initialize_from(&h);
        });
        true
    }

    fn as_mlp(&self) -> Option<&MlpDiscriminator> {
        self.has_functional_form().then_some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
        (a - b).abs().max().double_value(&[])
    }

    fn disc_config() -> MlpConfig {
        MlpConfig {
            activation: Activation::LeakyRelu,
            ..MlpConfig::new(3, vec![8, 6], 1)
        }
    }

    #[test]
    fn generator_shapes_and_names() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let g = MlpConfig::new(4, vec![16, 16], 2)
            .build_generator(&(vs.root() / "gen"))
            .unwrap();
        assert_eq!(g.latent_dim(), 4);
        let z = Tensor::randn([5, 4], tch::kind::FLOAT_CPU);
        assert_eq!(g.generate(&z, None, true).size(), vec![5, 2]);
        let mut names: Vec<String> = vs.variables().into_keys().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "gen.fc0.bias",
                "gen.fc0.weight",
                "gen.fc1.bias",
                "gen.fc1.weight",
                "gen.out.bias",
                "gen.out.weight"
            ]
        );
    }

    #[test]
    fn generator_output_activation_applies() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MlpConfig {
            output_activation: Activation::Tanh,
            ..MlpConfig::new(2, vec![8], 3)
        };
        let g = cfg.build_generator(&vs.root()).unwrap();
        let x = g.generate(
            &(Tensor::randn([64, 2], tch::kind::FLOAT_CPU) * 100.0),
            None,
            false,
        );
        assert!(x.abs().max().double_value(&[]) <= 1.0);
    }

    #[test]
    fn discriminator_shapes_and_features() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let d = disc_config().build_discriminator(&vs.root()).unwrap();
        let out = d.discriminate(&Tensor::randn([7, 3], tch::kind::FLOAT_CPU), None, true);
        assert_eq!(out.score.size(), vec![7]);
        assert_eq!(out.features.unwrap().size(), vec![7, 6]);
        assert!(out.class_logits.is_none() && out.q.is_none());
    }

    #[test]
    fn minibatch_options_widen_the_head() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MlpConfig {
            minibatch_discrimination: Some(MinibatchDiscriminationConfig {
                kernels: 5,
                kernel_dim: 2,
            }),
            minibatch_std: true,
            ..disc_config()
        };
        let d = cfg.build_discriminator(&vs.root()).unwrap();
        assert_eq!(vs.variables()["out.weight"].size(), vec![1, 6 + 5 + 1]);
        let out = d.discriminate(&Tensor::randn([4, 3], tch::kind::FLOAT_CPU), None, true);
        assert_eq!(out.score.size(), vec![4]);
        // Features are taken before the minibatch features are appended.
        assert_eq!(out.features.unwrap().size(), vec![4, 6]);
    }

    #[test]
    fn dropout_only_in_training() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MlpConfig {
            dropout: 0.5,
            ..MlpConfig::new(3, vec![64], 1)
        };
        let d = cfg.build_discriminator(&vs.root()).unwrap();
        let x = Tensor::randn([16, 3], tch::kind::FLOAT_CPU);
        let e1 = d.discriminate(&x, None, false).score;
        let e2 = d.discriminate(&x, None, false).score;
        assert_eq!(max_abs_diff(&e1, &e2), 0.0);
        let t1 = d.discriminate(&x, None, true).score;
        assert!(max_abs_diff(&e1, &t1) > 1e-4);
    }

    #[test]
    fn forward_with_own_parameters_is_exact() {
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MlpConfig {
            minibatch_discrimination: Some(MinibatchDiscriminationConfig::default()),
            minibatch_std: true,
            ..disc_config()
        };
        let d = cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
        // Order and names agree with the var store.
        let vars = vs.variables();
        let names = d.parameter_names();
        let params = d.parameters();
        assert_eq!(names.len(), params.len());
        assert_eq!(params.len(), vs.trainable_variables().len());
        for (n, p) in names.iter().zip(params.iter()) {
            assert_eq!(vars[&format!("disc.{n}")].size(), p.size(), "{n}");
        }
        let full: Vec<String> = names.iter().map(|n| format!("disc.{n}")).collect();
        assert_eq!(d.variable_names(), full);
        let x = Tensor::randn([5, 3], tch::kind::FLOAT_CPU);
        let a = d.discriminate(&x, None, false);
        let b = d.forward_with(&params, &x, None, false);
        assert_eq!(a.score, b.score);
        assert_eq!(a.features.unwrap(), b.features.unwrap());
        // Train mode with dropout is checked in tests/forward_with_dropout.rs, a binary of
        // its own: it re-seeds torch's global RNG, which parallel unit tests would race on.
    }

    #[test]
    fn forward_with_uses_substituted_parameters_and_propagates_gradients() {
        tch::manual_seed(4);
        let vs = nn::VarStore::new(Device::Cpu);
        let d = disc_config().build_discriminator(&vs.root()).unwrap();
        let x = Tensor::randn([5, 3], tch::kind::FLOAT_CPU);
        let base = d.discriminate(&x, None, false).score;
        // Shift the output bias by +1.5: the score shifts by exactly that.
        let mut params: Vec<Tensor> = d
            .parameters()
            .iter()
            .map(|p| p.detach().copy().set_requires_grad(true))
            .collect();
        let last = params.len() - 1;
        params[last] = (params[last].detach() + 1.5).set_requires_grad(true);
        let shifted = d.forward_with(&params, &x, None, false).score;
        assert!(max_abs_diff(&(shifted.shallow_clone() - 1.5), &base) < 1e-5);
        // Gradients reach every substituted tensor and none reach the stored variables.
        shifted.sum(Kind::Float).backward();
        for p in &params {
            let g = p.grad();
            assert!(g.defined() && g.abs().sum(Kind::Float).double_value(&[]) > 0.0);
        }
        for v in vs.trainable_variables() {
            assert!(
                !v.grad().defined() || v.grad().abs().sum(Kind::Float).double_value(&[]) == 0.0
            );
        }
    }

    #[test]
    fn invalid_configs_are_errors() {
        let vs = nn::VarStore::new(Device::Cpu);
        let p = vs.root();
        assert!(MlpConfig::new(0, vec![], 1).build_generator(&p).is_err());
        assert!(MlpConfig::new(2, vec![4, -1], 1)
            .build_generator(&p)
            .is_err());
        assert!(matches!(
            MlpConfig::new(2, vec![4], 3).build_discriminator(&p),
            Err(ModelError::InvalidConfig {
                field: "output_dim",
                ..
            })
        ));
        let bad_dropout = MlpConfig {
            dropout: 1.0,
            ..MlpConfig::new(2, vec![4], 1)
        };
        assert!(bad_dropout.build_discriminator(&p).is_err());
        let gen_mbd = MlpConfig {
            minibatch_std: true,
            ..MlpConfig::new(2, vec![4], 1)
        };
        assert!(gen_mbd.build_generator(&p).is_err());
        let cond_no_hidden = MlpConfig {
            num_classes: Some(3),
            ..MlpConfig::new(2, vec![], 1)
        };
        assert!(cond_no_hidden.build_discriminator(&p).is_err());
    }

    #[test]
    fn serde_round_trip_and_unknown_fields() {
        let cfg: MlpConfig = toml::from_str(
            r#"
            input_dim = 2
            hidden = [128, 128]
            output_dim = 1
            activation = "leaky_relu"
            minibatch_discrimination = { kernels = 8 }
            "#,
        )
        .unwrap();
        assert_eq!(cfg.activation, Activation::LeakyRelu);
        assert_eq!(cfg.output_activation, Activation::None);
        assert_eq!(cfg.dropout, 0.0);
        assert_eq!(cfg.minibatch_discrimination.unwrap().kernel_dim, 3);
        let back: MlpConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        assert!(toml::from_str::<MlpConfig>("input_dim = 2\noutput_dim = 1\nhiden = [3]").is_err());
    }

    #[test]
    fn conditional_mlp_uses_labels() {
        tch::manual_seed(5);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = MlpConfig {
            num_classes: Some(3),
            ..MlpConfig::new(4, vec![8], 2)
        };
        let g = cfg.build_generator(&(vs.root() / "g")).unwrap();
        let z = Tensor::randn([1, 4], tch::kind::FLOAT_CPU).repeat([2, 1]);
        let y = Tensor::from_slice(&[0i64, 2]);
        let x = g.generate(&z, Some(&y), false);
        assert_eq!(x.size(), vec![2, 2]);
        // Same z, different labels → different samples.
        assert!(max_abs_diff(&x.get(0), &x.get(1)) > 1e-6);

        let dcfg = MlpConfig {
            num_classes: Some(3),
            ..MlpConfig::new(2, vec![8], 1)
        };
        let d = dcfg.build_discriminator(&(vs.root() / "d")).unwrap();
        let xs = Tensor::randn([1, 2], tch::kind::FLOAT_CPU).repeat([2, 1]);
        let out = d.discriminate(&xs, Some(&y), false);
        assert_eq!(out.score.size(), vec![2]);
        assert!(max_abs_diff(&out.score.get(0), &out.score.get(1)) > 1e-6);
        let f = d.forward_with(&d.parameters(), &xs, Some(&y), false);
        assert_eq!(f.score, out.score);
    }
}
