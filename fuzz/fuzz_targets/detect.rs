//! The detector over arbitrary bytes: no panic, every location inside its input.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound::fuzz::detect(data));
