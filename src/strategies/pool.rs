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
//! **What a vantage sees.** DOWN when the replicas it routes to and that serve it have
//! no capacity; DEGRADED when it still routes to a replica that fails requests (between
//! a crash and its ejection, to a gray node for as long as it stays gray, to a replica
//! across a partition until ejection) or when a replica it uses is overloaded (x > 1,
//! i.e. capacity < demand); UP otherwise. With one vantage this is exactly "serving
//! capacity ≥ demand ⇒ UP".
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

use super::detection::{Declaration, HealthMonitor};
use super::failover::{backoff, decide, Decision, Failover};
use super::params::active_active::{OverloadCascade, Params};
use super::spec::ServiceSpec;
use super::{
    Command, Context, FailoverRecord, FaultTag, Outcome, ServiceState, Stimulus, Timer, View,
};
use crate::core::duration::Duration;
use crate::core::time::{nanos_to_secs, secs_to_nanos, SimTime};
use crate::net::network::Observer;
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::distribution::Distribution;
use rand_chacha::ChaCha8Rng;

// Timer kinds of a pool. Owners of pools use kinds from `OWNER_KINDS` up to the
// health monitor's (1000 and above), so a timer's kind says whose it is.
const DECIDED: u16 = 1;
const EJECTED: u16 = 2;
const TIMED_OUT: u16 = 3;
const READMITTED: u16 = 4;
const OVERLOADED: u16 = 5;

/// First timer kind free for the owner of a pool.
pub const OWNER_KINDS: u16 = 100;

/// Load factors within this of 1 count as exactly full: shares like 2/3 + 2/3 + 2/3
/// must not read as an overload through rounding.
const SLACK: f64 = 1e-9;

/// An ejection in progress at one load balancer.
#[derive(Clone, Debug)]
struct Ejection {
    fault: FaultTag,
    fault_at: SimTime,
    detected_at: SimTime,
    decided_at: SimTime,
    number: u32,
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
    generation: Vec<u32>,
    /// Demand this vantage brings, in capacity units.
    share: f64,
}

/// Active replicas behind one load balancer per vantage point.
#[derive(Clone, Debug)]
pub struct ReplicaPool {
    replicas: Vec<NodeId>,
    capacity: Vec<f64>,
    balancers: Vec<Balancer>,
    failover: Failover,
    lb_update: Distribution,
    cascade: Option<OverloadCascade>,
    /// First timer target of this pool; its targets are `base .. base + span()`.
    base: u32,
    /// Load factor of each replica as of the last [`ReplicaPool::rebalance`].
    load: Vec<f64>,
    overload_generation: Vec<u32>,
    last_down: Vec<(FaultTag, SimTime)>,
    network_cause: FaultTag,
}

impl ReplicaPool {
    /// A pool of `replicas` seen from `vantages`, all in rotation and with no share of
    /// demand yet; its timers use targets from `base` on. Probe phases come from `phase_rng`.
    pub fn new(
        replicas: Vec<NodeId>,
        vantages: &[Observer],
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
        base: u32,
        phase_rng: &mut ChaCha8Rng,
    ) -> Self {
        let n = replicas.len();
        let balancers = vantages
            .iter()
            .map(|&vantage| Balancer {
                vantage,
                health: HealthMonitor::new(vantage, &replicas, &spec.detection, phase_rng),
                routed: vec![true; n],
                ejecting: vec![None; n],
                readmitting: vec![false; n],
                generation: vec![0; n],
                share: 0.0,
            })
            .collect();
        ReplicaPool {
            capacity: replicas
                .iter()
                .map(|&r| topology.nodes[r as usize].capacity)
                .collect(),
            replicas,
            balancers,
            failover: spec.failover.clone(),
            lb_update: params.lb_update.clone(),
            cascade: params.overload_cascade.clone(),
            base,
            load: vec![0.0; n],
            overload_generation: vec![0; n],
            last_down: vec![(FaultTag::default(), SimTime::ZERO); n],
            network_cause: FaultTag::default(),
        }
    }

    /// The replicas, in priority order.
    pub fn replicas(&self) -> &[NodeId] {
        &self.replicas
    }

    /// Number of timer targets the pool uses.
    pub fn span(&self) -> u32 {
        (self.balancers.len() * self.replicas.len().max(1)) as u32
    }

    /// Whether `timer` belongs to this pool.
    pub fn owns(&self, timer: &Timer) -> bool {
        (timer.kind < OWNER_KINDS || HealthMonitor::owns(timer))
            && timer.target >= self.base
            && timer.target - self.base < self.span()
    }

    /// Sets the demand that the clients of vantage `index` bring to this pool.
    pub fn set_share(&mut self, index: usize, share: f64) {
        self.balancers[index].share = share;
    }

    /// Whether any vantage sends demand to this pool.
    pub fn carries_traffic(&self) -> bool {
        self.balancers.iter().any(|b| b.share > 0.0)
    }

    /// Whether a request from vantage `b` through its load balancer reaches a replica:
    /// one in rotation there that is up and reachable (gray ones answer too).
    pub fn answers(&self, view: &View, b: usize) -> bool {
        let lb = &self.balancers[b];
        (0..self.replicas.len())
            .any(|r| lb.routed[r] && view.reachable(lb.vantage, self.replicas[r]))
    }

    /// Remembers what took replicas down or changed the network, for records.
    pub fn note(&mut self, stimulus: &Stimulus, now: SimTime) {
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
    pub fn silencing_fault(&self, view: &View) -> FaultTag {
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
    pub fn start(&mut self, ctx: &mut Context) {
        for b in 0..self.balancers.len() {
            let first = ctx.out.len();
            self.balancers[b].health.start(ctx);
            self.tag_monitor_timers(b, first, ctx.out);
        }
    }

    /// Re-reads which replicas answer each load balancer's probes. A load balancer whose
    /// own node is down probes nothing and keeps its last beliefs.
    pub fn refresh(&mut self, ctx: &mut Context) {
        for b in 0..self.balancers.len() {
            if self.balancers[b]
                .vantage
                .is_some_and(|v| !ctx.view.network.is_up(v))
            {
                continue;
            }
            let first = ctx.out.len();
            self.balancers[b].health.refresh(ctx);
            self.tag_monitor_timers(b, first, ctx.out);
        }
    }

    /// A [`HealthMonitor`] numbers its timers by target index only; with one monitor per
    /// vantage the pool adds the balancer and its own base so the timer finds its way back.
    fn tag_monitor_timers(&self, b: usize, first: usize, out: &mut [Command]) {
        let offset = self.base + (b * self.replicas.len()) as u32;
        for command in &mut out[first..] {
            if let Command::Schedule { timer, .. } = command {
                if HealthMonitor::owns(timer) {
                    timer.target += offset;
                }
            }
        }
    }

    /// Handles one of the pool's timers; returns the record of an ejection attempt that ended.
    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Context) -> Option<FailoverRecord> {
        let local = (timer.target - self.base) as usize;
        if timer.kind == OVERLOADED {
            self.on_overloaded(local, timer.token, ctx);
            return None;
        }
        let n = self.replicas.len();
        let (b, r) = (local / n, local % n);
        if HealthMonitor::owns(&timer) {
            let first = ctx.out.len();
            let inner = Timer {
                target: r as u32,
                ..timer
            };
            let declaration = self.balancers[b].health.on_timer(inner, ctx);
            self.tag_monitor_timers(b, first, ctx.out);
            if let Some(declaration) = declaration {
                self.on_declaration(b, declaration, ctx);
            }
            return None;
        }
        if timer.token != self.balancers[b].generation[r] {
            return None;
        }
        match timer.kind {
            DECIDED => self.on_decided(b, r, ctx),
            EJECTED => {
                let ejection = self.balancers[b].ejecting[r].take()?;
                self.balancers[b].routed[r] = false;
                let outcome = if self.carries(&ctx.view, b) {
                    Outcome::Success
                } else {
                    Outcome::CapacityExceeded
                };
                Some(self.record(r, &ejection, outcome, ctx.now))
            }
            TIMED_OUT => {
                let mut ejection = self.balancers[b].ejecting[r].take()?;
                let record = self.record(r, &ejection, Outcome::TimedOut, ctx.now);
                if ejection.number < self.failover.retries {
                    ejection.number += 1;
                    let wait = backoff(&self.failover, ejection.number);
                    let lb = &mut self.balancers[b];
                    lb.ejecting[r] = Some(ejection);
                    lb.generation[r] += 1;
                    let token = lb.generation[r];
                    ctx.schedule(ctx.now.after(wait), self.timer(DECIDED, b, r, token));
                }
                Some(record)
            }
            READMITTED => {
                let lb = &mut self.balancers[b];
                lb.readmitting[r] = false;
                lb.routed[r] = true;
                None
            }
            _ => None,
        }
    }

    fn timer(&self, kind: u16, b: usize, r: usize, token: u32) -> Timer {
        Timer {
            kind,
            target: self.base + (b * self.replicas.len() + r) as u32,
            token,
        }
    }

    fn on_declaration(&mut self, b: usize, declaration: Declaration, ctx: &mut Context) {
        let r = declaration.target;
        if !declaration.up {
            let fault = self.fault_of(&ctx.view, r);
            let lb = &mut self.balancers[b];
            if std::mem::take(&mut lb.readmitting[r]) {
                // Down again before it was back in rotation: it simply stays out.
                lb.generation[r] += 1;
            }
            if !lb.routed[r] || lb.ejecting[r].is_some() {
                return;
            }
            let (delay, declined) = match decide(&self.failover, ctx.rng) {
                Decision::Proceed(delay) => (delay, false),
                Decision::Declined(delay) => (delay, true),
            };
            lb.ejecting[r] = Some(Ejection {
                fault,
                fault_at: declaration.changed_at,
                detected_at: ctx.now,
                decided_at: ctx.now,
                number: 0,
                declined,
            });
            lb.generation[r] += 1;
            let token = lb.generation[r];
            ctx.schedule(ctx.now.after(delay), self.timer(DECIDED, b, r, token));
            return;
        }
        let lb = &mut self.balancers[b];
        if lb.ejecting[r].take().is_some() {
            // Back before the ejection finished: it never left rotation.
            lb.generation[r] += 1;
        }
        if !lb.routed[r] && !lb.readmitting[r] {
            lb.readmitting[r] = true;
            lb.generation[r] += 1;
            let token = lb.generation[r];
            let update = self.lb_update.sample(ctx.rng);
            ctx.schedule(ctx.now.after(update), self.timer(READMITTED, b, r, token));
        }
    }

    fn on_decided(&mut self, b: usize, r: usize, ctx: &mut Context) -> Option<FailoverRecord> {
        let ejection = self.balancers[b].ejecting[r].as_mut()?;
        ejection.decided_at = ctx.now;
        if ejection.declined {
            let ejection = self.balancers[b].ejecting[r].take()?;
            return Some(self.record(r, &ejection, Outcome::Declined, ctx.now));
        }
        let update = self.lb_update.sample(ctx.rng);
        let timeout = self.failover.timeout;
        let lb = &mut self.balancers[b];
        lb.generation[r] += 1;
        let token = lb.generation[r];
        if update > timeout {
            ctx.schedule(ctx.now.after(timeout), self.timer(TIMED_OUT, b, r, token));
        } else {
            ctx.schedule(ctx.now.after(update), self.timer(EJECTED, b, r, token));
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
        FailoverRecord {
            fault: ejection.fault,
            fault_at: ejection.fault_at,
            detected_at: ejection.detected_at,
            decided_at: ejection.decided_at,
            completed_at: now,
            outcome,
            data_loss: 0,
            from: Some(self.replicas[r]),
            to: None,
            attempt: ejection.number,
        }
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
    pub fn carries_all(&self, view: &View) -> bool {
        (0..self.balancers.len())
            .filter(|&b| self.balancers[b].share > 0.0)
            .all(|b| self.carries(view, b))
    }

    /// Recomputes load factors and (re)arms overload failures; call after any change.
    pub fn rebalance(&mut self, ctx: &mut Context) {
        let load = self.loads(&ctx.view);
        for (r, &x) in load.iter().enumerate() {
            if (x - self.load[r]).abs() <= f64::EPSILON * x.max(1.0) {
                continue;
            }
            self.load[r] = x;
            self.overload_generation[r] += 1;
            let Some(cascade) = &self.cascade else {
                continue;
            };
            if x > 1.0 + SLACK {
                let mean = secs_to_nanos(nanos_to_secs(cascade.mean_time_to_fail) / (x - 1.0));
                let wait = Distribution::Exp {
                    mean: Duration(mean),
                }
                .sample(ctx.rng);
                let timer = Timer {
                    kind: OVERLOADED,
                    target: self.base + r as u32,
                    token: self.overload_generation[r],
                };
                ctx.schedule(ctx.now.after(wait), timer);
            }
        }
    }

    fn on_overloaded(&mut self, r: usize, token: u32, ctx: &mut Context) {
        let node = self.replicas[r];
        if token != self.overload_generation[r] || !ctx.view.network.is_up(node) {
            return;
        }
        let Some(cascade) = &self.cascade else { return };
        self.overload_generation[r] += 1;
        let repair_after = cascade.repair.sample(ctx.rng);
        ctx.out.push(Command::CrashNode { node, repair_after });
    }

    /// What the clients of vantage `b` see of this pool (loads as of the last rebalance).
    pub fn state(&self, view: &View, b: usize) -> ServiceState {
        let lb = &self.balancers[b];
        let mut capacity = 0.0;
        let mut failing = false;
        for r in 0..self.replicas.len() {
            if !lb.routed[r] {
                continue;
            }
            if view.serves(lb.vantage, self.replicas[r]) {
                capacity += self.capacity[r];
                failing |= self.load[r] > 1.0 + SLACK;
            } else {
                failing = true;
            }
        }
        if capacity <= 0.0 {
            ServiceState::Down
        } else if failing {
            ServiceState::Degraded
        } else {
            ServiceState::Up
        }
    }
}
