//! The three schedules, each a short composition of the primitives in
//! [`objectives`](super::objectives): how many D updates per G update, and whether the
//! players step one after the other, together, or G against a look-ahead of D.

use super::objectives::{FakeBatch, RealBatch};
use super::seams::Player;
use super::stats::{DStep, GStep};
use super::Trainer;
use crate::config::Schedule;
use crate::error::{Result, TrainError};

/// What one step of a schedule did: D's last update, and G's update if G was trained.
pub(super) type ScheduleStep = (DStep, Option<GStep>);

/// The function that runs one step of `schedule`.
pub(super) fn schedule_step(schedule: Schedule) -> fn(&mut Trainer) -> Result<ScheduleStep> {
    match schedule {
        Schedule::Alternating => alternating,
        Schedule::Simultaneous => simultaneous,
        Schedule::Unrolled => unrolled,
    }
}

/// `d_steps` D updates, then one G update against the updated D (Goodfellow et al.).
fn alternating(t: &mut Trainer) -> Result<ScheduleStep> {
    let (d, real) = d_updates(t)?;
    let g = if t.member.trains_generator() {
        Some(g_update(t, &real, 0)?)
    } else {
        None
    };
    Ok((d, g))
}

/// One D update, then G against D after `unrolled_steps` differentiable look-ahead
/// updates (Metz et al. 2017).
fn unrolled(t: &mut Trainer) -> Result<ScheduleStep> {
    let (d, real) = d_updates(t)?;
    let lookahead = t.config.train.unrolled_steps;
    let g = if t.member.trains_generator() {
        Some(g_update(t, &real, lookahead)?)
    } else {
        None
    };
    Ok((d, g))
}

/// Both players take gradients at the same parameters, then both step (seed 004).
fn simultaneous(t: &mut Trainer) -> Result<ScheduleStep> {
    let real = t.real_batch()?;
    let input = t.draw_inputs(real.x.size()[0])?;
    let fake = t.generate_for_update(&input);
    let trains_g = t.member.trains_generator();
    let g = if trains_g {
        let d = &t.discriminator;
        let disc = |x: &tch::Tensor, l: Option<&tch::Tensor>| d.discriminate(x, l, true);
        let g = t.g_objective(&disc, &fake, &input, &real)?;
        t.backward(Player::Generator, &g.loss);
        Some(g)
    } else {
        None
    };
    let fake = FakeBatch {
        input,
        x: fake.detach(),
    };
    let plays = t.member.plays_adversarial_game();
    let d = t.d_objective(&real, plays.then_some(&fake))?;
    // D's backward also clears what G's backward left in D's gradients.
    t.backward(Player::Discriminator, &d.loss);
    let g = g.map(|g| t.g_step_stats(g));
    if g.is_some() {
        t.step_player(Player::Generator)?;
    }
    t.step_player(Player::Discriminator)?;
    Ok((detached(d), g))
}

/// `train.d_steps` D updates; returns the last one's stats and real batch (which G's
/// feature matching and the look-ahead use).
fn d_updates(t: &mut Trainer) -> Result<(DStep, RealBatch)> {
    let mut last = d_update(t)?;
    for _ in 1..t.config.train.d_steps {
        last = d_update(t)?;
    }
    Ok(last)
}

/// One D update on a fresh real batch and (when D plays the adversarial game) a fresh
/// fake one.
fn d_update(t: &mut Trainer) -> Result<(DStep, RealBatch)> {
    let real = t.real_batch()?;
    let fake = if t.member.plays_adversarial_game() {
        let input = t.draw_inputs(real.x.size()[0])?;
        // No graph for G here: D's update never backpropagates into G (the same values
        // as `G(z).detach()`, without keeping G's activations alive).
        let x = tch::no_grad(|| t.generate_for_update(&input));
        Some(FakeBatch { input, x })
    } else {
        None
    };
    let d = t.d_objective(&real, fake.as_ref())?;
    t.backward(Player::Discriminator, &d.loss);
    t.step_player(Player::Discriminator)?;
    Ok((detached(d), real))
}

/// One G update against D (or against D after `lookahead` look-ahead updates), while
/// D's variables are frozen: autograd then skips the weight-gradient half of D's
/// backward pass, which `backward()` would otherwise compute into D's `.grad` only for
/// the next D step to zero it.
fn g_update(t: &mut Trainer, real: &RealBatch, lookahead: u32) -> Result<GStep> {
    t.disc_vs.freeze();
    let result = g_update_against_frozen_d(t, real, lookahead);
    t.disc_vs.unfreeze();
    result
}

fn g_update_against_frozen_d(t: &mut Trainer, real: &RealBatch, lookahead: u32) -> Result<GStep> {
    // Feature matching compares G's features with a fresh real batch rather than the one
    // D has just stepped on, as improved-gan does (`trainx_unl2`).
    let fresh;
    let real = if t.config.train.feature_matching && lookahead == 0 {
        fresh = t.real_batch()?;
        &fresh
    } else {
        real
    };
    let input = t.draw_inputs(t.config.train.batch_size)?;
    let fake = t.generate_for_update(&input);
    let g = if lookahead > 0 {
        let mlp = t.discriminator.as_mlp().ok_or_else(|| {
            TrainError::config("train.schedule", "\"unrolled\" needs an MLP discriminator")
        })?;
        let params = t.unrolled_parameters(mlp, &real.x, &fake, lookahead)?;
        let disc = |x: &tch::Tensor, l: Option<&tch::Tensor>| mlp.forward_with(&params, x, l, true);
        t.g_objective(&disc, &fake, &input, real)?
    } else {
        let d = &t.discriminator;
        let disc = |x: &tch::Tensor, l: Option<&tch::Tensor>| d.discriminate(x, l, true);
        t.g_objective(&disc, &fake, &input, real)?
    };
    t.backward(Player::Generator, &g.loss);
    let stats = t.g_step_stats(g);
    t.step_player(Player::Generator)?;
    Ok(stats)
}

/// A D update's stats without their graphs.
fn detached(d: DStep) -> DStep {
    DStep {
        loss: d.loss.detach(),
        d_real: d.d_real,
        d_fake: d.d_fake,
        aux: d.aux.map(|a| a.detach()),
    }
}
