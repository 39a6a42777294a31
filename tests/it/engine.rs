//! Hand-computable behaviour of the engine and of ACTIVE_PASSIVE, with constant delays
//! and fixed probe phases so every expected number is derived in a comment.

use crate::common::{node_transitions, ns, run, scenario};
use failsim::core::record::Outcome;

/// One ACTIVE_PASSIVE service on db1 (+ db2), monitor probes at phase 0 every 5 s,
/// timeout 2 s, 3 failures to declare down, 2 successes to declare up; promotion 2 s,
/// re-route 1 s; horizon 100 s.
fn active_passive(replicas: &str, extra_service: &str, faults: &str) -> String {
    format!(
        r#"{{
        "horizon": "100s", "replications": 1,
        "topology": {{"nodes": [
            {{"id": "db1", "zone": "a"}}, {{"id": "db2", "zone": "b"}},
            {{"id": "mon", "zone": "c", "role": "monitor"}}]}},
        "services": [{{
            "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": {replicas},
            "detection": {{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"}},
            "active_passive": {{"monitor": "mon", "promotion": {{"const": "2s"}},
                               "reroute": {{"const": "1s"}} {extra_service}}}
        }}],
        "faults": {faults}
    }}"#
    )
}

#[test]
fn a_node_down_from_10s_to_15s_of_100s_gives_availability_0_95() {
    // DOWN exactly while the only replica is down: 5 s of 100 s.
    let text = active_passive(
        r#"["db1"]"#,
        "",
        r#"{"scheduled": [{"at": "10s", "duration": {"const": "5s"}, "fault": {"crash": {"nodes": ["db1"]}}}]}"#,
    );
    let outcome = run(&scenario(&text), 0);
    assert_eq!(outcome.services[0].up_ns, ns(95.0) as u128);
    assert_eq!(outcome.services[0].availability(ns(100.0)), 0.95);
}

#[test]
fn constant_failure_process_alternates_exactly() {
    // ttf 10 s, ttr 5 s: down [10,15), [25,30), ..., [85,90): six periods of 5 s.
    let text = active_passive(
        r#"["db1"]"#,
        "",
        r#"{"node_failures": [{"nodes": ["db1"], "ttf": {"const": "10s"}, "ttr": {"const": "5s"}}]}"#,
    );
    let outcome = run(&scenario(&text), 0);
    assert_eq!(outcome.services[0].down_ns, ns(30.0) as u128);
    assert_eq!(outcome.services[0].outage_tally.episodes(), 6);
}

#[test]
fn primary_crash_fails_over_at_the_derived_instants() {
    // Crash at 12 s. First probe at or after 12 s is at 15 s (phase 0, period 5 s); the
    // third failed probe is sent at 25 s and known at 27 s: detection 15 s. AUTOMATIC:
    // decided at 27 s; promotion 2 s ⇒ 29 s; re-route 1 s ⇒ 30 s. Failover time 18 s.
    let text = active_passive(
        r#"["db1", "db2"]"#,
        "",
        r#"{"scheduled": [{"at": "12s", "fault": {"crash": {"nodes": ["db1"]}}}]}"#,
    );
    let outcome = run(&scenario(&text), 0);
    let service = &outcome.services[0];
    assert_eq!(service.records.len(), 1);
    let record = &service.records[0];
    assert_eq!(record.outcome, Outcome::Success);
    assert_eq!(record.fault_at.0, ns(12.0));
    assert_eq!(record.detection_time(), ns(15.0));
    assert_eq!(record.decided_at.0, ns(27.0));
    assert_eq!(record.failover_time(), ns(18.0));
    assert_eq!(service.down_ns, ns(18.0) as u128);
}

#[test]
fn async_replica_with_constant_lag_loses_exactly_that_lag() {
    let text = active_passive(
        r#"["db1", "db2"]"#,
        "",
        r#"{"scheduled": [{"at": "12s", "fault": {"crash": {"nodes": ["db1"]}}}]}"#,
    )
    .replace(
        r#""name": "db","#,
        r#""name": "db", "replication": {"mode": "async", "lag": {"const": "3s"}},"#,
    );
    let outcome = run(&scenario(&text), 0);
    assert_eq!(outcome.services[0].records[0].data_loss, ns(3.0));
}

#[test]
fn no_healthy_standby_keeps_the_service_down_until_the_repair() {
    // db2 down from 10 s to 60 s; monitor believes it down from 22 s (probes 10, 15, 20 + 2 s).
    // db1 crashes at 20 s for good; declared down at 32 s (probes 20, 25, 30 + 2 s).
    // The attempt at 32 s finds no healthy target: the failover waits, spending no retry.
    // db2 is back at 60 s; its second good probe at 65 s declares it up; the waiting
    // failover promotes it: 65 + 2 + 1 = 68 s. DOWN from 20 s to 68 s. The failover
    // waited for a repair: it ends as NoHealthyTarget, not as a success.
    let text = active_passive(
        r#"["db1", "db2"]"#,
        "",
        r#"{"scheduled": [
            {"at": "10s", "duration": {"const": "50s"}, "fault": {"crash": {"nodes": ["db2"]}}},
            {"at": "20s", "fault": {"crash": {"nodes": ["db1"]}}}]}"#,
    );
    let outcome = run(&scenario(&text), 0);
    let service = &outcome.services[0];
    let outcomes: Vec<(Outcome, u64, u32, bool)> = service
        .records
        .iter()
        .map(|r| (r.outcome, r.completed_at.0, r.attempt, r.ends_failover))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (Outcome::NoHealthyTarget, ns(32.0), 0, false),
            (Outcome::NoHealthyTarget, ns(68.0), 1, true),
        ]
    );
    assert_eq!(service.down_ns, ns(48.0) as u128);
}

#[test]
fn zone_outage_takes_down_exactly_that_zone_and_recovers_it_together() {
    let text = r#"{
        "horizon": "100s", "replications": 1,
        "topology": {"generators": [{"regions": {"regions": 1, "zones": 3, "nodes": 2}}]},
        "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["r1-z1-n1", "r1-z2-n1"]}],
        "faults": {"scheduled": [{"at": "30s", "duration": {"const": "20s"}, "fault": {"crash_zone": "r1-z2"}}]}
    }"#;
    let transitions = node_transitions(&scenario(text), 0);
    assert_eq!(
        transitions,
        vec![
            (ns(30.0), "r1-z2-n1".to_string(), true),
            (ns(30.0), "r1-z2-n2".to_string(), true),
            (ns(50.0), "r1-z2-n1".to_string(), false),
            (ns(50.0), "r1-z2-n2".to_string(), false),
        ]
    );
}

fn cascade(probability: f64) -> String {
    format!(
        r#"{{
        "horizon": "100s", "replications": 1,
        "topology": {{"nodes": [{{"id": "power"}}, {{"id": "rack"}}]}},
        "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["rack"]}}],
        "faults": {{
            "scheduled": [{{"at": "10s", "duration": {{"const": "30s"}}, "fault": {{"crash": {{"nodes": ["power"]}}}}}}],
            "dependencies": [{{"node": "rack", "depends_on": "power", "probability": {probability}, "delay": "2s"}}]
        }}
    }}"#
    )
}

#[test]
fn a_certain_dependency_fails_the_dependent_exactly_2s_later() {
    let transitions = node_transitions(&scenario(&cascade(1.0)), 0);
    assert_eq!(
        transitions,
        vec![
            (ns(10.0), "power".to_string(), true),
            (ns(12.0), "rack".to_string(), true),
            (ns(40.0), "power".to_string(), false),
            (ns(40.0), "rack".to_string(), false),
        ]
    );
}

#[test]
fn an_impossible_dependency_never_fails_the_dependent() {
    let text = cascade(0.0);
    for replication in 0..50 {
        let transitions = node_transitions(&scenario(&text), replication);
        assert!(transitions.iter().all(|(_, node, _)| node == "power"));
    }
}

fn monitor_cut_off(fencing: bool) -> String {
    active_passive(
        r#"["db1", "db2"]"#,
        &format!(r#", "fencing": {fencing}"#),
        r#"{"scheduled": [{"at": "10s", "duration": {"const": "120s"},
            "fault": {"partition": {"groups": [["db1"], ["db2", "mon"]]}}}]}"#,
    )
    .replace(r#""horizon": "100s""#, r#""horizon": "300s""#)
}

#[test]
fn monitor_cut_off_from_a_live_primary_without_fencing_gives_derived_split_brain() {
    // Cut at 10 s: probes 10, 15, 20 fail, known at 22 s; promotion done at 24 s, when
    // db2 starts acting as primary beside the still-live db1. Heal at 130 s: 106 s.
    let outcome = run(&scenario(&monitor_cut_off(false)), 0);
    let service = &outcome.services[0];
    assert_eq!(service.split_brain_ns, ns(106.0));
    assert_eq!(service.unnecessary_failovers, 1);
}

#[test]
fn monitor_cut_off_from_a_live_primary_with_fencing_gives_one_unnecessary_failover() {
    let outcome = run(&scenario(&monitor_cut_off(true)), 0);
    let service = &outcome.services[0];
    assert_eq!(service.split_brain_ns, 0);
    assert_eq!(service.unnecessary_failovers, 1);
}

#[test]
fn a_state_held_only_between_two_events_of_one_instant_is_not_counted() {
    // At 10 s, in scheduling order: `power` crashes (its start was scheduled at 0 s) and
    // queues the rack's dependent failure for 10 s; the rack's own crash ends (its end was
    // scheduled at 5 s), so the rack is up; then the dependent failure takes it down again.
    // The service (the rack alone) is therefore UP only between two events of 10 s: one
    // state per instant means one outage, 5 s to 20 s, and no UP in the trace at 10 s.
    let text = r#"{
        "horizon": "100s", "replications": 1,
        "topology": {"nodes": [{"id": "power"}, {"id": "rack"}]},
        "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["rack"]}],
        "faults": {
            "scheduled": [
                {"at": "5s", "duration": {"const": "5s"}, "fault": {"crash": {"nodes": ["rack"]}}},
                {"at": "10s", "duration": {"const": "10s"}, "fault": {"crash": {"nodes": ["power"]}}}
            ],
            "dependencies": [{"node": "rack", "depends_on": "power", "probability": 1.0, "delay": "0s"}]
        }
    }"#;
    let scenario = scenario(text);
    assert_eq!(
        node_transitions(&scenario, 0),
        vec![
            (ns(5.0), "rack".to_string(), true),
            (ns(10.0), "power".to_string(), true),
            (ns(10.0), "rack".to_string(), false),
            (ns(10.0), "rack".to_string(), true),
            (ns(20.0), "power".to_string(), false),
            (ns(20.0), "rack".to_string(), false),
        ]
    );
    let outcome = &run(&scenario, 0).services[0];
    assert_eq!(outcome.outage_tally.episodes(), 1);
    assert_eq!(outcome.down_ns + outcome.degraded_ns, ns(15.0) as u128);
}

/// A thread's replications reuse one scratch (`Replication::reusing`), whatever ran in it
/// before: scenarios of every shape, sizes growing and shrinking, faults of every kind,
/// run one after the other through the same scratch, give the outcomes of fresh
/// replications.
#[test]
fn a_replication_in_a_reused_scratch_equals_a_fresh_one() {
    use failsim::sim::engine::{Layout, Replication, Scratch};
    use failsim::sim::faults::FaultRegistry;
    let files = [
        "scenarios/bench-nway-elections.json",
        "scenarios/quickstart.json",
        "scenarios/partition-shapes.json",
        "scenarios/telecom-multi-failure.json",
        "scenarios/geographic.json",
        "scenarios/pause.json",
        "scenarios/zone-outage.json",
        "scenarios/lease-patroni.json",
        "scenarios/multi-region-workers.json",
        "scenarios/seed-defaults.json",
        "scenarios/bench-crew-10k.json",
        "scenarios/quickstart.json",
    ];
    let mut scratch = Scratch::default();
    for round in 0..2u64 {
        for file in files {
            let mut scenario = failsim::compile::load_file(file.as_ref()).unwrap();
            scenario.horizon = scenario.horizon.min(7 * 86_400 * 1_000_000_000);
            let registry = FaultRegistry::new(&scenario.faults);
            let layout = Layout::new(&scenario);
            for replication in [round, round + 5] {
                let fresh = Replication::new(&scenario, &registry, replication, None).run();
                let reused =
                    Replication::reusing(&scenario, &registry, &layout, replication, &mut scratch)
                        .run();
                assert_eq!(reused, fresh, "{file}, replication {replication}");
            }
        }
    }
}
