//! ShuffledLoader: epochs, reproducibility and exact resume.

use gan_data::{DataError, ImageDataset, ShuffledLoader, Source, SourceState};

/// `n` 1×1×1 images whose pixel encodes the index (`i` as byte), labels `i % 10`.
fn indexed(n: usize) -> ImageDataset {
    let pixels: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    ImageDataset::from_bytes(&pixels, [1, 1, 1], &labels, 10).unwrap()
}

/// Recovers sample indices from a batch (pixel = i / 127.5 - 1).
fn indices(b: &gan_data::Batch) -> Vec<usize> {
    let v = Vec::<f32>::try_from(&b.x.flatten(0, -1)).unwrap();
    v.iter()
        .map(|x| ((x + 1.0) * 127.5).round() as usize)
        .collect()
}

#[test]
fn an_epoch_visits_every_index_once() {
    let mut l = ShuffledLoader::new(indexed(50), 1, false).unwrap();
    assert_eq!(l.sample_shape(), vec![1, 1, 1]);
    assert_eq!(l.num_classes(), Some(10));
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..4 {
        let b = l.next_batch(16).unwrap();
        let idx = indices(&b);
        // Labels travel with their images.
        let y = Vec::<i64>::try_from(b.y.as_ref().unwrap()).unwrap();
        for (i, l) in idx.iter().zip(&y) {
            assert_eq!((*i % 10) as i64, *l);
        }
        sizes.push(idx.len());
        seen.extend(idx);
    }
    assert_eq!(sizes, vec![16, 16, 16, 2]);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    assert_ne!(seen, (0..50).collect::<Vec<_>>(), "not shuffled");
    // Next epoch: new permutation.
    let b = l.next_batch(16).unwrap();
    assert_eq!(l.state().epoch, 1);
    assert_ne!(indices(&b), seen[..16].to_vec());
}

#[test]
fn drop_last_skips_the_remainder() {
    let mut l = ShuffledLoader::new(indexed(50), 1, true).unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.extend(indices(&l.next_batch(16).unwrap()));
    }
    let b = l.next_batch(16).unwrap();
    assert_eq!(indices(&b).len(), 16);
    assert_eq!(
        l.state(),
        SourceState {
            epoch: 1,
            position: 16,
            draws: 4
        }
    );
    let mut s = seen.clone();
    s.sort_unstable();
    s.dedup();
    assert_eq!(s.len(), 48);
    assert!(matches!(
        l.next_batch(51),
        Err(DataError::InvalidConfig { .. })
    ));
    assert!(matches!(
        l.next_batch(0),
        Err(DataError::InvalidConfig { .. })
    ));
}

#[test]
fn same_seed_same_batches() {
    let mut a = ShuffledLoader::new(indexed(40), 9, false).unwrap();
    let mut b = ShuffledLoader::new(indexed(40), 9, false).unwrap();
    let mut c = ShuffledLoader::new(indexed(40), 10, false).unwrap();
    let mut differs = false;
    for _ in 0..7 {
        let (ba, bb, bc) = (
            a.next_batch(12).unwrap(),
            b.next_batch(12).unwrap(),
            c.next_batch(12).unwrap(),
        );
        assert!(ba.x.equal(&bb.x));
        assert!(ba.y.as_ref().unwrap().equal(bb.y.as_ref().unwrap()));
        differs |= !ba.x.equal(&bc.x);
    }
    assert!(differs);
}

#[test]
fn restore_mid_epoch_reproduces_the_continuation() {
    let mut a = ShuffledLoader::new(indexed(30), 4, false).unwrap();
    for _ in 0..4 {
        a.next_batch(8).unwrap(); // 8, 8, 8, 6 → epoch 0 done
    }
    a.next_batch(8).unwrap(); // epoch 1, position 8
    let st = a.state();
    assert_eq!(
        st,
        SourceState {
            epoch: 1,
            position: 8,
            draws: 5
        }
    );
    let json = serde_json::to_string(&st).unwrap();
    let expected: Vec<_> = (0..6).map(|_| indices(&a.next_batch(8).unwrap())).collect();

    let mut b = ShuffledLoader::new(indexed(30), 4, false).unwrap();
    b.restore(&serde_json::from_str(&json).unwrap()).unwrap();
    let got: Vec<_> = (0..6).map(|_| indices(&b.next_batch(8).unwrap())).collect();
    assert_eq!(got, expected);
    assert_eq!(a.state(), b.state());

    let bad = SourceState {
        epoch: 0,
        position: 31,
        draws: 0,
    };
    assert!(matches!(
        b.restore(&bad),
        Err(DataError::InvalidConfig { .. })
    ));
}

#[test]
fn sources_are_send_and_boxable() {
    fn assert_send<T: Send>() {}
    assert_send::<ShuffledLoader>();
    assert_send::<gan_data::ToySource>();
    let mut boxed: Box<dyn Source> = Box::new(ShuffledLoader::new(indexed(5), 0, false).unwrap());
    assert_eq!(boxed.next_batch(3).unwrap().len(), 3);
    assert_eq!(boxed.state().draws, 1);
}

#[test]
fn empty_dataset_is_rejected() {
    let ds = ImageDataset::from_bytes(&[], [1, 1, 1], &[], 10).unwrap();
    assert!(matches!(
        ShuffledLoader::new(ds, 0, false),
        Err(DataError::InvalidConfig { .. })
    ));
}
