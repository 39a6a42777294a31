//! ACTIVE_PASSIVE: one primary serves; a monitor detects its failure and promotes the
//! first eligible standby, then clients are re-routed (DESIGN §4). The primary carries
//! the whole demand alone: its served fraction is min(1, its capacity / demand).
//!
//! A monitor cut off from a live primary fails over anyway: with fencing the old
//! primary is stopped (an unnecessary failover), without it both act as primary and
//! split-brain time runs until the old primary can reach the monitor again.
//!
//! A paused primary (DESIGN §5) is lost to the monitor as a cut-off one is, and a
//! standby may take over meanwhile (an unnecessary failover: it never stopped). With
//! fencing it is stopped and rejoins as a standby when it resumes. Without, it resumes
//! believing it is still the primary: a frozen process does not know that time passed,
//! so it learns otherwise only from the monitor's first probe sent at or after the
//! resume, when that probe reaches it (one-way latency later); split-brain runs from
//! the resume until then. Paused, it acts as nothing, so no split-brain is counted
//! while it is frozen. With a lease it finds the lease taken at its first renewal, on
//! waking: no split-brain.
//!
//! With a lease ([`super::lease`]) the lease, not the probes, says when the primary is
//! lost: a failover starts when it expires (`fault_at` is when the primary stopped
//! renewing, `detected_at` the expiry), standbys must reach the store, and a primary
//! cut off from the store fences itself by demoting itself; split-brain runs from the
//! promotion until that demotion.
//!
//! **Failovers** (DESIGN §6). The loss of the primary, once declared, starts one
//! failover. It succeeds when clients are re-routed to the promoted standby while the
//! monitor still cannot reach the old primary. It is `Superseded` when the old primary
//! is declared up before a standby took over, or when the re-route completes after the
//! monitor reaches it again. With no standby to promote it records `NoHealthyTarget`
//! and waits, spending no retry, for a standby (the switch it then makes ends the
//! failover as `NoHealthyTarget`: it waited for a repair) or for the primary
//! (`Superseded`). A failed promotion, an unreachable target or a timeout is retried
//! after the backoff; once retries run out, or when a human declines, the failover has
//! failed and the primary stays down until it comes back.
//!
//! A promotion to a standby with a latent failure (invisible to the monitor) fails as
//! `PromotionFailed`; the engine is told, so that the node goes down for repair, and the
//! standby is passed over until it is up again: the retry tries the next one.

use super::detection::{Declaration, HealthMonitor, MonitorTimer};
use super::failover::{data_loss, decide, Decision, Failover, FailoverAttempt, Replication};
use super::lease::{Lease, LeaseEvent, LeaseTimer};
use super::params::active_passive::Params;
use super::spec::ServiceSpec;
use super::{
    capacity_fraction, Command, Context, FaultTag, Outcome, Stimulus, Strategy, StrategyTimer, View,
};
use crate::core::generation::Generation;
use crate::core::prefetch::prefetch_slice;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::Observer;
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::model::BothDown;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// An ACTIVE_PASSIVE timer. The steps of a failover carry the strategy's generation
/// at scheduling: a failover that ended or restarted since makes them stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivePassiveTimer {
    /// The monitor's health checks of the replicas.
    Monitor(MonitorTimer),
    /// The failover mode's decision is in (also: a retry after the backoff).
    Decide(Generation),
    /// The chosen standby has been promoted.
    Promoted(Generation),
    /// Clients have been re-routed to the new primary.
    Rerouted(Generation),
    /// The attempt ran past the failover timeout.
    TimedOut(Generation),
    /// The hold-down after the preferred replica's return is over: fail back.
    Failback,
    /// The primary's lease expired, or a primary that could not renew it demotes itself.
    Lease(LeaseTimer),
    /// The monitor's probe reaches a stale primary back from a pause: it learns that it
    /// was replaced.
    StaleTold,
}

/// Where the monitor's timers go.
fn monitor_address(timer: MonitorTimer) -> StrategyTimer {
    StrategyTimer::ActivePassive(ActivePassiveTimer::Monitor(timer))
}

/// Where the lease's timers go.
fn lease_address(timer: LeaseTimer) -> StrategyTimer {
    StrategyTimer::ActivePassive(ActivePassiveTimer::Lease(timer))
}

/// A promotion in progress.
#[derive(Clone, Debug)]
struct Attempt {
    attempt: FailoverAttempt,
    from: usize,
    target: Option<usize>,
    data_loss: Nanos,
    declined: bool,
    promotion_fails: bool,
    /// The primary was alive when it was declared down (partition or lost probes).
    false_alarm: bool,
}

/// What the strategy keeps of one replica: one allocation for all of them, not one per
/// field, since a replication builds and frees a strategy per service.
#[derive(Clone, Copy, Debug)]
struct Standing {
    /// The primary alone serves the demand with this capacity.
    capacity: f64,
    fenced: bool,
    /// Its promotion found a latent failure: passed over until it is up again after
    /// its repair, so the next attempt tries the next standby.
    passed_over: bool,
    /// The fault that last took it down, and when.
    last_cause: (FaultTag, SimTime),
}

/// The ACTIVE_PASSIVE strategy for one service.
pub(crate) struct ActivePassive {
    replicas: Vec<NodeId>,
    /// What it keeps of each replica, indexed like `replicas`.
    standing: Vec<Standing>,
    demand: f64,
    monitor: Observer,
    health: HealthMonitor,
    params: Params,
    failover: Failover,
    replication: Replication,
    primary: usize,
    routed: usize,
    stale_primary: Option<usize>,
    /// The stale primary was paused since it was replaced: back, it acts as the primary
    /// until the monitor's next probe tells it otherwise.
    stale_paused: bool,
    /// When the monitor's probe tells the resumed stale primary that it was replaced.
    stale_told_at: Option<SimTime>,
    /// The failover in progress (deciding, promoting, re-routing, or in backoff).
    attempt: Option<Attempt>,
    /// A failover that found no standby waits here for one, or the primary, to return
    /// (in place, not boxed: a single replica's every failover waits).
    waiting: Option<Attempt>,
    /// Moves on whenever a failover starts, steps or ends: its pending steps go stale.
    generation: Generation,
    network_cause: FaultTag,
    /// With lease-based detection, the lease decides when the primary is lost (the
    /// monitor's probes still judge the standbys), and a primary fences itself. Boxed:
    /// most services have none, and the strategy lies in the engine's slot for the
    /// service, which every event of the service reads.
    lease: Option<Box<Lease>>,
}

impl ActivePassive {
    /// Builds the strategy; probe phases come from `phase_rng`.
    pub(crate) fn new(
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
        phase_rng: &mut ChaCha8Rng,
    ) -> Self {
        let health = HealthMonitor::new(spec.replicas.len(), &spec.detection, phase_rng);
        // Drawn after the probe phases, so that services without a lease draw as before.
        let lease = params.lease.as_ref().map(|lease| {
            Box::new(Lease::new(
                lease,
                &spec.name,
                spec.replicas.len(),
                phase_rng,
            ))
        });
        ActivePassive {
            standing: (spec.replicas.iter())
                .map(|node| Standing {
                    capacity: topology.nodes[node.index()].capacity,
                    fenced: false,
                    passed_over: false,
                    last_cause: (FaultTag::default(), SimTime::ZERO),
                })
                .collect(),
            demand: spec.demand,
            replicas: spec.replicas.clone(),
            monitor: params.monitor,
            health,
            params: params.clone(),
            failover: spec.failover.clone(),
            replication: spec.replication.clone(),
            primary: 0,
            routed: 0,
            stale_primary: None,
            stale_paused: false,
            stale_told_at: None,
            attempt: None,
            waiting: None,
            generation: Generation::default(),
            network_cause: FaultTag::default(),
            lease,
        }
    }

    /// Schedules a failover step, made with the current generation, at `at`.
    fn schedule(&self, at: SimTime, step: fn(Generation) -> ActivePassiveTimer, ctx: &mut Context) {
        let timer = step(self.generation.token());
        ctx.schedule(at, StrategyTimer::ActivePassive(timer));
    }

    fn monitor_alive(&self, view: &View) -> bool {
        // A paused monitor probes nothing and keeps its beliefs, as a crashed one does.
        self.monitor.is_none_or(|m| view.network.answers(m))
    }

    fn on_declaration(&mut self, declaration: Declaration, ctx: &mut Context) {
        let target = declaration.target;
        if target == self.primary && self.lease.is_some() {
            // The lease, not the probes, says whether the primary is lost or back.
            return;
        }
        if !declaration.up {
            if target == self.primary {
                self.primary_lost(declaration.changed_at, ctx);
            }
            return;
        }
        if target == self.primary {
            // The primary is back before a standby took over: it simply serves again,
            // and the failover is superseded.
            if let Some(open) = self.waiting.take().or_else(|| self.attempt.take()) {
                self.generation.bump();
                let (from, to) = self.ends(&open);
                ctx.record(open.attempt.superseded(ctx.now, from, to));
            }
        } else if let Some(waiting) = self.waiting.take() {
            self.standby_back(waiting, ctx);
        }
        if target == 0 && self.primary != 0 && self.params.automatic_failback {
            let hold_down = self.params.hold_down;
            let failback = StrategyTimer::ActivePassive(ActivePassiveTimer::Failback);
            ctx.schedule(ctx.now.after(hold_down), failback);
        }
    }

    /// The primary is lost since `changed_at` (declared down, or its lease expired): a
    /// failover starts unless one is open.
    fn primary_lost(&mut self, changed_at: SimTime, ctx: &mut Context) {
        if self.attempt.is_some() || self.waiting.is_some() {
            return;
        }
        let target = self.primary;
        let node = self.replicas[target];
        let false_alarm = ctx.view.network.is_up(node);
        let fault = if false_alarm {
            self.network_cause
        } else {
            self.standing[target].last_cause.0
        };
        let attempt = Attempt {
            attempt: FailoverAttempt::detected(fault, changed_at, ctx.now),
            from: target,
            target: None,
            data_loss: data_loss(&self.replication, ctx.rng),
            declined: false,
            promotion_fails: false,
            false_alarm,
        };
        self.begin(attempt, ctx);
    }

    /// A standby may be back while the failover `waiting` found none: by default the
    /// failover tries again (a fresh promotion); with `both_down: activate` the first
    /// eligible standby becomes the primary at once.
    fn standby_back(&mut self, waiting: Attempt, ctx: &mut Context) {
        if self.params.both_down == BothDown::Promote {
            self.attempt = Some(waiting);
            self.generation.bump();
            self.on_decide(ctx);
            return;
        }
        let Some(target) = (0..self.replicas.len()).find(|&i| self.eligible(i, &ctx.view)) else {
            self.waiting = Some(waiting);
            return;
        };
        let mut open = waiting;
        open.attempt.decided_at = ctx.now;
        open.target = Some(target);
        self.generation.bump();
        self.take_over(target, ctx);
        self.routed = target;
        let (from, to) = self.ends(&open);
        // It waited for a repair: the switch ends the failover as `NoHealthyTarget`.
        ctx.record(
            open.attempt
                .complete(ctx.now, false, from, to, open.data_loss),
        );
    }

    /// Replica `target` becomes the primary now (and, with a lease, holds it).
    fn take_over(&mut self, target: usize, ctx: &mut Context) {
        self.primary = target;
        if let Some(lease) = &mut self.lease {
            lease.hand_to(target, ctx.now);
            lease.observe(self.replicas[target], ctx, lease_address);
        }
    }

    fn begin(&mut self, mut attempt: Attempt, ctx: &mut Context) {
        self.generation.bump();
        let delay = match decide(&self.failover, ctx.rng) {
            Decision::Proceed(delay) => delay,
            Decision::Declined(delay) => {
                attempt.declined = true;
                delay
            }
        };
        self.attempt = Some(attempt);
        if delay == 0 {
            // An automatic decision takes no time: deciding now is what a DECIDE timer at
            // this instant would do, without an event per failure.
            self.on_decide(ctx);
        } else {
            self.schedule(ctx.now.after(delay), ActivePassiveTimer::Decide, ctx);
        }
    }

    fn eligible(&self, index: usize, view: &View) -> bool {
        let node = self.replicas[index];
        index != self.primary
            && !self.standing[index].fenced
            && !self.standing[index].passed_over
            && self.health.believed_up(index)
            && view.reachable(self.monitor, node)
            && self
                .lease
                .as_ref()
                .is_none_or(|lease| lease.reaches_store(node, view))
    }

    fn on_decide(&mut self, ctx: &mut Context) {
        let Some(mut attempt) = self.attempt.take() else {
            return;
        };
        attempt.attempt.decided_at = ctx.now;
        if attempt.declined {
            self.fail(attempt, Outcome::Declined, ctx);
            return;
        }
        let Some(target) = (0..self.replicas.len()).find(|&i| self.eligible(i, &ctx.view)) else {
            // No standby to promote: wait for one, or for the primary, to come back.
            let from = Some(self.replicas[attempt.from]);
            let record = attempt
                .attempt
                .no_target(Outcome::NoHealthyTarget, ctx.now, from);
            ctx.record(record);
            self.waiting = Some(attempt);
            return;
        };
        attempt.target = Some(target);
        let ap = &self.params;
        let promotion = ap.promotion.sample(ctx.rng);
        attempt.promotion_fails = ap.promotion_failure_probability > 0.0
            && ctx.rng.random_bool(ap.promotion_failure_probability);
        let reroute = ap.reroute.sample(ctx.rng);
        let timeout = self.failover.timeout;
        self.generation.bump();
        if promotion.saturating_add(reroute) > timeout && !attempt.promotion_fails {
            let at = ctx.now.after(timeout);
            self.schedule(at, ActivePassiveTimer::TimedOut, ctx);
        } else {
            let promoted_at = ctx.now.after(promotion);
            self.schedule(promoted_at, ActivePassiveTimer::Promoted, ctx);
            self.schedule(
                promoted_at.after(reroute),
                ActivePassiveTimer::Rerouted,
                ctx,
            );
        }
        self.attempt = Some(attempt);
    }

    fn on_promoted(&mut self, ctx: &mut Context) {
        let Some(attempt) = self.attempt.clone() else {
            return;
        };
        let Some(target) = attempt.target else { return };
        let node = self.replicas[target];
        let outcome = if !ctx.view.reachable(self.monitor, node) {
            Some(Outcome::TargetUnreachable)
        } else if ctx.view.latent[node.index()] {
            self.standing[target].passed_over = true;
            ctx.out.push(Command::LatentFound { node });
            Some(Outcome::PromotionFailed)
        } else if attempt.promotion_fails {
            Some(Outcome::PromotionFailed)
        } else {
            None
        };
        if let Some(outcome) = outcome {
            self.generation.bump();
            self.attempt = None;
            self.fail(attempt, outcome, ctx);
            return;
        }
        let old = self.primary;
        let old_node = self.replicas[old];
        self.take_over(target, ctx);
        if attempt.false_alarm && ctx.view.network.is_up(old_node) {
            // The monitor's view was wrong: the primary never stopped.
            ctx.out.push(Command::UnnecessaryFailover);
            if let Some(lease) = &self.lease {
                // Cut off from the store, it acts until it demotes itself; one that
                // reaches the store sees the new holder and steps down.
                if !lease.is_demoted(old) && !lease.reaches_store(old_node, &ctx.view) {
                    self.stale_primary = Some(old);
                }
            } else if !ctx.view.reachable(self.monitor, old_node) {
                // Cut off, the old primary cannot learn that it was replaced.
                if self.params.fencing {
                    self.standing[old].fenced = true;
                } else {
                    self.stale_primary = Some(old);
                    self.stale_paused = ctx.view.network.is_paused(old_node);
                    self.stale_told_at = None;
                }
            }
        }
    }

    fn on_rerouted(&mut self, ctx: &mut Context) {
        let Some(attempt) = self.attempt.take() else {
            return;
        };
        self.routed = self.primary;
        // What failed is the primary as the monitor saw it: back if the monitor reaches
        // it again (a repair, a heal, or probes no longer lost); with a lease, the
        // primary's hold on the store: back if it reaches the store again.
        let old_node = self.replicas[attempt.from];
        let failed_back = match &self.lease {
            Some(lease) => lease.reaches_store(old_node, &ctx.view),
            None => ctx.view.reachable(self.monitor, old_node),
        };
        let (from, to) = self.ends(&attempt);
        // Writes are lost only once the standby, behind by the lag, has taken over.
        let record = attempt
            .attempt
            .complete(ctx.now, failed_back, from, to, attempt.data_loss);
        ctx.record(record);
    }

    /// The failed primary and the chosen standby of `attempt`, as nodes.
    fn ends(&self, attempt: &Attempt) -> (Option<NodeId>, Option<NodeId>) {
        let from = Some(self.replicas[attempt.from]);
        (from, attempt.target.map(|t| self.replicas[t]))
    }

    /// The attempt failed with `outcome`: records it, then retries after the backoff
    /// or, with no retry left (or declined), leaves the primary down until it returns.
    fn fail(&mut self, mut attempt: Attempt, outcome: Outcome, ctx: &mut Context) {
        let (from, to) = self.ends(&attempt);
        let (record, retry) = attempt
            .attempt
            .fail(outcome, &self.failover, ctx.now, from, to);
        ctx.record(record);
        attempt.target = None;
        if let Some(wait) = retry {
            self.attempt = Some(attempt);
            self.generation.bump();
            self.schedule(ctx.now.after(wait), ActivePassiveTimer::Decide, ctx);
        }
    }

    /// Records the failover still open at the horizon.
    fn on_horizon(&mut self, ctx: &mut Context) {
        if let Some(open) = self.waiting.take().or_else(|| self.attempt.take()) {
            let (from, to) = self.ends(&open);
            ctx.record(open.attempt.unfinished(ctx.now, from, to));
        }
    }

    fn on_failback(&mut self, ctx: &mut Context) {
        let preferred_ready =
            self.health.believed_up(0) && ctx.view.reachable(self.monitor, self.replicas[0]);
        if self.primary != 0
            && self.attempt.is_none()
            && preferred_ready
            && !self.standing[0].fenced
        {
            // A planned, graceful switchover: the old primary serves until the new one takes over.
            self.take_over(0, ctx);
            self.routed = 0;
        }
    }

    fn on_timer(&mut self, timer: ActivePassiveTimer, ctx: &mut Context) {
        match timer {
            ActivePassiveTimer::Monitor(timer) => {
                if let Some(declaration) = self.health.on_timer(timer, ctx, monitor_address) {
                    self.on_declaration(declaration, ctx);
                }
            }
            ActivePassiveTimer::Failback => self.on_failback(ctx),
            ActivePassiveTimer::StaleTold => {
                if self.stale_told_at == Some(ctx.now) {
                    self.stale_told_at = None;
                    let told =
                        |stale: usize| ctx.view.reachable(self.monitor, self.replicas[stale]);
                    if self.stale_primary.is_some_and(told) {
                        self.stale_primary = None;
                    }
                }
            }
            ActivePassiveTimer::Lease(timer) => self.on_lease_timer(timer, ctx),
            ActivePassiveTimer::Decide(token) => {
                if self.generation.is_current(token) {
                    self.on_decide(ctx);
                }
            }
            ActivePassiveTimer::Promoted(token) => {
                if self.generation.is_current(token) {
                    self.on_promoted(ctx);
                }
            }
            ActivePassiveTimer::Rerouted(token) => {
                if self.generation.is_current(token) {
                    self.on_rerouted(ctx);
                }
            }
            ActivePassiveTimer::TimedOut(token) => {
                if self.generation.is_current(token) {
                    if let Some(attempt) = self.attempt.take() {
                        self.generation.bump();
                        self.fail(attempt, Outcome::TimedOut, ctx);
                    }
                }
            }
        }
    }

    fn on_lease_timer(&mut self, timer: LeaseTimer, ctx: &mut Context) {
        let Some(lease) = &mut self.lease else {
            return;
        };
        match lease.on_timer(timer) {
            Some(LeaseEvent::Expired { lost_at }) => self.primary_lost(lost_at, ctx),
            Some(LeaseEvent::Demoted(replica)) if self.stale_primary == Some(replica) => {
                // The old primary fenced itself: split-brain ends.
                self.stale_primary = None;
            }
            Some(LeaseEvent::Demoted(_)) | None => {}
        }
    }

    /// After any change in the world, with a lease: whether the primary still renews;
    /// an expired lease with no failover under way taken back by the old primary (a
    /// waiting failover is then superseded); a waiting failover resumed when a standby
    /// reaches the store again.
    fn settle_lease(&mut self, ctx: &mut Context) {
        let Some(lease) = &mut self.lease else {
            return;
        };
        let node = self.replicas[self.primary];
        lease.observe(node, ctx, lease_address);
        if lease.expired() && self.attempt.is_none() && lease.reaches_store(node, &ctx.view) {
            if let Some(open) = self.waiting.take() {
                self.generation.bump();
                let (from, to) = self.ends(&open);
                ctx.record(open.attempt.superseded(ctx.now, from, to));
            }
            self.take_over(self.primary, ctx);
        }
        if self.waiting.is_some() && (0..self.replicas.len()).any(|i| self.eligible(i, &ctx.view)) {
            if let Some(waiting) = self.waiting.take() {
                self.standby_back(waiting, ctx);
            }
        }
    }

    fn settle_network(&mut self, ctx: &mut Context) {
        let view = &ctx.view;
        if let Some(stale) = self.stale_primary {
            let node = self.replicas[stale];
            let learns = match &self.lease {
                Some(lease) => lease.reaches_store(node, view),
                None => view.reachable(self.monitor, node),
            };
            self.stale_paused |= view.network.is_paused(node);
            if !view.network.is_up(node) {
                self.stale_primary = None;
            } else if learns && self.stale_paused && self.lease.is_none() {
                // Back from a pause, it believes it is the primary until the monitor's
                // next probe reaches it.
                if self.stale_told_at.is_none() {
                    let sent = self.health.first_probe_at_or_after(stale, ctx.now);
                    let latency = view.network.latency(self.monitor, node).unwrap_or(0);
                    let told = sent.after(latency);
                    self.stale_told_at = Some(told);
                    let timer = StrategyTimer::ActivePassive(ActivePassiveTimer::StaleTold);
                    ctx.schedule(told, timer);
                }
            } else if learns {
                self.stale_primary = None;
            } else {
                // Silent again before it was told: its next return waits for a new probe.
                self.stale_told_at = None;
            }
        }
        for (standing, &node) in self.standing.iter_mut().zip(&self.replicas) {
            if standing.fenced && ctx.view.reachable(self.monitor, node) {
                // The partition healed: the fenced replica rejoins as a standby.
                standing.fenced = false;
            }
        }
    }
}

impl Strategy for ActivePassive {
    type Timer = ActivePassiveTimer;

    fn handle(&mut self, stimulus: Stimulus<ActivePassiveTimer>, ctx: &mut Context) {
        match stimulus {
            Stimulus::Start => self.health.start(ctx, monitor_address),
            Stimulus::NodeDown { node, cause } => {
                for (index, &replica) in self.replicas.iter().enumerate() {
                    if replica == node {
                        self.standing[index].last_cause = (cause, ctx.now);
                    }
                }
            }
            Stimulus::NetworkChanged { cause } => self.network_cause = cause,
            Stimulus::NodeUp { node } => {
                for (index, &replica) in self.replicas.iter().enumerate() {
                    if replica == node {
                        self.standing[index].passed_over = false;
                    }
                }
            }
            Stimulus::BehaviourChanged { .. } => {}
            Stimulus::Horizon => {
                self.on_horizon(ctx);
                return;
            }
            Stimulus::Timer(timer) => {
                self.on_timer(timer, ctx);
                return;
            }
        }
        self.settle_network(ctx);
        if self.monitor_alive(&ctx.view) {
            self.health
                .refresh(self.monitor, &self.replicas, ctx, monitor_address);
        }
        self.settle_lease(ctx);
    }

    fn served(&self, view: &View, vantage: Observer) -> f64 {
        let demoted = |index: usize| self.lease.as_ref().is_some_and(|l| l.is_demoted(index));
        let serving = |index: usize| {
            !self.standing[index].fenced
                && !demoted(index)
                && view.serves(vantage, self.replicas[index])
        };
        let acting = |index: usize| index == self.primary || Some(index) == self.stale_primary;
        // Clients reach the replica they are routed to, or a stale primary that still
        // serves them; it carries the whole demand alone.
        let server = if acting(self.routed) && serving(self.routed) {
            Some(self.routed)
        } else {
            self.stale_primary.filter(|&stale| serving(stale))
        };
        server.map_or(0.0, |index| {
            capacity_fraction(self.standing[index].capacity, self.demand)
        })
    }

    fn prefetch(&self) {
        prefetch_slice(&self.replicas);
        prefetch_slice(&self.standing);
        self.health.prefetch();
    }

    fn failover_open(&self) -> bool {
        // What `on_horizon` records: the failover waiting for a target or in progress.
        self.waiting.is_some() || self.attempt.is_some()
    }

    fn split_brain(&self, view: &View) -> bool {
        // A paused stale primary acts as nothing while it is frozen.
        self.stale_primary
            .is_some_and(|stale| view.network.answers(self.replicas[stale]))
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::{Harness, FAULT, MS};
    use super::super::{FailoverRecord, ServiceState};
    use super::*;

    /// Probes every 1 s from phase 0, 200 ms timeout, 3 failures to declare; a 4 s
    /// confirmation; promotion 2 s, reroute 1 s; nothing random.
    const CONSTANT_DELAYS: &str = r#"{
        "name": "db", "strategy": "ACTIVE_PASSIVE",
        "detection": {"interval": "1s", "timeout": "200ms", "unhealthy_threshold": 3,
                      "healthy_threshold": 2, "phase": "0s"},
        "failover": {"mode": "SEMI_AUTOMATIC", "confirmation": {"const": "4s"},
                     "timeout": "30s"},
        "replication": {"mode": "sync"},
        "active_passive": {"promotion": {"const": "2s"}, "reroute": {"const": "1s"}}
    }"#;

    #[test]
    fn failover_time_is_detection_plus_decision_plus_promotion_plus_reroute() {
        let mut harness = Harness::new(&[0, 1], MS, MS, CONSTANT_DELAYS);
        harness.crash(NodeId::new(0), SimTime(10_300 * MS));
        harness.run_until(SimTime(60_000 * MS));
        // Probes at 11, 12, 13 s fail; the third is known failed at 13.2 s: detection 2.9 s.
        // Decided 4 s later at 17.2 s, promoted at 19.2 s, clients re-routed at 20.2 s.
        let record = FailoverRecord {
            fault: FAULT,
            fault_at: SimTime(10_300 * MS),
            detected_at: SimTime(13_200 * MS),
            decided_at: SimTime(17_200 * MS),
            completed_at: SimTime(20_200 * MS),
            outcome: Outcome::Success,
            data_loss: 0,
            from: Some(NodeId::new(0)),
            to: Some(NodeId::new(1)),
            attempt: 0,
            ends_failover: true,
        };
        assert_eq!(harness.records, vec![record.clone()]);
        assert_eq!(
            record.completed_at.since(record.fault_at),
            (2_900 + 4_000 + 2_000 + 1_000) * MS
        );
        assert_eq!(harness.state(None), ServiceState::Up);
    }

    #[test]
    fn the_service_is_down_from_the_crash_until_the_reroute() {
        let mut harness = Harness::new(&[0, 1], MS, MS, CONSTANT_DELAYS);
        harness.crash(NodeId::new(0), SimTime(10_300 * MS));
        assert_eq!(harness.state(None), ServiceState::Down);
        harness.run_until(SimTime(20_200 * MS - 1));
        assert_eq!(harness.state(None), ServiceState::Down);
        harness.run_until(SimTime(20_200 * MS));
        assert_eq!(harness.state(None), ServiceState::Up);
    }

    #[test]
    fn the_primary_alone_carries_the_demand() {
        // Demand 2 on capacity-1 replicas: half served before, during (nothing) and after
        // a failover.
        let service = CONSTANT_DELAYS.replace(r#""name": "db","#, r#""name": "db", "demand": 2,"#);
        let mut harness = Harness::new(&[0, 1], MS, MS, &service);
        assert_eq!(harness.served(None), 0.5);
        assert_eq!(harness.state(None), ServiceState::Degraded);
        harness.crash(NodeId::new(0), SimTime(10_300 * MS));
        assert_eq!(harness.served(None), 0.0);
        harness.run_until(SimTime(20_200 * MS));
        assert_eq!(harness.served(None), 0.5);
    }

    /// The record of a failover of `n0` (crashed at 10.3 s, detected at 13.2 s, decided
    /// at 17.2 s) that ends at `completed_ms` with `outcome`.
    fn failover_of_n0(completed_ms: u64, outcome: Outcome, to: Option<usize>) -> FailoverRecord {
        FailoverRecord {
            fault: FAULT,
            fault_at: SimTime(10_300 * MS),
            detected_at: SimTime(13_200 * MS),
            decided_at: SimTime(if completed_ms < 17_200 {
                13_200 * MS
            } else {
                17_200 * MS
            }),
            completed_at: SimTime(completed_ms * MS),
            outcome,
            data_loss: 0,
            from: Some(NodeId::new(0)),
            to: to.map(NodeId::new),
            attempt: 0,
            ends_failover: true,
        }
    }

    #[test]
    fn the_primary_back_before_the_decision_supersedes_the_failover() {
        // Repaired at 14 s: its probes at 14 and 15 s succeed, and at 15 s (healthy
        // threshold 2) the monitor declares it up, before the 4 s confirmation is in.
        let mut harness = Harness::new(&[0, 1], MS, MS, CONSTANT_DELAYS);
        harness.crash(NodeId::new(0), SimTime(10_300 * MS));
        harness.repair(NodeId::new(0), SimTime(14_000 * MS));
        assert_eq!(harness.state(None), ServiceState::Up);
        harness.run_until(SimTime(60_000 * MS));
        let superseded = failover_of_n0(15_000, Outcome::Superseded, None);
        assert_eq!(harness.records, vec![superseded]);
        assert_eq!(harness.state(None), ServiceState::Up);
    }

    #[test]
    fn the_primary_back_during_the_promotion_supersedes_the_failover() {
        // The standby is promoted from 17.2 s to 19.2 s and clients re-routed at 20.2 s.
        // Repaired at 18 s, the old primary is declared up at 19 s (probes at 18 and
        // 19 s), before the promotion completes: the failover stops there. Repaired at
        // 18.5 s, it is declared up only at 20 s, after the standby took the primary
        // role, so the switch goes on; at the re-route the old primary answers the
        // monitor again: it came back first all the same, and no writes count as lost.
        let service = CONSTANT_DELAYS.replace(
            r#""replication": {"mode": "sync"}"#,
            r#""replication": {"mode": "async", "lag": {"const": "1s"}}"#,
        );
        for (repaired, superseded) in [(18_000, 19_000), (18_500, 20_200)] {
            let mut harness = Harness::new(&[0, 1], MS, MS, &service);
            harness.crash(NodeId::new(0), SimTime(10_300 * MS));
            harness.repair(NodeId::new(0), SimTime(repaired * MS));
            harness.run_until(SimTime(60_000 * MS));
            let record = failover_of_n0(superseded, Outcome::Superseded, Some(1));
            assert_eq!(harness.records, vec![record], "repaired at {repaired} ms");
            assert_eq!(harness.state(None), ServiceState::Up);
        }
    }

    #[test]
    fn a_failover_with_no_standby_waits_and_ends_at_the_horizon() {
        // Both replicas crash: no standby to promote at 17.2 s (NoHealthyTarget, no
        // retry spent); still waiting at the horizon, where the failover ends with it.
        let mut harness = Harness::new(&[0, 1], MS, MS, CONSTANT_DELAYS);
        harness.crash(NodeId::new(1), SimTime(5_000 * MS));
        harness.crash(NodeId::new(0), SimTime(10_300 * MS));
        harness.finish(SimTime(600_000 * MS));
        let waits = FailoverRecord {
            ends_failover: false,
            ..failover_of_n0(17_200, Outcome::NoHealthyTarget, None)
        };
        let ends = FailoverRecord {
            attempt: 1,
            ..failover_of_n0(600_000, Outcome::NoHealthyTarget, None)
        };
        assert_eq!(harness.records, vec![waits, ends]);
    }
}
