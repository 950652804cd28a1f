//! Archives, compressed streams and images over arbitrary bytes: no panic, bounded work,
//! every location inside its member.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound::fuzz::archive(data));
