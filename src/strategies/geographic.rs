//! GEOGRAPHIC: replicas grouped by region; the region DNS points at serves, a global
//! traffic manager moves DNS to a backup region when that region fails, and clients
//! follow when their cached record expires (DESIGN §4).
//!
//! **Inside a region** the replicas are active-active behind per-vantage load
//! balancers: one [`ReplicaPool`] per region, the mechanism of ACTIVE_ACTIVE. An
//! ejection is a failover of its own (an instance failover) when the region carries its
//! vantage's traffic; the loss of a region's last replica is a region failover, recorded
//! once below, so the ejection that leaves nothing serving ends without a record
//! ([`LastReplica::Covered`]). The two kinds stay apart in the records: an ejection
//! names no `to`, a region failover names the new region's first replica.
//!
//! **Traffic manager.** `traffic_manager_probers` probers stand where the clients stand
//! (prober `i` at vantage point `i mod V`) and probe every region with the service's
//! detection parameters (each prober and region at the configured phase, or its own
//! uniform one). A probe goes through the region's load balancer for that vantage, as a
//! client request would, and is a message: it is answered by the replica in rotation
//! there nearest the prober (the shortest round trip over mean latencies, from the
//! prober's node to the replica and back; the first in priority order among equals)
//! that is up and reachable both ways (health checks pass on gray replicas), so a region
//! that comes back counts as up once its load balancer has readmitted a replica. Like
//! any health check ([`HealthMonitor`]) the probe fails when its round trip exceeds the
//! detection `timeout` (with fixed latencies no replica in rotation then answers in
//! time), it is lost with the loss of a degraded link between the prober and that
//! replica, drawn per probe, and over jittered links each probe draws its round trip
//! from the streams of its own two messages (named by the service, the prober, the two
//! nodes, the direction and the sending instant). With fixed latencies and no loss
//! nothing is drawn. A prober at the global vantage sits nowhere: its probes take no
//! time and are never lost. Each region is checked by one
//! [`HealthMonitor`] whose target `i` is the region as prober `i` sees it, so the probers
//! follow the same rule, lazy or explicit, as every other health check; a prober whose
//! own node is down sends nothing and keeps its beliefs. The traffic manager declares a
//! region down when ⌊p/2⌋+1 probers have declared it down, and up again when fewer than
//! that still do.
//!
//! **Failover.** When the region DNS points at is declared down: the failover mode's
//! delay, then DNS points at the first region in priority order, other than the failed
//! one, that the traffic manager believes up (none: `NoHealthyTarget`, and the failover
//! waits, spending no retry, for a region to come back). The DNS update itself is
//! immediate, so the failover timeout never applies; propagation is the clients'
//! business. Data loss is the cross-region replication lag at the fault (`replication`).
//!
//! **Clients.** Each vantage point stands for `clients` clients. Client `c` re-resolves
//! the name every `dns_ttl` at its own uniform phase, so after a DNS change its residual
//! TTL is uniform in `[0, ttl)` and it follows at its next re-resolution. A vantage is
//! served by the regions its clients point at, each client by its own: its served
//! fraction is the mean over its clients of their region's served fraction for it. So it
//! is DEGRADED while some clients have switched and some still point at the dead region,
//! and while the region they use runs short of capacity. Demand is split evenly over
//! vantages and clients, so a backup region's load grows as clients arrive.
//!
//! **Records.** One per region failover attempt. `completed_at` is when the switch is
//! fully propagated: the last simulated client's re-resolution. A single client thus
//! lives through detection + decision + a residual TTL of ttl/2 on average; the spread
//! across clients shows in the vantage accounting (DOWN until the first client follows,
//! DEGRADED until the last). The outcome (DESIGN §6) is `Success` when the new region
//! serves clients while the failed one still does not answer them all, however short of
//! capacity (the shortfall shows in the served fraction, as with an ACTIVE_ACTIVE
//! ejection); `Superseded` when the failed region answers every vantage again, or is
//! declared up before DNS moved; `TargetUnreachable` when the new region serves no
//! client, or is declared down before the switch has propagated (retried after the
//! backoff: the new region's failure is this failover's, not a new one);
//! `NoHealthyTarget` when it waited for a region to come back; `Declined` when a human said no. `from` and `to` name the first replica
//! of each region.
//!
//! **Failback** is automatic, as with DNS failover routing: DNS always names the
//! highest-priority region the traffic manager believes up, so once a preferred region
//! is declared up again (the healthy threshold) DNS points back at it at once, with no
//! decision delay and no record, and clients follow as their records expire.

use super::active_active::vantage_observers;
use super::detection::{HealthMonitor, MonitorTimer};
use super::failover::{data_loss, decide, Decision, Failover, FailoverAttempt, Replication};
use super::params::geographic::Params;
use super::pool::{LastReplica, PoolTimer, ReplicaPool};
use super::spec::ServiceSpec;
use super::{Address, Context, Outcome, Stimulus, Strategy, StrategyTimer, View};
use crate::core::generation::Generation;
use crate::core::rng::KeyParts;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::Observer;
use crate::net::topology::{NodeId, Topology};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A GEOGRAPHIC timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeographicTimer {
    /// A timer of the replica pool of region `region` (index in priority order).
    Pool {
        /// The region.
        region: u32,
        /// The pool's own timer.
        timer: PoolTimer,
    },
    /// A timer of the traffic manager's health monitor of region `region`.
    Monitor {
        /// The region.
        region: u32,
        /// The monitor's own timer.
        timer: MonitorTimer,
    },
    /// The failover mode's decision on a region failover is in (also: a retry).
    DnsDecided(Generation),
    /// A client re-resolves the name and follows DNS.
    ClientResolved {
        /// The client, indexed by `vantage * clients + client`.
        client: u32,
        /// The DNS generation at scheduling: a later switch makes it stale.
        token: Generation,
    },
    /// The last client has followed a DNS switch: the attempt's record is due.
    Propagated {
        /// The switch, numbered in the order they started.
        sequence: u32,
    },
}

/// Where the pool of region `g` sends its timers.
fn pool_address(g: usize) -> impl Address<PoolTimer> {
    move |timer| {
        StrategyTimer::Geographic(GeographicTimer::Pool {
            region: g as u32,
            timer,
        })
    }
}

/// Where the traffic manager's monitor of region `g` sends its timers.
fn monitor_address(g: usize) -> impl Address<MonitorTimer> {
    move |timer| {
        StrategyTimer::Geographic(GeographicTimer::Monitor {
            region: g as u32,
            timer,
        })
    }
}

/// A region failover in progress.
#[derive(Clone, Debug)]
struct RegionFailover {
    attempt: FailoverAttempt,
    from: usize,
    declined: bool,
    data_loss: Nanos,
}

/// The GEOGRAPHIC strategy for one service.
pub(crate) struct Geographic {
    vantages: Vec<Observer>,
    /// One pool per region, in priority order (primary first).
    pools: Vec<ReplicaPool>,
    demand: f64,
    failover: Failover,
    replication: Replication,
    /// Probers per region; prober `p` stands at vantage point `p mod V`.
    probers_per_region: usize,
    /// One per region: its target `p` is the region as prober `p` sees it.
    monitors: Vec<HealthMonitor>,
    /// What names the probers' probes (with the prober's number) over jittered links.
    probe_identity: KeyParts,
    /// Per region and prober (`g * probers + p`): the network epoch and the replica its
    /// probes reached when its monitor last heard what they find.
    probed: Vec<Option<(u64, Option<NodeId>)>>,
    /// The traffic manager's belief per region.
    region_up: Vec<bool>,
    /// The region DNS names.
    dns: usize,
    dns_generation: Generation,
    ttl: Nanos,
    /// Clients per vantage point.
    clients: usize,
    /// Re-resolution phase of each client, indexed by `vantage * clients + client`.
    client_phase: Vec<Nanos>,
    /// The region each client's cached record names.
    pointed: Vec<usize>,
    /// How many clients of each vantage point name each region, indexed by
    /// `vantage * regions + region`: kept as clients re-resolve, so that neither a
    /// region's demand nor the served share is a count over every client.
    pointing: Vec<u32>,
    /// The vantage points sorted, each with its index, to find a vantage without a scan.
    vantage_index: Vec<(Observer, usize)>,
    /// For each vantage point, the first of the vantage points equal to it: the one
    /// whose clients [`Strategy::served`] reports, by index.
    first_equal: Vec<u32>,
    attempt: Option<RegionFailover>,
    /// A failover that ran out of retries waits here for a region to come back.
    waiting: Option<RegionFailover>,
    generation: Generation,
    /// Switches whose propagation is still running: (sequence, attempt, target region).
    propagating: Vec<(u32, RegionFailover, usize)>,
    next_propagation: u32,
    /// Vantage points whose served fraction may have changed since the engine last
    /// accounted them ([`Strategy::changed_vantages`]), unless all of them may have.
    changed: Vec<u32>,
    all_changed: bool,
}

/// The first instant at or after `t` of the series `phase + k · period`.
fn first_at_or_after(phase: Nanos, period: Nanos, t: SimTime) -> SimTime {
    if t.0 <= phase {
        return SimTime(phase);
    }
    let periods = (t.0 - phase).div_ceil(period);
    SimTime(phase.saturating_add(periods.saturating_mul(period)))
}

impl Geographic {
    /// Builds the strategy; probe and client phases come from `phase_rng`.
    pub(crate) fn new(
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
        phase_rng: &mut ChaCha8Rng,
    ) -> Self {
        let vantages = vantage_observers(spec);
        let pools: Vec<ReplicaPool> = params
            .regions
            .iter()
            .map(|&region| {
                let members = spec
                    .replicas
                    .iter()
                    .copied()
                    .filter(|&r| topology.nodes[r.index()].region == region)
                    .collect();
                let pool = &params.pool;
                let covered = LastReplica::Covered;
                ReplicaPool::new(members, &vantages, spec, pool, topology, covered, phase_rng)
            })
            .collect();
        let probers_per_region = params.traffic_manager_probers.max(1) as usize;
        let regions = pools.len();
        let monitors = (0..pools.len())
            .map(|_| HealthMonitor::new(probers_per_region, &spec.detection, phase_rng))
            .collect();
        let ttl = params.dns_ttl;
        let clients = params.clients.max(1) as usize;
        let client_phase = (0..vantages.len() * clients)
            .map(|_| {
                if ttl > 0 {
                    phase_rng.random_range(0..ttl)
                } else {
                    0
                }
            })
            .collect();
        let mut pointing = vec![0; vantages.len() * pools.len()];
        for v in 0..vantages.len() {
            // Every client starts out resolved to the first region.
            pointing[v * pools.len()] = clients as u32;
        }
        let mut vantage_index: Vec<(Observer, usize)> = vantages.iter().copied().zip(0..).collect();
        vantage_index.sort_unstable();
        let first_equal = (vantages.iter())
            .map(|&vantage| {
                let found = vantage_index.partition_point(|&(observer, _)| observer < vantage);
                vantage_index[found].1 as u32
            })
            .collect();
        let mut strategy = Geographic {
            first_equal,
            pointed: vec![0; vantages.len() * clients],
            pointing,
            vantage_index,
            region_up: vec![true; pools.len()],
            vantages,
            pools,
            demand: spec.demand,
            failover: spec.failover.clone(),
            replication: spec.replication.clone(),
            probers_per_region,
            monitors,
            probe_identity: KeyParts::of(&["traffic_manager_probe", spec.name.as_str()]),
            probed: vec![None; regions * probers_per_region],
            dns: 0,
            dns_generation: Generation::default(),
            ttl,
            clients,
            client_phase,
            attempt: None,
            waiting: None,
            generation: Generation::default(),
            propagating: Vec::new(),
            next_propagation: 0,
            changed: Vec::new(),
            all_changed: true,
        };
        for v in 0..strategy.vantages.len() {
            for g in 0..strategy.pools.len() {
                strategy.share_demand(v, g);
            }
        }
        strategy
    }

    /// Gives region `g`'s load balancer at vantage `v` the demand of the clients there
    /// whose record names `g`.
    fn share_demand(&mut self, v: usize, g: usize) {
        let per_client = self.demand / self.pointed.len() as f64;
        let count = self.pointing[v * self.pools.len() + g];
        self.pools[g].set_share(v, per_client * f64::from(count));
    }

    /// The served fraction of the clients of vantage point `v`.
    fn served_by(&self, v: usize) -> f64 {
        let regions = self.pools.len();
        let mine = &self.pointing[v * regions..(v + 1) * regions];
        // Each client is served by the region its cached record names. Counts are exact
        // in f64, so every region serving fully gives exactly 1.0.
        let mut served = 0.0;
        for (pool, &count) in self.pools.iter().zip(mine) {
            if count > 0 {
                served += f64::from(count) * pool.served(v);
            }
        }
        served / self.clients as f64
    }

    /// A client's cached record now names region `to`.
    fn resolve(&mut self, client: usize, to: usize) {
        let from = std::mem::replace(&mut self.pointed[client], to);
        if from != to {
            let v = client / self.clients;
            let regions = self.pools.len();
            self.pointing[v * regions + from] -= 1;
            self.pointing[v * regions + to] += 1;
            self.share_demand(v, from);
            self.share_demand(v, to);
        }
    }

    /// Tells each region's monitor what its probers' probes find now.
    fn refresh_probers(&mut self, ctx: &mut Context) {
        for (g, monitor) in self.monitors.iter_mut().enumerate() {
            for p in 0..self.probers_per_region {
                let site = p % self.vantages.len();
                let address = monitor_address(g);
                match self.vantages[site] {
                    // The global vantage sits nowhere: its probes take no time and are
                    // never lost, so only whether some replica in rotation is up counts.
                    None => {
                        let answering = self.pools[g].answers(&ctx.view, site);
                        monitor.observe(p, answering, 0.0, ctx, address);
                    }
                    // A prober down or paused probes nothing and keeps its beliefs.
                    Some(node) if !ctx.view.network.answers(node) => {}
                    vantage => {
                        let replica = self.pools[g].probed_replica(&ctx.view, site);
                        // What the probes find changes only with the network or the
                        // replica they reach.
                        let looked_up = Some((ctx.view.network.epoch(), replica));
                        let last = &mut self.probed[g * self.probers_per_region + p];
                        if std::mem::replace(last, looked_up) == looked_up {
                            continue;
                        }
                        let identity =
                            || self.probe_identity.clone().then((p as u32).to_le_bytes());
                        monitor.refresh_target(p, vantage, replica, identity, ctx, address);
                    }
                }
            }
        }
    }

    /// A prober's belief about region `g` changed: the traffic manager recounts.
    fn on_prober_declared(&mut self, g: usize, ctx: &mut Context) {
        let per_region = self.probers_per_region;
        let monitor = &self.monitors[g];
        let down = (0..per_region).filter(|&p| !monitor.believed_up(p)).count();
        let up = down < per_region / 2 + 1;
        if up != self.region_up[g] {
            self.region_up[g] = up;
            self.on_region_declared(g, up, ctx);
        }
    }

    fn on_region_declared(&mut self, g: usize, up: bool, ctx: &mut Context) {
        if !up {
            if g != self.dns {
                return;
            }
            if let Some(index) = self.propagating.iter().position(|p| p.2 == g) {
                // The region DNS is moving to failed before clients got there: that
                // switch failed, and its failover goes on (no new one starts).
                let (_, attempt, to) = self.propagating.remove(index);
                self.target_unreachable(attempt, to, ctx);
            } else if self.attempt.is_none() && self.waiting.is_none() {
                self.begin(g, ctx);
            }
            return;
        }
        let open_from = self
            .attempt
            .as_ref()
            .or(self.waiting.as_ref())
            .map(|open| open.from);
        if open_from == Some(g) {
            // The failed region is back before a switch completed: the failover is
            // superseded, and DNS points back at it if a failed switch moved it away.
            if let Some(open) = self.attempt.take().or_else(|| self.waiting.take()) {
                self.generation.bump();
                let from = self.first_replica(open.from);
                ctx.record(open.attempt.superseded(ctx.now, from, None));
            }
            if g < self.dns {
                self.switch_dns(g, ctx);
            }
        } else if let Some(waiting) = self.waiting.take() {
            // A region is back: the failover that found none tries again.
            self.attempt = Some(waiting);
            self.generation.bump();
            self.on_decide(ctx);
        } else if self.attempt.is_none() && g < self.dns {
            self.switch_dns(g, ctx);
        }
    }

    fn begin(&mut self, g: usize, ctx: &mut Context) {
        let monitor = &self.monitors[g];
        let fault_at = (0..self.probers_per_region)
            .filter(|&p| !monitor.believed_up(p))
            .map(|p| monitor.changed_at(p))
            .min()
            .unwrap_or(ctx.now);
        let lost = data_loss(&self.replication, ctx.rng);
        let (delay, declined) = match decide(&self.failover, ctx.rng) {
            Decision::Proceed(delay) => (delay, false),
            Decision::Declined(delay) => (delay, true),
        };
        let fault = self.pools[g].silencing_fault(&ctx.view);
        self.attempt = Some(RegionFailover {
            attempt: FailoverAttempt::detected(fault, fault_at, ctx.now),
            from: g,
            declined,
            data_loss: lost,
        });
        let token = self.generation.bump();
        let decided = StrategyTimer::Geographic(GeographicTimer::DnsDecided(token));
        ctx.schedule(ctx.now.after(delay), decided);
    }

    fn on_decide(&mut self, ctx: &mut Context) {
        let Some(mut attempt) = self.attempt.take() else {
            return;
        };
        attempt.attempt.decided_at = ctx.now;
        let from = attempt.from;
        if attempt.declined {
            let (record, _) = attempt.attempt.fail(
                Outcome::Declined,
                &self.failover,
                ctx.now,
                self.first_replica(from),
                None,
            );
            ctx.record(record);
            return;
        }
        let Some(to) = (0..self.pools.len()).find(|&g| g != from && self.region_up[g]) else {
            // No region to move to: wait for one, or the failed one, to come back.
            let record = attempt.attempt.no_target(
                Outcome::NoHealthyTarget,
                ctx.now,
                self.first_replica(from),
            );
            ctx.record(record);
            self.waiting = Some(attempt);
            return;
        };
        let completed = self.switch_dns(to, ctx);
        let sequence = self.next_propagation;
        self.next_propagation += 1;
        self.propagating.push((sequence, attempt, to));
        let propagated = StrategyTimer::Geographic(GeographicTimer::Propagated { sequence });
        ctx.schedule(completed, propagated);
    }

    /// Points DNS at region `to`; returns when the last client will have followed.
    fn switch_dns(&mut self, to: usize, ctx: &mut Context) -> SimTime {
        self.dns = to;
        let token = self.dns_generation.bump();
        let mut last = ctx.now;
        for (client, &phase) in self.client_phase.iter().enumerate() {
            let at = if self.ttl == 0 {
                ctx.now
            } else {
                first_at_or_after(phase, self.ttl, ctx.now)
            };
            last = last.max(at);
            let resolved = GeographicTimer::ClientResolved {
                client: client as u32,
                token,
            };
            ctx.schedule(at, StrategyTimer::Geographic(resolved));
        }
        last
    }

    /// Whether region `g` answers every vantage point that is up, as clients find it.
    fn region_answers(&self, g: usize, view: &View) -> bool {
        (0..self.vantages.len()).all(|b| {
            self.vantages[b].is_some_and(|n| !view.network.is_up(n))
                || self.pools[g].answers(view, b)
        })
    }

    /// The switch is propagated: it succeeded if the new region serves some clients
    /// while the failed region still does not answer them all; `Superseded` if it does
    /// again; `TargetUnreachable` (retried) if the new region serves no client.
    fn on_propagated(&mut self, sequence: u32, ctx: &mut Context) {
        let Some(index) = self.propagating.iter().position(|p| p.0 == sequence) else {
            return;
        };
        let (_, attempt, to) = self.propagating.remove(index);
        let (from, target) = (self.first_replica(attempt.from), self.first_replica(to));
        let failed_back = self.region_answers(attempt.from, &ctx.view);
        let reached = (0..self.vantages.len()).any(|b| self.pools[to].serves_any(&ctx.view, b));
        if failed_back || reached {
            // Data is lost once clients have moved to the region behind by the lag.
            let record =
                attempt
                    .attempt
                    .complete(ctx.now, failed_back, from, target, attempt.data_loss);
            ctx.record(record);
            return;
        }
        self.target_unreachable(attempt, to, ctx);
    }

    /// The switch of `attempt` to region `to` serves no client: `TargetUnreachable`,
    /// retried after the backoff unless another failover is open (DNS has moved on).
    fn target_unreachable(&mut self, mut attempt: RegionFailover, to: usize, ctx: &mut Context) {
        let (from, target) = (self.first_replica(attempt.from), self.first_replica(to));
        let outcome = Outcome::TargetUnreachable;
        if self.attempt.is_some() || self.waiting.is_some() {
            let record = attempt.attempt.fail_finally(outcome, ctx.now, from, target);
            ctx.record(record);
            return;
        }
        let (record, retry) = attempt
            .attempt
            .fail(outcome, &self.failover, ctx.now, from, target);
        ctx.record(record);
        if let Some(wait) = retry {
            self.attempt = Some(attempt);
            let token = self.generation.bump();
            let decided = StrategyTimer::Geographic(GeographicTimer::DnsDecided(token));
            ctx.schedule(ctx.now.after(wait), decided);
        }
    }

    /// Records every region failover still open at the horizon, and the ejections.
    fn on_horizon(&mut self, ctx: &mut Context) {
        if let Some(open) = self.attempt.take().or_else(|| self.waiting.take()) {
            let from = self.first_replica(open.from);
            ctx.record(open.attempt.unfinished(ctx.now, from, None));
        }
        for (_, open, to) in std::mem::take(&mut self.propagating) {
            let (from, to) = (self.first_replica(open.from), self.first_replica(to));
            ctx.record(open.attempt.unfinished(ctx.now, from, to));
        }
        for pool in &mut self.pools {
            pool.on_horizon(ctx);
        }
    }

    /// The first replica of region `g`, which names the region in records.
    fn first_replica(&self, g: usize) -> Option<crate::core::ids::NodeId> {
        self.pools[g].replicas().first().copied()
    }

    fn on_timer(&mut self, timer: GeographicTimer, ctx: &mut Context) {
        match timer {
            GeographicTimer::Pool { region, timer } => {
                let g = region as usize;
                self.pools[g].on_timer(timer, ctx, pool_address(g));
                // Only that load balancer's routes change (an overload: a crash to come).
                match timer.balancer() {
                    Some(b) => self.changed.push(b),
                    None => self.all_changed = true,
                }
            }
            GeographicTimer::Monitor { region, timer } => {
                let g = region as usize;
                if self.monitors[g]
                    .on_timer(timer, ctx, monitor_address(g))
                    .is_some()
                {
                    self.on_prober_declared(g, ctx);
                }
            }
            GeographicTimer::DnsDecided(token) => {
                if self.generation.is_current(token) {
                    self.on_decide(ctx);
                }
            }
            GeographicTimer::ClientResolved { client, token } => {
                if self.dns_generation.is_current(token) {
                    self.resolve(client as usize, self.dns);
                    self.changed.push(client / self.clients as u32);
                }
            }
            GeographicTimer::Propagated { sequence } => self.on_propagated(sequence, ctx),
        }
    }
}

impl Strategy for Geographic {
    type Timer = GeographicTimer;

    fn handle(&mut self, stimulus: Stimulus<GeographicTimer>, ctx: &mut Context) {
        // Timers change no node, link or partition, so what load balancers' probes find
        // changes only with other stimuli; a timer changes what a few vantages see.
        let world_changed = !matches!(stimulus, Stimulus::Timer(_));
        self.all_changed |= world_changed;
        match stimulus {
            Stimulus::Start => {
                for (g, pool) in self.pools.iter_mut().enumerate() {
                    pool.start(ctx, pool_address(g));
                }
                for (g, monitor) in self.monitors.iter_mut().enumerate() {
                    monitor.start(ctx, monitor_address(g));
                }
            }
            Stimulus::Timer(timer) => self.on_timer(timer, ctx),
            Stimulus::Horizon => {
                self.on_horizon(ctx);
                return;
            }
            other => {
                for pool in &mut self.pools {
                    pool.note(&other, ctx.now);
                }
            }
        }
        if world_changed {
            for (g, pool) in self.pools.iter_mut().enumerate() {
                pool.refresh(ctx, pool_address(g));
            }
        }
        self.refresh_probers(ctx);
        for (g, pool) in self.pools.iter_mut().enumerate() {
            // An overload that changes changes what every vantage is served.
            self.all_changed |= pool.rebalance(ctx, pool_address(g));
        }
    }

    fn changed_vantages(&mut self, out: &mut Vec<u32>) -> bool {
        if std::mem::take(&mut self.all_changed) {
            self.changed.clear();
            return false;
        }
        out.append(&mut self.changed);
        true
    }

    fn served(&self, _view: &View, vantage: Observer) -> f64 {
        // The first of equal observers has the lowest index, as a scan would find.
        let found = self
            .vantage_index
            .partition_point(|&(observer, _)| observer < vantage);
        let Some(&(observer, v)) = self.vantage_index.get(found) else {
            return 0.0;
        };
        if observer != vantage {
            return 0.0;
        }
        self.served_by(v)
    }

    fn served_at(&self, _view: &View, index: usize, _vantage: Observer) -> f64 {
        self.served_by(self.first_equal[index] as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::{Harness, MS};
    use super::*;
    use crate::core::ids::NodeId;

    /// One region of one replica, so a declared region failure finds no healthy target:
    /// one prober probes it every second at phase 0, and three failed probes (each known
    /// 500 ms after it is sent) declare it down.
    fn one_region(probing: &str) -> Harness {
        let service = format!(
            r#"{{
            "name": "api", "strategy": "GEOGRAPHIC",
            "detection": {{"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 1, "phase": "0s", "probing": "{probing}"}},
            "geographic": {{"traffic_manager_probers": 1}}
        }}"#
        );
        Harness::new(&[0], MS, 5 * MS, &service)
    }

    /// When the traffic manager declared the region down, per record.
    fn detections(harness: &Harness) -> Vec<SimTime> {
        harness.records.iter().map(|r| r.detected_at).collect()
    }

    #[test]
    fn a_region_back_before_the_deciding_probe_is_not_declared_down() {
        for probing in ["lazy", "explicit"] {
            let mut harness = one_region(probing);
            // Probes at 11 s and 12 s fail; the one at 13 s, which would have been the
            // third failure, finds the region back.
            harness.crash(NodeId::new(0), SimTime(10_200 * MS));
            harness.repair(NodeId::new(0), SimTime(12_500 * MS));
            harness.run_until(SimTime(60_000 * MS));
            assert!(
                harness.records.is_empty(),
                "{probing}: {:?}",
                harness.records
            );
        }
    }

    #[test]
    fn a_region_that_flaps_between_two_probes_is_declared_down_on_time() {
        for probing in ["lazy", "explicit"] {
            let mut harness = one_region(probing);
            // Back from 11.3 s to 11.7 s, between the probes of 11 s and 12 s: no probe
            // sees it, so the probes of 11, 12 and 13 s are three failures in a row and
            // the region is declared down when the third is known, at 13.5 s (not at
            // 14.5 s, three probes after it failed again).
            harness.crash(NodeId::new(0), SimTime(10_200 * MS));
            harness.repair(NodeId::new(0), SimTime(11_300 * MS));
            harness.crash(NodeId::new(0), SimTime(11_700 * MS));
            harness.run_until(SimTime(60_000 * MS));
            assert_eq!(
                detections(&harness).first(),
                Some(&SimTime(13_500 * MS)),
                "{probing}"
            );
            assert!(harness
                .records
                .iter()
                .all(|r| r.outcome == Outcome::NoHealthyTarget));
        }
    }
}
