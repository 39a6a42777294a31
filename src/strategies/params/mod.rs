//! Each strategy's parameters, compiled from its block of the file model: checked with
//! their JSON paths, node and region names resolved, defaults applied.

pub(crate) mod active_active;
pub(crate) mod active_passive;
pub(crate) mod geographic;
pub(crate) mod n_way;

use crate::net::network::Network;
use crate::net::topology::{NodeId, Topology};
use std::cell::OnceCell;
use std::sync::Arc;

/// What a service's strategy parameters are compiled against.
pub(crate) struct Site<'a> {
    /// JSON path of the service, e.g. `services[0]`.
    pub path: &'a str,
    /// The compiled topology.
    pub topology: &'a Arc<Topology>,
    /// The service's replicas, resolved, in priority order.
    pub replicas: &'a [NodeId],
    /// The intact network, built on first use and shared by a scenario's services.
    pub intact: &'a OnceCell<Network>,
}

impl Site<'_> {
    /// The network with every node up and no fault: latencies as built.
    pub(crate) fn intact_network(&self) -> &Network {
        self.intact
            .get_or_init(|| Network::new(Arc::clone(self.topology)))
    }
}
