//! Redundancy strategies behind one interface.
//!
//! A strategy sees a read-only [`View`] of the world and the stimulus that woke it, and
//! answers with [`Command`]s that the engine applies (schedule a timer, record a
//! failover, count a metric, crash a node). Its timers are its own closed enum, gathered
//! in [`StrategyTimer`]. It never touches the queue or the clock
//! itself, so it can be tested without an engine.

pub(crate) mod active_active;
pub(crate) mod active_passive;
pub(crate) mod detection;
pub(crate) mod failover;
pub(crate) mod geographic;
#[cfg(test)]
pub(crate) mod harness;
pub(crate) mod lease;
pub(crate) mod n_way;
pub(crate) mod params;
pub(crate) mod pool;
pub(crate) mod spec;

pub(crate) use crate::core::record::{FailoverRecord, FaultTag, Outcome};
pub(crate) use crate::core::state::ServiceState;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Network, Observer};
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::check::Checker;
use crate::scenarios::model::{Service, StrategyName};
use active_active::ActiveActive;
use active_passive::{ActivePassive, ActivePassiveTimer};
use geographic::{Geographic, GeographicTimer};
use n_way::{NWay, NWayTimer};
use pool::PoolTimer;
use rand_chacha::ChaCha8Rng;
use spec::ServiceSpec;

/// Where a component's timers go: its owner's way of wrapping them into a
/// [`StrategyTimer`], so that a shared component (a health monitor, a replica pool)
/// schedules typed timers without knowing who owns it.
pub(crate) trait Address<T>: Fn(T) -> StrategyTimer + Copy {}

impl<T, F: Fn(T) -> StrategyTimer + Copy> Address<T> for F {}

/// What wakes a strategy; `T` is the strategy's own timer type.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stimulus<T = StrategyTimer> {
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
    Timer(T),
    /// The horizon is reached (`now` is the horizon): failovers still open are recorded,
    /// as `Unfinished` or with the failure of their last failed attempt. Nothing may be
    /// scheduled any more.
    Horizon,
}

impl Stimulus {
    /// The same stimulus with its timer, if any, narrowed by `own` to a strategy's type.
    fn narrow<T>(self, own: impl FnOnce(StrategyTimer) -> T) -> Stimulus<T> {
        match self {
            Stimulus::Start => Stimulus::Start,
            Stimulus::NodeDown { node, cause } => Stimulus::NodeDown { node, cause },
            Stimulus::NodeUp { node } => Stimulus::NodeUp { node },
            Stimulus::NetworkChanged { cause } => Stimulus::NetworkChanged { cause },
            Stimulus::BehaviourChanged { cause } => Stimulus::BehaviourChanged { cause },
            Stimulus::Timer(timer) => Stimulus::Timer(own(timer)),
            Stimulus::Horizon => Stimulus::Horizon,
        }
    }
}

/// What a strategy asks the engine to do.
#[derive(Clone, Debug)]
pub(crate) enum Command {
    /// Fire `timer` at `at`, which is never before now.
    Schedule {
        /// When.
        at: SimTime,
        /// Which timer.
        timer: StrategyTimer,
    },
    /// One failover attempt ended.
    Record(FailoverRecord),
    /// A failover happened although the primary was alive.
    UnnecessaryFailover,
    /// More replicas misbehaved than the protocol tolerates.
    SafetyViolation,
    /// A promotion found `node`'s latent failure: the engine takes it down for repair.
    LatentFound {
        /// The node.
        node: NodeId,
    },
    /// The strategy's own action takes a node down (overload) for `repair_after`.
    CrashNode {
        /// The node.
        node: NodeId,
        /// How long until it is repaired.
        repair_after: Nanos,
    },
}

/// Read-only world state for strategies.
pub(crate) struct View<'a> {
    /// The network: up nodes, reachability, latency.
    pub network: &'a Network,
    /// Nodes that behave arbitrarily.
    pub byzantine: &'a [bool],
    /// Nodes that pass health checks but fail requests.
    pub gray: &'a [bool],
    /// Nodes with a latent failure not found yet: invisible to health checks, found by
    /// a promotion to them.
    pub latent: &'a [bool],
}

impl View<'_> {
    /// Whether `node` is up and reachable from `from`.
    pub(crate) fn reachable(&self, from: Observer, node: NodeId) -> bool {
        self.network.reachable(from, node)
    }

    /// Whether `node` serves requests correctly for a client at `from`.
    pub(crate) fn serves(&self, from: Observer, node: NodeId) -> bool {
        self.reachable(from, node) && !self.gray[node.index()]
    }
}

/// The served fraction of one serving replica of `capacity` facing all of `demand`:
/// min(1, capacity / demand), exactly 1.0 when it carries the whole demand.
pub(crate) fn capacity_fraction(capacity: f64, demand: f64) -> f64 {
    if capacity >= demand {
        1.0
    } else if capacity <= 0.0 {
        0.0
    } else {
        capacity / demand
    }
}

/// Everything a strategy may use while handling one stimulus.
pub(crate) struct Context<'a> {
    /// The current instant.
    pub now: SimTime,
    /// The world.
    pub view: View<'a>,
    /// The service's own random stream.
    pub rng: &'a mut ChaCha8Rng,
    /// Commands for the engine.
    pub out: &'a mut Vec<Command>,
}

impl Context<'_> {
    /// Schedules a timer; `at` is never before now (the engine stops a run that tries).
    pub(crate) fn schedule(&mut self, at: SimTime, timer: StrategyTimer) {
        debug_assert!(
            at >= self.now,
            "{timer:?} scheduled at {at:?}, before {:?}",
            self.now
        );
        self.out.push(Command::Schedule { at, timer });
    }

    /// Emits a failover record.
    pub(crate) fn record(&mut self, record: FailoverRecord) {
        self.out.push(Command::Record(record));
    }
}

/// One redundancy strategy driving one service.
pub(crate) trait Strategy: Send {
    /// The strategy's own timers.
    type Timer;

    /// Reacts to a stimulus by pushing commands into `ctx.out`.
    fn handle(&mut self, stimulus: Stimulus<Self::Timer>, ctx: &mut Context);

    /// The served fraction s ∈ [0, 1] of the requests of clients at `vantage` now
    /// (DESIGN §3): min(1, reachable serving capacity / demand) × (1 − share of requests
    /// still routed to dead or unreachable replicas). Exactly 1.0 when every request is
    /// served and exactly 0.0 when none is ([`ServiceState::of`] reads the state off it).
    fn served(&self, view: &View, vantage: Observer) -> f64;

    /// [`Strategy::served`] at the service's vantage point `index` (its vantage points
    /// in order, or the global client alone), which is `vantage`: a strategy that keeps
    /// its vantage points by index need not find this one.
    fn served_at(&self, view: &View, _index: usize, vantage: Observer) -> f64 {
        self.served(view, vantage)
    }

    /// Whether two replicas both act as primary now (counted as split-brain time).
    fn split_brain(&self, _view: &View) -> bool {
        false
    }

    /// Puts into `out` the vantage points (by index) whose served fraction may have
    /// changed since the engine last asked, and returns true; or returns false when any
    /// of them may have (the default: the engine then accounts every vantage point).
    fn changed_vantages(&mut self, _out: &mut Vec<u32>) -> bool {
        false
    }

    /// Whether a failover may be open, so that the horizon has one to record as
    /// `Unfinished`. The engine skips the horizon stimulus when it is not; answering
    /// `true` is always safe.
    fn failover_open(&self) -> bool {
        true
    }

    /// Hints the cache to load the memory the strategy's next event will read beyond
    /// its own value (what it keeps on the heap); see [`crate::core::prefetch`].
    fn prefetch(&self) {}
}

impl StrategyParams {
    /// The nodes, besides replicas and vantages, whose state the strategy watches: the
    /// node whose view decides failover and the node holding a lease's store, if any.
    pub fn watched_nodes(&self) -> [Option<NodeId>; 2] {
        match self {
            StrategyParams::ActivePassive(params) => [
                params.monitor,
                params.lease.as_ref().and_then(|lease| lease.store),
            ],
            _ => [None, None],
        }
    }

    /// The most demand this strategy can ever serve in full with `replicas`, and what
    /// bounds it: one replica serves at a time in ACTIVE_PASSIVE (the primary) and N_WAY
    /// (the leader), all of them together in ACTIVE_ACTIVE, one region's in GEOGRAPHIC.
    pub(crate) fn servable_capacity(
        &self,
        replicas: &[NodeId],
        topology: &Topology,
    ) -> (f64, &'static str) {
        let capacity = |node: &NodeId| topology.nodes[node.index()].capacity;
        let largest = || replicas.iter().map(capacity).fold(0.0, f64::max);
        match self {
            StrategyParams::ActivePassive(_) => (
                largest(),
                "the primary serves alone: at most the largest replica's capacity",
            ),
            StrategyParams::NWay(_) => (
                largest(),
                "the leader serves alone: at most the largest replica's capacity",
            ),
            StrategyParams::ActiveActive(_) => {
                (replicas.iter().map(capacity).sum(), "all replicas together")
            }
            StrategyParams::Geographic(params) => (
                params
                    .regions
                    .iter()
                    .map(|&region| {
                        replicas
                            .iter()
                            .filter(|node| topology.nodes[node.index()].region == region)
                            .map(capacity)
                            .sum::<f64>()
                    })
                    .fold(0.0, f64::max),
                "one region serves at a time: at most the largest region's capacity",
            ),
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
pub(crate) fn compile(
    service: &Service,
    site: &params::Site,
    check: &mut Checker,
) -> StrategyParams {
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

/// The closed list of strategies. Each line names a strategy's variant (as in
/// [`StrategyName`]), its type, how [`ServiceStrategy`] holds it (boxed, or in place
/// when it is small and common), its timer type and its compiled parameters, and
/// generates its variant of [`StrategyTimer`], [`StrategyParams`] and
/// [`ServiceStrategy`] with every arm that dispatches to it: adding a strategy adds a
/// line here, not an arm in each `match`.
macro_rules! strategies {
    ($($(#[$doc:meta])* $variant:ident: $strategy:ty, stored $stored:ty, timer $timer:ty, params $params:ty;)*) => {
        /// A timer of some strategy, as the engine stores it: each strategy's own closed
        /// set, so a timer can only be handed back to the kind of strategy that scheduled
        /// it and every `match` over what a timer means is checked for exhaustiveness.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum StrategyTimer {
            $($(#[$doc])* $variant($timer),)*
        }

        /// A service's strategy with its compiled parameters.
        #[derive(Clone, Debug)]
        pub enum StrategyParams {
            $($(#[$doc])* $variant($params),)*
        }

        /// The strategy of one service, whichever it is: the engine's one handle on
        /// strategies. The large ones are boxed, since they differ much in size;
        /// ACTIVE_PASSIVE, the small and common one, lies in the service's own slot, so
        /// that an event touches one place for it, not two.
        #[allow(clippy::large_enum_variant)] // ACTIVE_PASSIVE in place, on purpose
        pub(crate) enum ServiceStrategy {
            $($(#[$doc])* $variant($stored),)*
        }

        impl StrategyParams {
            /// The strategy's name.
            pub fn name(&self) -> StrategyName {
                match self {
                    $(StrategyParams::$variant(_) => StrategyName::$variant,)*
                }
            }
        }

        impl ServiceStrategy {
            /// Builds the strategy object for a service.
            pub(crate) fn build(
                spec: &ServiceSpec,
                topology: &crate::net::topology::Topology,
                phase_rng: &mut ChaCha8Rng,
            ) -> Self {
                match &spec.strategy {
                    $(StrategyParams::$variant(params) => ServiceStrategy::$variant(<$stored>::from(
                        <$strategy>::new(spec, params, topology, phase_rng),
                    )),)*
                }
            }

            /// Hands a stimulus to the strategy; a timer goes back to the strategy that
            /// scheduled it, since a service's queue holds only its own strategy's timers.
            pub(crate) fn handle(&mut self, stimulus: Stimulus, ctx: &mut Context) {
                match self {
                    $(ServiceStrategy::$variant(strategy) => {
                        let stimulus = stimulus.narrow(|timer| match timer {
                            StrategyTimer::$variant(timer) => timer,
                            // Another strategy's timer: the engine queues a service's
                            // timers for that service only, so this is a broken invariant.
                            #[allow(unreachable_patterns)]
                            other => unreachable!(
                                "a strategy received a timer it never scheduled: {other:?}"
                            ),
                        });
                        strategy.handle(stimulus, ctx)
                    })*
                }
            }

            /// The served fraction of the requests of clients at `vantage` now (the
            /// engine asks by index, [`ServiceStrategy::served_at`]; the harness by node).
            #[cfg(test)]
            pub(crate) fn served(&self, view: &View, vantage: Observer) -> f64 {
                match self {
                    $(ServiceStrategy::$variant(strategy) => strategy.served(view, vantage),)*
                }
            }

            /// The served fraction at the service's vantage point `index`, which is
            /// `vantage` ([`Strategy::served_at`]).
            pub(crate) fn served_at(&self, view: &View, index: usize, vantage: Observer) -> f64 {
                match self {
                    $(ServiceStrategy::$variant(strategy) => {
                        strategy.served_at(view, index, vantage)
                    })*
                }
            }

            /// Whether two replicas both act as primary now (counted as split-brain time).
            pub(crate) fn split_brain(&self, view: &View) -> bool {
                match self {
                    $(ServiceStrategy::$variant(strategy) => strategy.split_brain(view),)*
                }
            }

            /// The vantage points whose served fraction may have changed (see
            /// [`Strategy::changed_vantages`]).
            pub(crate) fn changed_vantages(&mut self, out: &mut Vec<u32>) -> bool {
                match self {
                    $(ServiceStrategy::$variant(strategy) => strategy.changed_vantages(out),)*
                }
            }

            /// Whether a failover may be open (see [`Strategy::failover_open`]).
            pub(crate) fn failover_open(&self) -> bool {
                match self {
                    $(ServiceStrategy::$variant(strategy) => strategy.failover_open(),)*
                }
            }

            /// Hints the cache to load what the strategy keeps on the heap (see
            /// [`Strategy::prefetch`]).
            pub(crate) fn prefetch(&self) {
                match self {
                    $(ServiceStrategy::$variant(strategy) => strategy.prefetch(),)*
                }
            }
        }
    };
}

strategies! {
    /// ACTIVE_ACTIVE: every healthy replica serves behind a load balancer.
    ActiveActive: ActiveActive, stored Box<ActiveActive>, timer PoolTimer, params params::active_active::Params;
    /// ACTIVE_PASSIVE: one primary, standbys promoted on failure.
    ActivePassive: ActivePassive, stored ActivePassive, timer ActivePassiveTimer, params params::active_passive::Params;
    /// N_WAY: quorum replication with a Raft-style leader (its timers include messages).
    NWay: NWay, stored Box<NWay>, timer NWayTimer, params params::n_way::Params;
    /// GEOGRAPHIC: regions with DNS failover by a global traffic manager.
    Geographic: Geographic, stored Box<Geographic>, timer GeographicTimer, params params::geographic::Params;
}
