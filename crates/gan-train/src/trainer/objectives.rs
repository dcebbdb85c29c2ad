//! The shared player-update primitives that every schedule is built from: each player's
//! objective (adversarial loss, the family member's term, the regularisers) and the
//! backward / step pair around the two seams. A regulariser or variant term is written
//! here once and so applies in every schedule.

use tch::{Kind, Tensor};

use gan_models::DiscOutput;

use super::autocast::disc_to_fp32;
use super::seams::Player;
use super::stats::{DStep, GStep};
use super::Trainer;
use crate::conditioning::GenInput;
use crate::error::{Result, TrainError};
use crate::family::{DTermInputs, DiscFn, GTermInputs, WithTerm};

/// A generated batch and the inputs it was generated from.
pub(super) struct FakeBatch {
    pub input: GenInput,
    /// `G(input)`, without a graph back into G (D's objective never reaches G).
    pub x: Tensor,
}

/// A real batch, with its labels when the data have them.
pub(super) struct RealBatch {
    pub x: Tensor,
    pub labels: Option<Tensor>,
}

/// G's objective and what it saw.
pub(super) struct GObjective {
    pub loss: Tensor,
    pub out_fake: DiscOutput,
    pub aux: Option<Tensor>,
}

impl Trainer {
    /// A real batch on the device.
    pub(super) fn real_batch(&mut self) -> Result<RealBatch> {
        let b = self.source.next_batch(self.config.train.batch_size)?;
        Ok(RealBatch {
            x: b.x.to_device(self.device),
            labels: b.y.map(|y| y.to_device(self.device)),
        })
    }

    /// The labels a label-conditioned discriminator is shown with a real batch (`None`
    /// for members whose D is not conditioned).
    pub(super) fn disc_labels<'a>(&self, labels: Option<&'a Tensor>) -> Result<Option<&'a Tensor>> {
        if !self.member.conditions_discriminator() {
            return Ok(None);
        }
        labels.map(Some).ok_or_else(|| {
            TrainError::config("variant.kind", "the data source gives no class labels")
        })
    }

    /// D's objective on a real batch and (unless the member plays no adversarial game)
    /// a fake one: adversarial loss, the member's term, the gradient penalty, the
    /// member's own batch, historical averaging — in that order.
    pub(super) fn d_objective(
        &mut self,
        real: &RealBatch,
        fake: Option<&FakeBatch>,
    ) -> Result<DStep> {
        let device = self.device;
        let batch_size = self.config.train.batch_size;
        let real_cond = self.disc_labels(real.labels.as_ref())?;
        let d = &self.discriminator;
        // Outputs in fp32 whatever the precision: losses and statistics reduce in fp32.
        let disc =
            |x: &Tensor, labels: Option<&Tensor>| disc_to_fp32(d.discriminate(x, labels, true));
        self.precision.enter_forward();
        let nan = || Tensor::full([], f64::NAN, (Kind::Float, device));
        let (mut loss, d_real, d_fake, mut aux) = match fake {
            None => (Tensor::zeros([], (Kind::Float, device)), nan(), nan(), None),
            Some(fake) => {
                let out_real = disc(&real.x, real_cond);
                let out_fake = disc(&fake.x, fake.input.labels.as_ref());
                let adversarial = self.config.loss.d_loss(&out_real.score, &out_fake.score);
                let WithTerm { mut loss, aux } = self.member.d_term(
                    adversarial,
                    &DTermInputs {
                        out_real: &out_real,
                        out_fake: &out_fake,
                        real_labels: real.labels.as_ref(),
                        input: &fake.input,
                        conditioning: &self.conditioning,
                    },
                )?;
                let gp = self.config.train.gradient_penalty;
                if gp > 0.0 {
                    let penalty =
                        gan_core::gradient_penalty(|x| disc(x, real_cond).score, &real.x, &fake.x)?;
                    loss += penalty * gp;
                }
                let d_real = mean_report(&self.config.loss, &out_real.score);
                let d_fake = mean_report(&self.config.loss, &out_fake.score);
                (loss, d_real, d_fake, aux)
            }
        };
        if let Some(ce) = self.member.d_own_batch_term(&disc, device, batch_size)? {
            loss += &ce;
            aux = Some(ce);
        }
        self.precision.exit_forward();
        if let Some((_, ha)) = &self.history {
            let params: Vec<Tensor> = self.opt_d.params().map(Tensor::shallow_clone).collect();
            loss += ha.penalty(&params)? * self.config.train.historical_averaging;
        }
        Ok(DStep {
            loss,
            d_real,
            d_fake,
            aux,
        })
    }

    /// G's objective against `disc` (the live D, or the unrolled look-ahead copy): the
    /// adversarial loss (or feature matching), the member's term, historical averaging.
    /// D's scores of `real` are computed only where the objective reads them (feature
    /// matching, the relativistic games).
    pub(super) fn g_objective(
        &self,
        disc: &DiscFn<'_>,
        fake: &Tensor,
        input: &GenInput,
        real: &RealBatch,
    ) -> Result<GObjective> {
        self.precision.enter_forward();
        let feature_matching = self.config.train.feature_matching;
        // Outputs in fp32 whatever the precision: losses reduce in fp32.
        let out = disc_to_fp32(disc(fake, input.labels.as_ref()));
        let out_real = if feature_matching || self.config.loss.kind.g_needs_real_scores() {
            let real_cond = self.disc_labels(real.labels.as_ref())?;
            Some(disc_to_fp32(disc(&real.x, real_cond)))
        } else {
            None
        };
        let loss = if feature_matching {
            let no_features = || {
                TrainError::config(
                    "train.feature_matching",
                    "this discriminator has no features head",
                )
            };
            let r = out_real.as_ref().expect("computed for feature matching");
            let real_f = r.features.as_ref().ok_or_else(no_features)?.detach();
            let fake_f = out.features.as_ref().ok_or_else(no_features)?;
            gan_core::feature_matching_loss(&real_f, fake_f)?
        } else {
            let real_scores = out_real.as_ref().map(|r| r.score.detach());
            self.config.loss.g_loss(&out.score, real_scores.as_ref())?
        };
        let WithTerm { mut loss, aux } = self.member.g_term(
            loss,
            &GTermInputs {
                out_fake: &out,
                input,
                conditioning: &self.conditioning,
            },
        )?;
        self.precision.exit_forward();
        if let Some((ha, _)) = &self.history {
            let params: Vec<Tensor> = self.opt_g.params().map(Tensor::shallow_clone).collect();
            loss += ha.penalty(&params)? * self.config.train.historical_averaging;
        }
        Ok(GObjective {
            loss,
            out_fake: out,
            aux,
        })
    }

    /// Zero `player`'s gradients and backpropagate its (precision-scaled) loss.
    pub(super) fn backward(&mut self, player: Player, loss: &Tensor) {
        let opt = match player {
            Player::Generator => &mut self.opt_g,
            Player::Discriminator => &mut self.opt_d,
        };
        opt.zero_grad();
        self.precision.scale_loss(player, loss).backward();
    }

    /// Step `player`'s optimizer on its gradients, through the gradient and precision
    /// seams, then apply what follows a step: weight clipping and the historical average
    /// for D; the historical average and the EMA for G.
    pub(super) fn step_player(&mut self, player: Player) -> Result<()> {
        let opt = match player {
            Player::Generator => &mut self.opt_g,
            Player::Discriminator => &mut self.opt_d,
        };
        self.grad_sync.sync(player, opt)?;
        if self.precision.before_step(player, opt)? {
            opt.step();
        }
        match player {
            Player::Discriminator => {
                let clip = self.config.train.weight_clip;
                if clip > 0.0 {
                    gan_core::clip_weights(&self.disc_vs.trainable_variables(), clip)?;
                }
                if let Some((_, ha)) = self.history.as_mut() {
                    let params: Vec<Tensor> =
                        self.opt_d.params().map(Tensor::shallow_clone).collect();
                    ha.update(&params)?;
                }
            }
            Player::Generator => {
                if let Some((ha, _)) = self.history.as_mut() {
                    let params: Vec<Tensor> =
                        self.opt_g.params().map(Tensor::shallow_clone).collect();
                    ha.update(&params)?;
                }
                if let Some(ema) = self.ema.as_mut() {
                    ema.update();
                }
            }
        }
        Ok(())
    }

    /// The finished G update's stats.
    pub(super) fn g_step_stats(&self, g: GObjective) -> GStep {
        GStep {
            loss: g.loss.detach(),
            d_fake_g: mean_report(&self.config.loss, &g.out_fake.score),
            grad_norm: super::stats::grad_norm(self.opt_g.params(), self.device),
            aux: g.aux.map(|a| a.detach()),
        }
    }
}

/// D's output as reported in the stats: `σ(score)` for the logit games, else the raw
/// score.
pub(super) fn score_to_report(loss: &gan_core::AdversarialLoss, score: &Tensor) -> Tensor {
    if loss.kind.is_bce_family() {
        score.sigmoid()
    } else {
        score.shallow_clone()
    }
}

/// The mean reported D output over a batch.
fn mean_report(loss: &gan_core::AdversarialLoss, score: &Tensor) -> Tensor {
    score_to_report(loss, &score.detach()).mean(Kind::Float)
}
