//! Health checking (DESIGN §3): a detector probes targets every `interval`; a target is
//! declared down after `unhealthy_threshold` consecutive failed probes (each known
//! `timeout` after it is sent) and up after `healthy_threshold` successes.
//!
//! In lazy mode nothing is scheduled while nothing changes: when a target stops or
//! starts answering, the declaration instant is computed from the probe phase and one
//! timer is scheduled. Explicit mode simulates every probe and exists to check the
//! lazy computation.

use super::{Context, Timer};
use crate::scenarios::model::{Detection, Probing};
use crate::sim::network::Observer;
use crate::sim::time::{Nanos, SimTime};
use crate::sim::topology::NodeId;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Timer kinds used by the health monitor (strategies use kinds below 1000).
const DECLARE: u16 = 1000;
const PROBE: u16 = 1001;

/// A declaration: the monitor now believes `target` is `up` (or down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// Index into the monitor's targets.
    pub target: usize,
    /// The new belief.
    pub up: bool,
    /// When the target actually changed (fault time for a down declaration).
    pub changed_at: SimTime,
}

#[derive(Clone, Debug)]
struct TargetHealth {
    node: NodeId,
    phase: Nanos,
    answering: bool,
    believed_up: bool,
    changed_at: SimTime,
    /// When the target last moved away from the believed state (what a declaration reports).
    entered_at: SimTime,
    generation: u32,
    /// Lazy mode: the instant the decisive probe is sent for a pending declaration.
    decisive_probe: Option<SimTime>,
    /// Lazy mode: when the target went back to the believed state while a declaration
    /// was pending; the declaration is void if a probe is sent before it changes again.
    interrupted_at: Option<SimTime>,
    /// Explicit mode: consecutive failures or successes against the current belief.
    streak: u32,
}

/// Health checks of a set of targets from one detector.
#[derive(Clone, Debug)]
pub struct HealthMonitor {
    detector: Observer,
    interval: Nanos,
    timeout: Nanos,
    unhealthy: u32,
    healthy: u32,
    probing: Probing,
    targets: Vec<TargetHealth>,
}

impl HealthMonitor {
    /// A monitor at `detector` for `targets`, with a uniform random probe phase per target.
    pub fn new(
        detector: Observer,
        targets: &[NodeId],
        params: &Detection,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let interval = params.interval.nanos().max(1);
        HealthMonitor {
            detector,
            interval,
            timeout: params.timeout.nanos(),
            unhealthy: params.unhealthy_threshold.max(1),
            healthy: params.healthy_threshold.max(1),
            probing: params.probing,
            targets: targets
                .iter()
                .map(|&node| TargetHealth {
                    node,
                    phase: match params.phase {
                        Some(phase) => phase.nanos() % interval,
                        None => rng.random_range(0..interval),
                    },
                    answering: true,
                    believed_up: true,
                    changed_at: SimTime::ZERO,
                    entered_at: SimTime::ZERO,
                    generation: 0,
                    decisive_probe: None,
                    interrupted_at: None,
                    streak: 0,
                })
                .collect(),
        }
    }

    /// Whether this timer belongs to the monitor.
    pub fn owns(timer: &Timer) -> bool {
        timer.kind >= DECLARE
    }

    /// Whether the monitor currently believes `target` is up.
    pub fn believed_up(&self, target: usize) -> bool {
        self.targets[target].believed_up
    }

    /// When `target` last started or stopped answering probes.
    pub fn changed_at(&self, target: usize) -> SimTime {
        self.targets[target].changed_at
    }

    /// The first probe of `target` sent at or after `t`.
    pub fn first_probe_at_or_after(&self, target: usize, t: SimTime) -> SimTime {
        first_probe(self.targets[target].phase, self.interval, t)
    }

    /// Lazy detection of a failure at `t`: (decisive probe sent, declaration instant).
    pub fn down_declaration(&self, target: usize, t: SimTime) -> (SimTime, SimTime) {
        let first = self.first_probe_at_or_after(target, t);
        let decisive = first.after((self.unhealthy as u64 - 1) * self.interval);
        (decisive, decisive.after(self.timeout))
    }

    /// Lazy detection of a recovery at `t`: the instant the last needed success is seen.
    pub fn up_declaration(&self, target: usize, t: SimTime) -> SimTime {
        let first = self.first_probe_at_or_after(target, t);
        first.after((self.healthy as u64 - 1) * self.interval)
    }

    /// Starts explicit probing (no-op in lazy mode).
    pub fn start(&mut self, ctx: &mut Context) {
        if self.probing == Probing::Explicit {
            for (i, target) in self.targets.iter().enumerate() {
                ctx.schedule(
                    SimTime(target.phase),
                    Timer {
                        kind: PROBE,
                        target: i as u32,
                        token: 0,
                    },
                );
            }
        }
    }

    /// Re-reads which targets answer probes; call after any change in the world.
    pub fn refresh(&mut self, ctx: &mut Context) {
        for i in 0..self.targets.len() {
            // Health checks pass on gray nodes: only reachability matters here.
            let answering = ctx.view.reachable(self.detector, self.targets[i].node);
            let target = &mut self.targets[i];
            if answering == target.answering {
                continue;
            }
            target.answering = answering;
            target.changed_at = ctx.now;
            if answering != target.believed_up {
                // Declarations report when the target entered the state they declare.
                target.entered_at = ctx.now;
            }
            if self.probing == Probing::Explicit {
                continue;
            }
            match (target.decisive_probe, target.interrupted_at) {
                // Away from the belief again after an interruption: the run of probes goes
                // on unless a probe was sent while the target was back.
                (Some(_), Some(interrupted)) => {
                    target.interrupted_at = None;
                    let phase = target.phase;
                    if first_probe(phase, self.interval, interrupted) >= ctx.now {
                        continue;
                    }
                    target.decisive_probe = None;
                    target.generation += 1;
                }
                // The decisive probe was already sent: the declaration stands.
                (Some(decisive), None) if decisive < ctx.now => continue,
                // Back to the believed state: void if a probe sees it, decided later.
                (Some(_), None) => {
                    target.interrupted_at = Some(ctx.now);
                    continue;
                }
                (None, _) => {}
            }
            if answering != target.believed_up {
                self.schedule_declaration(i, ctx);
            }
        }
    }

    fn schedule_declaration(&mut self, i: usize, ctx: &mut Context) {
        let since = self.targets[i].changed_at;
        let (decisive, at) = if self.targets[i].answering {
            let at = self.up_declaration(i, since);
            (at, at)
        } else {
            self.down_declaration(i, since)
        };
        // A change seen while an earlier declaration was in flight is acted on no earlier than now.
        let at = at.max(ctx.now);
        let target = &mut self.targets[i];
        target.generation += 1;
        target.decisive_probe = Some(decisive);
        ctx.schedule(
            at,
            Timer {
                kind: DECLARE,
                target: i as u32,
                token: target.generation,
            },
        );
    }

    /// Handles a monitor timer; returns a declaration when the belief changes.
    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Context) -> Option<Declaration> {
        let i = timer.target as usize;
        match timer.kind {
            PROBE => self.probe(i, ctx),
            DECLARE => {
                let target = &mut self.targets[i];
                if timer.token != target.generation || target.decisive_probe.is_none() {
                    return None;
                }
                target.decisive_probe = None;
                target.streak = 0;
                if target.interrupted_at.take().is_some() {
                    // A probe saw the target back in the believed state.
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
                if self.probing == Probing::Lazy && target.answering != target.believed_up {
                    self.schedule_declaration(i, ctx);
                }
                Some(declaration)
            }
            _ => None,
        }
    }

    fn probe(&mut self, i: usize, ctx: &mut Context) -> Option<Declaration> {
        let answering = ctx.view.reachable(self.detector, self.targets[i].node);
        let interval = self.interval;
        let (unhealthy, healthy, timeout) = (self.unhealthy, self.healthy, self.timeout);
        let target = &mut self.targets[i];
        ctx.schedule(
            ctx.now.after(interval),
            Timer {
                kind: PROBE,
                target: i as u32,
                token: 0,
            },
        );
        if answering == target.believed_up {
            target.streak = 0;
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
            target.generation += 1;
            target.decisive_probe = Some(ctx.now);
            ctx.schedule(
                ctx.now.after(timeout),
                Timer {
                    kind: DECLARE,
                    target: i as u32,
                    token: target.generation,
                },
            );
        }
        None
    }
}

/// The first probe sent at or after `t` by a detector probing at `phase + k·interval`.
fn first_probe(phase: Nanos, interval: Nanos, t: SimTime) -> SimTime {
    if t.0 <= phase {
        return SimTime(phase);
    }
    let periods = (t.0 - phase).div_ceil(interval);
    SimTime(phase.saturating_add(periods.saturating_mul(interval)))
}
