//! A one-way cut from the leader to its followers (DESIGN §5): the followers elect, and
//! the old leader keeps leading its term until it sees a higher one.

use super::pause_tests::leaders;
use crate::core::time::SimTime;
use crate::net::topology::NodeId;
use crate::strategies::harness::{Harness, MS};
use crate::strategies::ServiceState;

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
    let service = r#"{
        "name": "kv", "strategy": "N_WAY",
        "n_way": {"heartbeat": "50ms", "election_timeout_min": "300ms",
                  "election_timeout_max": "300ms"}
    }"#;
    let mut harness = Harness::new(&[0, 0, 1], MS, 5 * MS, service);
    harness.slow_link(NodeId::new(0), NodeId::new(1), 10 * MS, SimTime(0));
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
