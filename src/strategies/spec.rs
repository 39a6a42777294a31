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
