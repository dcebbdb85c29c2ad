//! The plain GAN: no labels, no codes, no extra terms (every hook's default).

use super::FamilyMember;

/// A GAN without labels or codes.
pub struct Unconditional;

impl FamilyMember for Unconditional {
    fn name(&self) -> &'static str {
        "unconditional"
    }
}
