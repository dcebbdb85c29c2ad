//! Parsing the `train.device` setting (`auto`, `cpu`, `cuda`, `cuda:N`).

use tch::Device;

use crate::error::{Result, TrainError};

/// Resolve a device name. `auto` picks the first CUDA device when libtorch sees one,
/// else the CPU. Asking for CUDA on a machine without it is an error, not a silent
/// fallback, so a user never benchmarks the CPU by mistake.
pub fn parse_device(name: &str) -> Result<Device> {
    let name = name.trim().to_ascii_lowercase();
    let cuda_count = || tch::Cuda::device_count();
    match name.as_str() {
        "cpu" => Ok(Device::Cpu),
        "auto" => Ok(Device::cuda_if_available()),
        "cuda" | "gpu" => cuda_index(0, cuda_count()),
        other => match other.strip_prefix("cuda:") {
            Some(n) => {
                let idx: usize = n.parse().map_err(|_| {
                    TrainError::config(
                        "train.device",
                        format!("`{name}`: expected cuda:N with N a number"),
                    )
                })?;
                cuda_index(idx, cuda_count())
            }
            None => Err(TrainError::config(
                "train.device",
                format!("unknown device `{name}`; use auto, cpu, cuda or cuda:N"),
            )),
        },
    }
}

fn cuda_index(idx: usize, count: i64) -> Result<Device> {
    if (idx as i64) < count {
        Ok(Device::Cuda(idx))
    } else if count == 0 {
        Err(TrainError::config(
            "train.device",
            "CUDA was requested but libtorch sees no CUDA device (no GPU, no driver, or a CPU-only libtorch); use --device cpu",
        ))
    } else {
        Err(TrainError::config(
            "train.device",
            format!("cuda:{idx} requested but only {count} CUDA device(s) exist"),
        ))
    }
}

/// A short human-readable name of a device.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_auto() {
        assert_eq!(parse_device("cpu").unwrap(), Device::Cpu);
        assert_eq!(parse_device(" CPU ").unwrap(), Device::Cpu);
        let auto = parse_device("auto").unwrap();
        assert!(auto == Device::Cpu || matches!(auto, Device::Cuda(0)));
    }

    #[test]
    fn rejects_garbage() {
        let e = parse_device("tpu").unwrap_err().to_string();
        assert!(e.contains("train.device") && e.contains("tpu"), "{e}");
        let e = parse_device("cuda:x").unwrap_err().to_string();
        assert!(e.contains("cuda:N"), "{e}");
    }

    #[test]
    fn cuda_without_gpu_is_an_error() {
        if tch::Cuda::device_count() == 0 {
            let e = parse_device("cuda").unwrap_err().to_string();
            assert!(e.contains("no CUDA device"), "{e}");
        }
        let e = parse_device("cuda:99").unwrap_err().to_string();
        assert!(e.contains("99") || e.contains("no CUDA"), "{e}");
    }
}
