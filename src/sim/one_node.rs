//! A fast path for the simplest shape: one node that fails and is repaired, one
//! single-replica ACTIVE_PASSIVE service on it with a global, lazily probing monitor, and
//! nothing else (the peer baseline's model). It produces the outcome the engine does, byte
//! for byte, without the engine's generality: no event queue (one pending node event and
//! the monitor's few timers), no strategy dispatch or commands, accounting only at the
//! instants the node changed.
//!
//! Exactness comes from doing the same things in the same order: the same random streams
//! and draws (the node's lane: a failure's repair, a repair's next failure; the service's
//! stream: each failover's data loss), the same [`HealthMonitor`] computing the lazy
//! declarations, the same [`FailoverAttempt`] building the records, the same [`Ledger`]
//! charging time and ending episodes, and events ordered by (time, order of scheduling),
//! stale declarations counted as events as the engine counts them. What the
//! ACTIVE_PASSIVE strategy does with one replica and no standby is a few lines here: a
//! down-declaration records `NoHealthyTarget` and waits, an up-declaration ends the
//! failover as `Superseded`, the horizon ends a waiting one. An outage during which
//! nothing else happens (the usual one) is taken whole: its four events at once, both
//! declarations from [`HealthMonitor::clean_outage`], and, when the service was fully UP,
//! its accounting folded straight into the outcome (the ledger's two changes by
//! [`Ledger::clean_outage`]; after a replication's first such outage, only the two
//! durations per outage, the counts added as sums at the end). `tests` run eligible
//! scenarios both ways and compare the outcomes.

use super::engine::{FaultEffect, ReplicationOutcome, Scratch, ServiceOutcome, STOP_CHECK_EVENTS};
use super::faults::FaultRegistry;
use super::ledger::Ledger;
use crate::compile::{CompiledScenario, FaultPlan, NodeProcess, RepairPlan};
use crate::core::episode::EndedBy;
use crate::core::rng::{stream, Purpose};
use crate::core::time::SimTime;
use crate::net::network::Network;
use crate::net::topology::NodeId;
use crate::scenarios::distribution::Sampler;
use crate::strategies::active_passive::ActivePassiveTimer;
use crate::strategies::detection::{HealthMonitor, MonitorTimer, Probing};
use crate::strategies::failover::{data_loss, Approval, FailoverAttempt};
use crate::strategies::spec::ServiceSpec;
use crate::strategies::{
    capacity_fraction, Command, Context, FailoverRecord, FaultTag, Outcome, ServiceState,
    StrategyParams, StrategyTimer, View,
};
use std::sync::atomic::{AtomicBool, Ordering};

/// A scenario of the one-node shape, recognised once per study.
pub(crate) struct OneNode<'a> {
    scenario: &'a CompiledScenario,
    registry: &'a FaultRegistry,
    spec: &'a ServiceSpec,
    process: &'a NodeProcess,
    node: NodeId,
    /// The fault tag of the node's failures.
    tag: FaultTag,
    /// The fault class of those failures (the registry's kind index of `tag`).
    kind: usize,
    /// The served fraction while the node is up.
    served_up: f64,
    /// The node's lifetimes and repair times, drawn from many times.
    ttf: Sampler<'a>,
    ttr: Sampler<'a>,
}

/// The monitor's timers go to the ACTIVE_PASSIVE strategy, as in the engine.
fn monitor_timer(timer: MonitorTimer) -> StrategyTimer {
    StrategyTimer::ActivePassive(ActivePassiveTimer::Monitor(timer))
}

impl<'a> OneNode<'a> {
    /// The fast path for `scenario` if it has the one-node shape, else None. Conservative:
    /// every part of the scenario that could schedule, draw or account anything else
    /// makes it ineligible (the plan is destructured whole, so that a new kind of fault
    /// must be considered here before it compiles).
    pub(crate) fn recognise(
        scenario: &'a CompiledScenario,
        registry: &'a FaultRegistry,
    ) -> Option<Self> {
        let FaultPlan {
            node_processes,
            outages,
            partitions,
            bursts,
            scheduled,
            dependencies,
            repair,
            maintenance,
            service_needs: _,
        } = &scenario.faults;
        let RepairPlan {
            crews,
            crew_of,
            budgets,
            budgets_of,
        } = repair;
        let no_other_fault = outages.is_empty()
            && partitions.is_empty()
            && bursts.is_empty()
            && scheduled.is_empty()
            && dependencies.is_empty()
            && maintenance.is_empty()
            && crews.is_empty()
            && crew_of.iter().all(Option::is_none)
            && budgets.is_empty()
            && budgets_of.iter().all(Vec::is_empty);
        let [process] = node_processes.as_slice() else {
            return None;
        };
        let [spec] = scenario.services.as_slice() else {
            return None;
        };
        let StrategyParams::ActivePassive(params) = &spec.strategy else {
            return None;
        };
        let NodeProcess {
            nodes,
            keys,
            latent,
            restart,
            working_hours,
            ..
        } = process;
        let node = NodeId::new(0);
        let eligible = no_other_fault
            && scenario.topology.len() == 1
            && scenario.system.is_none()
            && nodes.as_slice() == [node]
            && keys.len() == 1
            && latent.is_none()
            && restart.is_none()
            && working_hours.is_none()
            && spec.replicas.as_slice() == [node]
            && spec.vantages.is_empty()
            && spec.detection.probing == Probing::Lazy
            && matches!(spec.failover.approval, Approval::Automatic)
            && params.monitor.is_none()
            && params.lease.is_none();
        eligible.then(|| OneNode {
            scenario,
            registry,
            spec,
            process,
            node,
            tag: FaultTag(registry.node_processes),
            kind: registry.kind_index(FaultTag(registry.node_processes)),
            ttf: process.ttf.sampler(),
            ttr: process.ttr.sampler(),
            served_up: capacity_fraction(
                scenario.topology.nodes[node.index()].capacity,
                spec.demand,
            ),
        })
    }

    /// Runs replication `replication` as [`super::engine::Replication::run_within`]
    /// would (records and episodes kept when `keep_records`).
    pub(crate) fn run(
        &self,
        replication: u64,
        keep_records: bool,
        max_events: u64,
        stop: &[&AtomicBool],
        scratch: &mut Scratch,
    ) -> ReplicationOutcome {
        let scenario = self.scenario;
        let seed = scenario.seed;
        let mut phase_rng = stream(seed, replication, Purpose::ProbePhase(0));
        let (outcome, services, faults) = scratch.lone_outcome(1);
        let mut run = Run {
            shape: self,
            keep_records,
            network: scratch.network(&scenario.topology),
            monitor: HealthMonitor::new(1, &self.spec.detection, &mut phase_rng),
            rng: stream(seed, replication, Purpose::Service(0)),
            lifetimes: stream(
                seed,
                replication,
                Purpose::NodeLifetime(self.process.keys[0]),
            ),
            drawn_ahead: (None, None),
            now: SimTime::ZERO,
            scheduled: 0,
            node_event: (SimTime::ZERO, 0, NodeEvent::Fail),
            timers: Vec::new(),
            commands: Vec::new(),
            up: true,
            last_cause: FaultTag::default(),
            cause_of_loss: FaultTag::default(),
            waiting: None,
            failovers_succeeded: 0,
            ledger: Ledger::default(),
            outcome,
            effect: FaultEffect::default(),
            repeated: Repeated::default(),
        };
        let ttf = run.draw_ttf();
        run.node_event = run.at(ttf, NodeEvent::Fail);
        let (outcome, network) = run.simulate(max_events, stop, replication, (services, faults));
        scratch.keep_network(network);
        outcome
    }
}

/// What the node does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeEvent {
    Fail,
    Repair,
}

/// One replication of the one-node shape in progress.
struct Run<'s, 'a> {
    shape: &'s OneNode<'a>,
    keep_records: bool,
    /// The monitor's view of the world, which [`Context`] holds: the lazy computation of
    /// a global monitor reads none of it (what probes find is passed to
    /// [`HealthMonitor::observe`]), so it stays all up.
    network: Network,
    monitor: HealthMonitor,
    /// The service's stream (data loss).
    rng: rand_chacha::ChaCha8Rng,
    /// The node's failures and repairs: the numbers of the engine's lane for the node
    /// (`Lanes` computes them a block at a time for many nodes; one node's stream is
    /// cheaper from the generator that computes four blocks side by side).
    lifetimes: rand_chacha::ChaCha8Rng,
    /// A repair time and the next lifetime drawn ahead to see a whole outage at once
    /// ([`Run::clean_outage`]), when it had to be taken event by event after all. Only
    /// the node's events draw from `lifetimes`, a repair time at each failure and a
    /// lifetime at each repair, so drawing them early draws the same numbers.
    drawn_ahead: (Option<u64>, Option<u64>),
    now: SimTime,
    /// Events scheduled so far: the order of events at one instant.
    scheduled: u64,
    /// The node's pending failure or repair: (when, scheduling order, what).
    node_event: (SimTime, u64, NodeEvent),
    /// The monitor's pending timers, stale ones included: (when, scheduling order, timer).
    timers: Vec<(SimTime, u64, MonitorTimer)>,
    commands: Vec<Command>,
    up: bool,
    /// The service's last cause (of an episode it starts).
    last_cause: FaultTag,
    /// The strategy's record of what took the primary down.
    cause_of_loss: FaultTag,
    /// The failover that found no standby, waiting for the primary.
    waiting: Option<FailoverAttempt>,
    failovers_succeeded: u64,
    ledger: Ledger,
    outcome: ServiceOutcome,
    effect: FaultEffect,
    /// Outages folded whole after the first, whose counts wait for the end.
    repeated: Repeated,
}

/// What outages folded whole add to the outcome beyond their durations, kept as sums
/// until the end of the replication: the first such outage made every entry they count
/// in (so the entries' order is the engine's), and sums do not depend on when they are
/// added.
#[derive(Default)]
struct Repeated {
    /// Where the first one's entries lie: its fault class in the outage tally's
    /// `by_kind`, its fault in `by_fault`, its state changes in `changes_by_fault`.
    entries: Option<(usize, usize, usize)>,
    /// Outages since the first.
    outages: u64,
    /// Their total duration.
    downtime_ns: u128,
}

impl Run<'_, '_> {
    fn draw_ttf(&mut self) -> u64 {
        match self.drawn_ahead.1.take() {
            Some(ttf) => ttf,
            None => self.shape.ttf.sample(&mut self.lifetimes),
        }
    }

    fn draw_ttr(&mut self) -> u64 {
        match self.drawn_ahead.0.take() {
            Some(ttr) => ttr,
            None => self.shape.ttr.sample(&mut self.lifetimes),
        }
    }

    /// Schedules the node's `event` `after` from now.
    fn at(&mut self, after: u64, event: NodeEvent) -> (SimTime, u64, NodeEvent) {
        let order = self.scheduled;
        self.scheduled += 1;
        (self.now.after(after), order, event)
    }

    /// Runs to the horizon (or the budget, or a stop) and hands the outcome in `lists`
    /// (emptied lists of services and faults, whose room is reused).
    fn simulate(
        mut self,
        max_events: u64,
        stop: &[&AtomicBool],
        replication: u64,
        lists: (Vec<ServiceOutcome>, Vec<(u32, FaultEffect)>),
    ) -> (ReplicationOutcome, Network) {
        let horizon = SimTime(self.shape.scenario.horizon);
        let mut complete = true;
        let mut events = 0u64;
        // The engine's Start stimulus leaves the service to account at the first instant.
        let mut unaccounted = true;
        loop {
            if self.clean_outage(horizon, max_events, stop, &mut events, &mut unaccounted) {
                continue;
            }
            let (at, order, _) = self.node_event;
            // The earliest timer by (time, scheduling order), if it comes before the node.
            let timer = (0..self.timers.len())
                .min_by_key(|&i| (self.timers[i].0, self.timers[i].1))
                .filter(|&i| (self.timers[i].0, self.timers[i].1) < (at, order));
            let next = timer.map_or(at, |i| self.timers[i].0);
            if next >= horizon {
                break;
            }
            let stopped = events.is_multiple_of(STOP_CHECK_EVENTS)
                && stop.iter().any(|flag| flag.load(Ordering::Relaxed));
            if events >= max_events || stopped {
                complete = false;
                break;
            }
            self.advance(next, &mut events, &mut unaccounted);
            match timer {
                Some(i) => {
                    let (_, _, timer) = self.timers.swap_remove(i);
                    self.on_timer(timer);
                }
                None if self.node_event.2 == NodeEvent::Fail => self.fail(),
                None => self.repair(),
            }
        }
        if unaccounted {
            self.account();
        }
        self.add_repeated();
        self.now = horizon;
        if let Some(open) = self.waiting.take() {
            let node = Some(self.shape.node);
            self.fold_record(&open.unfinished(horizon, node, None));
        }
        if let Some(episode) = self.ledger.finish(horizon, &mut self.outcome) {
            self.fold_episode(episode);
        }
        let (mut services, mut faults) = lists;
        services.push(self.outcome);
        if self.effect.starts > 0 {
            faults.push((self.shape.tag.0, self.effect));
        }
        let outcome = ReplicationOutcome {
            replication,
            services,
            system: None,
            events,
            complete,
            faults,
        };
        (outcome, self.network)
    }

    /// Moves to the next event's instant `next`: the instant that ended is accounted
    /// once, when time moves on, after all its events.
    fn advance(&mut self, next: SimTime, events: &mut u64, unaccounted: &mut bool) {
        if next != self.now && std::mem::take(unaccounted) {
            self.account();
        }
        self.now = next;
        *events += 1;
        *unaccounted = true;
    }

    /// The whole outage that the pending failure starts, at once, when nothing else
    /// happens while it lasts (the usual case when lifetimes are long beside the detection
    /// delay): the failure, the down-declaration, the repair and the up-declaration, the
    /// four events the event-by-event path takes, with the same effects in the same
    /// order, without the timers. Returns false (having at most drawn ahead) when the
    /// outage must be taken event by event: something pending, ties or interruptions,
    /// the horizon, the event budget or a stop check within it.
    fn clean_outage(
        &mut self,
        horizon: SimTime,
        max_events: u64,
        stop: &[&AtomicBool],
        events: &mut u64,
        unaccounted: &mut bool,
    ) -> bool {
        let (failed, _, event) = self.node_event;
        let quiet = event == NodeEvent::Fail
            && self.timers.is_empty()
            && self.waiting.is_none()
            && self.drawn_ahead == (None, None);
        // The stop flags are read at every STOP_CHECK_EVENTS-th event: if one of the four
        // is such an event, they are read now, and a raised one leaves the outage to the
        // event-by-event path, which stops where it would.
        let within = events.saturating_add(4);
        let checked = events.is_multiple_of(STOP_CHECK_EVENTS)
            || *events % STOP_CHECK_EVENTS + 4 > STOP_CHECK_EVENTS;
        if !quiet
            || failed >= horizon
            || within > max_events
            || (checked && stop.iter().any(|flag| flag.load(Ordering::Relaxed)))
        {
            return false;
        }
        let ttr = self.shape.ttr.sample(&mut self.lifetimes);
        let ttf = self.shape.ttf.sample(&mut self.lifetimes);
        let repaired = failed.after(ttr);
        let next_failure = repaired.after(ttf);
        let declared = self
            .monitor
            .clean_outage(0, failed, repaired, next_failure)
            .filter(|&(_, up)| up < horizon);
        let Some((down, up)) = declared else {
            self.drawn_ahead = (Some(ttr), Some(ttf));
            return false;
        };
        // The failure, as `fail`'s.
        self.advance(failed, events, unaccounted);
        self.lost_node();
        let folded = !self.keep_records
            && failed < down
            && down < repaired
            && repaired < up
            && self.fold_whole_outage(failed, down, repaired, up);
        if folded {
            // Three more instants, each accounted when time moved on; the last is not yet.
            self.now = up;
            *events += 3;
            *unaccounted = true;
        } else {
            self.advance(down, events, unaccounted);
            self.declared_down_since(failed);
            self.advance(repaired, events, unaccounted);
            self.up = true;
            self.advance(up, events, unaccounted);
            self.declared_up();
        }
        // Each change armed a declaration, then scheduled the node's next event.
        self.node_event = (next_failure, self.scheduled + 3, NodeEvent::Fail);
        self.scheduled += 4;
        true
    }

    /// The effects of the outage's last three events (declared down at `down`, repaired,
    /// declared up at `up`) and of accounting the four instants, folded straight into the
    /// outcome when the service was fully UP before the failure at `failed` and the four
    /// instants are distinct: the ledger's two changes at once, the waiting failover's
    /// two records, the episode, the data-loss draw, in the order the events make them.
    /// Returns false, having changed nothing, when the service was not fully UP.
    fn fold_whole_outage(
        &mut self,
        failed: SimTime,
        down: SimTime,
        repaired: SimTime,
        up: SimTime,
    ) -> bool {
        let (tag, kind) = (self.shape.tag, self.shape.kind);
        let Some(episode) = self
            .ledger
            .clean_outage(failed, repaired, tag, &mut self.outcome)
        else {
            return false;
        };
        data_loss(&self.shape.spec.replication, &mut self.rng);
        self.up = true;
        if let Some((at_kind, _, _)) = self.repeated.entries {
            // Its durations now, its counts at the end (`add_repeated`).
            let outage = episode.duration();
            let outcome = &mut self.outcome;
            outcome.tally.detection_time.record(down.since(failed));
            let class = &mut outcome.outage_tally.by_kind[at_kind].1;
            class.outage_duration.record(outage);
            self.repeated.outages += 1;
            self.repeated.downtime_ns += u128::from(outage);
            return true;
        }
        // DOWN at the failure, UP again at the repair: two changes of the failure's.
        self.count_changes(tag.0, 2);
        // Declared down: a failover finds no standby and waits (`declared_down_since`).
        let node = Some(self.shape.node);
        let mut attempt = FailoverAttempt::detected(tag, failed, down);
        let waits = attempt.no_target(Outcome::NoHealthyTarget, down, node);
        self.outcome.tally.add(&waits);
        // Repaired: the episode ends, a recovery (`fold_episode`).
        self.outcome.outage_tally.add(&episode, kind);
        // Declared up: the waiting failover is superseded (`declared_up`, `fold_record`).
        self.outcome.outage_tally.add_failover(kind, None);
        self.outcome.tally.add(&attempt.superseded(up, node, None));
        let tally = &self.outcome.outage_tally;
        let at_kind = tally.by_kind.iter().position(|&(k, _)| k == kind);
        let at_fault = tally.by_fault.iter().position(|&(t, _)| t == tag.0);
        let changes = &self.outcome.changes_by_fault;
        let at_changes = changes.iter().position(|&(t, _)| t == tag.0);
        self.repeated.entries = Some((
            at_kind.expect("the episode's class"),
            at_fault.expect("the episode's fault"),
            at_changes.expect("the failure's changes"),
        ));
        true
    }

    /// Adds the counts of the outages folded whole after the first, as the first was
    /// counted: two records each (`NoHealthyTarget`, then `Superseded`, which ends the
    /// failover), a recovered episode of the fault and its class, a failover of the class,
    /// two state changes.
    fn add_repeated(&mut self) {
        let Repeated {
            entries: Some((at_kind, at_fault, at_changes)),
            outages,
            downtime_ns,
        } = std::mem::take(&mut self.repeated)
        else {
            return;
        };
        let tally = &mut self.outcome.tally;
        tally.attempts_by_outcome[Outcome::NoHealthyTarget as usize] += outages;
        tally.attempts_by_outcome[Outcome::Superseded as usize] += outages;
        tally.failovers_by_outcome[Outcome::Superseded as usize] += outages;
        let outages_tally = &mut self.outcome.outage_tally;
        outages_tally.ended_by[EndedBy::Recovery as usize] += outages;
        outages_tally.by_kind[at_kind].1.failovers += outages;
        let cost = &mut outages_tally.by_fault[at_fault].1;
        cost.outages += outages;
        cost.downtime_ns += downtime_ns;
        self.outcome.changes_by_fault[at_changes].1 += 2 * outages;
    }

    /// What the node's failure does to the service (the monitor learns it separately).
    fn lost_node(&mut self) {
        let tag = self.shape.tag;
        self.effect.starts += 1;
        self.effect.nodes += 1;
        self.up = false;
        self.last_cause = tag;
        self.cause_of_loss = tag;
    }

    /// The node fails: the service and the monitor learn it, then its repair is drawn.
    fn fail(&mut self) {
        self.lost_node();
        self.observe();
        let ttr = self.draw_ttr();
        self.node_event = self.at(ttr, NodeEvent::Repair);
    }

    /// The node is repaired: the monitor learns it, then its next failure is drawn.
    fn repair(&mut self) {
        self.up = true;
        self.observe();
        let ttf = self.draw_ttf();
        self.node_event = self.at(ttf, NodeEvent::Fail);
    }

    /// Tells the monitor whether the node answers now (a global monitor's probes are
    /// never lost) and queues the declaration it schedules, if any.
    fn observe(&mut self) {
        let mut ctx = Context {
            now: self.now,
            view: View {
                network: &self.network,
                byzantine: &[],
                gray: &[],
                latent: &[],
            },
            rng: &mut self.rng,
            out: &mut self.commands,
        };
        self.monitor
            .observe(0, self.up, 0.0, &mut ctx, monitor_timer);
        self.take_commands();
    }

    fn on_timer(&mut self, timer: MonitorTimer) {
        let mut ctx = Context {
            now: self.now,
            view: View {
                network: &self.network,
                byzantine: &[],
                gray: &[],
                latent: &[],
            },
            rng: &mut self.rng,
            out: &mut self.commands,
        };
        let declaration = self.monitor.on_timer(timer, &mut ctx, monitor_timer);
        self.take_commands();
        match declaration {
            Some(declaration) if declaration.up => self.declared_up(),
            Some(declaration) if self.waiting.is_none() => {
                self.declared_down_since(declaration.changed_at);
            }
            _ => {}
        }
    }

    /// The monitor declares the primary up: back before a standby took over, the
    /// failover waiting for one is superseded.
    fn declared_up(&mut self) {
        if let Some(open) = self.waiting.take() {
            let node = Some(self.shape.node);
            self.fold_record(&open.superseded(self.now, node, None));
        }
    }

    /// The monitor declares the primary down, gone since `changed_at`, with no failover
    /// waiting: one starts, finds no standby, and waits for the primary.
    fn declared_down_since(&mut self, changed_at: SimTime) {
        // Declared down while it answers: a false alarm, caused by the network.
        let fault = if self.up {
            FaultTag::default()
        } else {
            self.cause_of_loss
        };
        let node = Some(self.shape.node);
        let mut attempt = FailoverAttempt::detected(fault, changed_at, self.now);
        data_loss(&self.shape.spec.replication, &mut self.rng);
        // An automatic decision takes no time, and there is no standby to promote.
        attempt.decided_at = self.now;
        let record = attempt.no_target(Outcome::NoHealthyTarget, self.now, node);
        self.fold_record(&record);
        self.waiting = Some(attempt);
    }

    /// Queues the timers the monitor asked for, in the order it asked.
    fn take_commands(&mut self) {
        // Read in place, not moved out: a command is as large as a failover record.
        for command in &self.commands {
            match *command {
                Command::Schedule {
                    at,
                    timer: StrategyTimer::ActivePassive(ActivePassiveTimer::Monitor(timer)),
                } => {
                    self.timers.push((at, self.scheduled, timer));
                    self.scheduled += 1;
                }
                ref other => {
                    unreachable!("the health monitor only schedules its timers: {other:?}")
                }
            }
        }
        self.commands.clear();
    }

    /// What the engine does with a record a strategy emits.
    fn fold_record(&mut self, record: &FailoverRecord) {
        let kind = self.shape.registry.kind_index(record.fault);
        if record.ends_failover {
            let succeeded = record.outcome == Outcome::Success;
            self.failovers_succeeded += u64::from(succeeded);
            let time = succeeded.then(|| record.failover_time());
            self.outcome.outage_tally.add_failover(kind, time);
        }
        self.outcome.tally.add(record);
        if self.keep_records {
            self.outcome.records.push(record.clone());
        }
    }

    /// Accounts the instant that just ended, as the engine's `account` does for one
    /// vantage point.
    #[inline(always)]
    fn account(&mut self) {
        let served = if self.up { self.shape.served_up } else { 0.0 };
        if served != self.ledger.served() {
            self.account_change(served);
        }
        // Else the state follows from the served fraction: the ledger would do nothing
        // (half of the instants: a declaration's).
    }

    /// Accounts a change of the served fraction to `served`.
    #[inline(never)]
    fn account_change(&mut self, served: f64) {
        let state = ServiceState::of(served);
        let changed = state != self.ledger.state();
        let episode = self.ledger.update(
            self.now,
            state,
            served,
            self.last_cause,
            self.failovers_succeeded,
            &mut self.outcome,
        );
        if let Some(episode) = episode {
            self.fold_episode(episode);
        }
        if changed && self.last_cause != FaultTag::default() {
            self.count_changes(self.last_cause.0, 1);
        }
    }

    /// Counts `changes` state changes caused by the fault tagged `cause`.
    fn count_changes(&mut self, cause: u32, changes: u64) {
        let counts = &mut self.outcome.changes_by_fault;
        match counts.iter_mut().find(|(tag, _)| *tag == cause) {
            Some((_, count)) => *count += changes,
            None => counts.push((cause, changes)),
        }
    }

    fn fold_episode(&mut self, episode: crate::core::episode::OutageEpisode) {
        let kind = self.shape.registry.kind_index(episode.cause);
        self.outcome.outage_tally.add(&episode, kind);
        if self.keep_records {
            self.outcome.episodes.push(episode);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::load_str;
    use crate::sim::engine::Replication;
    use proptest::prelude::*;
    use std::path::Path;

    fn compile(text: &str) -> CompiledScenario {
        load_str(text, Path::new("one-node.json")).expect("the scenario compiles")
    }

    /// Runs replications `0..count` of `scenario` through the engine and the fast path,
    /// with and without records, and asserts equal outcomes.
    fn assert_both_ways_agree(scenario: &CompiledScenario, count: u64) {
        let registry = FaultRegistry::new(&scenario.faults);
        let shape = OneNode::recognise(scenario, &registry).expect("the one-node shape");
        // One scratch for all: what a replication leaves in it changes no later one.
        let mut scratch = Scratch::default();
        for replication in 0..count {
            for keep_records in [true, false] {
                let engine = Replication::new(scenario, &registry, replication, None);
                let engine = if keep_records {
                    engine
                } else {
                    engine.without_records()
                };
                let expected = engine.run();
                let fast = shape.run(replication, keep_records, u64::MAX, &[], &mut scratch);
                assert_eq!(fast, expected, "replication {replication}");
            }
        }
    }

    fn scenario(detection: &str, ttf: &str, ttr: &str, horizon: &str, extra: &str) -> String {
        format!(
            r#"{{"name": "one-node", "seed": 7, "replications": 1, "horizon": "{horizon}",
                "topology": {{"nodes": [{{"id": "n", "capacity": 1.0}}]}},
                "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["n"],
                               "detection": {detection} {extra}}}],
                "faults": {{"node_failures": [{{"ttf": {ttf}, "ttr": {ttr}}}]}}}}"#
        )
    }

    #[test]
    fn the_shipped_one_node_scenarios_take_the_fast_path_with_the_engines_outcome() {
        for file in [
            "scenarios/peer-baseline.json",
            "scenarios/validation/v1-exponential-node.json",
        ] {
            let text = std::fs::read_to_string(file).expect("a shipped scenario");
            assert_both_ways_agree(&compile(&text), 20);
        }
    }

    /// Repairs within the detection delay (a declaration voided, or standing though the
    /// node is back: a false alarm), failures while an up-declaration is pending, and
    /// events of one instant (whole-second lifetimes at phase 0) exercise every branch
    /// of the lazy monitor and the order of events at one instant.
    #[test]
    fn short_lives_and_same_instant_events_give_the_engines_outcome() {
        let lazy = r#"{"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3,
                       "healthy_threshold": 2, "phase": "0s"}"#;
        let cases = [
            (r#"{"const": "10s"}"#, r#"{"const": "2s"}"#),
            (r#"{"const": "3s"}"#, r#"{"const": "3500ms"}"#),
            (
                r#"{"uniform": {"min": "0s", "max": "4s"}}"#,
                r#"{"uniform": {"min": "0s", "max": "4s"}}"#,
            ),
            (r#"{"exp": {"mean": "3s"}}"#, r#"{"exp": {"mean": "2s"}}"#),
        ];
        for (ttf, ttr) in cases {
            assert_both_ways_agree(&compile(&scenario(lazy, ttf, ttr, "1h", "")), 5);
        }
        // Lifetimes and declarations on a grid of quarter seconds: they often tie, in
        // either order of scheduling.
        let grid = r#"{"empirical": ["250ms", "750ms", "1s", "1250ms", "2s", "3s"]}"#;
        for timeout in ["0s", "250ms", "500ms"] {
            for (unhealthy, healthy) in [(1, 1), (2, 1), (3, 2)] {
                let detection = format!(
                    r#"{{"interval": "1s", "timeout": "{timeout}", "phase": "0s",
                        "unhealthy_threshold": {unhealthy}, "healthy_threshold": {healthy}}}"#
                );
                assert_both_ways_agree(&compile(&scenario(&detection, grid, grid, "1h", "")), 3);
            }
        }
        let graced = r#"{"interval": "2s", "timeout": "1s", "unhealthy_threshold": 1,
                         "healthy_threshold": 3, "grace_period": "3s"}"#;
        let ttf = r#"{"exp": {"mean": "20s"}}"#;
        let ttr = r#"{"exp": {"mean": "5s"}}"#;
        let degraded = r#", "demand": 2.0"#;
        assert_both_ways_agree(&compile(&scenario(graced, ttf, ttr, "2h", degraded)), 5);
    }

    #[test]
    fn a_budget_stops_the_fast_path_where_it_stops_the_engine() {
        let lazy = r#"{"interval": "1s"}"#;
        let ttf = r#"{"exp": {"mean": "30s"}}"#;
        let ttr = r#"{"exp": {"mean": "10s"}}"#;
        let scenario = compile(&scenario(lazy, ttf, ttr, "1h", ""));
        let registry = FaultRegistry::new(&scenario.faults);
        let shape = OneNode::recognise(&scenario, &registry).unwrap();
        let raised = AtomicBool::new(true);
        for (max_events, stop) in [(5, &[][..]), (u64::MAX, &[&raised][..])] {
            let engine = Replication::new(&scenario, &registry, 0, None);
            let expected = engine.run_within(max_events, stop);
            assert!(!expected.complete);
            assert_eq!(
                shape.run(0, true, max_events, stop, &mut Scratch::default()),
                expected
            );
        }
    }

    #[test]
    fn any_other_shape_takes_the_engine() {
        let quickstart = std::fs::read_to_string("scenarios/quickstart.json").unwrap();
        let lazy = r#"{"interval": "1s"}"#;
        let ttf = r#"{"exp": {"mean": "1d"}}"#;
        let ttr = r#"{"exp": {"mean": "1h"}}"#;
        let explicit = r#"{"interval": "1s", "probing": "explicit"}"#;
        let manual = r#", "failover": {"mode": "MANUAL"}"#;
        for text in [
            quickstart,
            scenario(explicit, ttf, ttr, "1d", ""),
            scenario(lazy, ttf, ttr, "1d", manual),
        ] {
            let scenario = compile(&text);
            let registry = FaultRegistry::new(&scenario.faults);
            assert!(OneNode::recognise(&scenario, &registry).is_none(), "{text}");
        }
        let eligible = compile(&scenario(lazy, ttf, ttr, "1d", ""));
        let registry = FaultRegistry::new(&eligible.faults);
        assert!(OneNode::recognise(&eligible, &registry).is_some());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Random detection settings and lifetimes of the order of the detection delay.
        #[test]
        fn random_one_node_scenarios_give_the_engines_outcome(
            interval_ms in 1u64..3_000,
            timeout_ms in 0u64..3_000,
            unhealthy in 1u32..5,
            healthy in 1u32..4,
            grace_ms in 0u64..4_000,
            ttf_ms in 1u64..20_000,
            ttr_ms in 1u64..20_000,
            demand in 0.5f64..2.0,
            lag_ms in proptest::option::of(1u64..2_000),
            seed in 0u64..1_000,
        ) {
            let detection = format!(
                r#"{{"interval": "{interval_ms}ms", "timeout": "{timeout_ms}ms",
                    "unhealthy_threshold": {unhealthy}, "healthy_threshold": {healthy},
                    "grace_period": "{grace_ms}ms"}}"#
            );
            let ttf = format!(r#"{{"exp": {{"mean": "{ttf_ms}ms"}}}}"#);
            let ttr = format!(r#"{{"uniform": {{"min": "0s", "max": "{ttr_ms}ms"}}}}"#);
            // With an asynchronous standby each down-declaration draws a data loss, in the
            // engine and in the fast path alike, whole outages included.
            let replication = lag_ms.map_or(String::new(), |lag| {
                format!(r#", "replication": {{"mode": "async", "lag": {{"exp": {{"mean": "{lag}ms"}}}}}}"#)
            });
            let extra = format!(r#", "demand": {demand}{replication}"#);
            let text = scenario(&detection, &ttf, &ttr, "10m", &extra)
                .replace(r#""seed": 7"#, &format!(r#""seed": {seed}"#));
            assert_both_ways_agree(&compile(&text), 3);
        }
    }
}
