//! Validation and compilation: turns a parsed [`Scenario`] into engine-ready types,
//! collecting every problem (with its JSON path) instead of stopping at the first.

use crate::core::rng::StreamKey;
use crate::core::time::Nanos;
use crate::net::network::Network;
use crate::net::topology::{ImpliedLatencies, NodeId, NodeInfo, Topology, ZoneInfo};
use crate::scenarios::distribution::Distribution;
use crate::scenarios::generators::generate;
use crate::scenarios::model::*;
pub use crate::strategies::spec::ServiceSpec;
use petgraph::graph::UnGraph;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub mod load;
pub use load::{load_file, load_str};

/// Largest accepted node count: beyond it memory, not the model, is the limit.
pub const MAX_NODES: usize = 5_000_000;
/// Largest accepted replication count.
pub const MAX_REPLICATIONS: u64 = 100_000_000;
/// Largest accepted number of GEOGRAPHIC traffic-manager probers per service.
pub const MAX_PROBERS: u32 = 1_000;
/// Largest accepted number of simulated DNS clients per GEOGRAPHIC vantage point.
pub const MAX_DNS_CLIENTS: u32 = 100_000;

/// Most events a whole run (every replication) may be expected to process. At a few
/// million events per second and core this is hours of work; beyond it a scenario is
/// almost surely a mistake (a one-second MTBF over centuries) and is refused up front.
pub const MAX_EXPECTED_EVENTS: f64 = 1e11;

/// Why a fault process needs time between faults.
const BACK_TO_BACK: &str = "at zero, faults follow each other at one instant without end";
/// Why a fault needs to last.
const GONE_AT_ONCE: &str = "at zero, the fault is over the instant it starts";

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

impl CompiledScenario {
    /// The name of a service's vantage point in outputs: its node, or "global" for the
    /// global client.
    pub fn vantage_name(&self, service: u32, vantage: u32) -> &str {
        self.services[service as usize]
            .vantages
            .get(vantage as usize)
            .map_or("global", |&node| &self.topology.nodes[node as usize].name)
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
    pub partitions: Vec<PartitionSpec>,
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
    /// Id for traces and records: the given one, else `node_failures[<index>]`.
    pub id: String,
    /// Nodes it applies to.
    pub nodes: Vec<NodeId>,
    /// Stream key of each node's failures and repairs, beside `nodes`: (process
    /// identity, node name), see [`crate::core::rng`].
    pub keys: Vec<StreamKey>,
    /// Time to failure.
    pub ttf: Distribution,
    /// Time to repair.
    pub ttr: Distribution,
}

/// Outages of one zone or region.
#[derive(Clone, Debug)]
pub struct OutageSpec {
    /// Id for traces and records: `<given id or kind>:<target>`.
    pub id: String,
    /// Stream key: (process identity, target).
    pub key: StreamKey,
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

/// Random partitions arriving over time.
#[derive(Clone, Debug)]
pub struct PartitionSpec {
    /// Id for traces and records: the given one, else `random_partitions[<index>]`.
    pub id: String,
    /// Stream key of the process's identity.
    pub key: StreamKey,
    /// Time between the end of one partition and the start of the next.
    pub interarrival: Distribution,
    /// How long a partition lasts.
    pub duration: Distribution,
    /// Number of groups.
    pub groups: u32,
}

/// Bursts of simultaneous node failures.
#[derive(Clone, Debug)]
pub struct BurstSpec {
    /// Id for traces and records: the given one, else `bursts[<index>]`.
    pub id: String,
    /// Stream key of the process's identity.
    pub key: StreamKey,
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
    /// Stream key of the fault's identity.
    pub key: StreamKey,
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
    /// Id for traces and records: the given one, else `dependencies[<index>]`.
    pub id: String,
    /// Stream key of the dependency's identity.
    pub key: StreamKey,
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

    /// A distribution of fault timing: besides sound parameters it needs a mean above zero
    /// (`{"const": 0}`, `{"uniform": {"min": 0, "max": 0}}` and `{"empirical": ["0s"]}`
    /// have none); `why` says what a zero would do.
    fn positive_distribution(&mut self, dist: &Distribution, path: &str, why: &str) {
        let before = self.problems.len();
        self.distribution(dist, path);
        if self.problems.len() == before {
            self.require(
                dist.mean_secs() > 0.0,
                format!("{path}.{}", dist.key()),
                format!("the mean must be longer than zero: {why}"),
            );
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

/// A hint for an unknown node id: the id that differs only in case, or else the known
/// ids when there are few enough to read.
fn suggestion(names: &BTreeMap<String, NodeId>, name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some(known) = names
        .keys()
        .find(|known| known.to_ascii_lowercase() == lower)
    {
        return format!(" (did you mean `{known}`?)");
    }
    if (1..=12).contains(&names.len()) {
        let known: Vec<&str> = names.keys().map(String::as_str).collect();
        return format!(" (known nodes: {})", known.join(", "));
    }
    String::new()
}

/// Validates and compiles; returns every problem found.
pub fn compile(scenario: &Scenario, default_name: &str) -> Result<CompiledScenario, Vec<Problem>> {
    let mut check = Checker {
        problems: Vec::new(),
    };
    let horizon = match scenario.horizon {
        None => {
            check.fail(
                "horizon",
                "the horizon is missing: add e.g. \"horizon\": \"365d\"",
            );
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
    let topology = Arc::new(compile_topology(&scenario.topology, &mut check));
    let services = compile_services(scenario, &topology, &mut check);
    let faults = compile_faults(&scenario.faults, &topology, horizon, &mut check);
    for (i, expression) in scenario.slo.iter().enumerate() {
        if let Err(message) = crate::core::metric::Check::parse(expression) {
            check.fail(format!("slo[{i}]"), message);
        }
    }
    if let Some(cost) = &scenario.cost {
        for (path, value) in [
            ("cost.per_replica", cost.per_replica),
            ("cost.per_region", cost.per_region),
        ] {
            check.require(
                value.is_finite() && value >= 0.0,
                path,
                format!("{value} is not a cost: use a non-negative number"),
            );
        }
    }
    if check.problems.is_empty() {
        // Only a sound scenario gets an estimate: with a broken process it would repeat
        // the problem already reported.
        let shares = work_estimate(&faults, &services, horizon);
        if let Some(problem) = work_problem(&shares, scenario.replications) {
            check.problems.push(problem);
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
        topology,
        services,
        faults,
        slo: scenario.slo.clone(),
        source: scenario.clone(),
    })
}

fn compile_topology(spec: &crate::scenarios::model::Topology, check: &mut Checker) -> Topology {
    let mut nodes: Vec<(NodeSpec, String)> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), format!("topology.nodes[{i}]")))
        .collect();
    let links: Vec<(LinkSpec, String)> = spec
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), format!("topology.links[{i}]")))
        .collect();
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
        }
        let generated = generate(generator);
        // Generated links join generated nodes, which take the next node ids in order.
        let first = nodes.len();
        generated_links.extend(generated.links.iter().map(|l| {
            (
                (first + l.from) as NodeId,
                (first + l.to) as NodeId,
                l.latency.nanos(),
            )
        }));
        nodes.extend(generated.nodes.into_iter().map(|n| (n, path.clone())));
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
    let mut graph =
        UnGraph::<NodeId, Nanos>::with_capacity(infos.len(), links.len() + generated_links.len());
    for i in 0..infos.len() {
        graph.add_node(i as NodeId);
    }
    for (link, path) in &links {
        let a = check.node(&by_name, &link.from, format!("{path}.from"));
        let b = check.node(&by_name, &link.to, format!("{path}.to"));
        if let (Some(a), Some(b)) = (a, b) {
            if a == b {
                check.fail(
                    path.clone(),
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
    topology: &Arc<Topology>,
    check: &mut Checker,
) -> Vec<ServiceSpec> {
    let names = &topology.by_name;
    // The intact network, built once and only if an N_WAY service needs its latencies.
    let mut network: Option<Network> = None;
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
                let spread = match placement.spread {
                    Spread::Zone => "one per zone",
                    Spread::Region => "one per region",
                    Spread::None => "none",
                };
                if placement.count == 0 {
                    check.fail(
                        format!("{path}.placement.count"),
                        "a placement needs at least one replica",
                    );
                } else {
                    check.require(
                        chosen.len() == placement.count as usize,
                        format!("{path}.placement.count"),
                        format!(
                            "cannot place {} replicas with spread `{spread}`: only {} server \
                             nodes qualify; lower `count`, add servers, or relax `spread`",
                            placement.count,
                            chosen.len()
                        ),
                    );
                }
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
        for (field, threshold) in [
            ("unhealthy_threshold", detection.unhealthy_threshold),
            ("healthy_threshold", detection.healthy_threshold),
        ] {
            // Detection waits (threshold − 1) intervals after the first probe; that span
            // has to fit in simulated time.
            let span = u64::from(threshold.saturating_sub(1))
                .checked_mul(detection.interval.nanos())
                .and_then(|span| span.checked_add(detection.timeout.nanos()));
            if threshold == 0 {
                check.fail(format!("{path}.detection.{field}"), "must be at least 1");
            } else if span.is_none() {
                check.fail(
                    format!("{path}.detection.{field}"),
                    format!(
                        "{threshold} probes of `interval` each take longer than simulated time \
                         can hold (u64 nanoseconds, about 584 years): lower the threshold or the \
                         interval"
                    ),
                );
            }
        }
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
            check.positive_distribution(
                &cascade.repair,
                &format!("{path}.active_active.overload_cascade.repair"),
                "at zero, a replica is back the instant it fails, overloaded again, without end",
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
        if service.strategy == StrategyName::NWay && nway.election_timeout_min.nanos() > 0 {
            let network = network.get_or_insert_with(|| Network::new(Arc::clone(topology)));
            if let Some((a, b, round_trip)) = farthest_round_trip(network, &replicas) {
                let name = |node: NodeId| &topology.nodes[node as usize].name;
                check.require(
                    nway.election_timeout_min.nanos() > round_trip,
                    format!("{path}.n_way.election_timeout_min"),
                    format!(
                        "a vote takes a round trip of {} between replicas `{}` and `{}`, no \
                         less than the shortest election timeout ({}): candidates time out \
                         before their votes arrive and elections never end; use an \
                         election_timeout_min longer than the round trip",
                        seconds(round_trip),
                        name(a),
                        name(b),
                        seconds(nway.election_timeout_min.nanos())
                    ),
                );
            }
        }
        if nway.bft && service.strategy == StrategyName::NWay {
            let f = nway.max_faulty.unwrap_or((n.max(1) as u32 - 1) / 3) as usize;
            let needed = 3 * f.max(1) + 1;
            check.require(
                f >= 1 && n >= needed,
                format!("{path}.n_way.max_faulty"),
                format!(
                    "BFT needs n ≥ 3f+1 with f ≥ 1: {n} replicas tolerate at most f = {}; \
                     use at least {needed} replicas",
                    (n.max(1) - 1) / 3
                ),
            );
        }
        let regions = compile_regions(service, topology, &replicas, &path, check);
        // Probers and simulated clients are held in memory per replication: bound them
        // so a typo (an extra digit or three) is an error, not an out-of-memory kill.
        check.require(
            (1..=MAX_PROBERS).contains(&service.geographic.traffic_manager_probers),
            format!("{path}.geographic.traffic_manager_probers"),
            format!(
                "{} probers is beyond the limit: use between 1 and {MAX_PROBERS}",
                service.geographic.traffic_manager_probers
            ),
        );
        check.require(
            (1..=MAX_DNS_CLIENTS).contains(&service.geographic.clients),
            format!("{path}.geographic.clients"),
            format!(
                "{} clients per vantage point is beyond the limit: use between 1 and \
                 {MAX_DNS_CLIENTS}",
                service.geographic.clients
            ),
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

/// The replicas farthest apart on the intact network and their round trip (twice the
/// one-way latency of the shortest path), or None with fewer than two connected replicas.
fn farthest_round_trip(network: &Network, replicas: &[NodeId]) -> Option<(NodeId, NodeId, Nanos)> {
    let mut farthest = None;
    for (i, &a) in replicas.iter().enumerate() {
        for &b in &replicas[i + 1..] {
            if let Some(latency) = network.latency(Some(a), b) {
                let round_trip = latency.saturating_mul(2);
                if farthest.is_none_or(|(_, _, longest)| round_trip > longest) {
                    farthest = Some((a, b, round_trip));
                }
            }
        }
    }
    farthest
}

/// A span for messages, e.g. `80ms`.
fn seconds(nanos: Nanos) -> String {
    humantime::format_duration(std::time::Duration::from_nanos(nanos)).to_string()
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
    if geo.primary_region.is_none() && !geo.backup_regions.is_empty() {
        // The documented default primary is the region of the first replica; with backups
        // listed, it is the first replica region that is not one of them.
        let backups: Vec<Option<u32>> = geo.backup_regions.iter().map(|b| region_of(b)).collect();
        match replica_regions
            .iter()
            .find(|r| !backups.contains(&Some(**r)))
        {
            Some(&r) => order.push(r),
            None => check.fail(
                format!("{path}.geographic.backup_regions"),
                "every region of this service's replicas is listed as a backup: \
                 name the one that serves first in `primary_region`"
                    .to_string(),
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
    let mut identities = Identities::default();
    let mut given = GivenIds::default();
    for (i, process) in faults.node_failures.iter().enumerate() {
        let path = format!("faults.node_failures[{i}]");
        given.check("node_failures", process.id.as_deref(), &path, check);
        let identity = identity(
            "node_failures",
            process.id.as_deref(),
            &(&process.ttf, &process.ttr),
        );
        check.positive_distribution(&process.ttf, &format!("{path}.ttf"), BACK_TO_BACK);
        check.positive_distribution(&process.ttr, &format!("{path}.ttr"), GONE_AT_ONCE);
        let nodes = if process.nodes.is_empty() {
            servers()
        } else {
            check.nodes(names, &process.nodes, &format!("{path}.nodes"))
        };
        let keys = nodes
            .iter()
            .map(|&node| {
                let name = &topology.nodes[node as usize].name;
                identities.key(
                    [identity.as_slice(), std::slice::from_ref(name)].concat(),
                    &path,
                    check,
                )
            })
            .collect();
        plan.node_processes.push(NodeProcess {
            id: process
                .id
                .clone()
                .unwrap_or_else(|| format!("node_failures[{i}]")),
            nodes,
            keys,
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
            given.check(field, process.id.as_deref(), &path, check);
            let identity = identity(
                field,
                process.id.as_deref(),
                &(&process.interarrival, &process.duration),
            );
            check.positive_distribution(
                &process.interarrival,
                &format!("{path}.interarrival"),
                BACK_TO_BACK,
            );
            check.positive_distribution(
                &process.duration,
                &format!("{path}.duration"),
                GONE_AT_ONCE,
            );
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
                    id: format!("{}:{target}", process.id.as_deref().unwrap_or(kind)),
                    key: identities.key(
                        [identity.as_slice(), std::slice::from_ref(target)].concat(),
                        &path,
                        check,
                    ),
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
        given.check("random_partitions", process.id.as_deref(), &path, check);
        let identity = identity(
            "random_partitions",
            process.id.as_deref(),
            &(&process.interarrival, &process.duration, process.groups),
        );
        check.positive_distribution(
            &process.interarrival,
            &format!("{path}.interarrival"),
            BACK_TO_BACK,
        );
        check.positive_distribution(&process.duration, &format!("{path}.duration"), GONE_AT_ONCE);
        check.require(
            (2..=3).contains(&process.groups),
            format!("{path}.groups"),
            "a random partition has 2 or 3 groups",
        );
        plan.partitions.push(PartitionSpec {
            id: process
                .id
                .clone()
                .unwrap_or_else(|| format!("random_partitions[{i}]")),
            key: identities.key(identity, &path, check),
            interarrival: process.interarrival.clone(),
            duration: process.duration.clone(),
            groups: process.groups,
        });
    }
    for (i, process) in faults.bursts.iter().enumerate() {
        let path = format!("faults.bursts[{i}]");
        given.check("bursts", process.id.as_deref(), &path, check);
        let identity = identity(
            "bursts",
            process.id.as_deref(),
            &BurstProcess {
                id: None,
                ..process.clone()
            },
        );
        check.positive_distribution(
            &process.interarrival,
            &format!("{path}.interarrival"),
            BACK_TO_BACK,
        );
        check.positive_distribution(&process.ttr, &format!("{path}.ttr"), GONE_AT_ONCE);
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
            id: process.id.clone().unwrap_or_else(|| format!("bursts[{i}]")),
            key: identities.key(identity, &path, check),
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
            check.positive_distribution(duration, &format!("{path}.duration"), GONE_AT_ONCE);
        }
        let identity = identity(
            "scheduled",
            fault.id.as_deref(),
            &(&fault.at, &fault.duration, &fault.fault),
        );
        let key = identities.key(identity, &path, check);
        let action_path = format!("{path}.fault");
        let (kind, action) = compile_action(&fault.fault, topology, &action_path, check);
        plan.scheduled.push(ScheduledSpec {
            id,
            key,
            kind,
            at: fault.at.nanos(),
            duration: fault.duration.clone(),
            action,
        });
    }
    for (i, dependency) in faults.dependencies.iter().enumerate() {
        let path = format!("faults.dependencies[{i}]");
        given.check("dependencies", dependency.id.as_deref(), &path, check);
        let identity = identity(
            "dependencies",
            dependency.id.as_deref(),
            &Dependency {
                id: None,
                ..dependency.clone()
            },
        );
        let key = identities.key(identity, &path, check);
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
                id: dependency
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("dependencies[{i}]")),
                key,
                node,
                depends_on,
                probability: dependency.probability,
                delay: dependency.delay.nanos(),
            });
        }
    }
    plan
}

/// The identity of a fault or fault process (see [`crate::core::rng`] for the rule): its
/// field and its given id, else its field and the canonical JSON of `content` (durations
/// normalised by their serialisation, node and target lists left out by the caller).
fn identity(field: &str, id: Option<&str>, content: &impl serde::Serialize) -> Vec<String> {
    match id {
        Some(id) => vec![field.into(), "id".into(), id.into()],
        None => vec![
            field.into(),
            "content".into(),
            serde_json::to_string(content).expect("the scenario model serialises"),
        ],
    }
}

/// Hashes identities to stream keys, once per scenario: counts identical identities so
/// that each gets its occurrence index, and refuses two keys that collide.
#[derive(Default)]
struct Identities {
    /// Occurrences so far of each identity (by the key of its parts).
    seen: BTreeMap<StreamKey, u32>,
    keys: BTreeSet<StreamKey>,
}

impl Identities {
    fn key(&mut self, mut parts: Vec<String>, path: &str, check: &mut Checker) -> StreamKey {
        let count = self.seen.entry(StreamKey::of(&parts)).or_insert(0);
        parts.push(count.to_string());
        *count += 1;
        let key = StreamKey::of(&parts);
        if !self.keys.insert(key) {
            check.fail(
                path,
                "its random stream key collides with another fault's; give it an `id`",
            );
        }
        key
    }
}

/// Given ids, unique within their field.
#[derive(Default)]
struct GivenIds(BTreeSet<(&'static str, String)>);

impl GivenIds {
    fn check(&mut self, field: &'static str, id: Option<&str>, path: &str, check: &mut Checker) {
        if let Some(id) = id {
            if !self.0.insert((field, id.to_string())) {
                check.fail(format!("{path}.id"), format!("duplicate {field} id `{id}`"));
            }
        }
    }
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
            check.require(
                groups.groups.len() <= usize::from(u16::MAX),
                format!("{path}.partition.groups"),
                format!("a partition has at most {} groups", u16::MAX),
            );
            let mut group_of = vec![0u16; topology.len()];
            let mut seen = BTreeSet::new();
            for (g, group) in groups.groups.iter().enumerate() {
                check.require(
                    !group.is_empty(),
                    format!("{path}.partition.groups[{g}]"),
                    "an empty group splits nothing: list at least one node",
                );
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
            // Each isolated node gets a group of its own, numbered in a u16.
            check.require(
                list.nodes.len() < usize::from(u16::MAX),
                format!("{path}.isolate.nodes"),
                format!("at most {} nodes can be isolated at once", u16::MAX - 1),
            );
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

/// The expected events of one replication that one fault process (or one explicitly
/// probed service) contributes.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkShare {
    /// JSON path of the process in the scenario file, e.g. `faults.node_failures[0]`.
    pub source: String,
    /// Expected events in one replication.
    pub events: f64,
}

/// Estimates the events of one replication, process by process: a repeating process of
/// mean cycle `c` over horizon `h` fires about `h / c` times, each a start and an end
/// (a burst: one event and a repair per node). Explicit probing adds one event per probe,
/// and an overload cascade a failure and a repair per replica and cycle at 100% overload.
/// Strategy timers are left out: they scale with these events, not with user input alone.
pub fn work_estimate(plan: &FaultPlan, services: &[ServiceSpec], horizon: Nanos) -> Vec<WorkShare> {
    let horizon = crate::core::time::nanos_to_secs(horizon);
    let cycles = |cycle: f64| horizon / cycle;
    let mut shares = Vec::new();
    for (i, process) in plan.node_processes.iter().enumerate() {
        shares.push(WorkShare {
            source: format!("faults.node_failures[{i}]"),
            events: process.nodes.len() as f64
                * 2.0
                * cycles(process.ttf.mean_secs() + process.ttr.mean_secs()),
        });
    }
    for outage in &plan.outages {
        let field = if outage.kind == "zone_outage" {
            "zone_outages"
        } else {
            "region_outages"
        };
        shares.push(WorkShare {
            source: format!("faults.{field}"),
            events: 2.0 * cycles(outage.interarrival.mean_secs() + outage.duration.mean_secs()),
        });
    }
    for (i, process) in plan.partitions.iter().enumerate() {
        shares.push(WorkShare {
            source: format!("faults.random_partitions[{i}]"),
            events: 2.0 * cycles(process.interarrival.mean_secs() + process.duration.mean_secs()),
        });
    }
    for (i, burst) in plan.bursts.iter().enumerate() {
        shares.push(WorkShare {
            source: format!("faults.bursts[{i}]"),
            events: (1.0 + 2.0 * burst.size as f64) * cycles(burst.interarrival.mean_secs()),
        });
    }
    for (s, service) in services.iter().enumerate() {
        let spreads_load = matches!(
            service.strategy,
            StrategyName::ActiveActive | StrategyName::Geographic
        );
        if let (true, Some(cascade)) =
            (spreads_load, &service.params.active_active.overload_cascade)
        {
            // At 100% overload; more overload fails replicas faster, so this is a floor.
            shares.push(WorkShare {
                source: format!("services[{s}].active_active.overload_cascade"),
                events: service.replicas.len() as f64
                    * 2.0
                    * cycles(cascade.mean_time_to_fail.secs() + cascade.repair.mean_secs()),
            });
        }
        if service.params.detection.probing == Probing::Explicit {
            let detectors = service.vantages.len().max(1) as f64;
            shares.push(WorkShare {
                source: format!("services[{s}].detection.probing"),
                events: detectors
                    * service.replicas.len() as f64
                    * cycles(service.params.detection.interval.secs()),
            });
        }
    }
    shares
}

/// The total expected events of a run: the shares of one replication times the
/// replications. Used up front by validation and by anything that changes the horizon
/// or the replications afterwards (command-line overrides, the fuzz harness).
pub fn expected_events(shares: &[WorkShare], replications: u64) -> f64 {
    shares.iter().map(|share| share.events).sum::<f64>() * replications as f64
}

/// The problem to report when a run is expected to exceed [`MAX_EXPECTED_EVENTS`],
/// placed at the process that contributes the most.
pub fn work_problem(shares: &[WorkShare], replications: u64) -> Option<Problem> {
    let total = expected_events(shares, replications);
    if total <= MAX_EXPECTED_EVENTS {
        return None;
    }
    let largest = shares.iter().max_by(|a, b| a.events.total_cmp(&b.events))?;
    let share = if total.is_finite() {
        largest.events * replications as f64 / total * 100.0
    } else {
        100.0
    };
    Some(Problem {
        path: largest.source.clone(),
        message: format!(
            "this scenario would take about {total:.1e} events ({:.1e} per replication × \
             {replications} replications; {share:.0}% from here), beyond the limit of \
             {MAX_EXPECTED_EVENTS:.0e}: lower `replications`, shorten `horizon`, or make \
             these faults rarer",
            total / replications.max(1) as f64
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(faults: &str, replications: u64) -> Scenario {
        serde_json::from_str(&format!(
            r#"{{"horizon": "10d", "replications": {replications},
                "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
                "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}}],
                "faults": {faults}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_work_estimate_counts_a_start_and_an_end_per_cycle_and_node() {
        // Two nodes, a two-day cycle over ten days: 5 cycles × 2 events × 2 nodes.
        let faults = r#"{"node_failures": [{"ttf": {"const": "1d"}, "ttr": {"exp": {"mean": "1d"}}}],
                         "bursts": [{"interarrival": {"const": "5d"}, "size": 2, "ttr": {"const": "1h"}}]}"#;
        let compiled = compile(&scenario(faults, 3), "t").unwrap();
        let shares = work_estimate(&compiled.faults, &compiled.services, compiled.horizon);
        let events: Vec<(&str, f64)> = shares
            .iter()
            .map(|s| (s.source.as_str(), s.events))
            .collect();
        // The burst fires twice, each time one event and a crash and repair per node.
        assert_eq!(
            events,
            [
                ("faults.node_failures[0]", 20.0),
                ("faults.bursts[0]", 10.0)
            ]
        );
        assert_eq!(expected_events(&shares, 3), 90.0);
    }

    #[test]
    fn work_beyond_the_limit_is_refused_at_the_largest_process() {
        let faults = r#"{"node_failures": [{"ttf": {"const": "1s"}, "ttr": {"const": "1s"}}]}"#;
        // 2 nodes × 2 events × 432 000 cycles = 1.728e6 per replication; 10^8 replications.
        let problems = compile(&scenario(faults, 100_000_000), "t").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "faults.node_failures[0]");
        assert!(
            problems[0].message.contains("1.7e14 events"),
            "{problems:?}"
        );
        assert!(compile(&scenario(faults, 1_000), "t").is_ok());
    }

    fn geographic_regions(geographic: &str) -> Result<Vec<u32>, Vec<Problem>> {
        let scenario: Scenario = serde_json::from_str(&format!(
            r#"{{"horizon": "10d",
                "topology": {{"nodes": [{{"id": "e", "region": "east"}},
                    {{"id": "c", "region": "central"}}, {{"id": "w", "region": "west"}}]}},
                "services": [{{"name": "s", "strategy": "GEOGRAPHIC",
                    "replicas": ["e", "c", "w"], "geographic": {geographic}}}]}}"#
        ))
        .unwrap();
        compile(&scenario, "geo").map(|compiled| compiled.services[0].regions.clone())
    }

    #[test]
    fn backups_without_a_primary_keep_the_first_replica_region_as_primary() {
        let region = |name: &str| ["east", "central", "west"].iter().position(|r| *r == name);
        let names =
            |order: Vec<u32>| -> Vec<usize> { order.into_iter().map(|r| r as usize).collect() };
        let listed = names(geographic_regions(r#"{"backup_regions": ["west"]}"#).unwrap());
        let east = region("east").unwrap();
        let west = region("west").unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1], west);
        // The topology's region indices follow first appearance: east is the first replica's.
        assert_eq!(listed[0], east);
        let central_first =
            names(geographic_regions(r#"{"backup_regions": ["east", "west"]}"#).unwrap());
        assert_eq!(central_first[0], region("central").unwrap());
        let problems =
            geographic_regions(r#"{"backup_regions": ["east", "central", "west"]}"#).unwrap_err();
        assert!(problems
            .iter()
            .any(|p| p.path == "services[0].geographic.backup_regions"
                && p.message.contains("primary_region")));
    }

    /// Each link of the graph as the names of its ends, in insertion order.
    fn named_links(topology: &Topology) -> Vec<(String, String, Nanos)> {
        topology
            .graph
            .raw_edges()
            .iter()
            .map(|edge| {
                let name = |index: petgraph::graph::NodeIndex| {
                    topology.nodes[topology.graph[index] as usize].name.clone()
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
        let mut check = Checker {
            problems: Vec::new(),
        };
        let topology = compile_topology(&spec, &mut check);
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
