//! Inert faults and disconnected services (DESIGN §5): a fault that cannot change any
//! service's state draws a warning that names it and says why; a service whose nodes
//! cannot reach each other before any fault is refused.
//!
//! Each fault is judged alone, against the whole network at t = 0, by what the services
//! read of it: whether one of their nodes (replicas, vantage points, monitor, lease
//! store) goes down or is paused, and whether a message between two nodes that talk (a vantage point
//! or monitor and a replica, N_WAY replicas among themselves, a replica and its lease
//! store) is dropped either way. The default global vantage point and monitor reach
//! every up node whatever the partitions, so they never observe across one.

use super::faults::{Action, FaultPlan};
use crate::core::metric::humane_seconds;
use crate::core::time::{nanos_to_secs, Nanos};
use crate::net::network::Network;
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::check::Checker;
use crate::scenarios::model::{Role, Scenario};
use crate::strategies::spec::ServiceSpec;
use crate::strategies::StrategyParams;
use std::sync::Arc;

/// Why a crash or pause of nodes no service reads is inert.
const UNUSED_NODES: &str = "none of its nodes is a service's replica, vantage point, monitor or \
                            lease store, and no path between a service's nodes runs through them";

/// Most message pairs judged for each fault: beyond (ten thousand replicas behind a
/// hundred vantage points), faults are not judged, so validation stays quick.
const MAX_PAIRS: usize = 200_000;

/// What a node is to a service, and where the file names it.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    /// Replica `j` of the listed replicas, or placed (`None`).
    Replica(Option<usize>),
    /// Vantage point `j`.
    Vantage(usize),
    /// The ACTIVE_PASSIVE monitor.
    Monitor,
    /// The lease store.
    LeaseStore,
}

impl Part {
    /// What the node is, in messages.
    fn what(self) -> &'static str {
        match self {
            Part::Replica(_) => "replica",
            Part::Vantage(_) => "vantage point",
            Part::Monitor => "monitor",
            Part::LeaseStore => "lease store",
        }
    }

    /// The path that names the node in service `s` (made only for a message: a path per
    /// node of 10⁵ services would be tens of megabytes).
    fn path(self, s: usize) -> String {
        match self {
            Part::Replica(Some(j)) => format!("services[{s}].replicas[{j}]"),
            Part::Replica(None) => format!("services[{s}].placement"),
            Part::Vantage(j) => format!("services[{s}].vantage_points[{j}]"),
            Part::Monitor => format!("services[{s}].active_passive.monitor"),
            Part::LeaseStore => format!("services[{s}].active_passive.lease.store"),
        }
    }
}

/// What the services read of the network, one after the other in flat lists (two lists
/// per service would cost more than their contents for 10⁵ services).
#[derive(Default)]
struct Talk {
    /// Every node each service reads the state of, with what it is to the service.
    nodes: Vec<(NodeId, Part)>,
    /// `(a, b)`: `a` sends to `b` and reads its answer, or the reverse.
    pairs: Vec<(NodeId, NodeId)>,
    /// Where each service's nodes and pairs end in the lists.
    ends: Vec<(u32, u32)>,
}

/// What one service reads of the network.
struct ServiceTalk<'t> {
    /// The service's index.
    service: usize,
    nodes: &'t [(NodeId, Part)],
}

impl Talk {
    /// What `services` read.
    fn of(services: &[ServiceSpec], scenario: &Scenario) -> Self {
        let mut talk = Talk::default();
        talk.ends.reserve_exact(services.len());
        for (s, spec) in services.iter().enumerate() {
            talk.add(spec, s, scenario);
        }
        talk
    }

    fn add(&mut self, spec: &ServiceSpec, s: usize, scenario: &Scenario) {
        let (nodes, pairs) = (&mut self.nodes, &mut self.pairs);
        let first_pair = pairs.len();
        let listed = scenario
            .services
            .get(s)
            .is_some_and(|service| !service.replicas.is_empty());
        nodes.extend(
            spec.replicas
                .iter()
                .enumerate()
                .map(|(j, &node)| (node, Part::Replica(listed.then_some(j)))),
        );
        let mut observers: Vec<NodeId> = Vec::new();
        for (j, &node) in spec.vantages.iter().enumerate() {
            nodes.push((node, Part::Vantage(j)));
            observers.push(node);
        }
        match &spec.strategy {
            StrategyParams::ActivePassive(params) => {
                if let Some(monitor) = params.monitor {
                    nodes.push((monitor, Part::Monitor));
                    observers.push(monitor);
                }
                if let Some(store) = params.lease.as_ref().and_then(|lease| lease.store) {
                    nodes.push((store, Part::LeaseStore));
                    pairs.extend(spec.replicas.iter().map(|&r| (r, store)));
                }
            }
            StrategyParams::NWay(_) => {
                for (i, &a) in spec.replicas.iter().enumerate() {
                    pairs.extend(spec.replicas[i + 1..].iter().map(|&b| (a, b)));
                }
            }
            _ => {}
        }
        for &observer in &observers {
            pairs.extend(spec.replicas.iter().map(|&r| (observer, r)));
        }
        let mut kept = first_pair;
        for at in first_pair..pairs.len() {
            let (a, b) = pairs[at];
            if a != b {
                pairs[kept] = (a, b);
                kept += 1;
            }
        }
        pairs.truncate(kept);
        self.ends.push((nodes.len() as u32, pairs.len() as u32));
    }

    /// Each service's part, in service order.
    fn services(&self) -> impl Iterator<Item = ServiceTalk<'_>> {
        let mut start = 0;
        self.ends
            .iter()
            .enumerate()
            .map(move |(service, &(end, _))| {
                let nodes = &self.nodes[start..end as usize];
                start = end as usize;
                ServiceTalk { service, nodes }
            })
    }

    /// Whether some service would see the network as it is now.
    fn sees(&self, network: &Network) -> bool {
        self.nodes.iter().any(|&(node, _)| !network.answers(node))
            || self
                .pairs
                .iter()
                .any(|&(a, b)| !network.reachable_uncut(a, b) || !network.reachable_uncut(b, a))
    }
}

/// Refuses services whose nodes cannot reach each other at t = 0, then warns about
/// each fault that cannot change any service's state.
pub(super) fn check(
    scenario: &Scenario,
    topology: &Arc<Topology>,
    services: &[ServiceSpec],
    plan: &FaultPlan,
    check: &mut Checker,
) {
    let talk = Talk::of(services, scenario);
    let mut network = Network::new(topology.clone());
    if topology.implied.is_none() {
        let hint = if scenario.topology.implied_links.is_none() {
            " (the topology lists or generates links, so implied links are off: link it, \
             or set `topology.implied_links: true`)"
        } else {
            ""
        };
        for (spec, talk) in services.iter().zip(talk.services()) {
            disconnected(spec, &talk, &network, topology, hint, check);
        }
    }
    for (spec, talk) in services.iter().zip(talk.services()) {
        probes_too_slow(spec, &talk, &network, topology, check);
    }
    if services.is_empty() || talk.pairs.len() > MAX_PAIRS {
        return;
    }
    let sees = |network: &Network| talk.sees(network);
    let name = |node: NodeId| topology.names.name(node);
    let across = "no service observes across it: it cuts no two of a service's nodes that \
                  talk apart (the default global vantage point and monitor reach every up node \
                  whatever the partitions); give a service `vantage_points` on its sides";
    let mut inert = Inert::default();
    for (i, fault) in plan.scheduled.iter().enumerate() {
        let tag = i as u32;
        let why: Option<String> = match &fault.action {
            Action::Crash(nodes) => {
                nodes.iter().for_each(|&n| {
                    network.crash(n);
                });
                let seen = sees(&network);
                nodes.iter().for_each(|&n| {
                    network.repair(n);
                });
                (!seen).then(|| UNUSED_NODES.to_string())
            }
            Action::Pause(nodes) => {
                nodes.iter().for_each(|&n| {
                    network.pause(n, tag);
                });
                let seen = sees(&network);
                nodes.iter().for_each(|&n| {
                    network.resume(n, tag);
                });
                (!seen).then(|| UNUSED_NODES.to_string())
            }
            Action::Partition(group_of) => {
                network.partition(tag, group_of);
                let seen = sees(&network);
                network.heal(tag);
                (!seen).then(|| across.to_string())
            }
            Action::Restrict(rule) => {
                network.restrict(tag, rule.clone());
                let seen = sees(&network);
                network.heal(tag);
                (!seen).then(|| across.to_string())
            }
            Action::RandomPartition(draw) => {
                (!splits_some_pair(draw.scope.as_deref(), &talk, topology.len()))
                    .then(|| across.to_string())
            }
            Action::CutLink { a, b, one_way } if topology.implied.is_some() => {
                (topology.len() >= 3).then(|| {
                    let direct = topology.implied_latency(*a, *b).unwrap_or(0);
                    network.set_link_cut(*a, *b, *one_way, true);
                    let detour = network.latency(Some(*a), *b).unwrap_or(direct);
                    network.set_link_cut(*a, *b, *one_way, false);
                    format!(
                    "the cut is routed around: implied links join every pair of nodes, so `{}` \
                     still reaches `{}` through a third node (one-way delay {} → {}); to cut \
                     them apart use `partition`, `isolate` or `one_way`",
                    name(*a),
                    name(*b),
                    humane_seconds(nanos_to_secs(direct)),
                    humane_seconds(nanos_to_secs(detour)),
                )
                })
            }
            Action::CutLink { a, b, one_way } => {
                network.set_link_cut(*a, *b, *one_way, true);
                let seen = sees(&network);
                network.set_link_cut(*a, *b, *one_way, false);
                (!seen).then(|| {
                    format!(
                        "the cut is routed around: other links still join every pair of a \
                         service's nodes that `{}`–`{}` joined",
                        name(*a),
                        name(*b)
                    )
                })
            }
            Action::DegradeLink {
                a,
                b,
                added_latency,
                loss,
            } if *loss == 0.0 => below_every_timeout(topology, services, (*a, *b), *added_latency),
            _ => None,
        };
        if let Some(why) = why {
            let path = format!("faults.scheduled[{i}].fault.{}", fault.kind);
            inert.warn(path, &fault.id, fault.kind, &why, check);
        }
    }
    for (i, process) in scenario.faults.pauses.iter().enumerate() {
        let nodes = if process.nodes.is_empty() {
            topology.nodes_where(|n| n.role == Role::Server)
        } else {
            process
                .nodes
                .iter()
                .filter_map(|name| topology.names.get(name))
                .collect()
        };
        let seen = nodes.iter().any(|&node| {
            network.pause(node, 0);
            let seen = sees(&network);
            network.resume(node, 0);
            seen
        });
        if !seen && !nodes.is_empty() {
            let id = process.id.clone().unwrap_or_else(|| format!("pauses[{i}]"));
            inert.warn(
                format!("faults.pauses[{i}]"),
                &id,
                "pause",
                UNUSED_NODES,
                check,
            );
        }
    }
    for (i, process) in plan.partitions.iter().enumerate() {
        if !splits_some_pair(process.draw.scope.as_deref(), &talk, topology.len()) {
            let path = format!("faults.random_partitions[{i}]");
            inert.warn(path, &process.id, "random_partition", across, check);
        }
    }
    inert.finish(check);
}

/// Most inert faults listed one by one; the rest are counted in one more warning.
const MAX_LISTED: usize = 10;

/// The inert faults found: the first [`MAX_LISTED`] warned about, the rest counted.
#[derive(Default)]
struct Inert {
    found: usize,
}

impl Inert {
    fn warn(&mut self, path: String, id: &str, kind: &str, why: &str, check: &mut Checker) {
        self.found += 1;
        if self.found <= MAX_LISTED {
            check.warn(
                path,
                format!("fault `{id}` ({kind}) cannot change any service's state: {why}"),
            );
        }
    }

    fn finish(self, check: &mut Checker) {
        if self.found > MAX_LISTED {
            check.warn(
                "faults",
                format!(
                    "{} more faults cannot change any service's state (the first {MAX_LISTED} \
                     are listed)",
                    self.found - MAX_LISTED
                ),
            );
        }
    }
}

/// Refuses the first node of `spec` that cannot reach its first replica at t = 0.
fn disconnected(
    spec: &ServiceSpec,
    talk: &ServiceTalk,
    network: &Network,
    topology: &Topology,
    hint: &str,
    check: &mut Checker,
) {
    let Some(&first) = spec.replicas.first() else {
        return;
    };
    let name = |node: NodeId| topology.names.name(node);
    for &(node, role) in talk.nodes {
        if node != first && !network.reachable(Some(node), first) {
            let what = role.what();
            check.fail(
                role.path(talk.service),
                format!(
                    "{what} `{}` of service `{}` cannot reach its replica `{}` at t = 0, before \
                     any fault: no path of links joins them{hint}",
                    name(node),
                    spec.name,
                    name(first)
                ),
            );
            return;
        }
    }
}

/// Warns of the first detector (a monitor, or a vantage point's balancer) whose probes
/// to a replica take longer than the probe timeout at t = 0, before any fault: every
/// such probe fails, so the replica is declared down from the start.
fn probes_too_slow(
    spec: &ServiceSpec,
    talk: &ServiceTalk,
    network: &Network,
    topology: &Topology,
    check: &mut Checker,
) {
    let probing = |role: Part| match &spec.strategy {
        StrategyParams::ActivePassive(params) => role == Part::Monitor && params.lease.is_none(),
        StrategyParams::ActiveActive(_) | StrategyParams::Geographic(_) => {
            matches!(role, Part::Vantage(_))
        }
        _ => false,
    };
    let name = |node: NodeId| topology.names.name(node);
    let secs = |ns: Nanos| humane_seconds(nanos_to_secs(ns));
    let timeout = spec.detection.timeout;
    for &(detector, role) in talk.nodes.iter().filter(|(_, role)| probing(*role)) {
        for &replica in &spec.replicas {
            let there = network.latency(Some(detector), replica);
            let back = network.latency(Some(replica), detector);
            let Some(round_trip) = there.zip(back).map(|(there, back)| there + back) else {
                continue;
            };
            if round_trip > timeout {
                check.warn(
                    role.path(talk.service),
                    format!(
                        "{} `{}` of service `{}` probes replica `{}` with a round trip of \
                         {}, longer than the probe timeout ({}): every probe fails and the \
                         replica is believed down from the start; raise `detection.timeout`",
                        role.what(),
                        name(detector),
                        spec.name,
                        name(replica),
                        secs(round_trip),
                        secs(timeout)
                    ),
                );
                return;
            }
        }
    }
}

/// Whether a random partition over `scope` (None: every node) can separate some pair
/// of nodes that talk: both ends in the scope.
fn splits_some_pair(scope: Option<&[NodeId]>, talk: &Talk, nodes: usize) -> bool {
    let Some(scope) = scope else {
        return !talk.pairs.is_empty();
    };
    let mut inside = vec![false; nodes];
    for &node in scope {
        inside[node.index()] = true;
    }
    talk.pairs
        .iter()
        .any(|&(a, b)| inside[a.index()] && inside[b.index()])
}

/// Why latency alone added to link `a`–`b` cannot change any service's state: its round
/// trip stays below every service's shortest timeout (probe, election, lease retry).
fn below_every_timeout(
    topology: &Topology,
    services: &[ServiceSpec],
    (a, b): (NodeId, NodeId),
    added: Nanos,
) -> Option<String> {
    let base = topology.implied_latency(a, b).or_else(|| {
        let edge = topology
            .graph
            .find_edge(Topology::graph_index(a), Topology::graph_index(b))?;
        Some(topology.graph[edge])
    })?;
    let round_trip = 2 * (base + added);
    let (timeout, what, service) = services
        .iter()
        .map(|spec| {
            let (timeout, what) = shortest_timeout(spec);
            (timeout, what, spec.name.as_str())
        })
        .min_by_key(|&(timeout, _, _)| timeout)?;
    let secs = |ns: Nanos| humane_seconds(nanos_to_secs(ns));
    (round_trip < timeout).then(|| {
        format!(
            "it adds {} of latency and loses nothing, and the link's round trip, {}, stays below \
             every timeout (the shortest: the {what} of service `{service}`, {}); add `loss`, \
             or latency beyond a timeout",
            secs(added),
            secs(round_trip),
            secs(timeout)
        )
    })
}

/// A service's shortest timeout that a slower message could overrun, and its name.
fn shortest_timeout(spec: &ServiceSpec) -> (Nanos, &'static str) {
    let probe = (spec.detection.timeout, "probe timeout");
    match &spec.strategy {
        StrategyParams::NWay(params) => (params.election_timeout_min, "election timeout"),
        StrategyParams::ActivePassive(params) => match &params.lease {
            Some(lease) => probe.min((lease.retry_timeout, "lease retry timeout")),
            None => probe,
        },
        _ => probe,
    }
}
