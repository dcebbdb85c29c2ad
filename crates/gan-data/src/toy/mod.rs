//! Toy distributions: 1-D Gaussian and Gaussian mixtures, and the 2-D ring and grid of the
//! mode-coverage protocol (VEEGAN, PacGAN), as seeded infinite [`Source`](crate::Source)s.

mod config;
mod normal;
mod source;

pub use config::ToyConfig;
pub use normal::{normal_pdf, standard_normal_pair};
pub use source::{ToySource, MAX_TOY_BATCH};
