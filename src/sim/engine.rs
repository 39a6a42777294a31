//! The engine: runs one replication of a compiled scenario, event by event, until the
//! horizon, and accounts what every vantage point saw of every service.

use super::crews::{Crews, Job};
use super::event::Event;
use super::faults::FaultRegistry;
use super::ledger::Ledger;
use super::queue::EventQueue;
use super::trace::{Sides, TraceEvent, TraceSink};
use crate::compile::SystemExpr;
use crate::compile::{Action, CompiledScenario, NodeProcess};
use crate::core::episode::OutageEpisode;
use crate::core::ids::NodeId;
use crate::core::prefetch::prefetch;
use crate::core::rng::{stream, Lanes, Purpose, ServiceStreams, StreamKey, StreamSlot};
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Causes, Network, Observer};
pub use crate::net::shapes::random_split;
use crate::net::shapes::Split;
use crate::net::topology::Topology;
use crate::scenarios::model::Breaks;
use crate::stats::{FailoverTally, OutageTally};
use crate::strategies::spec::ServiceSpec;
use crate::strategies::{
    Command, Context, FailoverRecord, FaultTag, Outcome, ServiceState, ServiceStrategy, Stimulus,
    StrategyTimer, View,
};
use petgraph::unionfind::UnionFind;
use rand::seq::SliceRandom;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How often (in events) a running replication reads its stop flags. A relaxed load of a
/// flag that is written once costs about a nanosecond, against hundreds per event, so the
/// check is free even at this cadence; a partition change in the largest shipped topology
/// (10⁵ nodes relabelled) costs milliseconds, so 16 events stay far within the 1 s a stop
/// may take. 65,536 events took up to two minutes to stop a large scenario, and 1,024
/// still took 1.5 s on `bench-100k-nodes`.
pub const STOP_CHECK_EVENTS: u64 = 16;

/// What one service lived through in one replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceOutcome {
    /// UP time summed over vantage points (ns; u128 because many vantages × long horizons overflow u64).
    pub up_ns: u128,
    /// DEGRADED time summed over vantage points (ns).
    pub degraded_ns: u128,
    /// DOWN time summed over vantage points (ns).
    pub down_ns: u128,
    /// ∫ served fraction over DEGRADED time, summed over vantage points (ns; UP time
    /// counts whole and DOWN time nothing, so served availability needs only this).
    pub degraded_served_ns: f64,
    /// Number of vantage points.
    pub vantages: u32,
    /// What the summary needs of the outage episodes, folded as they end.
    pub outage_tally: OutageTally,
    /// Every outage episode, in the order they ended; empty when the replication was
    /// run [`without_records`](Replication::without_records).
    pub episodes: Vec<OutageEpisode>,
    /// Time during which two replicas acted as primary (ns).
    pub split_brain_ns: u64,
    /// Failovers of a primary that was alive.
    pub unnecessary_failovers: u64,
    /// Times more replicas misbehaved than tolerated.
    pub safety_violations: u64,
    /// What the summary needs of the failover attempts, folded as they complete.
    pub tally: FailoverTally,
    /// Every failover attempt, in completion order; empty when the replication was run
    /// [`without_records`](Replication::without_records).
    pub records: Vec<FailoverRecord>,
    /// Changes of the service's state (at any vantage point, one per instant) by the
    /// fault tag that caused them, in the order they first did.
    pub changes_by_fault: Vec<(u32, u64)>,
}

impl ServiceOutcome {
    /// A fresh outcome of `vantages` vantage points in this one's lists and statistics
    /// (their allocations kept).
    fn renewed(mut self, vantages: u32) -> ServiceOutcome {
        self.outage_tally.renew();
        self.tally.clear();
        ServiceOutcome {
            vantages,
            outage_tally: self.outage_tally,
            tally: self.tally,
            episodes: emptied(self.episodes),
            records: emptied(self.records),
            changes_by_fault: emptied(self.changes_by_fault),
            ..ServiceOutcome::default()
        }
    }

    /// Hints the cache to load the statistics it keeps on the heap.
    fn prefetch(&self) {
        self.tally.prefetch();
        self.outage_tally.prefetch();
    }

    /// Strict availability: UP time over horizon, averaged over vantage points.
    pub fn availability(&self, horizon: Nanos) -> f64 {
        self.up_ns as f64 / (self.vantages.max(1) as f64 * horizon as f64)
    }

    /// Lenient availability: UP or DEGRADED time over horizon.
    pub fn lenient_availability(&self, horizon: Nanos) -> f64 {
        (self.up_ns + self.degraded_ns) as f64 / (self.vantages.max(1) as f64 * horizon as f64)
    }

    /// Served availability: ∫ served fraction dt over horizon (DESIGN §3).
    pub fn served_availability(&self, horizon: Nanos) -> f64 {
        (self.up_ns as f64 + self.degraded_served_ns)
            / (self.vantages.max(1) as f64 * horizon as f64)
    }

    /// Outages per vantage point.
    pub fn outages_per_vantage(&self) -> f64 {
        self.outage_tally.episodes() as f64 / self.vantages.max(1) as f64
    }
}

/// The result of one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationOutcome {
    /// Replication index.
    pub replication: u64,
    /// Per service, in scenario order.
    pub services: Vec<ServiceOutcome>,
    /// The system's, when the scenario composes one (one vantage point).
    pub system: Option<ServiceOutcome>,
    /// Events processed.
    pub events: u64,
    /// False when the run stopped before the horizon (event budget or interruption).
    pub complete: bool,
    /// What each fault that started did, by tag (those that started only, in tag order).
    pub faults: Vec<(u32, FaultEffect)>,
}

/// What one fault did in one replication: its starts and the nodes they affected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultEffect {
    /// Times it started (a node failure process: each failure of one of its nodes).
    pub starts: u64,
    /// Nodes its starts affected: each node it took down, moved off a partition's first
    /// side or put in a directed partition, a link's two ends, each Byzantine or gray node.
    pub nodes: u64,
}

/// The system's expression and account (DESIGN §10).
struct SystemRuntime<'a> {
    expr: &'a SystemExpr,
    ledger: Ledger,
    outcome: ServiceOutcome,
    /// Whether each service is a term of the system.
    member: Vec<bool>,
    /// Each service's served fraction now (mean over its vantage points).
    served: Vec<f64>,
}

/// What the engine keeps of one service while it runs: what most of its events read,
/// together (its random stream, read by few, lies in [`Replication::service_streams`]).
struct ServiceRuntime {
    strategy: ServiceStrategy,
    /// Where its random stream is kept, once it has drawn.
    stream: StreamSlot,
    /// Where its vantage points' ledgers start in [`Replication::ledgers`] (its vantage
    /// points in order, one for the global client when it names none).
    first_ledger: u32,
    /// Its vantage points (ledgers), and whether its spec names them (else the one
    /// vantage is the global client): kept here, so that accounting reads the spec only
    /// for named vantages.
    vantages: u32,
    named_vantages: bool,
    /// The last fault that stimulated the service: the cause of an episode it starts.
    last_cause: FaultTag,
    /// Successful failovers so far.
    failovers_succeeded: u64,
    /// Stimulated at the current instant and not yet accounted.
    unaccounted: bool,
    split_brain_since: Option<SimTime>,
}

/// The services' state (their [`ServiceRuntime`]s and outcomes) from which the engine
/// hints the cache before each event (see [`crate::core::prefetch`]): about twice what a
/// core's own cache holds (1 MiB here). Below it the state stays in cache, and the hints
/// cost instructions for nothing: 15% more in `bench-1k-nodes-year` (500 services).
const PREFETCH_FROM_BYTES: usize = 2 << 20;

/// The most services of a node whose state is hinted before the node's event: a service
/// is about 22 lines (its slot and its outcome), and a core has a few dozen loads from
/// memory in flight at once, so hints for more would wait behind these; for a node that
/// thousands of services use they would bring in megabytes, evicted before its event
/// reached them.
const PREFETCH_SERVICES_OF_NODE: usize = 4;

/// One replication in progress.
pub struct Replication<'a> {
    scenario: &'a CompiledScenario,
    registry: &'a FaultRegistry,
    replication: u64,
    now: SimTime,
    queue: EventQueue<Event>,
    network: Network,
    /// Byzantine and gray faults active on each node, as wide as the event counter so
    /// that overlapping faults cannot wrap them (see [`Causes`]).
    byzantine: Vec<Causes>,
    gray: Vec<Causes>,
    byzantine_flags: Vec<bool>,
    gray_flags: Vec<bool>,
    /// Nodes with a latent failure not found yet.
    latent_flags: Vec<bool>,
    /// Inspection misses, one stream per node lane; no lanes unless an inspection can
    /// miss.
    inspection_lanes: Lanes,
    /// Each lane's restarts since its count last started from zero, and when its node
    /// last came up; empty unless a process restarts its nodes.
    restarts: Vec<(u32, SimTime)>,
    services: Vec<ServiceRuntime>,
    /// Whether the services' state outgrows the caches, so that the engine asks for the
    /// next event's memory while it handles the current one (see [`PREFETCH_FROM_BYTES`]).
    prefetching: bool,
    /// The services' own random streams, kept once they draw: apart from
    /// [`ServiceRuntime`], since a service draws in few of its events, many never.
    service_streams: ServiceStreams,
    /// What each vantage point of each service has seen so far, service by service: one
    /// allocation for them all, not one per service to make and free per replication.
    ledgers: Vec<Ledger>,
    /// Each service's outcome so far, by service index: kept apart from
    /// [`ServiceRuntime`], so that the replication's outcome takes them without a copy.
    outcomes: Vec<ServiceOutcome>,
    system: Option<SystemRuntime<'a>>,
    /// The last fault that stimulated any service: the cause of a system episode.
    last_cause: FaultTag,
    /// Who uses each node, the same in every replication of the scenario.
    layout: Cow<'a, Layout>,
    /// Where the buffers go back when the replication ends, if they came from a thread's
    /// scratch.
    scratch: Option<&'a mut Scratch>,
    /// Bumped at each crash or repair of the depended-on node; a `DependentFail` of an
    /// older generation is stale. It wraps (explicitly): only equality matters, and a
    /// stale event would be taken for current only after exactly 2^32 changes of one
    /// node within one propagation delay, i.e. 4 billion events queued at one instant.
    dependency_generation: Vec<u32>,
    dependency_down: Vec<bool>,
    fault_rngs: Vec<ChaCha8Rng>,
    /// One stream per (node failure process, node), process by process.
    node_lanes: Lanes,
    /// The repair crews' free members and queues.
    crews: Crews,
    /// Whether each crew has a [`Event::CrewDispatch`] due at the current instant.
    crew_dispatch_due: Vec<bool>,
    /// Dispatch delays, one stream per node lane; no lanes unless a crew has a dispatch.
    dispatch_lanes: Lanes,
    /// Nodes down now in each fault budget's scope.
    budget_down: Vec<u32>,
    chosen: Vec<Vec<NodeId>>,
    /// Per scheduled fault that flaps, whether it is cut now; None before it starts
    /// and once its window is over (a toggle then is stale).
    flap_cut: Vec<Option<bool>>,
    commands: Vec<Command>,
    pending_crashes: Vec<(NodeId, Nanos)>,
    trace: Option<&'a mut dyn TraceSink>,
    events: u64,
    keep_records: bool,
    /// State changes found by accounting a service, kept for its trace (scratch).
    changes: Vec<(u32, ServiceState)>,
    /// Episodes that ended when accounting a service, kept for its trace (scratch).
    ended: Vec<OutageEpisode>,
    /// The vantage points to account for a service (scratch).
    vantages: Vec<u32>,
    /// Services stimulated at the current instant, in the order they were first stimulated.
    unaccounted: Vec<u32>,
    /// With explicit links, how many services of [`Self::unaccounted`] were stimulated
    /// before the instant's first node change, if one happened (see
    /// [`Self::account_instant`]).
    before_node_change: Option<usize>,
    /// What each fault did so far, by tag.
    effects: Vec<FaultEffect>,
}

/// Who uses each node of a scenario: the same in every replication, so a study works it
/// out once (see [`Replication::reusing`]).
#[derive(Clone, Debug)]
pub struct Layout {
    /// The services that use each node (a replica, vantage point or watched node), in
    /// index order, node after node: node `i`'s are
    /// `node_services[node_service_start[i]..node_service_start[i + 1]]` (two
    /// allocations, not one per node).
    node_services: Vec<u32>,
    node_service_start: Vec<u32>,
    /// With explicit links, each node's connected component of the whole topology (all
    /// nodes up); empty when no service reads reachability from a node.
    component_of: Vec<u32>,
    /// With explicit links, per component, the services that read reachability from a
    /// node (see [`ServiceSpec::observes_only_globally`]) and have a node in it: any node
    /// of the component may route their messages, none outside it ever can.
    component_services: Vec<Vec<u32>>,
    /// The dependencies on each node, in index order, node after node: node `i`'s are
    /// `dependencies[dependency_start[i]..dependency_start[i + 1]]`; both empty without
    /// dependencies (a list per node of a million would weigh 24 MB).
    dependencies: Vec<u32>,
    dependency_start: Vec<u32>,
    /// The latent fault process and lane of each node, by node index; empty without
    /// latent faults.
    latent_of: Vec<Option<(u32, u32)>>,
}

impl Layout {
    /// Where the dependencies on `node` lie in `dependencies`.
    fn dependencies_on(&self, node: NodeId) -> std::ops::Range<usize> {
        match self.dependency_start.get(node.index()..node.index() + 2) {
            Some(&[start, end]) => start as usize..end as usize,
            _ => 0..0,
        }
    }

    /// The layout of `scenario`.
    pub fn new(scenario: &CompiledScenario) -> Layout {
        let n = scenario.topology.len();
        let (node_services, node_service_start) = node_services(scenario);
        let (component_of, component_services) = routed_services(scenario);
        let plan = &scenario.faults;
        let (mut dependencies, mut dependency_start) = (Vec::new(), Vec::new());
        if !plan.dependencies.is_empty() {
            dependency_start = vec![0u32; n + 1];
            for dependency in &plan.dependencies {
                dependency_start[dependency.depends_on.index() + 1] += 1;
            }
            for i in 0..n {
                dependency_start[i + 1] += dependency_start[i];
            }
            let mut next = dependency_start[..n].to_vec();
            dependencies = vec![0u32; plan.dependencies.len()];
            for (index, dependency) in (0u32..).zip(&plan.dependencies) {
                let at = &mut next[dependency.depends_on.index()];
                dependencies[*at as usize] = index;
                *at += 1;
            }
        }
        let mut latent_of = Vec::new();
        let mut lane = 0u32;
        for (p, process) in plan.node_processes.iter().enumerate() {
            if process.latent.is_some() {
                latent_of.resize(n, None);
                for (k, &node) in process.nodes.iter().enumerate() {
                    latent_of[node.index()] = Some((p as u32, lane + k as u32));
                }
            }
            lane += process.nodes.len() as u32;
        }
        Layout {
            node_services,
            node_service_start,
            component_of,
            component_services,
            dependencies,
            dependency_start,
            latent_of,
        }
    }
}

/// The buffers of a thread's replications: each replication starts from those the one
/// before left, cleared, not freed, so that a replication allocates little beyond its
/// strategies and its outcome. Nothing in them outlives a replication's start: the
/// results are the same whatever ran before on the thread.
#[derive(Default)]
pub struct Scratch {
    queue: EventQueue<Event>,
    network: Option<Network>,
    byzantine: Vec<Causes>,
    gray: Vec<Causes>,
    byzantine_flags: Vec<bool>,
    gray_flags: Vec<bool>,
    latent_flags: Vec<bool>,
    inspection_lanes: Option<Lanes>,
    node_lanes: Option<Lanes>,
    dispatch_lanes: Option<Lanes>,
    restarts: Vec<(u32, SimTime)>,
    services: Vec<ServiceRuntime>,
    service_streams: Vec<ChaCha8Rng>,
    ledgers: Vec<Ledger>,
    dependency_generation: Vec<u32>,
    dependency_down: Vec<bool>,
    fault_rngs: Vec<ChaCha8Rng>,
    crews: Option<Crews>,
    crew_dispatch_due: Vec<bool>,
    budget_down: Vec<u32>,
    chosen: Vec<Vec<NodeId>>,
    flap_cut: Vec<Option<bool>>,
    commands: Vec<Command>,
    pending_crashes: Vec<(NodeId, Nanos)>,
    changes: Vec<(u32, ServiceState)>,
    ended: Vec<OutageEpisode>,
    vantages: Vec<u32>,
    unaccounted: Vec<u32>,
    effects: Vec<FaultEffect>,
    /// A folded outcome's lists, for the next replication's outcome.
    outcomes: Vec<ServiceOutcome>,
    faults: Vec<(u32, FaultEffect)>,
}

impl Scratch {
    /// A network as [`Network::new`] makes it for `topology`, in the tables of the one
    /// last kept.
    pub(crate) fn network(&mut self, topology: &Arc<Topology>) -> Network {
        network_in(self.network.take(), topology)
    }

    /// Keeps the lists of `outcome`, once folded, for the next replication's outcome.
    pub fn recycle(&mut self, outcome: ReplicationOutcome) {
        self.outcomes = outcome.services;
        self.faults = outcome.faults;
    }

    /// A fresh outcome of one service seen from `vantages` vantage points, in the room of
    /// an outcome kept if any, and the lists of services and faults to hand it in (those
    /// kept, emptied).
    pub(crate) fn lone_outcome(
        &mut self,
        vantages: u32,
    ) -> (ServiceOutcome, Vec<ServiceOutcome>, Vec<(u32, FaultEffect)>) {
        let mut services = std::mem::take(&mut self.outcomes);
        let outcome = match services.pop() {
            Some(kept) => kept.renewed(vantages),
            None => ServiceOutcome {
                vantages,
                ..ServiceOutcome::default()
            },
        };
        services.clear();
        (outcome, services, emptied(std::mem::take(&mut self.faults)))
    }

    /// Keeps `network`'s tables for the next replication.
    pub(crate) fn keep_network(&mut self, network: Network) {
        self.network = Some(network);
    }
}

/// A network as [`Network::new`] makes it for `topology`, in `spare`'s tables if given.
fn network_in(spare: Option<Network>, topology: &Arc<Topology>) -> Network {
    match spare {
        Some(mut network) => {
            network.reset(topology);
            network
        }
        None => Network::new(topology.clone()),
    }
}

/// `buffer` emptied and filled with `len` copies of `value`.
fn filled<T: Clone>(mut buffer: Vec<T>, len: usize, value: T) -> Vec<T> {
    buffer.clear();
    buffer.resize(len, value);
    buffer
}

/// `buffer` emptied.
fn emptied<T>(mut buffer: Vec<T>) -> Vec<T> {
    buffer.clear();
    buffer
}

/// `lanes` (or new ones) reset to one lane per purpose.
fn lanes_for(
    lanes: Option<Lanes>,
    seed: u64,
    replication: u64,
    purposes: impl IntoIterator<Item = Purpose, IntoIter: Clone>,
) -> Lanes {
    match lanes {
        Some(mut lanes) => {
            lanes.reset(seed, replication, purposes);
            lanes
        }
        None => Lanes::new(seed, replication, purposes),
    }
}

impl<'a> Replication<'a> {
    /// Prepares replication `replication` of `scenario`.
    pub fn new(
        scenario: &'a CompiledScenario,
        registry: &'a FaultRegistry,
        replication: u64,
        trace: Option<&'a mut dyn TraceSink>,
    ) -> Self {
        let layout = Cow::Owned(Layout::new(scenario));
        Self::build(scenario, registry, layout, replication, trace, None)
    }

    /// Prepares replication `replication` of `scenario`, whose `layout` is given, in the
    /// buffers of `scratch`; they go back to it when the replication ends. The outcome is
    /// that of [`Replication::new`], whatever `scratch` held.
    pub fn reusing(
        scenario: &'a CompiledScenario,
        registry: &'a FaultRegistry,
        layout: &'a Layout,
        replication: u64,
        scratch: &'a mut Scratch,
    ) -> Self {
        let layout = Cow::Borrowed(layout);
        Self::build(scenario, registry, layout, replication, None, Some(scratch))
    }

    fn build(
        scenario: &'a CompiledScenario,
        registry: &'a FaultRegistry,
        layout: Cow<'a, Layout>,
        replication: u64,
        trace: Option<&'a mut dyn TraceSink>,
        mut scratch: Option<&'a mut Scratch>,
    ) -> Self {
        let topology = &scenario.topology;
        let n = topology.len();
        let seed = scenario.seed;
        let spare = scratch
            .as_deref_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        let vantages = scenario.services.iter().map(vantage_count).sum();
        let ledgers = filled(spare.ledgers, vantages, Ledger::default());
        let mut first_ledger = 0u32;
        let mut outcomes = spare.outcomes;
        outcomes.truncate(scenario.services.len());
        let kept = outcomes.len();
        for (outcome, spec) in outcomes.iter_mut().zip(&scenario.services) {
            *outcome = std::mem::take(outcome).renewed(vantage_count(spec) as u32);
        }
        outcomes.extend(scenario.services[kept..].iter().map(|spec| ServiceOutcome {
            vantages: vantage_count(spec) as u32,
            ..ServiceOutcome::default()
        }));
        if let Some(scratch) = scratch.as_deref_mut() {
            // Kept there until the outcome takes it.
            scratch.faults = spare.faults;
        }
        let mut services = emptied(spare.services);
        services.extend(scenario.services.iter().enumerate().map(|(index, spec)| {
            let index = index as u32;
            let mut phase_rng = stream(seed, replication, Purpose::ProbePhase(index));
            let first = first_ledger;
            first_ledger += vantage_count(spec) as u32;
            ServiceRuntime {
                strategy: ServiceStrategy::build(spec, topology, &mut phase_rng),
                stream: StreamSlot::FRESH,
                first_ledger: first,
                vantages: vantage_count(spec) as u32,
                named_vantages: !spec.vantages.is_empty(),
                last_cause: FaultTag::default(),
                failovers_succeeded: 0,
                unaccounted: false,
                split_brain_since: None,
            }
        }));
        let system = scenario.system.as_ref().map(|system| {
            let mut member = vec![false; scenario.services.len()];
            for index in system.expr.services() {
                member[index as usize] = true;
            }
            SystemRuntime {
                expr: &system.expr,
                ledger: Ledger::default(),
                outcome: ServiceOutcome {
                    vantages: 1,
                    ..ServiceOutcome::default()
                },
                member,
                served: vec![1.0; scenario.services.len()],
            }
        });
        let plan = &scenario.faults;
        let tags = registry.overload as usize + 1;
        let dispatches = plan.repair.crews.iter().any(|c| c.dispatch.is_some());
        let misses = plan.node_processes.iter().any(|p| {
            p.latent
                .as_ref()
                .is_some_and(|inspection| inspection.miss_probability > 0.0)
        });
        let lanes = plan.node_processes.iter().map(|p| p.nodes.len()).sum();
        let restarting = plan.node_processes.iter().any(|p| p.restart.is_some());
        let service_bytes = size_of::<ServiceRuntime>() + size_of::<ServiceOutcome>();
        let prefetching = services.len() * service_bytes >= PREFETCH_FROM_BYTES;
        Replication {
            scenario,
            registry,
            replication,
            now: SimTime::ZERO,
            queue: {
                let mut queue = spare.queue;
                queue.reset(n + 16);
                queue
            },
            network: network_in(spare.network, topology).with_message_streams(seed, replication),
            byzantine: filled(spare.byzantine, n, 0),
            gray: filled(spare.gray, n, 0),
            byzantine_flags: filled(spare.byzantine_flags, n, false),
            gray_flags: filled(spare.gray_flags, n, false),
            latent_flags: filled(spare.latent_flags, n, false),
            inspection_lanes: lanes_for(
                spare.inspection_lanes,
                seed,
                replication,
                plan.node_processes
                    .iter()
                    .flat_map(|p| p.keys.iter().map(|&key| Purpose::Inspection(key)))
                    .take(if misses { usize::MAX } else { 0 }),
            ),
            restarts: filled(
                spare.restarts,
                if restarting { lanes } else { 0 },
                (0, SimTime::ZERO),
            ),
            services,
            prefetching,
            service_streams: ServiceStreams::reusing(seed, replication, spare.service_streams),
            ledgers,
            outcomes,
            system,
            last_cause: FaultTag::default(),
            layout,
            dependency_generation: filled(spare.dependency_generation, plan.dependencies.len(), 0),
            dependency_down: filled(spare.dependency_down, plan.dependencies.len(), false),
            // Tags without a stream of their own get a placeholder that is never drawn.
            fault_rngs: {
                let mut rngs = emptied(spare.fault_rngs);
                rngs.extend((0..tags as u32).map(|tag| {
                    let key = registry.stream_key(FaultTag(tag)).unwrap_or(StreamKey(0));
                    stream(seed, replication, Purpose::Fault(key))
                }));
                rngs
            },
            node_lanes: lanes_for(
                spare.node_lanes,
                seed,
                replication,
                plan.node_processes
                    .iter()
                    .flat_map(|p| p.keys.iter().map(|&key| Purpose::NodeLifetime(key))),
            ),
            crews: match spare.crews {
                Some(mut crews) => {
                    crews.reset(&plan.repair.crews);
                    crews
                }
                None => Crews::new(&plan.repair.crews),
            },
            crew_dispatch_due: filled(spare.crew_dispatch_due, plan.repair.crews.len(), false),
            dispatch_lanes: lanes_for(
                spare.dispatch_lanes,
                seed,
                replication,
                plan.node_processes
                    .iter()
                    .flat_map(|p| p.keys.iter().map(|&key| Purpose::RepairDispatch(key)))
                    .take(if dispatches { usize::MAX } else { 0 }),
            ),
            budget_down: filled(spare.budget_down, plan.repair.budgets.len(), 0),
            chosen: {
                let mut chosen = spare.chosen;
                chosen.truncate(plan.scheduled.len());
                chosen.iter_mut().for_each(Vec::clear);
                chosen.resize(plan.scheduled.len(), Vec::new());
                chosen
            },
            flap_cut: filled(spare.flap_cut, plan.scheduled.len(), None),
            commands: emptied(spare.commands),
            pending_crashes: emptied(spare.pending_crashes),
            trace,
            scratch,
            events: 0,
            keep_records: true,
            changes: emptied(spare.changes),
            ended: emptied(spare.ended),
            vantages: emptied(spare.vantages),
            unaccounted: emptied(spare.unaccounted),
            before_node_change: None,
            effects: filled(spare.effects, tags, FaultEffect::default()),
        }
    }

    /// Hands the buffers back to the scratch they came from, if any.
    fn give_back(self) {
        let Some(scratch) = self.scratch else {
            return;
        };
        *scratch = Scratch {
            queue: self.queue,
            network: Some(self.network),
            byzantine: self.byzantine,
            gray: self.gray,
            byzantine_flags: self.byzantine_flags,
            gray_flags: self.gray_flags,
            latent_flags: self.latent_flags,
            inspection_lanes: Some(self.inspection_lanes),
            node_lanes: Some(self.node_lanes),
            dispatch_lanes: Some(self.dispatch_lanes),
            restarts: self.restarts,
            // The strategies go; the room for them stays.
            services: emptied(self.services),
            service_streams: self.service_streams.into_spare(),
            ledgers: self.ledgers,
            dependency_generation: self.dependency_generation,
            dependency_down: self.dependency_down,
            fault_rngs: self.fault_rngs,
            crews: Some(self.crews),
            crew_dispatch_due: self.crew_dispatch_due,
            budget_down: self.budget_down,
            chosen: self.chosen,
            flap_cut: self.flap_cut,
            commands: self.commands,
            pending_crashes: self.pending_crashes,
            changes: self.changes,
            ended: self.ended,
            vantages: self.vantages,
            unaccounted: self.unaccounted,
            effects: self.effects,
            outcomes: Vec::new(),
            faults: Vec::new(),
        };
    }

    /// Keeps only the [`FailoverTally`] of each service, not every record: memory then
    /// stays flat however many failovers a long horizon holds.
    pub fn without_records(mut self) -> Self {
        self.keep_records = false;
        self
    }

    /// Runs to the horizon and returns what every service lived through.
    pub fn run(self) -> ReplicationOutcome {
        self.run_within(u64::MAX, &[])
    }

    /// Runs to the horizon, or stops early (outcome marked incomplete) after
    /// `max_events` events or once any of the `stop` flags is raised (Ctrl-C, a
    /// wall-clock deadline, a full timeline); the flags are read every
    /// [`STOP_CHECK_EVENTS`] events, so a stop takes effect within that many events.
    pub fn run_within(mut self, max_events: u64, stop: &[&AtomicBool]) -> ReplicationOutcome {
        self.schedule_faults();
        for service in 0..self.services.len() {
            self.stimulate(service, Stimulus::Start);
        }
        let horizon = SimTime(self.scenario.horizon);
        let mut complete = true;
        while let Some(at) = self.queue.peek_time() {
            if at >= horizon {
                break;
            }
            let stopped = self.events.is_multiple_of(STOP_CHECK_EVENTS)
                && stop.iter().any(|flag| flag.load(Ordering::Relaxed));
            if self.events >= max_events || stopped {
                complete = false;
                break;
            }
            if at != self.now {
                self.account_instant();
            }
            let (at, event) = self.queue.pop().expect("peeked event");
            self.now = at;
            self.events += 1;
            if self.prefetching {
                self.prefetch_next();
            }
            self.dispatch(event);
            if self.prefetching {
                self.prefetch_next_deeper();
            }
        }
        self.account_instant();
        self.now = horizon;
        // Failovers still open are recorded at the horizon (completed_at = horizon).
        // Nothing is accounted after: no time is left to charge, and an episode still
        // open here ends by the horizon whatever the strategies did at it.
        for service in 0..self.services.len() {
            if self.services[service].strategy.failover_open() {
                self.stimulate(service, Stimulus::Horizon);
            }
        }
        for &service in &self.unaccounted {
            self.services[service as usize].unaccounted = false;
        }
        self.unaccounted.clear();
        self.before_node_change = None;
        for service in 0..self.services.len() {
            let first = self.services[service].first_ledger as usize;
            for vantage in 0..vantage_count(&self.scenario.services[service]) {
                let outcome = &mut self.outcomes[service];
                let episode = self.ledgers[first + vantage].finish(horizon, outcome);
                if let Some(episode) = episode {
                    self.fold_episode(Some(service), vantage, episode);
                }
            }
        }
        if let Some(system) = &mut self.system {
            if let Some(episode) = system.ledger.finish(horizon, &mut system.outcome) {
                self.fold_episode(None, 0, episode);
            }
        }
        let mut services = std::mem::take(&mut self.outcomes);
        for (runtime, outcome) in self.services.iter().zip(&mut services) {
            if let Some(since) = runtime.split_brain_since {
                outcome.split_brain_ns += horizon.since(since);
            }
        }
        let outcome = ReplicationOutcome {
            replication: self.replication,
            services,
            system: self.system.take().map(|system| system.outcome),
            events: self.events,
            complete,
            faults: {
                let spare = self
                    .scratch
                    .as_deref_mut()
                    .map(|s| std::mem::take(&mut s.faults));
                let mut faults = emptied(spare.unwrap_or_default());
                faults.extend(
                    (0..)
                        .zip(&self.effects)
                        .filter(|(_, effect)| effect.starts > 0)
                        .map(|(tag, &effect)| (tag, effect)),
                );
                faults
            },
        };
        self.give_back();
        outcome
    }

    fn schedule_faults(&mut self) {
        let plan = &self.scenario.faults;
        let registry = self.registry;
        let mut lane = 0u32;
        for (p, process) in plan.node_processes.iter().enumerate() {
            for &node in &process.nodes {
                let at = SimTime(
                    self.node_lanes
                        .draw(lane as usize, |rng| process.ttf.sample(rng)),
                );
                let process = p as u32;
                self.queue
                    .schedule(at, failure_event(&plan.node_processes, node, process, lane));
                lane += 1;
            }
        }
        for (p, process) in plan.node_processes.iter().enumerate() {
            if let Some(inspection) = &process.latent {
                self.queue.schedule(
                    SimTime(inspection.phase),
                    Event::Inspect { process: p as u32 },
                );
            }
        }
        for (m, maintenance) in plan.maintenance.iter().enumerate() {
            self.queue.schedule(
                SimTime(maintenance.phase),
                Event::MaintenanceRound {
                    maintenance: m as u32,
                },
            );
        }
        for (o, outage) in plan.outages.iter().enumerate() {
            let rng = &mut self.fault_rngs[(registry.outages + o as u32) as usize];
            let at = SimTime(outage.interarrival.sample(rng));
            self.queue
                .schedule(at, Event::OutageStart { outage: o as u32 });
        }
        for (p, process) in plan.partitions.iter().enumerate() {
            let rng = &mut self.fault_rngs[(registry.partitions + p as u32) as usize];
            let at = SimTime(process.healed_length(rng));
            self.queue
                .schedule(at, Event::PartitionStart { process: p as u32 });
        }
        for (b, burst) in plan.bursts.iter().enumerate() {
            let rng = &mut self.fault_rngs[(registry.bursts + b as u32) as usize];
            let at = SimTime(burst.interarrival.sample(rng));
            self.queue.schedule(at, Event::Burst { process: b as u32 });
        }
        for (f, fault) in plan.scheduled.iter().enumerate() {
            self.queue
                .schedule(SimTime(fault.at), Event::ScheduledStart { fault: f as u32 });
        }
    }

    fn rng(&mut self, tag: u32) -> &mut ChaCha8Rng {
        &mut self.fault_rngs[tag as usize]
    }

    fn trace(&mut self, event: TraceEvent) {
        if let Some(sink) = self.trace.as_deref_mut() {
            sink.record(self.now, &event);
        }
    }

    /// Asks for the memory the next event will read, while this one is handled.
    /// (Not inlined: the event loop of small replications, which never hint, stays as
    /// it was, with the dispatch inlined in it.)
    #[inline(never)]
    fn prefetch_next(&mut self) {
        match self.queue.peek() {
            Some(&Event::ServiceTimer { service, .. }) => {
                let service = service as usize;
                prefetch(&self.services[service]);
                prefetch(&self.outcomes[service]);
            }
            Some(&Event::NodeFail { node, lane, .. } | &Event::NodeRepair { node, lane, .. }) => {
                self.node_lanes.prefetch(lane);
                self.network.prefetch(node);
                prefetch(&self.layout.node_service_start[node.index()]);
            }
            _ => {}
        }
    }

    /// Asks for the memory the next event reaches through what [`Self::prefetch_next`]
    /// loaded, now that it has arrived.
    #[inline(never)]
    fn prefetch_next_deeper(&mut self) {
        match self.queue.peek() {
            Some(&Event::ServiceTimer { service, .. }) => {
                let runtime = &self.services[service as usize];
                runtime.strategy.prefetch();
                prefetch(&self.ledgers[runtime.first_ledger as usize]);
                self.outcomes[service as usize].prefetch();
            }
            Some(&Event::NodeFail { node, .. } | &Event::NodeRepair { node, .. }) => {
                for i in self.services_of(node).take(PREFETCH_SERVICES_OF_NODE) {
                    let service = self.layout.node_services[i] as usize;
                    prefetch(&self.services[service]);
                    prefetch(&self.outcomes[service]);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, event: Event) {
        let plan = &self.scenario.faults;
        let registry = self.registry;
        match event {
            Event::NodeFail {
                node,
                process,
                lane,
            } => {
                let tag = FaultTag(registry.node_processes + process);
                if let Some(budget) = self.budget_exhausted(node) {
                    self.trace(TraceEvent::CrashSkipped {
                        node,
                        fault: tag,
                        budget,
                    });
                    self.schedule_failure(node, process, lane);
                } else {
                    self.fail_node(node, tag, process, lane);
                }
            }
            Event::NodeRepair {
                node,
                process,
                lane,
            } => {
                if let Some(restarts) = self.restarts.get_mut(lane as usize) {
                    *restarts = (0, self.now);
                }
                self.restore(node);
                if let Some(crew) = self.crew_of(node) {
                    self.crews.release(crew);
                    self.crew_dispatch(crew);
                }
                self.schedule_failure(node, process, lane);
            }
            Event::OutageStart { outage } => {
                let tag = FaultTag(registry.outages + outage);
                self.trace(TraceEvent::FaultStart {
                    fault: tag,
                    sides: Sides::None,
                });
                let spec = &plan.outages[outage as usize];
                if spec.pause {
                    self.started(tag, spec.nodes.len() as u64);
                    self.pause(&spec.nodes, tag);
                } else {
                    self.started(tag, 0);
                    for &node in &spec.nodes {
                        self.crash(node, tag);
                    }
                }
                let length = plan.outages[outage as usize]
                    .duration
                    .sample(self.rng(tag.0));
                self.queue
                    .schedule(self.now.after(length), Event::OutageEnd { outage });
            }
            Event::OutageEnd { outage } => {
                let tag = FaultTag(registry.outages + outage);
                self.trace(TraceEvent::FaultEnd { fault: tag });
                let spec = &plan.outages[outage as usize];
                if spec.pause {
                    self.resume(&spec.nodes, tag);
                } else {
                    for &node in &spec.nodes {
                        self.restore(node);
                    }
                }
                let next = plan.outages[outage as usize]
                    .interarrival
                    .sample(self.rng(tag.0));
                self.queue
                    .schedule(self.now.after(next), Event::OutageStart { outage });
            }
            Event::PartitionStart { process } => {
                let tag = FaultTag(registry.partitions + process);
                let spec = &plan.partitions[process as usize];
                let split = spec
                    .draw
                    .draw(self.network.topology().len(), self.rng(tag.0));
                self.split(tag, split);
                let length = spec.cut_length(self.rng(tag.0));
                self.queue
                    .schedule(self.now.after(length), Event::PartitionEnd { process });
            }
            Event::PartitionEnd { process } => {
                let tag = FaultTag(registry.partitions + process);
                self.trace(TraceEvent::FaultEnd { fault: tag });
                self.network.heal(tag.0);
                self.network_changed(tag);
                let next = plan.partitions[process as usize].healed_length(self.rng(tag.0));
                self.queue
                    .schedule(self.now.after(next), Event::PartitionStart { process });
            }
            Event::Burst { process } => {
                let tag = FaultTag(registry.bursts + process);
                let spec = &plan.bursts[process as usize];
                self.trace(TraceEvent::FaultStart {
                    fault: tag,
                    sides: Sides::None,
                });
                self.started(tag, 0);
                let victims = choose(&spec.nodes, spec.size as usize, self.rng(tag.0));
                for node in victims {
                    self.crash(node, tag);
                    let repair = spec.ttr.sample(self.rng(tag.0));
                    self.queue
                        .schedule(self.now.after(repair), Event::Restore { node, tag: tag.0 });
                }
                let next = spec.interarrival.sample(self.rng(tag.0));
                self.queue
                    .schedule(self.now.after(next), Event::Burst { process });
            }
            Event::Restore { node, .. } => self.restore(node),
            Event::DependentFail {
                dependency,
                generation,
            } => {
                let index = dependency as usize;
                let spec = &plan.dependencies[index];
                if generation == self.dependency_generation[index]
                    && !self.network.is_up(spec.depends_on)
                    && !self.dependency_down[index]
                {
                    self.dependency_down[index] = true;
                    self.crash(spec.node, FaultTag(registry.dependencies + dependency));
                }
            }
            Event::ScheduledStart { fault } => self.start_scheduled(fault),
            Event::ScheduledEnd { fault } => {
                // A flapping fault healed at its window's end has nothing left to undo.
                if self.flap_cut[fault as usize].take() != Some(false) {
                    self.end_scheduled(fault);
                }
            }
            Event::FlapToggle { fault } => self.flap(fault),
            Event::CrewDispatch { crew } => {
                self.crew_dispatch_due[crew as usize] = false;
                self.start_repairs(crew);
            }
            Event::LatentFail {
                node,
                process,
                lane: _,
            } => {
                self.latent_flags[node.index()] = true;
                let fault = FaultTag(registry.node_processes + process);
                self.trace(TraceEvent::LatentFaultStart { node, fault });
            }
            Event::LatentFound {
                node,
                process,
                lane,
                inspection,
            } => {
                if std::mem::take(&mut self.latent_flags[node.index()]) {
                    let fault = FaultTag(registry.node_processes + process);
                    self.trace(TraceEvent::LatentFaultFound {
                        node,
                        fault,
                        inspection,
                    });
                    self.fail_node(node, fault, process, lane);
                }
            }
            Event::Inspect { process } => self.inspect(process),
            Event::NodeRestart {
                node,
                process,
                lane,
            } => {
                self.restarts[lane as usize].1 = self.now;
                self.restore(node);
                self.schedule_failure(node, process, lane);
            }
            Event::MaintenanceRound { maintenance } => {
                let period = plan.maintenance[maintenance as usize].period;
                self.queue.schedule(
                    self.now.after(period),
                    Event::MaintenanceRound { maintenance },
                );
                self.maintain(maintenance, 0);
            }
            Event::MaintenanceEnd {
                maintenance,
                position,
            } => {
                let node = plan.maintenance[maintenance as usize].nodes[position as usize];
                self.restore(node);
                self.maintain(maintenance, position + 1);
            }
            Event::ServiceTimer { service, timer } => {
                self.stimulate(service as usize, Stimulus::Timer(timer));
            }
        }
        self.drain_pending_crashes();
    }

    /// A failure of a node failure process: the node goes down, and its repair starts
    /// at once or, with a crew, when a member takes it.
    fn fail_node(&mut self, node: NodeId, tag: FaultTag, process: u32, lane: u32) {
        self.crash(node, tag);
        let spec = &self.scenario.faults.node_processes[process as usize];
        if let Some(policy) = &spec.restart {
            if self.restart(node, process, lane, policy) {
                return;
            }
        }
        if let Some(crew) = self.crew_of(node) {
            let job = Job {
                node,
                process,
                lane,
                queued_at: self.now,
            };
            let priority = self.scenario.topology.nodes[node.index()].repair_priority;
            let waiting = self.crews.queue(crew, job, priority);
            self.trace(TraceEvent::RepairQueued {
                node,
                crew,
                waiting,
            });
            self.crew_dispatch(crew);
        } else {
            let ttr = &spec.ttr;
            let repair = self.node_lanes.draw(lane as usize, |rng| ttr.sample(rng));
            let start = self.repair_start(process, 0);
            self.schedule_repair(node, process, lane, start.saturating_add(repair));
        }
    }

    /// Restarts `node` after its back-off unless it has had its `max_restarts` since
    /// its count last started from zero; whether it did.
    fn restart(
        &mut self,
        node: NodeId,
        process: u32,
        lane: u32,
        policy: &crate::compile::RestartSpec,
    ) -> bool {
        let (done, up_since) = &mut self.restarts[lane as usize];
        if policy
            .reset_after
            .is_some_and(|reset| self.now.since(*up_since) >= reset)
        {
            *done = 0;
        }
        if *done >= policy.max_restarts {
            return false;
        }
        let delay = policy.delay(*done);
        *done += 1;
        let restart = *done;
        self.trace(TraceEvent::Restart {
            node,
            restart,
            delay,
        });
        self.queue.schedule(
            self.now.after(delay),
            Event::NodeRestart {
                node,
                process,
                lane,
            },
        );
        true
    }

    /// How long after now a repair that could start `after` from now does start: at
    /// once, or at the next working hour of the process's calendar.
    fn repair_start(&self, process: u32, after: Nanos) -> Nanos {
        let spec = &self.scenario.faults.node_processes[process as usize];
        let ready = self.now.after(after);
        match &spec.working_hours {
            Some(calendar) => calendar.next_working(ready).since(self.now),
            None => after,
        }
    }

    /// Inspects every node of a latent fault process: a failure present now is found
    /// at the inspection's end unless the inspection misses it.
    fn inspect(&mut self, process: u32) {
        let spec = &self.scenario.faults.node_processes[process as usize];
        let Some(inspection) = &spec.latent else {
            return;
        };
        let fault = FaultTag(self.registry.node_processes + process);
        self.queue.schedule(
            self.now.after(inspection.interval),
            Event::Inspect { process },
        );
        for &node in &spec.nodes {
            if !self.latent_flags[node.index()] {
                continue;
            }
            let (_, lane) =
                self.layout.latent_of[node.index()].expect("a latent node has a process");
            let p = inspection.miss_probability;
            if p > 0.0
                && self
                    .inspection_lanes
                    .draw(lane as usize, |rng| rng.random_bool(p))
            {
                self.trace(TraceEvent::InspectionMissed { node, fault });
                continue;
            }
            self.queue.schedule(
                self.now.after(inspection.duration),
                Event::LatentFound {
                    node,
                    process,
                    lane,
                    inspection: true,
                },
            );
        }
    }

    /// Takes down the first node of a maintenance's round from `position` on whose
    /// maintenance breaks no service (when the maintenance asks so); the ones before it
    /// are skipped.
    fn maintain(&mut self, maintenance: u32, mut position: u32) {
        let spec = &self.scenario.faults.maintenance[maintenance as usize];
        let fault = FaultTag(self.registry.maintenance + maintenance);
        while let Some(&node) = spec.nodes.get(position as usize) {
            let broken = spec
                .skip_if_breaks
                .and_then(|breaks| self.broken_by_removing(node, breaks));
            match broken {
                Some(service) => {
                    self.trace(TraceEvent::MaintenanceSkipped {
                        node,
                        fault,
                        service,
                    });
                    position += 1;
                }
                None => {
                    self.crash(node, fault);
                    self.queue.schedule(
                        self.now.after(spec.duration),
                        Event::MaintenanceEnd {
                            maintenance,
                            position,
                        },
                    );
                    return;
                }
            }
        }
    }

    /// The first service that taking `node` down would break, if any: fewer of its
    /// replicas up than its quorum, or less capacity up than its demand.
    fn broken_by_removing(&self, node: NodeId, breaks: Breaks) -> Option<u32> {
        let topology = &self.scenario.topology;
        let needs = &self.scenario.faults.service_needs;
        needs.iter().enumerate().find_map(|(s, need)| {
            if !need.replicas.contains(&node) {
                return None;
            }
            let left = need
                .replicas
                .iter()
                .filter(|&&r| r != node && self.network.is_up(r));
            let broken = match breaks {
                Breaks::Quorum => (left.count() as u32) < need.quorum,
                Breaks::Capacity => {
                    left.map(|r| topology.nodes[r.index()].capacity)
                        .sum::<f64>()
                        < need.demand
                }
            };
            broken.then_some(s as u32)
        })
    }

    /// The next failure of a node's failure process, drawn from the node's stream.
    fn schedule_failure(&mut self, node: NodeId, process: u32, lane: u32) {
        let processes = &self.scenario.faults.node_processes;
        let ttf = &processes[process as usize].ttf;
        let next = self.node_lanes.draw(lane as usize, |rng| ttf.sample(rng));
        self.queue.schedule(
            self.now.after(next),
            failure_event(processes, node, process, lane),
        );
    }

    fn schedule_repair(&mut self, node: NodeId, process: u32, lane: u32, after: Nanos) {
        self.queue.schedule(
            self.now.after(after),
            Event::NodeRepair {
                node,
                process,
                lane,
            },
        );
    }

    /// The crew that repairs `node`'s stochastic failures, if any: one test of an empty
    /// vector when the scenario has no crew.
    fn crew_of(&self, node: NodeId) -> Option<u32> {
        self.scenario
            .faults
            .repair
            .crew_of
            .get(node.index())
            .copied()
            .flatten()
    }

    /// Has `crew` take waiting nodes once the events already due now have happened.
    fn crew_dispatch(&mut self, crew: u32) {
        if !std::mem::replace(&mut self.crew_dispatch_due[crew as usize], true) {
            self.queue.schedule(self.now, Event::CrewDispatch { crew });
        }
    }

    /// Gives waiting nodes to the free members of `crew`: each draws its dispatch delay
    /// (its own stream) and then its time to repair (the node's stream, as without a
    /// crew), and is up again after both.
    fn start_repairs(&mut self, crew: u32) {
        while let Some(job) = self.crews.take(crew) {
            let spec = &self.scenario.faults.repair.crews[crew as usize];
            let dispatch = match &spec.dispatch {
                Some(delay) => self
                    .dispatch_lanes
                    .draw(job.lane as usize, |rng| delay.sample(rng)),
                None => 0,
            };
            let ttr = &self.scenario.faults.node_processes[job.process as usize].ttr;
            let repair = self
                .node_lanes
                .draw(job.lane as usize, |rng| ttr.sample(rng));
            self.trace(TraceEvent::RepairStarted {
                node: job.node,
                crew,
                queued_at: job.queued_at,
                dispatch,
            });
            let start = self.repair_start(job.process, dispatch);
            self.schedule_repair(
                job.node,
                job.process,
                job.lane,
                start.saturating_add(repair),
            );
        }
    }

    /// The first fault budget that `node`'s failure would overdraw, if any: the node is
    /// up and a budget it counts against has its `max_dead` nodes down already.
    fn budget_exhausted(&self, node: NodeId) -> Option<u32> {
        let repair = &self.scenario.faults.repair;
        let budgets = repair.budgets_of.get(node.index())?;
        if !self.network.is_up(node) {
            return None;
        }
        budgets
            .iter()
            .copied()
            .find(|&b| self.budget_down[b as usize] >= repair.budgets[b as usize].max_dead)
    }

    /// Counts a node that went down (`+1`) or came up (`-1`) against its budgets.
    fn count_against_budgets(&mut self, node: NodeId, down: bool) {
        let Some(budgets) = self.scenario.faults.repair.budgets_of.get(node.index()) else {
            return;
        };
        for &b in budgets {
            let count = &mut self.budget_down[b as usize];
            *count = if down { *count + 1 } else { *count - 1 };
        }
    }

    fn start_scheduled(&mut self, fault: u32) {
        self.strike(fault);
        let spec = &self.scenario.faults.scheduled[fault as usize];
        let tag = FaultTag(self.registry.scheduled + fault);
        if let Some(duration) = &spec.duration {
            let length = duration.sample(self.rng(tag.0));
            self.queue
                .schedule(self.now.after(length), Event::ScheduledEnd { fault });
        }
        if let Some(flap) = &spec.flap {
            self.flap_cut[fault as usize] = Some(true);
            let length = flap.length(true, self.rng(tag.0));
            self.queue
                .schedule(self.now.after(length), Event::FlapToggle { fault });
        }
    }

    /// A flapping fault heals if cut, cuts again if healed, and draws how long that holds.
    fn flap(&mut self, fault: u32) {
        let Some(cut) = self.flap_cut[fault as usize] else {
            return;
        };
        if cut {
            self.end_scheduled(fault);
        } else {
            self.strike(fault);
        }
        self.flap_cut[fault as usize] = Some(!cut);
        let spec = &self.scenario.faults.scheduled[fault as usize];
        let flap = spec.flap.as_ref().expect("only a flapping fault toggles");
        let tag = FaultTag(self.registry.scheduled + fault);
        let length = flap.length(!cut, self.rng(tag.0));
        self.queue
            .schedule(self.now.after(length), Event::FlapToggle { fault });
    }

    /// What a scheduled fault does when it starts (and each time a flapping one cuts).
    fn strike(&mut self, fault: u32) {
        let spec = &self.scenario.faults.scheduled[fault as usize];
        let tag = FaultTag(self.registry.scheduled + fault);
        let sides = match &spec.action {
            Action::Partition(group_of) => Some(Sides::Groups(group_of)),
            Action::Restrict(rule) => Some(Sides::Members(rule.sides())),
            // Traced once its sides are drawn.
            Action::RandomPartition(_) => None,
            _ => Some(Sides::None),
        };
        if let Some(sides) = sides {
            let nodes = match &spec.action {
                Action::CutLink { .. } | Action::DegradeLink { .. } => 2,
                Action::Byzantine(nodes) | Action::Gray(nodes) | Action::Pause(nodes) => {
                    nodes.len()
                }
                _ => sides.affected(),
            };
            self.started(tag, nodes as u64);
            self.trace(TraceEvent::FaultStart { fault: tag, sides });
        }
        match &spec.action {
            Action::Crash(nodes) => {
                for &node in nodes {
                    self.crash(node, tag);
                }
            }
            Action::CrashRandom { count, among } => {
                let victims = choose(among, *count as usize, self.rng(tag.0));
                for &node in &victims {
                    self.crash(node, tag);
                }
                self.chosen[fault as usize] = victims;
            }
            Action::Partition(group_of) => {
                self.network.partition(tag.0, group_of);
                self.network_changed(tag);
            }
            Action::RandomPartition(draw) => {
                let split = draw.draw(self.network.topology().len(), self.rng(tag.0));
                self.split(tag, split);
            }
            Action::Restrict(rule) => {
                self.network.restrict(tag.0, rule.clone());
                self.network_changed(tag);
            }
            Action::CutLink { a, b, one_way } => {
                self.network.set_link_cut(*a, *b, *one_way, true);
                self.network_changed(tag);
            }
            Action::DegradeLink {
                a,
                b,
                added_latency,
                loss,
            } => {
                self.network.degrade_link(*a, *b, *added_latency, *loss);
                self.network_changed(tag);
            }
            Action::Byzantine(nodes) => self.set_behaviour(nodes, true, true, tag),
            Action::Gray(nodes) => self.set_behaviour(nodes, false, true, tag),
            Action::Pause(nodes) => self.pause(nodes, tag),
        }
    }

    /// Starts a drawn partition, its sides traced.
    fn split(&mut self, tag: FaultTag, split: Split) {
        match split {
            Split::Groups(group_of) => {
                self.started(tag, Sides::Groups(&group_of).affected() as u64);
                self.trace(TraceEvent::FaultStart {
                    fault: tag,
                    sides: Sides::Groups(&group_of),
                });
                self.network.partition(tag.0, &group_of);
            }
            Split::Rule(rule) => {
                self.started(tag, rule.sides().len() as u64);
                self.trace(TraceEvent::FaultStart {
                    fault: tag,
                    sides: Sides::Members(rule.sides()),
                });
                self.network.restrict(tag.0, rule);
            }
        }
        self.network_changed(tag);
    }

    fn end_scheduled(&mut self, fault: u32) {
        let spec = &self.scenario.faults.scheduled[fault as usize];
        let tag = FaultTag(self.registry.scheduled + fault);
        self.trace(TraceEvent::FaultEnd { fault: tag });
        match &spec.action {
            Action::Crash(nodes) => {
                for &node in nodes {
                    self.restore(node);
                }
            }
            Action::CrashRandom { .. } => {
                for node in std::mem::take(&mut self.chosen[fault as usize]) {
                    self.restore(node);
                }
            }
            Action::Partition(_) | Action::RandomPartition(_) | Action::Restrict(_) => {
                self.network.heal(tag.0);
                self.network_changed(tag);
            }
            Action::CutLink { a, b, one_way } => {
                self.network.set_link_cut(*a, *b, *one_way, false);
                self.network_changed(tag);
            }
            Action::DegradeLink { a, b, .. } => {
                self.network.degrade_link(*a, *b, 0, 0.0);
                self.network_changed(tag);
            }
            Action::Byzantine(nodes) => self.set_behaviour(nodes, true, false, tag),
            Action::Gray(nodes) => self.set_behaviour(nodes, false, false, tag),
            Action::Pause(nodes) => self.resume(nodes, tag),
        }
    }

    /// Pauses `nodes`: up, their state kept, silent (DESIGN §5). To the services it is a
    /// change of reachability, caused by `tag`. A node that is down is not paused.
    fn pause(&mut self, nodes: &[NodeId], tag: FaultTag) {
        for &node in nodes {
            self.network.pause(node, tag.0);
        }
        self.network_changed(tag);
    }

    /// Ends pause `tag` of each of `nodes`: those no longer paused resume as they were;
    /// one that crashed meanwhile ended its pause then (a repair restarts it running).
    fn resume(&mut self, nodes: &[NodeId], tag: FaultTag) {
        for &node in nodes {
            self.network.resume(node, tag.0);
        }
        self.network_changed(tag);
    }

    fn set_behaviour(&mut self, nodes: &[NodeId], byzantine: bool, on: bool, tag: FaultTag) {
        let (counts, flags) = if byzantine {
            (&mut self.byzantine, &mut self.byzantine_flags)
        } else {
            (&mut self.gray, &mut self.gray_flags)
        };
        for &node in nodes {
            let count = &mut counts[node.index()];
            *count = if on {
                *count + 1
            } else {
                count.saturating_sub(1)
            };
            flags[node.index()] = *count > 0;
        }
        for service in 0..self.services.len() {
            self.stimulate(service, Stimulus::BehaviourChanged { cause: tag });
        }
    }

    /// Counts a start of fault `tag` that affected `nodes` nodes (those it crashes are
    /// counted as they go down).
    fn started(&mut self, tag: FaultTag, nodes: u64) {
        let effect = &mut self.effects[tag.0 as usize];
        effect.starts += 1;
        effect.nodes += nodes;
    }

    /// Adds one reason for `node` to be down, telling services if it just went down.
    fn crash(&mut self, node: NodeId, cause: FaultTag) {
        let registry = self.registry;
        // Faults that start by crashing one node (a node's failure, a cascade, a
        // maintenance round's node, an overload) start with each crash.
        let one_node = (registry.node_processes..registry.outages).contains(&cause.0)
            || cause.0 >= registry.dependencies;
        if one_node {
            self.effects[cause.0 as usize].starts += 1;
        }
        if !self.network.crash(node) {
            return;
        }
        self.effects[cause.0 as usize].nodes += 1;
        self.count_against_budgets(node, true);
        self.trace(TraceEvent::NodeDown { node, fault: cause });
        self.node_changed(node, Stimulus::NodeDown { node, cause });
        for i in self.layout.dependencies_on(node) {
            let dependency = self.layout.dependencies[i];
            let index = dependency as usize;
            self.dependency_generation[index] = self.dependency_generation[index].wrapping_add(1);
            let spec = &self.scenario.faults.dependencies[index];
            let tag = self.registry.dependencies + dependency;
            let (probability, delay) = (spec.probability, spec.delay);
            let propagates =
                probability >= 1.0 || (probability > 0.0 && self.rng(tag).random_bool(probability));
            if propagates {
                let generation = self.dependency_generation[index];
                self.queue.schedule(
                    self.now.after(delay),
                    Event::DependentFail {
                        dependency,
                        generation,
                    },
                );
            }
        }
    }

    /// Removes one reason for `node` to be down, telling services if it just came up.
    fn restore(&mut self, node: NodeId) {
        if !self.network.repair(node) {
            return;
        }
        self.count_against_budgets(node, false);
        self.trace(TraceEvent::NodeUp { node });
        self.node_changed(node, Stimulus::NodeUp { node });
        for i in self.layout.dependencies_on(node) {
            let index = self.layout.dependencies[i] as usize;
            self.dependency_generation[index] = self.dependency_generation[index].wrapping_add(1);
            if std::mem::take(&mut self.dependency_down[index]) {
                let dependent = self.scenario.faults.dependencies[index].node;
                self.restore(dependent);
            }
        }
    }

    fn node_changed(&mut self, node: NodeId, stimulus: Stimulus) {
        if self.scenario.topology.implied.is_some() {
            // Implied full mesh: a node's state matters only to services that use it.
            for i in self.services_of(node) {
                let service = self.layout.node_services[i];
                self.stimulate(service as usize, stimulus);
            }
        } else {
            // Explicit links: the services that use the node, and those to which it may
            // be a router (the static component's), each once and in index order.
            self.before_node_change
                .get_or_insert(self.unaccounted.len());
            let (mut own, mut routed) = (0, 0);
            let owners = self.services_of(node);
            loop {
                let next_own =
                    (own < owners.len()).then(|| self.layout.node_services[owners.start + own]);
                let next_routed = match self.layout.component_of.get(node.index()) {
                    Some(&component) => self.layout.component_services[component as usize]
                        .get(routed)
                        .copied(),
                    None => None,
                };
                let service = match (next_own, next_routed) {
                    (None, None) => break,
                    (Some(a), None) | (None, Some(a)) => a,
                    (Some(a), Some(b)) => a.min(b),
                };
                own += usize::from(next_own == Some(service));
                routed += usize::from(next_routed == Some(service));
                self.stimulate(service as usize, stimulus);
            }
        }
    }

    fn network_changed(&mut self, cause: FaultTag) {
        for service in 0..self.services.len() {
            self.stimulate(service, Stimulus::NetworkChanged { cause });
        }
    }

    /// Where the services that use `node` lie in [`Self::node_services`].
    fn services_of(&self, node: NodeId) -> std::ops::Range<usize> {
        let i = node.index();
        self.layout.node_service_start[i] as usize..self.layout.node_service_start[i + 1] as usize
    }

    fn stimulate(&mut self, service: usize, stimulus: Stimulus) {
        let runtime = &mut self.services[service];
        if let Stimulus::NodeDown { cause, .. }
        | Stimulus::NetworkChanged { cause }
        | Stimulus::BehaviourChanged { cause } = stimulus
        {
            runtime.last_cause = cause;
            self.last_cause = cause;
        }
        let view = View {
            network: &self.network,
            byzantine: &self.byzantine_flags,
            gray: &self.gray_flags,
            latent: &self.latent_flags,
        };
        let mut ctx = Context {
            now: self.now,
            view,
            rng: self.service_streams.get(service as u32, runtime.stream),
            out: &mut self.commands,
        };
        runtime.strategy.handle(stimulus, &mut ctx);
        self.service_streams.keep(&mut runtime.stream);
        let mut commands = std::mem::take(&mut self.commands);
        // Read in place, not moved out: a record was just written field by field, and
        // copying it whole stalls on reading back those narrow stores.
        for command in &commands {
            match *command {
                Command::Schedule { at, timer } => {
                    if at < self.now {
                        self.scheduled_in_the_past(service, at, timer);
                    }
                    let timer_event = Event::ServiceTimer {
                        service: service as u32,
                        timer,
                    };
                    self.queue.schedule(at, timer_event);
                }
                Command::Record(ref record) => {
                    self.trace(TraceEvent::Failover {
                        service: service as u32,
                        record,
                    });
                    let kind = self.registry.kind_index(record.fault);
                    let runtime = &mut self.services[service];
                    let outcome = &mut self.outcomes[service];
                    if record.ends_failover {
                        let succeeded = record.outcome == Outcome::Success;
                        runtime.failovers_succeeded += u64::from(succeeded);
                        let time = succeeded.then(|| record.failover_time());
                        outcome.outage_tally.add_failover(kind, time);
                    }
                    outcome.tally.add(record);
                    if self.keep_records {
                        outcome.records.push(record.clone());
                    }
                }
                Command::UnnecessaryFailover => self.outcomes[service].unnecessary_failovers += 1,
                Command::SafetyViolation => self.outcomes[service].safety_violations += 1,
                Command::LatentFound { node } => {
                    let (process, lane) =
                        self.layout.latent_of[node.index()].expect("a latent node has a process");
                    let found = Event::LatentFound {
                        node,
                        process,
                        lane,
                        inspection: false,
                    };
                    self.queue.schedule(self.now, found);
                }
                Command::CrashNode { node, repair_after } => {
                    self.pending_crashes.push((node, repair_after))
                }
            }
        }
        commands.clear();
        self.commands = commands;
        let runtime = &mut self.services[service];
        if !runtime.unaccounted {
            runtime.unaccounted = true;
            self.unaccounted.push(service as u32);
        }
    }

    /// A strategy asked for a timer before now: a bug in the strategy, which would
    /// otherwise bend the order of events. Stops the run, saying how to reproduce it.
    #[cold]
    fn scheduled_in_the_past(&self, service: usize, at: SimTime, timer: StrategyTimer) -> ! {
        let spec = &self.scenario.services[service];
        panic!(
            "broken engine invariant: service {:?} ({}) scheduled {timer:?} at {} ns, before now \
             ({} ns); reproduce with scenario {:?} (hash {}), seed {}, replication {}",
            spec.name,
            spec.strategy.name().as_str(),
            at.0,
            self.now.0,
            self.scenario.name,
            self.scenario.source_hash,
            self.scenario.seed,
            self.replication,
        )
    }

    fn drain_pending_crashes(&mut self) {
        while let Some((node, repair_after)) = self.pending_crashes.pop() {
            let tag = self.registry.overload;
            self.crash(node, FaultTag(tag));
            self.queue
                .schedule(self.now.after(repair_after), Event::Restore { node, tag });
        }
    }

    /// Accounts every service stimulated at the current instant, once, now that the
    /// instant's events are all handled: a service has one state per instant (DESIGN §3),
    /// so a state held only between two events of one instant is never counted, traced
    /// or taken for an outage.
    fn account_instant(&mut self) {
        // Services are accounted in the order they were first stimulated, and a node
        // change with explicit links counts as stimulating every service, as it did when
        // it woke them all: the ones it or later events woke go in index order (a service
        // it did not wake would account no change), so traces list them as before.
        if let Some(before) = self.before_node_change.take() {
            self.unaccounted[before..].sort_unstable();
        }
        let mut system_touched = false;
        // By index, not by iterator: `account` borrows the whole replication.
        for at in 0..self.unaccounted.len() {
            let service = self.unaccounted[at] as usize;
            self.services[service].unaccounted = false;
            self.account(service);
            system_touched |= self
                .system
                .as_ref()
                .is_some_and(|system| system.member[service]);
        }
        self.unaccounted.clear();
        if system_touched {
            self.account_system();
        }
    }

    /// The system's state follows from its services' served fractions at this instant.
    fn account_system(&mut self) {
        let failovers: u64 = self.services.iter().map(|s| s.failovers_succeeded).sum();
        let Some(system) = &mut self.system else {
            return;
        };
        let served = system.expr.served(&system.served);
        let state = ServiceState::of(served);
        let ended = system.ledger.update(
            self.now,
            state,
            served,
            self.last_cause,
            failovers,
            &mut system.outcome,
        );
        if let Some(episode) = ended {
            self.fold_episode(None, 0, episode);
        }
    }

    fn account(&mut self, service: usize) {
        let view = View {
            network: &self.network,
            byzantine: &self.byzantine_flags,
            gray: &self.gray_flags,
            latent: &self.latent_flags,
        };
        let runtime = &mut self.services[service];
        let spec = &self.scenario.services[service];
        let ledgers =
            &mut self.ledgers[runtime.first_ledger as usize..][..runtime.vantages as usize];
        let outcome = &mut self.outcomes[service];
        let now = self.now;
        let tracing = self.trace.is_some();
        let mut changed = false;
        // Only the vantages whose served fraction may have changed: a ledger updated to
        // the state and fraction it holds does nothing.
        let mut vantages = std::mem::take(&mut self.vantages);
        vantages.clear();
        if runtime.strategy.changed_vantages(&mut vantages) {
            vantages.sort_unstable();
            vantages.dedup();
        } else {
            vantages.clear();
            vantages.extend(0..ledgers.len() as u32);
        }
        for &vantage in &vantages {
            let vantage = vantage as usize;
            let observer = if runtime.named_vantages {
                observer(spec, vantage)
            } else {
                None
            };
            let served = runtime.strategy.served_at(&view, vantage, observer);
            let state = ServiceState::of(served);
            let ledger = &mut ledgers[vantage];
            let previous = ledger.state();
            changed |= state != previous;
            let episode = ledger.update(
                now,
                state,
                served,
                runtime.last_cause,
                runtime.failovers_succeeded,
                outcome,
            );
            // Traced runs list the instant's state changes before the episodes they
            // ended; the study's runs (no trace) fold each episode at once.
            if tracing && state != previous {
                self.changes.push((vantage as u32, state));
            }
            if let Some(mut episode) = episode {
                episode.vantage = vantage as u32;
                tally_episode(outcome, self.registry, self.keep_records, &episode);
                if tracing {
                    self.ended.push(episode);
                }
            }
        }
        self.vantages = vantages;
        if let Some(system) = &mut self.system {
            // The mean over every vantage, as each ledger holds it now.
            let served_sum = (ledgers.iter()).fold(0.0, |sum, ledger| sum + ledger.served());
            system.served[service] = served_sum / ledgers.len() as f64;
        }
        if changed && runtime.last_cause != FaultTag::default() {
            let cause = runtime.last_cause.0;
            let changes = &mut outcome.changes_by_fault;
            match changes.iter_mut().find(|(tag, _)| *tag == cause) {
                Some((_, count)) => *count += 1,
                None => changes.push((cause, 1)),
            }
        }
        let split = runtime.strategy.split_brain(&view);
        match (split, runtime.split_brain_since) {
            (true, None) => runtime.split_brain_since = Some(now),
            (false, Some(since)) => {
                outcome.split_brain_ns += now.since(since);
                runtime.split_brain_since = None;
            }
            _ => {}
        }
        if tracing {
            self.trace_accounted(service);
        }
    }

    /// Folds an episode that ended into the outcome of `service` (the system's when
    /// None) and traces it.
    fn fold_episode(&mut self, service: Option<usize>, vantage: usize, mut episode: OutageEpisode) {
        episode.vantage = vantage as u32;
        let outcome = match service {
            Some(service) => &mut self.outcomes[service],
            None => match &mut self.system {
                Some(system) => &mut system.outcome,
                None => return,
            },
        };
        tally_episode(outcome, self.registry, self.keep_records, &episode);
        if let Some(service) = service {
            self.trace(TraceEvent::Outage {
                service: service as u32,
                episode: &episode,
            });
        }
    }

    /// Traces the state changes and the ended episodes that accounting `service` found.
    fn trace_accounted(&mut self, service: usize) {
        let mut changes = std::mem::take(&mut self.changes);
        for &(vantage, state) in &changes {
            self.trace(TraceEvent::ServiceState {
                service: service as u32,
                vantage,
                state,
            });
        }
        changes.clear();
        self.changes = changes;
        let mut ended = std::mem::take(&mut self.ended);
        for episode in &ended {
            self.trace(TraceEvent::Outage {
                service: service as u32,
                episode,
            });
        }
        ended.clear();
        self.ended = ended;
    }
}

/// For explicit links: each node's static connected component and, per component, the
/// services that read reachability from nodes and have a node in it, in index order (both
/// empty when the links are implied or every service observes only globally). A node on
/// no path between a service's nodes cannot change what the service sees, and every such
/// path lies within one component of the topology with all nodes up.
fn routed_services(scenario: &CompiledScenario) -> (Vec<u32>, Vec<Vec<u32>>) {
    let topology = &scenario.topology;
    let routed = |spec: &&ServiceSpec| !spec.observes_only_globally();
    if topology.implied.is_some() || !scenario.services.iter().any(|spec| routed(&spec)) {
        return (Vec::new(), Vec::new());
    }
    let mut sets = UnionFind::<u32>::new(topology.len());
    for edge in topology.graph.raw_edges() {
        sets.union(edge.source().index() as u32, edge.target().index() as u32);
    }
    let mut labels = sets.into_labeling();
    // Dense component numbers, in the order of each component's first node.
    let mut number = vec![u32::MAX; labels.len()];
    let mut components = 0;
    for label in labels.iter_mut() {
        let dense = &mut number[*label as usize];
        if *dense == u32::MAX {
            *dense = components;
            components += 1;
        }
        *label = *dense;
    }
    let mut services = vec![Vec::new(); components as usize];
    for (index, spec) in scenario.services.iter().enumerate() {
        if !routed(&spec) {
            continue;
        }
        let watched = spec.strategy.watched_nodes();
        let nodes = spec
            .replicas
            .iter()
            .chain(&spec.vantages)
            .chain(watched.iter().flatten());
        for node in nodes {
            let list: &mut Vec<u32> = &mut services[labels[node.index()] as usize];
            if list.last() != Some(&(index as u32)) {
                list.push(index as u32);
            }
        }
    }
    (labels, services)
}

/// Adds an episode that ended to `outcome`'s tally (and its records when kept).
fn tally_episode(
    outcome: &mut ServiceOutcome,
    registry: &FaultRegistry,
    keep_records: bool,
    episode: &OutageEpisode,
) {
    outcome
        .outage_tally
        .add(episode, registry.kind_index(episode.cause));
    if keep_records {
        outcome.episodes.push(*episode);
    }
}

/// The event of a node's next failure: silent for a latent fault process.
fn failure_event(processes: &[NodeProcess], node: NodeId, process: u32, lane: u32) -> Event {
    if processes[process as usize].latent.is_some() {
        Event::LatentFail {
            node,
            process,
            lane,
        }
    } else {
        Event::NodeFail {
            node,
            process,
            lane,
        }
    }
}

/// The services that use each node — its replicas, vantage points and watched nodes
/// (a monitor, a lease store) — node after node, each node's in index order and once,
/// and where each node's start (one more than the nodes: the end). Counted, then filled:
/// two passes in service order, no list per node.
fn node_services(scenario: &CompiledScenario) -> (Vec<u32>, Vec<u32>) {
    let n = scenario.topology.len();
    let mut start = vec![0u32; n + 1];
    // The last service seen at each node: a service naming a node twice counts once.
    let mut last = vec![u32::MAX; n];
    let mut each_use = |visit: &mut dyn FnMut(usize, u32)| {
        last.fill(u32::MAX);
        for (index, spec) in (0u32..).zip(&scenario.services) {
            let watched = spec.strategy.watched_nodes();
            let related = (spec.replicas.iter())
                .chain(&spec.vantages)
                .chain(watched.iter().flatten());
            for node in related {
                if std::mem::replace(&mut last[node.index()], index) != index {
                    visit(node.index(), index);
                }
            }
        }
    };
    each_use(&mut |node, _| start[node + 1] += 1);
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut services = vec![0u32; start[n] as usize];
    let mut next = start[..n].to_vec();
    each_use(&mut |node, service| {
        services[next[node] as usize] = service;
        next[node] += 1;
    });
    (services, start)
}

/// How many vantage points a service is accounted at: its own, or the global client.
fn vantage_count(spec: &ServiceSpec) -> usize {
    spec.vantages.len().max(1)
}

/// Who a service's vantage point `vantage` is: its node, or the global client (None)
/// when the service names no vantage point.
fn observer(spec: &ServiceSpec, vantage: usize) -> Observer {
    spec.vantages.get(vantage).copied()
}

/// `count` distinct nodes of `among`, chosen uniformly.
fn choose(among: &[NodeId], count: usize, rng: &mut ChaCha8Rng) -> Vec<NodeId> {
    let mut pool = among.to_vec();
    let count = count.min(pool.len());
    let (chosen, _) = pool.partial_shuffle(rng, count);
    chosen.to_vec()
}

/// Runs one replication without tracing.
pub fn run_replication(
    scenario: &CompiledScenario,
    registry: &FaultRegistry,
    replication: u64,
) -> ReplicationOutcome {
    Replication::new(scenario, registry, replication, None).run()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With explicit links a node change woke every service (issue 19: quadratic in a
    /// ring). It wakes the services that use the node, and those reading reachability
    /// from nodes whose static component holds it; no other can see it change.
    #[test]
    fn a_node_change_wakes_only_the_services_it_can_affect() {
        let scenario = crate::compile::load_str(
            r#"{"horizon": "1h",
                "topology": {"generators": [{"ring": {"nodes": 4, "prefix": "a"}},
                                            {"ring": {"nodes": 4, "prefix": "b"}}]},
                "services": [
                  {"name": "own-a", "strategy": "ACTIVE_PASSIVE", "replicas": ["a1", "a2"]},
                  {"name": "own-a2", "strategy": "ACTIVE_PASSIVE", "replicas": ["a3", "a4"]},
                  {"name": "seen-from-a", "strategy": "ACTIVE_PASSIVE", "replicas": ["a2", "a3"],
                   "vantage_points": ["a1"]},
                  {"name": "seen-from-b", "strategy": "ACTIVE_PASSIVE", "replicas": ["b2", "b3"],
                   "vantage_points": ["b1"]}]}"#,
            std::path::Path::new("t.json"),
        )
        .unwrap();
        let registry = FaultRegistry::new(&scenario.faults);
        let mut replication = Replication::new(&scenario, &registry, 0, None);
        let woken = |replication: &mut Replication, node: usize| {
            replication.crash(NodeId::new(node), FaultTag(registry.scheduled));
            let woken = replication.unaccounted.clone();
            replication.account_instant();
            woken
        };
        // a4 (node 3) is a replica of own-a2 and a router for seen-from-a.
        assert_eq!(woken(&mut replication, 3), [1, 2]);
        // a1 (node 0) is a replica of own-a and the vantage of seen-from-a.
        assert_eq!(woken(&mut replication, 0), [0, 2]);
        // b4 (node 7) routes only for seen-from-b.
        assert_eq!(woken(&mut replication, 7), [3]);
    }

    /// The Byzantine and gray counters were `u16` like the network's down causes: 65,536
    /// overlapping faults wrapped them and the node behaved again.
    #[test]
    fn byzantine_and_gray_flags_survive_65_536_overlapping_faults() {
        let scenario = crate::compile::load_str(
            r#"{"horizon": "1h", "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}]},
                "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a", "b", "c", "d"]}],
                "faults": {"scheduled": [{"at": "1m", "fault": {"byzantine": {"nodes": ["a"]}}}]}}"#,
            std::path::Path::new("t.json"),
        )
        .unwrap();
        let registry = FaultRegistry::new(&scenario.faults);
        let tag = FaultTag(registry.scheduled);
        let mut replication = Replication::new(&scenario, &registry, 0, None);
        let overlapping = 65_536 + 2;
        for byzantine in [true, false] {
            let flag = |r: &Replication| {
                if byzantine {
                    r.byzantine_flags[0]
                } else {
                    r.gray_flags[0]
                }
            };
            for _ in 0..overlapping {
                replication.set_behaviour(&[NodeId::new(0)], byzantine, true, tag);
                assert!(flag(&replication));
            }
            for _ in 0..overlapping - 1 {
                replication.set_behaviour(&[NodeId::new(0)], byzantine, false, tag);
                assert!(flag(&replication), "byzantine {byzantine}");
            }
            replication.set_behaviour(&[NodeId::new(0)], byzantine, false, tag);
            assert!(!flag(&replication));
        }
    }
}
