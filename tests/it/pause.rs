//! The `pause` fault (DESIGN §5): a paused node answers and sends nothing but keeps its
//! role and beliefs; it resumes as it was (unless a crash ended the pause: a repair
//! restarts the node running), so a paused primary or leader comes back
//! stale. Hand-derived instants for ACTIVE_PASSIVE with and without fencing and for
//! N_WAY, the paused fraction of a stochastic pause process against its closed form,
//! and determinism.

use crate::common::{failsim, node_transitions, ns, run, run_json, scenario};
use failsim::core::episode::{EndedBy, OutageEpisode};
use failsim::core::record::Outcome;
use failsim::sim::engine::ServiceOutcome;
use failsim::sim::faults::FaultRegistry;

/// ACTIVE_PASSIVE on db1 (primary) and db2, monitored from `mon` in a third zone of the
/// region (5 ms one way to each replica): probes every 5 s at phase 0, 2 s timeout, 3
/// failures to declare down, 2 successes up; AUTOMATIC failover, promotion 2 s, re-route
/// 1 s; `fencing` as given; horizon 100 s; `faults` as given.
fn active_passive(fencing: bool, faults: &str) -> String {
    format!(
        r#"{{
        "horizon": "100s", "replications": 1,
        "topology": {{"nodes": [
            {{"id": "db1", "zone": "a"}}, {{"id": "db2", "zone": "b"}},
            {{"id": "mon", "zone": "c", "role": "monitor"}}],
            "latency": {{"region": "5ms"}}}},
        "services": [{{
            "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
            "detection": {{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"}},
            "active_passive": {{"monitor": "mon", "promotion": {{"const": "2s"}},
                               "reroute": {{"const": "1s"}}, "fencing": {fencing}}}
        }}],
        "faults": {faults}
    }}"#
    )
}

/// db1, the primary, paused at 12 s for `length`.
fn pause_primary(length: &str) -> String {
    format!(
        r#"{{"scheduled": [{{"id": "gc", "at": "12s", "duration": {{"const": "{length}"}},
            "fault": {{"pause": {{"nodes": ["db1"]}}}}}}]}}"#
    )
}

mod active_passive {
    use super::*;

    /// The failover both fencing settings share: db1 paused at 12 s. The monitor's
    /// probes at 15, 20 and 25 s fail; the third is known failed at 27 s (detection
    /// 15 s). AUTOMATIC: decided at 27 s, db2 promoted at 29 s, clients re-routed at
    /// 30 s while db1 is still frozen: a success, 18 s after the pause. db1 never
    /// stopped, so the failover was unnecessary. DOWN from 12 s to 30 s: one episode
    /// caused by the pause and ended by the failover.
    fn assert_the_failover(fencing: bool) -> ServiceOutcome {
        let scenario = scenario(&active_passive(fencing, &pause_primary("60s")));
        let registry = FaultRegistry::new(&scenario.faults);
        let service = run(&scenario, 0).services.remove(0);
        assert_eq!(service.records.len(), 1, "{:?}", service.records);
        let record = &service.records[0];
        assert_eq!(record.outcome, Outcome::Success);
        assert_eq!(registry.kind(record.fault), "pause");
        assert_eq!(record.fault_at.0, ns(12.0));
        assert_eq!(record.detected_at.0, ns(27.0));
        assert_eq!(record.decided_at.0, ns(27.0));
        assert_eq!(record.completed_at.0, ns(30.0));
        assert_eq!(record.to, scenario.topology.names.get("db2"));
        assert_eq!(service.unnecessary_failovers, 1);
        assert_eq!(service.down_ns, ns(18.0) as u128);
        assert_eq!(service.episodes.len(), 1);
        let episode = &service.episodes[0];
        assert_eq!((episode.start.0, episode.end.0), (ns(12.0), ns(30.0)));
        assert_eq!(episode.ended_by, EndedBy::Failover);
        assert_eq!(registry.kind(episode.cause), "pause");
        service
    }

    #[test]
    fn a_paused_primary_without_fencing_resumes_as_a_second_primary_until_the_next_probe() {
        // The failover above, then: db1 resumes at 72 s still believing it is the
        // primary (it was frozen, not told). Frozen from 29 s (db2 promoted) to 72 s it
        // acts as nothing: no split-brain. From 72 s both act as primary until the
        // monitor's first probe sent at or after 72 s — at 75 s — reaches db1 5 ms
        // later: split-brain = 75.005 − 72 = 3.005 s.
        let service = assert_the_failover(false);
        assert_eq!(service.split_brain_ns, ns(3.005));
    }

    #[test]
    fn a_paused_primary_with_fencing_is_one_unnecessary_failover_and_no_split_brain() {
        // Fenced when db2 was promoted (it could not be told), db1 rejoins as a standby
        // when it resumes at 72 s: never two primaries.
        let service = assert_the_failover(true);
        assert_eq!(service.split_brain_ns, 0);
    }

    #[test]
    fn a_paused_primary_under_a_lease_is_replaced_without_split_brain() {
        // The lease lapses while db1 is frozen and db2 takes over; db1, resumed, finds
        // the lease held by db2 at once (the global store): never two primaries.
        let text = active_passive(false, &pause_primary("60s")).replace(
            r#""fencing": false"#,
            r#""fencing": false,
               "lease": {"ttl": "30s", "loop_wait": "10s", "retry_timeout": "10s"}"#,
        );
        let service = run(&scenario(&text), 0).services.remove(0);
        assert_eq!(service.records.len(), 1, "{:?}", service.records);
        assert_eq!(service.records[0].outcome, Outcome::Success);
        assert_eq!(service.unnecessary_failovers, 1);
        assert_eq!(service.split_brain_ns, 0);
    }

    /// No failover and no split-brain; DOWN from 12 s to 14 s only, in one episode ended
    /// by `recovery`, which is returned.
    fn assert_down_from_12_to_14_s_without_failover(service: &ServiceOutcome) -> &OutageEpisode {
        assert!(service.records.is_empty(), "{:?}", service.records);
        assert_eq!(service.down_ns, ns(2.0) as u128);
        assert_eq!(service.unnecessary_failovers, 0);
        assert_eq!(service.split_brain_ns, 0);
        assert_eq!(service.episodes.len(), 1);
        let episode = &service.episodes[0];
        assert_eq!((episode.start.0, episode.end.0), (ns(12.0), ns(14.0)));
        assert_eq!(episode.ended_by, EndedBy::Recovery);
        episode
    }

    #[test]
    fn a_pause_shorter_than_detection_is_an_outage_ended_by_the_resume() {
        // Paused from 12 s to 14 s: the probe at 15 s finds db1 answering, so nothing
        // is declared and nothing fails over. DOWN 2 s, one episode caused by the pause
        // and ended by `recovery`.
        let scenario = scenario(&active_passive(false, &pause_primary("2s")));
        let registry = FaultRegistry::new(&scenario.faults);
        let service = run(&scenario, 0).services.remove(0);
        let episode = assert_down_from_12_to_14_s_without_failover(&service);
        assert_eq!(registry.kind(episode.cause), "pause");
    }

    #[test]
    fn a_crash_ends_a_pause_and_the_repaired_node_runs_at_once() {
        // db1 paused at 12 s for 60 s, but crashed at 13 s and repaired at 14 s: a
        // repair restarts the process, which comes back running, not frozen (the crash
        // ended the pause). The probe at 15 s finds db1 answering, so nothing is
        // declared: DOWN 12–14 s, one episode ended by `recovery`, and the pause's end at
        // 72 s changes nothing. (Were db1 still paused until 72 s, the probes at 15, 20
        // and 25 s would fail and db2 take over at 30 s, as in `assert_the_failover`.)
        let faults = r#"{"scheduled": [
            {"id": "gc", "at": "12s", "duration": {"const": "60s"},
             "fault": {"pause": {"nodes": ["db1"]}}},
            {"id": "oom", "at": "13s", "duration": {"const": "1s"},
             "fault": {"crash": {"nodes": ["db1"]}}}]}"#;
        let scenario = scenario(&active_passive(false, faults));
        let service = run(&scenario, 0).services.remove(0);
        assert_down_from_12_to_14_s_without_failover(&service);
        let db1 = "db1".to_string();
        assert_eq!(
            node_transitions(&scenario, 0),
            vec![(ns(13.0), db1.clone(), true), (ns(14.0), db1, false)]
        );
    }

    #[test]
    fn a_pause_is_not_a_crash_in_the_trace() {
        let scenario = scenario(&active_passive(false, &pause_primary("60s")));
        assert!(node_transitions(&scenario, 0).is_empty());
    }
}

mod n_way {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn followers_elect_a_new_leader_while_the_old_one_is_paused_and_it_never_serves_again() {
        // a, b, c in one zone 1 ms apart, a – b slowed by 19 ms from the start;
        // heartbeats every 50 ms from a (term 1, from 0), a constant 200 ms election
        // timeout. a is paused at 10.010 s; its heartbeat sent at 10.000 s is on the
        // wire and still arrives, at 10.001 s at c and 10.020 s at b. c times out first,
        // at 10.201 s (detection 191 ms); its RequestVote reaches b at 10.202 s, before
        // b's timer (10.220 s), and the grant is back at 10.203 s: c leads term 2 from
        // 10.203 s. Paused, a runs no timer, so it does not step down: it resumes at
        // 15.010 s as the leader of term 1, backed by nobody (b and c follow term 2), so
        // it cannot serve and no split-brain is counted; its own heartbeat of 15.050 s
        // reaches c at 15.051 s, c (term 2) refuses it, and the refusal is back at
        // 15.052 s: a steps down then, before c's heartbeat of 15.053 s (10.203 + 97 ×
        // 50 ms) reaches it (`strategies::n_way::pause_tests` checks such an instant).
        // DOWN only during the election: 193 ms.
        let text = r#"{
            "horizon": "20s", "replications": 1,
            "topology": {"nodes": [{"id": "a", "zone": "z"}, {"id": "b", "zone": "z"},
                                   {"id": "c", "zone": "z"}],
                         "latency": {"zone": "1ms"}},
            "services": [{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"],
                "n_way": {"heartbeat": "50ms", "election_timeout_min": "200ms",
                          "election_timeout_max": "200ms"}}],
            "faults": {"scheduled": [
                {"at": "0s", "fault": {"degrade_link": {"from": "a", "to": "b", "added_latency": "19ms"}}},
                {"id": "stw", "at": "10010ms", "duration": {"const": "5s"},
                 "fault": {"pause": {"nodes": ["a"]}}}]}
        }"#;
        let scenario = scenario(text);
        let registry = FaultRegistry::new(&scenario.faults);
        let service = run(&scenario, 0).services.remove(0);
        assert_eq!(service.records.len(), 1, "{:?}", service.records);
        let record = &service.records[0];
        assert_eq!(record.outcome, Outcome::Success);
        assert_eq!(registry.kind(record.fault), "pause");
        assert_eq!(record.fault_at.0, ns(10.010));
        assert_eq!(record.detection_time(), 191 * MS);
        assert_eq!(record.completed_at.0, ns(10.203));
        assert_eq!(record.from, scenario.topology.names.get("a"));
        assert_eq!(record.to, scenario.topology.names.get("c"));
        assert_eq!(service.down_ns, (193 * MS) as u128);
        assert_eq!(service.split_brain_ns, 0);
        assert_eq!(service.episodes.len(), 1);
        assert_eq!(service.episodes[0].ended_by, EndedBy::Failover);
    }
}

mod stochastic {
    use super::*;

    /// The pause process: pauses of const 1 min after exp(9 min) running times on `s1`
    /// and `s2`.
    const PAUSES: &str = r#""pauses": [{"id": "gc", "nodes": ["s1", "s2"],
        "interarrival": {"exp": {"mean": "9m"}}, "duration": {"const": "1m"}}]"#;

    /// One ACTIVE_PASSIVE replica `s1` (down exactly while paused) and a spare node
    /// `s2`; 30 days; `replications` replications; `faults` (members of `faults`).
    fn single(replications: u32, faults: &str) -> String {
        format!(
            r#"{{
            "horizon": "30d", "replications": {replications}, "seed": 11,
            "topology": {{"nodes": [{{"id": "s1"}}, {{"id": "s2"}}]}},
            "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["s1"]}}],
            "faults": {{{faults}}}
        }}"#
        )
    }

    #[test]
    fn the_paused_fraction_matches_mean_pause_over_mean_cycle() {
        // An alternating renewal process: paused fraction = E[pause] / (E[between] +
        // E[pause]) = 1 / (9 + 1) = 0.1. Per cycle C = I + D (I ~ exp(540 s), D = 60 s)
        // the renewal-reward CLT gives sd(fraction) ≈ sd(D − 0.1 C) / (E[C] √N) =
        // 0.1 × 540 / (600 √N); over 20 replications of 30 days, N ≈ 20 × 4320 cycles:
        // sd ≈ 3.1e-4. Tolerance 4.5 sd = 1.4e-3 (the start-up bias, under 1e-4, is
        // inside it).
        let replications = 20;
        let scenario = scenario(&single(replications, PAUSES));
        let horizon = scenario.horizon as u128;
        let down: u128 = (0..u64::from(replications))
            .map(|r| run(&scenario, r).services[0].down_ns)
            .sum();
        let fraction = down as f64 / (horizon * u128::from(replications)) as f64;
        assert!(
            (fraction - 0.1).abs() < 1.4e-3,
            "paused fraction {fraction}"
        );
    }

    #[test]
    fn the_same_seed_gives_byte_identical_results_whatever_the_threads() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pauses.json");
        std::fs::write(&file, single(4, PAUSES)).unwrap();
        let json = |threads: &str| run_json(&["run", file.to_str().unwrap(), "--threads", threads]);
        let first = json("2");
        assert_eq!(json("2"), first);
        assert_eq!(json("1"), first);
    }

    #[test]
    fn a_pause_process_leaves_every_other_nodes_failures_unchanged() {
        // Stable streams (DESIGN §1): the pauses draw from their own per-node streams.
        let failures = r#""node_failures": [{"id": "hw", "nodes": ["s1", "s2"],
            "ttf": {"exp": {"mean": "2d"}}, "ttr": {"exp": {"mean": "1h"}}}]"#;
        let without = scenario(&single(1, failures));
        let with = scenario(&single(1, &format!("{failures}, {PAUSES}")));
        let crashes = node_transitions(&without, 0);
        assert!(crashes.len() > 10, "{crashes:?}");
        assert_eq!(node_transitions(&with, 0), crashes);
    }
}

#[test]
fn validate_warns_of_pauses_no_service_can_see_and_of_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inert.json");
    let text = active_passive(
        false,
        r#"{"scheduled": [
            {"id": "seen", "at": "12s", "duration": {"const": "1s"}, "fault": {"pause": {"nodes": ["db1"]}}},
            {"id": "idle", "at": "12s", "duration": {"const": "1s"}, "fault": {"pause": {"nodes": ["spare"]}}}],
          "pauses": [
            {"id": "gc-spare", "nodes": ["spare"], "interarrival": {"exp": {"mean": "1h"}}, "duration": {"const": "1s"}},
            {"id": "gc-all", "interarrival": {"exp": {"mean": "1h"}}, "duration": {"const": "1s"}}]}"#,
    )
    .replace(
        r#"{"id": "mon", "zone": "c", "role": "monitor"}"#,
        r#"{"id": "mon", "zone": "c", "role": "monitor"}, {"id": "spare", "zone": "c"}"#,
    );
    std::fs::write(&file, text).unwrap();
    let output = failsim().arg("validate").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("fault `idle` (pause) cannot change any service's state"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fault `gc-spare` (pause) cannot change any service's state"),
        "{stdout}"
    );
    assert!(!stdout.contains("`seen`"), "{stdout}");
    assert!(!stdout.contains("`gc-all`"), "{stdout}");
    assert_eq!(stdout.matches("warning").count(), 2, "{stdout}");
}
