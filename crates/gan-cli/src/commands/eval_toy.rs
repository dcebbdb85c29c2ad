//! `gan eval` for toy (1-D / 2-D) runs: compare generator samples with the real
//! distribution.

use anyhow::{bail, Result};
use tch::Kind;

use gan_train::{Inference, Sampler};

use super::eval::EvalArgs;

pub fn run(args: &EvalArgs, run: Inference) -> Result<()> {
    if run.sample_shape() == [2] {
        return eval_2d(args, &run);
    }
    tch::manual_seed(0);
    let fake = run.sample(args.n)?.to_kind(Kind::Double);
    let mut source = run
        .toy_source()?
        .ok_or_else(|| anyhow::anyhow!("not a toy run"))?;
    let real = source.next_batch(args.n)?.x.to_kind(Kind::Double);
    if fake.size()[1..] != [1] {
        bail!(
            "`gan eval` evaluates 1-D and 2-D toy runs; this run's samples have shape {:?}",
            &fake.size()[1..]
        );
    }
    let f: Vec<f64> = Vec::try_from(fake.flatten(0, -1))?;
    let r: Vec<f64> = Vec::try_from(real.flatten(0, -1))?;
    let lo = r.iter().chain(&f).cloned().fold(f64::INFINITY, f64::min);
    let hi = r
        .iter()
        .chain(&f)
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let bins = 50;
    let p = gan_core::metrics::histogram(&r, lo, hi, bins)?;
    let q = gan_core::metrics::histogram(&f, lo, hi, bins)?;
    let width = (hi - lo) / bins as f64;
    let report = serde_json::json!({
        "samples": args.n,
        "real_mean": mean(&r), "real_std": std(&r),
        "gen_mean": mean(&f), "gen_std": std(&f),
        "kl_real_gen": super::eval::figure(gan_core::metrics::kl_divergence(&p, &q)?),
        "js": super::eval::figure(gan_core::metrics::js_divergence(&p, &q)?),
        "emd": super::eval::figure(gan_core::metrics::emd_1d(&p, &q)? * width),
        "bins": bins,
    });
    super::eval::publish_report(&args.run, &report)
}

/// 2-D runs: mode coverage on 2,500 samples (the VEEGAN / PacGAN protocol; `--n` is
/// not used, so figures compare with the literature).
fn eval_2d(args: &EvalArgs, model: &Inference) -> Result<()> {
    let n = gan_train::toy_eval::MODE_EVAL_SAMPLES;
    let r = gan_train::toy_eval::evaluate_modes(model, n)?
        .ok_or_else(|| anyhow::anyhow!("this run's data has no known modes to evaluate"))?;
    let report = serde_json::json!({
        "samples": r.num_samples,
        "step": model.step(),
        "ema": model.config().train.ema > 0.0,
        "modes_covered": r.modes_covered,
        "total_modes": r.total_modes,
        "high_quality": r.high_quality,
        "high_quality_fraction": r.high_quality_fraction,
        "reverse_kl": r.reverse_kl,
        "counts_per_mode": r.counts_per_mode,
    });
    super::eval::publish_report(&args.run, &report)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn std(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}
