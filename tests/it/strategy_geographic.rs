//! GEOGRAPHIC behaviour: region failover timing, clients following DNS over the TTL,
//! backup capacity, failback, the traffic manager's majority, and the shipped examples.

use failsim::compile::load_str;
use failsim::compile::CompiledScenario;
use failsim::core::ids::NodeId;
use failsim::core::record::Outcome;
use failsim::sim::engine::{run_replication, ServiceOutcome};
use failsim::sim::faults::FaultRegistry;
use std::path::Path;

const SEC: u64 = 1_000_000_000;

/// A 1 ns probe interval forces every probe phase to 0, so a fault at `t` is declared
/// at exactly t + (unhealthy − 1) · 1 ns + timeout by every prober and load balancer.
const EXACT_DETECTION: &str =
    r#"{"interval": "1ns", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2}"#;

/// Regions east (e1, e2; node ids 0, 1) and west (w1, w2; ids 2, 3), plus `nodes`;
/// a demand of 2.
fn scenario(nodes: &str, service_extra: &str, faults: &str, replications: u32) -> CompiledScenario {
    scenario_with_demand(2.0, nodes, service_extra, faults, replications)
}

fn scenario_with_demand(
    demand: f64,
    nodes: &str,
    service_extra: &str,
    faults: &str,
    replications: u32,
) -> CompiledScenario {
    let text = format!(
        r#"{{
  "seed": 5, "replications": {replications}, "horizon": "10m",
  "topology": {{"nodes": [
    {{"id": "e1", "region": "east", "zone": "east-a"}},
    {{"id": "e2", "region": "east", "zone": "east-b"}},
    {{"id": "w1", "region": "west", "zone": "west-a"}},
    {{"id": "w2", "region": "west", "zone": "west-b"}}{nodes}
  ]}},
  "services": [{{"name": "api", "strategy": "GEOGRAPHIC", "replicas": ["e1", "e2", "w1", "w2"],
    "demand": {demand}{service_extra}}}],
  "faults": {faults}
}}"#
    );
    load_str(&text, Path::new("x.json")).expect("valid scenario")
}

fn service(scenario: &CompiledScenario, replication: u64) -> ServiceOutcome {
    let registry = FaultRegistry::new(&scenario.faults);
    run_replication(scenario, &registry, replication)
        .services
        .remove(0)
}

fn crash_east(at: &str, duration: &str) -> String {
    format!(
        r#"{{"scheduled": [{{"id": "east-down", "at": "{at}", {duration} "fault": {{"crash_region": "east"}}}}]}}"#
    )
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn a_region_failover_takes_detection_plus_decision_plus_propagation_exactly() {
    // East crashes at 10 s. Every prober declares it at 10 s + 2 · 1 ns + 2 s; the
    // operator confirms 3 s later and DNS moves to west; with a TTL of 0 every client
    // follows at once. Data loss is the async lag of 700 ms. Clients see DOWN throughout.
    let extra = format!(
        r#", "detection": {EXACT_DETECTION},
        "failover": {{"mode": "SEMI_AUTOMATIC", "confirmation": {{"const": "3s"}}}},
        "replication": {{"mode": "async", "lag": {{"const": "700ms"}}}},
        "geographic": {{"primary_region": "east", "dns_ttl": "0s"}}"#
    );
    let scenario = scenario("", &extra, &crash_east("10s", ""), 1);
    let registry = FaultRegistry::new(&scenario.faults);
    let outcome = service(&scenario, 0);
    assert_eq!(outcome.records.len(), 1, "{:?}", outcome.records);
    let record = &outcome.records[0];
    let detected = 10 * SEC + 2 + 2 * SEC;
    assert_eq!(record.fault_at.0, 10 * SEC);
    assert_eq!(record.detected_at.0, detected);
    assert_eq!(record.decided_at.0, detected + 3 * SEC);
    assert_eq!(record.completed_at.0, detected + 3 * SEC);
    assert_eq!(record.failover_time(), 5 * SEC + 2);
    assert_eq!(record.outcome, Outcome::Success);
    assert_eq!(record.data_loss, 700_000_000);
    assert_eq!(
        (record.from, record.to),
        (Some(NodeId::new(0)), Some(NodeId::new(2)))
    );
    assert_eq!(registry.kind(record.fault), "crash_region");
    assert_eq!(outcome.down_ns, (5 * SEC + 2) as u128);
    assert_eq!(outcome.degraded_ns, 0);
}

#[test]
fn clients_leave_the_dead_region_one_by_one_as_their_records_expire() {
    // 16 clients, TTL 60 s: the vantage is DOWN until the first client re-resolves,
    // DEGRADED until the last does, and the record completes with the last one. So
    // the time not UP equals the failover time, and DOWN covers at least detection.
    let extra = format!(
        r#", "detection": {EXACT_DETECTION},
        "geographic": {{"primary_region": "east", "dns_ttl": "60s", "clients": 16}}"#
    );
    let scenario = scenario("", &extra, &crash_east("10s", ""), 20);
    for replication in 0..20 {
        let outcome = service(&scenario, replication);
        assert_eq!(outcome.records.len(), 1);
        let record = &outcome.records[0];
        assert_eq!(record.detection_time(), 2 * SEC + 2);
        assert!(record.completed_at.since(record.decided_at) < 60 * SEC);
        assert_eq!(
            outcome.down_ns + outcome.degraded_ns,
            record.failover_time() as u128
        );
        assert!(outcome.down_ns >= record.detection_time() as u128);
        assert!(outcome.degraded_ns > 0);
    }
}

/// Failover, detection and propagation times (s) over `replications` runs with random
/// probe phases (interval 10 s) and client phases (TTL 60 s), east crashing at 100 s.
fn random_phase_failovers(clients: u32, replications: u32) -> Vec<(f64, f64, f64, f64)> {
    let extra = format!(
        r#", "detection": {{"interval": "10s", "timeout": "2s", "unhealthy_threshold": 3}},
        "failover": {{"mode": "SEMI_AUTOMATIC", "confirmation": {{"const": "5s"}}}},
        "geographic": {{"primary_region": "east", "dns_ttl": "60s",
          "traffic_manager_probers": 3, "clients": {clients}}}"#
    );
    let scenario = scenario("", &extra, &crash_east("100s", ""), replications);
    (0..replications as u64)
        .map(|replication| {
            let outcome = service(&scenario, replication);
            assert_eq!(outcome.records.len(), 1);
            let record = &outcome.records[0];
            let secs = |ns: u64| ns as f64 / SEC as f64;
            let decision = secs(record.decided_at.since(record.fault_at));
            (
                secs(record.failover_time()),
                secs(record.detection_time()),
                secs(record.completed_at.since(record.decided_at)),
                secs(outcome.down_ns as u64) - decision,
            )
        })
        .collect()
}

#[test]
fn mean_client_failover_time_is_detection_plus_decision_plus_half_the_ttl() {
    // One client per vantage: the record is exactly what that client lives through.
    // Detection is the 2nd of 3 prober declarations: E = 10 s · 2/4 + 2 · 10 s + 2 s
    // = 27 s (sd 2.2 s); the residual TTL is uniform on [0, 60 s): E = 30 s (sd 17.3 s).
    // Over 400 replications the standard errors are 0.11 s and 0.87 s; the tolerances
    // below are about 5 and 3.5 of them.
    let runs = random_phase_failovers(1, 400);
    let failover = mean(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
    let detection = mean(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
    let residual = mean(&runs.iter().map(|r| r.2).collect::<Vec<_>>());
    assert!((detection - 27.0).abs() < 0.6, "detection {detection}");
    assert!((residual - 30.0).abs() < 3.0, "residual TTL {residual}");
    assert!(
        (failover - (detection + 5.0 + 30.0)).abs() < 3.0,
        "failover {failover}"
    );
}

#[test]
fn with_many_clients_the_first_follows_early_and_the_last_late() {
    // 16 residual TTLs uniform on [0, 60 s): the record waits for the largest
    // (E = 60 · 16/17 = 56.5 s, sd 3.3 s) and the vantage is DOWN until the smallest
    // (E = 60/17 = 3.5 s, sd 3.3 s). 400 replications: standard errors 0.17 s.
    let runs = random_phase_failovers(16, 400);
    let last = mean(&runs.iter().map(|r| r.2).collect::<Vec<_>>());
    let first = mean(&runs.iter().map(|r| r.3).collect::<Vec<_>>());
    assert!(
        (last - 60.0 * 16.0 / 17.0).abs() < 1.0,
        "last client {last}"
    );
    assert!((first - 60.0 / 17.0).abs() < 0.8, "first client {first}");
}

#[test]
fn a_backup_region_short_of_capacity_degrades_the_service_instead_of_downing_it() {
    // West gets one replica only (w2 has capacity 0) for a demand of 2.
    let text = format!(
        r#"{{
  "seed": 5, "replications": 1, "horizon": "60s",
  "topology": {{"nodes": [
    {{"id": "e1", "region": "east"}}, {{"id": "e2", "region": "east"}},
    {{"id": "w1", "region": "west"}}
  ]}},
  "services": [{{"name": "api", "strategy": "GEOGRAPHIC", "replicas": ["e1", "e2", "w1"],
    "demand": 2, "detection": {EXACT_DETECTION},
    "geographic": {{"primary_region": "east", "dns_ttl": "0s"}}}}],
  "faults": {}
}}"#,
        crash_east("10s", "")
    );
    let scenario = load_str(&text, Path::new("x.json")).expect("valid scenario");
    let outcome = service(&scenario, 0);
    // West serves while east is down: the failover succeeds; its capacity shortfall
    // shows as DEGRADED time (served fraction 1/2), not as a failed failover.
    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.records[0].outcome, Outcome::Success);
    assert_eq!(outcome.down_ns, (2 * SEC + 2) as u128);
    assert_eq!(outcome.degraded_ns, (48 * SEC - 2) as u128);
    assert!(
        outcome.availability(scenario.horizon) < outcome.lenient_availability(scenario.horizon)
    );
}

#[test]
fn dns_fails_back_once_the_primary_region_is_healthy_again() {
    // East is down from 10 s to 70 s. Its load balancer readmits e1 and e2 at 70.5 s + 1 ns,
    // the probers then see it answer and declare it up 1 ns later, and DNS points back at
    // east. West crashing for good at 100 s then touches no client: no second failover.
    let extra = format!(
        r#", "detection": {EXACT_DETECTION},
        "geographic": {{"primary_region": "east", "dns_ttl": "0s"}}"#
    );
    let faults = r#"{"scheduled": [
        {"id": "east-down", "at": "10s", "duration": {"const": "60s"}, "fault": {"crash_region": "east"}},
        {"id": "west-down", "at": "100s", "fault": {"crash_region": "west"}}]}"#;
    let scenario = scenario("", &extra, faults, 1);
    let outcome = service(&scenario, 0);
    assert_eq!(outcome.records.len(), 1, "{:?}", outcome.records);
    assert_eq!(outcome.records[0].outcome, Outcome::Success);
    assert_eq!(outcome.down_ns, (2 * SEC + 2) as u128);
    assert_eq!(outcome.degraded_ns, 0);
}

#[test]
fn with_no_healthy_backup_the_failover_waits_without_spending_retries() {
    // Both regions crash: the first attempt finds no healthy region and the failover
    // waits (no retry, no backoff) until the horizon, where it ends NoHealthyTarget.
    let extra =
        format!(r#", "detection": {EXACT_DETECTION}, "geographic": {{"primary_region": "east"}}"#);
    let faults = r#"{"scheduled": [{"id": "all", "at": "10s",
        "fault": {"crash": {"nodes": ["e1", "e2", "w1", "w2"]}}}]}"#;
    let scenario = scenario("", &extra, faults, 1);
    let outcome = service(&scenario, 0);
    let attempts: Vec<(u32, Outcome, u64, bool)> = outcome
        .records
        .iter()
        .map(|r| (r.attempt, r.outcome, r.completed_at.0, r.ends_failover))
        .collect();
    let detected = 12 * SEC + 2;
    assert_eq!(
        attempts,
        vec![
            (0, Outcome::NoHealthyTarget, detected, false),
            (1, Outcome::NoHealthyTarget, 600 * SEC, true),
        ]
    );
    assert_eq!(outcome.down_ns, 590 * SEC as u128);
}

#[test]
fn instance_failures_inside_the_serving_region_are_handled_as_active_active() {
    // e1 crashes: east still answers, so the traffic manager does nothing and east's
    // load balancer ejects e1 (e2 carries the demand of 1).
    let extra =
        format!(r#", "detection": {EXACT_DETECTION}, "geographic": {{"primary_region": "east"}}"#);
    let faults =
        r#"{"scheduled": [{"id": "f", "at": "10s", "fault": {"crash": {"nodes": ["e1"]}}}]}"#;
    let scenario = scenario_with_demand(1.0, "", &extra, faults, 1);
    let outcome = service(&scenario, 0);
    assert_eq!(outcome.records.len(), 1);
    let record = &outcome.records[0];
    assert_eq!((record.from, record.to), (Some(NodeId::new(0)), None));
    assert_eq!(record.outcome, Outcome::Success);
    assert_eq!(record.failover_time(), 2 * SEC + 2 + SEC / 2);
    assert_eq!(outcome.down_ns, 0);
}

#[test]
fn the_traffic_manager_fails_over_when_most_probers_fail_and_not_before() {
    // Three client vantages, one prober at each. Isolating east cuts off the probers at
    // cw and cc (2 of 3): east is declared down and DNS moves. Isolating only the client
    // ce fails one prober of three: no region failover.
    let nodes = r#",
    {"id": "ce", "region": "east", "role": "client"},
    {"id": "cw", "region": "west", "role": "client"},
    {"id": "cc", "region": "central", "role": "client"}"#;
    let extra = format!(
        r#", "vantage_points": ["ce", "cw", "cc"], "detection": {EXACT_DETECTION},
        "geographic": {{"primary_region": "east", "dns_ttl": "0s"}}"#
    );
    let isolate_east =
        r#"{"scheduled": [{"id": "cut", "at": "10s", "fault": {"isolate_region": "east"}}]}"#;
    let outcome = service(&scenario(nodes, &extra, isolate_east, 1), 0);
    let region_failovers: Vec<_> = outcome.records.iter().filter(|r| r.to.is_some()).collect();
    assert_eq!(region_failovers.len(), 1, "{:?}", outcome.records);
    assert_eq!(region_failovers[0].detection_time(), 2 * SEC + 2);

    let isolate_client =
        r#"{"scheduled": [{"id": "cut", "at": "10s", "fault": {"isolate": {"nodes": ["ce"]}}}]}"#;
    let outcome = service(&scenario(nodes, &extra, isolate_client, 1), 0);
    assert!(outcome.records.iter().all(|r| r.to.is_none()));
}

#[test]
fn losing_the_primary_region_of_multi_region_workers_shows_the_backup_shortfall() {
    // us-east has 4 workers for a demand of 3; each backup region has 1. While us-east
    // is out, clients are served by a backup at a third of the demand: DEGRADED. The
    // region failovers succeed (the backup serves while us-east is out): the shortfall
    // is in the availability, not in the failover's outcome.
    let text = std::fs::read_to_string("scenarios/multi-region-workers.json").expect("example");
    let scenario = load_str(&text, Path::new("multi-region-workers.json")).expect("valid example");
    let registry = FaultRegistry::new(&scenario.faults);
    let (mut strict, mut lenient, mut shortfalls) = (0.0, 0.0, 0);
    let replications = 20;
    for replication in 0..replications {
        let outcome = run_replication(&scenario, &registry, replication)
            .services
            .remove(0);
        strict += outcome.availability(scenario.horizon);
        lenient += outcome.lenient_availability(scenario.horizon);
        shortfalls += outcome
            .records
            .iter()
            .filter(|r| r.to.is_some() && r.outcome == Outcome::Success)
            .count();
        assert!(outcome
            .records
            .iter()
            .all(|r| r.outcome != Outcome::CapacityExceeded));
    }
    assert!(shortfalls > 0);
    assert!(
        strict < lenient,
        "strict {strict} lenient {lenient} (sums over {replications} replications)"
    );
}

#[test]
fn the_shipped_geographic_example_runs() {
    let text = std::fs::read_to_string("scenarios/geographic.json").expect("example");
    let scenario = load_str(&text, Path::new("geographic.json")).expect("valid example");
    let registry = FaultRegistry::new(&scenario.faults);
    let outcome = run_replication(&scenario, &registry, 0).services.remove(0);
    assert!(outcome.records.iter().any(|r| r.to.is_some()));
    assert!(outcome.availability(scenario.horizon) > 0.99);
}
