//! `.gitleaks.toml` import, without a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        keyhound::fuzz::gitleaks(text);
    }
});
