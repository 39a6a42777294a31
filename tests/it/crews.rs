//! Repair crews and fault budgets (DESIGN §5): who repairs which failed node when, and
//! how many nodes a failure process may hold down at once — exact instants with
//! constant times, and the trace events that say so.

use crate::common::{node_transitions, scenario};
use failsim::compile::CompiledScenario;
use failsim::core::time::SimTime;
use failsim::sim::engine::Replication;
use failsim::sim::faults::FaultRegistry;
use failsim::sim::trace::{TraceEvent, TraceSink};

const HOUR: u64 = 3_600_000_000_000;
const MINUTE: u64 = 60_000_000_000;

/// Two servers `a` (repair priority 1) and `b` (priority 2) that both fail at exactly
/// 1 h (constant TTF) and take 1 h to repair (constant TTR), in the process order
/// `order`, with `crews` as the file's `repair_crews`.
fn pair(order: &str, crews: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "3h30m", "replications": 1,
            "topology": {{"nodes": [{{"id": "a", "repair_priority": 1}}, {{"id": "b", "repair_priority": 2}}]}},
            "services": [{{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}}],
            "faults": {{
              "node_failures": [{{"nodes": {order}, "ttf": {{"const": "1h"}}, "ttr": {{"const": "1h"}}}}],
              "repair_crews": {crews}}}}}"#
    ))
}

/// When each node first came back up after its first failure (ns).
fn first_up(transitions: &[(u64, String, bool)], node: &str) -> u64 {
    transitions
        .iter()
        .find(|(_, name, down)| name == node && !down)
        .unwrap_or_else(|| panic!("{node} never came up: {transitions:?}"))
        .0
}

#[test]
fn one_priority_crew_repairs_the_higher_priority_node_first() {
    let scenario = pair(
        r#"["a", "b"]"#,
        r#"[{"name": "ops", "count": 1, "policy": "priority"}]"#,
    );
    let transitions = node_transitions(&scenario, 0);
    assert_eq!(first_up(&transitions, "b"), 2 * HOUR);
    assert_eq!(first_up(&transitions, "a"), 3 * HOUR);
}

#[test]
fn one_fifo_crew_repairs_in_the_order_of_the_failures() {
    for (order, first, second) in [(r#"["a", "b"]"#, "a", "b"), (r#"["b", "a"]"#, "b", "a")] {
        let scenario = pair(order, r#"[{"name": "ops", "policy": "fifo"}]"#);
        let transitions = node_transitions(&scenario, 0);
        assert_eq!(first_up(&transitions, first), 2 * HOUR, "{order}");
        assert_eq!(first_up(&transitions, second), 3 * HOUR, "{order}");
    }
}

#[test]
fn two_members_repair_in_parallel_and_nodes_without_a_crew_repair_on_their_own() {
    let two = pair(r#"["a", "b"]"#, r#"[{"name": "ops", "count": 2}]"#);
    let none = pair(r#"["a", "b"]"#, "[]");
    let only_a = pair(
        r#"["a", "b"]"#,
        r#"[{"name": "ops", "serves": {"nodes": ["a"]}}]"#,
    );
    for scenario in [&two, &none, &only_a] {
        let transitions = node_transitions(scenario, 0);
        assert_eq!(first_up(&transitions, "a"), 2 * HOUR);
        assert_eq!(first_up(&transitions, "b"), 2 * HOUR);
    }
    assert_eq!(
        node_transitions(&two, 0),
        node_transitions(&none, 0),
        "a crew that never makes a node wait changes nothing"
    );
}

#[test]
fn the_dispatch_delay_comes_before_the_time_to_repair() {
    let scenario = pair(
        r#"["a"]"#,
        r#"[{"name": "ops", "dispatch": {"const": "15m"}}]"#,
    );
    let transitions = node_transitions(&scenario, 0);
    assert_eq!(first_up(&transitions, "a"), 2 * HOUR + 15 * MINUTE);
}

/// Crew and budget trace events as `(t ns, text)`.
fn crew_trace(scenario: &CompiledScenario) -> Vec<(u64, String)> {
    struct Collect<'a>(&'a CompiledScenario, Vec<(u64, String)>);
    impl TraceSink for Collect<'_> {
        fn record(&mut self, at: SimTime, event: &TraceEvent) {
            let name = |n: failsim::core::ids::NodeId| self.0.topology.names.name(n);
            let text = match event {
                TraceEvent::RepairQueued { node, waiting, .. } => {
                    format!("queued {} ({waiting} waiting)", name(*node))
                }
                TraceEvent::RepairStarted {
                    node,
                    queued_at,
                    dispatch,
                    ..
                } => format!(
                    "started {} after {} s, dispatch {} s",
                    name(*node),
                    at.since(*queued_at) / 1_000_000_000,
                    dispatch / 1_000_000_000
                ),
                TraceEvent::CrashSkipped { node, budget, .. } => {
                    format!("skipped {} (budget {budget})", name(*node))
                }
                _ => return,
            };
            self.1.push((at.0, text));
        }
    }
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = Collect(scenario, Vec::new());
    Replication::new(scenario, &registry, 0, Some(&mut sink)).run();
    sink.1
}

#[test]
fn the_trace_shows_queueing_and_the_wait() {
    let scenario = pair(
        r#"["a", "b"]"#,
        r#"[{"name": "ops", "policy": "priority"}]"#,
    );
    let trace = crew_trace(&scenario);
    assert_eq!(
        trace[..4],
        [
            (HOUR, "queued a (1 waiting)".to_string()),
            (HOUR, "queued b (2 waiting)".to_string()),
            (HOUR, "started b after 0 s, dispatch 0 s".to_string()),
            (2 * HOUR, "started a after 3600 s, dispatch 0 s".to_string()),
        ],
        "the crew chooses once both failures of the instant are in: {trace:?}"
    );
}

#[test]
fn a_fault_budget_holds_back_a_failure_that_would_overdraw_it() {
    // a fails at 1 h (TTF 1 h) and is repaired at 3 h (TTR 2 h); b's TTF is 90 min, so its
    // first failure at 1.5 h would make two dead: skipped, redrawn at 3 h. At 3 h, a's
    // repair comes first (scheduled earlier), so b's failure at 3 h finds one dead: allowed.
    let scenario = scenario(
        r#"{"horizon": "4h", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}],
            "faults": {
              "node_failures": [
                {"nodes": ["a"], "ttf": {"const": "1h"}, "ttr": {"const": "2h"}},
                {"nodes": ["b"], "ttf": {"const": "90m"}, "ttr": {"const": "2h"}},
                {"nodes": ["c"], "ttf": {"const": "90m"}, "ttr": {"const": "2h"}}],
              "fault_budgets": [{"scope": {"service": "s"}, "max_dead": 1}]}}"#,
    );
    let trace = crew_trace(&scenario);
    assert_eq!(
        trace,
        [(90 * MINUTE, "skipped b (budget 0)".to_string())],
        "c is outside the budget's scope and fails"
    );
    let transitions = node_transitions(&scenario, 0);
    let downs: Vec<(u64, &str)> = transitions
        .iter()
        .filter(|t| t.2)
        .map(|t| (t.0, t.1.as_str()))
        .collect();
    assert_eq!(downs, [(HOUR, "a"), (90 * MINUTE, "c"), (3 * HOUR, "b")]);
}

#[test]
fn a_crew_leaves_every_other_nodes_draws_unchanged() {
    // c has no crew: its failures and repairs are the same with or without a crew over
    // a and b, whose own draws come from their own streams.
    let text = |crews: &str| {
        format!(
            r#"{{"horizon": "3000d", "replications": 1, "seed": 9,
                "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}]}},
                "services": [{{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"]}}],
                "faults": {{"node_failures": [{{"ttf": {{"exp": {{"mean": "30d"}}}}, "ttr": {{"exp": {{"mean": "5d"}}}}}}],
                           "repair_crews": {crews}}}}}"#
        )
    };
    let only = |scenario: &CompiledScenario, node: &str| -> Vec<(u64, bool)> {
        node_transitions(scenario, 0)
            .into_iter()
            .filter(|t| t.1 == node)
            .map(|t| (t.0, t.2))
            .collect()
    };
    let without = scenario(&text("[]"));
    let with = scenario(&text(
        r#"[{"name": "ops", "serves": {"nodes": ["a", "b"]}, "dispatch": {"exp": {"mean": "1h"}}}]"#,
    ));
    assert_eq!(only(&without, "c"), only(&with, "c"));
    assert_ne!(only(&without, "a"), only(&with, "a"));
}

#[test]
fn the_json_trace_names_the_crew_the_wait_the_dispatch_and_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crew.json");
    std::fs::write(
        &file,
        r#"{"horizon": "3h30m", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"]}],
            "faults": {
              "node_failures": [{"ttf": {"const": "1h"}, "ttr": {"const": "1h"}}],
              "repair_crews": [{"name": "ops", "dispatch": {"const": "15m"}}],
              "fault_budgets": [{"scope": {"nodes": ["b", "c"]}, "max_dead": 1}]}}"#,
    )
    .unwrap();
    let output = crate::common::failsim()
        .args(["run", file.to_str().unwrap(), "--trace", "-"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|line: &serde_json::Value| {
            ["repair_queued", "repair_started", "crash_skipped"]
                .contains(&line["event"].as_str().unwrap())
        })
        .collect();
    let hour = 3600.0;
    let skipped_c = |t: f64| {
        serde_json::json!({"t": t, "event": "crash_skipped", "node": "c",
            "fault": {"id": "node_failures[0]", "kind": "node_failure"},
            "budget": "fault_budgets[0]", "max_dead": 1})
    };
    // a and b fail at 1 h; c would make two dead of the budget's b and c: skipped, and
    // again at 2 h and 3 h (TTF 1 h) while b is down. a is taken at once and up at
    // 2 h 15 m; then b, which waited 1 h 15 m, is taken and up at 3 h 30 m (the horizon);
    // a fails again at 3 h 15 m and waits.
    let expected = [
        serde_json::json!({"t": hour, "event": "repair_queued", "node": "a", "crew": "ops", "waiting": 1}),
        serde_json::json!({"t": hour, "event": "repair_queued", "node": "b", "crew": "ops", "waiting": 2}),
        skipped_c(hour),
        serde_json::json!({"t": hour, "event": "repair_started", "node": "a", "crew": "ops",
            "waited_s": 0.0, "dispatch_s": 900.0}),
        skipped_c(2.0 * hour),
        serde_json::json!({"t": 2.25 * hour, "event": "repair_started", "node": "b", "crew": "ops",
            "waited_s": 1.25 * hour, "dispatch_s": 900.0}),
        skipped_c(3.0 * hour),
        serde_json::json!({"t": 3.25 * hour, "event": "repair_queued", "node": "a", "crew": "ops", "waiting": 1}),
    ];
    assert_eq!(lines, expected);
}
