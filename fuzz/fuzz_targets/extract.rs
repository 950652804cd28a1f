//! Extraction then detection over arbitrary bytes (binary strings, SQLite and marshal bounds,
//! UTF-16 without a mark, e-mail decoding): no panic, every location inside the content.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound::fuzz::extract(data));
