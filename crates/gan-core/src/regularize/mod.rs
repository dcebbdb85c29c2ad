//! Regularizers that stabilize adversarial training: the WGAN-GP gradient penalty, WGAN
//! weight clipping, historical averaging of parameters and the feature-matching loss.

mod clip;
mod feature_matching;
mod gradient_penalty;
mod historical;

pub use clip::clip_weights;
pub use feature_matching::feature_matching_loss;
pub use gradient_penalty::gradient_penalty;
pub use historical::HistoricalAverage;
