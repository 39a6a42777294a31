//! Invariants over generated valid scenarios (proptest): whatever the topology, strategy
//! and faults, availability stays in [0, 1] and the UP/DEGRADED/DOWN time adds up to the
//! horizon exactly; every failover record is ordered fault ≤ detected ≤ decided ≤
//! completed ≤ horizon; without partitions there is no split-brain, fenced or not, and
//! at most one N_WAY leader serves at any instant; the same seed gives the same outcome;
//! nothing panics.

use failsim::compile::{load_str, CompiledScenario};
use failsim::sim::engine::{run_replication, ReplicationOutcome};
use failsim::sim::faults::FaultRegistry;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

const STRATEGIES: [&str; 4] = ["ACTIVE_ACTIVE", "ACTIVE_PASSIVE", "N_WAY", "GEOGRAPHIC"];

/// A duration distribution as the file writes it: constant or exponential, in seconds.
fn distribution(min_s: u64, max_s: u64) -> impl Strategy<Value = Value> {
    prop_oneof![
        (min_s..=max_s).prop_map(|s| json!({"const": s})),
        (min_s..=max_s).prop_map(|s| json!({"exp": {"mean": s}})),
    ]
}

/// One scheduled fault at `at` seconds over `n` nodes (ids n1..nN).
fn scheduled_fault(n: usize, horizon_s: u64) -> impl Strategy<Value = Value> {
    let at = 0..horizon_s;
    let duration = prop::option::of(distribution(1, 3_600));
    let action = prop_oneof![
        prop::sample::subsequence((1..=n).collect::<Vec<_>>(), 1..=n)
            .prop_map(|nodes| json!({"crash": {"nodes": ids(&nodes)}})),
        (1..=n as u32).prop_map(|count| json!({"crash_random": {"count": count}})),
        (2u32..=3).prop_map(|groups| json!({"random_partition": {"groups": groups}})),
        prop::sample::subsequence((1..=n).collect::<Vec<_>>(), 1..=n)
            .prop_map(|nodes| json!({"isolate": {"nodes": ids(&nodes)}})),
        prop::sample::subsequence((1..=n).collect::<Vec<_>>(), 0..=n).prop_map(move |side| {
            // Two explicit groups; with one side empty it is a partition of one group,
            // which validation rejects, so fall back to a random split.
            let other: Vec<usize> = (1..=n).filter(|i| !side.contains(i)).collect();
            if side.is_empty() || other.is_empty() {
                json!({"random_partition": {"groups": 2}})
            } else {
                json!({"partition": {"groups": [ids(&side), ids(&other)]}})
            }
        }),
    ];
    (at, duration, action).prop_map(|(at, duration, fault)| {
        let mut value = json!({"at": at, "fault": fault});
        if let Some(duration) = duration {
            value["duration"] = duration;
        }
        value
    })
}

fn ids(indices: &[usize]) -> Vec<String> {
    indices.iter().map(|i| format!("n{i}")).collect()
}

/// How failover is decided: automatically, after a confirmation that may be declined,
/// or by an operator.
fn failover() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"mode": "AUTOMATIC"})),
        (0.0..=1.0f64, distribution(1, 600)).prop_map(|(decline, confirmation)| json!({
            "mode": "SEMI_AUTOMATIC", "decline_probability": decline,
            "confirmation": confirmation})),
        distribution(1, 1_800).prop_map(|operator| json!({
            "mode": "MANUAL", "operator": operator})),
    ]
}

/// One service over all `n` servers (in a random priority order), with random detection,
/// failover mode, ACTIVE_PASSIVE fencing on or off, and optionally the client node `c1`
/// as its vantage point.
fn service(n: usize, name: &'static str) -> impl Strategy<Value = Value> {
    let order = Just((1..=n).collect::<Vec<_>>()).prop_shuffle();
    let detection = (1u64..=10, 0u64..=3, 1u32..=3);
    let choices = (any::<bool>(), any::<bool>());
    (0usize..4, order, detection, failover(), choices).prop_map(
        move |(strategy, order, (interval, timeout, threshold), failover, (client, fencing))| {
            let mut service = json!({
                "name": name,
                "strategy": STRATEGIES[strategy],
                "replicas": ids(&order),
                "detection": {"interval": interval, "timeout": timeout,
                              "unhealthy_threshold": threshold},
                "failover": failover,
                "active_passive": {"fencing": fencing}
            });
            if client {
                service["vantage_points"] = json!(["c1"]);
            }
            service
        },
    )
}

/// A small valid scenario: 1–6 servers over two regions and a client, one or two
/// services of any strategy, an optional failure process and up to three scheduled
/// faults, a horizon of ten minutes to two days.
fn scenario() -> impl Strategy<Value = String> {
    (1usize..=6, 600u64..=2 * 86_400, any::<u64>()).prop_flat_map(|(n, horizon_s, seed)| {
        let process = prop::option::of((distribution(60, 86_400), distribution(1, 7_200)));
        let faults = prop::collection::vec(scheduled_fault(n, horizon_s), 0..=3);
        let services = (service(n, "one"), prop::option::of(service(n, "two")));
        (process, faults, services).prop_map(move |(process, scheduled, (one, two))| {
            let mut nodes: Vec<Value> = (1..=n)
                .map(|i| {
                    let region = if i % 2 == 1 { "east" } else { "west" };
                    json!({"id": format!("n{i}"), "region": region,
                           "zone": format!("{region}-{i}")})
                })
                .collect();
            nodes.push(json!({"id": "c1", "region": "east", "zone": "east-c", "role": "client"}));
            let mut faults = json!({"scheduled": scheduled});
            if let Some((ttf, ttr)) = process {
                faults["node_failures"] = json!([{"ttf": ttf, "ttr": ttr}]);
            }
            let services: Vec<Value> = [Some(one), two].into_iter().flatten().collect();
            json!({
                "seed": seed,
                "replications": 1,
                "horizon": horizon_s,
                "topology": {"nodes": nodes},
                "services": services,
                "faults": faults
            })
            .to_string()
        })
    })
}

/// 64 cases keep `cargo test` quick; `PROPTEST_CASES=5000` searches deeper.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// The same scenario with every service run by N_WAY.
fn all_n_way(text: &str) -> String {
    let mut scenario: Value = serde_json::from_str(text).expect("generated JSON");
    for service in scenario["services"].as_array_mut().expect("services") {
        service["strategy"] = json!("N_WAY");
    }
    scenario.to_string()
}

fn compile(text: &str) -> CompiledScenario {
    load_str(text, Path::new("generated.json"))
        .unwrap_or_else(|e| panic!("the generator made an invalid scenario:\n{e}\n{text}"))
}

fn run(scenario: &CompiledScenario) -> ReplicationOutcome {
    run_replication(scenario, &FaultRegistry::new(&scenario.faults), 0)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn availability_is_a_fraction_and_states_add_up_to_the_horizon(text in scenario()) {
        let scenario = compile(&text);
        let outcome = run(&scenario);
        for service in &outcome.services {
            let availability = service.availability(scenario.horizon);
            prop_assert!((0.0..=1.0).contains(&availability), "availability {availability}");
            let lenient = service.lenient_availability(scenario.horizon);
            prop_assert!((availability..=1.0).contains(&lenient), "lenient {lenient}");
            prop_assert_eq!(
                service.up_ns + service.degraded_ns + service.down_ns,
                u128::from(service.vantages) * u128::from(scenario.horizon)
            );
        }
    }

    #[test]
    fn failover_records_are_ordered_within_the_horizon(text in scenario()) {
        let scenario = compile(&text);
        let horizon = scenario.horizon;
        for service in run(&scenario).services {
            for record in &service.records {
                prop_assert!(
                    record.fault_at <= record.detected_at
                        && record.detected_at <= record.decided_at
                        && record.decided_at <= record.completed_at
                        && record.completed_at.0 <= horizon,
                    "out of order: {record:?} (horizon {horizon})"
                );
            }
        }
    }

    #[test]
    fn every_failover_ends_once_and_none_is_left_open(text in scenario()) {
        // Records of one failover share what failed, when and when it was detected;
        // each failover's last record ends it, and an outcome that leaves a failover
        // open is a missing target.
        let scenario = compile(&text);
        for service in run(&scenario).services {
            let mut open = std::collections::BTreeMap::new();
            for record in &service.records {
                let key = (record.from, record.fault_at, record.detected_at);
                let pending: &mut i64 = open.entry(key).or_default();
                if record.ends_failover {
                    *pending = 0;
                } else {
                    prop_assert!(
                        record.outcome.is_failure(),
                        "an open failover's attempt that did not fail: {record:?}"
                    );
                    *pending = 1;
                }
            }
            prop_assert!(open.values().all(|&p| p == 0), "a failover left open: {open:?}\n{text}");
        }
    }

    #[test]
    fn without_partitions_no_two_replicas_serve_as_primary(text in scenario()) {
        // Only a partition may leave two primaries serving, whether fencing is on or off.
        let partitioned = text.contains("partition") || text.contains("isolate");
        let scenario = compile(&text);
        for service in run(&scenario).services {
            prop_assert!(partitioned || service.split_brain_ns == 0, "{}", text);
        }
    }

    #[test]
    fn without_partitions_at_most_one_n_way_leader_serves_at_any_instant(text in scenario()) {
        // N_WAY counts split-brain time while two leaders are each backed by a quorum.
        let text = all_n_way(&text);
        let partitioned = text.contains("partition") || text.contains("isolate");
        let scenario = compile(&text);
        for service in run(&scenario).services {
            prop_assert!(partitioned || service.split_brain_ns == 0, "{}", text);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_outcome(text in scenario()) {
        let scenario = compile(&text);
        prop_assert_eq!(run(&scenario), run(&scenario));
    }
}
