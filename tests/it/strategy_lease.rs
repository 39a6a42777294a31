//! ACTIVE_PASSIVE with lease-based detection (DESIGN §3): the standby acts when the lease
//! expires, `ttl` after the last renewal the store received; a primary cut off from the
//! store demotes itself `retry_timeout` after its first missed renewal, which bounds
//! split-brain time. And the both-down convention: a fresh promotion by default, an
//! activation at once with `both_down: activate`.

use crate::common::{run, scenario};
use failsim::core::record::{FailoverRecord, Outcome};
use failsim::core::time::SimTime;
use failsim::sim::engine::ServiceOutcome;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000 * MS;

/// Primary `db1`, standby `db2`, a store node `etcd` and a client node `app`, in four
/// zones of one region, 1 ms one way between zones; renewals at k·10 s (phase 0), the
/// given lease block fields, the given failover mode block and faults.
fn lease_scenario(lease: &str, failover: &str, faults: &str) -> String {
    format!(
        r#"{{"horizon": "10m", "seed": 3,
        "topology": {{"nodes": [
            {{"id": "db1", "region": "r", "zone": "a"}}, {{"id": "db2", "region": "r", "zone": "b"}},
            {{"id": "etcd", "region": "r", "zone": "c"}}, {{"id": "app", "region": "r", "zone": "d"}}],
            "latency": {{"zone": "0s", "region": "1ms", "global": "1ms"}}}},
        "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
            "vantage_points": ["app"],
            "detection": {{"interval": "1s", "timeout": "200ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"}},
            "failover": {failover},
            "active_passive": {{"promotion": {{"const": "2s"}}, "reroute": {{"const": "1s"}},
                               "lease": {{"loop_wait": "10s", "phase": "0s" {lease}}}}}}}],
        "faults": {{"scheduled": [{faults}]}}}}"#
    )
}

const SEMI_AUTOMATIC: &str =
    r#"{"mode": "SEMI_AUTOMATIC", "confirmation": {"const": "4s"}, "timeout": "1m"}"#;
const AUTOMATIC: &str = r#"{"mode": "AUTOMATIC", "timeout": "1m"}"#;

/// `db1` crashes at 100.5 s (half a second after the renewal at 100 s) for an hour.
const PRIMARY_CRASH: &str =
    r#"{"at": "100500ms", "duration": {"const": "1h"}, "fault": {"crash": {"nodes": ["db1"]}}}"#;

fn the_service(text: &str) -> ServiceOutcome {
    run(&scenario(text), 0).services.remove(0)
}

fn ends(records: &[FailoverRecord]) -> Vec<&FailoverRecord> {
    records.iter().filter(|r| r.ends_failover).collect()
}

#[test]
fn with_a_global_store_the_standby_acts_exactly_ttl_after_the_last_renewal() {
    // Renewals at 0, 10, …, 100 s; db1 crashes at 100.5 s. A global store receives a
    // renewal at once: the lease expires at 100 + 30 = 130 s, where the standby acts;
    // its confirmation takes 4 s (134 s), the promotion 2 s (136 s), the re-route 1 s.
    let service = the_service(&lease_scenario(
        r#", "ttl": "30s""#,
        SEMI_AUTOMATIC,
        PRIMARY_CRASH,
    ));
    let records = ends(&service.records);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = records[0];
    assert_eq!(record.fault_at, SimTime(100_500 * MS));
    assert_eq!(record.detected_at, SimTime(130 * SEC));
    assert_eq!(record.decided_at, SimTime(134 * SEC));
    assert_eq!(record.completed_at, SimTime(137 * SEC));
    assert_eq!(record.outcome, Outcome::Success);
    // The client saw nothing served from the crash to the re-route.
    assert_eq!(service.down_ns, u128::from(137 * SEC - 100_500 * MS));
    assert_eq!(service.split_brain_ns, 0);
}

#[test]
fn with_a_store_node_the_expiry_counts_from_the_renewal_s_arrival() {
    // The same crash with the store on `etcd`, 1 ms from db1: the renewal sent at 100 s
    // arrived at 100.001 s, so the lease expires at 130.001 s. Automatic mode: no delay.
    let service = the_service(&lease_scenario(
        r#", "ttl": "30s", "store": "etcd""#,
        AUTOMATIC,
        PRIMARY_CRASH,
    ));
    let record = ends(&service.records)[0];
    assert_eq!(record.detected_at, SimTime(130_001 * MS));
    assert_eq!(record.decided_at, SimTime(130_001 * MS));
    assert_eq!(record.completed_at, SimTime(133_001 * MS));
    assert_eq!(record.outcome, Outcome::Success);
}

#[test]
fn a_crash_anywhere_in_a_renewal_period_is_detected_between_ttl_minus_loop_wait_and_ttl() {
    // A crash at 100 s + d, d in [0, 10 s): the last renewal is at 100 s, so the lease
    // expires at 130 s whatever d, and detection takes 30 s − d.
    for d in [0, 1, 5_000, 9_999] {
        let crash = PRIMARY_CRASH.replace("100500ms", &format!("{}ms", 100_000 + d));
        let service = the_service(&lease_scenario(r#", "ttl": "30s""#, AUTOMATIC, &crash));
        let record = ends(&service.records)[0];
        assert_eq!(record.detected_at, SimTime(130 * SEC), "crash at +{d} ms");
        assert_eq!(
            record.detected_at.0 - record.fault_at.0,
            30 * SEC - d * MS,
            "crash at +{d} ms"
        );
    }
}

#[test]
fn a_primary_back_before_the_lease_expires_keeps_it() {
    // db1 is down from 100.5 s to 120.5 s, less than the 30 s lease: it renews again at
    // once and no failover happens; the clients saw it down for those 20 s only.
    let crash = PRIMARY_CRASH.replace(r#"{"const": "1h"}"#, r#"{"const": "20s"}"#);
    let service = the_service(&lease_scenario(r#", "ttl": "30s""#, AUTOMATIC, &crash));
    assert_eq!(service.records, vec![]);
    assert_eq!(service.down_ns, u128::from(20 * SEC));
}

/// At 100.5 s the network splits for 5 minutes: db1 with the clients, db2 with the store.
const PRIMARY_CUT_FROM_THE_STORE: &str = r#"{"at": "100500ms", "duration": {"const": "5m"},
    "fault": {"partition": {"groups": [["db1", "app"], ["db2", "etcd"]]}}}"#;

#[test]
fn a_primary_cut_off_from_the_store_demotes_itself_at_retry_timeout_before_the_lease_expires() {
    // db1's renewal at 110 s fails; it retries for 10 s and demotes itself at 120 s: its
    // clients, still with it, are served until then. The lease (last renewal 100 s,
    // 1 ms to etcd) expires at 130.001 s, db2 is promoted at 132.001 s, and the clients,
    // cut off from db2, stay unserved. db1 had stopped long before: no split brain.
    let service = the_service(&lease_scenario(
        r#", "ttl": "30s", "retry_timeout": "10s", "store": "etcd""#,
        AUTOMATIC,
        PRIMARY_CUT_FROM_THE_STORE,
    ));
    assert_eq!(service.split_brain_ns, 0);
    assert_eq!(service.unnecessary_failovers, 1);
    let record = ends(&service.records)[0];
    assert_eq!(record.fault_at, SimTime(100_500 * MS));
    assert_eq!(record.detected_at, SimTime(130_001 * MS));
    assert_eq!(record.completed_at, SimTime(133_001 * MS));
    assert_eq!(record.outcome, Outcome::Success);
    // The one outage the clients see starts at the demotion, 120 s.
    assert_eq!(service.episodes.len(), 1, "{:?}", service.episodes);
    assert_eq!(service.episodes[0].start, SimTime(120 * SEC));
}

#[test]
fn split_brain_lasts_from_the_promotion_to_the_self_demotion_and_no_longer_than_the_lease() {
    // retry_timeout 25 s, longer than ttl − loop_wait: db1 demotes itself only at
    // 110 + 25 = 135 s, while db2 took over at 132.001 s (lease expiry 130.001 s plus
    // the 2 s promotion): both act as primary for 2.999 s, less than the 30 s ttl.
    let service = the_service(&lease_scenario(
        r#", "ttl": "30s", "retry_timeout": "25s", "store": "etcd""#,
        AUTOMATIC,
        PRIMARY_CUT_FROM_THE_STORE,
    ));
    assert_eq!(service.split_brain_ns, 2_999 * MS);
    assert!(service.split_brain_ns <= 30 * SEC);
    assert_eq!(service.episodes[0].start, SimTime(135 * SEC));
}

/// Probes every second (phase 0, 3 failures declare, 2 successes); no lease. db2 is
/// down from 50 s to 150 s, db1 crashes at 100.3 s for an hour.
fn both_down(both_down: &str, promotion_failure_probability: f64) -> String {
    format!(
        r#"{{"horizon": "30m", "seed": 3,
        "topology": {{"nodes": [{{"id": "db1", "zone": "a"}}, {{"id": "db2", "zone": "b"}}]}},
        "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
            "detection": {{"interval": "1s", "timeout": "200ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"}},
            "failover": {{"mode": "AUTOMATIC", "timeout": "1m", "retries": 0}},
            "active_passive": {{"promotion": {{"const": "2s"}}, "reroute": {{"const": "1s"}},
                "promotion_failure_probability": {promotion_failure_probability}
                {both_down}}}}}],
        "faults": {{"scheduled": [
            {{"at": "50s", "duration": {{"const": "100s"}}, "fault": {{"crash": {{"nodes": ["db2"]}}}}}},
            {{"at": "100300ms", "duration": {{"const": "1h"}}, "fault": {{"crash": {{"nodes": ["db1"]}}}}}}]}}}}"#
    )
}

#[test]
fn by_default_a_standby_returning_while_the_primary_is_down_goes_through_a_fresh_promotion() {
    // db1 is declared down at 103.2 s: no standby (NoHealthyTarget, waiting). db2 is
    // declared up at 151 s and promoted (2 s) and clients re-routed (1 s): 154 s. The
    // switch waited for a repair: it ends as NoHealthyTarget.
    let service = the_service(&both_down("", 0.0));
    let last = *ends(&service.records).last().unwrap();
    assert_eq!(last.decided_at, SimTime(151 * SEC));
    assert_eq!(last.completed_at, SimTime(154 * SEC));
    assert_eq!(last.outcome, Outcome::NoHealthyTarget);
    assert_eq!(service.down_ns, u128::from(154 * SEC - 100_300 * MS));
    // The fresh promotion draws its failure anew: certain failure, and no retry left.
    let service = the_service(&both_down("", 1.0));
    let last = *ends(&service.records).last().unwrap();
    assert_eq!(last.outcome, Outcome::PromotionFailed);
    assert_eq!(last.completed_at, SimTime(153 * SEC));
}

#[test]
fn with_both_down_activate_the_returning_standby_becomes_the_primary_at_once() {
    // The same faults: db2, declared up at 151 s, is the only replica left and serves
    // at once: no promotion delay, no failure draw, no re-route.
    for p in [0.0, 1.0] {
        let service = the_service(&both_down(r#", "both_down": "activate""#, p));
        let last = *ends(&service.records).last().unwrap();
        assert_eq!(last.decided_at, SimTime(151 * SEC), "p = {p}");
        assert_eq!(last.completed_at, SimTime(151 * SEC), "p = {p}");
        assert_eq!(last.outcome, Outcome::NoHealthyTarget, "p = {p}");
        assert_eq!(
            service.down_ns,
            u128::from(151 * SEC - 100_300 * MS),
            "p = {p}"
        );
    }
}

#[test]
fn a_demotion_that_may_come_after_the_expiry_is_warned_about() {
    // loop_wait + retry_timeout = 35 s > ttl = 30 s: valid, with a warning at
    // retry_timeout; 10 s + 10 s ≤ 30 s: no warning.
    for (retry_timeout, warned) in [("25s", true), ("10s", false), ("20s", false)] {
        let text = lease_scenario(
            &format!(r#", "ttl": "30s", "retry_timeout": "{retry_timeout}""#),
            AUTOMATIC,
            PRIMARY_CRASH,
        );
        let compiled = scenario(&text);
        let paths: Vec<&str> = compiled.warnings.iter().map(|w| w.path.as_str()).collect();
        let expected: &[&str] = if warned {
            &["services[0].active_passive.lease.retry_timeout"]
        } else {
            &[]
        };
        assert_eq!(paths, expected, "retry_timeout {retry_timeout}");
    }
}

#[test]
fn random_crashes_are_detected_within_one_renewal_period_of_ttl_and_half_a_period_early_on_average()
{
    // Crashes at random instants, a drawn renewal phase, a global store: every detection
    // time lies in (ttl − loop_wait, ttl] = (20 s, 30 s], and the loss falls uniformly
    // within its renewal period, so the mean is ttl − loop_wait / 2 = 25 s (standard
    // deviation 10/√12 ≈ 2.9 s; with n ≥ 100 failovers 1 s is over three standard errors).
    // One detection per failover: its first attempt's record.
    let text = r#"{"horizon": "365d", "seed": 5,
        "topology": {"nodes": [{"id": "db1", "zone": "a"}, {"id": "db2", "zone": "b"}]},
        "services": [{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
            "active_passive": {"lease": {}}}],
        "faults": {"node_failures": [{"ttf": {"exp": {"mean": "10d"}}, "ttr": {"const": "1h"}}]}}"#;
    let compiled = scenario(text);
    let mut detections = Vec::new();
    for replication in 0..10 {
        for record in run(&compiled, replication).services[0].records.iter() {
            if record.attempt == 0 {
                detections.push(record.detected_at.0 - record.fault_at.0);
            }
        }
    }
    assert!(detections.len() >= 100, "{} failovers", detections.len());
    for &d in &detections {
        assert!(d > 20 * SEC && d <= 30 * SEC, "detection {d} ns");
    }
    let mean = detections.iter().sum::<u64>() as f64 / detections.len() as f64 / SEC as f64;
    assert!((mean - 25.0).abs() < 1.0, "mean detection {mean} s");
}
