//! Process-wide malloc settings for training: keep freed tensor memory in the process
//! instead of handing it back to the kernel after every step.
//!
//! libtorch allocates CPU tensors with glibc's `malloc`, and a training step frees
//! megabytes of activations only to allocate the same sizes again in the next one. By
//! default glibc shrinks the heap whenever more than its trim threshold (128 KiB, raised to
//! twice the largest freed mmap-ed chunk) sits free at the top, so every step page-faults
//! that memory back in: 5,000 faults per DCGAN-32 step here, 6–7 % of its time (measured
//! in BENCHMARKS.md). [`retain_freed_memory`] sets the mmap threshold to 32 MiB (glibc's
//! 64-bit maximum, so activations come from the heap) and the trim threshold to 1 GiB (so
//! freed activations stay mapped for the next step). Peak RSS does not change measurably;
//! up to 1 GiB of freed memory may stay mapped until the process exits.
//!
//! [`crate::Trainer::new`] applies it once per process; `GAN_RS_MALLOC=system` keeps
//! glibc's defaults. Elsewhere than Linux with glibc it does nothing.

use std::sync::OnceLock;

/// The environment variable that chooses the setting (`retain`, the default, or `system`).
pub const MALLOC_ENV: &str = "GAN_RS_MALLOC";
/// Allocations at least this large are mmap-ed (and unmapped when freed).
pub const MMAP_THRESHOLD: usize = 32 << 20;
/// Free memory at the top of the heap is returned to the kernel past this size.
pub const TRIM_THRESHOLD: usize = 1 << 30;

/// What [`retain_freed_memory`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MallocSetting {
    /// The thresholds above are in effect.
    Retain,
    /// glibc's defaults were kept (`GAN_RS_MALLOC=system`).
    System,
    /// Not glibc, or glibc refused a value: nothing changed.
    Unsupported,
}

/// Which setting `GAN_RS_MALLOC`'s value asks for; `Err` names an unknown value.
pub fn requested_setting(value: Option<&str>) -> Result<MallocSetting, String> {
    match value.map(str::trim) {
        None | Some("") | Some("retain") => Ok(MallocSetting::Retain),
        Some("system") => Ok(MallocSetting::System),
        Some(other) => Err(format!(
            "{MALLOC_ENV}={other:?} is not a setting (expected `retain` or `system`); keeping `retain`"
        )),
    }
}

/// Applies the setting `GAN_RS_MALLOC` asks for, once per process (later calls return
/// the first result). An unknown value is reported with a warning and treated as `retain`.
pub fn retain_freed_memory() -> MallocSetting {
    static APPLIED: OnceLock<MallocSetting> = OnceLock::new();
    *APPLIED.get_or_init(|| {
        let value = std::env::var(MALLOC_ENV).ok();
        let wanted = requested_setting(value.as_deref()).unwrap_or_else(|message| {
            tracing::warn!("{message}");
            MallocSetting::Retain
        });
        match wanted {
            MallocSetting::Retain => apply_thresholds(),
            other => other,
        }
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply_thresholds() -> MallocSetting {
    // SAFETY: mallopt only adjusts allocator parameters; it is safe to call at any time.
    let ok = unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) == 1
    };
    if ok {
        MallocSetting::Retain
    } else {
        MallocSetting::Unsupported
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply_thresholds() -> MallocSetting {
    MallocSetting::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_map_to_settings() {
        assert_eq!(requested_setting(None), Ok(MallocSetting::Retain));
        assert_eq!(requested_setting(Some("")), Ok(MallocSetting::Retain));
        assert_eq!(requested_setting(Some("retain")), Ok(MallocSetting::Retain));
        assert_eq!(
            requested_setting(Some(" system ")),
            Ok(MallocSetting::System)
        );
        let err = requested_setting(Some("jemalloc")).unwrap_err();
        assert!(
            err.contains("GAN_RS_MALLOC") && err.contains("jemalloc"),
            "{err}"
        );
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_accepts_the_thresholds() {
        // The test process never sets GAN_RS_MALLOC, so this applies them.
        assert_eq!(apply_thresholds(), MallocSetting::Retain);
    }
}
