//! Regularizers that stabilize adversarial training: the WGAN-GP gradient penalty, WGAN
//! weight clipping, historical averaging of parameters, the feature-matching loss and
//! EBGAN's pulling-away term.

mod clip;
mod feature_matching;
mod gradient_penalty;
mod historical;
mod pulling_away;

pub use clip::clip_weights;
pub use feature_matching::feature_matching_loss;
pub use gradient_penalty::gradient_penalty;
pub use historical::HistoricalAverage;
pub use pulling_away::pulling_away_term;
