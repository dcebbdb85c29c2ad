//! IDX images and labels (plain or gzip): any bytes give Ok or a DataError naming the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name: a `.gz` name with non-gzip content is its own
    // error path.
    let (name, body) = match data.split_first() {
        Some((b, rest)) if b % 2 == 1 => ("train-images-idx3-ubyte.gz", rest),
        Some((_, rest)) => ("train-images-idx3-ubyte", rest),
        None => ("empty", data),
    };
    let path = gan_rs_fuzz::scratch_file(name, body);
    let shown = path.display().to_string();
    match gan_data::read_idx_images(&path) {
        Ok(im) => assert_eq!(im.pixels.len(), im.n * im.rows * im.cols),
        Err(e) => assert!(e.to_string().contains(&shown)),
    }
    match gan_data::read_idx_labels(&path, 10) {
        Ok(l) => assert!(l.iter().all(|&v| v < 10)),
        Err(e) => assert!(e.to_string().contains(&shown)),
    }
});
