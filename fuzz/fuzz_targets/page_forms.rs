#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tigr_fuzz::page_forms::check(data));
