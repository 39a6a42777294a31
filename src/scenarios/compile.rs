//! Validation and compilation: turns a parsed [`Scenario`] into engine-ready types,
//! collecting every problem (with its JSON path) instead of stopping at the first.

use super::distribution::Distribution;
use super::generators::generate;
use super::model::*;
use crate::sim::time::Nanos;
use crate::sim::topology::{ImpliedLatencies, NodeId, NodeInfo, Topology, ZoneInfo};
use petgraph::graph::UnGraph;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Largest accepted node count: beyond it memory, not the model, is the limit.
pub const MAX_NODES: usize = 5_000_000;
/// Largest accepted replication count.
pub const MAX_REPLICATIONS: u64 = 100_000_000;

/// One validation problem: where (JSON path) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// JSON path, e.g. `services[0].replicas[1]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct CompiledScenario {
    /// Name for reports.
    pub name: String,
    /// Seed of all random streams.
    pub seed: u64,
    /// Replications to run.
    pub replications: u64,
    /// Simulated time per replication.
    pub horizon: Nanos,
    /// The network.
    pub topology: Arc<Topology>,
    /// Services with resolved node ids.
    pub services: Vec<ServiceSpec>,
    /// Faults with resolved node ids.
    pub faults: FaultPlan,
    /// SLO check expressions.
    pub slo: Vec<String>,
    /// The parsed file, kept for `compare` and `plan`.
    pub source: Scenario,
}

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

/// All faults of a scenario with resolved ids.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// Per-node failure/repair processes.
    pub node_processes: Vec<NodeProcess>,
    /// Zone and region outage processes, one per target.
    pub outages: Vec<OutageSpec>,
    /// Random partition processes.
    pub partitions: Vec<PartitionProcess>,
    /// Burst processes.
    pub bursts: Vec<BurstSpec>,
    /// Faults at fixed instants.
    pub scheduled: Vec<ScheduledSpec>,
    /// Failure propagation edges.
    pub dependencies: Vec<DependencySpec>,
}

/// Alternating failure and repair of some nodes.
#[derive(Clone, Debug)]
pub struct NodeProcess {
    /// Nodes it applies to.
    pub nodes: Vec<NodeId>,
    /// Time to failure.
    pub ttf: Distribution,
    /// Time to repair.
    pub ttr: Distribution,
}

/// Outages of one zone or region.
#[derive(Clone, Debug)]
pub struct OutageSpec {
    /// "zone_outage" or "region_outage".
    pub kind: &'static str,
    /// Zone or region name.
    pub target: String,
    /// The nodes that go down together.
    pub nodes: Vec<NodeId>,
    /// Time between outages.
    pub interarrival: Distribution,
    /// Outage length.
    pub duration: Distribution,
}

/// Bursts of simultaneous node failures.
#[derive(Clone, Debug)]
pub struct BurstSpec {
    /// Candidates.
    pub nodes: Vec<NodeId>,
    /// Nodes per burst.
    pub size: u32,
    /// Time between bursts.
    pub interarrival: Distribution,
    /// Time to repair of each node.
    pub ttr: Distribution,
}

/// A fault at a fixed instant.
#[derive(Clone, Debug)]
pub struct ScheduledSpec {
    /// Id for traces and records.
    pub id: String,
    /// Kind for traces and records, e.g. "crash", "partition".
    pub kind: &'static str,
    /// Start.
    pub at: Nanos,
    /// Length; None = until the horizon.
    pub duration: Option<Distribution>,
    /// What it does.
    pub action: Action,
}

/// What a scheduled fault does, with ids resolved.
#[derive(Clone, Debug)]
pub enum Action {
    /// Crash these nodes.
    Crash(Vec<NodeId>),
    /// Crash `count` random nodes of `among`.
    CrashRandom {
        /// How many.
        count: u32,
        /// Candidates.
        among: Vec<NodeId>,
    },
    /// Partition: group per node.
    Partition(Vec<u16>),
    /// Random partition into this many groups.
    RandomPartition(u32),
    /// Cut a link.
    CutLink(NodeId, NodeId),
    /// Degrade a link.
    DegradeLink {
        /// One end.
        a: NodeId,
        /// Other end.
        b: NodeId,
        /// Added latency.
        added_latency: Nanos,
        /// Loss probability.
        loss: f64,
    },
    /// Make nodes Byzantine.
    Byzantine(Vec<NodeId>),
    /// Make nodes gray.
    Gray(Vec<NodeId>),
}

/// A failure dependency with resolved ids.
#[derive(Clone, Debug)]
pub struct DependencySpec {
    /// Dependent.
    pub node: NodeId,
    /// What it depends on.
    pub depends_on: NodeId,
    /// Propagation probability.
    pub probability: f64,
    /// Delay before the dependent fails.
    pub delay: Nanos,
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn require(&mut self, ok: bool, path: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.fail(path, message);
        }
    }

    fn distribution(&mut self, dist: &Distribution, path: &str) {
        for (field, message) in dist.problems() {
            self.fail(format!("{path}.{field}"), message);
        }
    }

    fn positive_distribution(&mut self, dist: &Distribution, path: &str) {
        self.distribution(dist, path);
        if let Distribution::Const(d) = dist {
            self.require(d.nanos() > 0, path.to_string(), "must be longer than zero");
        }
    }

    fn probability(&mut self, p: f64, path: impl Into<String>) {
        self.require(
            (0.0..=1.0).contains(&p),
            path,
            format!("{p} is not a probability: use a number between 0 and 1"),
        );
    }

    fn node(
        &mut self,
        names: &BTreeMap<String, NodeId>,
        name: &str,
        path: String,
    ) -> Option<NodeId> {
        let found = names.get(name).copied();
        if found.is_none() {
            self.fail(
                path,
                format!("unknown node id `{name}`{}", suggestion(names, name)),
            );
        }
        found
    }

    fn nodes(
        &mut self,
        names: &BTreeMap<String, NodeId>,
        list: &[String],
        path: &str,
    ) -> Vec<NodeId> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, name) in list.iter().enumerate() {
            if let Some(id) = self.node(names, name, format!("{path}[{i}]")) {
                if seen.insert(id) {
                    out.push(id);
                } else {
                    self.fail(
                        format!("{path}[{i}]"),
                        format!("node `{name}` is listed twice"),
                    );
                }
            }
        }
        out
    }
}

fn suggestion(names: &BTreeMap<String, NodeId>, name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    names
        .keys()
        .find(|known| known.to_ascii_lowercase() == lower)
        .map(|known| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default()
}

/// Validates and compiles; returns every problem found.
pub fn compile(scenario: &Scenario, default_name: &str) -> Result<CompiledScenario, Vec<Problem>> {
    let mut check = Checker {
        problems: Vec::new(),
    };
    let horizon = match scenario.horizon {
        None => {
            check.fail("", "the horizon is missing: add e.g. \"horizon\": \"365d\"");
            0
        }
        Some(h) if h.nanos() == 0 => {
            check.fail("horizon", "the horizon must be longer than zero");
            0
        }
        Some(h) => h.nanos(),
    };
    check.require(
        scenario.replications > 0,
        "replications",
        "at least one replication is needed",
    );
    check.require(
        scenario.replications <= MAX_REPLICATIONS,
        "replications",
        format!(
            "{} replications is beyond the limit of {MAX_REPLICATIONS}",
            scenario.replications
        ),
    );
    let topology = compile_topology(&scenario.topology, &mut check);
    let services = compile_services(scenario, &topology, &mut check);
    let faults = compile_faults(&scenario.faults, &topology, horizon, &mut check);
    for (i, expression) in scenario.slo.iter().enumerate() {
        if let Err(message) = crate::checks::Check::parse(expression) {
            check.fail(format!("slo[{i}]"), message);
        }
    }
    if !check.problems.is_empty() {
        return Err(check.problems);
    }
    Ok(CompiledScenario {
        name: scenario
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string()),
        seed: scenario.seed,
        replications: scenario.replications,
        horizon,
        topology: Arc::new(topology),
        services,
        faults,
        slo: scenario.slo.clone(),
        source: scenario.clone(),
    })
}

fn compile_topology(spec: &super::model::Topology, check: &mut Checker) -> Topology {
    let mut nodes: Vec<(NodeSpec, String)> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), format!("topology.nodes[{i}]")))
        .collect();
    let mut links: Vec<(LinkSpec, String)> = spec
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), format!("topology.links[{i}]")))
        .collect();
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
        }
        let generated = generate(generator);
        nodes.extend(generated.nodes.into_iter().map(|n| (n, path.clone())));
        links.extend(generated.links.into_iter().map(|l| (l, path.clone())));
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
    for (node, path) in &nodes {
        if node.id.trim().is_empty() {
            check.fail(format!("{path}.id"), "a node id must not be empty");
        }
        if by_name
            .insert(node.id.clone(), infos.len() as NodeId)
            .is_some()
        {
            check.fail(
                format!("{path}.id"),
                format!("duplicate node id `{}`", node.id),
            );
        }
        check.require(
            node.capacity.is_finite() && node.capacity >= 0.0,
            format!("{path}.capacity"),
            "capacity must be a non-negative number",
        );
        let region = *region_index.entry(node.region.clone()).or_insert_with(|| {
            regions.push(node.region.clone());
            regions.len() as u32 - 1
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
            zones.len() as u32 - 1
        });
        if zones[zone as usize].region != region {
            check.fail(
                format!("{path}.zone"),
                format!(
                    "zone `{zone_name}` already belongs to region `{}`",
                    regions[zones[zone as usize].region as usize]
                ),
            );
        }
        infos.push(NodeInfo {
            name: node.id.clone(),
            region,
            zone,
            role: node.role,
            capacity: node.capacity,
        });
    }
    let mut graph = UnGraph::<NodeId, Nanos>::with_capacity(infos.len(), links.len());
    for i in 0..infos.len() {
        graph.add_node(i as NodeId);
    }
    for (link, path) in &links {
        let a = check.node(&by_name, &link.from, format!("{path}.from"));
        let b = check.node(&by_name, &link.to, format!("{path}.to"));
        if let (Some(a), Some(b)) = (a, b) {
            if a == b {
                check.fail(path.clone(), "a link must join two different nodes");
            } else {
                graph.add_edge(
                    Topology::graph_index(a),
                    Topology::graph_index(b),
                    link.latency.nanos(),
                );
            }
        }
    }
    let implied = spec.implied_links.unwrap_or(links.is_empty());
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

fn place(topology: &Topology, placement: &Placement) -> Vec<NodeId> {
    let servers = topology.nodes_where(|n| n.role == Role::Server);
    let mut chosen = Vec::new();
    let mut used_groups = BTreeSet::new();
    for node in servers {
        if chosen.len() == placement.count as usize {
            break;
        }
        let info = &topology.nodes[node as usize];
        let group = match placement.spread {
            Spread::Zone => Some(info.zone),
            Spread::Region => Some(info.region),
            Spread::None => None,
        };
        if group.is_none_or(|g| used_groups.insert(g)) {
            chosen.push(node);
        }
    }
    chosen
}

fn compile_services(
    scenario: &Scenario,
    topology: &Topology,
    check: &mut Checker,
) -> Vec<ServiceSpec> {
    let names = &topology.by_name;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    if scenario.services.is_empty() {
        check.fail(
            "services",
            "no services: add at least one service to simulate",
        );
    }
    for (s, service) in scenario.services.iter().enumerate() {
        let path = format!("services[{s}]");
        if !seen.insert(service.name.clone()) {
            check.fail(
                format!("{path}.name"),
                format!("duplicate service name `{}`", service.name),
            );
        }
        let replicas = match (&service.placement, service.replicas.is_empty()) {
            (Some(_), false) => {
                check.fail(
                    format!("{path}.placement"),
                    "give either `replicas` or `placement`, not both",
                );
                Vec::new()
            }
            (Some(placement), true) => {
                let chosen = place(topology, placement);
                check.require(
                    placement.count > 0 && chosen.len() == placement.count as usize,
                    format!("{path}.placement.count"),
                    format!(
                        "cannot place {} replicas with spread {:?}: only {} eligible server nodes",
                        placement.count,
                        placement.spread,
                        chosen.len()
                    ),
                );
                chosen
            }
            (None, true) => {
                check.fail(
                    format!("{path}.replicas"),
                    "the replica set is empty: list replica node ids or give a `placement`",
                );
                Vec::new()
            }
            (None, false) => check.nodes(names, &service.replicas, &format!("{path}.replicas")),
        };
        let vantages = check.nodes(
            names,
            &service.vantage_points,
            &format!("{path}.vantage_points"),
        );
        check.require(
            service.demand.is_finite() && service.demand > 0.0,
            format!("{path}.demand"),
            "demand must be a positive number",
        );
        let detection = &service.detection;
        check.require(
            detection.interval.nanos() > 0,
            format!("{path}.detection.interval"),
            "the probe interval must be longer than zero",
        );
        check.require(
            detection.unhealthy_threshold >= 1,
            format!("{path}.detection.unhealthy_threshold"),
            "must be at least 1",
        );
        check.require(
            detection.healthy_threshold >= 1,
            format!("{path}.detection.healthy_threshold"),
            "must be at least 1",
        );
        let failover = &service.failover;
        check.distribution(
            &failover.confirmation,
            &format!("{path}.failover.confirmation"),
        );
        check.distribution(&failover.operator, &format!("{path}.failover.operator"));
        check.probability(
            failover.decline_probability,
            format!("{path}.failover.decline_probability"),
        );
        check.require(
            failover.timeout.nanos() > 0,
            format!("{path}.failover.timeout"),
            "the failover timeout must be longer than zero",
        );
        check.require(
            failover.retries <= 100,
            format!("{path}.failover.retries"),
            "at most 100 retries",
        );
        check.distribution(&service.replication.lag, &format!("{path}.replication.lag"));
        check.distribution(
            &service.active_active.lb_update,
            &format!("{path}.active_active.lb_update"),
        );
        if let Some(cascade) = &service.active_active.overload_cascade {
            check.require(
                cascade.mean_time_to_fail.nanos() > 0,
                format!("{path}.active_active.overload_cascade.mean_time_to_fail"),
                "must be longer than zero",
            );
            check.distribution(
                &cascade.repair,
                &format!("{path}.active_active.overload_cascade.repair"),
            );
        }
        let ap = &service.active_passive;
        check.distribution(&ap.promotion, &format!("{path}.active_passive.promotion"));
        check.distribution(&ap.reroute, &format!("{path}.active_passive.reroute"));
        check.probability(
            ap.promotion_failure_probability,
            format!("{path}.active_passive.promotion_failure_probability"),
        );
        let monitor = ap
            .monitor
            .as_ref()
            .and_then(|m| check.node(names, m, format!("{path}.active_passive.monitor")));
        let nway = &service.n_way;
        let n = replicas.len();
        if let Some(q) = nway.quorum {
            check.require(
                q as usize <= n && q as usize > n / 2,
                format!("{path}.n_way.quorum"),
                format!("quorum {q} is impossible with {n} replicas: it must be more than half ({} to {n})", n / 2 + 1),
            );
        }
        check.require(
            nway.heartbeat.nanos() > 0,
            format!("{path}.n_way.heartbeat"),
            "the heartbeat period must be longer than zero",
        );
        check.require(
            nway.election_timeout_min.nanos() > 0
                && nway.election_timeout_min <= nway.election_timeout_max,
            format!("{path}.n_way.election_timeout_min"),
            "election timeouts need 0 < min ≤ max",
        );
        check.require(
            nway.heartbeat < nway.election_timeout_min,
            format!("{path}.n_way.heartbeat"),
            "the heartbeat period must be shorter than the shortest election timeout, or followers time out while the leader is healthy",
        );
        if nway.bft && service.strategy == StrategyName::NWay {
            let f = nway.max_faulty.unwrap_or((n.max(1) as u32 - 1) / 3) as usize;
            check.require(
                n > 3 * f && f >= 1,
                format!("{path}.n_way.max_faulty"),
                format!(
                    "BFT needs n ≥ 3f+1 with f ≥ 1: {n} replicas tolerate at most f = {}",
                    (n.max(1) - 1) / 3
                ),
            );
        }
        let regions = compile_regions(service, topology, &replicas, &path, check);
        check.require(
            service.geographic.traffic_manager_probers >= 1,
            format!("{path}.geographic.traffic_manager_probers"),
            "at least one prober",
        );
        check.require(
            service.geographic.clients >= 1,
            format!("{path}.geographic.clients"),
            "at least one client",
        );
        out.push(ServiceSpec {
            name: service.name.clone(),
            strategy: service.strategy,
            replicas,
            vantages,
            monitor,
            regions,
            params: service.clone(),
        });
    }
    out
}

fn compile_regions(
    service: &Service,
    topology: &Topology,
    replicas: &[NodeId],
    path: &str,
    check: &mut Checker,
) -> Vec<u32> {
    let region_of = |name: &str| {
        topology
            .regions
            .iter()
            .position(|r| r == name)
            .map(|i| i as u32)
    };
    let replica_regions: Vec<u32> = {
        let mut seen = BTreeSet::new();
        replicas
            .iter()
            .map(|&r| topology.nodes[r as usize].region)
            .filter(|r| seen.insert(*r))
            .collect()
    };
    let geo = &service.geographic;
    let mut order = Vec::new();
    if let Some(primary) = &geo.primary_region {
        match region_of(primary) {
            Some(r) if replica_regions.contains(&r) => order.push(r),
            Some(_) => check.fail(
                format!("{path}.geographic.primary_region"),
                format!("region `{primary}` holds no replica of this service"),
            ),
            None => check.fail(
                format!("{path}.geographic.primary_region"),
                format!("unknown region `{primary}`"),
            ),
        }
    }
    for (i, backup) in geo.backup_regions.iter().enumerate() {
        match region_of(backup) {
            Some(r) if order.contains(&r) => check.fail(
                format!("{path}.geographic.backup_regions[{i}]"),
                format!("region `{backup}` is listed twice"),
            ),
            Some(r) if replica_regions.contains(&r) => order.push(r),
            Some(_) => check.fail(
                format!("{path}.geographic.backup_regions[{i}]"),
                format!("region `{backup}` holds no replica of this service"),
            ),
            None => check.fail(
                format!("{path}.geographic.backup_regions[{i}]"),
                format!("unknown region `{backup}`"),
            ),
        }
    }
    if geo.backup_regions.is_empty() {
        for r in replica_regions {
            if !order.contains(&r) {
                order.push(r);
            }
        }
    }
    order
}

fn compile_faults(
    faults: &Faults,
    topology: &Topology,
    horizon: Nanos,
    check: &mut Checker,
) -> FaultPlan {
    let names = &topology.by_name;
    let servers = || topology.nodes_where(|n| n.role == Role::Server);
    let mut plan = FaultPlan::default();
    for (i, process) in faults.node_failures.iter().enumerate() {
        let path = format!("faults.node_failures[{i}]");
        check.positive_distribution(&process.ttf, &format!("{path}.ttf"));
        check.positive_distribution(&process.ttr, &format!("{path}.ttr"));
        let nodes = if process.nodes.is_empty() {
            servers()
        } else {
            check.nodes(names, &process.nodes, &format!("{path}.nodes"))
        };
        plan.node_processes.push(NodeProcess {
            nodes,
            ttf: process.ttf.clone(),
            ttr: process.ttr.clone(),
        });
    }
    for (field, kind, processes) in [
        ("zone_outages", "zone_outage", &faults.zone_outages),
        ("region_outages", "region_outage", &faults.region_outages),
    ] {
        for (i, process) in processes.iter().enumerate() {
            let path = format!("faults.{field}[{i}]");
            check.positive_distribution(&process.interarrival, &format!("{path}.interarrival"));
            check.positive_distribution(&process.duration, &format!("{path}.duration"));
            let all: Vec<String> = if kind == "zone_outage" {
                topology.zones.iter().map(|z| z.name.clone()).collect()
            } else {
                topology.regions.clone()
            };
            let targets = if process.targets.is_empty() {
                all.clone()
            } else {
                process.targets.clone()
            };
            for (t, target) in targets.iter().enumerate() {
                let Some(index) = all.iter().position(|name| name == target) else {
                    check.fail(
                        format!("{path}.targets[{t}]"),
                        format!(
                            "unknown {} `{target}`",
                            if kind == "zone_outage" {
                                "zone"
                            } else {
                                "region"
                            }
                        ),
                    );
                    continue;
                };
                let nodes = if kind == "zone_outage" {
                    topology.zone_nodes(index as u32)
                } else {
                    topology.region_nodes(index as u32)
                };
                plan.outages.push(OutageSpec {
                    kind,
                    target: target.clone(),
                    nodes,
                    interarrival: process.interarrival.clone(),
                    duration: process.duration.clone(),
                });
            }
        }
    }
    for (i, process) in faults.random_partitions.iter().enumerate() {
        let path = format!("faults.random_partitions[{i}]");
        check.positive_distribution(&process.interarrival, &format!("{path}.interarrival"));
        check.positive_distribution(&process.duration, &format!("{path}.duration"));
        check.require(
            (2..=3).contains(&process.groups),
            format!("{path}.groups"),
            "a random partition has 2 or 3 groups",
        );
        plan.partitions.push(process.clone());
    }
    for (i, process) in faults.bursts.iter().enumerate() {
        let path = format!("faults.bursts[{i}]");
        check.positive_distribution(&process.interarrival, &format!("{path}.interarrival"));
        check.positive_distribution(&process.ttr, &format!("{path}.ttr"));
        let nodes = if process.nodes.is_empty() {
            servers()
        } else {
            check.nodes(names, &process.nodes, &format!("{path}.nodes"))
        };
        check.require(
            process.size >= 1 && process.size as usize <= nodes.len(),
            format!("{path}.size"),
            format!(
                "a burst of {} nodes among {} candidates is impossible",
                process.size,
                nodes.len()
            ),
        );
        plan.bursts.push(BurstSpec {
            nodes,
            size: process.size,
            interarrival: process.interarrival.clone(),
            ttr: process.ttr.clone(),
        });
    }
    let mut ids = BTreeSet::new();
    for (i, fault) in faults.scheduled.iter().enumerate() {
        let path = format!("faults.scheduled[{i}]");
        let id = fault.id.clone().unwrap_or_else(|| format!("f{}", i + 1));
        if !ids.insert(id.clone()) {
            check.fail(format!("{path}.id"), format!("duplicate fault id `{id}`"));
        }
        if horizon > 0 && fault.at.nanos() >= horizon {
            check.fail(
                format!("{path}.at"),
                "the fault starts at or after the horizon, so it would never happen",
            );
        }
        if let Some(duration) = &fault.duration {
            check.positive_distribution(duration, &format!("{path}.duration"));
        }
        let action_path = format!("{path}.fault");
        let (kind, action) = compile_action(&fault.fault, topology, &action_path, check);
        plan.scheduled.push(ScheduledSpec {
            id,
            kind,
            at: fault.at.nanos(),
            duration: fault.duration.clone(),
            action,
        });
    }
    for (i, dependency) in faults.dependencies.iter().enumerate() {
        let path = format!("faults.dependencies[{i}]");
        let node = check.node(names, &dependency.node, format!("{path}.node"));
        let depends_on = check.node(names, &dependency.depends_on, format!("{path}.depends_on"));
        check.probability(dependency.probability, format!("{path}.probability"));
        if let (Some(node), Some(depends_on)) = (node, depends_on) {
            check.require(
                node != depends_on,
                format!("{path}.depends_on"),
                "a node cannot depend on itself",
            );
            plan.dependencies.push(DependencySpec {
                node,
                depends_on,
                probability: dependency.probability,
                delay: dependency.delay.nanos(),
            });
        }
    }
    plan
}

fn compile_action(
    action: &FaultAction,
    topology: &Topology,
    path: &str,
    check: &mut Checker,
) -> (&'static str, Action) {
    let names = &topology.by_name;
    let servers = || topology.nodes_where(|n| n.role == Role::Server);
    let non_empty = |check: &mut Checker, list: &[String], field: String| {
        check.require(!list.is_empty(), field, "list at least one node");
    };
    match action {
        FaultAction::Crash(list) => {
            non_empty(check, &list.nodes, format!("{path}.crash.nodes"));
            (
                "crash",
                Action::Crash(check.nodes(names, &list.nodes, &format!("{path}.crash.nodes"))),
            )
        }
        FaultAction::CrashRandom(spec) => {
            let among = if spec.among.is_empty() {
                servers()
            } else {
                check.nodes(names, &spec.among, &format!("{path}.crash_random.among"))
            };
            check.require(
                spec.count >= 1 && spec.count as usize <= among.len(),
                format!("{path}.crash_random.count"),
                format!(
                    "cannot crash {} of {} candidate nodes",
                    spec.count,
                    among.len()
                ),
            );
            (
                "crash_random",
                Action::CrashRandom {
                    count: spec.count,
                    among,
                },
            )
        }
        FaultAction::CrashZone(zone) => match topology.zones.iter().position(|z| &z.name == zone) {
            Some(z) => ("crash_zone", Action::Crash(topology.zone_nodes(z as u32))),
            None => {
                check.fail(
                    format!("{path}.crash_zone"),
                    format!("unknown zone `{zone}`"),
                );
                ("crash_zone", Action::Crash(Vec::new()))
            }
        },
        FaultAction::CrashRegion(region) => match topology.regions.iter().position(|r| r == region)
        {
            Some(r) => (
                "crash_region",
                Action::Crash(topology.region_nodes(r as u32)),
            ),
            None => {
                check.fail(
                    format!("{path}.crash_region"),
                    format!("unknown region `{region}`"),
                );
                ("crash_region", Action::Crash(Vec::new()))
            }
        },
        FaultAction::Partition(groups) => {
            check.require(
                groups.groups.len() >= 2,
                format!("{path}.partition.groups"),
                "a partition needs at least two groups",
            );
            let mut group_of = vec![0u16; topology.len()];
            let mut seen = BTreeSet::new();
            for (g, group) in groups.groups.iter().enumerate() {
                for (i, name) in group.iter().enumerate() {
                    let item = format!("{path}.partition.groups[{g}][{i}]");
                    if let Some(node) = check.node(names, name, item.clone()) {
                        if !seen.insert(node) {
                            check.fail(item, format!("node `{name}` is in two groups"));
                        }
                        group_of[node as usize] = g as u16;
                    }
                }
            }
            ("partition", Action::Partition(group_of))
        }
        FaultAction::RandomPartition(spec) => {
            check.require(
                (2..=3).contains(&spec.groups),
                format!("{path}.random_partition.groups"),
                "a random partition has 2 or 3 groups",
            );
            ("random_partition", Action::RandomPartition(spec.groups))
        }
        FaultAction::Isolate(list) => {
            non_empty(check, &list.nodes, format!("{path}.isolate.nodes"));
            let isolated = check.nodes(names, &list.nodes, &format!("{path}.isolate.nodes"));
            let mut group_of = vec![0u16; topology.len()];
            for (i, node) in isolated.iter().enumerate() {
                group_of[*node as usize] = i as u16 + 1;
            }
            ("isolate", Action::Partition(group_of))
        }
        FaultAction::IsolateRegion(region) => {
            match topology.regions.iter().position(|r| r == region) {
                Some(r) => {
                    let group_of = topology
                        .nodes
                        .iter()
                        .map(|n| u16::from(n.region == r as u32))
                        .collect();
                    ("isolate_region", Action::Partition(group_of))
                }
                None => {
                    check.fail(
                        format!("{path}.isolate_region"),
                        format!("unknown region `{region}`"),
                    );
                    ("isolate_region", Action::Partition(vec![0; topology.len()]))
                }
            }
        }
        FaultAction::CutLink(link) => {
            let (a, b) = link_ends(
                topology,
                &link.from,
                &link.to,
                &format!("{path}.cut_link"),
                check,
            );
            ("cut_link", Action::CutLink(a, b))
        }
        FaultAction::DegradeLink(link) => {
            let (a, b) = link_ends(
                topology,
                &link.from,
                &link.to,
                &format!("{path}.degrade_link"),
                check,
            );
            check.probability(link.loss, format!("{path}.degrade_link.loss"));
            (
                "degrade_link",
                Action::DegradeLink {
                    a,
                    b,
                    added_latency: link.added_latency.nanos(),
                    loss: link.loss,
                },
            )
        }
        FaultAction::Byzantine(list) => {
            non_empty(check, &list.nodes, format!("{path}.byzantine.nodes"));
            (
                "byzantine",
                Action::Byzantine(check.nodes(
                    names,
                    &list.nodes,
                    &format!("{path}.byzantine.nodes"),
                )),
            )
        }
        FaultAction::Gray(list) => {
            non_empty(check, &list.nodes, format!("{path}.gray.nodes"));
            (
                "gray",
                Action::Gray(check.nodes(names, &list.nodes, &format!("{path}.gray.nodes"))),
            )
        }
    }
}

fn link_ends(
    topology: &Topology,
    from: &str,
    to: &str,
    path: &str,
    check: &mut Checker,
) -> (NodeId, NodeId) {
    let a = check.node(&topology.by_name, from, format!("{path}.from"));
    let b = check.node(&topology.by_name, to, format!("{path}.to"));
    match (a, b) {
        (Some(a), Some(b)) => {
            let linked = topology.implied.is_some()
                || topology
                    .graph
                    .find_edge(Topology::graph_index(a), Topology::graph_index(b))
                    .is_some();
            check.require(
                linked,
                path.to_string(),
                format!("there is no link between `{from}` and `{to}`"),
            );
            check.require(a != b, path.to_string(), "a link joins two different nodes");
            (a, b)
        }
        _ => (0, 0),
    }
}
