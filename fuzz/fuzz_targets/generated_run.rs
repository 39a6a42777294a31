//! Fuzz target: bytes → a generated, mostly valid scenario (`generate.rs`) → the same
//! parse → validate → bounded run as `parse_validate_run`. Reaches the engine and the
//! strategies far more often than mutated JSON does. With FAILSIM_FUZZ_PRINT set it
//! prints the scenario, which is how a finding becomes a file in tests/fuzz_regressions/.

#![no_main]

#[path = "../generate.rs"]
mod generate;
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = generate::scenario_from_bytes(data);
    if std::env::var_os("FAILSIM_FUZZ_PRINT").is_some() {
        eprintln!("{text}");
    }
    harness::parse_validate_run(text.as_bytes());
});
