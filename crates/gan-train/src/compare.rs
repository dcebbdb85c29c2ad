//! Comparing toy experiments over seeds (`gan compare`): train one (config, seed) run and
//! measure it ([`train_and_measure`]), describe a config's loss and stabilizers in a few
//! words ([`describe`]), and aggregate the seeds of a config into one table row, as
//! mean ± sample std ([`ConfigRow`]).

use std::time::Instant;

use tch::Device;

use crate::config::{DiscriminatorSpec, ExperimentConfig, LrDecay, Schedule};
use crate::error::Result;
use crate::summary::Moments1d;
use crate::toy_eval;
use crate::Trainer;

/// What one (config, seed) run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedResult {
    /// The run's seed (the config's `seed`).
    pub seed: u64,
    /// Wall-clock training time, in seconds (measurement excluded).
    pub seconds: f64,
    /// 2-D: (modes covered, total modes, high-quality fraction, reverse KL).
    pub modes: Option<(usize, usize, f64, f64)>,
    /// 1-D: relative errors of the mean and the std.
    pub moments: Option<(f64, f64)>,
}

/// Train `config` to its step count on `device` and measure the generator.
pub fn train_and_measure(config: ExperimentConfig, device: Device) -> Result<SeedResult> {
    let started = Instant::now();
    let seed = config.seed;
    let mut trainer = Trainer::new(config, device)?;
    while trainer.step() < trainer.config().train.steps {
        trainer.train_step()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let modes = toy_eval::evaluate_modes(&trainer, toy_eval::MODE_EVAL_SAMPLES)?.map(|r| {
        (
            r.modes_covered,
            r.total_modes,
            r.high_quality_fraction,
            r.reverse_kl,
        )
    });
    tch::manual_seed(0);
    let moments = Moments1d::measure(&trainer).and_then(|m| m.errors());
    Ok(SeedResult {
        seed,
        seconds,
        modes,
        moments,
    })
}

impl SeedResult {
    /// One line for the progress log.
    pub fn summary_line(&self) -> String {
        let mut s = format!("{:.1} s", self.seconds);
        if let Some((m, t, hq, rkl)) = self.modes {
            s += &format!(
                ", {m}/{t} modes, {:.1}% high quality, reverse KL {rkl:.3}",
                hq * 100.0
            );
        }
        if let Some((me, se)) = self.moments {
            s += &format!(
                ", mean error {:.2}%, std error {:.2}%",
                me * 100.0,
                se * 100.0
            );
        }
        s
    }
}

/// Mean and sample std (n − 1) of `v`; the std of one value is 0. `None` when empty.
pub fn mean_and_std(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some((mean, std))
}

/// `mean ± std` of `v` with `digits` decimals; `–` when empty.
pub fn format_mean_std(v: &[f64], digits: usize) -> String {
    match mean_and_std(v) {
        Some((mean, std)) => format!("{mean:.digits$} ± {std:.digits$}"),
        None => "–".into(),
    }
}

/// One config's row of the comparison table: every figure as mean ± std over seeds.
pub struct ConfigRow<'a> {
    /// The config's name (first column).
    pub name: &'a str,
    /// Its loss and stabilizers in a few words, as [`describe`] writes them.
    pub trick: &'a str,
    /// Generator steps each seed was trained for.
    pub steps: u64,
    /// One result per seed; the row shows their mean ± sample std.
    pub results: &'a [SeedResult],
}

impl ConfigRow<'_> {
    /// The Markdown table's header (two lines).
    pub const MARKDOWN_HEADER: &'static str = "| config | loss / trick | steps | modes (mean ± std) | HQ % (mean ± std) | reverse KL | mean err % | std err % |\n|---|---|---|---|---|---|---|---|\n";

    /// The row in Markdown.
    pub fn markdown(&self) -> String {
        let col = |f: &dyn Fn(&SeedResult) -> Option<f64>| -> Vec<f64> {
            self.results.iter().filter_map(f).collect()
        };
        let modes = col(&|r| r.modes.map(|m| m.0 as f64));
        let total = self.results.iter().find_map(|r| r.modes.map(|m| m.1));
        let modes_cell = match total {
            Some(t) => format!("{} / {t}", format_mean_std(&modes, 1)),
            None => "–".into(),
        };
        format!(
            "| {} | {} | {} | {modes_cell} | {} | {} | {} | {} |",
            self.name,
            self.trick,
            self.steps,
            format_mean_std(&col(&|r| r.modes.map(|m| m.2 * 100.0)), 1),
            format_mean_std(&col(&|r| r.modes.map(|m| m.3)), 3),
            format_mean_std(&col(&|r| r.moments.map(|m| m.0 * 100.0)), 2),
            format_mean_std(&col(&|r| r.moments.map(|m| m.1 * 100.0)), 2),
        )
    }
}

/// The CSV table's header line.
pub const CSV_HEADER: &str = "config,trick,seed,steps,seconds,modes_covered,total_modes,high_quality,reverse_kl,mean_rel_error,std_rel_error\n";

/// One seed's CSV line (NaN where a figure does not apply).
pub fn csv_line(name: &str, trick: &str, steps: u64, r: &SeedResult) -> String {
    let nan = f64::NAN;
    let (mc, tm, hq, rkl) = r
        .modes
        .map_or((nan, nan, nan, nan), |m| (m.0 as f64, m.1 as f64, m.2, m.3));
    let (me, se) = r.moments.unwrap_or((nan, nan));
    format!(
        "{name},{trick},{},{steps},{:.2},{mc},{tm},{hq},{rkl},{me},{se}\n",
        r.seed, r.seconds
    )
}

/// A short description of the loss and the stabilizers a config turns on.
pub fn describe(c: &ExperimentConfig) -> String {
    let t = &c.train;
    let mut parts = vec![c.loss.kind.to_string()];
    if c.loss.real_target < 1.0 {
        parts.push(format!("smooth {}", c.loss.real_target));
    }
    match t.schedule {
        Schedule::Alternating if t.d_steps > 1 => parts.push(format!("k={}", t.d_steps)),
        Schedule::Alternating => {}
        Schedule::Simultaneous => parts.push("simultaneous".into()),
        Schedule::Unrolled => parts.push(format!("unrolled {}", t.unrolled_steps)),
    }
    if t.weight_clip > 0.0 {
        parts.push(format!("clip {}", t.weight_clip));
    }
    if t.gradient_penalty > 0.0 {
        parts.push(format!("GP {}", t.gradient_penalty));
    }
    if let DiscriminatorSpec::Mlp(d) = &c.discriminator {
        if d.minibatch_discrimination.is_some() {
            parts.push("minibatch disc".into());
        }
        if d.minibatch_std {
            parts.push("minibatch std".into());
        }
        if d.dropout > 0.0 {
            parts.push(format!("dropout {}", d.dropout));
        }
    }
    if c.optim.discriminator.weight_decay > 0.0 {
        parts.push(format!("L2 {}", c.optim.discriminator.weight_decay));
    }
    if t.feature_matching {
        parts.push("feature matching".into());
    }
    if t.historical_averaging > 0.0 {
        parts.push(format!("hist. avg {}", t.historical_averaging));
    }
    if t.lr_decay == LrDecay::Linear {
        parts.push("lr decay".into());
    }
    if t.ema > 0.0 {
        parts.push(format!("EMA {}", t.ema));
    }
    parts.join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_std() {
        assert_eq!(format_mean_std(&[8.0, 8.0, 7.0, 8.0, 8.0], 1), "7.8 ± 0.4");
        assert_eq!(format_mean_std(&[3.0], 2), "3.00 ± 0.00");
        assert_eq!(format_mean_std(&[], 1), "–");
    }

    #[test]
    fn rows_aggregate_seeds() {
        let r = |seed, modes| SeedResult {
            seed,
            seconds: 1.0,
            modes: Some((modes, 8, 0.5, 0.1)),
            moments: None,
        };
        let results = [r(1, 8), r(2, 7)];
        let row = ConfigRow {
            name: "ring",
            trick: "hinge",
            steps: 100,
            results: &results,
        };
        assert_eq!(
            row.markdown(),
            "| ring | hinge | 100 | 7.5 ± 0.7 / 8 | 50.0 ± 0.0 | 0.100 ± 0.000 | – | – |"
        );
        assert_eq!(
            csv_line("ring", "hinge", 100, &results[0]),
            "ring,hinge,1,100,1.00,8,8,0.5,0.1,NaN,NaN\n"
        );
    }

    #[test]
    fn describe_names_loss_and_tricks() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../configs/ring-unrolled.toml"
        ))
        .unwrap();
        let c = ExperimentConfig::from_toml_str(
            &text,
            &[
                "discriminator.minibatch_std=true".into(),
                "loss.real_target=0.9".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            describe(&c),
            "non_saturating + smooth 0.9 + unrolled 5 + minibatch std + lr decay + EMA 0.999"
        );
    }
}
