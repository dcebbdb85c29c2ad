//! [`ToySource`]: an infinite, seeded stream of samples from a [`ToyConfig`].
//!
//! Batch `b` (counting from 0) is drawn from a ChaCha8 generator seeded with the source's seed
//! on stream `b`, so the stream is a pure function of `(seed, b)`: the cursor is just the
//! number of batches drawn, and restoring it reproduces the continuation exactly whatever the
//! batch sizes were.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::Tensor;

use super::config::ToyConfig;
use super::normal::standard_normal_pair;
use crate::batch::{check_batch_size, Batch, Source, SourceState};
use crate::error::DataError;

/// Largest batch a toy source will draw in one call (a guard against absurd allocations).
pub const MAX_TOY_BATCH: i64 = 1 << 24;

/// Infinite stream of samples of a toy distribution; `y` is `None`.
///
/// Batches are `[N, 1]` (1-D toys) or `[N, 2]` (2-D toys), float32 on the CPU.
///
/// ```
/// use gan_data::{Source, ToyConfig, ToySource};
///
/// // The default ring: 8 modes on the unit circle, std 0.01 each.
/// let ring: ToyConfig = toml::from_str(r#"kind = "ring""#).unwrap();
/// let mut source = ToySource::new(ring, 7).unwrap();
/// assert_eq!(source.sample_shape(), [2]);
///
/// let saved = source.state();
/// let batch = source.next_batch(64).unwrap();
/// assert_eq!(batch.x.size(), [64, 2]);
/// assert!(batch.y.is_none());
/// // Every sample lies close to the circle of radius 1.
/// let radius = batch.x.square().sum_dim_intlist(1, false, None).sqrt();
/// assert!((radius - 1.0).abs().max().double_value(&[]) < 0.1);
///
/// // Restoring the cursor replays the same stream.
/// source.restore(&saved).unwrap();
/// assert!(source.next_batch(64).unwrap().x.equal(&batch.x));
/// ```
#[derive(Debug, Clone)]
pub struct ToySource {
    config: ToyConfig,
    seed: u64,
    dim: usize,
    /// Mode centres, flattened `[num_modes * dim]`.
    centers: Vec<f64>,
    stds: Vec<f64>,
    /// Cumulative normalised weights; the last entry is 1.
    cumulative: Vec<f64>,
    draws: u64,
}

impl ToySource {
    /// Validates `config` and builds the source; the same `(config, seed)` always gives the
    /// same stream.
    pub fn new(config: ToyConfig, seed: u64) -> Result<Self, DataError> {
        config.validate()?;
        let dim = config.dim();
        let centers = config.modes().into_iter().flatten().collect();
        let stds = config.mode_stds();
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = config
            .weights()
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Ok(ToySource {
            config,
            seed,
            dim,
            centers,
            stds,
            cumulative,
            draws: 0,
        })
    }

    /// The distribution this source samples.
    pub fn config(&self) -> &ToyConfig {
        &self.config
    }

    /// The seed this source was built with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Like [`Source::next_batch`] (it advances the same stream), and also returns the index of
    /// the mixture component each sample was drawn from.
    pub fn sample_with_components(
        &mut self,
        batch_size: i64,
    ) -> Result<(Batch, Vec<usize>), DataError> {
        let n = check_batch_size(batch_size)?;
        if batch_size > MAX_TOY_BATCH {
            return Err(DataError::invalid(
                "batch_size",
                format!("{batch_size} exceeds the toy-source limit of {MAX_TOY_BATCH}"),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(self.draws);
        let mut values = Vec::with_capacity(n * self.dim);
        let mut components = Vec::with_capacity(n);
        for _ in 0..n {
            let u: f64 = rng.random();
            let k = self
                .cumulative
                .partition_point(|&c| c <= u)
                .min(self.cumulative.len() - 1);
            let (z0, z1) = standard_normal_pair(&mut rng);
            let s = self.stds[k];
            let c = &self.centers[k * self.dim..(k + 1) * self.dim];
            values.push((c[0] + s * z0) as f32);
            if self.dim == 2 {
                values.push((c[1] + s * z1) as f32);
            }
            components.push(k);
        }
        let x = Tensor::f_from_slice(&values)
            .and_then(|t| t.f_reshape([batch_size, self.dim as i64]))
            .map_err(DataError::torch("building a toy batch"))?;
        self.draws += 1;
        Ok((Batch { x, y: None }, components))
    }
}

impl Source for ToySource {
    fn sample_shape(&self) -> Vec<i64> {
        vec![self.dim as i64]
    }

    fn num_classes(&self) -> Option<i64> {
        None
    }

    fn next_batch(&mut self, batch_size: i64) -> Result<Batch, DataError> {
        self.sample_with_components(batch_size).map(|(b, _)| b)
    }

    fn state(&self) -> SourceState {
        SourceState {
            epoch: 0,
            position: 0,
            draws: self.draws,
        }
    }

    fn restore(&mut self, state: &SourceState) -> Result<(), DataError> {
        if state.epoch != 0 || state.position != 0 {
            return Err(DataError::invalid(
                "source_state",
                format!(
                    "a toy source has no epochs (epoch {} / position {} given); was it saved by a dataset loader?",
                    state.epoch, state.position
                ),
            ));
        }
        self.draws = state.draws;
        Ok(())
    }
}
