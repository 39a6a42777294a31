//! The network at run time: which nodes are up, active partitions, cut and degraded
//! links, and the reachability and latency they imply.
//!
//! Reachability and shortest paths are cached per network epoch: the epoch advances
//! only when a node, link or partition changes, never per message.

use super::topology::{NodeId, Topology};
use crate::core::time::Nanos;
use petgraph::unionfind::UnionFind;
use petgraph::visit::{EdgeFiltered, EdgeRef};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Who is looking: a node, or the global observer that reaches every up node.
pub(crate) type Observer = Option<NodeId>;

/// How many faults hold something down at once ("causes"). Each cause is added by one
/// processed event and is counted as wide as the event counter (`u64`), so no number of
/// overlapping faults can wrap it and bring back a node or link that must stay down
/// (65,536 overlapping crashes wrapped the `u16` this used to be).
pub(crate) type Causes = u64;

#[derive(Clone, Copy, Debug, Default)]
struct LinkFault {
    cuts: Causes,
    added_latency: Nanos,
    loss: f64,
}

struct ActivePartition {
    fault: u32,
    group_of: Vec<u16>,
}

#[derive(Default)]
struct PathCache {
    epoch: u64,
    components: Option<Vec<usize>>,
    distances: BTreeMap<NodeId, Vec<Nanos>>,
}

/// Mutable network state of one replication.
pub(crate) struct Network {
    topology: Arc<Topology>,
    down_causes: Vec<Causes>,
    partitions: Vec<ActivePartition>,
    label: Vec<u32>,
    link_faults: BTreeMap<(NodeId, NodeId), LinkFault>,
    epoch: u64,
    cache: RefCell<PathCache>,
}

fn link_key(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

impl Network {
    /// All nodes up, no partition, no link fault.
    pub(crate) fn new(topology: Arc<Topology>) -> Self {
        let n = topology.len();
        Network {
            topology,
            down_causes: vec![0; n],
            partitions: Vec::new(),
            label: vec![0; n],
            link_faults: BTreeMap::new(),
            epoch: 1,
            cache: RefCell::new(PathCache::default()),
        }
    }

    /// The static topology.
    pub(crate) fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Whether a node is up.
    pub(crate) fn is_up(&self, node: NodeId) -> bool {
        self.down_causes[node.index()] == 0
    }

    /// Adds one reason for `node` to be down; returns true if it just went down.
    pub(crate) fn crash(&mut self, node: NodeId) -> bool {
        let causes = &mut self.down_causes[node.index()];
        *causes += 1;
        let went_down = *causes == 1;
        if went_down {
            self.epoch += 1;
        }
        went_down
    }

    /// Removes one reason for `node` to be down; returns true if it just came up.
    pub(crate) fn repair(&mut self, node: NodeId) -> bool {
        let causes = &mut self.down_causes[node.index()];
        debug_assert!(*causes > 0, "repair of a node that is not down");
        *causes = causes.saturating_sub(1);
        let came_up = *causes == 0;
        if came_up {
            self.epoch += 1;
        }
        came_up
    }

    /// Starts partition `fault`: nodes talk only within their group.
    pub(crate) fn partition(&mut self, fault: u32, group_of: Vec<u16>) {
        self.partitions.push(ActivePartition { fault, group_of });
        self.relabel();
    }

    /// Ends partition `fault`.
    pub(crate) fn heal(&mut self, fault: u32) {
        self.partitions.retain(|p| p.fault != fault);
        self.relabel();
    }

    fn relabel(&mut self) {
        // Two nodes share a label iff they share a group in every active partition.
        let mut labels: BTreeMap<Vec<u16>, u32> = BTreeMap::new();
        for node in 0..self.label.len() {
            let key: Vec<u16> = self.partitions.iter().map(|p| p.group_of[node]).collect();
            let next = labels.len() as u32;
            self.label[node] = *labels.entry(key).or_insert(next);
        }
        self.epoch += 1;
    }

    /// Cuts (`cut = true`) or restores one link.
    pub(crate) fn set_link_cut(&mut self, a: NodeId, b: NodeId, cut: bool) {
        let fault = self.link_faults.entry(link_key(a, b)).or_default();
        if cut {
            fault.cuts += 1;
        } else {
            fault.cuts = fault.cuts.saturating_sub(1);
        }
        self.epoch += 1;
    }

    /// Sets the added latency and loss of one link (zero and zero restore it).
    pub(crate) fn degrade_link(&mut self, a: NodeId, b: NodeId, added_latency: Nanos, loss: f64) {
        let fault = self.link_faults.entry(link_key(a, b)).or_default();
        fault.added_latency = added_latency;
        fault.loss = loss;
        self.epoch += 1;
    }

    fn link_fault(&self, a: NodeId, b: NodeId) -> LinkFault {
        if self.link_faults.is_empty() {
            return LinkFault::default();
        }
        self.link_faults
            .get(&link_key(a, b))
            .copied()
            .unwrap_or_default()
    }

    fn link_usable(&self, a: NodeId, b: NodeId) -> bool {
        self.is_up(a)
            && self.is_up(b)
            && self.label[a.index()] == self.label[b.index()]
            && self.link_fault(a, b).cuts == 0
    }

    /// Whether `to` is up and reachable from `from`.
    pub(crate) fn reachable(&self, from: Observer, to: NodeId) -> bool {
        let Some(from) = from else {
            return self.is_up(to);
        };
        if from == to {
            return self.is_up(to);
        }
        if !self.is_up(from) || !self.is_up(to) {
            return false;
        }
        if self.topology.implied.is_some() {
            self.link_usable(from, to) || self.implied_detour(from, to).is_some()
        } else {
            self.with_cache(|network, cache| {
                let components = cache.components.get_or_insert_with(|| network.components());
                components[from.index()] == components[to.index()]
            })
        }
    }

    /// One-way message delay from `from` to `to` over the shortest usable path.
    pub(crate) fn latency(&self, from: Observer, to: NodeId) -> Option<Nanos> {
        let Some(from) = from else {
            return self.is_up(to).then_some(0);
        };
        if !self.reachable(Some(from), to) {
            return None;
        }
        if from == to {
            return Some(0);
        }
        if self.topology.implied.is_some() {
            if self.link_usable(from, to) {
                let direct = self.topology.implied_latency(from, to)?;
                Some(direct + self.link_fault(from, to).added_latency)
            } else {
                self.implied_detour(from, to)
            }
        } else {
            self.with_cache(|network, cache| {
                let distances = cache
                    .distances
                    .entry(from)
                    .or_insert_with(|| network.shortest_paths(from));
                let d = distances[to.index()];
                (d != Nanos::MAX).then_some(d)
            })
        }
    }

    /// Probability that one probe from `from` to `to` is lost on degraded links.
    pub(crate) fn probe_loss(&self, from: Observer, to: NodeId) -> f64 {
        let Some(from) = from else { return 0.0 };
        if self.link_faults.is_empty() {
            return 0.0;
        }
        // Degradation is counted on the direct link only; with explicit links the
        // degraded link's loss applies when it joins the two nodes directly.
        self.link_fault(from, to).loss
    }

    fn implied_detour(&self, from: NodeId, to: NodeId) -> Option<Nanos> {
        let topology = &self.topology;
        (0..topology.len())
            .map(NodeId::new)
            .filter(|&via| via != from && via != to)
            .filter(|&via| self.link_usable(from, via) && self.link_usable(via, to))
            .filter_map(|via| {
                let first =
                    topology.implied_latency(from, via)? + self.link_fault(from, via).added_latency;
                let second =
                    topology.implied_latency(via, to)? + self.link_fault(via, to).added_latency;
                Some(first + second)
            })
            .min()
    }

    fn with_cache<T>(&self, f: impl FnOnce(&Self, &mut PathCache) -> T) -> T {
        let mut cache = self.cache.borrow_mut();
        if cache.epoch != self.epoch {
            cache.epoch = self.epoch;
            cache.components = None;
            cache.distances.clear();
        }
        f(self, &mut cache)
    }

    fn components(&self) -> Vec<usize> {
        let graph = &self.topology.graph;
        let mut sets = UnionFind::<usize>::new(self.topology.len());
        for edge in graph.edge_references() {
            let (a, b) = (
                Topology::node_at(edge.source()),
                Topology::node_at(edge.target()),
            );
            if self.link_usable(a, b) {
                sets.union(a.index(), b.index());
            }
        }
        sets.into_labeling()
    }

    fn shortest_paths(&self, from: NodeId) -> Vec<Nanos> {
        let graph = &self.topology.graph;
        let usable = EdgeFiltered::from_fn(graph, |edge: petgraph::graph::EdgeReference<Nanos>| {
            self.link_usable(
                Topology::node_at(edge.source()),
                Topology::node_at(edge.target()),
            )
        });
        let costs = petgraph::algo::dijkstra(&usable, Topology::graph_index(from), None, |edge| {
            let (a, b) = (
                Topology::node_at(edge.source()),
                Topology::node_at(edge.target()),
            );
            *edge.weight() + self.link_fault(a, b).added_latency
        });
        let mut distances = vec![Nanos::MAX; self.topology.len()];
        for (node, cost) in costs {
            distances[node.index()] = cost;
        }
        distances
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_nodes() -> Network {
        let scenario = crate::compile::load_str(
            r#"{"horizon": "1h", "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
                "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}]}"#,
            std::path::Path::new("t.json"),
        )
        .unwrap();
        Network::new(scenario.topology.clone())
    }

    /// 65,536 overlapping crashes wrapped the `u16` cause counter to zero: the node came
    /// back up while every one of its faults was still active.
    #[test]
    fn a_node_under_65_536_overlapping_crashes_stays_down_until_the_last_repair() {
        let mut network = two_nodes();
        let overlapping = 65_536 + 2;
        for i in 0..overlapping {
            assert_eq!(network.crash(NodeId::new(0)), i == 0, "crash {i}");
            assert!(!network.is_up(NodeId::new(0)), "up after crash {i}");
        }
        for i in 0..overlapping - 1 {
            assert!(!network.repair(NodeId::new(0)), "came up at repair {i}");
            assert!(!network.is_up(NodeId::new(0)));
        }
        assert!(network.repair(NodeId::new(0)));
        assert!(network.is_up(NodeId::new(0)));
    }

    #[test]
    fn a_link_under_65_536_overlapping_cuts_stays_cut_until_the_last_restore() {
        let mut network = two_nodes();
        let usable = |n: &Network| n.link_usable(NodeId::new(0), NodeId::new(1));
        assert!(usable(&network));
        for _ in 0..65_536 {
            network.set_link_cut(NodeId::new(0), NodeId::new(1), true);
        }
        assert!(!usable(&network));
        for _ in 0..65_535 {
            network.set_link_cut(NodeId::new(0), NodeId::new(1), false);
        }
        assert!(!usable(&network));
        network.set_link_cut(NodeId::new(0), NodeId::new(1), false);
        assert!(usable(&network));
    }
}
