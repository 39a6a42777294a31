//! Faults: failure processes, outages, partitions, bursts, scheduled faults and
//! dependencies, checked and compiled with node, zone and region names resolved.

use crate::core::rng::{KeyMap, KeyParts, StreamKey};
use crate::core::time::Nanos;
use crate::net::network::ReachRule;
use crate::net::shapes::{PartitionDraw, Shape, MAX_ANY_SPLIT_GROUPS};
use crate::net::topology::{NodeId, RegionId, Topology, ZoneId};
use crate::scenarios::check::Checker;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::{
    BurstProcess, Dependency, FaultAction, Faults, Flap, LinkDirection, NodeScope, Others,
    RandomShape, Role, ShapeScope,
};
use crate::strategies::spec::ServiceSpec;
use std::collections::{BTreeMap, BTreeSet};

/// Why a fault process needs time between faults.
const BACK_TO_BACK: &str = "at zero, faults follow each other at one instant without end";
/// Why a fault needs to last.
const GONE_AT_ONCE: &str = "at zero, the fault is over the instant it starts";

/// All faults of a scenario with resolved ids.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// Per-node failure/repair processes.
    pub node_processes: Vec<NodeProcess>,
    /// Zone and region outage processes, one per target, and pause processes, one per
    /// node.
    pub outages: Vec<OutageSpec>,
    /// Random partition processes.
    pub partitions: Vec<PartitionSpec>,
    /// Burst processes.
    pub bursts: Vec<BurstSpec>,
    /// Faults at fixed instants.
    pub scheduled: Vec<ScheduledSpec>,
    /// Failure propagation edges.
    pub dependencies: Vec<DependencySpec>,
    /// Repair crews and fault budgets of the node failure processes.
    pub repair: super::RepairPlan,
    /// Rolling maintenance.
    pub maintenance: Vec<super::MaintenanceSpec>,
    /// What each service needs up, by service index, when some maintenance must not
    /// break it; empty otherwise.
    pub service_needs: Vec<super::ServiceNeed>,
}

impl FaultPlan {
    /// The distinct fault kinds its faults can cause, sorted: those of its processes and
    /// scheduled faults, and `overload` when `overload` (some service has an overload
    /// cascade).
    pub fn kinds(&self, overload: bool) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = overload
            .then_some("overload")
            .into_iter()
            .chain(self.node_processes.iter().map(|p| p.kind))
            .chain(self.outages.iter().map(|o| o.kind))
            .chain(self.partitions.iter().map(|_| "random_partition"))
            .chain(self.bursts.iter().map(|_| "burst"))
            .chain(self.scheduled.iter().map(|f| f.kind))
            .chain(self.dependencies.iter().map(|_| "cascade"))
            .chain(self.maintenance.iter().map(|_| "maintenance"))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

/// Alternating failure and repair of some nodes: `node_failures`, and `latent_faults`
/// (whose failures are silent until found).
#[derive(Clone, Debug)]
pub struct NodeProcess {
    /// Id for traces and records: the given one, else `node_failures[<index>]` or
    /// `latent_faults[<index>]`.
    pub id: String,
    /// "node_failure" or "latent_fault".
    pub kind: &'static str,
    /// Nodes it applies to.
    pub nodes: Vec<NodeId>,
    /// Stream key of each node's failures and repairs, beside `nodes`: (process
    /// identity, node name), see [`crate::core::rng`].
    pub keys: Vec<StreamKey>,
    /// Time to failure.
    pub ttf: Distribution,
    /// Time to repair.
    pub ttr: Distribution,
    /// The inspections of a latent fault process; None for `node_failures`.
    pub latent: Option<super::InspectionSpec>,
    /// Restarts before a full repair.
    pub restart: Option<super::RestartSpec>,
    /// Repairs start only within these hours.
    pub working_hours: Option<super::Calendar>,
}

/// Outages of one zone or region, or pauses of one node.
#[derive(Clone, Debug)]
pub struct OutageSpec {
    /// Id for traces and records: `<given id or kind>:<target>`.
    pub id: String,
    /// Stream key: (process identity, target).
    pub key: StreamKey,
    /// "zone_outage", "region_outage" or "pause".
    pub kind: &'static str,
    /// Zone, region or node name.
    pub target: String,
    /// The nodes that go down (or are paused) together.
    pub nodes: Vec<NodeId>,
    /// The nodes are paused, not crashed (a `pauses` process).
    pub pause: bool,
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
    /// The shortest a partition or a heal lasts (0: no dampening).
    pub min_stable: Nanos,
    /// What each partition splits, and how.
    pub draw: PartitionDraw,
}

impl PartitionSpec {
    /// The length of a partition, drawn from `rng`, at least `min_stable`.
    pub fn cut_length<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        self.duration.sample(rng).max(self.min_stable)
    }

    /// The time until the next partition starts, drawn from `rng`, at least `min_stable`.
    pub fn healed_length<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        self.interarrival.sample(rng).max(self.min_stable)
    }

    /// Mean partition-and-heal cycle, seconds.
    pub(crate) fn mean_cycle_secs(&self) -> f64 {
        let least = crate::core::time::nanos_to_secs(self.min_stable);
        self.interarrival.mean_secs().max(least) + self.duration.mean_secs().max(least)
    }
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
    /// How it flaps within its window, if it does.
    pub flap: Option<FlapSpec>,
}

/// A scheduled partition or link cut that flaps within its window.
#[derive(Clone, Debug)]
pub struct FlapSpec {
    /// Length of each cut.
    pub cut: Distribution,
    /// Length of each heal between two cuts.
    pub healed: Distribution,
    /// The shortest a cut or a heal lasts: a shorter draw is raised to it.
    pub min_stable: Nanos,
}

impl FlapSpec {
    /// The length of a cut (`cut`) or of a heal, drawn from `rng`, at least `min_stable`.
    pub fn length<R: rand::Rng + ?Sized>(&self, cut: bool, rng: &mut R) -> Nanos {
        let lengths = if cut { &self.cut } else { &self.healed };
        lengths.sample(rng).max(self.min_stable)
    }

    /// Mean cut-and-heal cycle, seconds.
    pub(crate) fn mean_cycle_secs(&self) -> f64 {
        let least = crate::core::time::nanos_to_secs(self.min_stable);
        self.cut.mean_secs().max(least) + self.healed.mean_secs().max(least)
    }
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
    /// A partition drawn at random.
    RandomPartition(PartitionDraw),
    /// A directed partition: who may send to whom (one-way cuts, rings, bridges).
    Restrict(ReachRule),
    /// Cut a link: both ways, or only the messages from `a` to `b`.
    CutLink {
        /// One end (the sender whose messages are dropped, if `one_way`).
        a: NodeId,
        /// Other end.
        b: NodeId,
        /// Only messages from `a` to `b` are dropped.
        one_way: bool,
    },
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
    /// Pause nodes: up, silent, their state kept.
    Pause(Vec<NodeId>),
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
pub(super) fn compile(
    faults: &Faults,
    topology: &Topology,
    services: &[ServiceSpec],
    horizon: Nanos,
    check: &mut Checker,
) -> FaultPlan {
    let names = &topology.names;
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
        let keys = identities.per_node(&identity, &nodes, topology, &path);
        plan.node_processes.push(NodeProcess {
            id: process
                .id
                .clone()
                .unwrap_or_else(|| format!("node_failures[{i}]")),
            kind: "node_failure",
            nodes,
            keys,
            ttf: process.ttf.clone(),
            ttr: process.ttr.clone(),
            latent: None,
            restart: process
                .restart
                .as_ref()
                .map(|r| super::upkeep::restart(r, &format!("{path}.restart"), check)),
            working_hours: process
                .working_hours
                .as_ref()
                .map(|w| super::upkeep::calendar(w, &format!("{path}.working_hours"), check)),
        });
    }
    // A node has one latent fault process at most: finding its failure is then
    // finding the node's.
    let mut latent_of: Vec<Option<usize>> = Vec::new();
    for (i, process) in faults.latent_faults.iter().enumerate() {
        let path = format!("faults.latent_faults[{i}]");
        given.check("latent_faults", process.id.as_deref(), &path, check);
        let identity = identity(
            "latent_faults",
            process.id.as_deref(),
            &(&process.ttf, &process.ttr),
        );
        check.positive_distribution(&process.ttf, &format!("{path}.ttf"), BACK_TO_BACK);
        check.positive_distribution(&process.ttr, &format!("{path}.ttr"), GONE_AT_ONCE);
        let inspection =
            super::upkeep::inspection(&process.inspection, &format!("{path}.inspection"), check);
        let nodes = if process.nodes.is_empty() {
            servers()
        } else {
            check.nodes(names, &process.nodes, &format!("{path}.nodes"))
        };
        latent_of.resize(topology.len(), None);
        for &node in &nodes {
            match latent_of[node.index()] {
                Some(other) => check.fail(
                    format!("{path}.nodes"),
                    format!(
                        "node `{}` has a latent fault process already (latent_faults[{other}]): one per node",
                        topology.names.name(node)
                    ),
                ),
                None => latent_of[node.index()] = Some(i),
            }
        }
        let keys = identities.per_node(&identity, &nodes, topology, &path);
        plan.node_processes.push(NodeProcess {
            id: process
                .id
                .clone()
                .unwrap_or_else(|| format!("latent_faults[{i}]")),
            kind: "latent_fault",
            nodes,
            keys,
            ttf: process.ttf.clone(),
            ttr: process.ttr.clone(),
            latent: Some(inspection),
            restart: None,
            working_hours: process
                .working_hours
                .as_ref()
                .map(|w| super::upkeep::calendar(w, &format!("{path}.working_hours"), check)),
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
                    topology.zone_nodes(ZoneId::new(index))
                } else {
                    topology.region_nodes(RegionId::new(index))
                };
                plan.outages.push(OutageSpec {
                    id: format!("{}:{target}", process.id.as_deref().unwrap_or(kind)),
                    key: identities.key(
                        [identity.as_slice(), std::slice::from_ref(target)].concat(),
                        &path,
                    ),
                    kind,
                    target: target.clone(),
                    nodes,
                    pause: false,
                    interarrival: process.interarrival.clone(),
                    duration: process.duration.clone(),
                });
            }
        }
    }
    for (i, process) in faults.pauses.iter().enumerate() {
        let path = format!("faults.pauses[{i}]");
        given.check("pauses", process.id.as_deref(), &path, check);
        let identity = identity(
            "pauses",
            process.id.as_deref(),
            &(&process.interarrival, &process.duration),
        );
        check.positive_distribution(
            &process.interarrival,
            &format!("{path}.interarrival"),
            BACK_TO_BACK,
        );
        check.positive_distribution(&process.duration, &format!("{path}.duration"), GONE_AT_ONCE);
        let nodes = if process.nodes.is_empty() {
            servers()
        } else {
            check.nodes(names, &process.nodes, &format!("{path}.nodes"))
        };
        let keys = identities.per_node(&identity, &nodes, topology, &path);
        for (node, key) in nodes.into_iter().zip(keys) {
            let target = names.name(node).to_string();
            plan.outages.push(OutageSpec {
                id: format!("{}:{target}", process.id.as_deref().unwrap_or("pause")),
                key,
                kind: "pause",
                target,
                nodes: vec![node],
                pause: true,
                interarrival: process.interarrival.clone(),
                duration: process.duration.clone(),
            });
        }
    }
    for (i, process) in faults.random_partitions.iter().enumerate() {
        let path = format!("faults.random_partitions[{i}]");
        given.check("random_partitions", process.id.as_deref(), &path, check);
        // The content of before when neither shape nor scope is given, so that the
        // streams of existing processes stay as they were.
        let identity = if process.shape.is_none() && process.scope.is_none() {
            identity(
                "random_partitions",
                process.id.as_deref(),
                &(&process.interarrival, &process.duration, process.groups),
            )
        } else {
            identity(
                "random_partitions",
                process.id.as_deref(),
                &(
                    &process.interarrival,
                    &process.duration,
                    process.groups,
                    &process.shape,
                    &process.scope,
                ),
            )
        };
        check.positive_distribution(
            &process.interarrival,
            &format!("{path}.interarrival"),
            BACK_TO_BACK,
        );
        check.positive_distribution(&process.duration, &format!("{path}.duration"), GONE_AT_ONCE);
        if let Some(least) = process.min_stable {
            check.require(
                least.nanos() > 0,
                format!("{path}.min_stable"),
                "the minimum stable time must be longer than zero (leave it out for no \
                 dampening)",
            );
        }
        let draw = partition_draw(
            process.groups,
            process.shape.as_ref(),
            process.scope.as_ref(),
            (topology, services),
            &path,
            check,
        );
        plan.partitions.push(PartitionSpec {
            id: process
                .id
                .clone()
                .unwrap_or_else(|| format!("random_partitions[{i}]")),
            key: identities.key(identity, &path),
            interarrival: process.interarrival.clone(),
            duration: process.duration.clone(),
            min_stable: process.min_stable.map_or(0, |least| least.nanos()),
            draw,
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
            key: identities.key(identity, &path),
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
        } else if matches!(fault.fault, FaultAction::Pause(_)) {
            check.fail(
                format!("{path}.duration"),
                "a pause needs a `duration`, how long the nodes stay frozen: one frozen until \
                 the horizon never resumes (to stop a node for good, `crash` it)",
            );
        }
        // The content of before when the fault does not flap, so that the streams of
        // existing faults stay as they were.
        let identity = match &fault.flap {
            None => identity(
                "scheduled",
                fault.id.as_deref(),
                &(&fault.at, &fault.duration, &fault.fault),
            ),
            Some(flap) => identity(
                "scheduled",
                fault.id.as_deref(),
                &(&fault.at, &fault.duration, &fault.fault, flap),
            ),
        };
        let key = identities.key(identity, &path);
        let action_path = format!("{path}.fault");
        let (kind, action) = action(&fault.fault, topology, services, &action_path, check);
        let flap = fault
            .flap
            .as_ref()
            .map(|flap| flap_spec(flap, &action, &format!("{path}.flap"), check));
        plan.scheduled.push(ScheduledSpec {
            id,
            key,
            kind,
            at: fault.at.nanos(),
            duration: fault.duration.clone(),
            action,
            flap,
        });
    }
    // Resolved edges (dependent, depended on) with their index in the file.
    let mut edges: Vec<(NodeId, NodeId, usize)> = Vec::new();
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
        let key = identities.key(identity, &path);
        let node = check.node(names, &dependency.node, format!("{path}.node"));
        let depends_on = check.node(names, &dependency.depends_on, format!("{path}.depends_on"));
        check.probability(dependency.probability, format!("{path}.probability"));
        if let (Some(node), Some(depends_on)) = (node, depends_on) {
            check.require(
                node != depends_on,
                format!("{path}.depends_on"),
                "a node cannot depend on itself",
            );
            if node != depends_on {
                edges.push((node, depends_on, i));
            }
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
    check_dependency_cycles(&edges, topology, check);
    identities.check_collisions(check);
    plan
}

/// Refuses every cycle of dependencies (DESIGN §5): with a probability of one, a failure
/// that goes round a cycle keeps each of its nodes down for ever, whatever its repairs.
/// Each cycle is written from its first dependency in the file and reported at its last.
fn check_dependency_cycles(
    edges: &[(NodeId, NodeId, usize)],
    topology: &Topology,
    check: &mut Checker,
) {
    for cycle in dependency_cycles(edges) {
        let first = (0..cycle.len())
            .min_by_key(|&k| edges[cycle[k]].2)
            .expect("a cycle has edges");
        let mut names: Vec<&str> = (0..cycle.len())
            .map(|k| {
                let (node, _, _) = edges[cycle[(first + k) % cycle.len()]];
                topology.names.name(node)
            })
            .collect();
        names.push(names[0]);
        let last = cycle
            .iter()
            .map(|&e| edges[e].2)
            .max()
            .expect("a cycle has edges");
        check.fail(
            format!("faults.dependencies[{last}]"),
            format!(
                "dependency cycle {}: a failure going round it would keep its nodes down; \
                 remove one of these dependencies",
                names.join(" → ")
            ),
        );
    }
}

/// Cycles among `(dependent, depended on, _)` edges without self-loops, each as the
/// indices into `edges` of the edges followed round it; at least one cycle for every
/// group of nodes that depend on each other, in linear time and a fixed order.
fn dependency_cycles(edges: &[(NodeId, NodeId, usize)]) -> Vec<Vec<usize>> {
    let mut out_edges: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
    let mut in_edges: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
    for (e, &(node, depends_on, _)) in edges.iter().enumerate() {
        out_edges.entry(node).or_default().push(e);
        out_edges.entry(depends_on).or_default();
        in_edges.entry(depends_on).or_default().push(e);
    }
    // Peel off the nodes that depend on nothing left: what remains lies on a cycle or
    // depends on one, so every node left depends on a node left.
    let mut left: BTreeMap<NodeId, usize> =
        out_edges.iter().map(|(&n, out)| (n, out.len())).collect();
    let mut free: Vec<NodeId> = left
        .iter()
        .filter(|(_, &d)| d == 0)
        .map(|(&n, _)| n)
        .collect();
    while let Some(node) = free.pop() {
        left.remove(&node);
        for &e in in_edges.get(&node).map_or(&[][..], Vec::as_slice) {
            let dependent = edges[e].0;
            if let Some(degree) = left.get_mut(&dependent) {
                *degree -= 1;
                if *degree == 0 {
                    free.push(dependent);
                }
            }
        }
    }
    let mut cycles = Vec::new();
    let mut seen = BTreeSet::new();
    for &start in left.keys() {
        let mut walk: Vec<usize> = Vec::new();
        let mut position: BTreeMap<NodeId, usize> = BTreeMap::new();
        let mut node = start;
        while !seen.contains(&node) {
            if let Some(&at) = position.get(&node) {
                cycles.push(walk[at..].to_vec());
                break;
            }
            position.insert(node, walk.len());
            let e = out_edges[&node]
                .iter()
                .copied()
                .find(|&e| left.contains_key(&edges[e].1))
                .expect("a node left depends on a node left");
            walk.push(e);
            node = edges[e].1;
        }
        seen.extend(position.into_keys());
    }
    cycles
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
///
/// Held per fault, not per node: a failure process over a million nodes adds its node
/// list and one key per node, not two hash-table entries per node.
#[derive(Default)]
struct Identities {
    /// Occurrences so far of each identity (by the key of its parts).
    seen: KeyMap<u32>,
    /// The node lists of the per-node processes so far, by the key of the process's
    /// identity: a node's occurrence index is how many of them hold it.
    lists: KeyMap<Vec<Vec<NodeId>>>,
    /// Every key handed out, in order.
    keys: Vec<StreamKey>,
    /// The path of each fault, with the index in `keys` of its first key.
    owners: Vec<(usize, String)>,
}

impl Identities {
    /// The key of each of `nodes` in a process of `identity`: the process's identity and
    /// the node's name, so that a node keeps its stream whatever else the file lists.
    fn per_node(
        &mut self,
        identity: &[String],
        nodes: &[NodeId],
        topology: &Topology,
        path: &str,
    ) -> Vec<StreamKey> {
        let process = KeyParts::of(identity);
        let earlier = self.lists.entry(process.clone().key()).or_default();
        // The same identity again (rare): count, per node, the earlier lists holding it.
        let mut held: BTreeMap<NodeId, u32> = BTreeMap::new();
        for list in earlier.iter() {
            for &node in list {
                *held.entry(node).or_insert(0) += 1;
            }
        }
        earlier.push(nodes.to_vec());
        self.owners.push((self.keys.len(), path.to_string()));
        let first = self.keys.len();
        self.keys.extend(nodes.iter().map(|&node| {
            let count = held.get(&node).copied().unwrap_or(0);
            process
                .clone()
                .then(topology.names.name(node))
                .then(count.to_string())
                .key()
        }));
        self.keys[first..].to_vec()
    }

    fn key(&mut self, parts: Vec<String>, path: &str) -> StreamKey {
        let parts = KeyParts::of(&parts);
        let count = self.seen.entry(parts.key()).or_insert(0);
        let key = parts.then(count.to_string()).key();
        *count += 1;
        self.owners.push((self.keys.len(), path.to_string()));
        self.keys.push(key);
        key
    }

    /// Refuses, at the later fault, each key equal to one handed out before it.
    fn check_collisions(self, check: &mut Checker) {
        let mut sorted = self.keys.clone();
        sorted.sort_unstable();
        let repeated: BTreeSet<StreamKey> = sorted
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0])
            .collect();
        if repeated.is_empty() {
            return;
        }
        let mut met = BTreeSet::new();
        let mut owner = 0;
        for (i, key) in self.keys.iter().enumerate() {
            while owner + 1 < self.owners.len() && self.owners[owner + 1].0 <= i {
                owner += 1;
            }
            if repeated.contains(key) && !met.insert(*key) {
                check.fail(
                    self.owners[owner].1.clone(),
                    "its random stream key collides with another fault's; give it an `id`",
                );
            }
        }
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

fn action(
    action: &FaultAction,
    topology: &Topology,
    services: &[ServiceSpec],
    path: &str,
    check: &mut Checker,
) -> (&'static str, Action) {
    let names = &topology.names;
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
            Some(z) => (
                "crash_zone",
                Action::Crash(topology.zone_nodes(ZoneId::new(z))),
            ),
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
                Action::Crash(topology.region_nodes(RegionId::new(r))),
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
                        group_of[node.index()] = g as u16;
                    }
                }
            }
            match groups.others {
                Others::FirstGroup => ("partition", Action::Partition(group_of)),
                Others::Untouched => {
                    let members = groups.groups.iter().enumerate().flat_map(|(g, group)| {
                        group
                            .iter()
                            .filter_map(|name| names.get(name))
                            .map(move |node| (node, g as u16))
                    });
                    ("partition", Action::Restrict(ReachRule::groups(members)))
                }
            }
        }
        FaultAction::RandomPartition(spec) => {
            let draw = partition_draw(
                spec.groups,
                spec.shape.as_ref(),
                spec.scope.as_ref(),
                (topology, services),
                &format!("{path}.random_partition"),
                check,
            );
            ("random_partition", Action::RandomPartition(draw))
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
                group_of[node.index()] = i as u16 + 1;
            }
            ("isolate", Action::Partition(group_of))
        }
        FaultAction::IsolateRegion(region) => {
            match topology.regions.iter().position(|r| r == region) {
                Some(r) => {
                    let group_of = topology
                        .nodes
                        .iter()
                        .map(|n| u16::from(n.region == RegionId::new(r)))
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
        FaultAction::OneWay(cut) => {
            let path = format!("{path}.one_way");
            non_empty(check, &cut.from, format!("{path}.from"));
            non_empty(check, &cut.to, format!("{path}.to"));
            let from = check.nodes(names, &cut.from, &format!("{path}.from"));
            let to = check.nodes(names, &cut.to, &format!("{path}.to"));
            for (i, name) in cut.to.iter().enumerate() {
                if names.get(name).is_some_and(|node| from.contains(&node)) {
                    check.fail(
                        format!("{path}.to[{i}]"),
                        format!(
                            "node `{name}` is in both `from` and `to`: a node always hears itself"
                        ),
                    );
                }
            }
            ("one_way", Action::Restrict(ReachRule::one_way(&from, &to)))
        }
        FaultAction::MajoritiesRing(shape) => {
            let nodes = shape_scope(
                shape,
                topology,
                services,
                &format!("{path}.majorities_ring"),
                check,
            );
            (
                "majorities_ring",
                Action::Restrict(ReachRule::majorities_ring(&nodes)),
            )
        }
        FaultAction::Bridge(shape) => {
            let nodes = shape_scope(shape, topology, services, &format!("{path}.bridge"), check);
            ("bridge", Action::Restrict(ReachRule::bridge(&nodes)))
        }
        FaultAction::CutLink(link) => {
            let (a, b) = link_ends(
                topology,
                &link.from,
                &link.to,
                &format!("{path}.cut_link"),
                check,
            );
            let action = match link.direction {
                LinkDirection::Both => Action::CutLink {
                    a,
                    b,
                    one_way: false,
                },
                LinkDirection::FromTo => Action::CutLink {
                    a,
                    b,
                    one_way: true,
                },
                LinkDirection::ToFrom => Action::CutLink {
                    a: b,
                    b: a,
                    one_way: true,
                },
            };
            ("cut_link", action)
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
        FaultAction::Pause(list) => {
            non_empty(check, &list.nodes, format!("{path}.pause.nodes"));
            (
                "pause",
                Action::Pause(check.nodes(names, &list.nodes, &format!("{path}.pause.nodes"))),
            )
        }
    }
}

/// A flap, checked: only a fixed partition or a link cut flaps, and each state must hold
/// a while.
fn flap_spec(flap: &Flap, action: &Action, path: &str, check: &mut Checker) -> FlapSpec {
    check.require(
        matches!(
            action,
            Action::Partition(_) | Action::Restrict(_) | Action::CutLink { .. }
        ),
        path,
        "only a partition or a link cut flaps: a random partition would draw new sides at \
         each cut (use a `random_partitions` process), and crashes and degradations do not flap",
    );
    check.distribution(&flap.cut, &format!("{path}.cut"));
    check.distribution(&flap.healed, &format!("{path}.healed"));
    check.require(
        flap.min_stable.nanos() > 0,
        format!("{path}.min_stable"),
        "the minimum stable time must be longer than zero: at zero a flap could cut and heal \
         at one instant without end",
    );
    FlapSpec {
        cut: flap.cut.clone(),
        healed: flap.healed.clone(),
        min_stable: flap.min_stable.nanos(),
    }
}

/// A random partition's shape over its scope, checked: `groups` (the default shape's)
/// at `{path}.groups`, the shape at `{path}.shape`, the scope at `{path}.scope`.
fn partition_draw(
    groups: u32,
    shape: Option<&RandomShape>,
    scope: Option<&NodeScope>,
    (topology, services): (&Topology, &[ServiceSpec]),
    path: &str,
    check: &mut Checker,
) -> PartitionDraw {
    // Checked only when given, so that every file valid before stays valid.
    let given = shape.is_some() || scope.is_some();
    check.require(
        (2..=3).contains(&groups),
        format!("{path}.groups"),
        "a random partition has 2 or 3 groups",
    );
    check.require(
        shape.is_none() || groups == 2,
        format!("{path}.groups"),
        "with a `shape`, give the number of groups in the shape",
    );
    let shape_path = format!("{path}.shape");
    let shape = match shape {
        None => Shape::MajorityMinority(groups),
        Some(RandomShape::MajorityMinority(g)) => {
            check.require(
                (2..=3).contains(&g.groups),
                format!("{shape_path}.majority_minority.groups"),
                "a majority and minorities make 2 or 3 groups",
            );
            Shape::MajorityMinority(g.groups)
        }
        Some(RandomShape::AnySplit(g)) => {
            check.require(
                (2..=MAX_ANY_SPLIT_GROUPS).contains(&g.groups),
                format!("{shape_path}.any_split.groups"),
                format!("an any_split has 2 to {MAX_ANY_SPLIT_GROUPS} groups"),
            );
            Shape::AnySplit(g.groups)
        }
        Some(RandomShape::IsolateOne) => Shape::IsolateOne,
        Some(RandomShape::MinorityThird) => Shape::MinorityThird,
        Some(RandomShape::MajoritiesRing) => Shape::MajoritiesRing,
        Some(RandomShape::Bridge) => Shape::Bridge,
    };
    let (nodes, scope) = match scope {
        None => (topology.len(), None),
        Some(scope) => {
            let scope_path = format!("{path}.scope");
            let before = check.found();
            let nodes = super::repair::resolve(scope, topology, services, &scope_path, check);
            if check.found() == before && nodes.is_empty() {
                check.fail(
                    scope_path,
                    "the scope names no node: there is nothing to split",
                );
            }
            (nodes.len(), Some(nodes))
        }
    };
    let least = match shape {
        Shape::MajoritiesRing | Shape::Bridge => 3,
        Shape::AnySplit(groups) => groups as usize,
        _ => 2,
    };
    if given && nodes > 0 && nodes < least {
        check.fail(
            if scope.is_some() {
                format!("{path}.scope")
            } else {
                shape_path
            },
            format!("{nodes} nodes are too few for this shape: it needs {least} or more"),
        );
    }
    PartitionDraw { scope, shape }
}

/// The nodes of a ring's or bridge's scope, in order; fewer than 3 are refused (a ring
/// or bridge of 2 nodes is a plain split, of 1 nothing), and an empty scope with them.
fn shape_scope(
    shape: &ShapeScope,
    topology: &Topology,
    services: &[ServiceSpec],
    path: &str,
    check: &mut Checker,
) -> Vec<NodeId> {
    let scope = format!("{path}.scope");
    let problems = check.found();
    let nodes = super::repair::resolve(&shape.scope, topology, services, &scope, check);
    if check.found() == problems && nodes.len() < 3 {
        check.fail(
            scope,
            match nodes.len() {
                0 => "the scope names no node: this shape needs 3 or more".to_string(),
                1 => "the scope holds 1 node: this shape needs 3 or more".to_string(),
                n => format!("the scope holds {n} nodes: this shape needs 3 or more"),
            },
        );
    }
    if nodes.len() < 3 {
        // A stand-in the rules accept, so that the other problems are still reported.
        return Vec::new();
    }
    nodes
}

fn link_ends(
    topology: &Topology,
    from: &str,
    to: &str,
    path: &str,
    check: &mut Checker,
) -> (NodeId, NodeId) {
    let a = check.node(&topology.names, from, format!("{path}.from"));
    let b = check.node(&topology.names, to, format!("{path}.to"));
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
        _ => (NodeId::new(0), NodeId::new(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::dependency_cycles;
    use crate::core::ids::NodeId;

    fn cycles(edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
        let edges: Vec<_> = edges
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| (NodeId::new(a), NodeId::new(b), i))
            .collect();
        dependency_cycles(&edges)
    }

    #[test]
    fn a_dag_with_shared_dependencies_has_no_cycle() {
        assert!(cycles(&[(0, 1), (0, 2), (1, 3), (2, 3), (4, 0)]).is_empty());
    }

    #[test]
    fn a_cycle_is_found_with_the_edges_round_it_and_not_the_chain_into_it() {
        // 5 → 0 leads into the cycle 0 → 1 → 2 → 0 without being on it.
        assert_eq!(
            cycles(&[(5, 0), (0, 1), (1, 2), (2, 0)]),
            vec![vec![1, 2, 3]]
        );
    }

    #[test]
    fn every_separate_cycle_is_reported() {
        let found = cycles(&[(0, 1), (1, 0), (2, 3), (3, 4), (4, 2), (7, 8)]);
        assert_eq!(found, vec![vec![0, 1], vec![2, 3, 4]]);
    }
}
