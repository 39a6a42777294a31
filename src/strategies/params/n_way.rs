//! N_WAY parameters: the quorum, Byzantine tolerance and the Raft timers, checked
//! against the round trip of the quickest quorum of votes on the intact network.

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
    if runs_n_way && nway.election_timeout_max.nanos() > 0 {
        if let Some((a, b, round_trip)) = quickest_quorum(site.intact_network(), replicas, quorum) {
            let name = |node: NodeId| site.topology.names.name(node);
            check.require(
                nway.election_timeout_max.nanos() > round_trip,
                format!("{path}.n_way.election_timeout_max"),
                format!(
                    "the quickest quorum of votes takes a round trip of {} (replica `{}` \
                     asking `{}`), no less than the longest election timeout ({}): every \
                     candidate times out before its votes arrive and elections never end; \
                     use an election_timeout_max longer than the round trip",
                    seconds(round_trip),
                    name(a),
                    name(b),
                    seconds(nway.election_timeout_max.nanos())
                ),
            );
        }
    }
    Params {
        quorum,
        tolerated_byzantine,
        heartbeat: nway.heartbeat.nanos(),
        election_timeout_min: nway.election_timeout_min.nanos(),
        election_timeout_max: nway.election_timeout_max.nanos(),
    }
}

/// The replica that can gather a quorum of votes soonest on the intact network: the
/// replica, the farthest peer of its quickest quorum and that peer's round trip (twice the
/// one-way latency of the shortest path). A candidate wins only if some election timeout
/// outlasts it, so elections can end only if the longest timeout does (shorter draws
/// merely take more rounds). None when no replica reaches `quorum − 1` peers (replicas
/// disconnected at t = 0 are refused elsewhere).
fn quickest_quorum(
    network: &Network,
    replicas: &[NodeId],
    quorum: usize,
) -> Option<(NodeId, NodeId, Nanos)> {
    let peers_needed = quorum.checked_sub(1)?;
    let mut quickest: Option<(NodeId, NodeId, Nanos)> = None;
    for &a in replicas {
        let mut round_trips: Vec<(Nanos, NodeId)> = replicas
            .iter()
            .filter(|&&b| b != a)
            .filter_map(|&b| Some((network.latency(Some(a), b)?.saturating_mul(2), b)))
            .collect();
        if peers_needed == 0 || round_trips.len() < peers_needed {
            continue;
        }
        round_trips.sort_unstable();
        let (round_trip, b) = round_trips[peers_needed - 1];
        if quickest.is_none_or(|(_, _, best)| round_trip < best) {
            quickest = Some((a, b, round_trip));
        }
    }
    quickest
}

/// A span for messages, e.g. `80ms`.
fn seconds(nanos: Nanos) -> String {
    humantime::format_duration(std::time::Duration::from_nanos(nanos)).to_string()
}
