//! Checkpoint files: any bytes give Ok or an error from `checkpoint::load`, and a file
//! that loads can be handed to `Trainer::resume` without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = gan_rs_fuzz::scratch_file("latest.safetensors", data);
    if gan_train::checkpoint::load(&path).is_ok() {
        let _ = gan_train::Trainer::resume(&path, tch::Device::Cpu);
    }
});
