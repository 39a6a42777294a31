//! Topology generators: mesh, ring, star, regions and the core/edge/access tree.

use super::model::{Generator, Latency, RegionsSpec, Role, ShapeSpec, TreeSpec};
use std::fmt::Write;

/// One generated node, lent to the caller: a million nodes are not held at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GeneratedNode<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its region.
    pub region: &'a str,
    /// Its zone.
    pub zone: &'a str,
    /// What it is.
    pub role: Role,
    /// Capacity in demand units.
    pub capacity: f64,
    /// Repair priority.
    pub repair_priority: i64,
}

/// A link between two generated nodes, by their order of generation: a mesh of 5,000
/// nodes has 12.5 M links, too many to name both ends of each with strings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GeneratedLink {
    /// One end.
    pub from: usize,
    /// The other end.
    pub to: usize,
    /// Its latency, as an index into [`link_latencies`] of its generator.
    pub class: u8,
}

/// The latencies of a generator's links, which [`GeneratedLink::class`] indexes.
pub(crate) fn link_latencies(generator: &Generator) -> Vec<&Latency> {
    match generator {
        Generator::Mesh(spec) | Generator::Ring(spec) | Generator::Star(spec) => {
            vec![&spec.latency]
        }
        Generator::Regions(_) => Vec::new(),
        Generator::CoreEdgeAccess(spec) => {
            vec![&spec.core_latency, &spec.edge_latency, &spec.access_latency]
        }
    }
}

/// What a generator hands its nodes and links to.
pub(crate) trait Sink {
    /// The next node.
    fn node(&mut self, node: GeneratedNode<'_>);
    /// A link between two nodes of this generator.
    fn link(&mut self, link: GeneratedLink);
}

fn server<'a>(id: &'a str, region: &'a str, zone: &'a str) -> GeneratedNode<'a> {
    GeneratedNode {
        id,
        region,
        zone,
        role: Role::Server,
        capacity: 1.0,
        repair_priority: 0,
    }
}

fn router<'a>(id: &'a str, region: &'a str, zone: &'a str) -> GeneratedNode<'a> {
    GeneratedNode {
        role: Role::Router,
        ..server(id, region, zone)
    }
}

fn link(from: usize, to: usize, class: u8) -> GeneratedLink {
    GeneratedLink { from, to, class }
}

/// Expands one generator into `sink`, node by node.
pub(crate) fn generate(generator: &Generator, sink: &mut impl Sink) {
    match generator {
        Generator::Mesh(spec) => shape(spec, sink, |i, n| (i + 1)..n),
        Generator::Ring(spec) => shape(spec, sink, |i, n| {
            if n < 2 || (n == 2 && i == 1) {
                0..0
            } else {
                let next = (i + 1) % n;
                next..next + 1
            }
        }),
        Generator::Star(spec) => star(spec, sink),
        Generator::Regions(spec) => regions(spec, sink),
        Generator::CoreEdgeAccess(spec) => tree(spec, sink),
    }
}

fn shape(
    spec: &ShapeSpec,
    sink: &mut impl Sink,
    neighbours: impl Fn(usize, usize) -> std::ops::Range<usize>,
) {
    let n = spec.nodes as usize;
    let zone = format!("{}-a", spec.region);
    let mut id = String::new();
    for i in 1..=n {
        id.clear();
        write!(id, "{}{i}", spec.prefix).expect("writing to a String");
        sink.node(server(&id, &spec.region, &zone));
    }
    for i in 0..n {
        for j in neighbours(i, n) {
            sink.link(link(i, j, 0));
        }
    }
}

fn star(spec: &ShapeSpec, sink: &mut impl Sink) {
    let zone = format!("{}-a", spec.region);
    let mut id = format!("{}0", spec.prefix);
    sink.node(router(&id, &spec.region, &zone));
    for i in 1..=spec.nodes {
        id.clear();
        write!(id, "{}{i}", spec.prefix).expect("writing to a String");
        sink.link(link(0, i as usize, 0));
        sink.node(server(&id, &spec.region, &zone));
    }
}

fn regions(spec: &RegionsSpec, sink: &mut impl Sink) {
    let mut id = String::new();
    for r in 0..spec.regions as usize {
        let region = spec
            .names
            .get(r)
            .cloned()
            .unwrap_or_else(|| format!("r{}", r + 1));
        for z in 1..=spec.zones {
            let zone = format!("{region}-z{z}");
            for n in 1..=spec.nodes {
                id.clear();
                write!(id, "{zone}-n{n}").expect("writing to a String");
                sink.node(GeneratedNode {
                    capacity: spec.capacity,
                    repair_priority: spec.repair_priority,
                    ..server(&id, &region, &zone)
                });
            }
        }
    }
}

fn tree(spec: &TreeSpec, sink: &mut impl Sink) {
    // Cores are nodes 0..cores.
    let cores = spec.cores as usize;
    for i in 0..cores {
        sink.node(router(&format!("CORE{}", i + 1), "core", "core-a"));
        for other in i + 1..cores {
            sink.link(link(i, other, 0));
        }
    }
    let mut made = cores;
    let mut access_index = 1;
    for e in 1..=spec.edges as usize {
        let zone = format!("edge-{e}");
        let edge = made;
        sink.node(router(&format!("EDGE{e}"), "edge", &zone));
        made += 1;
        if cores > 0 {
            // Dual-homed: each edge router hangs off two neighbouring cores.
            sink.link(link(edge, (e - 1) % cores, 1));
            if cores > 1 {
                sink.link(link(edge, e % cores, 1));
            }
        }
        for _ in 0..spec.access_per_edge {
            sink.link(link(made, edge, 2));
            sink.node(server(&format!("ACCESS{access_index}"), "edge", &zone));
            made += 1;
            access_index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::duration::Duration;

    /// What a generator made: each node's id and role, and the links.
    #[derive(Default)]
    struct Made {
        nodes: Vec<(String, Role)>,
        links: Vec<GeneratedLink>,
    }

    impl Sink for Made {
        fn node(&mut self, node: GeneratedNode<'_>) {
            self.nodes.push((node.id.to_string(), node.role));
        }

        fn link(&mut self, link: GeneratedLink) {
            self.links.push(link);
        }
    }

    fn made(generator: Generator) -> Made {
        let mut made = Made::default();
        generate(&generator, &mut made);
        made
    }

    fn spec(nodes: u32) -> ShapeSpec {
        ShapeSpec {
            nodes,
            prefix: "n".into(),
            latency: Duration::from_millis(1).into(),
            region: "r1".into(),
        }
    }

    #[test]
    fn shapes_have_the_expected_number_of_links() {
        assert_eq!(made(Generator::Mesh(spec(5))).links.len(), 10);
        assert_eq!(made(Generator::Ring(spec(5))).links.len(), 5);
        assert_eq!(made(Generator::Ring(spec(2))).links.len(), 1);
        let star = made(Generator::Star(spec(5)));
        assert_eq!(star.nodes.len(), 6);
        assert_eq!(star.nodes[0], ("n0".to_string(), Role::Router));
        assert_eq!(star.nodes[5], ("n5".to_string(), Role::Server));
        let tree = made(Generator::CoreEdgeAccess(TreeSpec {
            cores: 3,
            edges: 4,
            access_per_edge: 2,
            core_latency: Duration::from_millis(2).into(),
            edge_latency: Duration::from_millis(1).into(),
            access_latency: Duration::from_millis(1).into(),
        }));
        assert_eq!(tree.nodes.len(), 3 + 4 + 8);
        assert_eq!(tree.links.len(), 3 + 8 + 8);
        assert_eq!(tree.nodes[0].0, "CORE1");
        assert_eq!(tree.nodes[4].0, "ACCESS1");
    }
}
