//! Health checking (DESIGN §3): a detector probes targets every `interval`; a target is
//! declared down after `unhealthy_threshold` consecutive failed probes (each known
//! `timeout` after it is sent) and up after `healthy_threshold` successes.
//!
//! A monitor knows its targets by index only: its owner tells it what probes of each
//! target find now ([`HealthMonitor::observe`]; [`HealthMonitor::refresh`] for nodes
//! seen from one detector), so the same rule serves a load balancer checking replicas,
//! an ACTIVE_PASSIVE monitor and a traffic manager's probers checking regions.
//!
//! In lazy mode nothing is scheduled while nothing changes: when a target stops or
//! starts answering, the declaration instant is computed from the probe phase and one
//! timer is scheduled. Explicit mode simulates every probe and exists to check the
//! lazy computation; its probes see what the owner last reported, the same input as
//! the lazy computation.

use super::{Address, Context};
use crate::core::generation::Generation;
use crate::core::rng::KeyParts;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Network, Observer, Route};
use crate::net::topology::NodeId;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A health monitor's timer; `target` indexes the monitor's targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorTimer {
    /// Explicit mode: the next probe of `target` is sent.
    Probe {
        /// The target probed.
        target: u32,
    },
    /// A declaration about `target` is due, unless its generation moved on since.
    Declare {
        /// The target declared.
        target: u32,
        /// The target's generation at scheduling.
        token: Generation,
    },
}

/// How probes are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probing {
    /// Compute detection instants from the probe phase (no event per probe).
    Lazy,
    /// One event per probe; slow, for cross-checking the lazy model.
    Explicit,
}

/// A service's health checking, compiled.
#[derive(Clone, Debug)]
pub struct Detection {
    /// Probe period, above zero.
    pub interval: Nanos,
    /// A failed probe is known after this long.
    pub timeout: Nanos,
    /// Consecutive failures that declare a target down, at least 1.
    pub unhealthy_threshold: u32,
    /// Consecutive successes that declare it up again, at least 1.
    pub healthy_threshold: u32,
    /// Lazy or explicit probing.
    pub probing: Probing,
    /// Probe phase of every (detector, target) pair; None draws one per pair.
    pub phase: Option<Nanos>,
    /// Probes sent within this long after a target starts answering do not count.
    pub grace: Nanos,
}

/// A declaration: the monitor now believes `target` is `up` (or down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Declaration {
    /// Index into the monitor's targets.
    pub target: usize,
    /// The new belief.
    pub up: bool,
    /// When the target actually changed (fault time for a down declaration).
    pub changed_at: SimTime,
}

#[derive(Clone, Debug)]
struct TargetHealth {
    phase: Nanos,
    answering: bool,
    believed_up: bool,
    changed_at: SimTime,
    /// When the target last moved away from the believed state (what a declaration reports).
    entered_at: SimTime,
    generation: Generation,
    /// Lazy mode: the instant the decisive probe is sent for a pending declaration.
    decisive_probe: Option<SimTime>,
    /// Lazy mode: when the target went back to the believed state while a declaration
    /// was pending; the declaration is void if a probe is sent before it changes again.
    interrupted_at: Option<SimTime>,
    /// Explicit mode: consecutive failures or successes against the current belief.
    streak: u32,
    /// Probability that a probe to this target is lost on a degraded link.
    loss: f64,
    /// Whether the pending declaration was drawn from probe losses.
    lossy_pending: bool,
    /// Over jittered latencies, the paths of a probe and its answer while both exist:
    /// each probe draws its round trip on them.
    jittered: Option<Box<ProbePaths>>,
}

/// A probe's path there and its answer's path back.
#[derive(Clone, Debug)]
struct ProbePaths {
    /// What names the probe's messages, before the direction, the nodes and the instant.
    identity: KeyParts,
    /// The network epoch the paths were looked up in.
    epoch: u64,
    detector: NodeId,
    target: NodeId,
    there: Route,
    back: Route,
}

/// Health checks of a set of targets, each probed at its own phase.
#[derive(Clone, Debug)]
pub(crate) struct HealthMonitor {
    interval: Nanos,
    timeout: Nanos,
    unhealthy: u32,
    healthy: u32,
    probing: Probing,
    grace: Nanos,
    targets: Vec<TargetHealth>,
}

impl HealthMonitor {
    /// A monitor of `targets` targets, all answering and believed up, each probed at the
    /// configured phase or, if none, a uniform random one drawn in target order.
    pub(crate) fn new(targets: usize, params: &Detection, rng: &mut ChaCha8Rng) -> Self {
        let interval = params.interval.max(1);
        HealthMonitor {
            interval,
            timeout: params.timeout,
            unhealthy: params.unhealthy_threshold.max(1),
            healthy: params.healthy_threshold.max(1),
            probing: params.probing,
            grace: params.grace,
            targets: (0..targets)
                .map(|_| TargetHealth {
                    phase: match params.phase {
                        Some(phase) => phase % interval,
                        None => rng.random_range(0..interval),
                    },
                    answering: true,
                    believed_up: true,
                    changed_at: SimTime::ZERO,
                    entered_at: SimTime::ZERO,
                    generation: Generation::default(),
                    decisive_probe: None,
                    interrupted_at: None,
                    streak: 0,
                    loss: 0.0,
                    lossy_pending: false,
                    jittered: None,
                })
                .collect(),
        }
    }

    /// Whether the monitor currently believes `target` is up.
    /// Hints the cache to load the targets' health (see [`crate::core::prefetch`]).
    pub(crate) fn prefetch(&self) {
        crate::core::prefetch::prefetch_slice(&self.targets);
    }

    pub(crate) fn believed_up(&self, target: usize) -> bool {
        self.targets[target].believed_up
    }

    /// When `target` last started or stopped answering probes.
    pub(crate) fn changed_at(&self, target: usize) -> SimTime {
        self.targets[target].changed_at
    }

    /// The first probe of `target` sent at or after `t`.
    #[inline]
    pub(crate) fn first_probe_at_or_after(&self, target: usize, t: SimTime) -> SimTime {
        first_probe(self.targets[target].phase, self.interval, t)
    }

    /// Lazy detection of a failure at `t`: (decisive probe sent, declaration instant).
    #[inline(always)]
    pub(crate) fn down_declaration(&self, target: usize, t: SimTime) -> (SimTime, SimTime) {
        let first = self.first_probe_at_or_after(target, t);
        let decisive = first.after((self.unhealthy as u64 - 1) * self.interval);
        (decisive, decisive.after(self.timeout))
    }

    /// Lazy detection of a recovery at `since`, seen from `now` on: the instant of the
    /// `successes`-th probe counted (probes within the start-up grace period do not count).
    #[inline(always)]
    fn up_declaration(&self, i: usize, since: SimTime, now: SimTime, successes: u64) -> SimTime {
        let counted_from = since.after(self.grace).max(now);
        let first = first_probe(self.targets[i].phase, self.interval, counted_from);
        first.after(successes.saturating_sub(1).saturating_mul(self.interval))
    }

    /// Lazy mode, one whole outage at once, for an owner that knows it in advance: target
    /// `i`, answering and believed up with nothing pending and no probe loss, stops
    /// answering at `failed`, answers again at `repaired`, and nothing changes until
    /// `next_change`. When the down-declaration falls strictly between the two changes and
    /// the up-declaration strictly between `repaired` and `next_change`, returns their
    /// instants and leaves the target as observing both changes and taking both
    /// declarations would (the two timers it would have armed are spent). Otherwise
    /// (ties, an interrupted declaration) returns None and changes nothing: the owner
    /// takes the outage event by event.
    #[inline]
    pub(crate) fn clean_outage(
        &mut self,
        i: usize,
        failed: SimTime,
        repaired: SimTime,
        next_change: SimTime,
    ) -> Option<(SimTime, SimTime)> {
        let target = &self.targets[i];
        let quiet = self.probing == Probing::Lazy
            && target.answering
            && target.believed_up
            && target.decisive_probe.is_none()
            && target.interrupted_at.is_none()
            && target.loss == 0.0
            && !target.lossy_pending;
        if !quiet {
            return None;
        }
        let (_, down) = self.down_declaration(i, failed);
        let up = self.up_declaration(i, repaired, repaired, self.healthy as u64);
        if !(failed < down && down < repaired && repaired < up && up < next_change) {
            return None;
        }
        let target = &mut self.targets[i];
        target.changed_at = repaired;
        target.entered_at = repaired;
        target.generation.bump();
        target.generation.bump();
        target.streak = 0;
        Some((down, up))
    }

    /// Starts explicit probing (no-op in lazy mode).
    pub(crate) fn start(&mut self, ctx: &mut Context, address: impl Address<MonitorTimer>) {
        if self.probing == Probing::Explicit {
            for (i, target) in self.targets.iter().enumerate() {
                let probe = MonitorTimer::Probe { target: i as u32 };
                ctx.schedule(SimTime(target.phase), address(probe));
            }
        }
    }

    /// Re-reads which of `nodes` (target `i` is `nodes[i]`) answer probes from
    /// `detector`, and how lossy those probes are; call after any change in the world.
    pub(crate) fn refresh(
        &mut self,
        detector: Observer,
        nodes: &[NodeId],
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) {
        for (i, &node) in nodes.iter().enumerate() {
            self.refresh_target(
                i,
                detector,
                Some(node),
                || KeyParts::of(&["probe"]),
                ctx,
                address,
            );
        }
    }

    /// Re-reads whether probes of target `i`, sent from `detector` to `node` (None: to
    /// nothing that answers), come back within the timeout, and how lossy they are; call
    /// after any change in the world. Over jittered latencies each probe draws its round
    /// trip from the streams of the messages named by `identity` (called only there),
    /// the direction, the two nodes and the sending instant.
    pub(crate) fn refresh_target(
        &mut self,
        i: usize,
        detector: Observer,
        node: Option<NodeId>,
        identity: impl FnOnce() -> KeyParts,
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) {
        let network = ctx.view.network;
        let Some(node) = node else {
            self.targets[i].jittered = None;
            self.observe(i, false, 0.0, ctx, address);
            return;
        };
        // Health checks pass on gray nodes: only reachability matters here.
        let answering = match detector.filter(|_| network.topology().jittered()) {
            Some(from) => {
                // Each probe draws its round trip: known per probe, not here. The paths
                // change only with the network.
                let epoch = network.epoch();
                let current = self.targets[i].jittered.as_ref().is_some_and(|paths| {
                    (paths.epoch, paths.detector, paths.target) == (epoch, from, node)
                });
                if !current {
                    let paths = network
                        .route(Some(from), node)
                        .zip(network.route(Some(node), from));
                    self.targets[i].jittered = paths.map(|(there, back)| {
                        Box::new(ProbePaths {
                            identity: identity(),
                            epoch,
                            detector: from,
                            target: node,
                            there,
                            back,
                        })
                    });
                }
                self.targets[i].jittered.is_some()
            }
            None => self.answers(detector, node, network),
        };
        let loss = if answering {
            network.probe_loss(detector, node)
        } else {
            0.0
        };
        self.observe(i, answering, loss, ctx, address);
    }

    /// Whether a probe from `detector` to `node` comes back within the timeout: the
    /// target is up, the probe reaches it, the answer reaches the detector (a one-way
    /// cut drops one of the two), and the round trip over the shortest paths takes at
    /// most `timeout`. A probe that comes back later has failed, as one to a down node.
    /// The global detector sits nowhere: its probes take no time.
    fn answers(&self, detector: Observer, node: NodeId, network: &Network) -> bool {
        let Some(from) = detector else {
            return network.reachable(None, node);
        };
        let there = network.latency(Some(from), node);
        let back = network.latency(Some(node), from);
        matches!((there, back), (Some(there), Some(back)) if there + back <= self.timeout)
    }

    /// Takes note of what probes of target `i` find from now on: whether it answers, and
    /// the probability that a probe to it is lost. Call after any change in the world.
    ///
    /// A change back to the believed state voids a pending declaration only once a probe
    /// is *sent* while the target is back. A probe fails when the target is down or
    /// unreachable at the instant it is sent, and only consecutive results count: a
    /// target that comes back and fails again between two probes is seen by no probe
    /// while it is back, so the next probe fails and the run of failures goes on; the
    /// declaration keeps the instant of the run's decisive probe. Cancelling the
    /// declaration as soon as the target came back would count the run again from the
    /// second failure and declare it up to `unhealthy_threshold − 1` intervals late,
    /// a delay that no sequence of probe results produces (explicit probing, which sends
    /// every probe, never shows it). The same holds for a pending up-declaration and a
    /// failure that falls between two successful probes.
    pub(crate) fn observe(
        &mut self,
        i: usize,
        answering: bool,
        loss: f64,
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) {
        let target = &mut self.targets[i];
        let changed = answering != target.answering;
        if !changed && loss == target.loss {
            return;
        }
        target.loss = loss;
        if std::mem::take(&mut target.lossy_pending) {
            // A declaration drawn from probe losses depends on both; draw it again.
            target.decisive_probe = None;
            target.generation.bump();
        }
        if self.probing == Probing::Explicit {
            if changed {
                target.answering = answering;
                target.changed_at = ctx.now;
                if answering != target.believed_up {
                    target.entered_at = ctx.now;
                }
            }
            return;
        }
        if changed {
            target.answering = answering;
            target.changed_at = ctx.now;
            if answering != target.believed_up {
                // Declarations report when the target entered the state they declare.
                target.entered_at = ctx.now;
            }
            match (target.decisive_probe, target.interrupted_at) {
                // Away from the belief again after an interruption: the run of probes
                // goes on unless a probe was sent while the target was back.
                (Some(_), Some(interrupted)) => {
                    target.interrupted_at = None;
                    let phase = target.phase;
                    if first_probe(phase, self.interval, interrupted) >= ctx.now {
                        return;
                    }
                    target.decisive_probe = None;
                    target.generation.bump();
                }
                // The decisive probe was already sent: the declaration stands.
                (Some(decisive), None) if decisive < ctx.now => return,
                // Back to the believed state: void if a probe sees it, decided later.
                (Some(_), None) => {
                    target.interrupted_at = Some(ctx.now);
                    return;
                }
                (None, _) => {}
            }
        }
        if self.targets[i].decisive_probe.is_none() {
            self.schedule_next(i, ctx, address);
        }
    }

    /// Schedules the next declaration for a target with none pending: the one its state
    /// calls for, or a false one drawn from probe losses while it answers.
    fn schedule_next(&mut self, i: usize, ctx: &mut Context, address: impl Address<MonitorTimer>) {
        let target = &self.targets[i];
        if target.answering != target.believed_up {
            self.schedule_declaration(i, ctx, address);
        } else if target.answering && target.believed_up && target.loss > 0.0 {
            // k consecutive lost probes declare a live target down. A probe sent at this
            // very instant has already been counted, so the trials start after it.
            let first = first_probe(target.phase, self.interval, ctx.now.after(1));
            let probes = probes_until_run(ctx.rng, target.loss, self.unhealthy);
            let decisive = first.after(probes.saturating_sub(1).saturating_mul(self.interval));
            let target = &mut self.targets[i];
            target.entered_at = SimTime(
                decisive
                    .0
                    .saturating_sub((self.unhealthy as u64 - 1) * self.interval),
            );
            target.lossy_pending = true;
            self.arm(i, decisive, decisive.after(self.timeout), ctx, address);
        }
    }

    fn schedule_declaration(
        &mut self,
        i: usize,
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) {
        let target = &self.targets[i];
        let since = target.changed_at;
        let (decisive, at) = if target.answering {
            let successes = if target.loss > 0.0 {
                // Each probe gets through with probability 1 − loss.
                self.targets[i].lossy_pending = true;
                probes_until_run(ctx.rng, 1.0 - self.targets[i].loss, self.healthy)
            } else {
                self.healthy as u64
            };
            let at = self.up_declaration(i, since, ctx.now, successes);
            (at, at)
        } else {
            self.down_declaration(i, since)
        };
        // A change seen while an earlier declaration was in flight is acted on no earlier than now.
        self.arm(i, decisive, at.max(ctx.now), ctx, address);
    }

    fn arm(
        &mut self,
        i: usize,
        decisive: SimTime,
        at: SimTime,
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) {
        let target = &mut self.targets[i];
        let token = target.generation.bump();
        target.decisive_probe = Some(decisive);
        let declare = MonitorTimer::Declare {
            target: i as u32,
            token,
        };
        ctx.schedule(at, address(declare));
    }

    /// Handles a monitor timer; returns a declaration when the belief changes.
    pub(crate) fn on_timer(
        &mut self,
        timer: MonitorTimer,
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) -> Option<Declaration> {
        match timer {
            MonitorTimer::Probe { target } => self.probe(target as usize, ctx, address),
            MonitorTimer::Declare { target: i, token } => {
                let i = i as usize;
                let target = &mut self.targets[i];
                if !target.generation.is_current(token) || target.decisive_probe.is_none() {
                    return None;
                }
                target.decisive_probe = None;
                target.streak = 0;
                target.lossy_pending = false;
                if target.interrupted_at.take().is_some() {
                    // A probe saw the target back in the believed state; lost probes may
                    // still make a false declaration.
                    self.schedule_next(i, ctx, address);
                    return None;
                }
                // Stale declarations were cancelled, so a live one always flips the belief.
                let up = !target.believed_up;
                target.believed_up = up;
                let declaration = Declaration {
                    target: i,
                    up,
                    changed_at: target.entered_at,
                };
                if self.probing == Probing::Lazy {
                    self.schedule_next(i, ctx, address);
                }
                Some(declaration)
            }
        }
    }

    fn probe(
        &mut self,
        i: usize,
        ctx: &mut Context,
        address: impl Address<MonitorTimer>,
    ) -> Option<Declaration> {
        // The probe finds what the owner last observed, as the lazy computation does.
        let TargetHealth {
            answering, loss, ..
        } = self.targets[i];
        let answering = answering
            && !(loss > 0.0 && ctx.rng.random_bool(loss))
            && self.targets[i]
                .jittered
                .as_ref()
                .is_none_or(|paths| paths.round_trip(ctx) <= self.timeout);
        let interval = self.interval;
        let (unhealthy, healthy, timeout) = (self.unhealthy, self.healthy, self.timeout);
        let target = &mut self.targets[i];
        let next = MonitorTimer::Probe { target: i as u32 };
        ctx.schedule(ctx.now.after(interval), address(next));
        if answering == target.believed_up {
            target.streak = 0;
            return None;
        }
        if answering && ctx.now < target.changed_at.after(self.grace) {
            // Within the start-up grace period: this probe does not count.
            return None;
        }
        target.streak += 1;
        if answering && target.streak >= healthy {
            target.streak = 0;
            target.believed_up = true;
            return Some(Declaration {
                target: i,
                up: true,
                changed_at: target.entered_at,
            });
        }
        if !answering && target.streak == unhealthy {
            // The failure of this probe is known only when its timeout expires.
            let token = target.generation.bump();
            target.decisive_probe = Some(ctx.now);
            let declare = MonitorTimer::Declare {
                target: i as u32,
                token,
            };
            ctx.schedule(ctx.now.after(timeout), address(declare));
        }
        None
    }
}

impl ProbePaths {
    /// The round trip of the probe sent now: the delay there and the delay back, each
    /// drawn from its own message's stream, named by the probe's identity, the
    /// direction, the two nodes and the sending instant (health checks of two services
    /// sent at one instant from one node to another meet the same delays).
    fn round_trip(&self, ctx: &Context) -> Nanos {
        let network = ctx.view.network;
        let names = &network.topology().names;
        let key = |direction: &str| {
            (self.identity.clone())
                .then(direction)
                .then(names.name(self.detector))
                .then(names.name(self.target))
                .then(ctx.now.0.to_le_bytes())
                .key()
        };
        let there = network.delay(&self.there, || key("there"));
        there.saturating_add(network.delay(&self.back, || key("back")))
    }
}

/// The first probe sent at or after `t` by a detector probing at `phase + k·interval`.
#[inline]
fn first_probe(phase: Nanos, interval: Nanos, t: SimTime) -> SimTime {
    if t.0 <= phase {
        return SimTime(phase);
    }
    let periods = (t.0 - phase).div_ceil(interval);
    SimTime(phase.saturating_add(periods.saturating_mul(interval)))
}

/// Trials, counting from the next one, until `run` consecutive events of probability
/// `q` have happened (the index of the trial that completes the first such run).
///
/// The trials before the first complete run form N broken runs (some events, then a
/// non-event); N is geometric with success probability q^run, drawn in O(1). Up to a
/// thousand broken runs are summed exactly; beyond that the sum is Gaussian to far below
/// one trial of relative error, so its normal approximation is used.
pub(crate) fn probes_until_run(rng: &mut ChaCha8Rng, q: f64, run: u32) -> u64 {
    let run_u64 = run as u64;
    if q >= 1.0 {
        return run_u64;
    }
    if q <= 0.0 {
        return u64::MAX;
    }
    let complete = q.powi(run as i32);
    let uniform: f64 = 1.0 - rng.random::<f64>();
    let broken = (uniform.ln() / (1.0 - complete).ln()).floor();
    if !broken.is_finite() || broken > 1e15 {
        return u64::MAX;
    }
    let broken = broken as u64;
    // A broken run is l events then a non-event: P(l) ∝ q^l (1 − q), l < run.
    let weights: Vec<f64> = (0..run).map(|l| q.powi(l as i32) * (1.0 - q)).collect();
    let total: f64 = weights.iter().sum();
    let trials = if broken <= 1000 {
        (0..broken)
            .map(|_| {
                let mut pick = rng.random::<f64>() * total;
                let mut length = run_u64 - 1;
                for (l, w) in weights.iter().enumerate() {
                    if pick < *w {
                        length = l as u64;
                        break;
                    }
                    pick -= w;
                }
                length + 1
            })
            .sum::<u64>()
    } else {
        let mean: f64 = weights
            .iter()
            .enumerate()
            .map(|(l, w)| (l as f64 + 1.0) * w)
            .sum::<f64>()
            / total;
        let second: f64 = weights
            .iter()
            .enumerate()
            .map(|(l, w)| (l as f64 + 1.0).powi(2) * w)
            .sum::<f64>()
            / total;
        let variance = (second - mean * mean).max(0.0);
        let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
        let n = broken as f64;
        (n * mean + z * (n * variance).sqrt()).round().max(n) as u64
    };
    trials.saturating_add(run_u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn waiting_time_for_a_run_has_the_textbook_mean() {
        // E[trials until k consecutive events] = (1 − q^k) / ((1 − q) q^k).
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (q, k) in [(0.3f64, 3u32), (0.5, 2), (0.9, 4), (0.05, 2)] {
            let expected = (1.0 - q.powi(k as i32)) / ((1.0 - q) * q.powi(k as i32));
            let n = 20_000;
            let mean = (0..n)
                .map(|_| probes_until_run(&mut rng, q, k) as f64)
                .sum::<f64>()
                / n as f64;
            // Standard deviation of the waiting time is below its mean: 4 standard errors.
            assert!(
                (mean - expected).abs() < 4.0 * expected / (n as f64).sqrt(),
                "q {q} k {k}: {mean} vs {expected}"
            );
        }
        assert_eq!(probes_until_run(&mut rng, 1.0, 3), 3);
        assert_eq!(probes_until_run(&mut rng, 0.0, 3), u64::MAX);
    }

    /// Probes every 1 s at phase 0, known failed 500 ms after they are sent; 3 failures
    /// declare down, 2 successes up, probes within 1.5 s of a recovery do not count.
    fn monitor() -> HealthMonitor {
        let params = Detection {
            interval: 1_000_000_000,
            timeout: 500_000_000,
            unhealthy_threshold: 3,
            healthy_threshold: 2,
            probing: Probing::Lazy,
            phase: Some(0),
            grace: 1_500_000_000,
        };
        HealthMonitor::new(1, &params, &mut ChaCha8Rng::seed_from_u64(1))
    }

    #[test]
    fn a_clean_outage_is_declared_at_the_hand_computed_instants() {
        let ms = |ms: u64| SimTime(ms * 1_000_000);
        let mut monitor = monitor();
        // Failed at 10.2 s: probes at 11, 12, 13 s fail, the third is known at 13.5 s.
        // Back at 20.3 s: probes from 21.8 s count, so 22 and 23 s succeed: up at 23 s.
        assert_eq!(
            monitor.clean_outage(0, ms(10_200), ms(20_300), ms(30_000)),
            Some((ms(13_500), ms(23_000)))
        );
        assert_eq!(monitor.changed_at(0), ms(20_300));
        assert!(monitor.believed_up(0));
        // The next outage starts from that state: failed at 40 s exactly, a probe sees it.
        assert_eq!(
            monitor.clean_outage(0, ms(40_000), ms(50_000), ms(60_000)),
            Some((ms(42_500), ms(53_000)))
        );
        // Ties with a change, or a repair before the down-declaration, are left to the
        // event-by-event path, and change nothing.
        let mut untouched = monitor.clone();
        for (failed, repaired, next) in [
            (ms(70_000), ms(72_500), ms(90_000)),
            (ms(70_000), ms(72_000), ms(90_000)),
            (ms(70_000), ms(80_000), ms(83_000)),
        ] {
            assert_eq!(untouched.clean_outage(0, failed, repaired, next), None);
            assert_eq!(
                untouched.targets[0].generation,
                monitor.targets[0].generation
            );
            assert_eq!(untouched.changed_at(0), monitor.changed_at(0));
        }
        assert_eq!(
            untouched.clean_outage(0, ms(70_000), ms(80_000), ms(83_001)),
            Some((ms(72_500), ms(83_000)))
        );
    }
}
