//! The body of the `parse_validate_run` fuzz target, shared with the stable test suite
//! (`tests/fuzz_regressions.rs` includes this file by path), so that a replayed finding
//! takes exactly the path the fuzzer took.

use failsim::checks::Check;
use failsim::compile::load_str;
use failsim::compile::{expected_events, expected_secs};
use failsim::report::{Study, Summary};
use failsim::sim::engine::run_replication;
use failsim::sim::faults::FaultRegistry;
use std::path::Path;

/// One simulated day: long enough for every fault kind, short enough to fuzz quickly.
pub const HORIZON_CAP_NS: u64 = 86_400 * 1_000_000_000;
/// Inputs expected to take more events than this (after the caps) are valid and slow by
/// design, not by fault: the harness parses and validates them but does not run them.
pub const MAX_EVENTS: f64 = 100_000.0;
/// Likewise for inputs expected to take more CPU time than this (seconds), whatever
/// their events: a few partitions of a large mesh.
pub const MAX_SECS: f64 = 0.5;
/// Likewise for topologies larger than this.
pub const MAX_NODES: usize = 2_000;

/// What became of one input.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not UTF-8 (or UTF-16): not a scenario file at all; the error was rendered.
    NotText,
    /// Rejected by parsing or validation (the error was rendered).
    Rejected,
    /// Valid but beyond the harness's bounds.
    TooBig,
    /// Valid and run for one replication.
    Ran,
}

/// Parse → validate → one replication of at most a day → summary → SLO checks: the path
/// `failsim run` takes. Any panic is a finding; errors are answers.
pub fn parse_validate_run(data: &[u8]) -> Verdict {
    // As `failsim` reads a file: a byte-order mark dropped, a bad byte placed.
    let text = match failsim::scenarios::source::decode(data.to_vec(), Path::new("fuzz.json")) {
        Ok(text) => text,
        Err(error) => {
            let _ = error.to_string();
            return Verdict::NotText;
        }
    };
    let mut scenario = match load_str(&text, Path::new("fuzz.json")) {
        Ok(scenario) => scenario,
        Err(error) => {
            // Rendering walks the text again to place every problem: exercise it too.
            let _ = error.to_string();
            return Verdict::Rejected;
        }
    };
    scenario.replications = 1;
    scenario.horizon = scenario.horizon.min(HORIZON_CAP_NS);
    let shares = scenario.work_estimate();
    if scenario.topology.len() > MAX_NODES
        || expected_events(&shares, 1) > MAX_EVENTS
        || expected_secs(&shares, 1) > MAX_SECS
    {
        return Verdict::TooBig;
    }
    let registry = FaultRegistry::new(&scenario.faults);
    let outcome = run_replication(&scenario, &registry, 0);
    let mut study = Study::new(&scenario, &registry);
    study.add(&outcome);
    let summary = Summary::new(&study);
    let _ = serde_json::to_string(&summary);
    for expression in &scenario.slo {
        if let Ok(check) = Check::parse(expression) {
            let _ = check.evaluate(&summary);
        }
    }
    Verdict::Ran
}
