//! A one-way cut from the leader to its followers (DESIGN §5): the followers elect, and
//! the old leader keeps leading its term until it sees a higher one.

use super::test_support::{leaders, slowed_triangle};
use crate::core::time::SimTime;
use crate::net::topology::NodeId;
use crate::strategies::harness::MS;
use crate::strategies::{Outcome, ServiceState};

#[test]
fn the_old_leader_keeps_its_view_until_the_new_leaders_heartbeat_shows_it_a_higher_term() {
    // Replicas 0 and 1 share a zone (1 ms apart, slowed by 10 ms to 11 ms), replica 2 is
    // 5 ms from both; heartbeats every 50 ms from replica 0 (term 1, from 0), a constant
    // 300 ms election timeout. From 1003 ms everything replica 0 sends to 1 and 2 is
    // dropped (its heartbeat of 1000 ms with it), while 1 and 2 still reach 0. Replica 0
    // can no longer replicate: the service is DOWN at once. Replica 1 last heard the
    // heartbeat of 950 ms at 961 ms, replica 2 at 955 ms: 2 times out first, at
    // 1255 ms, and asks for votes in term 2; its request reaches 1 at 1260 ms, before
    // 1's own timer (1261 ms), and the grant is back at 1265 ms: 2 leads term 2, UP
    // again. The request also reaches 0 at 1260 ms, which still believes it leads (its
    // own check-quorum step-down is due only at 1003 + 300 = 1303 ms) and ignores it;
    // 2's first heartbeat, sent at 1265 ms, reaches 0 at 1270 ms: 0 sees term 2 and
    // steps down then. For 5 ms both believe they lead, but only 2 has a quorum.
    let mut harness = slowed_triangle(300);
    harness.run_until(SimTime(1_002 * MS));
    assert_eq!(harness.state(None), ServiceState::Up);
    harness.cut_one_way(
        &[NodeId::new(0)],
        &[NodeId::new(1), NodeId::new(2)],
        SimTime(1_003 * MS),
    );
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.run_until(SimTime(1_265 * MS - 1));
    assert_eq!(leaders(&harness), vec![(0, 1)]);
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.run_until(SimTime(1_265 * MS));
    assert_eq!(leaders(&harness), vec![(0, 1), (2, 2)]);
    assert_eq!(harness.state(None), ServiceState::Up);
    harness.run_until(SimTime(1_270 * MS - 1));
    assert_eq!(leaders(&harness), vec![(0, 1), (2, 2)]);
    harness.run_until(SimTime(1_270 * MS));
    assert_eq!(leaders(&harness), vec![(2, 2)]);
    harness.run_until(SimTime(5_000 * MS));
    assert_eq!(leaders(&harness), vec![(2, 2)]);
    assert_eq!(harness.records.len(), 1, "{:?}", harness.records);
    let record = &harness.records[0];
    assert_eq!(record.detected_at, SimTime(1_255 * MS));
    assert_eq!(record.completed_at, SimTime(1_265 * MS));
    assert_eq!(record.to, Some(NodeId::new(2)));
}

#[test]
fn a_replica_of_a_higher_term_refuses_the_stale_leaders_heartbeat_and_deposes_it() {
    // Replicas 0 and 1 share a zone (1 ms apart, slowed by 10 ms to 11 ms), replica 2 is
    // 5 ms from both; heartbeats every 50 ms from replica 0 (term 1, from 0), a constant
    // 230 ms election timeout. From 1040 ms replica 0's messages to 1 and 2 are dropped
    // (the reverse delivered): the service is DOWN, and 0's check-quorum step-down is
    // due at 1040 + 230 = 1270 ms. Replica 2 last heard the heartbeat of 1000 ms at
    // 1005 ms, replica 1 at 1011 ms: 2 times out first, at 1235 ms, and stands in term
    // 2; its request reaches 1 at 1240 ms (before 1's timeout, 1241 ms), which grants,
    // but 1 crashes at 1242 ms and its grant, due at 1245 ms, is lost with it: 2 stays a
    // candidate of term 2. The cut heals at 1245 ms; 0, still leading term 1, sends its
    // next heartbeat at 1250 ms, which reaches 2 at 1255 ms. 2's term is higher: it
    // refuses (it does not follow 0, as it would have before) and its answer reaches 0
    // at 1260 ms, which moves to term 2 and steps down then, before its check-quorum.
    // 2's round times out at 1235 + 230 = 1465 ms: term 3, 0 grants at 1470 ms, and 2
    // leads from 1475 ms; 0 was reachable again, so the failover is Superseded.
    let mut harness = slowed_triangle(230);
    harness.cut_one_way(
        &[NodeId::new(0)],
        &[NodeId::new(1), NodeId::new(2)],
        SimTime(1_040 * MS),
    );
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.crash(NodeId::new(1), SimTime(1_242 * MS));
    harness.heal(SimTime(1_245 * MS));
    harness.run_until(SimTime(1_260 * MS - 1));
    assert_eq!(leaders(&harness), vec![(0, 1)]);
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.run_until(SimTime(1_260 * MS));
    assert!(leaders(&harness).is_empty());
    harness.run_until(SimTime(1_475 * MS - 1));
    assert!(leaders(&harness).is_empty());
    assert_eq!(harness.state(None), ServiceState::Down);
    harness.run_until(SimTime(1_475 * MS));
    assert_eq!(leaders(&harness), vec![(2, 3)]);
    assert_eq!(harness.state(None), ServiceState::Up);
    harness.run_until(SimTime(5_000 * MS));
    assert_eq!(leaders(&harness), vec![(2, 3)]);
    assert_eq!(harness.records.len(), 1, "{:?}", harness.records);
    let record = &harness.records[0];
    assert_eq!(record.fault_at, SimTime(1_040 * MS));
    assert_eq!(record.detected_at, SimTime(1_235 * MS));
    assert_eq!(record.completed_at, SimTime(1_475 * MS));
    assert_eq!(record.outcome, Outcome::Superseded);
    assert_eq!(record.to, Some(NodeId::new(2)));
}
