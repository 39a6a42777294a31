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
//! **Records.** One per ejection attempt, from that vantage's load balancer: `fault_at`
//! is when the replica stopped answering it, `detected_at` the declaration,
//! `decided_at` the end of the mode delay, `completed_at` the ejection. The outcome is
//! `Success` if the replicas left can carry the vantage's share without overload,
//! otherwise `CapacityExceeded`. No data is lost: every replica serves the same state.
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

/// Load factors within this of 1 count as exactly full: shares like 2/3 + 2/3 + 2/3
/// must not read as an overload through rounding.
const SLACK: f64 = 1e-9;

/// An ejection in progress at one load balancer.
#[derive(Clone, Debug)]
struct Ejection {
    attempt: FailoverAttempt,
    declined: bool,
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
    /// Demand this vantage brings, in capacity units.
    share: f64,
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
    overload_generation: Vec<Generation>,
    last_down: Vec<(FaultTag, SimTime)>,
    network_cause: FaultTag,
}

impl ReplicaPool {
    /// A pool of `replicas` seen from `vantages`, all in rotation and with no share of
    /// demand yet. Probe phases come from `phase_rng`.
    pub(crate) fn new(
        replicas: Vec<NodeId>,
        vantages: &[Observer],
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
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
                share: 0.0,
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
            overload_generation: vec![Generation::default(); n],
            last_down: vec![(FaultTag::default(), SimTime::ZERO); n],
            network_cause: FaultTag::default(),
        }
    }

    /// The replicas, in priority order.
    pub(crate) fn replicas(&self) -> &[NodeId] {
        &self.replicas
    }

    /// Sets the demand that the clients of vantage `index` bring to this pool.
    pub(crate) fn set_share(&mut self, index: usize, share: f64) {
        self.balancers[index].share = share;
    }

    /// Whether any vantage sends demand to this pool.
    pub(crate) fn carries_traffic(&self) -> bool {
        self.balancers.iter().any(|b| b.share > 0.0)
    }

    /// Whether a request from vantage `b` through its load balancer reaches a replica:
    /// one in rotation there that is up and reachable (gray ones answer too).
    pub(crate) fn answers(&self, view: &View, b: usize) -> bool {
        let lb = &self.balancers[b];
        (0..self.replicas.len())
            .any(|r| lb.routed[r] && view.reachable(lb.vantage, self.replicas[r]))
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
    /// own node is down probes nothing and keeps its last beliefs.
    pub(crate) fn refresh(&mut self, ctx: &mut Context, address: impl Address<PoolTimer>) {
        for (b, lb) in self.balancers.iter_mut().enumerate() {
            if lb.vantage.is_some_and(|v| !ctx.view.network.is_up(v)) {
                continue;
            }
            let monitor = monitor_address(b, address);
            lb.health.refresh(lb.vantage, &self.replicas, ctx, monitor);
        }
    }

    /// Handles one of the pool's timers; returns the record of an ejection attempt that ended.
    pub(crate) fn on_timer(
        &mut self,
        timer: PoolTimer,
        ctx: &mut Context,
        address: impl Address<PoolTimer>,
    ) -> Option<FailoverRecord> {
        match timer {
            PoolTimer::Overloaded { replica, token } => {
                self.on_overloaded(replica as usize, token, ctx);
                None
            }
            PoolTimer::Monitor { balancer, timer } => {
                let b = balancer as usize;
                let monitor = monitor_address(b, address);
                let declaration = self.balancers[b].health.on_timer(timer, ctx, monitor);
                if let Some(declaration) = declaration {
                    self.on_declaration(b, declaration, ctx, address);
                }
                None
            }
            PoolTimer::Decided {
                balancer,
                replica,
                token,
            } => {
                let (b, r) = self.current(balancer, replica, token)?;
                self.on_decided(b, r, ctx, address)
            }
            PoolTimer::Ejected {
                balancer,
                replica,
                token,
            } => {
                let (b, r) = self.current(balancer, replica, token)?;
                let ejection = self.balancers[b].ejecting[r].take()?;
                self.balancers[b].routed[r] = false;
                let outcome = if self.carries(&ctx.view, b) {
                    Outcome::Success
                } else {
                    Outcome::CapacityExceeded
                };
                Some(self.record(r, &ejection, outcome, ctx.now))
            }
            PoolTimer::TimedOut {
                balancer,
                replica,
                token,
            } => {
                let (b, r) = self.current(balancer, replica, token)?;
                let mut ejection = self.balancers[b].ejecting[r].take()?;
                let record = self.record(r, &ejection, Outcome::TimedOut, ctx.now);
                if let Some(wait) = ejection.attempt.retry(&self.failover) {
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
                Some(record)
            }
            PoolTimer::Readmitted {
                balancer,
                replica,
                token,
            } => {
                let (b, r) = self.current(balancer, replica, token)?;
                let lb = &mut self.balancers[b];
                lb.readmitting[r] = false;
                lb.routed[r] = true;
                None
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
        let lb = &mut self.balancers[b];
        if lb.ejecting[r].take().is_some() {
            // Back before the ejection finished: it never left rotation.
            lb.generation[r].bump();
        }
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
    ) -> Option<FailoverRecord> {
        let ejection = self.balancers[b].ejecting[r].as_mut()?;
        ejection.attempt.decided_at = ctx.now;
        if ejection.declined {
            let ejection = self.balancers[b].ejecting[r].take()?;
            return Some(self.record(r, &ejection, Outcome::Declined, ctx.now));
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
        None
    }

    fn record(
        &self,
        r: usize,
        ejection: &Ejection,
        outcome: Outcome,
        now: SimTime,
    ) -> FailoverRecord {
        // Every replica serves the same state: an ejection loses no data.
        let from = Some(self.replicas[r]);
        ejection.attempt.record(now, outcome, from, None, 0)
    }

    /// Whether balancer `b` routes to replica `r` and `r` serves its vantage.
    fn serving(&self, view: &View, b: usize, r: usize) -> bool {
        let lb = &self.balancers[b];
        lb.routed[r] && view.serves(lb.vantage, self.replicas[r])
    }

    /// Load factor of every replica for the current routing, shares and world.
    fn loads(&self, view: &View) -> Vec<f64> {
        let mut load = vec![0.0; self.replicas.len()];
        for (b, lb) in self.balancers.iter().enumerate() {
            if lb.share <= 0.0 {
                continue;
            }
            let serving: Vec<usize> = (0..self.replicas.len())
                .filter(|&r| self.serving(view, b, r))
                .collect();
            let capacity: f64 = serving.iter().map(|&r| self.capacity[r]).sum();
            if capacity <= 0.0 {
                continue;
            }
            // Spread in proportion to capacity: every serving replica gets share/capacity per unit.
            for r in serving {
                if self.capacity[r] > 0.0 {
                    load[r] += lb.share / capacity;
                }
            }
        }
        load
    }

    /// Whether the replicas balancer `b` uses can carry its share without overload.
    fn carries(&self, view: &View, b: usize) -> bool {
        let load = self.loads(view);
        let serving: Vec<usize> = (0..self.replicas.len())
            .filter(|&r| self.serving(view, b, r))
            .collect();
        let capacity: f64 = serving.iter().map(|&r| self.capacity[r]).sum();
        capacity > 0.0 && serving.iter().all(|&r| load[r] <= 1.0 + SLACK)
    }

    /// Whether every vantage that sends demand here is carried without overload.
    pub(crate) fn carries_all(&self, view: &View) -> bool {
        (0..self.balancers.len())
            .filter(|&b| self.balancers[b].share > 0.0)
            .all(|b| self.carries(view, b))
    }

    /// Recomputes load factors and (re)arms overload failures; call after any change.
    pub(crate) fn rebalance(&mut self, ctx: &mut Context, address: impl Address<PoolTimer>) {
        let load = self.loads(&ctx.view);
        for (r, &x) in load.iter().enumerate() {
            if (x - self.load[r]).abs() <= f64::EPSILON * x.max(1.0) {
                continue;
            }
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
    pub(crate) fn served(&self, view: &View, b: usize) -> f64 {
        let lb = &self.balancers[b];
        let (mut routed, mut serving, mut weighted) = (0.0, 0.0, 0.0);
        let mut short = false;
        for r in 0..self.replicas.len() {
            if !lb.routed[r] {
                continue;
            }
            let capacity = self.capacity[r];
            routed += capacity;
            if !view.serves(lb.vantage, self.replicas[r]) {
                short |= capacity > 0.0;
                continue;
            }
            serving += capacity;
            let x = self.load[r];
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

/// Where the health monitor of load balancer `b` sends its timers: through the pool.
fn monitor_address(b: usize, pool: impl Address<PoolTimer>) -> impl Address<MonitorTimer> {
    move |timer| {
        pool(PoolTimer::Monitor {
            balancer: b as u32,
            timer,
        })
    }
}
