//! Commits, trees, tags and pack entry headers as keyhound parses them, without a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyhound::fuzz::git_objects(data));
