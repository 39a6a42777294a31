//! The compiled form of one service that every strategy starts from: node names
//! resolved to ids.

use crate::net::topology::NodeId;
use crate::scenarios::model::{Service, StrategyName};

/// A service with node names resolved to ids.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    /// Service name.
    pub name: String,
    /// Strategy to run.
    pub strategy: StrategyName,
    /// Replica nodes in priority order.
    pub replicas: Vec<NodeId>,
    /// Vantage points; empty means the global client.
    pub vantages: Vec<NodeId>,
    /// ACTIVE_PASSIVE monitor node; None means a global monitor.
    pub monitor: Option<NodeId>,
    /// GEOGRAPHIC: regions in priority order (primary first).
    pub regions: Vec<u32>,
    /// Parameters as written in the file.
    pub params: Service,
}

impl ServiceSpec {
    /// The N_WAY quorum: configured or ⌊N/2⌋+1.
    pub fn quorum(&self) -> usize {
        self.params
            .n_way
            .quorum
            .map(|q| q as usize)
            .unwrap_or(self.replicas.len() / 2 + 1)
    }
}
