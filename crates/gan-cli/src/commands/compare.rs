//! `gan compare`: train several toy configs over several seeds in-process and tabulate
//! mode coverage (2-D: modes, % high-quality, reverse KL) or moment errors (1-D), as
//! mean ± std over seeds. Writes `compare.md` and `compare.csv`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use tch::Device;

use gan_train::config::{DiscriminatorSpec, LrDecay, Schedule};
use gan_train::{observe, run_dir, toy_eval, ExperimentConfig, Trainer};

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Toy experiment configs (TOML) to compare.
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// Run each config with seeds 1..=N.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Override `train.steps` of every config.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Override a value of every config, e.g. `--set train.ema=0.999`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Output directory. Default: runs/compare-<timestamp>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// What one (config, seed) run measured.
struct RunResult {
    seed: u64,
    seconds: f64,
    modes: Option<(usize, usize, f64, f64)>,
    moments: Option<(f64, f64)>,
}

/// Runs on `--device` when given, else on the CPU (one thread per run for toy data).
pub fn run(args: CompareArgs, cli_device: Option<&str>, quiet: bool) -> Result<()> {
    let device = super::resolve_device(cli_device, "cpu")?;
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let mut overrides = args.overrides.clone();
    if let Some(steps) = args.steps {
        overrides.push(format!("train.steps={steps}"));
    }
    // Load every config first so a typo fails before hours of training.
    let configs = args
        .configs
        .iter()
        .map(|p| ExperimentConfig::load(p, &overrides).with_context(|| p.display().to_string()))
        .collect::<Result<Vec<_>>>()?;
    if let Some((p, _)) = args
        .configs
        .iter()
        .zip(&configs)
        .find(|(_, c)| c.data.toy.is_none())
    {
        bail!(
            "{}: `gan compare` compares toy (1-D / 2-D) experiments",
            p.display()
        );
    }
    let out = match &args.out {
        Some(d) => d.clone(),
        None => run_dir::create_run_dir(&crate::default_runs_dir(), "compare")?,
    };
    run_dir::ensure_writable_dir(&out)?;

    let mut csv = String::from(
        "config,trick,seed,steps,seconds,modes_covered,total_modes,high_quality,reverse_kl,mean_rel_error,std_rel_error\n",
    );
    let mut md = String::from(
        "| config | loss / trick | steps | modes (mean ± std) | HQ % (mean ± std) | reverse KL | mean err % | std err % |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (path, base) in args.configs.iter().zip(&configs) {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| base.name.clone());
        let trick = describe(base);
        let mut results = Vec::new();
        for seed in 1..=args.seeds {
            let mut config = base.clone();
            config.seed = seed;
            let r = train_one(config, device)?;
            if !quiet {
                eprintln!("{name} seed {seed}: {}", summary_line(&r));
            }
            let (mc, tm, hq, rkl) = r
                .modes
                .map_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN), |m| {
                    (m.0 as f64, m.1 as f64, m.2, m.3)
                });
            let (me, se) = r.moments.unwrap_or((f64::NAN, f64::NAN));
            writeln!(
                csv,
                "{name},{trick},{},{},{:.2},{mc},{tm},{hq},{rkl},{me},{se}",
                r.seed, base.train.steps, r.seconds
            )?;
            results.push(r);
        }
        let col = |f: &dyn Fn(&RunResult) -> Option<f64>| -> Vec<f64> {
            results.iter().filter_map(f).collect()
        };
        let modes = col(&|r| r.modes.map(|m| m.0 as f64));
        let total = results.iter().find_map(|r| r.modes.map(|m| m.1));
        let hq = col(&|r| r.modes.map(|m| m.2 * 100.0));
        let rkl = col(&|r| r.modes.map(|m| m.3));
        let me = col(&|r| r.moments.map(|m| m.0 * 100.0));
        let se = col(&|r| r.moments.map(|m| m.1 * 100.0));
        let modes_cell = match total {
            Some(t) => format!("{} / {t}", pm(&modes, 1)),
            None => "–".into(),
        };
        writeln!(
            md,
            "| {name} | {trick} | {} | {modes_cell} | {} | {} | {} | {} |",
            base.train.steps,
            pm(&hq, 1),
            pm(&rkl, 3),
            pm(&me, 2),
            pm(&se, 2)
        )?;
    }
    println!("{md}");
    gan_train::checkpoint::write_atomically(&out.join("compare.md"), md.as_bytes())?;
    gan_train::checkpoint::write_atomically(&out.join("compare.csv"), csv.as_bytes())?;
    println!("written: {}", out.join("compare.md").display());
    Ok(())
}

fn train_one(config: ExperimentConfig, device: Device) -> Result<RunResult> {
    let started = Instant::now();
    let seed = config.seed;
    let target = config.data.toy.as_ref().and_then(|t| t.mean_std_1d());
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
    let moments = match (trainer.sample_shape() == [1], target) {
        (true, Some((tm, ts))) => {
            tch::manual_seed(0);
            let (m, s) = observe::generator_moments_1d(&trainer, 100_000);
            // Relative to |μ|, or to σ when the target mean is (near) zero.
            Some(((m - tm).abs() / tm.abs().max(ts), (s - ts).abs() / ts))
        }
        _ => None,
    };
    Ok(RunResult {
        seed,
        seconds,
        modes,
        moments,
    })
}

fn summary_line(r: &RunResult) -> String {
    let mut s = format!("{:.1} s", r.seconds);
    if let Some((m, t, hq, rkl)) = r.modes {
        let _ = write!(
            s,
            ", {m}/{t} modes, {:.1}% high quality, reverse KL {rkl:.3}",
            hq * 100.0
        );
    }
    if let Some((me, se)) = r.moments {
        let _ = write!(
            s,
            ", mean error {:.2}%, std error {:.2}%",
            me * 100.0,
            se * 100.0
        );
    }
    s
}

/// `mean ± std` (sample std) of `v` with `digits` decimals; `–` when empty.
fn pm(v: &[f64], digits: usize) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    format!("{mean:.digits$} ± {std:.digits$}")
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
    if let DiscriminatorSpec::Mlp {
        dropout,
        minibatch_discrimination,
        minibatch_std,
        ..
    } = &c.discriminator
    {
        if minibatch_discrimination.is_some() {
            parts.push("minibatch disc".into());
        }
        if *minibatch_std {
            parts.push("minibatch std".into());
        }
        if *dropout > 0.0 {
            parts.push(format!("dropout {dropout}"));
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
        assert_eq!(pm(&[8.0, 8.0, 7.0, 8.0, 8.0], 1), "7.8 ± 0.4");
        assert_eq!(pm(&[3.0], 2), "3.00 ± 0.00");
        assert_eq!(pm(&[], 1), "–");
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
