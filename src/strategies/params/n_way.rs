//! N_WAY parameters: the quorum, Byzantine tolerance and the Raft timers, checked
//! against the replicas' round trip on the intact network.

use super::Site;
use crate::core::time::Nanos;
use crate::net::network::Network;
use crate::net::topology::NodeId;
use crate::scenarios::check::Checker;
use crate::scenarios::model::{Service, StrategyName};

/// The protocol's sizes and timers.
#[derive(Clone, Debug)]
pub struct Params {
    /// Votes needed to elect a leader or commit (raised for BFT to ⌈(n+f+1)/2⌉).
    pub quorum: usize,
    /// Byzantine replicas tolerated (0 without BFT).
    pub tolerated_byzantine: usize,
    /// Leader heartbeat period.
    pub heartbeat: Nanos,
    /// Shortest election timeout.
    pub election_timeout_min: Nanos,
    /// Longest election timeout.
    pub election_timeout_max: Nanos,
}

/// Checks and compiles the service's `n_way` block; the round-trip and BFT checks only
/// for a service that runs N_WAY.
pub(crate) fn compile(service: &Service, site: &Site, check: &mut Checker) -> Params {
    let path = site.path;
    let nway = &service.n_way;
    let replicas = site.replicas;
    let n = replicas.len();
    let runs_n_way = service.strategy == StrategyName::NWay;
    if let Some(q) = nway.quorum {
        check.require(
            q as usize <= n && q as usize > n / 2,
            format!("{path}.n_way.quorum"),
            format!(
                "quorum {q} is impossible with {n} replicas: it must be more than half ({} to {n})",
                n / 2 + 1
            ),
        );
    }
    check.require(
        nway.heartbeat.nanos() > 0,
        format!("{path}.n_way.heartbeat"),
        "the heartbeat period must be longer than zero",
    );
    check.require(
        nway.election_timeout_min.nanos() > 0
            && nway.election_timeout_min <= nway.election_timeout_max,
        format!("{path}.n_way.election_timeout_min"),
        "election timeouts need 0 < min ≤ max",
    );
    check.require(
        nway.heartbeat < nway.election_timeout_min,
        format!("{path}.n_way.heartbeat"),
        "the heartbeat period must be shorter than the shortest election timeout, or followers time out while the leader is healthy",
    );
    if runs_n_way && nway.election_timeout_min.nanos() > 0 {
        if let Some((a, b, round_trip)) = farthest_round_trip(site.intact_network(), replicas) {
            let name = |node: NodeId| site.topology.names.name(node);
            check.require(
                nway.election_timeout_min.nanos() > round_trip,
                format!("{path}.n_way.election_timeout_min"),
                format!(
                    "a vote takes a round trip of {} between replicas `{}` and `{}`, no \
                     less than the shortest election timeout ({}): candidates time out \
                     before their votes arrive and elections never end; use an \
                     election_timeout_min longer than the round trip",
                    seconds(round_trip),
                    name(a),
                    name(b),
                    seconds(nway.election_timeout_min.nanos())
                ),
            );
        }
    }
    let faulty = nway.max_faulty.unwrap_or((n.max(1) as u32 - 1) / 3) as usize;
    if nway.bft && runs_n_way {
        let needed = 3 * faulty.max(1) + 1;
        check.require(
            faulty >= 1 && n >= needed,
            format!("{path}.n_way.max_faulty"),
            format!(
                "BFT needs n ≥ 3f+1 with f ≥ 1: {n} replicas tolerate at most f = {}; \
                 use at least {needed} replicas",
                (n.max(1) - 1) / 3
            ),
        );
    }
    let majority = nway.quorum.map(|q| q as usize).unwrap_or(n / 2 + 1);
    let (quorum, tolerated_byzantine) = if nway.bft {
        (majority.max((n + faulty + 2) / 2), faulty)
    } else {
        (majority, 0)
    };
    Params {
        quorum,
        tolerated_byzantine,
        heartbeat: nway.heartbeat.nanos(),
        election_timeout_min: nway.election_timeout_min.nanos(),
        election_timeout_max: nway.election_timeout_max.nanos(),
    }
}

/// The replicas farthest apart on the intact network and their round trip (twice the
/// one-way latency of the shortest path), or None with fewer than two connected replicas.
fn farthest_round_trip(network: &Network, replicas: &[NodeId]) -> Option<(NodeId, NodeId, Nanos)> {
    let mut farthest = None;
    for (i, &a) in replicas.iter().enumerate() {
        for &b in &replicas[i + 1..] {
            if let Some(latency) = network.latency(Some(a), b) {
                let round_trip = latency.saturating_mul(2);
                if farthest.is_none_or(|(_, _, longest)| round_trip > longest) {
                    farthest = Some((a, b, round_trip));
                }
            }
        }
    }
    farthest
}

/// A span for messages, e.g. `80ms`.
fn seconds(nanos: Nanos) -> String {
    humantime::format_duration(std::time::Duration::from_nanos(nanos)).to_string()
}
