//! The topology: listed and generated nodes and links, checked and compiled into the
//! graph the network runs on.

use super::MAX_NODES;
use crate::core::time::Nanos;
use crate::net::topology::{
    ImpliedLatencies, NodeId, NodeInfo, NodeNames, RegionId, Topology, ZoneId, ZoneInfo,
    MAX_NAME_BYTES,
};
use crate::scenarios::check::Checker;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::generators::link_latencies;
use crate::scenarios::generators::{generate, GeneratedLink, GeneratedNode, Sink};
use crate::scenarios::model::{Generator, Latency};
use petgraph::graph::UnGraph;
use std::collections::BTreeMap;

/// Where a node came from: the path of each of its fields in the file.
#[derive(Clone, Copy)]
enum Origin<'a> {
    /// `topology.nodes[i]`.
    Listed(usize),
    /// Made by `topology.generators[g]`.
    Generated(usize, &'a Generator),
}

impl Origin<'_> {
    /// The path of the value that sets a node's `field` (`id`, `zone`, `capacity`): the
    /// node's own field when listed, else the generator parameter it derives from.
    fn path(self, field: &str) -> String {
        match self {
            Origin::Listed(i) => format!("topology.nodes[{i}].{field}"),
            Origin::Generated(g, generator) => {
                let at = format!("topology.generators[{g}].{}", generator.key());
                match (generator, field) {
                    (Generator::Mesh(_) | Generator::Ring(_) | Generator::Star(_), "id") => {
                        format!("{at}.prefix")
                    }
                    (Generator::Mesh(_) | Generator::Ring(_) | Generator::Star(_), _) => {
                        format!("{at}.region")
                    }
                    (Generator::Regions(r), "zone" | "region") if !r.names.is_empty() => {
                        format!("{at}.names")
                    }
                    (Generator::Regions(_), "capacity") => format!("{at}.capacity"),
                    _ => at,
                }
            }
        }
    }
}

pub(super) fn compile(spec: &crate::scenarios::model::Topology, check: &mut Checker) -> Topology {
    let mut nodes = Nodes::default();
    for (i, node) in spec.nodes.iter().enumerate() {
        let origin = Origin::Listed(i);
        if node.id.trim().is_empty() {
            check.fail(origin.path("id"), "a node id must not be empty");
        }
        if node.region.trim().is_empty() {
            check.fail(origin.path("region"), "a region name must not be blank");
        }
        if node
            .zone
            .as_deref()
            .is_some_and(|zone| zone.trim().is_empty())
        {
            check.fail(origin.path("zone"), "a zone name must not be blank");
        }
        if !(node.capacity.is_finite() && node.capacity >= 0.0) {
            check.fail(
                origin.path("capacity"),
                "capacity must be a non-negative number",
            );
        }
        let default_zone;
        let zone = match &node.zone {
            Some(zone) => zone.as_str(),
            None => {
                default_zone = format!("{}-a", node.region);
                &default_zone
            }
        };
        let view = GeneratedNode {
            id: &node.id,
            region: &node.region,
            zone,
            role: node.role,
            capacity: node.capacity,
            repair_priority: node.repair_priority,
        };
        nodes.add(view, origin, check);
    }
    let links = &spec.links;
    let mut jitters = Jitters::default();
    let mut generated_links: Vec<(NodeId, NodeId, Nanos)> = Vec::new();
    // The generated links that are jittered (index in `generated_links`, code): none
    // unless a generator's latency is a distribution.
    let mut generated_jitter: Vec<(usize, u32)> = Vec::new();
    // The first node of each generator that made nodes, to tell whose a node is.
    let mut firsts: Vec<(usize, Origin)> = Vec::new();
    for (g, generator) in spec.generators.iter().enumerate() {
        let path = format!("topology.generators[{g}]");
        let total: u64 = match generator {
            Generator::Mesh(s) | Generator::Ring(s) | Generator::Star(s) => s.nodes as u64,
            Generator::Regions(s) => s.regions as u64 * s.zones as u64 * s.nodes as u64,
            Generator::CoreEdgeAccess(s) => {
                s.cores as u64 + s.edges as u64 * (1 + s.access_per_edge as u64)
            }
        };
        if total == 0 {
            check.fail(
                path.clone(),
                "the generator makes no nodes: every count must be at least 1",
            );
            continue;
        }
        if total > MAX_NODES as u64 || (matches!(generator, Generator::Mesh(_)) && total > 5_000) {
            check.fail(
                path.clone(),
                format!("the generator would make {total} nodes, beyond the limit (mesh: 5000 nodes; others: {MAX_NODES})"),
            );
            continue;
        }
        if let Generator::Regions(r) = generator {
            if !r.names.is_empty() && r.names.len() != r.regions as usize {
                check.fail(format!("{path}.regions.names"), "give one name per region");
            }
            for (i, name) in r.names.iter().enumerate() {
                if name.trim().is_empty() {
                    check.fail(
                        format!("{path}.regions.names[{i}]"),
                        "a region name must not be blank",
                    );
                }
            }
            // Every node of the generator has this capacity: one check, not one per node.
            check.require(
                r.capacity.is_finite() && r.capacity >= 0.0,
                format!("{path}.regions.capacity"),
                "capacity must be a non-negative number",
            );
        }
        if let Generator::Mesh(s) | Generator::Ring(s) | Generator::Star(s) = generator {
            if s.region.trim().is_empty() {
                check.fail(
                    format!("{path}.{}.region", generator.key()),
                    "a region name must not be blank",
                );
            }
        }
        let classes: Vec<(Nanos, u32)> = link_latencies(generator)
            .into_iter()
            .zip(generator.latency_fields())
            .map(|(latency, field)| {
                let at = format!("{path}.{}.{field}", generator.key());
                jitters.code(latency, &at, check)
            })
            .collect();
        let origin = Origin::Generated(g, generator);
        let first = nodes.infos.len();
        // Sized once: doubling a million-node table would hold both copies at its peak.
        nodes.infos.reserve_exact(total as usize);
        firsts.push((first, origin));
        let mut sink = Expand {
            nodes: &mut nodes,
            check,
            origin,
            first,
            links: &mut generated_links,
            classes: &classes,
            jittered: &mut generated_jitter,
        };
        generate(generator, &mut sink);
    }
    if nodes.infos.is_empty() {
        check.fail(
            "topology",
            "the topology has no nodes: list `nodes` or add a generator",
        );
    }
    if nodes.names_full {
        // The nodes not made leave links of their generator without an end.
        let made = nodes.infos.len();
        let kept = |&(a, b, _): &(NodeId, NodeId, Nanos)| a.index() < made && b.index() < made;
        // A generator's links come after its nodes: the links kept are a prefix.
        let kept_links = generated_links.iter().take_while(|link| kept(link)).count();
        generated_links.retain(kept);
        generated_jitter.retain(|&(i, _)| i < kept_links);
    }
    let origin_of = |node: NodeId| match firsts
        .iter()
        .rev()
        .find(|(first, _)| *first <= node.index())
    {
        Some(&(_, origin)) => origin,
        None => Origin::Listed(node.index()),
    };
    // A generator that repeats ids repeats them by the thousand: one problem each, with
    // the first id, how many, and whose ids they repeat.
    let mut repeats: BTreeMap<usize, (NodeId, NodeId, usize)> = BTreeMap::new();
    for (node, holder) in nodes.names.index() {
        match origin_of(node) {
            origin @ Origin::Listed(_) => check.fail(
                origin.path("id"),
                format!(
                    "duplicate node id `{}`: {} has it already",
                    nodes.names.name(node),
                    holder_name(origin_of(holder))
                ),
            ),
            Origin::Generated(g, _) => {
                repeats.entry(g).or_insert((node, holder, 0)).2 += 1;
            }
        }
    }
    for (g, (first, holder, count)) in repeats {
        let generator = &spec.generators[g];
        let more = match count {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        check.fail(
            Origin::Generated(g, generator).path("id"),
            format!(
                "duplicate node ids: this generator makes `{}` (the id of {}){more}; give \
                 it another `prefix` or rename the other nodes",
                nodes.names.name(first),
                holder_name(origin_of(holder))
            ),
        );
    }
    let Nodes {
        infos,
        names,
        regions,
        zones,
        ..
    } = nodes;
    let mut graph =
        UnGraph::<NodeId, Nanos>::with_capacity(infos.len(), links.len() + generated_links.len());
    for i in 0..infos.len() {
        graph.add_node(NodeId::new(i));
    }
    let mut link_jitter: Vec<u32> = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let path = format!("topology.links[{i}]");
        let a = check.node(&names, &link.from, format!("{path}.from"));
        let b = check.node(&names, &link.to, format!("{path}.to"));
        let (latency, code) = jitters.code(&link.latency, &format!("{path}.latency"), check);
        if let (Some(a), Some(b)) = (a, b) {
            if a == b {
                check.fail(
                    path,
                    format!(
                        "a link must join two different nodes, not `{}` to itself",
                        link.from
                    ),
                );
            } else {
                let edge =
                    graph.add_edge(Topology::graph_index(a), Topology::graph_index(b), latency);
                if code != 0 {
                    link_jitter.resize(edge.index(), 0);
                    link_jitter.push(code);
                }
            }
        }
    }
    let listed_edges = graph.edge_count();
    for &(a, b, latency) in &generated_links {
        graph.add_edge(Topology::graph_index(a), Topology::graph_index(b), latency);
    }
    for (i, code) in generated_jitter {
        link_jitter.resize(listed_edges + i, 0);
        link_jitter.push(code);
    }
    if !link_jitter.is_empty() {
        link_jitter.resize(graph.edge_count(), 0);
    }
    let implied_jitter = [
        ("zone", &spec.latency.zone),
        ("region", &spec.latency.region),
        ("global", &spec.latency.global),
    ]
    .map(|(class, latency)| jitters.code(latency, &format!("topology.latency.{class}"), check));
    let implied = spec
        .implied_links
        .unwrap_or(links.is_empty() && generated_links.is_empty());
    Topology {
        nodes: infos,
        regions,
        zones,
        graph,
        implied: implied.then_some(ImpliedLatencies {
            zone: implied_jitter[0].0,
            region: implied_jitter[1].0,
            global: implied_jitter[2].0,
            jitter: implied_jitter.map(|(_, code)| code),
        }),
        jitters: if implied || !link_jitter.is_empty() {
            jitters.table
        } else {
            Vec::new()
        },
        link_jitter,
        names,
    }
}

/// The distributions of the jittered latencies met so far, each stored once.
#[derive(Default)]
struct Jitters {
    table: Vec<Distribution>,
}

impl Jitters {
    /// The mean latency and the jitter code (index in the table plus one; 0 for a fixed
    /// latency) of `latency`, written at `path`; its parameters are checked there.
    fn code(&mut self, latency: &Latency, path: &str, check: &mut Checker) -> (Nanos, u32) {
        let Some(dist) = latency.jitter() else {
            return (latency.mean_nanos(), 0);
        };
        let before = check.found();
        check.distribution(dist, path);
        if check.found() != before {
            return (0, 0);
        }
        let at = match self.table.iter().position(|known| known == dist) {
            Some(at) => at,
            None => {
                self.table.push(dist.clone());
                self.table.len() - 1
            }
        };
        (latency.mean_nanos(), at as u32 + 1)
    }
}

/// The nodes as they are added, listed then generated: their ids, regions and zones.
#[derive(Default)]
struct Nodes {
    infos: Vec<NodeInfo>,
    names: NodeNames,
    /// The ids reached [`MAX_NAME_BYTES`]: no more nodes are added.
    names_full: bool,
    regions: Vec<String>,
    zones: Vec<ZoneInfo>,
    region_index: BTreeMap<String, RegionId>,
    zone_index: BTreeMap<String, ZoneId>,
}

impl Nodes {
    fn add(&mut self, node: GeneratedNode<'_>, origin: Origin<'_>, check: &mut Checker) {
        if self.names_full {
            return;
        }
        if self.names.push(node.id).is_err() {
            self.names_full = true;
            check.fail(
                origin.path("id"),
                format!(
                    "the node ids come to more than {} MiB: use shorter ids or fewer nodes",
                    MAX_NAME_BYTES >> 20
                ),
            );
            return;
        }
        // Looked up before inserting: a million nodes in ten regions make ten strings.
        let region = match self.region_index.get(node.region) {
            Some(&region) => region,
            None => {
                self.regions.push(node.region.to_string());
                let region = RegionId::new(self.regions.len() - 1);
                self.region_index.insert(node.region.to_string(), region);
                region
            }
        };
        let zone = match self.zone_index.get(node.zone) {
            Some(&zone) => zone,
            None => {
                self.zones.push(ZoneInfo {
                    name: node.zone.to_string(),
                    region,
                });
                let zone = ZoneId::new(self.zones.len() - 1);
                self.zone_index.insert(node.zone.to_string(), zone);
                zone
            }
        };
        if self.zones[zone.index()].region != region {
            check.fail(
                origin.path("zone"),
                format!(
                    "zone `{}` already belongs to region `{}`",
                    node.zone,
                    self.regions[self.zones[zone.index()].region.index()]
                ),
            );
        }
        self.infos.push(NodeInfo {
            region,
            zone,
            role: node.role,
            capacity: node.capacity,
            repair_priority: node.repair_priority,
        });
    }
}

/// Takes one generator's nodes and links as it makes them.
struct Expand<'a, 'g> {
    nodes: &'a mut Nodes,
    check: &'a mut Checker,
    origin: Origin<'g>,
    /// The id of the generator's first node: its links count from there.
    first: usize,
    links: &'a mut Vec<(NodeId, NodeId, Nanos)>,
    /// The mean latency and jitter code of each latency class of the generator.
    classes: &'a [(Nanos, u32)],
    /// The jittered links: index in `links`, jitter code.
    jittered: &'a mut Vec<(usize, u32)>,
}

impl Sink for Expand<'_, '_> {
    fn node(&mut self, node: GeneratedNode<'_>) {
        self.nodes.add(node, self.origin, self.check);
    }

    fn link(&mut self, link: GeneratedLink) {
        let (latency, code) = self.classes[link.class as usize];
        if code != 0 {
            self.jittered.push((self.links.len(), code));
        }
        self.links.push((
            NodeId::new(self.first + link.from),
            NodeId::new(self.first + link.to),
            latency,
        ));
    }
}

/// Who holds a node id first, for messages: `topology.nodes[2]` or
/// `topology.generators[0]`.
fn holder_name(origin: Origin<'_>) -> String {
    match origin {
        Origin::Listed(i) => format!("topology.nodes[{i}]"),
        Origin::Generated(g, _) => format!("topology.generators[{g}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each link of the graph as the names of its ends, in insertion order.
    fn named_links(topology: &Topology) -> Vec<(String, String, Nanos)> {
        topology
            .graph
            .raw_edges()
            .iter()
            .map(|edge| {
                let name = |index: petgraph::graph::NodeIndex| {
                    topology.names.name(topology.graph[index]).to_string()
                };
                (name(edge.source()), name(edge.target()), edge.weight)
            })
            .collect()
    }

    #[test]
    fn generated_links_join_the_generated_nodes_after_the_listed_ones() {
        let spec: crate::scenarios::model::Topology = serde_json::from_str(
            r#"{"nodes": [{"id": "x"}], "links": [{"from": "x", "to": "h0", "latency": "5ms"}],
                "generators": [{"star": {"nodes": 2, "prefix": "h", "latency": "1ms"}},
                               {"core_edge_access": {"cores": 2, "edges": 1, "access_per_edge": 1}}]}"#,
        )
        .unwrap();
        let mut check = Checker::default();
        let topology = compile(&spec, &mut check);
        assert!(check.problems.is_empty());
        // Tree defaults: core–core 2 ms, edge–core 1 ms, access–edge 0.5 ms.
        let ms = 1_000_000;
        let (core, edge, access) = (2 * ms, ms, ms / 2);
        let expected: Vec<(String, String, Nanos)> = [
            ("x", "h0", 5 * ms),
            ("h0", "h1", ms),
            ("h0", "h2", ms),
            ("CORE1", "CORE2", core),
            ("EDGE1", "CORE1", edge),
            ("EDGE1", "CORE2", edge),
            ("ACCESS1", "EDGE1", access),
        ]
        .into_iter()
        .map(|(a, b, l)| (a.to_string(), b.to_string(), l))
        .collect();
        assert_eq!(named_links(&topology), expected);
        assert!(topology.implied.is_none());
    }
}
