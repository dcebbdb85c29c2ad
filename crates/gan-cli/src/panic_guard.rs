//! No libtorch exception becomes a Rust panic message and exit code 101. tch turns a
//! C++ exception (an allocation that cannot be served, a kernel refusing its input) into
//! a panic in its non-`f_` methods; here the whole command runs under `catch_unwind`,
//! and such a panic becomes an ordinary error — its first line, said plainly — with exit
//! code 1. `GAN_LOG=debug` also prints where it happened.

use std::sync::Mutex;

/// The message and location of the last panic, recorded by the hook.
static LAST_PANIC: Mutex<Option<(String, String)>> = Mutex::new(None);

/// Run `command`, turning a panic inside it into an error.
pub fn catching_panics(
    command: impl FnOnce() -> anyhow::Result<()> + std::panic::UnwindSafe,
) -> anyhow::Result<()> {
    std::panic::set_hook(Box::new(|info| {
        let message = match info.payload().downcast_ref::<&str>() {
            Some(s) => s.to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "unknown panic".into()),
        };
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some((message, location));
        }
    }));
    let outcome = std::panic::catch_unwind(command);
    let _ = std::panic::take_hook();
    match outcome {
        Ok(result) => result,
        Err(_) => {
            let (message, location) = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut l| l.take())
                .unwrap_or_else(|| ("unknown panic".into(), String::new()));
            tracing::debug!("panic at {location}: {message}");
            Err(anyhow::anyhow!(describe(&message)))
        }
    }
}

/// A panic message in plain words: libtorch's first line, without tch's wrapping.
pub fn describe(message: &str) -> String {
    let torch = message
        .split_once("Torch(\\\"")
        .or_else(|| message.split_once("Torch(\""))
        .map(|(_, rest)| rest)
        .unwrap_or(message);
    let first = torch
        .split("\\n")
        .next()
        .unwrap_or(torch)
        .lines()
        .next()
        .unwrap_or(torch)
        .trim()
        .trim_end_matches("\")")
        .trim_end_matches('"');
    if first.contains("can't allocate memory") || first.contains("out of memory") {
        let available = available_memory()
            .map(|b| {
                format!(
                    " (this machine has {:.1} GiB available)",
                    b as f64 / (1u64 << 30) as f64
                )
            })
            .unwrap_or_default();
        format!(
            "libtorch could not allocate memory: {first}{available}. Lower the batch size, the layer widths or the sample count (--n)"
        )
    } else {
        format!("libtorch failed: {first}")
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tch_panics_read_plainly() {
        let m = "called `Result::unwrap()` on an `Err` value: Torch(\"[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate 68719476736 bytes. Error code 12 (Cannot allocate memory)\\nException raised from ...\")";
        let d = describe(m);
        assert!(
            d.starts_with("libtorch could not allocate memory: [enforce fail")
                && d.contains("68719476736 bytes")
                && d.contains("(Cannot allocate memory) (this machine has")
                && d.contains("GiB available")
                && !d.contains("Exception raised"),
            "{d}"
        );
        assert_eq!(
            describe("index out of range"),
            "libtorch failed: index out of range"
        );
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let r = catching_panics(|| panic!("boom"));
        assert_eq!(r.unwrap_err().to_string(), "libtorch failed: boom");
        assert!(catching_panics(|| Ok(())).is_ok());
    }
}
