//! The compiled form of one service that every strategy starts from: node names
//! resolved to ids, parameters checked and typed.

use super::detection::Detection;
use super::failover::{Failover, Replication};
use super::StrategyParams;
use crate::net::topology::NodeId;

/// A service ready to simulate.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    /// Service name.
    pub name: String,
    /// Replica nodes in priority order.
    pub replicas: Vec<NodeId>,
    /// Vantage points; empty means the global client.
    pub vantages: Vec<NodeId>,
    /// Demand in capacity units.
    pub demand: f64,
    /// Health checking.
    pub detection: Detection,
    /// How failover is approved, bounded and retried.
    pub failover: Failover,
    /// Replication to standbys (data loss).
    pub replication: Replication,
    /// The strategy and its own parameters.
    pub strategy: StrategyParams,
}

impl ServiceSpec {
    /// Whether the strategy reads reachability and latency only from the global client,
    /// which reaches every up node whatever the links between them: no vantage point, no
    /// monitor or lease store node, and replicas that do not message each other (N_WAY
    /// does). Then only the states of its own nodes matter to it, never those of the
    /// routers between them.
    pub(crate) fn observes_only_globally(&self) -> bool {
        self.vantages.is_empty()
            && self.strategy.watched_nodes().iter().all(Option::is_none)
            && !matches!(self.strategy, StrategyParams::NWay(_))
    }
}
