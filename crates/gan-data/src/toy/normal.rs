//! Standard normal draws by the Box–Muller transform (no `rand_distr` in the workspace).

use rand::Rng;

/// Two independent standard normal draws from two uniform draws (Box–Muller).
///
/// With `u1` uniform on (0, 1] and `u2` uniform on [0, 1):
/// `r = sqrt(-2 ln u1)`, `θ = 2π u2`, and `(r cos θ, r sin θ)` are independent N(0, 1).
/// `u1` excludes 0 so the logarithm is always finite.
pub fn standard_normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2 = rng.random::<f64>(); // [0, 1)
    let r = (-2.0 * u1.ln()).sqrt();
    let theta = std::f64::consts::TAU * u2;
    (r * theta.cos(), r * theta.sin())
}

/// Density of N(mean, std²) at `x`.
pub fn normal_pdf(x: f64, mean: f64, std: f64) -> f64 {
    let z = (x - mean) / std;
    (-0.5 * z * z).exp() / (std * (std::f64::consts::TAU).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn box_muller_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 50_000;
        let (mut s, mut s2, mut cross) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let (a, b) = standard_normal_pair(&mut rng);
            s += a + b;
            s2 += a * a + b * b;
            cross += a * b;
        }
        let m = s / (2 * n) as f64;
        let var = s2 / (2 * n) as f64 - m * m;
        assert!(m.abs() < 0.02, "mean {m}");
        assert!((var - 1.0).abs() < 0.03, "var {var}");
        assert!(
            (cross / n as f64).abs() < 0.02,
            "correlation {}",
            cross / n as f64
        );
    }

    #[test]
    fn pdf_peak_and_symmetry() {
        let p = normal_pdf(0.0, 0.0, 1.0);
        assert!((p - 0.398_942_280_4).abs() < 1e-9);
        assert!((normal_pdf(1.3, 2.0, 0.5) - normal_pdf(2.7, 2.0, 0.5)).abs() < 1e-12);
    }
}
