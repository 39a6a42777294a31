//! Capacity counts in every strategy (DESIGN §3): a demand above what serves is
//! DEGRADED, not UP, whichever strategy serves it, and `validate` warns when a demand
//! can never be served in full.

use crate::common::{failsim, run, scenario};

const HOUR: u128 = 3_600_000_000_000;

/// Three capacity-1 replicas a, b, c (b and c in another region) serving `demand`
/// under `strategy`, with no fault, for one hour.
fn three_replicas(strategy: &str, demand: f64) -> String {
    format!(
        r#"{{"horizon": "1h", "replications": 1,
        "topology": {{"nodes": [{{"id": "a", "region": "east"}}, {{"id": "b", "region": "west"}},
                              {{"id": "c", "region": "west"}}]}},
        "services": [{{"name": "s", "strategy": "{strategy}", "replicas": ["a", "b", "c"],
                      "demand": {demand}}}]}}"#
    )
}

#[test]
fn one_serving_replica_short_of_the_demand_is_degraded_all_along() {
    // The primary (ACTIVE_PASSIVE) or the leader (N_WAY) serves alone with capacity 1:
    // demand 2 is half served, so the service is DEGRADED for the whole hour.
    for strategy in ["ACTIVE_PASSIVE", "N_WAY"] {
        let outcome = run(&scenario(&three_replicas(strategy, 2.0)), 0);
        let service = &outcome.services[0];
        assert_eq!(
            (service.up_ns, service.degraded_ns, service.down_ns),
            (0, HOUR, 0),
            "{strategy}"
        );
        let full = run(&scenario(&three_replicas(strategy, 1.0)), 0);
        assert_eq!(full.services[0].up_ns, HOUR, "{strategy} at demand 1");
    }
}

#[test]
fn pooled_strategies_serve_with_the_capacity_they_route_to() {
    // ACTIVE_ACTIVE spreads demand 2.5 over a, b and c (capacity 3): UP. GEOGRAPHIC
    // serves from one region (east: a alone, capacity 1): DEGRADED.
    let active = run(&scenario(&three_replicas("ACTIVE_ACTIVE", 2.5)), 0);
    assert_eq!(active.services[0].up_ns, HOUR);
    let geographic = run(&scenario(&three_replicas("GEOGRAPHIC", 2.0)), 0);
    assert_eq!(geographic.services[0].degraded_ns, HOUR);
}

#[test]
fn validate_warns_when_a_demand_can_never_be_served_in_full() {
    // What a strategy can ever serve: ACTIVE_PASSIVE and N_WAY one replica (1),
    // ACTIVE_ACTIVE all of them (3), GEOGRAPHIC one region (west: 2).
    let cases = [
        ("ACTIVE_PASSIVE", 2.0, Some("demand 2 exceeds 1")),
        ("N_WAY", 1.5, Some("demand 1.5 exceeds 1")),
        ("ACTIVE_ACTIVE", 4.0, Some("demand 4 exceeds 3")),
        ("ACTIVE_ACTIVE", 3.0, None),
        ("GEOGRAPHIC", 2.5, Some("demand 2.5 exceeds 2")),
        ("GEOGRAPHIC", 2.0, None),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (strategy, demand, warning) in cases {
        let compiled = scenario(&three_replicas(strategy, demand));
        let found: Vec<&str> = compiled
            .warnings
            .iter()
            .map(|w| w.message.as_str())
            .collect();
        match warning {
            Some(text) => {
                assert_eq!(found.len(), 1, "{strategy} {demand}: {found:?}");
                assert!(found[0].contains(text), "{strategy}: {}", found[0]);
                assert!(found[0].contains(strategy), "{}", found[0]);
                assert_eq!(compiled.warnings[0].path, "services[0].demand");
            }
            None => assert!(found.is_empty(), "{strategy} {demand}: {found:?}"),
        }
        // `validate` prints the warning with its position and still exits 0.
        let file = dir.path().join("s.json");
        std::fs::write(&file, three_replicas(strategy, demand)).unwrap();
        let output = failsim().arg("validate").arg(&file).output().unwrap();
        assert!(output.status.success());
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            stdout.contains("warning: at services[0].demand"),
            warning.is_some(),
            "{stdout}"
        );
    }
}
