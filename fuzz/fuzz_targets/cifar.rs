//! CIFAR-10 binary batches: any bytes give Ok or a DataError naming the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = gan_rs_fuzz::scratch_file("data_batch_1.bin", data);
    match gan_data::read_cifar_batch(&path) {
        Ok(b) => {
            assert_eq!(b.labels.len(), b.n);
            assert_eq!(b.pixels.len(), b.n * 3072);
        }
        Err(e) => assert!(e.to_string().contains(&path.display().to_string())),
    }
});
