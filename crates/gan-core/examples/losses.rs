//! Tour of the gan-core API: adversarial losses on made-up scores, a gradient penalty on a
//! linear critic, and the toy mode-coverage metric. Run with
//! `cargo run -p gan-core --example losses`.

use gan_core::metrics::{js_divergence, ModeSet};
use gan_core::{gradient_penalty, AdversarialLoss, LossKind};
use tch::Tensor;

fn main() -> gan_core::Result<()> {
    tch::manual_seed(0);
    let real = Tensor::from_slice(&[2.0f32, 1.5, 0.5]);
    // (For the energy game scores are energies ≥ 0; these made-up values only show the API.)
    let fake = Tensor::from_slice(&[-1.0f32, 0.0, 0.2]);
    for kind in LossKind::ALL {
        let loss = AdversarialLoss::new(kind);
        println!(
            "{kind:>15}: d_loss {:+.4}  g_loss {:+.4}",
            loss.d_loss(&real, &fake).double_value(&[]),
            loss.g_loss(&fake, Some(&real))
                .expect("real scores are given")
                .double_value(&[])
        );
    }

    let smoothed: AdversarialLoss =
        "non_saturating"
            .parse::<LossKind>()
            .map(|kind| AdversarialLoss {
                kind,
                real_target: 0.9,
                ..Default::default()
            })?;
    smoothed.validate()?;
    println!(
        "with one-sided smoothing: d_loss {:+.4}",
        smoothed.d_loss(&real, &fake).double_value(&[])
    );

    let w = Tensor::from_slice(&[3.0f32, 4.0]);
    let x_real = Tensor::from_slice(&[1.0f32, 2.0, 0.0, 1.0]).view([2, 2]);
    let x_fake = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 1.0]).view([2, 2]);
    let gp = gradient_penalty(|x| x.mv(&w), &x_real, &x_fake)?;
    println!(
        "gradient penalty of a critic with |w| = 5: {:.2}",
        gp.double_value(&[])
    );

    let ring = ModeSet::ring();
    let samples: Vec<f64> = ring.centers().iter().take(6).flatten().copied().collect();
    let report = ring.evaluate(&samples)?;
    println!(
        "ring: {}/{} modes, {:.0}% high quality, reverse KL {:.3}",
        report.modes_covered,
        report.total_modes,
        100.0 * report.high_quality_fraction,
        report.reverse_kl
    );
    println!(
        "JS of disjoint histograms: {:.4} (ln 2)",
        js_divergence(&[1.0, 0.0], &[0.0, 1.0])?
    );
    Ok(())
}
