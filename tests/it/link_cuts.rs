//! `cut_link` with a `direction` (DESIGN §5): one direction of one explicit link cut, so
//! paths over that link are cut that way only, against an N_WAY group on a line, with
//! the instants derived by hand.

use crate::common::{ns, run, scenario};
use failsim::core::record::Outcome;

/// The line a – b (1 ms) – c (4 ms), no a – c link; N_WAY over a, b, c (a leads term 1
/// from 0), heartbeats every 50 ms, a constant 300 ms election timeout; from 1.003 s to
/// the 5 s horizon the link a – b is cut with `direction` (None: the field left out).
fn line(direction: Option<&str>) -> failsim::sim::engine::ServiceOutcome {
    let direction = direction.map_or(String::new(), |d| format!(r#", "direction": "{d}""#));
    let text = format!(
        r#"{{
        "horizon": "5s", "replications": 1,
        "topology": {{
            "nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}],
            "links": [{{"from": "a", "to": "b", "latency": "1ms"}},
                      {{"from": "b", "to": "c", "latency": "4ms"}}]
        }},
        "services": [{{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"],
            "n_way": {{"heartbeat": "50ms", "election_timeout_min": "300ms",
                      "election_timeout_max": "300ms"}}}}],
        "faults": {{"scheduled": [{{"id": "cut", "at": "1003ms",
            "fault": {{"cut_link": {{"from": "a", "to": "b"{direction}}}}}}}]}}
    }}"#
    );
    let scenario = scenario(&text);
    run(&scenario, 0).services.remove(0)
}

/// The one failover each cut causes: from a to c, detected and completed as given (s).
fn assert_failover(service: &failsim::sim::engine::ServiceOutcome, detected: f64, done: f64) {
    assert_eq!(service.records.len(), 1, "{:?}", service.records);
    let record = &service.records[0];
    assert_eq!(record.outcome, Outcome::Success);
    assert_eq!(record.fault_at.0, ns(1.003));
    assert_eq!(record.detected_at.0, ns(detected));
    assert_eq!(record.completed_at.0, ns(done));
    assert_eq!(service.down_ns, u128::from(ns(done) - ns(1.003)));
    assert_eq!(service.episodes.len(), 1);
}

#[test]
fn a_cut_from_the_leader_silences_it_over_both_hops_and_the_far_follower_elects() {
    // a → b cut: a's messages to b and to c (whose only path crosses a → b) are dropped,
    // while b and c still reach a (c over c → b → a). a can no longer replicate: DOWN at
    // 1.003 s. The heartbeat of 1.000 s reached b at 1.001 s; the one to c, due at 1.005
    // s, is dropped on the way, so c last heard that of 0.950 s at 0.955 s. c times out
    // first, at 1.255 s (b at 1.301 s), and its pre-vote passes (b hears no leader); its
    // request reaches b at 1.259 s, the grant is back at 1.263 s: c leads term 2 and
    // serves (it exchanges messages with b both ways). a ignores c's request (it still
    // leads) and steps down at c's first heartbeat (1.268 s): unseen by clients.
    let service = line(Some("from_to"));
    assert_failover(&service, 1.255, 1.263);
    assert_eq!(service.records[0].attempt, 0);
}

#[test]
fn a_cut_towards_the_leader_drops_its_acknowledgements_and_it_steps_down_first() {
    // b → a cut (`to_from` of a – b): a's heartbeats still reach b and c, which keep
    // following it, but their acknowledgements (c's over c → b → a too) are dropped: a
    // stops serving at 1.003 s and steps down after its check-quorum timeout, at 1.303
    // s. The followers lose their leader then, having last heard the heartbeats that
    // arrived by then (those still on their way are not counted): b that of 1.300 s at
    // 1.301 s, c that of 1.250 s at 1.255 s. c times out at 1.555 s (b at 1.601 s) and
    // stands in term 2; its request reaches b at 1.559 s, the grant is back at 1.563 s:
    // c leads and serves. 300 ms later than the cut the other way, the election waiting
    // for the old leader's step-down.
    let service = line(Some("to_from"));
    assert_failover(&service, 1.555, 1.563);
}

#[test]
fn a_cut_link_without_a_direction_cuts_both_ways() {
    // Both ways: a is cut off from b and c; the followers time out as under the cut
    // from a (c at 1.255 s) and elect c at 1.263 s; a steps down at its check-quorum
    // timeout (1.303 s), unseen. Written out, `both` is the same.
    for direction in [None, Some("both")] {
        let service = line(direction);
        assert_failover(&service, 1.255, 1.263);
    }
}
