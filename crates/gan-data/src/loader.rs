//! [`ShuffledLoader`]: an endless, epoch-by-epoch shuffled stream of batches from an
//! [`ImageDataset`].
//!
//! Epoch `e` visits the samples in the order of a permutation drawn by a ChaCha8 generator
//! seeded with the loader's seed on stream `e` (a Rust RNG, independent of torch's), so the
//! whole stream is a function of the seed and the cursor `(epoch, position)` is all a
//! checkpoint needs.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::Tensor;

use crate::batch::{check_batch_size, Batch, Source, SourceState};
use crate::dataset::ImageDataset;
use crate::error::DataError;

/// Shuffled, labelled batches of a dataset, epoch after epoch.
///
/// Within an epoch batches are consecutive slices of the epoch's permutation. At the end of an
/// epoch, with `drop_last` the remainder smaller than the requested batch size is skipped;
/// without it the remainder is returned as a smaller batch. The next call starts the next
/// epoch.
///
/// ```
/// use gan_data::{ImageDataset, ShuffledLoader, Source};
///
/// // Five 1×2×2 images, image i filled with byte 10·i, labelled i.
/// let pixels: Vec<u8> = (0..5u8).flat_map(|i| [10 * i; 4]).collect();
/// let ds = ImageDataset::from_bytes(&pixels, [1, 2, 2], &[0, 1, 2, 3, 4], 5).unwrap();
/// let mut loader = ShuffledLoader::new(ds, 42, false).unwrap();
/// assert_eq!((loader.sample_shape(), loader.num_classes()), (vec![1, 2, 2], Some(5)));
///
/// let first = loader.next_batch(3).unwrap();
/// assert_eq!(first.x.size(), [3, 1, 2, 2]);
/// // Without drop_last the epoch's remainder comes as a smaller batch ...
/// let rest = loader.next_batch(3).unwrap();
/// assert_eq!(rest.len(), 2);
/// // ... and together the two batches hold every sample once.
/// let mut seen: Vec<i64> = first.y.unwrap().try_into().unwrap();
/// seen.extend(Vec::<i64>::try_from(rest.y.unwrap()).unwrap());
/// seen.sort();
/// assert_eq!(seen, [0, 1, 2, 3, 4]);
/// assert_eq!(loader.state().epoch, 0);
/// loader.next_batch(3).unwrap();
/// assert_eq!(loader.state().epoch, 1);
/// ```
#[derive(Debug)]
pub struct ShuffledLoader {
    dataset: ImageDataset,
    seed: u64,
    drop_last: bool,
    epoch: u64,
    position: u64,
    draws: u64,
    perm: Vec<i64>,
}

impl ShuffledLoader {
    /// A loader at the start of epoch 0. The dataset must not be empty.
    pub fn new(dataset: ImageDataset, seed: u64, drop_last: bool) -> Result<Self, DataError> {
        if dataset.is_empty() {
            return Err(DataError::invalid(
                "dataset",
                "is empty; a loader needs at least one sample",
            ));
        }
        let perm = permutation(dataset.len(), seed, 0);
        Ok(ShuffledLoader {
            dataset,
            seed,
            drop_last,
            epoch: 0,
            position: 0,
            draws: 0,
            perm,
        })
    }

    /// The dataset this loader draws from.
    pub fn dataset(&self) -> &ImageDataset {
        &self.dataset
    }

    /// The sample order of the current epoch.
    pub fn epoch_permutation(&self) -> &[i64] {
        &self.perm
    }

    fn start_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.position = 0;
        self.perm = permutation(self.dataset.len(), self.seed, epoch);
    }
}

/// The permutation of `0..n` for `epoch`.
fn permutation(n: i64, seed: u64, epoch: u64) -> Vec<i64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    let mut perm: Vec<i64> = (0..n).collect();
    perm.shuffle(&mut rng);
    perm
}

impl Source for ShuffledLoader {
    fn sample_shape(&self) -> Vec<i64> {
        self.dataset.image_shape()
    }

    fn num_classes(&self) -> Option<i64> {
        Some(self.dataset.num_classes)
    }

    fn next_batch(&mut self, batch_size: i64) -> Result<Batch, DataError> {
        let bs = check_batch_size(batch_size)?;
        let n = self.perm.len();
        if self.drop_last && bs > n {
            return Err(DataError::invalid(
                "batch_size",
                format!("{batch_size} exceeds the dataset's {n} samples and drop_last is set"),
            ));
        }
        let remaining = n - self.position as usize;
        if remaining == 0 || (self.drop_last && remaining < bs) {
            self.start_epoch(self.epoch + 1);
        }
        let start = self.position as usize;
        let take = bs.min(n - start);
        let ctx = "selecting a batch";
        let idx =
            Tensor::f_from_slice(&self.perm[start..start + take]).map_err(DataError::torch(ctx))?;
        let x = self
            .dataset
            .images
            .f_index_select(0, &idx)
            .map_err(DataError::torch(ctx))?;
        let y = self
            .dataset
            .labels
            .f_index_select(0, &idx)
            .map_err(DataError::torch(ctx))?;
        self.position += take as u64;
        self.draws += 1;
        Ok(Batch { x, y: Some(y) })
    }

    fn state(&self) -> SourceState {
        SourceState {
            epoch: self.epoch,
            position: self.position,
            draws: self.draws,
        }
    }

    fn restore(&mut self, state: &SourceState) -> Result<(), DataError> {
        let n = self.perm.len() as u64;
        if state.position > n {
            return Err(DataError::invalid(
                "source_state.position",
                format!(
                    "{} is past the end of the {n}-sample dataset (was the checkpoint made with another dataset?)",
                    state.position
                ),
            ));
        }
        self.start_epoch(state.epoch);
        self.position = state.position;
        self.draws = state.draws;
        Ok(())
    }
}
