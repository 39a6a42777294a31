//! Stable random streams (DESIGN §1): a fault draws from a stream keyed by its identity
//! and a node's failure process by (process identity, node), so adding, removing or
//! reordering one fault or one node leaves every other fault's and node's draws alone.

use crate::common::{node_transitions, scenario};
use failsim::compile::CompiledScenario;
use failsim::core::ids::NodeId;
use failsim::core::time::SimTime;
use failsim::sim::engine::Replication;
use failsim::sim::faults::FaultRegistry;
use failsim::sim::trace::{TraceEvent, TraceSink};
use serde_json::{json, Value};

const DAY: u64 = 86_400_000_000_000;

fn quickstart() -> Value {
    serde_json::from_str(&std::fs::read_to_string("scenarios/quickstart.json").unwrap()).unwrap()
}

fn compile(file: &Value) -> CompiledScenario {
    scenario(&file.to_string())
}

/// Node transitions of the listed nodes only.
fn transitions_of(
    scenario: &CompiledScenario,
    replication: u64,
    nodes: &[&str],
) -> Vec<(u64, String, bool)> {
    node_transitions(scenario, replication)
        .into_iter()
        .filter(|(_, name, _)| nodes.contains(&name.as_str()))
        .collect()
}

#[test]
fn a_scheduled_monitor_crash_leaves_the_node_failure_trace_unchanged() {
    let baseline = quickstart();
    let mut with_crash = baseline.clone();
    with_crash["faults"]["scheduled"] = json!([
        {"at": "29d", "duration": {"const": "1h"}, "fault": {"crash": {"nodes": ["monitor"]}}}
    ]);
    let (baseline, with_crash) = (compile(&baseline), compile(&with_crash));
    let mut compared = 0;
    for replication in 0..20 {
        let before = transitions_of(&baseline, replication, &["db1", "db2"]);
        let after = transitions_of(&with_crash, replication, &["db1", "db2"]);
        // The crash touches only the monitor: the trace before day 29 is unchanged, and
        // so is the rest, since the node processes draw from their own streams.
        let until_day_29 = |t: &Vec<(u64, String, bool)>| {
            t.iter()
                .filter(|(at, _, _)| *at < 29 * DAY)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(until_day_29(&before), until_day_29(&after));
        assert_eq!(before, after, "replication {replication}");
        compared += until_day_29(&before).len();
        // The monitor does go down in the second scenario.
        assert!(node_transitions(&with_crash, replication)
            .iter()
            .any(|(at, name, down)| name == "monitor" && *down && *at == 29 * DAY));
    }
    assert!(
        compared > 20,
        "too few node failures before day 29 to compare"
    );
}

#[test]
fn adding_a_node_to_a_failure_process_leaves_the_other_nodes_failure_instants_unchanged() {
    let file = |nodes: &[&str]| {
        json!({
            "seed": 5, "horizon": "365d",
            "topology": {"nodes": [
                {"id": "a", "zone": "z1"}, {"id": "b", "zone": "z2"}, {"id": "c", "zone": "z3"}
            ]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"]}],
            "faults": {"node_failures": [
                {"nodes": nodes, "ttf": {"exp": {"mean": "20d"}}, "ttr": {"exp": {"mean": "6h"}}}
            ]}
        })
    };
    let two = compile(&file(&["a", "b"]));
    let three = compile(&file(&["a", "b", "c"]));
    for replication in 0..10 {
        let before = transitions_of(&two, replication, &["a", "b"]);
        assert!(
            before.len() > 10,
            "replication {replication}: too few failures"
        );
        assert_eq!(before, transitions_of(&three, replication, &["a", "b"]));
        assert!(!transitions_of(&three, replication, &["c"]).is_empty());
        // Listing the nodes in another order changes nothing either.
        let reordered = compile(&file(&["c", "b", "a"]));
        assert_eq!(
            node_transitions(&three, replication),
            node_transitions(&reordered, replication)
        );
    }
}

/// Every fault start and end (instant, kind) and node transition of a replication,
/// sorted: the draws, independent of the order in which same-instant events fire.
fn draws(scenario: &CompiledScenario, replication: u64) -> Vec<(u64, String)> {
    struct Collect<'a>(&'a CompiledScenario, &'a FaultRegistry, Vec<(u64, String)>);
    impl TraceSink for Collect<'_> {
        fn record(&mut self, at: SimTime, event: &TraceEvent) {
            let name = |n: NodeId| self.0.topology.names.name(n).to_string();
            let what = match event {
                TraceEvent::FaultStart { fault, .. } => format!("start {}", self.1.kind(*fault)),
                TraceEvent::FaultEnd { fault } => format!("end {}", self.1.kind(*fault)),
                TraceEvent::NodeDown { node, .. } => format!("down {}", name(*node)),
                TraceEvent::NodeUp { node } => format!("up {}", name(*node)),
                _ => return,
            };
            self.2.push((at.0, what));
        }
    }
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = Collect(scenario, &registry, Vec::new());
    Replication::new(scenario, &registry, replication, Some(&mut sink)).run();
    let mut draws = sink.2;
    draws.sort();
    draws
}

#[test]
fn reordering_the_faults_of_a_file_leaves_every_draw_unchanged() {
    let mut file = json!({
        "seed": 11, "horizon": "120d",
        "topology": {"generators": [{"regions": {"regions": 2, "zones": 2, "nodes": 3}}]},
        "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE",
                      "replicas": ["r1-z1-n1", "r1-z2-n1", "r2-z1-n1"]}],
        "faults": {
            "node_failures": [
                {"nodes": ["r1-z1-n1", "r1-z1-n2"], "ttf": {"exp": {"mean": "15d"}}, "ttr": {"exp": {"mean": "4h"}}},
                {"nodes": ["r2-z1-n1", "r2-z2-n2"], "ttf": {"exp": {"mean": "15d"}}, "ttr": {"exp": {"mean": "4h"}}},
                {"id": "slow", "nodes": ["r1-z2-n1"], "ttf": {"exp": {"mean": "30d"}}, "ttr": {"const": "2h"}}
            ],
            "zone_outages": [
                {"targets": ["r1-z1", "r2-z2"], "interarrival": {"exp": {"mean": "40d"}}, "duration": {"exp": {"mean": "1h"}}},
                {"targets": ["r1-z2"], "interarrival": {"exp": {"mean": "50d"}}, "duration": {"exp": {"mean": "2h"}}}
            ],
            "random_partitions": [
                {"interarrival": {"exp": {"mean": "20d"}}, "duration": {"exp": {"mean": "30m"}}},
                {"interarrival": {"exp": {"mean": "20d"}}, "duration": {"exp": {"mean": "30m"}}, "groups": 3}
            ],
            "bursts": [
                {"interarrival": {"exp": {"mean": "25d"}}, "size": 2, "ttr": {"exp": {"mean": "3h"}}},
                {"interarrival": {"exp": {"mean": "35d"}}, "size": 1, "ttr": {"exp": {"mean": "1h"}}}
            ],
            "scheduled": [
                {"at": "10d", "duration": {"exp": {"mean": "2h"}}, "fault": {"crash_random": {"count": 2}}},
                {"at": "10d", "duration": {"exp": {"mean": "2h"}}, "fault": {"crash_random": {"count": 2}}},
                {"id": "split", "at": "50d", "duration": {"exp": {"mean": "1h"}}, "fault": {"random_partition": {"groups": 2}}}
            ],
            "dependencies": [
                {"node": "r2-z2-n3", "depends_on": "r1-z1-n1", "probability": 0.5},
                {"node": "r1-z2-n3", "depends_on": "r2-z1-n1", "probability": 0.5}
            ]
        }
    });
    let original = compile(&file);
    for list in file["faults"].as_object_mut().unwrap().values_mut() {
        list.as_array_mut().unwrap().reverse();
    }
    let reversed = compile(&file);
    let mut kinds = std::collections::BTreeSet::new();
    for replication in 0..8 {
        let a = draws(&original, replication);
        assert_eq!(
            a,
            draws(&reversed, replication),
            "replication {replication}"
        );
        kinds.extend(a.into_iter().map(|(_, what)| what));
    }
    // Every kind of fault did draw something in these replications.
    for kind in [
        "start zone_outage",
        "start random_partition",
        "start burst",
        "start crash_random",
        "start random_partition",
    ] {
        assert!(kinds.contains(kind), "no `{kind}` to compare: {kinds:?}");
    }
}

#[test]
fn identical_faults_get_distinct_streams() {
    let crash = json!({"at": "1d", "duration": {"exp": {"mean": "2h"}}, "fault": {"crash_random": {"count": 1}}});
    let file = json!({
        "seed": 3, "horizon": "3d",
        "topology": {"generators": [{"mesh": {"nodes": 50}}]},
        "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["n1", "n2"]}],
        "faults": {"scheduled": [crash, crash]}
    });
    let scenario = compile(&file);
    let keys: Vec<_> = scenario.faults.scheduled.iter().map(|f| f.key).collect();
    assert_ne!(keys[0], keys[1]);
    // Distinct streams: the two crashes do not pick the same victim in every replication.
    let differs = (0..10).any(|replication| {
        let down: Vec<String> = node_transitions(&scenario, replication)
            .into_iter()
            .filter(|(at, _, down)| *down && *at == DAY)
            .map(|(_, name, _)| name)
            .collect();
        assert!(!down.is_empty());
        down.len() == 2
    });
    assert!(differs);
}

#[test]
fn the_same_content_written_differently_is_the_same_fault() {
    let file = |at: Value, mean: Value| {
        json!({
            "seed": 3, "horizon": "60d",
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}],
            "faults": {
                "node_failures": [{"ttf": {"exp": {"mean": mean}}, "ttr": {"const": "1h"}}],
                "scheduled": [{"at": at, "duration": {"exp": {"mean": "2h"}}, "fault": {"crash_random": {"count": 1}}}]
            }
        })
    };
    let a = compile(&file(json!("1d"), json!("10d")));
    let b = compile(&file(json!(86_400), json!("240h")));
    assert_eq!(a.faults.scheduled[0].key, b.faults.scheduled[0].key);
    assert_eq!(
        a.faults.node_processes[0].keys,
        b.faults.node_processes[0].keys
    );
    assert_eq!(node_transitions(&a, 0), node_transitions(&b, 0));
}

#[test]
fn a_duplicate_process_id_is_refused() {
    let file = json!({
        "topology": {"nodes": [{"id": "a"}]},
        "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a"]}],
        "faults": {"node_failures": [
            {"id": "p", "ttf": {"exp": {"mean": "10d"}}, "ttr": {"const": "1h"}},
            {"id": "p", "ttf": {"exp": {"mean": "20d"}}, "ttr": {"const": "1h"}}
        ]}
    });
    let error = failsim::compile::load_str(&file.to_string(), std::path::Path::new("t.json"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("faults.node_failures[1].id"), "{error}");
}
