//! How a finished run's generator ended up: the figures `gan train` prints and saves as
//! `summary.json`. 1-D toy runs: the generator's mean and std over 100,000 samples and
//! their errors against the target; 2-D toy runs: mode coverage (see [`crate::toy_eval`]).

use gan_core::metrics::ModeReport;

use crate::error::Result;
use crate::observe::generator_moments_1d;
use crate::sampler::Sampler;
use crate::toy_eval;

/// Samples the 1-D moments are measured on.
pub const MOMENT_SAMPLES: i64 = 100_000;

/// Relative errors of a learned (mean, std) against a target (mean, std): the mean's
/// relative to |μ|, or to σ when the target mean is (near) zero; the std's relative to σ.
pub fn moment_errors(learned: (f64, f64), target: (f64, f64)) -> (f64, f64) {
    let ((m, s), (tm, ts)) = (learned, target);
    ((m - tm).abs() / tm.abs().max(ts), (s - ts).abs() / ts)
}

/// A 1-D generator's moments, and the target's when the distribution has them.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments1d {
    /// Mean of the generator's samples.
    pub mean: f64,
    /// Standard deviation of the generator's samples.
    pub std: f64,
    /// The data distribution's (mean, std), when it is a 1-D toy with known moments.
    pub target: Option<(f64, f64)>,
}

impl Moments1d {
    /// The moments of `MOMENT_SAMPLES` samples (torch's generator as seeded by the
    /// caller); `None` unless the run's samples are scalars.
    pub fn measure(model: &dyn Sampler) -> Option<Self> {
        if model.sample_shape() != [1] {
            return None;
        }
        let (mean, std) = generator_moments_1d(model, MOMENT_SAMPLES);
        let target = model
            .config()
            .data
            .toy
            .as_ref()
            .and_then(|t| t.mean_std_1d());
        Some(Moments1d { mean, std, target })
    }

    /// [`moment_errors`] against the target, if there is one.
    pub fn errors(&self) -> Option<(f64, f64)> {
        self.target.map(|t| moment_errors((self.mean, self.std), t))
    }
}

/// Everything `gan train` reports of a finished run.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The experiment's name.
    pub name: String,
    /// Generator updates completed.
    pub steps: u64,
    /// Wall-clock training time, in seconds.
    pub seconds: f64,
    /// The run's seed.
    pub seed: u64,
    /// Learned vs target moments, for 1-D toy runs.
    pub moments: Option<Moments1d>,
    /// Mode coverage and quality, for the 2-D ring / grid toys.
    pub modes: Option<ModeReport>,
}

impl RunSummary {
    /// Measure `model` after `seconds` of training.
    pub fn measure(model: &dyn Sampler, seconds: f64) -> Result<Self> {
        Ok(RunSummary {
            name: model.config().name.clone(),
            steps: model.step(),
            seconds,
            seed: model.config().seed,
            moments: Moments1d::measure(model),
            modes: toy_eval::evaluate_modes(model, toy_eval::MODE_EVAL_SAMPLES)?,
        })
    }

    /// The report as printed, one line each.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "trained `{}`: {} steps in {:.1} s",
            self.name, self.steps, self.seconds
        )];
        if let Some(m) = &self.moments {
            match (m.target, m.errors()) {
                (Some((tm, ts)), Some((em, es))) => {
                    out.push(format!(
                        "  generator mean {:.4}  (target {tm}, error {:.2}%)",
                        m.mean,
                        em * 100.0
                    ));
                    out.push(format!(
                        "  generator std  {:.4}  (target {ts}, error {:.2}%)",
                        m.std,
                        es * 100.0
                    ));
                }
                _ => out.push(format!("  generator mean {:.4}, std {:.4}", m.mean, m.std)),
            }
        }
        if let Some(r) = &self.modes {
            out.push(format!(
                "  modes covered {} / {}, high-quality samples {:.1}%, reverse KL {:.4} ({} samples)",
                r.modes_covered,
                r.total_modes,
                r.high_quality_fraction * 100.0,
                r.reverse_kl,
                r.num_samples
            ));
        }
        out
    }

    /// The report as `summary.json` holds it.
    pub fn to_json(&self) -> serde_json::Value {
        let mut summary = serde_json::json!({
            "name": self.name,
            "steps": self.steps,
            "seconds": self.seconds,
            "seed": self.seed,
        });
        if let Some(m) = &self.moments {
            summary["learned_mean"] = m.mean.into();
            summary["learned_std"] = m.std.into();
            if let (Some((tm, ts)), Some((em, es))) = (m.target, m.errors()) {
                summary["target_mean"] = tm.into();
                summary["target_std"] = ts.into();
                summary["mean_rel_error"] = em.into();
                summary["std_rel_error"] = es.into();
            }
        }
        if let Some(r) = &self.modes {
            summary["modes_covered"] = r.modes_covered.into();
            summary["total_modes"] = r.total_modes.into();
            summary["high_quality_fraction"] = r.high_quality_fraction.into();
            summary["reverse_kl"] = r.reverse_kl.into();
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moment_errors_by_hand() {
        // |4.1 − 4| / 4 and |1.0 − 1.25| / 1.25.
        let (em, es) = moment_errors((4.1, 1.0), (4.0, 1.25));
        assert!((em - 0.025).abs() < 1e-12 && (es - 0.2).abs() < 1e-12);
        // A zero target mean: relative to σ.
        let (em, _) = moment_errors((0.5, 2.0), (0.0, 2.0));
        assert!((em - 0.25).abs() < 1e-12);
    }

    #[test]
    fn summary_lines_and_json_agree() {
        let s = RunSummary {
            name: "g".into(),
            steps: 10,
            seconds: 1.5,
            seed: 3,
            moments: Some(Moments1d {
                mean: 4.1,
                std: 1.0,
                target: Some((4.0, 1.25)),
            }),
            modes: None,
        };
        let lines = s.lines();
        assert_eq!(lines[0], "trained `g`: 10 steps in 1.5 s");
        assert_eq!(lines[1], "  generator mean 4.1000  (target 4, error 2.50%)");
        assert_eq!(
            lines[2],
            "  generator std  1.0000  (target 1.25, error 20.00%)"
        );
        let j = s.to_json();
        assert_eq!(j["learned_mean"], 4.1);
        assert_eq!(
            j["std_rel_error"].as_f64().unwrap(),
            (1.0f64 - 1.25).abs() / 1.25
        );
        assert!(j.get("modes_covered").is_none());
    }
}
