//! Arbitrary kernel-request bytes through the request decoder and the
//! dispatcher of a real session (no mount): see `../harness.rs` for the
//! input format and what is checked besides "no crash".
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::run(data).check();
});
