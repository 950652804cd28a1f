//! Rule files: parsed and compiled without a panic, whatever the text.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        keyhound::fuzz::rule_file(text);
    }
});
