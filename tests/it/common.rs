//! Helpers shared by the integration tests: load a scenario from text and run it.

#![allow(dead_code)]

use failsim::compile::{load_str, CompiledScenario};
use failsim::sim::engine::{run_replication, ReplicationOutcome};
use failsim::sim::faults::FaultRegistry;
use std::path::Path;

/// Compiles scenario text, panicking with the diagnostics if it is invalid.
pub fn scenario(text: &str) -> CompiledScenario {
    load_str(text, Path::new("test.json")).unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"))
}

/// Runs replication `replication` of a scenario.
pub fn run(scenario: &CompiledScenario, replication: u64) -> ReplicationOutcome {
    run_replication(scenario, &FaultRegistry::new(&scenario.faults), replication)
}

/// Seconds to nanoseconds, exactly for whole milliseconds.
pub fn ns(seconds: f64) -> u64 {
    (seconds * 1e9).round() as u64
}

/// The failsim binary built for the tests.
pub fn failsim() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_failsim"))
}

/// Node transitions seen by the trace hook: (time ns, node name, went down).
pub fn node_transitions(scenario: &CompiledScenario, replication: u64) -> Vec<(u64, String, bool)> {
    use failsim::core::time::SimTime;
    use failsim::sim::engine::Replication;
    use failsim::sim::trace::{TraceEvent, TraceSink};
    struct Collect<'a>(&'a CompiledScenario, Vec<(u64, String, bool)>);
    impl TraceSink for Collect<'_> {
        fn record(&mut self, at: SimTime, event: &TraceEvent) {
            let name = |n: failsim::core::ids::NodeId| self.0.topology.names.name(n).to_string();
            match event {
                TraceEvent::NodeDown { node, .. } => self.1.push((at.0, name(*node), true)),
                TraceEvent::NodeUp { node } => self.1.push((at.0, name(*node), false)),
                _ => {}
            }
        }
    }
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = Collect(scenario, Vec::new());
    Replication::new(scenario, &registry, replication, Some(&mut sink)).run();
    sink.1
}

/// What `failsim ARGS --json -` writes to standard output, asserting success.
pub fn run_json(args: &[&str]) -> Vec<u8> {
    let output = failsim().args(args).args(["--json", "-"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
