//! Integration tests for the DCGAN generator / discriminator.

use gan_models::{DcganConfig, Discriminator, Generator, MinibatchDiscriminationConfig, Norm};
use tch::{nn, Device, Kind, Tensor};

fn small(channels: i64, size: i64) -> DcganConfig {
    DcganConfig {
        latent_dim: 8,
        ngf: 4,
        ndf: 4,
        vbn_reference_size: 8,
        ..DcganConfig::new(channels, size)
    }
}

fn trainable_count(vs: &nn::VarStore) -> i64 {
    vs.trainable_variables()
        .iter()
        .map(|t| t.numel() as i64)
        .sum()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn shapes_for_all_sizes_and_channels() {
    tch::manual_seed(0);
    for size in [28, 32, 64] {
        for channels in [1, 3] {
            let vs = nn::VarStore::new(Device::Cpu);
            let cfg = small(channels, size);
            let g = cfg.build_generator(&(vs.root() / "gen")).unwrap();
            let d = cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
            assert_eq!(g.latent_dim(), 8);
            let z = Tensor::randn([3, 8], tch::kind::FLOAT_CPU);
            let x = g.generate(&z, None, true);
            assert_eq!(x.size(), vec![3, channels, size, size], "size {size}");
            assert_eq!(cfg.image_shape().to_vec(), x.size()[1..].to_vec());
            // tanh output: strictly inside (-1, 1).
            assert!(x.abs().max().double_value(&[]) < 1.0);
            let out = d.discriminate(&x, None, true);
            assert_eq!(out.score.size(), vec![3]);
            // Features: last block, ndf * mult channels at 4x4 (7x7 for 28).
            let (ch, sp) = match size {
                64 => (32, 4),
                32 => (16, 4),
                _ => (8, 7),
            };
            assert_eq!(d.feature_dim(), ch * sp * sp);
            assert_eq!(out.features.unwrap().size(), vec![3, ch * sp * sp]);
            // z may also be given as [N, nz, 1, 1] like in PyTorch.
            let x4 = g.generate(&z.reshape([3, 8, 1, 1]), None, false);
            assert_eq!(x4.size(), vec![3, channels, size, size]);
        }
    }
}

#[test]
fn tanh_range_holds_for_large_inputs() {
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let g = small(1, 28).build_generator(&vs.root()).unwrap();
    let x = g.generate(
        &(Tensor::randn([4, 8], tch::kind::FLOAT_CPU) * 50.0),
        None,
        true,
    );
    assert!(x.max().double_value(&[]) <= 1.0 && x.min().double_value(&[]) >= -1.0);
}

/// PyTorch's DCGAN example with nz = 100, ngf = ndf = 64, nc = 3.
///
/// G: ConvT weights 100·512·16 + 512·256·16 + 256·128·16 + 128·64·16 + 64·3·16
///    = 819,200 + 2,097,152 + 524,288 + 131,072 + 3,072 = 3,574,784, plus batch-norm
///    affine 2·(512 + 256 + 128 + 64) = 1,920 → 3,576,704.
/// D: Conv weights 3·64·16 + 64·128·16 + 128·256·16 + 256·512·16 + 512·1·16
///    = 3,072 + 131,072 + 524,288 + 2,097,152 + 8,192 = 2,763,776, plus batch-norm
///    affine 2·(128 + 256 + 512) = 1,792 → 2,765,568.
#[test]
fn parameter_counts_match_pytorch_example() {
    let g_conv: i64 = [(100, 512), (512, 256), (256, 128), (128, 64), (64, 3)]
        .iter()
        .map(|(i, o)| i * o * 16)
        .sum();
    let g_bn: i64 = 2 * (512 + 256 + 128 + 64);
    assert_eq!(g_conv + g_bn, 3_576_704);
    let d_conv: i64 = [(3, 64), (64, 128), (128, 256), (256, 512), (512, 1)]
        .iter()
        .map(|(i, o)| i * o * 16)
        .sum();
    let d_bn: i64 = 2 * (128 + 256 + 512);
    assert_eq!(d_conv + d_bn, 2_765_568);

    let cfg = DcganConfig::new(3, 64);
    let gvs = nn::VarStore::new(Device::Cpu);
    cfg.build_generator(&gvs.root()).unwrap();
    assert_eq!(trainable_count(&gvs), 3_576_704);
    let dvs = nn::VarStore::new(Device::Cpu);
    cfg.build_discriminator(&dvs.root()).unwrap();
    assert_eq!(trainable_count(&dvs), 2_765_568);
}

#[test]
fn gradients_reach_all_parameters() {
    tch::manual_seed(2);
    for (size, norm) in [(28, Norm::Batch), (32, Norm::Virtual), (64, Norm::None)] {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = DcganConfig {
            generator_norm: norm,
            minibatch_std: size == 32,
            minibatch_discrimination: (size == 64).then(MinibatchDiscriminationConfig::default),
            ..small(3, size)
        };
        let g = cfg.build_generator(&(vs.root() / "gen")).unwrap();
        let d = cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
        let x = g.generate(&Tensor::randn([4, 8], tch::kind::FLOAT_CPU), None, true);
        let out = d.discriminate(&x, None, true);
        let loss = out.score.sum(Kind::Float)
            + out.features.unwrap().pow_tensor_scalar(2).mean(Kind::Float);
        loss.backward();
        for (name, var) in vs.variables() {
            if !var.requires_grad() {
                continue;
            }
            let g = var.grad();
            assert!(g.defined(), "no gradient for {name} (size {size})");
            assert!(
                g.abs().sum(Kind::Float).double_value(&[]) > 0.0,
                "zero gradient for {name} (size {size})"
            );
        }
    }
}

#[test]
fn virtual_batch_norm_makes_samples_independent_of_their_batch() {
    tch::manual_seed(3);
    let z1 = Tensor::randn([1, 8], tch::kind::FLOAT_CPU);
    let others = Tensor::randn([5, 8], tch::kind::FLOAT_CPU) * 3.0 + 1.0;
    let batch = Tensor::cat(&[&z1, &others], 0);

    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig {
        generator_norm: Norm::Virtual,
        ..small(1, 28)
    };
    let g = cfg.build_generator(&vs.root()).unwrap();
    assert_eq!(g.reference_noise().unwrap().size(), vec![8, 8]);
    for train in [true, false] {
        let alone = g.generate(&z1, None, train);
        let in_batch = g.generate(&batch, None, train).narrow(0, 0, 1);
        assert!(max_abs_diff(&alone, &in_batch) < 1e-5, "VBN, train={train}");
    }

    // Control: plain batch norm in train mode couples the samples.
    let vs = nn::VarStore::new(Device::Cpu);
    let g = small(1, 28).build_generator(&vs.root()).unwrap();
    let alone = g
        .generate(&Tensor::cat(&[&z1, &z1.neg()], 0), None, true)
        .narrow(0, 0, 1);
    let in_batch = g.generate(&batch, None, true).narrow(0, 0, 1);
    assert!(max_abs_diff(&alone, &in_batch) > 1e-3);
}

#[test]
fn vbn_reference_noise_is_saved_with_the_var_store() {
    tch::manual_seed(4);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig {
        generator_norm: Norm::Virtual,
        ..small(1, 28)
    };
    let g = cfg.build_generator(&(vs.root() / "gen")).unwrap();
    let vars = vs.variables();
    let z_ref = &vars["gen.z_ref"];
    assert!(!z_ref.requires_grad());
    assert_eq!(z_ref, g.reference_noise().unwrap());
    assert!(vars.contains_key("gen.vbn0.weight") && vars.contains_key("gen.vbn1.bias"));
    assert!(!vars.keys().any(|k| k.contains(".bn")));
}

#[test]
fn features_layer_without_batch_norm() {
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig {
        features_layer_batch_norm: false,
        ..small(3, 64)
    };
    cfg.build_discriminator(&(vs.root() / "d")).unwrap();
    let vars = vs.variables();
    assert!(vars.contains_key("d.bn1.weight") && vars.contains_key("d.bn2.weight"));
    assert!(!vars.contains_key("d.bn3.weight"));
    assert!(vars.contains_key("d.conv3.bias"));
    assert!(!vars.contains_key("d.conv0.bias") && !vars.contains_key("d.conv1.bias"));

    let vs = nn::VarStore::new(Device::Cpu);
    small(3, 64)
        .build_discriminator(&(vs.root() / "d"))
        .unwrap();
    assert!(vs.variables().contains_key("d.bn3.weight"));
}

#[test]
fn dcgan_init_follows_the_paper() {
    tch::manual_seed(5);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig::new(3, 64);
    cfg.build_generator(&(vs.root() / "gen")).unwrap();
    cfg.build_discriminator(&(vs.root() / "disc")).unwrap();
    let vars = vs.variables();
    // Every conv weight is drawn from N(0, 0.02) and every norm scale from N(1, 0.02)
    // as the layers are built (G: 5 convT + 4 BN; D: 5 conv + 3 BN).
    let (mut convs, mut norms) = (0, 0);
    for (name, v) in &vars {
        let (mean, std) = (
            v.mean(Kind::Float).double_value(&[]),
            v.std(true).double_value(&[]),
        );
        if name.ends_with(".weight") && v.dim() == 4 {
            convs += 1;
            assert!(
                mean.abs() < 0.002 && (std - 0.02).abs() < 0.003,
                "{name}: {mean} {std}"
            );
        } else if name.contains(".bn") && name.ends_with(".weight") {
            norms += 1;
            assert!(
                (mean - 1.0).abs() < 0.01 && (std - 0.02).abs() < 0.01,
                "{name}: {mean} {std}"
            );
        }
    }
    assert_eq!((convs, norms), (5 + 5, 4 + 3));
    let w = &vars["gen.convt1.weight"];
    let std = w.std(true).double_value(&[]);
    assert!((std - 0.02).abs() < 0.001, "std {std}");
    assert!(w.mean(Kind::Float).double_value(&[]).abs() < 0.001);
    let gamma = &vars["disc.bn3.weight"];
    assert!((gamma.mean(Kind::Float).double_value(&[]) - 1.0).abs() < 0.01);
    assert!(gamma.std(true).double_value(&[]) > 0.005);
    assert_eq!(
        vars["disc.bn3.bias"]
            .abs()
            .sum(Kind::Float)
            .double_value(&[]),
        0.0
    );
    // Running statistics are untouched.
    assert_eq!(
        vars["gen.bn0.running_var"]
            .mean(Kind::Float)
            .double_value(&[]),
        1.0
    );
    // Initialisation is not recorded by autograd.
    assert!(!vars["gen.convt0.weight"].grad().defined());
}

#[test]
fn minibatch_features_in_the_discriminator() {
    tch::manual_seed(6);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig {
        minibatch_std: true,
        minibatch_discrimination: Some(MinibatchDiscriminationConfig {
            kernels: 6,
            kernel_dim: 2,
        }),
        ..small(1, 28)
    };
    let d = cfg.build_discriminator(&(vs.root() / "d")).unwrap();
    let vars = vs.variables();
    // Last block 8 channels (+1 std channel) at 7x7.
    assert_eq!(vars["d.mbd.T"].size(), vec![9 * 49, 6, 2]);
    assert_eq!(vars["d.out.weight"].size(), vec![1, 9 * 49 + 6]);
    let out = d.discriminate(
        &Tensor::randn([5, 1, 28, 28], tch::kind::FLOAT_CPU),
        None,
        true,
    );
    assert_eq!(out.score.size(), vec![5]);
    assert_eq!(out.features.unwrap().size(), vec![5, 8 * 49]);
}

#[test]
fn conditional_dcgan_uses_labels() {
    tch::manual_seed(7);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = DcganConfig {
        num_classes: Some(10),
        generator_norm: Norm::Virtual,
        ..small(1, 28)
    };
    let g = cfg.build_generator(&(vs.root() / "g")).unwrap();
    let d = cfg.build_discriminator(&(vs.root() / "d")).unwrap();
    let z = Tensor::randn([1, 8], tch::kind::FLOAT_CPU).repeat([2, 1]);
    let y = Tensor::from_slice(&[3i64, 7]);
    let x = g.generate(&z, Some(&y), true);
    assert_eq!(x.size(), vec![2, 1, 28, 28]);
    assert!(max_abs_diff(&x.get(0), &x.get(1)) > 1e-6);
    let same = Tensor::cat(&[x.get(0).unsqueeze(0), x.get(0).unsqueeze(0)], 0);
    let out = d.discriminate(&same, Some(&y), false);
    assert_eq!(out.score.size(), vec![2]);
    assert!(max_abs_diff(&out.score.get(0), &out.score.get(1)) > 1e-6);
}

#[test]
fn networks_are_usable_as_trait_objects() {
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = small(1, 32);
    let g: Box<dyn Generator> = Box::new(cfg.build_generator(&(vs.root() / "g")).unwrap());
    let d: Box<dyn Discriminator> = Box::new(cfg.build_discriminator(&(vs.root() / "d")).unwrap());
    let z = Tensor::randn([2, g.latent_dim()], tch::kind::FLOAT_CPU);
    assert_eq!(
        d.discriminate(&g.generate(&z, None, false), None, false)
            .score
            .size(),
        vec![2]
    );
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&g);
}
