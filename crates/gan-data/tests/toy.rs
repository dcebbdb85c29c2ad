//! Toy distributions: moments, geometry, reproducibility, resume, validation, serde.

use gan_data::{DataError, Source, ToyConfig, ToySource};

fn values(b: &gan_data::Batch) -> Vec<f32> {
    Vec::<f32>::try_from(&b.x.flatten(0, -1)).unwrap()
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt())
}

#[test]
fn gaussian_moments() {
    let mut s = ToySource::new(
        ToyConfig::Gaussian {
            mean: 4.0,
            std: 0.5,
        },
        1,
    )
    .unwrap();
    assert_eq!(s.sample_shape(), vec![1]);
    assert_eq!(s.num_classes(), None);
    let b = s.next_batch(20_000).unwrap();
    assert_eq!(b.x.size(), vec![20_000, 1]);
    assert_eq!(b.x.kind(), tch::Kind::Float);
    assert!(b.y.is_none());
    let v: Vec<f64> = values(&b).into_iter().map(f64::from).collect();
    let (m, sd) = mean_std(&v);
    // Standard error of the mean is 0.5/sqrt(20000) ≈ 0.0035.
    assert!((m - 4.0).abs() < 0.02, "mean {m}");
    assert!((sd - 0.5).abs() < 0.015, "std {sd}");
}

#[test]
fn bimodal_mixture_weights_and_moments() {
    let cfg = ToyConfig::Mixture1d {
        means: vec![-3.0, 3.0],
        stds: vec![0.5, 1.0],
        weights: Some(vec![1.0, 3.0]),
    };
    let (tm, ts) = cfg.mean_std_1d().unwrap();
    assert!((tm - 1.5).abs() < 1e-12);
    // var = 0.25*(0.5² + 4.5²) + 0.75*(1² + 1.5²) = 5.125 + 2.4375 = 7.5625 = 2.75²
    assert!((ts - 2.75).abs() < 1e-12, "{ts}");
    let mut s = ToySource::new(cfg, 9).unwrap();
    let (b, comps) = s.sample_with_components(20_000).unwrap();
    let frac1 = comps.iter().filter(|&&c| c == 1).count() as f64 / comps.len() as f64;
    assert!((frac1 - 0.75).abs() < 0.015, "component-1 fraction {frac1}");
    let v: Vec<f64> = values(&b).into_iter().map(f64::from).collect();
    // Each sample lies near the mode it was drawn from.
    for (x, c) in v.iter().zip(&comps) {
        let (m, sd) = if *c == 0 { (-3.0, 0.5) } else { (3.0, 1.0) };
        assert!((x - m).abs() < 6.0 * sd, "{x} from component {c}");
    }
    let (m, sd) = mean_std(&v);
    assert!((m - tm).abs() < 0.06, "mean {m} vs {tm}");
    assert!((sd - ts).abs() < 0.05, "std {sd} vs {ts}");
}

#[test]
fn density_1d_integrates_to_one_and_matches_components() {
    let cfg = ToyConfig::Mixture1d {
        means: vec![-2.0, 2.0],
        stds: vec![0.5, 0.5],
        weights: None,
    };
    let dx = 0.001;
    let total: f64 = (0..20_000)
        .map(|i| cfg.density_1d(-10.0 + i as f64 * dx).unwrap() * dx)
        .sum();
    assert!((total - 1.0).abs() < 1e-6, "integral {total}");
    let peak = cfg.density_1d(2.0).unwrap();
    let expect = 0.5 / (0.5 * (2.0 * std::f64::consts::PI).sqrt());
    assert!((peak - expect).abs() < 1e-6, "{peak} vs {expect}");
    assert!(cfg.density_1d(0.0).unwrap() < 1e-3);
    assert!(ToyConfig::ring().density_1d(0.0).is_none());
}

#[test]
fn ring_defaults_and_samples() {
    let cfg: ToyConfig = toml::from_str(r#"kind = "ring""#).unwrap();
    assert_eq!(cfg, ToyConfig::ring());
    assert_eq!(cfg.dim(), 2);
    assert_eq!(cfg.mode_std(), 0.01);
    let modes = cfg.modes();
    assert_eq!(modes.len(), 8);
    assert!((modes[0][0] - 1.0).abs() < 1e-12 && modes[0][1].abs() < 1e-12);
    assert!(modes[2][0].abs() < 1e-12 && (modes[2][1] - 1.0).abs() < 1e-12);
    let h = std::f64::consts::FRAC_1_SQRT_2;
    assert!((modes[1][0] - h).abs() < 1e-12 && (modes[1][1] - h).abs() < 1e-12);

    let mut s = ToySource::new(cfg, 3).unwrap();
    assert_eq!(s.sample_shape(), vec![2]);
    let (b, comps) = s.sample_with_components(2_500).unwrap();
    assert_eq!(b.x.size(), vec![2_500, 2]);
    let v = values(&b);
    let mut seen = [0usize; 8];
    for (p, c) in v.chunks(2).zip(&comps) {
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        let r = (x * x + y * y).sqrt();
        assert!((r - 1.0).abs() < 0.06, "radius {r}");
        let m = &modes[*c];
        let d = ((x - m[0]).powi(2) + (y - m[1]).powi(2)).sqrt();
        assert!(d < 0.06, "distance {d} to its mode");
        seen[*c] += 1;
    }
    // Uniform weights: each of 8 modes gets ~312 of 2500.
    assert!(seen.iter().all(|&k| (230..400).contains(&k)), "{seen:?}");
}

#[test]
fn grid_defaults_and_samples() {
    let cfg: ToyConfig = serde_json::from_str(r#"{"kind":"grid"}"#).unwrap();
    assert_eq!(cfg, ToyConfig::grid());
    let modes = cfg.modes();
    assert_eq!(modes.len(), 25);
    assert_eq!(modes[0], vec![-4.0, -4.0]);
    assert_eq!(modes[1], vec![-4.0, -2.0]);
    assert_eq!(modes[24], vec![4.0, 4.0]);
    assert_eq!(cfg.mode_std(), 0.05);
    let mut s = ToySource::new(cfg, 5).unwrap();
    let b = s.next_batch(2_500).unwrap();
    let v = values(&b);
    let mut covered = [false; 25];
    for p in v.chunks(2) {
        let (k, d) = modes
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let d =
                    ((f64::from(p[0]) - m[0]).powi(2) + (f64::from(p[1]) - m[1]).powi(2)).sqrt();
                (k, d)
            })
            .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        assert!(d < 0.3, "sample {p:?} is {d} from the nearest centre");
        covered[k] = true;
    }
    assert!(covered.iter().all(|&c| c));
}

#[test]
fn same_seed_same_stream_other_seed_differs() {
    let cfg = ToyConfig::ring();
    let mut a = ToySource::new(cfg.clone(), 42).unwrap();
    let mut b = ToySource::new(cfg.clone(), 42).unwrap();
    let mut c = ToySource::new(cfg, 43).unwrap();
    for _ in 0..3 {
        let (xa, xb, xc) = (
            a.next_batch(64).unwrap(),
            b.next_batch(64).unwrap(),
            c.next_batch(64).unwrap(),
        );
        assert!(xa.x.equal(&xb.x));
        assert!(!xa.x.equal(&xc.x));
    }
    // Consecutive batches differ.
    let (x1, x2) = (a.next_batch(64).unwrap(), a.next_batch(64).unwrap());
    assert!(!x1.x.equal(&x2.x));
}

#[test]
fn state_restore_reproduces_continuation() {
    let cfg = ToyConfig::Mixture1d {
        means: vec![-1.0, 1.0],
        stds: vec![0.1, 0.2],
        weights: None,
    };
    let mut a = ToySource::new(cfg.clone(), 11).unwrap();
    a.next_batch(10).unwrap();
    a.next_batch(33).unwrap();
    let st = a.state();
    assert_eq!(st.draws, 2);
    let json = serde_json::to_string(&st).unwrap();
    let expected: Vec<_> = (0..3).map(|_| a.next_batch(17).unwrap()).collect();

    let mut b = ToySource::new(cfg, 11).unwrap();
    b.restore(&serde_json::from_str(&json).unwrap()).unwrap();
    for e in &expected {
        assert!(b.next_batch(17).unwrap().x.equal(&e.x));
    }
    assert_eq!(a.state(), b.state());

    let bad = gan_data::SourceState {
        epoch: 1,
        position: 5,
        draws: 0,
    };
    assert!(matches!(
        b.restore(&bad),
        Err(DataError::InvalidConfig { .. })
    ));
}

fn field_of(cfg: ToyConfig) -> String {
    match ToySource::new(cfg, 0) {
        Err(DataError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn validation_names_the_field() {
    assert_eq!(
        field_of(ToyConfig::Gaussian {
            mean: 0.0,
            std: 0.0
        }),
        "gaussian.std"
    );
    assert_eq!(
        field_of(ToyConfig::Gaussian {
            mean: f64::NAN,
            std: 1.0
        }),
        "gaussian.mean"
    );
    assert_eq!(
        field_of(ToyConfig::Mixture1d {
            means: vec![],
            stds: vec![],
            weights: None
        }),
        "mixture1d.means"
    );
    assert_eq!(
        field_of(ToyConfig::Mixture1d {
            means: vec![0.0, 1.0],
            stds: vec![1.0],
            weights: None
        }),
        "mixture1d.stds"
    );
    assert_eq!(
        field_of(ToyConfig::Mixture1d {
            means: vec![0.0, 1.0],
            stds: vec![1.0, -1.0],
            weights: None
        }),
        "mixture1d.stds[1]"
    );
    assert_eq!(
        field_of(ToyConfig::Mixture1d {
            means: vec![0.0, 1.0],
            stds: vec![1.0, 1.0],
            weights: Some(vec![1.0, -0.5])
        }),
        "mixture1d.weights[1]"
    );
    assert_eq!(
        field_of(ToyConfig::Mixture1d {
            means: vec![0.0, 1.0],
            stds: vec![1.0, 1.0],
            weights: Some(vec![0.0, 0.0])
        }),
        "mixture1d.weights"
    );
    assert_eq!(
        field_of(ToyConfig::Ring {
            modes: 0,
            radius: 1.0,
            std: 0.01
        }),
        "ring.modes"
    );
    assert_eq!(
        field_of(ToyConfig::Ring {
            modes: 8,
            radius: 1.0,
            std: -0.01
        }),
        "ring.std"
    );
    assert_eq!(
        field_of(ToyConfig::Grid {
            side: usize::MAX,
            spacing: 2.0,
            std: 0.05
        }),
        "grid.side"
    );
    assert_eq!(
        field_of(ToyConfig::Mixture2d {
            centers: vec![[0.0, 0.0]],
            std: Some(0.1),
            stds: Some(vec![0.1]),
            weights: None
        }),
        "mixture2d.std"
    );
    let e = ToySource::new(
        ToyConfig::Gaussian {
            mean: 0.0,
            std: -2.0,
        },
        0,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("gaussian.std") && e.to_string().contains("-2"),
        "{e}"
    );

    let mut s = ToySource::new(ToyConfig::ring(), 0).unwrap();
    assert!(matches!(
        s.next_batch(0),
        Err(DataError::InvalidConfig { .. })
    ));
    assert!(matches!(
        s.next_batch(1 << 40),
        Err(DataError::InvalidConfig { .. })
    ));
}

#[test]
fn serde_rejects_unknown_fields_and_kinds() {
    assert!(toml::from_str::<ToyConfig>("kind = \"ring\"\nmodez = 3").is_err());
    assert!(toml::from_str::<ToyConfig>("kind = \"spiral\"").is_err());
    let cfg: ToyConfig = toml::from_str(
        "kind = \"mixture2d\"\ncenters = [[0.0, 1.0], [2.0, 3.0]]\nstds = [0.1, 0.2]\nweights = [1.0, 1.0]",
    )
    .unwrap();
    assert_eq!(cfg.modes(), vec![vec![0.0, 1.0], vec![2.0, 3.0]]);
    assert_eq!(cfg.mode_stds(), vec![0.1, 0.2]);
    assert_eq!(cfg.mode_std(), 0.2);
    let ring: ToyConfig = toml::from_str("kind = \"ring\"\nmodes = 4\nstd = 0.02").unwrap();
    assert_eq!(
        ring,
        ToyConfig::Ring {
            modes: 4,
            radius: 1.0,
            std: 0.02
        }
    );
    // Round trip.
    let back: ToyConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
}
