//! What the N_WAY harness tests share: who leads, and the harnesses they start from.

use super::{NWay, Role};
use crate::core::time::SimTime;
use crate::net::topology::NodeId;
use crate::strategies::harness::{Harness, MS};
use crate::strategies::ServiceStrategy;

/// Every replica that believes it leads, with its term.
pub(super) fn leaders(harness: &Harness) -> Vec<(usize, u32)> {
    let ServiceStrategy::NWay(nway) = harness.strategy() else {
        panic!("an N_WAY harness");
    };
    let nway: &NWay = nway;
    (0..nway.replicas.len())
        .filter(|&i| nway.replicas[i].role == Role::Leader)
        .map(|i| (i, nway.replicas[i].term))
        .collect()
}

/// An N_WAY service with heartbeats every 50 ms and a constant election timeout.
pub(super) fn constant_timeout(timeout_ms: u64) -> String {
    format!(
        r#"{{"name": "kv", "strategy": "N_WAY",
            "n_way": {{"heartbeat": "50ms", "election_timeout_min": "{timeout_ms}ms",
                      "election_timeout_max": "{timeout_ms}ms"}}}}"#
    )
}

/// Replicas 0 and 1 in one zone, 1 ms apart but slowed by 10 ms to 11 ms, replica 2 in
/// another 5 ms from both; a constant election timeout. Replica 0 leads term 1 from 0,
/// and replica 2 hears it first, so it is the first to time out when 0 falls silent.
pub(super) fn slowed_triangle(timeout_ms: u64) -> Harness {
    let mut harness = Harness::new(&[0, 0, 1], MS, 5 * MS, &constant_timeout(timeout_ms));
    harness.slow_link(NodeId::new(0), NodeId::new(1), 10 * MS, SimTime(0));
    harness
}
