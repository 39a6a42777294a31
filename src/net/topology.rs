//! The static topology of a scenario: regions, zones, nodes and links, as a petgraph graph.

use crate::core::time::Nanos;
use crate::scenarios::check::KnownNames;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::Role;
use petgraph::graph::{NodeIndex, UnGraph};

pub(crate) use crate::core::ids::{NodeId, RegionId, ZoneId};

/// One node as the engine sees it; its id from the file is in [`Topology::names`].
#[derive(Clone, Debug)]
pub struct NodeInfo {
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
    /// The jitter of each class (zone, region, global) as an index into
    /// [`Topology::jitters`] plus one, 0 when the class's latency is fixed.
    pub jitter: [u32; 3],
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
    /// Explicit links as a graph whose weights are latencies (a jittered link's mean,
    /// which paths are chosen by); node `i` is `NodeIndex(i)`.
    pub graph: UnGraph<NodeId, Nanos>,
    /// The distributions jittered latencies draw from, each message its own delay.
    pub jitters: Vec<Distribution>,
    /// Per explicit link (by edge index), its jitter as an index into `jitters` plus one
    /// (0: fixed); empty when no explicit link is jittered.
    pub link_jitter: Vec<u32>,
    /// Present when every pair of nodes is implicitly linked.
    pub implied: Option<ImpliedLatencies>,
    /// Each node's id from the file, and the node of each id.
    pub names: NodeNames,
}

/// Longest total of node ids, in bytes: a generator with a long `prefix` and millions of
/// nodes is refused rather than left to exhaust memory.
pub(crate) const MAX_NAME_BYTES: usize = 1 << 28;

/// Node ids end to end in one string, and the nodes in id order: a million ids cost one
/// allocation and 8 bytes each beside their text, where a `String` and a map entry each
/// cost about 100.
#[derive(Clone, Debug, Default)]
pub struct NodeNames {
    /// Every id, in node order.
    text: String,
    /// Where each node's id ends in `text`.
    ends: Vec<u32>,
    /// The nodes by id (byte order); of nodes sharing an id only the first.
    sorted: Vec<NodeId>,
}

impl KnownNames<NodeId> for NodeNames {
    fn find(&self, name: &str) -> Option<NodeId> {
        self.get(name)
    }

    fn count(&self) -> usize {
        self.len()
    }

    fn in_order(&self) -> impl Iterator<Item = &str> {
        NodeNames::in_order(self).map(|(name, _)| name)
    }
}

/// The node ids would pass [`MAX_NAME_BYTES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NamesTooLong;

impl NodeNames {
    /// The id of `node`.
    pub fn name(&self, node: NodeId) -> &str {
        let i = node.index();
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The node with id `name` (the first, if an invalid topology repeats it).
    pub fn get(&self, name: &str) -> Option<NodeId> {
        self.sorted
            .binary_search_by(|&node| self.name(node).cmp(name))
            .ok()
            .map(|at| self.sorted[at])
    }

    /// How many distinct ids there are.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Each distinct id and its node, in id order.
    pub fn in_order(&self) -> impl Iterator<Item = (&str, NodeId)> + '_ {
        self.sorted.iter().map(|&node| (self.name(node), node))
    }

    /// Appends the next node's id.
    pub(crate) fn push(&mut self, name: &str) -> Result<(), NamesTooLong> {
        if self.text.len() + name.len() > MAX_NAME_BYTES {
            return Err(NamesTooLong);
        }
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
        Ok(())
    }

    /// Indexes the ids pushed and returns each node whose id an earlier node has, with
    /// that earlier node, in node order.
    pub(crate) fn index(&mut self) -> Vec<(NodeId, NodeId)> {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        let mut sorted: Vec<NodeId> = (0..self.ends.len()).map(NodeId::new).collect();
        // Stable: of equal ids the first node comes first.
        sorted.sort_by(|&a, &b| self.name(a).cmp(self.name(b)));
        let mut repeats = Vec::new();
        sorted.dedup_by(|later, first| {
            let same = self.name(*later) == self.name(*first);
            if same {
                repeats.push((*later, *first));
            }
            same
        });
        sorted.shrink_to_fit();
        self.sorted = sorted;
        repeats.sort_unstable();
        repeats
    }
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
        self.implied_link(a, b).map(|(latency, _)| latency)
    }

    /// The (mean) latency and jitter code of the implied link between two nodes.
    pub(crate) fn implied_link(&self, a: NodeId, b: NodeId) -> Option<(Nanos, u32)> {
        let implied = self.implied?;
        let (na, nb) = (&self.nodes[a.index()], &self.nodes[b.index()]);
        Some(if na.zone == nb.zone {
            (implied.zone, implied.jitter[0])
        } else if na.region == nb.region {
            (implied.region, implied.jitter[1])
        } else {
            (implied.global, implied.jitter[2])
        })
    }

    /// Whether some message delays are drawn (a latency is a distribution).
    pub fn jittered(&self) -> bool {
        !self.jitters.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_by_id_and_repeats_point_to_the_first_holder() {
        let mut names = NodeNames::default();
        for name in ["b", "a", "c", "a", "", "b"] {
            names.push(name).unwrap();
        }
        let node = NodeId::new;
        assert_eq!(names.index(), vec![(node(3), node(1)), (node(5), node(0))]);
        assert_eq!(names.name(node(2)), "c");
        assert_eq!(names.name(node(4)), "");
        assert_eq!(names.get("a"), Some(node(1)));
        assert_eq!(names.get("b"), Some(node(0)));
        assert_eq!(names.get("d"), None);
        let in_order: Vec<(&str, NodeId)> = names.in_order().collect();
        assert_eq!(
            in_order,
            vec![
                ("", node(4)),
                ("a", node(1)),
                ("b", node(0)),
                ("c", node(2))
            ]
        );
        assert_eq!(names.len(), 4);
    }
}
