//! A paused N_WAY leader (DESIGN §5): it keeps its role and term while frozen, resumes
//! as the leader of its old term and steps down on the refusal of its first heartbeat.

use super::test_support::{constant_timeout, leaders, slowed_triangle};
use crate::core::time::SimTime;
use crate::net::topology::NodeId;
use crate::strategies::harness::{Harness, MS};
use crate::strategies::ServiceState;

#[test]
fn a_paused_leader_resumes_leading_its_old_term_until_its_heartbeat_is_refused() {
    // Replicas 0 and 1 share a zone (1 ms apart, slowed by 10 ms to 11 ms), replica 2
    // is 5 ms from both; heartbeats every 50 ms, a constant 300 ms election timeout.
    // Replica 0 is paused at 1003 ms; its heartbeat of 1000 ms is on the wire and still
    // arrives, at 1005 ms at replica 2 and 1011 ms at replica 1. Replica 2 times out
    // first, at 1305 ms; its vote request reaches replica 1 at 1310 ms, before replica
    // 1's own timeout (1311 ms), and the vote is back at 1315 ms: term 2. (With equal
    // links the two would time out within one latency of each other and split their
    // votes for ever under a constant timeout.) Frozen, replica 0 arms no step-down (a
    // crash-free leader cut off would step down 300 ms after losing its quorum): it
    // still leads term 1 when it resumes at 3000 ms, and sends its heartbeat of 3000
    // ms (its slots are k·50 ms) at once. It reaches replica 2, the leader of term 2, at
    // 3005 ms, which refuses it (Raft §5.1), and the refusal is back at 3010 ms:
    // replica 0 steps down then, before replica 2's own heartbeat of 3015 ms (1315 +
    // k·50 ms) would have reached it, at 3020 ms.
    let mut harness = slowed_triangle(300);
    harness.pause(NodeId::new(0), SimTime(1_003 * MS));
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.run_until(SimTime(1_315 * MS - 1));
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.run_until(SimTime(1_315 * MS));
    assert_eq!(harness.state(None), ServiceState::Up);
    harness.run_until(SimTime(2_000 * MS));
    assert_eq!(leaders(&harness), vec![(0, 1), (2, 2)]);
    harness.resume(NodeId::new(0), SimTime(3_000 * MS));
    harness.run_until(SimTime(3_010 * MS - 1));
    assert_eq!(leaders(&harness), vec![(0, 1), (2, 2)]);
    assert_eq!(harness.state(None), ServiceState::Up);
    harness.run_until(SimTime(3_010 * MS));
    assert_eq!(leaders(&harness), vec![(2, 2)]);
    harness.run_until(SimTime(10_000 * MS));
    assert_eq!(leaders(&harness), vec![(2, 2)]);
    assert_eq!(harness.records.len(), 1, "{:?}", harness.records);
}

#[test]
fn candidates_paused_mid_election_start_a_new_round_when_they_resume() {
    // Replicas 0, 1, 2 in one zone (1 ms), heartbeats every 50 ms, a constant 300 ms
    // election timeout. Leader 0 crashes at 1003 ms for good: 1 and 2 heard its
    // heartbeat of 1000 ms at 1001 ms, both time out at 1301 ms and stand in term 2,
    // each voting for itself; their requests cross and are refused (a split vote). Both
    // are paused at 1301.5 ms, which clears the timers of their next round. 1 resumes
    // at 2000 ms and starts a fresh round: it times out at 2300 ms and stands in term 3;
    // its request reaches 2 at 2301 ms — 2, resumed at 2100 ms, would time out only at
    // 2400 ms — which grants, and 1 leads term 3 from 2302 ms. A candidate left without
    // a timer would wait for ever for a leader.
    let mut harness = Harness::new(&[0, 0, 0], MS, MS, &constant_timeout(300));
    harness.crash(NodeId::new(0), SimTime(1_003 * MS));
    harness.pause(NodeId::new(1), SimTime(1_301 * MS + MS / 2));
    harness.pause(NodeId::new(2), SimTime(1_301 * MS + MS / 2));
    assert!(leaders(&harness).is_empty());
    harness.resume(NodeId::new(1), SimTime(2_000 * MS));
    harness.resume(NodeId::new(2), SimTime(2_100 * MS));
    harness.run_until(SimTime(2_302 * MS - 1));
    assert!(leaders(&harness).is_empty());
    harness.run_until(SimTime(2_302 * MS));
    assert_eq!(leaders(&harness), vec![(1, 3)]);
    harness.run_until(SimTime(10_000 * MS));
    assert_eq!(leaders(&harness), vec![(1, 3)]);
}
