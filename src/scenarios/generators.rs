//! Topology generators: mesh, ring, star, regions and the core/edge/access tree.

use super::model::{Generator, NodeSpec, RegionsSpec, Role, ShapeSpec, TreeSpec};
use crate::core::duration::Duration;

/// Nodes and links produced by one generator.
#[derive(Default)]
pub(crate) struct Generated {
    /// New nodes.
    pub nodes: Vec<NodeSpec>,
    /// New links, between new nodes.
    pub links: Vec<GeneratedLink>,
}

/// A link between two generated nodes, by their index in [`Generated::nodes`]: a mesh
/// of 5,000 nodes has 12.5 M links, too many to name both ends of each with strings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GeneratedLink {
    /// One end.
    pub from: usize,
    /// The other end.
    pub to: usize,
    /// One-way latency.
    pub latency: Duration,
}

fn node(id: String, region: &str, zone: &str, role: Role, capacity: f64) -> NodeSpec {
    NodeSpec {
        id,
        region: region.to_string(),
        zone: Some(zone.to_string()),
        role,
        capacity,
        repair_priority: 0,
    }
}

fn link(from: usize, to: usize, latency: Duration) -> GeneratedLink {
    GeneratedLink { from, to, latency }
}

/// Expands one generator.
pub(crate) fn generate(generator: &Generator) -> Generated {
    match generator {
        Generator::Mesh(spec) => shape(spec, |i, n| ((i + 1)..n).collect()),
        Generator::Ring(spec) => shape(spec, |i, n| {
            if n < 2 || (n == 2 && i == 1) {
                vec![]
            } else {
                vec![(i + 1) % n]
            }
        }),
        Generator::Star(spec) => star(spec),
        Generator::Regions(spec) => regions(spec),
        Generator::CoreEdgeAccess(spec) => tree(spec),
    }
}

fn shape(spec: &ShapeSpec, neighbours: impl Fn(usize, usize) -> Vec<usize>) -> Generated {
    let n = spec.nodes as usize;
    let zone = format!("{}-a", spec.region);
    let ids: Vec<String> = (1..=n).map(|i| format!("{}{i}", spec.prefix)).collect();
    let mut out = Generated::default();
    for id in &ids {
        out.nodes
            .push(node(id.clone(), &spec.region, &zone, Role::Server, 1.0));
    }
    for i in 0..n {
        for j in neighbours(i, n) {
            out.links.push(link(i, j, spec.latency));
        }
    }
    out
}

fn star(spec: &ShapeSpec) -> Generated {
    let zone = format!("{}-a", spec.region);
    let hub = format!("{}0", spec.prefix);
    let mut out = Generated::default();
    out.nodes
        .push(node(hub, &spec.region, &zone, Role::Router, 1.0));
    for i in 1..=spec.nodes {
        let leaf = format!("{}{i}", spec.prefix);
        out.links.push(link(0, out.nodes.len(), spec.latency));
        out.nodes
            .push(node(leaf, &spec.region, &zone, Role::Server, 1.0));
    }
    out
}

fn regions(spec: &RegionsSpec) -> Generated {
    let mut out = Generated::default();
    for r in 0..spec.regions as usize {
        let region = spec
            .names
            .get(r)
            .cloned()
            .unwrap_or_else(|| format!("r{}", r + 1));
        for z in 1..=spec.zones {
            let zone = format!("{region}-z{z}");
            for n in 1..=spec.nodes {
                let mut server = node(
                    format!("{zone}-n{n}"),
                    &region,
                    &zone,
                    Role::Server,
                    spec.capacity,
                );
                server.repair_priority = spec.repair_priority;
                out.nodes.push(server);
            }
        }
    }
    out
}

fn tree(spec: &TreeSpec) -> Generated {
    let mut out = Generated::default();
    // Cores are nodes 0..cores.
    let cores = spec.cores as usize;
    for i in 0..cores {
        out.nodes.push(node(
            format!("CORE{}", i + 1),
            "core",
            "core-a",
            Role::Router,
            1.0,
        ));
        for other in i + 1..cores {
            out.links.push(link(i, other, spec.core_latency));
        }
    }
    let mut access_index = 1;
    for e in 1..=spec.edges as usize {
        let zone = format!("edge-{e}");
        let edge = out.nodes.len();
        out.nodes
            .push(node(format!("EDGE{e}"), "edge", &zone, Role::Router, 1.0));
        if cores > 0 {
            // Dual-homed: each edge router hangs off two neighbouring cores.
            out.links
                .push(link(edge, (e - 1) % cores, spec.edge_latency));
            if cores > 1 {
                out.links.push(link(edge, e % cores, spec.edge_latency));
            }
        }
        for _ in 0..spec.access_per_edge {
            out.links
                .push(link(out.nodes.len(), edge, spec.access_latency));
            out.nodes.push(node(
                format!("ACCESS{access_index}"),
                "edge",
                &zone,
                Role::Server,
                1.0,
            ));
            access_index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(nodes: u32) -> ShapeSpec {
        ShapeSpec {
            nodes,
            prefix: "n".into(),
            latency: Duration::from_millis(1),
            region: "r1".into(),
        }
    }

    #[test]
    fn shapes_have_the_expected_number_of_links() {
        assert_eq!(generate(&Generator::Mesh(spec(5))).links.len(), 10);
        assert_eq!(generate(&Generator::Ring(spec(5))).links.len(), 5);
        assert_eq!(generate(&Generator::Star(spec(5))).nodes.len(), 6);
        let tree = generate(&Generator::CoreEdgeAccess(TreeSpec {
            cores: 3,
            edges: 4,
            access_per_edge: 2,
            core_latency: Duration::from_millis(2),
            edge_latency: Duration::from_millis(1),
            access_latency: Duration::from_millis(1),
        }));
        assert_eq!(tree.nodes.len(), 3 + 4 + 8);
        assert_eq!(tree.links.len(), 3 + 8 + 8);
        assert_eq!(tree.nodes[0].id, "CORE1");
    }
}
