//! `MlpDiscriminator::forward_with` reproduces `discriminate` in train mode with dropout.
//!
//! Kept as the only test of its binary: it re-seeds torch's global RNG between the two
//! calls, which tests running in parallel threads of the same process would disturb.

use gan_models::{Activation, Discriminator, MlpConfig};
use tch::{nn, Device, Tensor};

#[test]
fn forward_with_matches_discriminate_with_dropout_under_the_same_seed() {
    tch::manual_seed(10);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = MlpConfig {
        activation: Activation::LeakyRelu,
        dropout: 0.3,
        ..MlpConfig::new(3, vec![32, 16], 1)
    };
    let d = cfg.build_discriminator(&vs.root()).unwrap();
    let x = Tensor::randn([8, 3], tch::kind::FLOAT_CPU);
    tch::manual_seed(11);
    let a = d.discriminate(&x, None, true);
    tch::manual_seed(11);
    let b = d.forward_with(&d.parameters(), &x, None, true);
    assert_eq!(a.score, b.score);
    assert_eq!(a.features.unwrap(), b.features.unwrap());
    // A different dropout mask gives a different score, so the check above is not vacuous.
    tch::manual_seed(12);
    let c = d.forward_with(&d.parameters(), &x, None, true);
    assert!((&a.score - &c.score).abs().max().double_value(&[]) > 1e-6);
}
