//! The topology: listed and generated nodes and links, checked and compiled into the
//! graph the network runs on.

use super::MAX_NODES;
use crate::core::time::Nanos;
use crate::net::topology::{
    ImpliedLatencies, NodeId, NodeInfo, RegionId, Topology, ZoneId, ZoneInfo,
};
use crate::scenarios::check::Checker;
use crate::scenarios::generators::generate;
use crate::scenarios::model::{Generator, NodeSpec};
use petgraph::graph::UnGraph;
use std::borrow::Cow;
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
    // Listed nodes are borrowed, generated ones owned: a million-node file is not copied.
    let mut nodes: Vec<(Cow<NodeSpec>, Origin)> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (Cow::Borrowed(n), Origin::Listed(i)))
        .collect();
    let links = &spec.links;
    let mut generated_links: Vec<(NodeId, NodeId, Nanos)> = Vec::new();
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
        let generated = generate(generator);
        // Generated links join generated nodes, which take the next node ids in order.
        let first = nodes.len();
        generated_links.extend(generated.links.iter().map(|l| {
            (
                NodeId::new(first + l.from),
                NodeId::new(first + l.to),
                l.latency.nanos(),
            )
        }));
        let origin = Origin::Generated(g, generator);
        nodes.extend(generated.nodes.into_iter().map(|n| (Cow::Owned(n), origin)));
    }
    if nodes.is_empty() {
        check.fail(
            "topology",
            "the topology has no nodes: list `nodes` or add a generator",
        );
    }
    let mut by_name = BTreeMap::new();
    let mut regions: Vec<String> = Vec::new();
    let mut zones: Vec<ZoneInfo> = Vec::new();
    let mut infos = Vec::with_capacity(nodes.len());
    let mut region_index = BTreeMap::new();
    let mut zone_index = BTreeMap::new();
    // A generator that repeats ids repeats them by the thousand: one problem each, with
    // the first id, how many, and whose ids they repeat.
    let mut repeats: BTreeMap<usize, (String, Origin, usize)> = BTreeMap::new();
    for (node, origin) in &nodes {
        if let Origin::Listed(_) = origin {
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
        }
        let id = NodeId::new(infos.len());
        if let Some(first) = by_name.insert(node.id.clone(), id) {
            // The first holder keeps the name.
            by_name.insert(node.id.clone(), first);
            let holder = nodes[first.index()].1;
            match origin {
                Origin::Listed(_) => check.fail(
                    origin.path("id"),
                    format!(
                        "duplicate node id `{}`: {} has it already",
                        node.id,
                        holder_name(holder)
                    ),
                ),
                Origin::Generated(g, _) => {
                    repeats
                        .entry(*g)
                        .or_insert_with(|| (node.id.clone(), holder, 0))
                        .2 += 1;
                }
            }
        }
        let region = *region_index.entry(node.region.clone()).or_insert_with(|| {
            regions.push(node.region.clone());
            RegionId::new(regions.len() - 1)
        });
        let zone_name = node
            .zone
            .clone()
            .unwrap_or_else(|| format!("{}-a", node.region));
        let zone = *zone_index.entry(zone_name.clone()).or_insert_with(|| {
            zones.push(ZoneInfo {
                name: zone_name.clone(),
                region,
            });
            ZoneId::new(zones.len() - 1)
        });
        if zones[zone.index()].region != region {
            check.fail(
                origin.path("zone"),
                format!(
                    "zone `{zone_name}` already belongs to region `{}`",
                    regions[zones[zone.index()].region.index()]
                ),
            );
        }
        infos.push(NodeInfo {
            name: node.id.clone(),
            region,
            zone,
            role: node.role,
            capacity: node.capacity,
            repair_priority: node.repair_priority,
        });
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
                "duplicate node ids: this generator makes `{first}` (the id of {}){more}; give \
                 it another `prefix` or rename the other nodes",
                holder_name(holder)
            ),
        );
    }
    let mut graph =
        UnGraph::<NodeId, Nanos>::with_capacity(infos.len(), links.len() + generated_links.len());
    for i in 0..infos.len() {
        graph.add_node(NodeId::new(i));
    }
    for (i, link) in links.iter().enumerate() {
        let path = format!("topology.links[{i}]");
        let a = check.node(&by_name, &link.from, format!("{path}.from"));
        let b = check.node(&by_name, &link.to, format!("{path}.to"));
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
                graph.add_edge(
                    Topology::graph_index(a),
                    Topology::graph_index(b),
                    link.latency.nanos(),
                );
            }
        }
    }
    for &(a, b, latency) in &generated_links {
        graph.add_edge(Topology::graph_index(a), Topology::graph_index(b), latency);
    }
    let implied = spec
        .implied_links
        .unwrap_or(links.is_empty() && generated_links.is_empty());
    Topology {
        nodes: infos,
        regions,
        zones,
        graph,
        implied: implied.then_some(ImpliedLatencies {
            zone: spec.latency.zone.nanos(),
            region: spec.latency.region.nanos(),
            global: spec.latency.global.nanos(),
        }),
        by_name,
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
                    topology.nodes[topology.graph[index].index()].name.clone()
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
