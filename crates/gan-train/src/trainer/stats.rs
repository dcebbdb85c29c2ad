//! What one step measured: [`StepStats`], read from the device in one transfer, and the
//! stop on a non-finite loss.

use tch::{Device, Kind, Tensor};

use crate::error::{Result, TrainError};

/// What one generator step measured. Probabilities are `σ(score)` for the logit-based
/// losses and raw mean scores for the others.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepStats {
    /// Generator updates completed, including this one.
    pub step: u64,
    /// The discriminator's loss in its last update of the step.
    pub d_loss: f64,
    /// The generator's loss (NaN when the generator is not trained).
    pub g_loss: f64,
    /// Mean D output on real data (during the last D update).
    pub d_real: f64,
    /// Mean D output on generated data during the D update (PyTorch's `D(G(z))` 1).
    pub d_fake: f64,
    /// Mean D output on generated data during the G update (PyTorch's `D(G(z))` 2).
    pub d_fake_g: f64,
    /// L2 norm of the generator's gradient in this step.
    pub g_grad_norm: f64,
    /// The variant's extra term (`None` for variants without one): the class
    /// cross-entropy on real data (AC-GAN) or on the labelled batch (semi-supervised GAN),
    /// `L_info` (InfoGAN), the pulling-away term (EBGAN).
    pub aux: Option<f64>,
}

/// What one discriminator update measured (scalar tensors, read once per step).
pub(crate) struct DStep {
    pub loss: Tensor,
    pub d_real: Tensor,
    pub d_fake: Tensor,
    pub aux: Option<Tensor>,
}

/// What one generator update measured (scalar tensors).
pub(crate) struct GStep {
    pub loss: Tensor,
    pub d_fake_g: Tensor,
    pub grad_norm: Tensor,
    pub aux: Option<Tensor>,
}

/// All of a step's scalars in one device-to-host read.
pub(crate) fn read_stats(
    step: u64,
    d: &DStep,
    g: Option<&GStep>,
    device: Device,
) -> Result<StepStats> {
    let nan = || Tensor::full([], f64::NAN, (Kind::Double, device));
    let scalar = |t: &Tensor| t.to_kind(Kind::Double).reshape([]);
    let or_nan = |t: Option<&Tensor>| t.map_or_else(nan, scalar);
    // The variant's term: D's (class CE on real / labelled data) when it has one, else G's.
    let aux = d.aux.as_ref().or(g.and_then(|g| g.aux.as_ref()));
    let values = Tensor::stack(
        &[
            scalar(&d.loss),
            or_nan(g.map(|g| &g.loss)),
            scalar(&d.d_real),
            scalar(&d.d_fake),
            or_nan(g.map(|g| &g.d_fake_g)),
            g.map_or_else(
                || Tensor::zeros([], (Kind::Double, device)),
                |g| scalar(&g.grad_norm),
            ),
            or_nan(aux),
        ],
        0,
    )
    .to_device(Device::Cpu);
    let v: Vec<f64> = Vec::try_from(values)?;
    Ok(StepStats {
        step,
        d_loss: v[0],
        g_loss: v[1],
        d_real: v[2],
        d_fake: v[3],
        d_fake_g: v[4],
        g_grad_norm: v[5],
        aux: aux.map(|_| v[6]),
    })
}

/// L2 norm over the gradients of `params` (0 where none), as a scalar tensor on
/// `device` so that reading it does not force a host sync every step.
pub(crate) fn grad_norm<'a>(params: impl Iterator<Item = &'a Tensor>, device: Device) -> Tensor {
    let squares: Vec<Tensor> = params
        .map(|p| p.grad())
        .filter(Tensor::defined)
        .map(|g| g.square().sum(Kind::Double))
        .collect();
    if squares.is_empty() {
        return Tensor::zeros([], (Kind::Double, device));
    }
    Tensor::stack(&squares, 0).sum(Kind::Double).sqrt()
}

/// Stops the run on a non-finite loss (the generator's only when it was trained).
pub(crate) fn check_finite(s: &StepStats, generator_trained: bool) -> Result<()> {
    for (what, value, checked) in [
        ("discriminator loss", s.d_loss, true),
        ("generator loss", s.g_loss, generator_trained),
    ] {
        if checked && !value.is_finite() {
            return Err(TrainError::NonFinite {
                step: s.step,
                what: what.into(),
                value,
                hint: "Lower the learning rates, check the data scaling, or try a bounded loss (hinge, least_squares) or a gradient penalty.".into(),
            });
        }
    }
    Ok(())
}
