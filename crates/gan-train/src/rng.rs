//! Deterministic randomness for resumable runs.
//!
//! libtorch's generator state cannot be saved through tch, so instead of saving it we
//! make it a pure function of `(seed, step)`: the trainer re-seeds torch at the start of
//! every step with [`step_seed`]. A run resumed at step `s` therefore draws exactly the
//! noise an uninterrupted run would have drawn.

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The torch seed used for training step `step` of a run seeded with `seed`.
pub fn step_seed(seed: u64, step: u64) -> i64 {
    // Keep it non-negative: torch takes an i64 seed.
    (mix64(seed ^ mix64(step.wrapping_add(1))) >> 1) as i64
}

/// Seed torch's global generators (CPU and CUDA) for `step`.
pub fn seed_step(seed: u64, step: u64) {
    tch::manual_seed(step_seed(seed, step));
}

/// A seed derived from the run seed for a named purpose (data order, fixed noise, ...),
/// so that independent streams don't share draws.
pub fn derived_seed(seed: u64, purpose: &str) -> u64 {
    purpose
        .bytes()
        .fold(mix64(seed), |h, b| mix64(h ^ u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_seeds_differ_between_steps_and_seeds() {
        let a = step_seed(1, 0);
        assert_ne!(a, step_seed(1, 1));
        assert_ne!(a, step_seed(2, 0));
        assert!(a >= 0);
        assert_eq!(a, step_seed(1, 0));
    }

    #[test]
    fn reseeding_replays_the_same_noise() {
        seed_step(7, 42);
        let a = tch::Tensor::randn([4], (tch::Kind::Float, tch::Device::Cpu));
        seed_step(7, 43);
        let b = tch::Tensor::randn([4], (tch::Kind::Float, tch::Device::Cpu));
        seed_step(7, 42);
        let c = tch::Tensor::randn([4], (tch::Kind::Float, tch::Device::Cpu));
        assert!(a.equal(&c));
        assert!(!a.equal(&b));
    }

    #[test]
    fn derived_seeds_depend_on_purpose() {
        assert_ne!(derived_seed(1, "data"), derived_seed(1, "noise"));
        assert_eq!(derived_seed(1, "data"), derived_seed(1, "data"));
    }
}
