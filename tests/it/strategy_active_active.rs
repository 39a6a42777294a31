//! ACTIVE_ACTIVE behaviour: ejection timing, failover outcomes short of capacity and
//! with nothing left, gray nodes, partitions, readmission and the overload cascade, run
//! through the engine.

use failsim::compile::load_str;
use failsim::compile::CompiledScenario;
use failsim::core::ids::NodeId;
use failsim::core::record::{FailoverRecord, Outcome};
use failsim::sim::engine::{run_replication, ReplicationOutcome, ServiceOutcome};
use failsim::sim::faults::FaultRegistry;
use std::path::Path;

const SEC: u64 = 1_000_000_000;

/// A 1 ns probe interval forces every probe phase to 0 (phases are uniform in
/// [0, interval)), so the first probe after a fault at `t` is sent at `t` itself and
/// detection instants are exact: t + (unhealthy − 1) · 1 ns + timeout.
const EXACT_DETECTION: &str =
    r#"{"interval": "1ns", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2}"#;

/// Three replicas `a`, `b`, `c` of capacity 1 in three zones, one ACTIVE_ACTIVE service.
fn scenario(
    service_extra: &str,
    faults: &str,
    horizon: &str,
    replications: u32,
) -> CompiledScenario {
    let text = format!(
        r#"{{
  "seed": 7, "replications": {replications}, "horizon": "{horizon}",
  "topology": {{"nodes": [
    {{"id": "a", "region": "r1", "zone": "z1"}},
    {{"id": "b", "region": "r1", "zone": "z2"}},
    {{"id": "c", "region": "r1", "zone": "z3"}}
  ]}},
  "services": [{{"name": "web", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"]{service_extra}}}],
  "faults": {faults}
}}"#
    );
    load_str(&text, Path::new("x.json")).expect("valid scenario")
}

fn run(scenario: &CompiledScenario, replication: u64) -> ReplicationOutcome {
    run_replication(scenario, &FaultRegistry::new(&scenario.faults), replication)
}

fn service(scenario: &CompiledScenario, replication: u64) -> ServiceOutcome {
    run(scenario, replication).services.remove(0)
}

fn crash_at_10s(nodes: &str, duration: &str) -> String {
    format!(
        r#"{{"scheduled": [{{"id": "f1", "at": "10s", {duration} "fault": {{"crash": {{"nodes": [{nodes}]}}}}}}]}}"#
    )
}

fn outcomes(records: &[FailoverRecord]) -> Vec<Outcome> {
    records.iter().map(|r| r.outcome).collect()
}

#[test]
fn one_crash_is_ejected_after_detection_decision_and_lb_update_exactly() {
    // Demand 2 over three replicas of capacity 1. `a` crashes at 10 s for good.
    // detected = 10 s + 2 · 1 ns + 2 s; SEMI_AUTOMATIC confirms after 3 s; the load
    // balancer takes 500 ms: completed = detected + 3.5 s. Two replicas remain: 2 ≥ 2.
    let extra = format!(
        r#", "demand": 2, "detection": {EXACT_DETECTION},
        "failover": {{"mode": "SEMI_AUTOMATIC", "confirmation": {{"const": "3s"}}}},
        "active_active": {{"lb_update": {{"const": "500ms"}}}}"#
    );
    let scenario = scenario(&extra, &crash_at_10s(r#""a""#, ""), "60s", 1);
    let outcome = service(&scenario, 0);
    assert_eq!(outcome.records.len(), 1);
    let record = &outcome.records[0];
    let detected = 10 * SEC + 2 + 2 * SEC;
    assert_eq!(record.fault_at.0, 10 * SEC);
    assert_eq!(record.detected_at.0, detected);
    assert_eq!(record.decided_at.0, detected + 3 * SEC);
    assert_eq!(record.completed_at.0, detected + 3 * SEC + SEC / 2);
    assert_eq!(record.detection_time(), 2 * SEC + 2);
    assert_eq!(record.failover_time(), 5 * SEC + SEC / 2 + 2);
    assert_eq!(record.outcome, Outcome::Success);
    assert_eq!(record.from, Some(NodeId::new(0)));
    assert_eq!(record.data_loss, 0);
    // Requests sent to `a` fail from the crash until its ejection; then two replicas carry 2.
    assert_eq!(outcome.degraded_ns, record.failover_time() as u128);
    assert_eq!(outcome.down_ns, 0);
    assert_eq!(outcome.up_ns, 60 * SEC as u128 - outcome.degraded_ns);
    assert_eq!(outcome.outage_tally.episodes(), 1);
}

#[test]
fn detection_with_a_random_phase_stays_within_one_interval() {
    // Interval 1 s, 3 failures, 500 ms timeout: detection ∈ [2.5 s, 3.5 s) whatever
    // the phase; AUTOMATIC decides at once and the ejection takes 250 ms exactly.
    let extra = r#", "demand": 1,
        "detection": {"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3},
        "active_active": {"lb_update": {"const": "250ms"}}"#;
    let scenario = scenario(extra, &crash_at_10s(r#""b""#, ""), "30s", 40);
    let mut detections = Vec::new();
    for replication in 0..40 {
        let outcome = service(&scenario, replication);
        assert_eq!(outcome.records.len(), 1);
        let record = &outcome.records[0];
        assert!((2_500_000_000..3_500_000_000).contains(&record.detection_time()));
        assert_eq!(record.decided_at, record.detected_at);
        assert_eq!(record.completed_at.since(record.detected_at), SEC / 4);
        assert_eq!(record.outcome, Outcome::Success);
        detections.push(record.detection_time());
    }
    detections.sort_unstable();
    detections.dedup();
    assert!(detections.len() > 30, "phases differ between replications");
}

#[test]
fn explicit_probing_gives_the_same_records_as_lazy_probing() {
    let faults = r#"{"scheduled": [
        {"id": "f1", "at": "10.3s", "duration": {"const": "7s"}, "fault": {"crash": {"nodes": ["a"]}}},
        {"id": "f2", "at": "12.9s", "duration": {"const": "1.2s"}, "fault": {"crash": {"nodes": ["b"]}}}]}"#;
    let with = |probing: &str| {
        let extra = format!(
            r#", "demand": 2, "detection": {{"interval": "1s", "timeout": "400ms",
            "unhealthy_threshold": 2, "healthy_threshold": 2, "probing": "{probing}"}}"#
        );
        scenario(&extra, faults, "60s", 5)
    };
    let (lazy, explicit) = (with("lazy"), with("explicit"));
    for replication in 0..5 {
        let (a, b) = (service(&lazy, replication), service(&explicit, replication));
        assert!(!a.records.is_empty());
        assert_eq!(a.records, b.records);
        assert_eq!(
            (a.up_ns, a.degraded_ns, a.down_ns),
            (b.up_ns, b.degraded_ns, b.down_ns)
        );
    }
}

#[test]
fn two_crashes_exceed_capacity_and_degrade_without_going_down() {
    // 1 replica left for a demand of 2: both ejections succeed (`c` serves while `a`
    // and `b` are down; the shortfall is the served fraction's business) and the
    // service stays DEGRADED (not DOWN) from the crash to the horizon.
    let extra = format!(r#", "demand": 2, "detection": {EXACT_DETECTION}"#);
    let scenario = scenario(&extra, &crash_at_10s(r#""a", "b""#, ""), "60s", 1);
    let outcome = service(&scenario, 0);
    assert_eq!(
        outcomes(&outcome.records),
        vec![Outcome::Success, Outcome::Success]
    );
    for record in &outcome.records {
        // Default lb_update: const 500 ms.
        assert_eq!(record.failover_time(), 2 * SEC + 2 + SEC / 2);
    }
    assert_eq!(outcome.down_ns, 0);
    assert_eq!(outcome.degraded_ns, 50 * SEC as u128);
    assert_eq!(outcome.up_ns, 10 * SEC as u128);
}

#[test]
fn the_service_is_down_only_when_no_replica_is_left() {
    // Every ejection at 12.5 s leaves nothing that serves: each waits for a target
    // (NoHealthyTarget, not the end) and is still waiting at the horizon, where it ends.
    let extra = format!(r#", "demand": 2, "detection": {EXACT_DETECTION}"#);
    let scenario = scenario(&extra, &crash_at_10s(r#""a", "b", "c""#, ""), "60s", 1);
    let outcome = service(&scenario, 0);
    let records: Vec<(Outcome, u64, u32, bool)> = outcome
        .records
        .iter()
        .map(|r| (r.outcome, r.completed_at.0, r.attempt, r.ends_failover))
        .collect();
    let waits = (Outcome::NoHealthyTarget, 12 * SEC + 2 + SEC / 2, 0, false);
    let ends = (Outcome::NoHealthyTarget, 60 * SEC, 1, true);
    assert_eq!(records, vec![waits, waits, waits, ends, ends, ends]);
    assert_eq!(outcome.down_ns, 50 * SEC as u128);
    assert_eq!(outcome.degraded_ns, 0);
}

#[test]
fn a_gray_replica_degrades_the_service_while_the_balancer_routes_to_it() {
    // Gray nodes pass health checks, so they are never ejected: DEGRADED for exactly
    // the 20 s the fault lasts, and no failover.
    let faults = r#"{"scheduled": [{"id": "g", "at": "10s", "duration": {"const": "20s"},
        "fault": {"gray": {"nodes": ["c"]}}}]}"#;
    let extra = format!(r#", "demand": 1, "detection": {EXACT_DETECTION}"#);
    let scenario = scenario(&extra, faults, "60s", 1);
    let outcome = service(&scenario, 0);
    assert!(outcome.records.is_empty());
    assert_eq!(outcome.degraded_ns, 20 * SEC as u128);
    assert_eq!(outcome.down_ns, 0);
}

#[test]
fn a_repaired_replica_is_readmitted_after_the_healthy_threshold_and_lb_update() {
    // Demand 3 needs all three replicas. `a` is down from 10 s to 30 s; its recovery is
    // declared after 2 successes (30 s + 1 ns) and it is back in rotation 500 ms later.
    let extra = format!(r#", "demand": 3, "detection": {EXACT_DETECTION}"#);
    let duration = r#""duration": {"const": "20s"},"#;
    let scenario = scenario(&extra, &crash_at_10s(r#""a""#, duration), "60s", 1);
    let outcome = service(&scenario, 0);
    assert_eq!(outcomes(&outcome.records), vec![Outcome::Success]);
    assert_eq!(outcome.degraded_ns, (20 * SEC + 1 + SEC / 2) as u128);
    assert_eq!(outcome.down_ns, 0);
}

#[test]
fn clients_reach_only_the_replicas_on_their_side_of_a_partition() {
    // Each vantage has its own load balancer. Isolating r1 cuts client v1 and replica a
    // off from v2, b and c. v1 ejects b and c, v2 ejects a; each side then carries its
    // half of the demand (1 of 2): every ejection succeeds.
    let text = format!(
        r#"{{
  "seed": 3, "replications": 1, "horizon": "100s",
  "topology": {{"nodes": [
    {{"id": "a", "region": "r1"}}, {{"id": "v1", "region": "r1", "role": "client"}},
    {{"id": "b", "region": "r2"}}, {{"id": "c", "region": "r2"}},
    {{"id": "v2", "region": "r2", "role": "client"}}
  ]}},
  "services": [{{"name": "web", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"],
    "demand": 2, "vantage_points": ["v1", "v2"], "detection": {EXACT_DETECTION}}}],
  "faults": {{"scheduled": [{{"id": "cut", "at": "10s", "duration": {{"const": "60s"}},
    "fault": {{"isolate_region": "r1"}}}}]}}
}}"#
    );
    let scenario = load_str(&text, Path::new("x.json")).expect("valid scenario");
    let registry = FaultRegistry::new(&scenario.faults);
    let outcome = run_replication(&scenario, &registry, 0).services.remove(0);
    let mut ejected: Vec<usize> = outcome
        .records
        .iter()
        .filter_map(|r| r.from.map(NodeId::index))
        .collect();
    ejected.sort_unstable();
    assert_eq!(ejected, vec![0, 2, 3]);
    for record in &outcome.records {
        assert_eq!(record.outcome, Outcome::Success);
        assert_eq!(registry.kind(record.fault), "isolate_region");
        assert_eq!(record.failover_time(), 2 * SEC + 2 + SEC / 2);
    }
    // Each vantage is DEGRADED from the cut to its ejections, then UP again.
    assert_eq!(outcome.degraded_ns, 2 * (2 * SEC + 2 + SEC / 2) as u128);
    assert_eq!(outcome.down_ns, 0);
}

#[test]
fn the_overload_cascade_takes_down_overloaded_survivors() {
    // Demand 2.5 on three replicas: after `a` crashes the survivors run at x = 1.25.
    // With the cascade each fails after exp(10 s / 0.25) on average, the last one at
    // x = 2.5 even sooner, and the service goes DOWN; without it, it stays DEGRADED.
    let common = format!(r#", "demand": 2.5, "detection": {EXACT_DETECTION}"#);
    let cascade = format!(
        r#"{common}, "active_active": {{"overload_cascade":
        {{"mean_time_to_fail": "10s", "repair": {{"const": "1h"}}}}}}"#
    );
    let faults = crash_at_10s(r#""a""#, "");
    let (off, on) = (
        scenario(&common, &faults, "20m", 20),
        scenario(&cascade, &faults, "20m", 20),
    );
    let registry = FaultRegistry::new(&on.faults);
    for replication in 0..20 {
        let calm = service(&off, replication);
        assert_eq!(outcomes(&calm.records), vec![Outcome::Success]);
        assert_eq!(calm.down_ns, 0);
        // Three failovers: `a`'s succeeds (b and c serve), the last replica's finds
        // nothing left and waits for a repair past the horizon.
        let cascading = service(&on, replication);
        let ends: Vec<&FailoverRecord> = cascading
            .records
            .iter()
            .filter(|r| r.ends_failover)
            .collect();
        assert_eq!(ends.len(), 3, "{:?}", cascading.records);
        assert_eq!(ends[0].outcome, Outcome::Success);
        assert_eq!(ends[2].outcome, Outcome::NoHealthyTarget);
        assert_eq!(ends[2].completed_at.0, 20 * 60 * SEC);
        let overloads = ends
            .iter()
            .filter(|r| registry.kind(r.fault) == "overload")
            .count();
        assert_eq!(overloads, 2);
        assert!(cascading.down_ns > 0);
    }
}

#[test]
fn the_cascade_stays_quiet_while_capacity_suffices() {
    // One crash leaves capacity 2 for demand 2: x = 1 is not an overload.
    let extra = format!(
        r#", "demand": 2, "detection": {EXACT_DETECTION}, "active_active": {{"overload_cascade":
        {{"mean_time_to_fail": "1s", "repair": {{"const": "1h"}}}}}}"#
    );
    let scenario = scenario(&extra, &crash_at_10s(r#""a""#, ""), "10m", 5);
    for replication in 0..5 {
        let outcome = service(&scenario, replication);
        assert_eq!(outcomes(&outcome.records), vec![Outcome::Success]);
        assert_eq!(outcome.down_ns, 0);
    }
}

#[test]
fn the_shipped_active_active_example_runs() {
    let text = std::fs::read_to_string("scenarios/active-active.json").expect("example");
    let scenario = load_str(&text, Path::new("active-active.json")).expect("valid example");
    let outcome = service(&scenario, 0);
    assert!(outcome.availability(scenario.horizon) > 0.99);
    assert!(outcome
        .records
        .iter()
        .any(|r| r.outcome == Outcome::Success));
}
