//! Partition shapes (DESIGN §5): directed and non-transitive cuts against an N_WAY group,
//! with the instants derived by hand, and random shapes over a scope against the share
//! that enumeration predicts.

use crate::common::{ns, run, scenario};
use failsim::compile::CompiledScenario;
use failsim::core::record::Outcome;
use failsim::core::time::SimTime;
use failsim::sim::engine::Replication;
use failsim::sim::faults::FaultRegistry;
use failsim::sim::trace::{TraceEvent, TraceSink};

const MS: u64 = 1_000_000;

/// a, b, c with links a–b 20 ms, a–c 1 ms, b–c 20 ms; heartbeats every 50 ms, a constant
/// 200 ms election timeout; `cut` is a scheduled fault from 10.010 s for 5 s.
fn triangle(cut: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{
        "horizon": "20s", "replications": 1,
        "topology": {{
            "nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}],
            "links": [{{"from": "a", "to": "b", "latency": "20ms"}},
                      {{"from": "a", "to": "c", "latency": "1ms"}},
                      {{"from": "b", "to": "c", "latency": "20ms"}}]
        }},
        "services": [{{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"],
            "n_way": {{"heartbeat": "50ms", "election_timeout_min": "200ms",
                      "election_timeout_max": "200ms"}}}}],
        "faults": {{"scheduled": [{{"id": "cut", "at": "10010ms", "duration": {{"const": "5s"}},
                                    "fault": {cut}}}]}}
    }}"#
    ))
}

/// Each traced partition: its start, its sides (node names) and its end; and every
/// change of the service's state at the global vantage (time, UP?).
#[derive(Default)]
struct Partitions {
    names: Vec<String>,
    spans: Vec<(u64, Vec<Vec<String>>, Option<u64>)>,
    states: Vec<(u64, bool)>,
}

impl TraceSink for Partitions {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        match event {
            TraceEvent::FaultStart { sides, .. } => {
                let sides = sides
                    .lists()
                    .iter()
                    .map(|side| side.iter().map(|n| self.names[n.index()].clone()).collect())
                    .collect();
                self.spans.push((at.0, sides, None));
            }
            TraceEvent::FaultEnd { .. } => {
                let open = self.spans.iter_mut().rev().find(|s| s.2.is_none());
                open.expect("a partition ends after it starts").2 = Some(at.0);
            }
            TraceEvent::ServiceState { state, .. } => {
                self.states
                    .push((at.0, *state == failsim::core::state::ServiceState::Up));
            }
            _ => {}
        }
    }
}

fn traced(scenario: &CompiledScenario, replication: u64) -> Partitions {
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = Partitions {
        names: scenario
            .topology
            .names
            .in_order()
            .map(|(name, node)| (node, name.to_string()))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_values()
            .collect(),
        ..Partitions::default()
    };
    Replication::new(scenario, &registry, replication, Some(&mut sink)).run();
    sink
}

mod one_way {
    use super::*;

    #[test]
    fn followers_that_cannot_hear_the_leader_elect_at_the_instants_of_a_crash() {
        // a → b and a → c are dropped; b → a and c → a still delivered. a can no longer
        // replicate, so it stops serving at once (10.010 s). Its heartbeats: b last heard
        // the one sent at 9.950 s (arrived 9.970 s), c the one sent at 10.000 s (10.001 s).
        // b times out at 10.170 s; its RequestVote reaches c at 10.190 s, before c's own
        // timer (10.201 s); c's grant reaches b at 10.210 s: b leads, 200 ms down (the
        // heartbeat in flight to b is dropped by the cut; a crash would let it arrive).
        let scenario = triangle(r#"{"one_way": {"from": ["a"], "to": ["b", "c"]}}"#);
        let outcome = run(&scenario, 0);
        let service = &outcome.services[0];
        assert_eq!(service.records.len(), 1, "{:?}", service.records);
        let record = &service.records[0];
        assert_eq!(record.outcome, Outcome::Success);
        assert_eq!(record.fault_at.0, ns(10.010));
        assert_eq!(record.detected_at.0, ns(10.170));
        assert_eq!(record.completed_at.0, ns(10.210));
        assert_eq!(record.from, Some(scenario.topology.names.get("a").unwrap()));
        assert_eq!(record.to, Some(scenario.topology.names.get("b").unwrap()));
        assert_eq!(service.down_ns, u128::from(200 * MS));
        let trace = traced(&scenario, 0);
        assert_eq!(
            trace.spans,
            [(
                ns(10.010),
                vec![vec!["a".to_string()], vec!["b".into(), "c".into()]],
                Some(ns(15.010))
            )]
        );
    }

    #[test]
    fn a_leader_whose_acknowledgements_are_lost_steps_down_and_the_election_waits_for_it() {
        // b → a and c → a are dropped; a's heartbeats still reach b and c. a hears no
        // acknowledgement, stops serving at once (10.010 s) and steps down one maximum
        // election timeout later (10.210 s). Until then b and c hear a live leader and
        // keep their timers; heartbeats in flight at the step-down are lost, so b last
        // heard the one sent at 10.150 s (10.170 s) and c the one sent at 10.200 s
        // (10.201 s). b times out at 10.370 s, c's grant reaches it at 10.410 s: 400 ms
        // down, twice a crash's (CockroachDB measured 30.1 s for an asymmetric blackhole
        // against 14.5 s for a crash).
        let scenario = triangle(r#"{"one_way": {"from": ["b", "c"], "to": ["a"]}}"#);
        let service = &run(&scenario, 0).services[0];
        assert_eq!(service.records.len(), 1, "{:?}", service.records);
        let record = &service.records[0];
        assert_eq!(record.outcome, Outcome::Success);
        assert_eq!(record.fault_at.0, ns(10.010));
        assert_eq!(record.detected_at.0, ns(10.370));
        assert_eq!(record.completed_at.0, ns(10.410));
        assert_eq!(record.to, Some(scenario.topology.names.get("b").unwrap()));
        assert_eq!(service.down_ns, u128::from(400 * MS));
    }
}

mod non_transitive {
    use super::*;

    /// Five replicas (a leads first) with 1 ms links; `fault` from 10 s to 40 s, and
    /// `crash` (e.g. `{"crash": {"nodes": ["c"]}}`, or a harmless fault) from 20 s to 25 s.
    fn five(fault: &str, crash: &str) -> CompiledScenario {
        scenario(&format!(
            r#"{{
            "horizon": "60s", "replications": 1,
            "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}, {{"id": "d"}}, {{"id": "e"}}],
                          "latency": {{"zone": "1ms"}}}},
            "services": [{{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c", "d", "e"],
                "n_way": {{"heartbeat": "50ms", "election_timeout_min": "150ms",
                          "election_timeout_max": "300ms"}}}}],
            "faults": {{"scheduled": [{{"at": "10s", "duration": {{"const": "30s"}}, "fault": {fault}}},
                                      {{"at": "20s", "duration": {{"const": "5s"}}, "fault": {crash}}}]}}
        }}"#
        ))
    }

    #[test]
    fn in_a_majorities_ring_the_leader_keeps_its_two_neighbours_and_no_one_can_depose_it() {
        // Ring c, a, d, b, e: a hears and is heard by c and d, a quorum of 3 that follows
        // it, so it keeps serving. b and e do not hear a: their timers fire, but each
        // reaches only its two neighbours, of which one (c or d) hears the live leader,
        // so neither pre-vote finds the 3 replicas without a leader that it needs. No
        // election, no failover, UP throughout; the trace lists the ring's five sides.
        let ring = r#"{"majorities_ring": {"scope": {"nodes": ["c", "a", "d", "b", "e"]}}}"#;
        let scenario = five(ring, r#"{"gray": {"nodes": ["e"]}}"#);
        let service = &run(&scenario, 0).services[0];
        assert!(service.records.is_empty(), "{:?}", service.records);
        assert_eq!(service.down_ns, 0);
        let trace = traced(&scenario, 0);
        let sides: Vec<Vec<String>> = ["c", "a", "d", "b", "e"]
            .iter()
            .map(|n| vec![n.to_string()])
            .collect();
        assert_eq!(trace.spans[0], (ns(10.0), sides, Some(ns(40.0))));
    }

    #[test]
    fn in_a_majorities_ring_a_neighbour_crash_costs_the_leader_its_quorum() {
        // Without the ring, c's crash leaves a with b, d and e: nothing happens. In the
        // ring c, a, d, b, e it leaves a with d alone: a stops serving at 20 s. While a
        // is a live leader no pre-vote passes (d hears a; b reaches only d and e, and d
        // hears a); once a steps down, d (with a and b) or b (with d and e) elects.
        let crash = r#"{"crash": {"nodes": ["c"]}}"#;
        let plain = five(r#"{"gray": {"nodes": ["e"]}}"#, crash);
        let service = &run(&plain, 0).services[0];
        assert!(service.records.is_empty(), "{:?}", service.records);
        assert_eq!(service.down_ns, 0);
        let ring = r#"{"majorities_ring": {"scope": {"nodes": ["c", "a", "d", "b", "e"]}}}"#;
        let scenario = five(ring, crash);
        let service = &run(&scenario, 0).services[0];
        assert_eq!(service.records.len(), 1, "{:?}", service.records);
        let record = &service.records[0];
        assert_eq!(record.outcome, Outcome::Success);
        assert_eq!(record.fault_at.0, ns(20.0));
        assert_eq!(record.from, Some(scenario.topology.names.get("a").unwrap()));
        let to = record.to.expect("a new leader");
        assert!(
            to == scenario.topology.names.get("b").unwrap()
                || to == scenario.topology.names.get("d").unwrap(),
            "{to:?}"
        );
        // At least a's step-down (the 300 ms maximum timeout), at most that and two
        // rounds of election timeouts and messages.
        let down = service.down_ns as u64;
        assert!((300 * MS..=1_000 * MS).contains(&down), "{down} ns");
    }

    #[test]
    fn a_bridge_leaves_the_leader_its_half_and_the_bridge_and_the_far_half_no_quorum() {
        // Bridge over d, e, c, a, b: halves {d, e} and {a, b}, bridge c. a keeps b and c
        // (3 of 5); d and e reach c, which hears a: no pre-vote passes. UP throughout.
        let harmless = r#"{"gray": {"nodes": ["e"]}}"#;
        let scenario = five(
            r#"{"bridge": {"scope": {"nodes": ["d", "e", "c", "a", "b"]}}}"#,
            harmless,
        );
        let service = &run(&scenario, 0).services[0];
        assert!(service.records.is_empty(), "{:?}", service.records);
        assert_eq!(service.down_ns, 0);
        // Bridge over a, e, c, b, d: the leader a at the end of the first half still has
        // e and the bridge c.
        let scenario = five(
            r#"{"bridge": {"scope": {"nodes": ["a", "e", "c", "b", "d"]}}}"#,
            harmless,
        );
        assert_eq!(run(&scenario, 0).services[0].down_ns, 0);
    }
}

mod random_shapes {
    use super::*;

    /// P(no side of ≥ 3 replicas) when 5 replicas fall into 3 non-empty groups,
    /// enumerated over the 3⁵ assignments: 90 of the 150 surjections.
    fn no_quorum_probability() -> f64 {
        let (mut surjective, mut no_majority) = (0u32, 0u32);
        for code in 0..3u32.pow(5) {
            let mut sizes = [0u32; 3];
            let mut c = code;
            for _ in 0..5 {
                sizes[(c % 3) as usize] += 1;
                c /= 3;
            }
            if sizes.iter().all(|&s| s > 0) {
                surjective += 1;
                no_majority += u32::from(sizes.iter().all(|&s| s < 3));
            }
        }
        f64::from(no_majority) / f64::from(surjective)
    }

    #[test]
    fn any_split_of_five_replicas_into_three_leaves_no_quorum_as_often_as_enumeration_says() {
        // Two client nodes lie outside the scope: they are on no side and split nothing.
        let scenario = scenario(
            r#"{
            "horizon": "40h", "replications": 1,
            "topology": {"nodes": [{"id": "client1"}, {"id": "a"}, {"id": "b"}, {"id": "c"},
                                   {"id": "d"}, {"id": "e"}, {"id": "client2"}],
                         "latency": {"zone": "1ms"}},
            "services": [{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c", "d", "e"],
                "n_way": {"heartbeat": "50ms", "election_timeout_min": "150ms",
                          "election_timeout_max": "300ms"}}],
            "faults": {"random_partitions": [{"interarrival": {"exp": {"mean": "60s"}},
                "duration": {"const": "10s"}, "shape": {"any_split": {"groups": 3}},
                "scope": {"service": "kv"}}]}
        }"#,
        );
        let trace = traced(&scenario, 0);
        let up_at = |t: u64| {
            trace
                .states
                .iter()
                .rev()
                .find(|&&(at, _)| at <= t)
                .is_none_or(|&(_, up)| up)
        };
        let mut no_quorum = 0usize;
        let spans: Vec<_> = trace.spans.iter().filter(|s| s.2.is_some()).collect();
        assert!(spans.len() > 1500, "{} partitions", spans.len());
        for (start, sides, end) in &spans {
            let end = end.unwrap();
            assert_eq!(sides.len(), 3, "three sides: {sides:?}");
            assert_eq!(sides.iter().map(Vec::len).sum::<usize>(), 5, "{sides:?}");
            assert!(sides.iter().flatten().all(|n| !n.starts_with("client")));
            // Without a side of 3 no leader has a quorum: DOWN from the start to the
            // heal; with one, that side serves before the heal (an election takes < 1 s).
            if sides.iter().all(|s| s.len() < 3) {
                no_quorum += 1;
                let changes_inside = trace
                    .states
                    .iter()
                    .any(|&(at, up)| at > *start && at < end && up);
                assert!(
                    !up_at(*start) && !changes_inside,
                    "served at {start} without a quorum"
                );
            } else {
                assert!(
                    up_at(end - 1),
                    "not served before {end} with a quorum side {sides:?}"
                );
            }
        }
        let p = no_quorum_probability();
        assert!((p - 0.6).abs() < 1e-12);
        let share = no_quorum as f64 / spans.len() as f64;
        // Four standard errors of a binomial share.
        let tolerance = 4.0 * (p * (1.0 - p) / spans.len() as f64).sqrt();
        assert!(
            (share - p).abs() < tolerance,
            "{share} vs {p} ± {tolerance}"
        );
    }

    #[test]
    fn the_default_random_partition_always_leaves_a_majority_side() {
        // No shape and no scope: the majority-minority split over every node, whose
        // sides always hold a strict majority of all nodes.
        let scenario = scenario(
            r#"{
            "horizon": "10h", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}, {"id": "e"}]},
            "services": [{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c", "d", "e"]}],
            "faults": {"random_partitions": [{"interarrival": {"exp": {"mean": "60s"}},
                "duration": {"const": "10s"}, "groups": 3}]}
        }"#,
        );
        let trace = traced(&scenario, 0);
        assert!(trace.spans.len() > 100);
        for (_, sides, _) in &trace.spans {
            assert!(sides.iter().map(Vec::len).max().unwrap() >= 3, "{sides:?}");
        }
    }
}
