//! The classifier metrics behave like FID / KID / IS should: two halves of the real
//! Fashion-MNIST test set are close, real vs noise is far. Uses a tiny classifier trained
//! for a few hundred steps on a small subset (CI-fast); skipped when the Debian
//! Fashion-MNIST package is not installed.

use std::path::Path;

use tch::{Device, Kind, Tensor};

use gan_data::{load_from_dirs, DatasetName, Split, DEBIAN_FASHION_MNIST_DIR};
use gan_train::classifier::{Classifier, ClassifierConfig, FitOptions};
use gan_train::image_metrics::{fid, score, RealReference};

#[test]
fn fid_is_near_zero_for_real_vs_real_and_large_for_noise() {
    let dir = Path::new(DEBIAN_FASHION_MNIST_DIR);
    if !dir.join("t10k-images-idx3-ubyte.gz").is_file() {
        println!("skipped: no Fashion-MNIST in {}", dir.display());
        return;
    }
    // One thread: libtorch's spinning worker threads crawl on a busy 2-core CI box.
    tch::set_num_threads(1);
    let test =
        load_from_dirs(DatasetName::FashionMnist, &[dir.to_path_buf()], Split::Test).unwrap();
    let pick = |from: i64, n: i64| test.select(&(from..from + n).collect::<Vec<_>>()).unwrap();
    let train = pick(0, 3000);
    let (half_a, half_b) = (pick(3000, 1000), pick(4000, 1000));

    let mut c = Classifier::new(
        ClassifierConfig {
            width: 8,
            feature_dim: 32,
            ..ClassifierConfig::for_dataset(DatasetName::FashionMnist)
        },
        Device::Cpu,
    )
    .unwrap();
    let opts = FitOptions {
        max_steps: Some(250),
        batch_size: 64,
        seed: 1,
        ..FitOptions::default()
    };
    assert_eq!(c.fit(&train, &opts, |_, _| {}).unwrap(), 250);
    let acc = c.accuracy(&half_b).unwrap();
    assert!(acc > 0.65, "held-out accuracy {acc}");

    let reference = RealReference::new(&c, &half_a.images).unwrap();
    tch::manual_seed(0);
    let real = score(&c, &reference, &half_b.images).unwrap();
    let noise = Tensor::rand([1000, 1, 28, 28], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let fake = score(&c, &reference, &noise).unwrap();
    println!("real vs real {real:?}\nreal vs noise {fake:?}");
    assert!(real.fid < 0.02 * fake.fid, "{} vs {}", real.fid, fake.fid);
    assert!(real.kid_mean < 0.02 * fake.kid_mean);
    // Real images spread over the 10 classes with confident predictions; noise doesn't.
    assert!(real.inception_score > 3.0, "{}", real.inception_score);
    assert!(real.inception_score > 2.0 * fake.inception_score);
    // Only one class of real data: farther from the reference than the other half.
    let labels = half_b.labels_vec().unwrap();
    let shirts: Vec<i64> = (0..1000).filter(|&i| labels[i as usize] == 0).collect();
    let one_class = half_b.select(&shirts).unwrap();
    let mode_collapse = fid(&c, &reference, &one_class.images).unwrap();
    assert!(
        mode_collapse > 5.0 * real.fid,
        "{mode_collapse} vs {}",
        real.fid
    );
}
