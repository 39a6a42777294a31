//! One yardstick for failovers (DESIGN §6), whatever the strategy: the same physical
//! event gives the same verdict, waiting for a repair is never a success, and a target
//! that clients cannot reach is labelled so.

use crate::common::{run, scenario};
use failsim::core::record::{FailoverRecord, Outcome};
use failsim::report::Summary;
use failsim::run::{run_study, RunOptions};

const SEC: u64 = 1_000_000_000;

/// Four replicas, two per region (east: e1, e2; west: w1, w2), under `strategy`; every
/// replica crashes at 10 min for one hour; two hours simulated.
fn all_down_for_an_hour(strategy: &str) -> String {
    format!(
        r#"{{"horizon": "2h", "replications": 20, "seed": 11,
        "topology": {{"nodes": [
            {{"id": "e1", "region": "east", "zone": "e-a"}}, {{"id": "e2", "region": "east", "zone": "e-b"}},
            {{"id": "w1", "region": "west", "zone": "w-a"}}, {{"id": "w2", "region": "west", "zone": "w-b"}}]}},
        "services": [{{"name": "s", "strategy": "{strategy}", "replicas": ["e1", "e2", "w1", "w2"]}}],
        "faults": {{"scheduled": [{{"id": "all", "at": "10m", "duration": {{"const": "1h"}},
            "fault": {{"crash": {{"nodes": ["e1", "e2", "w1", "w2"]}}}}}}]}}}}"#
    )
}

#[test]
fn every_replica_down_for_an_hour_is_no_successful_failover_in_any_strategy() {
    // Nothing could be switched to: a failover started (a load balancer ejecting, a
    // monitor promoting, a traffic manager moving DNS) waits, and ends when what failed
    // comes back: Superseded. N_WAY detects nothing while every replica is down, and
    // the election after the repair is the cluster's recovery, not a failover. So no
    // strategy reports a success, a failure or a success rate.
    for strategy in ["ACTIVE_ACTIVE", "ACTIVE_PASSIVE", "N_WAY", "GEOGRAPHIC"] {
        let compiled = scenario(&all_down_for_an_hour(strategy));
        let study = run_study(&compiled, &RunOptions::default(), |_| {}, |_| {})
            .unwrap()
            .study;
        let summary = Summary::new(&study);
        let failovers = &summary.services[0].failovers;
        assert_eq!(
            (failovers.succeeded, failovers.failed, failovers.unfinished),
            (0, 0, 0),
            "{strategy}: {failovers:?}"
        );
        assert_eq!(failovers.superseded, failovers.total, "{strategy}");
        assert_eq!(failovers.success_rate, None, "{strategy}");
        assert_eq!(failovers.success_ci95_low, None, "{strategy}");
        assert_eq!(summary.services[0].failover_time_s.p50, None, "{strategy}");
        if strategy == "N_WAY" {
            assert_eq!(failovers.total, 0);
        } else {
            assert!(failovers.total >= 20, "{strategy}: {failovers:?}");
        }
        for replication in 0..3 {
            let service = &run(&compiled, replication).services[0];
            assert!(service.down_ns >= 3_600 * SEC as u128, "{strategy}");
            for record in service.records.iter().filter(|r| r.ends_failover) {
                assert_eq!(
                    record.outcome,
                    Outcome::Superseded,
                    "{strategy}: {record:?}"
                );
                assert_eq!(record.fault_at.0, 600 * SEC, "{strategy}");
                assert!(
                    record.completed_at.0 >= 4_200 * SEC,
                    "{strategy}: {record:?}"
                );
            }
        }
    }
}

/// Every failover's records: each ends once, and the records of one failover follow its
/// attempts in order.
fn ends(records: &[FailoverRecord]) -> Vec<(Outcome, u32, bool)> {
    records
        .iter()
        .map(|r| (r.outcome, r.attempt, r.ends_failover))
        .collect()
}

#[test]
fn a_region_failover_to_a_region_clients_cannot_reach_is_target_unreachable() {
    // East is down from 10 s to 100 s; the traffic manager (its prober stands at the
    // client vantage cc) declares it down at 12 s + 2 ns and moves DNS to west. At
    // 12.5 s west is cut off from cc, before the last of the 16 clients re-resolves
    // (TTL 10 s): when the switch has propagated, west serves no client. That is
    // TargetUnreachable (retried after 5 s, when west is believed down: no healthy
    // target, wait), not a capacity problem. East's return supersedes the failover.
    let text = r#"{"horizon": "10m", "replications": 1, "seed": 5,
        "topology": {"nodes": [
            {"id": "e1", "region": "east"}, {"id": "e2", "region": "east"},
            {"id": "w1", "region": "west"}, {"id": "w2", "region": "west"},
            {"id": "cc", "region": "central", "role": "client"}]},
        "services": [{"name": "api", "strategy": "GEOGRAPHIC",
            "replicas": ["e1", "e2", "w1", "w2"], "vantage_points": ["cc"],
            "detection": {"interval": "1ns", "timeout": "2s", "unhealthy_threshold": 3,
                          "healthy_threshold": 2},
            "geographic": {"primary_region": "east", "dns_ttl": "10s", "clients": 16}}],
        "faults": {"scheduled": [
            {"id": "east-down", "at": "10s", "duration": {"const": "90s"},
             "fault": {"crash_region": "east"}},
            {"id": "west-cut", "at": "12.5s", "fault": {"isolate_region": "west"}}]}}"#;
    let compiled = scenario(text);
    let service = &run(&compiled, 0).services[0];
    assert_eq!(
        ends(&service.records),
        vec![
            (Outcome::TargetUnreachable, 0, false),
            (Outcome::NoHealthyTarget, 1, false),
            (Outcome::Superseded, 2, true),
        ],
        "{:?}",
        service.records
    );
    let unreachable = &service.records[0];
    assert_eq!(
        unreachable.to,
        Some(compiled.topology.names.get("w1").unwrap())
    );
    assert_eq!(unreachable.detected_at.0, 12 * SEC + 2);
    assert!(unreachable.completed_at.0 > 12 * SEC + SEC / 2);
    assert!(service.records[2].completed_at.0 > 100 * SEC);
}

#[test]
fn a_failover_still_waiting_at_the_horizon_is_closed_by_the_horizon() {
    // Every replica down from 10 min; the horizon at 30 min comes first: ACTIVE_PASSIVE's
    // failover found no standby and waits for one, so only the horizon ends it (the
    // engine skips the horizon only for a strategy with no failover open): one failover
    // per replication, its last record completed at the horizon.
    let text =
        all_down_for_an_hour("ACTIVE_PASSIVE").replace(r#""horizon": "2h""#, r#""horizon": "30m""#);
    let compiled = scenario(&text);
    let study = run_study(&compiled, &RunOptions::default(), |_| {}, |_| {})
        .unwrap()
        .study;
    let failovers = &Summary::new(&study).services[0].failovers;
    assert_eq!(failovers.total, 20, "{failovers:?}");
    assert_eq!(failovers.failed_by_reason.get("NoHealthyTarget"), Some(&20));
    let records = run(&compiled, 0).services[0].records.clone();
    let ending: Vec<&FailoverRecord> = records.iter().filter(|r| r.ends_failover).collect();
    assert_eq!(ending.len(), 1, "{records:?}");
    assert_eq!(ending[0].completed_at.0, 30 * 60 * SEC);
}
