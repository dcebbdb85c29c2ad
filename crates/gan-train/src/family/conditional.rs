//! Conditional GAN (Mirza & Osindero 2014): G is fed a label embedding (see
//! [`Conditioning`](crate::conditioning::Conditioning)) and D sees the label through a
//! projection term (Miyato & Koyama 2018); no extra loss terms.

use super::FamilyMember;

/// The conditional GAN.
pub struct Conditional;

impl FamilyMember for Conditional {
    fn name(&self) -> &'static str {
        "conditional"
    }

    fn conditions_discriminator(&self) -> bool {
        true
    }
}
