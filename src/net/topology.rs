//! The static topology of a scenario: regions, zones, nodes and links, as a petgraph graph.

use crate::core::time::Nanos;
use crate::scenarios::model::Role;
use petgraph::graph::{NodeIndex, UnGraph};
use std::collections::BTreeMap;

pub(crate) use crate::core::ids::{NodeId, RegionId, ZoneId};

/// One node as the engine sees it.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// The id from the scenario file.
    pub name: String,
    /// Index into [`Topology::regions`].
    pub region: RegionId,
    /// Index into [`Topology::zones`].
    pub zone: ZoneId,
    /// What the node is.
    pub role: Role,
    /// Capacity in demand units.
    pub capacity: f64,
    /// Repair priority: higher is repaired first by a crew with the `priority` policy.
    pub repair_priority: i64,
}

/// A zone and the region it belongs to.
#[derive(Clone, Debug)]
pub struct ZoneInfo {
    /// Zone name.
    pub name: String,
    /// Index into [`Topology::regions`].
    pub region: RegionId,
}

/// Latencies of implied links, by class.
#[derive(Clone, Copy, Debug)]
pub struct ImpliedLatencies {
    /// Same zone.
    pub zone: Nanos,
    /// Same region, different zones.
    pub region: Nanos,
    /// Different regions.
    pub global: Nanos,
}

/// The network as built from a scenario; never changes during a run.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Every node, indexed by [`NodeId`].
    pub nodes: Vec<NodeInfo>,
    /// Region names.
    pub regions: Vec<String>,
    /// Zones.
    pub zones: Vec<ZoneInfo>,
    /// Explicit links as a graph whose weights are latencies; node `i` is `NodeIndex(i)`.
    pub graph: UnGraph<NodeId, Nanos>,
    /// Present when every pair of nodes is implicitly linked.
    pub implied: Option<ImpliedLatencies>,
    /// Node ids by name.
    pub by_name: BTreeMap<String, NodeId>,
}

impl Topology {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Nodes of a zone.
    pub fn zone_nodes(&self, zone: ZoneId) -> Vec<NodeId> {
        self.nodes_where(|n| n.zone == zone)
    }

    /// Nodes of a region.
    pub fn region_nodes(&self, region: RegionId) -> Vec<NodeId> {
        self.nodes_where(|n| n.region == region)
    }

    /// Nodes matching a predicate, in id order.
    pub fn nodes_where(&self, keep: impl Fn(&NodeInfo) -> bool) -> Vec<NodeId> {
        (0..self.nodes.len())
            .filter(|&i| keep(&self.nodes[i]))
            .map(NodeId::new)
            .collect()
    }

    /// The latency of the implied link between two nodes.
    pub fn implied_latency(&self, a: NodeId, b: NodeId) -> Option<Nanos> {
        let implied = self.implied?;
        let (na, nb) = (&self.nodes[a.index()], &self.nodes[b.index()]);
        Some(if na.zone == nb.zone {
            implied.zone
        } else if na.region == nb.region {
            implied.region
        } else {
            implied.global
        })
    }

    /// The graph index of a node.
    pub fn graph_index(node: NodeId) -> NodeIndex {
        NodeIndex::new(node.index())
    }

    /// The node at a graph index (the inverse of [`Topology::graph_index`]).
    pub fn node_at(index: NodeIndex) -> NodeId {
        NodeId::new(index.index())
    }
}
