//! Evaluation metrics, pure functions on slices or tensors: mode coverage for the toy
//! mixtures, divergences between histograms (KL / JS / EMD), Fréchet distance and KID on
//! feature sets, and the Inception Score on class probabilities.

pub mod divergence;
pub mod frechet;
pub mod inception_score;
pub mod kid;
pub mod modes;
pub mod permutation;

pub use divergence::{emd_1d, emd_1d_samples, histogram, js_divergence, kl_divergence};
pub use frechet::{frechet_distance, FeatureStats};
pub use inception_score::{inception_score, inception_score_from_logits};
pub use kid::{kernel_inception_distance, kid_subsets, polynomial_kernel, KidEstimate};
pub use modes::{ModeReport, ModeSet};
pub use permutation::{best_permutation_accuracy, PermutationMatch};
