#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tigr_fuzz::admin_text::check(data));
