//! STS response classification: the first two bytes are the HTTP status, the rest the body.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let [a, b, rest @ ..] = data {
        let status = 100 + u16::from_le_bytes([*a, *b]) % 500;
        keyhound::fuzz::sts_response(status, &String::from_utf8_lossy(rest));
    }
});
