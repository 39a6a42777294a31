//! Lazy detection (declaration instants computed from the probe phase) agrees with
//! explicit probing (one event per probe).

use crate::common::{run, scenario};
use failsim::analytic::PeriodicDetection;

fn flapping(probing: &str, phase: &str) -> String {
    format!(
        r#"{{
        "horizon": "30000s", "replications": 1,
        "topology": {{"nodes": [{{"id": "db1"}}, {{"id": "db2"}}, {{"id": "db3"}}]}},
        "services": [{{
            "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2", "db3"],
            "detection": {{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "probing": "{probing}" {phase}}}
        }}],
        "faults": {{"node_failures": [{{"ttf": {{"exp": {{"mean": "3000s"}}}},
                                        "ttr": {{"exp": {{"mean": "40s"}}}}}}]}}
    }}"#
    )
}

#[test]
fn lazy_and_explicit_probing_give_identical_outcomes_with_fixed_phases() {
    let lazy = scenario(&flapping("lazy", r#", "phase": "1.3s""#));
    let explicit = scenario(&flapping("explicit", r#", "phase": "1.3s""#));
    let mut records = 0;
    for replication in 0..30 {
        let a = run(&lazy, replication);
        let b = run(&explicit, replication);
        assert_eq!(a.services, b.services, "replication {replication}");
        records += a.services[0].records.len();
    }
    assert!(
        records > 100,
        "the case must exercise many failovers, got {records}"
    );
}

#[test]
fn lazy_and_explicit_probing_agree_in_distribution_with_random_phases() {
    // Detection delay = U + (k−1)·I + T with U uniform on [0, I): mean 14.5 s for
    // I = 5 s, T = 2 s, k = 3; its standard deviation is 5/√12 ≈ 1.44 s, so with
    // n ≥ 400 detections the standard error of a mean is below 0.08 s: we allow 0.3 s.
    let expected = PeriodicDetection {
        interval: 5.0,
        timeout: 2.0,
        threshold: 3,
    };
    for probing in ["lazy", "explicit"] {
        let scenario = scenario(&flapping(probing, ""));
        let detections: Vec<f64> = (0..80)
            .flat_map(|r| run(&scenario, r).services[0].records.clone())
            .filter(|record| record.attempt == 0)
            .map(|record| record.detection_time() as f64 / 1e9)
            .collect();
        assert!(
            detections.len() >= 400,
            "{probing}: only {} detections",
            detections.len()
        );
        let mean = detections.iter().sum::<f64>() / detections.len() as f64;
        // A replica that comes back and fails again between two probes continues the run
        // of failed probes, so a few detections are shorter than (k−1)·I + T; none is longer.
        eprintln!("{probing}: {mean} over {}", detections.len());
        assert!(
            (mean - expected.mean()).abs() < 0.3,
            "{probing}: mean detection {mean}"
        );
        assert!(
            detections.iter().all(|&d| d < expected.sup()),
            "{probing}: a detection ≥ {}",
            expected.sup()
        );
    }
}

fn lossy(probing: &str) -> String {
    format!(
        r#"{{
        "horizon": "100000s", "replications": 1,
        "topology": {{"nodes": [{{"id": "db1"}}, {{"id": "mon", "role": "monitor"}}]}},
        "services": [{{
            "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1"],
            "detection": {{"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 1, "probing": "{probing}"}},
            "active_passive": {{"monitor": "mon"}}
        }}],
        "faults": {{"scheduled": [{{"at": "0s", "fault": {{"degrade_link": {{"from": "mon", "to": "db1", "loss": 0.3}}}}}}]}}
    }}"#
    )
}

#[test]
fn lost_probes_cause_false_detections_at_the_rate_of_runs_of_k_losses() {
    // Probes lost independently with p = 0.3; k = 3 losses in a row declare the live
    // primary down and the next good probe (h = 1) declares it up, so every run of ≥ k
    // losses is one false detection: (1 − p)·p^k per probe, 1,890 in 100,000 probes.
    // The count is close to Poisson (standard deviation ≈ 43): we allow ±6%.
    let expected = 100_000.0 * failsim::analytic::false_detection_rate_per_probe(0.3, 3);
    for probing in ["lazy", "explicit"] {
        let outcome = run(&scenario(&lossy(probing)), 0);
        let service = &outcome.services[0];
        let detections = service.records.iter().filter(|r| r.attempt == 0).count() as f64;
        assert!(
            (detections - expected).abs() < 0.06 * expected,
            "{probing}: {detections} false detections, expected {expected}"
        );
        // No standby: each false detection waits for a target until the primary is
        // declared up again, which supersedes it (one may still wait at the horizon).
        use failsim::core::record::Outcome;
        let ends: Vec<Outcome> = service
            .records
            .iter()
            .filter(|r| r.ends_failover)
            .map(|r| r.outcome)
            .collect();
        assert_eq!(ends.len() as f64, detections);
        assert!(ends[..ends.len() - 1]
            .iter()
            .all(|&o| o == Outcome::Superseded));
        assert!(service
            .records
            .iter()
            .all(|r| r.ends_failover || r.outcome == Outcome::NoHealthyTarget));
    }
}

/// A primary `db1`, a standby `db2` and a monitor `mon`, all in one zone (0.2 ms apart);
/// probes every 1 s at phase 0, a 500 ms timeout, 3 failures declare a node down. `fault`
/// is the scheduled fault at 10.25 s.
fn slow_link(fault: &str) -> String {
    format!(
        r#"{{
        "horizon": "60s", "replications": 1,
        "topology": {{"nodes": [{{"id": "db1", "zone": "z"}}, {{"id": "db2", "zone": "z"}},
                               {{"id": "mon", "zone": "z", "role": "monitor"}}]}},
        "services": [{{
            "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
            "detection": {{"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 1, "phase": "0s"}},
            "active_passive": {{"monitor": "mon"}}
        }}],
        "faults": {{"scheduled": [{{"at": "10.25s", "fault": {fault}}}]}}
    }}"#
    )
}

#[test]
fn a_probe_whose_round_trip_exceeds_the_timeout_fails_as_a_crash_would() {
    // +3 s on the monitor's link to db1: the round trip (6.0004 s) exceeds the 500 ms
    // timeout, so the probes sent at 11, 12 and 13 s fail at 13.5 s, exactly as probes to
    // a crashed db1 would: detected at 13.5 s, failover to db2.
    let slow = r#"{"degrade_link": {"from": "mon", "to": "db1", "added_latency": "3s"}}"#;
    let crash = r#"{"crash": {"nodes": ["db1"]}}"#;
    let detections = |fault: &str| {
        let outcome = run(&scenario(&slow_link(fault)), 0);
        outcome.services[0]
            .records
            .iter()
            .map(|r| (r.detected_at.0, r.to))
            .collect::<Vec<_>>()
    };
    let slowed = detections(slow);
    assert_eq!(slowed, detections(crash));
    assert_eq!(slowed.len(), 1);
    assert_eq!(slowed[0].0, 13_500_000_000);
    // +200 ms keeps the round trip (400.4 ms) within the timeout: nothing is detected.
    let within = r#"{"degrade_link": {"from": "mon", "to": "db1", "added_latency": "200ms"}}"#;
    assert!(detections(within).is_empty());
    // +250 ms takes it to 500.4 ms: beyond the timeout by 0.4 ms, detected as a crash.
    let beyond = r#"{"degrade_link": {"from": "mon", "to": "db1", "added_latency": "250ms"}}"#;
    assert_eq!(detections(beyond), detections(crash));
}
