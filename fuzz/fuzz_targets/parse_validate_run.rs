//! Fuzz target: arbitrary bytes → parse → validate → one short, bounded replication →
//! summary, the path `failsim run` takes. Any panic is a finding; errors are fine.
//! See fuzz/README.md for how to run it and what to do with a crash.

#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::parse_validate_run(data);
});
