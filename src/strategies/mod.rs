//! Redundancy strategies behind one interface.
//!
//! A strategy sees a read-only [`View`] of the world and the stimulus that woke it, and
//! answers with [`Command`]s that the engine applies (schedule a timer, record a
//! failover, count a metric, crash a node). It never touches the queue or the clock
//! itself, so it can be tested without an engine.

pub mod active_active;
pub mod active_passive;
pub mod detection;
pub mod failover;
pub mod geographic;
pub mod n_way;
pub mod params;
pub mod pool;
pub mod spec;

pub use crate::core::record::{FailoverRecord, FaultTag, Outcome};
pub use crate::core::state::ServiceState;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Network, Observer};
use crate::net::topology::NodeId;
use crate::scenarios::check::Checker;
use crate::scenarios::model::{Service, StrategyName};
use rand_chacha::ChaCha8Rng;
use spec::ServiceSpec;

/// A strategy-defined timer: `kind` and `target` say what it is for, `token` lets the
/// strategy recognise (and ignore) timers it has since cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timer {
    /// What the timer is for (strategy-defined).
    pub kind: u16,
    /// Which replica or region it concerns (strategy-defined).
    pub target: u32,
    /// Generation at scheduling; stale when the strategy's generation has moved on.
    pub token: u32,
}

/// What wakes a strategy.
#[derive(Clone, Copy, Debug)]
pub enum Stimulus {
    /// The replication starts.
    Start,
    /// A node the service cares about went down.
    NodeDown {
        /// The node.
        node: NodeId,
        /// The fault that took it down.
        cause: FaultTag,
    },
    /// A node the service cares about came back up.
    NodeUp {
        /// The node.
        node: NodeId,
    },
    /// Reachability may have changed (partition, heal, link cut or restore).
    NetworkChanged {
        /// The fault that changed it.
        cause: FaultTag,
    },
    /// The Byzantine or gray flags of some nodes changed.
    BehaviourChanged {
        /// The fault that changed it.
        cause: FaultTag,
    },
    /// One of the strategy's timers fired.
    Timer(Timer),
}

/// What a strategy asks the engine to do.
#[derive(Clone, Debug)]
pub enum Command {
    /// Fire `timer` at `at`.
    Schedule {
        /// When.
        at: SimTime,
        /// Which timer.
        timer: Timer,
    },
    /// One failover attempt ended.
    Record(FailoverRecord),
    /// A failover happened although the primary was alive.
    UnnecessaryFailover,
    /// More replicas misbehaved than the protocol tolerates.
    SafetyViolation,
    /// The strategy's own action takes a node down (overload) for `repair_after`.
    CrashNode {
        /// The node.
        node: NodeId,
        /// How long until it is repaired.
        repair_after: Nanos,
    },
}

/// Read-only world state for strategies.
pub struct View<'a> {
    /// The network: up nodes, reachability, latency.
    pub network: &'a Network,
    /// Nodes that behave arbitrarily.
    pub byzantine: &'a [bool],
    /// Nodes that pass health checks but fail requests.
    pub gray: &'a [bool],
}

impl View<'_> {
    /// Whether `node` is up and reachable from `from`.
    pub fn reachable(&self, from: Observer, node: NodeId) -> bool {
        self.network.reachable(from, node)
    }

    /// Whether `node` serves requests correctly for a client at `from`.
    pub fn serves(&self, from: Observer, node: NodeId) -> bool {
        self.reachable(from, node) && !self.gray[node as usize]
    }

    /// Capacity of a node.
    pub fn capacity(&self, node: NodeId) -> f64 {
        self.network.topology().nodes[node as usize].capacity
    }
}

/// Everything a strategy may use while handling one stimulus.
pub struct Context<'a> {
    /// The current instant.
    pub now: SimTime,
    /// The world.
    pub view: View<'a>,
    /// The service's own random stream.
    pub rng: &'a mut ChaCha8Rng,
    /// Commands for the engine.
    pub out: &'a mut Vec<Command>,
    /// Replication index, copied into records.
    pub replication: u64,
}

impl Context<'_> {
    /// Schedules a timer.
    pub fn schedule(&mut self, at: SimTime, timer: Timer) {
        self.out.push(Command::Schedule { at, timer });
    }

    /// Emits a failover record.
    pub fn record(&mut self, record: FailoverRecord) {
        self.out.push(Command::Record(record));
    }
}

/// One redundancy strategy driving one service.
pub trait Strategy: Send {
    /// Reacts to a stimulus by pushing commands into `ctx.out`.
    fn handle(&mut self, stimulus: Stimulus, ctx: &mut Context);

    /// What a client at `vantage` sees now.
    fn state(&self, view: &View, vantage: Observer) -> ServiceState;

    /// Whether two replicas both act as primary now (counted as split-brain time).
    fn split_brain(&self, _view: &View) -> bool {
        false
    }
}

/// A service's strategy with its compiled parameters: the closed list of strategies.
#[derive(Clone, Debug)]
pub enum StrategyParams {
    /// Every healthy replica serves behind a load balancer.
    ActiveActive(params::active_active::Params),
    /// One primary, standbys promoted on failure.
    ActivePassive(params::active_passive::Params),
    /// Quorum replication with a Raft-style leader.
    NWay(params::n_way::Params),
    /// Regions with DNS failover by a global traffic manager.
    Geographic(params::geographic::Params),
}

impl StrategyParams {
    /// The strategy's name.
    pub fn name(&self) -> StrategyName {
        match self {
            StrategyParams::ActiveActive(_) => StrategyName::ActiveActive,
            StrategyParams::ActivePassive(_) => StrategyName::ActivePassive,
            StrategyParams::NWay(_) => StrategyName::NWay,
            StrategyParams::Geographic(_) => StrategyName::Geographic,
        }
    }

    /// The node whose view decides failover, if the strategy has one.
    pub fn monitor(&self) -> Option<NodeId> {
        match self {
            StrategyParams::ActivePassive(params) => params.monitor,
            _ => None,
        }
    }

    /// The load balancing of the strategy's replica pools, if it spreads load over them.
    pub fn pool(&self) -> Option<&params::active_active::Params> {
        match self {
            StrategyParams::ActiveActive(params) => Some(params),
            StrategyParams::Geographic(params) => Some(&params.pool),
            _ => None,
        }
    }
}

/// Checks every strategy block of `service` (all of them, whichever strategy it runs, in
/// this order, so a file's problems read the same whatever its strategy) and compiles
/// the one for its strategy.
pub fn compile(service: &Service, site: &params::Site, check: &mut Checker) -> StrategyParams {
    let active_active = params::active_active::compile(service, site, check);
    let active_passive = params::active_passive::compile(service, site, check);
    let n_way = params::n_way::compile(service, site, check);
    let geographic = params::geographic::compile(service, site, active_active.clone(), check);
    match service.strategy {
        StrategyName::ActiveActive => StrategyParams::ActiveActive(active_active),
        StrategyName::ActivePassive => StrategyParams::ActivePassive(active_passive),
        StrategyName::NWay => StrategyParams::NWay(n_way),
        StrategyName::Geographic => StrategyParams::Geographic(geographic),
    }
}

/// Builds the strategy object for a service.
pub fn build(
    spec: &ServiceSpec,
    topology: &crate::net::topology::Topology,
    phase_rng: &mut ChaCha8Rng,
) -> Box<dyn Strategy> {
    match &spec.strategy {
        StrategyParams::ActiveActive(params) => Box::new(active_active::ActiveActive::new(
            spec, params, topology, phase_rng,
        )),
        StrategyParams::ActivePassive(params) => Box::new(active_passive::ActivePassive::new(
            spec, params, topology, phase_rng,
        )),
        StrategyParams::NWay(params) => {
            Box::new(n_way::NWay::new(spec, params, topology, phase_rng))
        }
        StrategyParams::Geographic(params) => Box::new(geographic::Geographic::new(
            spec, params, topology, phase_rng,
        )),
    }
}
