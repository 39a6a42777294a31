//! A pool of active replicas behind load balancers: the ACTIVE_ACTIVE mechanism of
//! DESIGN §4, shared by ACTIVE_ACTIVE (one pool) and GEOGRAPHIC (one pool per region).
//!
//! **Load balancers.** Every vantage point has its own load balancer. It health-checks
//! the replicas from where the vantage stands (a [`HealthMonitor`] whose detector is the
//! vantage, so a partition is seen as the clients see it) and routes only to the
//! replicas it believes healthy. A down declaration starts an *ejection*: the failover
//! mode's decision ([`decide`]), then the `lb_update` delay. An ejection whose
//! `lb_update` exceeds the failover timeout fails as `TimedOut` and is retried after the
//! backoff; once retries run out the replica stays in rotation until it recovers. An up
//! declaration (the healthy threshold) readmits the replica after another `lb_update`.
//!
//! **Load.** Each load balancer carries a share of the demand, set by the pool's owner.
//! It spreads that share over the replicas that it routes to *and* that serve it (up,
//! reachable from the vantage, not gray), in proportion to capacity: a request that
//! lands on a replica that does not answer fails and is retried on the others, so they
//! take the whole share at once. A replica's load factor is x = load / capacity.
//!
//! **What a vantage sees** is its served fraction (DESIGN §3): requests spread over the
//! replicas in rotation by capacity; those routed to a replica that fails them (between
//! a crash and its ejection, to a gray node for as long as it stays gray, to a replica
//! across a partition until ejection) fail, and an overloaded replica (x > 1) serves
//! 1/x of its requests. DOWN when nothing it routes to serves it, UP when every request
//! is served; with one vantage UP is exactly "serving capacity ≥ demand and nothing
//! dead in rotation".
//!
//! **Failovers.** An ejection is a failover (DESIGN §6), recorded by that vantage's
//! load balancer if it carries demand: `fault_at` is when the replica stopped answering
//! it, `detected_at` the declaration, `decided_at` the end of the mode delay,
//! `completed_at` the ejection. It succeeds when the replica leaves rotation while it
//! still does not answer and what is left in rotation serves the vantage, however
//! short of capacity (the shortfall shows in the served fraction). It is `Superseded`
//! when the replica is declared up first, or answers again when it leaves rotation. An
//! ejection that leaves nothing serving waits as `NoHealthyTarget` ([`LastReplica`]):
//! until the replica is declared up (`Superseded`), or until another replica serves;
//! then `Superseded` if that one came back from the same fault event (the fault and the
//! instant that silenced both), else `NoHealthyTarget`: the service waited for a repair.
//! A declined ejection ends as `Declined`; one whose `lb_update` runs past the failover
//! timeout is retried, then ends `TimedOut`. No data is lost: every replica serves the
//! same state.
//!
//! **Overload cascade.** While a replica's x > 1 it fails after an exponential time with
//! mean `mean_time_to_fail / (x − 1)` (redrawn whenever x changes, which the memoryless
//! law allows; cancelled through a generation token when the overload ends), through
//! [`Command::CrashNode`] with a repair time drawn from `overload_cascade.repair`.

use super::detection::{Declaration, HealthMonitor, MonitorTimer};
use super::failover::{decide, Decision, Failover, FailoverAttempt};
use super::params::active_active::{OverloadCascade, Params};
use super::spec::ServiceSpec;
use super::{Address, Command, Context, FailoverRecord, FaultTag, Outcome, Stimulus, View};
use crate::core::duration::Duration;
use crate::core::generation::Generation;
use crate::core::time::{nanos_to_secs, secs_to_nanos, SimTime};
use crate::net::network::Observer;
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::distribution::Distribution;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// A replica pool's timer. `balancer` indexes the load balancers (one per vantage),
/// `replica` the pool's replicas; `token` is the generation at scheduling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolTimer {
    /// A load balancer's health check of its replicas.
    Monitor {
        /// The load balancer whose monitor it is.
        balancer: u32,
        /// The monitor's own timer.
        timer: MonitorTimer,
    },
    /// The failover mode has decided on an ejection.
    Decided {
        /// The load balancer.
        balancer: u32,
        /// The replica being ejected.
        replica: u32,
        /// The replica's generation at that load balancer.
        token: Generation,
    },
    /// The `lb_update` of an ejection is done: the replica leaves rotation.
    Ejected {
        /// The load balancer.
        balancer: u32,
        /// The replica ejected.
        replica: u32,
        /// The replica's generation at that load balancer.
        token: Generation,
    },
    /// An ejection ran past the failover timeout.
    TimedOut {
        /// The load balancer.
        balancer: u32,
        /// The replica being ejected.
        replica: u32,
        /// The replica's generation at that load balancer.
        token: Generation,
    },
    /// A replica declared up is back in rotation.
    Readmitted {
        /// The load balancer.
        balancer: u32,
        /// The replica readmitted.
        replica: u32,
        /// The replica's generation at that load balancer.
        token: Generation,
    },
    /// An overloaded replica fails.
    Overloaded {
        /// The replica.
        replica: u32,
        /// Its overload generation at scheduling.
        token: Generation,
    },
}

impl PoolTimer {
    /// The load balancer the timer belongs to, if it is one load balancer's.
    pub(crate) fn balancer(&self) -> Option<u32> {
        match *self {
            PoolTimer::Monitor { balancer, .. }
            | PoolTimer::Decided { balancer, .. }
            | PoolTimer::Ejected { balancer, .. }
            | PoolTimer::TimedOut { balancer, .. }
            | PoolTimer::Readmitted { balancer, .. } => Some(balancer),
            PoolTimer::Overloaded { .. } => None,
        }
    }
}

/// Load factors within this of 1 count as exactly full: shares like 2/3 + 2/3 + 2/3
/// must not read as an overload through rounding.
const SLACK: f64 = 1e-9;

/// An ejection at one load balancer: a failover from the replica to the others.
#[derive(Clone, Debug)]
struct Ejection {
    attempt: FailoverAttempt,
    declined: bool,
    /// Its records are written: the load balancer carried demand when it began.
    recorded: bool,
    /// Done, but nothing else in rotation served: it waits for a replica to serve.
    waiting: bool,
}

/// What becomes of an ejection that leaves its load balancer nothing that serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LastReplica {
    /// It waits, as `NoHealthyTarget`, for a replica to serve again (ACTIVE_ACTIVE).
    Waits,
    /// The owner's failover covers the loss (GEOGRAPHIC's region failover): it ends
    /// without a record of its own.
    Covered,
}

/// The load balancer of one vantage point.
#[derive(Clone, Debug)]
struct Balancer {
    vantage: Observer,
    health: HealthMonitor,
    /// Whether each replica is in rotation.
    routed: Vec<bool>,
    ejecting: Vec<Option<Ejection>>,
    readmitting: Vec<bool>,
    /// Per replica; a timer whose token differs is stale.
    generation: Vec<Generation>,
    /// Per replica: the fault that last silenced it here, and when (a fault event).
    silenced: Vec<(FaultTag, SimTime)>,
    /// Demand this vantage brings, in capacity units.
    share: f64,
    /// The replica a probe through this load balancer reaches
    /// ([`ReplicaPool::probed_replica`]) and the network epoch it was found in; None
    /// when the rotation changed since.
    probed: Option<(u64, Option<NodeId>)>,
}

/// Active replicas behind one load balancer per vantage point.
#[derive(Clone, Debug)]
pub(crate) struct ReplicaPool {
    replicas: Vec<NodeId>,
    capacity: Vec<f64>,
    balancers: Vec<Balancer>,
    failover: Failover,
    lb_update: Distribution,
    cascade: Option<OverloadCascade>,
    /// Load factor of each replica as of the last [`ReplicaPool::rebalance`].
    load: Vec<f64>,
    /// Room for the load factors a rebalance recounts, kept so that a recount
    /// allocates nothing.
    recounted: Vec<f64>,
    overload_generation: Vec<Generation>,
    last_down: Vec<(FaultTag, SimTime)>,
    network_cause: FaultTag,
    last_replica: LastReplica,
    /// Ejections waiting for a replica to serve, over all load balancers.
    waiting: usize,
    /// Whether some load factor of [`Self::load`] exceeds 1 (beyond the slack).
    overloaded: bool,
    /// What bounds every load factor without computing them: see [`LoadBound`].
    bound: LoadBound,
}

/// An upper bound on every replica's load factor, kept as shares and routes change so
/// that most events need not recount the load of every load balancer. A replica's load
/// factor is a sum of share / serving capacity over the load balancers that route to it,
/// so it is at most that sum over every load balancer with a share, which is a sum over
/// the few distinct serving capacities of (their shares' sum) / capacity.
#[derive(Clone, Debug, Default)]
struct LoadBound {
    /// Each load balancer's serving capacity, as [`ReplicaPool::count_loads`] sums it.
    capacity: Vec<f64>,
    /// Whether each load balancer routes to each replica and the replica serves its
    /// vantage, indexed `balancer * replicas + replica`, read when the capacities were:
    /// the load factors and served fractions read it rather than ask the network again.
    serving: Vec<bool>,
    /// Load balancers whose capacity may have changed (a route changed).
    stale: Vec<u32>,
    /// Every capacity may have changed (the world did).
    all_stale: bool,
    /// Per serving capacity (by its bits), the load balancers with a share and that
    /// capacity: how many, and the sum of their shares in units of 2⁻⁶⁴ rounded down,
    /// exact in integers however often shares change (floats would drift).
    groups: BTreeMap<u64, (u32, i128)>,
    /// Load balancers whose share is too large for those units (≥ 2⁶²): no bound.
    huge: u32,
}

/// 2⁶⁴: the units of [`LoadBound::groups`]' sums are 1 / this.
const SHARE_SCALE: f64 = 18_446_744_073_709_551_616.0;

impl ReplicaPool {
    /// A pool of `replicas` seen from `vantages`, all in rotation and with no share of
    /// demand yet; `last_replica` says what becomes of an ejection that leaves nothing
    /// serving. Probe phases come from `phase_rng`.
    pub(crate) fn new(
        replicas: Vec<NodeId>,
        vantages: &[Observer],
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
        last_replica: LastReplica,
        phase_rng: &mut ChaCha8Rng,
    ) -> Self {
        let n = replicas.len();
        let balancers = vantages
            .iter()
            .map(|&vantage| Balancer {
                vantage,
                health: HealthMonitor::new(n, &spec.detection, phase_rng),
                routed: vec![true; n],
                ejecting: vec![None; n],
                readmitting: vec![false; n],
                generation: vec![Generation::default(); n],
                silenced: vec![(FaultTag::default(), SimTime::ZERO); n],
                share: 0.0,
                probed: None,
            })
            .collect();
        ReplicaPool {
            capacity: replicas
                .iter()
                .map(|&r| topology.nodes[r.index()].capacity)
                .collect(),
            replicas,
            balancers,
            failover: spec.failover.clone(),
            lb_update: params.lb_update.clone(),
            cascade: params.overload_cascade.clone(),
            load: vec![0.0; n],
            recounted: Vec::with_capacity(n),
            overload_generation: vec![Generation::default(); n],
            last_down: vec![(FaultTag::default(), SimTime::ZERO); n],
            network_cause: FaultTag::default(),
            last_replica,
            waiting: 0,
            overloaded: false,
            bound: LoadBound {
                capacity: vec![0.0; vantages.len()],
                serving: vec![false; vantages.len() * n],
                all_stale: true,
                ..LoadBound::default()
            },
        }
    }

    /// The replicas, in priority order.
    pub(crate) fn replicas(&self) -> &[NodeId] {
        &self.replicas
    }

    /// Sets the demand that the clients of vantage `index` bring to this pool.
    pub(crate) fn set_share(&mut self, index: usize, share: f64) {
        let old = std::mem::replace(&mut self.balancers[index].share, share);
        let capacity = self.bound.capacity[index];
        self.count_in_bound(old, capacity, false);
        self.count_in_bound(share, capacity, true);
    }

    /// Adds (`add`) or removes a load balancer of this share and serving capacity in
    /// [`LoadBound::groups`], if it carries load.
    fn count_in_bound(&mut self, share: f64, capacity: f64, add: bool) {
        if share <= 0.0 || capacity <= 0.0 {
            return;
        }
        let bound = &mut self.bound;
        if share >= SHARE_SCALE / 4.0 {
            bound.huge = if add { bound.huge + 1 } else { bound.huge - 1 };
            return;
        }
        // Exact: a power-of-two scale, then truncation (rounding down).
        let units = (share * SHARE_SCALE) as i128;
        let group = bound.groups.entry(capacity.to_bits()).or_insert((0, 0));
        if add {
            *group = (group.0 + 1, group.1 + units);
        } else {
            *group = (group.0 - 1, group.1 - units);
            if group.0 == 0 {
                bound.groups.remove(&capacity.to_bits());
            }
        }
    }

    /// Reads which replicas serve load balancer `b` now, and returns its serving
    /// capacity, summed as [`ReplicaPool::count_loads`] does.
    fn serving_capacity(&mut self, view: &View, b: usize) -> f64 {
        let n = self.replicas.len();
        for r in 0..n {
            self.bound.serving[b * n + r] = self.serving(view, b, r);
        }
        let serving = &self.bound.serving[b * n..(b + 1) * n];
        (0..n)
            .filter(|&r| serving[r])
            .map(|r| self.capacity[r])
            .sum()
    }

    /// Brings the serving capacities of [`LoadBound`] up to date.
    fn update_bound(&mut self, view: &View) {
        if std::mem::take(&mut self.bound.all_stale) {
            self.bound.stale.clear();
            for b in 0..self.balancers.len() {
                self.update_capacity(view, b);
            }
            return;
        }
        let mut stale = std::mem::take(&mut self.bound.stale);
        for &b in &stale {
            self.update_capacity(view, b as usize);
        }
        stale.clear();
        self.bound.stale = stale;
    }

    /// Brings load balancer `b`'s serving capacity in [`LoadBound`] up to date.
    fn update_capacity(&mut self, view: &View, b: usize) {
        let capacity = self.serving_capacity(view, b);
        let old = std::mem::replace(&mut self.bound.capacity[b], capacity);
        if old.to_bits() != capacity.to_bits() {
            let share = self.balancers[b].share;
            self.count_in_bound(share, old, false);
            self.count_in_bound(share, capacity, true);
        }
    }

    /// Whether every load factor is surely within 1 (and the slack): the bound of
    /// [`LoadBound`], each group's sum rounded up by one unit per load balancer and the
    /// whole padded for the rounding of these few float operations, is within 1 and half
    /// the slack; the other half covers the rounding of the sums in
    /// [`ReplicaPool::count_loads`] (relative 2⁻⁵² per load balancer).
    fn surely_within_capacity(&self) -> bool {
        if self.bound.huge > 0 {
            return false;
        }
        let bound: f64 = (self.bound.groups.iter())
            .map(|(&capacity, &(count, units))| {
                (units + i128::from(count)) as f64 / SHARE_SCALE / f64::from_bits(capacity)
            })
            .sum();
        bound * (1.0 + 1e-12) <= 1.0 + SLACK / 2.0
    }

    /// Whether a request from vantage `b` through its load balancer reaches a replica:
    /// one in rotation there that is up and reachable (gray ones answer too).
    pub(crate) fn answers(&self, view: &View, b: usize) -> bool {
        let lb = &self.balancers[b];
        (0..self.replicas.len())
            .any(|r| lb.routed[r] && view.reachable(lb.vantage, self.replicas[r]))
    }

    /// The replica that answers a probe sent from vantage `b` through its load balancer:
    /// of the replicas in rotation there that the probe reaches and whose answer comes
    /// back (gray ones answer too), the one with the shortest round trip over mean
    /// latencies, the first in priority order among equals; None if there is none (or
    /// the vantage is the global one, which sits nowhere: see [`ReplicaPool::answers`]).
    pub(crate) fn probed_replica(&mut self, view: &View, b: usize) -> Option<NodeId> {
        let network = view.network;
        // It changes only with the network or the rotation.
        if let Some((epoch, probed)) = self.balancers[b].probed {
            if epoch == network.epoch() {
                return probed;
            }
        }
        let probed = self.find_probed_replica(view, b);
        self.balancers[b].probed = Some((network.epoch(), probed));
        probed
    }

    /// [`ReplicaPool::probed_replica`], looked for.
    fn find_probed_replica(&self, view: &View, b: usize) -> Option<NodeId> {
        let lb = &self.balancers[b];
        let vantage = lb.vantage?;
        let network = view.network;
        (0..self.replicas.len())
            .filter(|&r| lb.routed[r])
            .map(|r| self.replicas[r])
            .filter_map(|replica| {
                let there = network.latency(Some(vantage), replica)?;
                let back = network.latency(Some(replica), vantage)?;
                Some((there.saturating_add(back), replica))
            })
            .min_by_key(|&(round_trip, _)| round_trip)
            .map(|(_, replica)| replica)
    }

    /// Remembers what took replicas down or changed the network, for records.
    pub(crate) fn note<T>(&mut self, stimulus: &Stimulus<T>, now: SimTime) {
        match *stimulus {
            Stimulus::NodeDown { node, cause } => {
                for (index, &replica) in self.replicas.iter().enumerate() {
                    if replica == node {
                        self.last_down[index] = (cause, now);
                    }
                }
            }
            Stimulus::NetworkChanged { cause } => self.network_cause = cause,
            _ => {}
        }
    }

    /// The fault that stopped replica `index` from answering: its crash, or the network.
    fn fault_of(&self, view: &View, index: usize) -> FaultTag {
        if view.network.is_up(self.replicas[index]) {
            self.network_cause
        } else {
            self.last_down[index].0
        }
    }

    /// The fault that silenced the pool as a whole: the network if a replica is still
    /// up, otherwise the crash of the last replica to go down.
    pub(crate) fn silencing_fault(&self, view: &View) -> FaultTag {
        let mut latest: Option<(SimTime, FaultTag)> = None;
        for (index, &replica) in self.replicas.iter().enumerate() {
            if view.network.is_up(replica) {
                return self.network_cause;
            }
            let (cause, at) = self.last_down[index];
            if latest.is_none_or(|(t, _)| at >= t) {
                latest = Some((at, cause));
            }
        }
        latest.map_or(self.network_cause, |(_, cause)| cause)
    }

    /// Starts the load balancers' health checks (explicit probing schedules probes).
    pub(crate) fn start(&mut self, ctx: &mut Context, address: impl Address<PoolTimer>) {
        for (b, lb) in self.balancers.iter_mut().enumerate() {
            lb.health.start(ctx, monitor_address(b, address));
        }
    }

    /// Re-reads which replicas answer each load balancer's probes. A load balancer whose
    /// own node is down or paused probes nothing and keeps its last beliefs.
    pub(crate) fn refresh(&mut self, ctx: &mut Context, address: impl Address<PoolTimer>) {
        self.bound.all_stale = true;
        for (b, lb) in self.balancers.iter_mut().enumerate() {
            if lb.vantage.is_some_and(|v| !ctx.view.network.answers(v)) {
                continue;
            }
            let monitor = monitor_address(b, address);
            lb.health.refresh(lb.vantage, &self.replicas, ctx, monitor);
        }
    }

    /// Handles one of the pool's timers.
    pub(crate) fn on_timer(
        &mut self,
        timer: PoolTimer,
        ctx: &mut Context,
        address: impl Address<PoolTimer>,
    ) {
        match timer {
            PoolTimer::Overloaded { replica, token } => {
                self.on_overloaded(replica as usize, token, ctx);
            }
            PoolTimer::Monitor { balancer, timer } => {
                let b = balancer as usize;
                let monitor = monitor_address(b, address);
                let declaration = self.balancers[b].health.on_timer(timer, ctx, monitor);
                if let Some(declaration) = declaration {
                    self.on_declaration(b, declaration, ctx, address);
                }
            }
            PoolTimer::Decided {
                balancer,
                replica,
                token,
            } => {
                if let Some((b, r)) = self.current(balancer, replica, token) {
                    self.on_decided(b, r, ctx, address);
                }
            }
            PoolTimer::Ejected {
                balancer,
                replica,
                token,
            } => {
                if let Some((b, r)) = self.current(balancer, replica, token) {
                    self.on_ejected(b, r, ctx);
                }
            }
            PoolTimer::TimedOut {
                balancer,
                replica,
                token,
            } => {
                let Some((b, r)) = self.current(balancer, replica, token) else {
                    return;
                };
                let Some(mut ejection) = self.balancers[b].ejecting[r].take() else {
                    return;
                };
                let from = Some(self.replicas[r]);
                let (record, retry) =
                    ejection
                        .attempt
                        .fail(Outcome::TimedOut, &self.failover, ctx.now, from, None);
                emit(&ejection, record, ctx);
                if let Some(wait) = retry {
                    let lb = &mut self.balancers[b];
                    lb.ejecting[r] = Some(ejection);
                    let token = lb.generation[r].bump();
                    let decided = PoolTimer::Decided {
                        balancer,
                        replica,
                        token,
                    };
                    ctx.schedule(ctx.now.after(wait), address(decided));
                }
            }
            PoolTimer::Readmitted {
                balancer,
                replica,
                token,
            } => {
                if let Some((b, r)) = self.current(balancer, replica, token) {
                    let lb = &mut self.balancers[b];
                    lb.readmitting[r] = false;
                    lb.routed[r] = true;
                    lb.probed = None;
                    self.bound.stale.push(balancer);
                }
            }
        }
    }

    /// The (load balancer, replica) indices of an ejection timer, if it is not stale.
    fn current(&self, balancer: u32, replica: u32, token: Generation) -> Option<(usize, usize)> {
        let (b, r) = (balancer as usize, replica as usize);
        self.balancers[b].generation[r]
            .is_current(token)
            .then_some((b, r))
    }

    fn on_declaration(
        &mut self,
        b: usize,
        declaration: Declaration,
        ctx: &mut Context,
        address: impl Address<PoolTimer>,
    ) {
        let r = declaration.target;
        if !declaration.up {
            let fault = self.fault_of(&ctx.view, r);
            let lb = &mut self.balancers[b];
            lb.silenced[r] = (fault, declaration.changed_at);
            if std::mem::take(&mut lb.readmitting[r]) {
                // Down again before it was back in rotation: it simply stays out.
                lb.generation[r].bump();
            }
            if !lb.routed[r] || lb.ejecting[r].is_some() {
                return;
            }
            let (delay, declined) = match decide(&self.failover, ctx.rng) {
                Decision::Proceed(delay) => (delay, false),
                Decision::Declined(delay) => (delay, true),
            };
            lb.ejecting[r] = Some(Ejection {
                attempt: FailoverAttempt::detected(fault, declaration.changed_at, ctx.now),
                declined,
                // Clients that bring no demand here live through no failover.
                recorded: lb.share > 0.0,
                waiting: false,
            });
            let token = lb.generation[r].bump();
            let decided = PoolTimer::Decided {
                balancer: b as u32,
                replica: r as u32,
                token,
            };
            ctx.schedule(ctx.now.after(delay), address(decided));
            return;
        }
        let from = Some(self.replicas[r]);
        let lb = &mut self.balancers[b];
        if let Some(ejection) = lb.ejecting[r].take() {
            // Back before the ejection finished (it never left rotation) or while the
            // ejection waited for another replica to serve: superseded.
            lb.generation[r].bump();
            self.waiting -= usize::from(ejection.waiting);
            emit(
                &ejection,
                ejection.attempt.superseded(ctx.now, from, None),
                ctx,
            );
        }
        let lb = &mut self.balancers[b];
        if !lb.routed[r] && !lb.readmitting[r] {
            lb.readmitting[r] = true;
            let token = lb.generation[r].bump();
            let update = self.lb_update.sample(ctx.rng);
            let readmitted = PoolTimer::Readmitted {
                balancer: b as u32,
                replica: r as u32,
                token,
            };
            ctx.schedule(ctx.now.after(update), address(readmitted));
        }
    }

    fn on_decided(
        &mut self,
        b: usize,
        r: usize,
        ctx: &mut Context,
        address: impl Address<PoolTimer>,
    ) {
        let Some(ejection) = self.balancers[b].ejecting[r].as_mut() else {
            return;
        };
        ejection.attempt.decided_at = ctx.now;
        if ejection.declined {
            let Some(mut ejection) = self.balancers[b].ejecting[r].take() else {
                return;
            };
            let from = Some(self.replicas[r]);
            let (record, _) =
                ejection
                    .attempt
                    .fail(Outcome::Declined, &self.failover, ctx.now, from, None);
            emit(&ejection, record, ctx);
            return;
        }
        let update = self.lb_update.sample(ctx.rng);
        let timeout = self.failover.timeout;
        let token = self.balancers[b].generation[r].bump();
        let (balancer, replica) = (b as u32, r as u32);
        if update > timeout {
            let timed_out = PoolTimer::TimedOut {
                balancer,
                replica,
                token,
            };
            ctx.schedule(ctx.now.after(timeout), address(timed_out));
        } else {
            let ejected = PoolTimer::Ejected {
                balancer,
                replica,
                token,
            };
            ctx.schedule(ctx.now.after(update), address(ejected));
        }
    }

    /// Replica `r` leaves balancer `b`'s rotation: the ejection succeeds if what is left
    /// serves while `r` still does not answer.
    fn on_ejected(&mut self, b: usize, r: usize, ctx: &mut Context) {
        let Some(mut ejection) = self.balancers[b].ejecting[r].take() else {
            return;
        };
        self.balancers[b].routed[r] = false;
        self.balancers[b].probed = None;
        self.bound.stale.push(b as u32);
        let from = Some(self.replicas[r]);
        let back = ctx
            .view
            .reachable(self.balancers[b].vantage, self.replicas[r]);
        if back || self.serves_any(&ctx.view, b) {
            emit(
                &ejection,
                ejection.attempt.complete(ctx.now, back, from, None, 0),
                ctx,
            );
            return;
        }
        match self.last_replica {
            LastReplica::Waits => {
                let record = ejection
                    .attempt
                    .no_target(Outcome::NoHealthyTarget, ctx.now, from);
                emit(&ejection, record, ctx);
                ejection.waiting = true;
                self.waiting += 1;
                self.balancers[b].ejecting[r] = Some(ejection);
            }
            LastReplica::Covered => {
                if let Some(record) = ejection.attempt.covered(ctx.now, from) {
                    emit(&ejection, record, ctx);
                }
            }
        }
    }

    /// Ends the ejections that waited for a replica to serve, once one serves: it came
    /// back from the same fault event as the ejected one (`Superseded`: what failed came
    /// back), or the service waited for another replica's repair (`NoHealthyTarget`).
    /// Call after any change in the world.
    pub(crate) fn settle(&mut self, ctx: &mut Context) {
        if self.waiting == 0 {
            return;
        }
        for b in 0..self.balancers.len() {
            if !self.serves_any(&ctx.view, b) {
                continue;
            }
            for r in 0..self.replicas.len() {
                let lb = &self.balancers[b];
                let Some(ejection) = lb.ejecting[r].as_ref().filter(|e| e.waiting) else {
                    continue;
                };
                let event = (ejection.attempt.fault, ejection.attempt.fault_at);
                let same_event = (0..self.replicas.len())
                    .any(|s| self.serving(&ctx.view, b, s) && lb.silenced[s] == event);
                let Some(ejection) = self.balancers[b].ejecting[r].take() else {
                    continue;
                };
                self.waiting -= 1;
                let from = Some(self.replicas[r]);
                let record = ejection
                    .attempt
                    .complete(ctx.now, same_event, from, None, 0);
                emit(&ejection, record, ctx);
            }
        }
    }

    /// Records every ejection still open at the horizon.
    pub(crate) fn on_horizon(&mut self, ctx: &mut Context) {
        for b in 0..self.balancers.len() {
            for r in 0..self.replicas.len() {
                if let Some(ejection) = self.balancers[b].ejecting[r].take() {
                    let from = Some(self.replicas[r]);
                    emit(
                        &ejection,
                        ejection.attempt.unfinished(ctx.now, from, None),
                        ctx,
                    );
                }
            }
        }
        self.waiting = 0;
    }

    /// Whether some replica in balancer `b`'s rotation serves its vantage.
    pub(crate) fn serves_any(&self, view: &View, b: usize) -> bool {
        (0..self.replicas.len()).any(|r| self.serving(view, b, r))
    }

    /// Whether balancer `b` routes to replica `r` and `r` serves its vantage.
    fn serving(&self, view: &View, b: usize, r: usize) -> bool {
        let lb = &self.balancers[b];
        lb.routed[r] && view.serves(lb.vantage, self.replicas[r])
    }

    /// Each replica's load factor, into `load`: every load balancer's share spread over the replicas
    /// that serve it by capacity (the capacities and serving replicas of [`LoadBound`],
    /// current here).
    fn count_loads(&self, load: &mut Vec<f64>) {
        let n = self.replicas.len();
        load.clear();
        load.resize(n, 0.0);
        let balancers = (self.balancers.iter())
            .zip(&self.bound.capacity)
            .zip(self.bound.serving.chunks_exact(n.max(1)));
        for ((lb, &capacity), serving) in balancers {
            if lb.share <= 0.0 || capacity <= 0.0 {
                continue;
            }
            let part = lb.share / capacity;
            for ((load, &own), &serves) in load.iter_mut().zip(&self.capacity).zip(serving) {
                if own > 0.0 && serves {
                    *load += part;
                }
            }
        }
    }

    /// Recounts the load factors, unless no replica can be overloaded now or before and
    /// no overload cascade draws from them: they then change nothing that anyone reads
    /// ([`ReplicaPool::served`] reads a load factor only beyond 1). Returns whether a
    /// load factor beyond 1 changed, which changes what every vantage is served.
    pub(crate) fn rebalance(
        &mut self,
        ctx: &mut Context,
        address: impl Address<PoolTimer>,
    ) -> bool {
        self.update_bound(&ctx.view);
        if self.cascade.is_none() && !self.overloaded && self.surely_within_capacity() {
            return false;
        }
        let mut load = std::mem::take(&mut self.recounted);
        self.count_loads(&mut load);
        let mut overload_changed = false;
        for (r, &x) in load.iter().enumerate() {
            if (x - self.load[r]).abs() <= f64::EPSILON * x.max(1.0) {
                continue;
            }
            overload_changed |= x > 1.0 + SLACK || self.load[r] > 1.0 + SLACK;
            self.load[r] = x;
            let token = self.overload_generation[r].bump();
            let Some(cascade) = &self.cascade else {
                continue;
            };
            if x > 1.0 + SLACK {
                let mean = secs_to_nanos(nanos_to_secs(cascade.mean_time_to_fail) / (x - 1.0));
                let wait = Distribution::Exp {
                    mean: Duration(mean),
                }
                .sample(ctx.rng);
                let overloaded = PoolTimer::Overloaded {
                    replica: r as u32,
                    token,
                };
                ctx.schedule(ctx.now.after(wait), address(overloaded));
            }
        }
        self.overloaded = self.load.iter().any(|&x| x > 1.0 + SLACK);
        self.recounted = load;
        overload_changed
    }

    fn on_overloaded(&mut self, r: usize, token: Generation, ctx: &mut Context) {
        let node = self.replicas[r];
        if !self.overload_generation[r].is_current(token) || !ctx.view.network.is_up(node) {
            return;
        }
        let Some(cascade) = &self.cascade else { return };
        self.overload_generation[r].bump();
        let repair_after = cascade.repair.sample(ctx.rng);
        ctx.out.push(Command::CrashNode { node, repair_after });
    }

    /// The served fraction of the clients of vantage `b` (loads as of the last
    /// rebalance). Its load balancer spreads requests over the replicas in rotation in
    /// proportion to capacity: those routed to a replica that does not serve the vantage
    /// fail, and a replica loaded x > 1 serves 1/x of what it gets. With one vantage this
    /// is DESIGN §3's min(1, serving capacity / demand) × (1 − share routed to dead
    /// replicas); exactly 1.0 with nothing dead or overloaded, 0.0 with nothing serving.
    ///
    /// Which replicas serve the vantage is read as of that rebalance too: the owner
    /// rebalances after every stimulus, and nothing that changes what a replica serves
    /// happens without one.
    pub(crate) fn served(&self, b: usize) -> f64 {
        let lb = &self.balancers[b];
        let n = self.replicas.len();
        let serves = &self.bound.serving[b * n..(b + 1) * n];
        let (mut routed, mut serving, mut weighted) = (0.0, 0.0, 0.0);
        let mut short = false;
        let replicas = (lb.routed.iter())
            .zip(&self.capacity)
            .zip(serves)
            .zip(&self.load);
        for (((&in_rotation, &capacity), &serves), &x) in replicas {
            if !in_rotation {
                continue;
            }
            routed += capacity;
            // Routed here, so serving as read means serving the vantage.
            if !serves {
                short |= capacity > 0.0;
                continue;
            }
            serving += capacity;
            if x > 1.0 + SLACK {
                short = true;
                weighted += capacity / x;
            } else {
                weighted += capacity;
            }
        }
        if serving <= 0.0 {
            0.0
        } else if !short {
            1.0
        } else {
            weighted / routed
        }
    }
}

/// Writes an ejection's record, if its records are written. Every replica serves the
/// same state: an ejection loses no data.
fn emit(ejection: &Ejection, record: FailoverRecord, ctx: &mut Context) {
    if ejection.recorded {
        ctx.record(record);
    }
}

/// Where the health monitor of load balancer `b` sends its timers: through the pool.
fn monitor_address(b: usize, pool: impl Address<PoolTimer>) -> impl Address<MonitorTimer> {
    move |timer| {
        pool(PoolTimer::Monitor {
            balancer: b as u32,
            timer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::network::Network;
    use crate::strategies::active_active::vantage_observers;
    use crate::strategies::StrategyParams;
    use rand::SeedableRng;

    /// The bound that spares recounting the loads answers "within capacity" exactly when
    /// the recounted loads are: 3 replicas of capacity 1 seen from 4 vantages sharing
    /// the demand evenly, all serving (capacity 3) or with one down (capacity 2).
    #[test]
    fn the_load_bound_lets_through_no_overload_that_the_loads_show() {
        let scenario = crate::compile::load_str(
            r#"{"horizon": "1h", "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"},
                  {"id": "v1", "role": "client"}, {"id": "v2", "role": "client"},
                  {"id": "v3", "role": "client"}, {"id": "v4", "role": "client"}]},
                "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"],
                              "vantage_points": ["v1", "v2", "v3", "v4"]}]}"#,
            std::path::Path::new("t.json"),
        )
        .unwrap();
        let spec = &scenario.services[0];
        let StrategyParams::ActiveActive(params) = &spec.strategy else {
            panic!("an ACTIVE_ACTIVE service");
        };
        let cases = [
            (2.0, false, true),
            (3.0, false, true),
            (3.01, false, false),
            (2.0, true, true),
            (2.01, true, false),
        ];
        for (demand, crashed, within) in cases {
            let mut network = Network::new(scenario.topology.clone());
            if crashed {
                network.crash(NodeId::new(0));
            }
            let no_flags = vec![false; scenario.topology.len()];
            let view = View {
                network: &network,
                byzantine: &no_flags,
                gray: &no_flags,
                latent: &no_flags,
            };
            let vantages = vantage_observers(spec);
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let (replicas, topology) = (spec.replicas.clone(), &scenario.topology);
            let last = LastReplica::Waits;
            let mut pool =
                ReplicaPool::new(replicas, &vantages, spec, params, topology, last, &mut rng);
            // Shares set back and forth leave the exact sums as they were.
            for b in 0..4 {
                pool.set_share(b, 0.37);
            }
            pool.update_bound(&view);
            for b in 0..4 {
                pool.set_share(b, demand / 4.0);
            }
            let case = format!("demand {demand}, a replica down: {crashed}");
            assert_eq!(pool.surely_within_capacity(), within, "{case}");
            let mut loads = Vec::new();
            pool.count_loads(&mut loads);
            let most = loads.into_iter().fold(0.0, f64::max);
            assert_eq!(most <= 1.0 + SLACK, within, "{case}: {most}");
        }
    }
}
