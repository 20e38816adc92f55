#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rumor_fuzz::block(data));
