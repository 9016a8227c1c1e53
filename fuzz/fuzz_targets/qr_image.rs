#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tigr_fuzz::qr_image::check(data));
