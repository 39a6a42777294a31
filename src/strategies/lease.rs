//! Lease-based detection for ACTIVE_PASSIVE (DESIGN §3, Patroni/etcd style): the primary
//! renews a lease in a store every `loop_wait`; the lease expires `ttl` after the last
//! renewal the store received, and then a standby acts; a primary that cannot renew
//! retries for `retry_timeout` and then demotes itself (fencing by lease).
//!
//! Renewals are sent at phase + k·`loop_wait` (and at the instant a primary takes the
//! lease). Nothing is scheduled while the primary renews: when it stops being able to
//! (it crashes, or the store is down or cut off from it) at t, with the last renewal
//! sent at r ≤ t and its one-way latency to the store ℓ,
//!
//! - the lease expires at r + ℓ + `ttl` (a loss in [r, r + `loop_wait`) is detected
//!   between `ttl` − `loop_wait` + ℓ and `ttl` + ℓ after it);
//! - a primary still up demotes itself at r' + `retry_timeout`, r' the first renewal
//!   after t (at most r + `loop_wait`): with `loop_wait` + `retry_timeout` ≤ `ttl` it has
//!   stopped before the lease expires, so no standby is promoted while it still acts.
//!
//! A primary that can renew again before it demoted and before the lease expired keeps
//! its lease (its retry succeeds at once): nothing happened.

use super::params::Site;
use super::{Address, Context, View};
use crate::core::generation::Generation;
use crate::core::time::{Nanos, SimTime};
use crate::net::topology::NodeId;
use crate::scenarios::check::Checker;
use crate::scenarios::model;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A lease, compiled.
#[derive(Clone, Debug)]
pub struct Params {
    /// Lifetime after the last renewal the store received, at least `loop_wait`.
    pub ttl: Nanos,
    /// Time between renewals, above zero.
    pub loop_wait: Nanos,
    /// How long a failed renewal is retried before the primary demotes itself.
    pub retry_timeout: Nanos,
    /// The node that holds the store; None is a global store every up node reaches at once.
    pub store: Option<NodeId>,
    /// Renewal phase; None draws one per replication.
    pub phase: Option<Nanos>,
}

/// Checks and compiles a service's `active_passive.lease` block written at `path`.
pub(crate) fn compile(
    block: &model::Lease,
    site: &Site,
    path: &str,
    check: &mut Checker,
) -> Params {
    let (ttl, loop_wait) = (block.ttl.nanos(), block.loop_wait.nanos());
    check.require(
        loop_wait > 0,
        format!("{path}.loop_wait"),
        "the renewal period must be longer than zero",
    );
    check.require(
        ttl >= loop_wait,
        format!("{path}.ttl"),
        format!(
            "a lease of {} s would expire before its next renewal: make `ttl` at least \
             `loop_wait` ({} s)",
            block.ttl.secs(),
            block.loop_wait.secs()
        ),
    );
    let retry_timeout = block.retry_timeout.nanos();
    if loop_wait > 0 && ttl >= loop_wait && loop_wait.saturating_add(retry_timeout) > ttl {
        check.warn(
            format!("{path}.retry_timeout"),
            format!(
                "a primary cut off from the store demotes itself up to `loop_wait` + \
                 `retry_timeout` = {} s after its last renewal, after its lease expires \
                 ({} s): a standby may take over while it still acts (split-brain); \
                 Patroni asks for `ttl` ≥ `loop_wait` + 2·`retry_timeout`",
                block.loop_wait.secs() + block.retry_timeout.secs(),
                block.ttl.secs()
            ),
        );
    }
    let store = block
        .store
        .as_ref()
        .and_then(|store| check.node(&site.topology.names, store, format!("{path}.store")));
    Params {
        ttl,
        loop_wait,
        retry_timeout,
        store,
        phase: block.phase.map(|phase| phase.nanos()),
    }
}

/// A lease timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseTimer {
    /// No renewal reached the store for `ttl`: the lease lapses, unless its generation
    /// moved on since (the primary renewed again, or another replica took the lease).
    Expired(Generation),
    /// Replica `replica` has retried its renewal for `retry_timeout` in vain and demotes
    /// itself, unless its generation moved on since (it renewed, or took the lease anew).
    Demoted {
        /// Index of the replica.
        replica: u32,
        /// The replica's demotion generation at scheduling.
        token: Generation,
    },
}

/// What a lease timer means to the strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeaseEvent {
    /// The lease expired; the holder stopped renewing at `lost_at`.
    Expired {
        /// When the holder stopped being able to renew.
        lost_at: SimTime,
    },
    /// Replica `.0` demoted itself: it no longer acts as primary.
    Demoted(usize),
}

/// Where the holder stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holding {
    /// The holder renews every `loop_wait`.
    Renewing,
    /// The holder cannot renew since `lost_at`; the lease expires at the pending
    /// `Expired` timer; the holder demotes itself at `demote_at` if it is up by then.
    Lapsing {
        lost_at: SimTime,
        demote_at: SimTime,
        demotion_pending: bool,
    },
    /// The lease expired: nobody holds it until a replica takes it.
    Expired,
}

/// The lease of one ACTIVE_PASSIVE service.
#[derive(Clone, Debug)]
pub(crate) struct Lease {
    params: Params,
    phase: Nanos,
    holder: usize,
    /// The holder's renewal at the instant it took (or took back) the lease.
    held_since: SimTime,
    /// One-way latency from the holder to the store while it renews.
    latency: Nanos,
    holding: Holding,
    generation: Generation,
    /// Per replica: its demotion generation, and whether it demoted itself.
    demotion: Vec<Generation>,
    demoted: Vec<bool>,
}

impl Lease {
    /// The lease of `replicas` replicas, held by the first from time 0; the renewal
    /// phase is the configured one or drawn from `rng`.
    pub(crate) fn new(params: &Params, replicas: usize, rng: &mut ChaCha8Rng) -> Self {
        let loop_wait = params.loop_wait.max(1);
        let phase = match params.phase {
            Some(phase) => phase % loop_wait,
            None => rng.random_range(0..loop_wait),
        };
        Lease {
            params: params.clone(),
            phase,
            holder: 0,
            held_since: SimTime::ZERO,
            latency: 0,
            holding: Holding::Renewing,
            generation: Generation::default(),
            demotion: vec![Generation::default(); replicas],
            demoted: vec![false; replicas],
        }
    }

    /// Whether `node` is up, not paused, and reaches the store (and so could renew or
    /// take the lease).
    pub(crate) fn reaches_store(&self, node: NodeId, view: &View) -> bool {
        match self.params.store {
            Some(store) => view.reachable(Some(node), store),
            None => view.network.answers(node),
        }
    }

    /// Whether replica `replica` demoted itself and has not taken the lease since.
    pub(crate) fn is_demoted(&self, replica: usize) -> bool {
        self.demoted[replica]
    }

    /// Whether the lease expired and nobody took it since.
    pub(crate) fn expired(&self) -> bool {
        self.holding == Holding::Expired
    }

    /// Replica `holder` takes the lease now (a promotion, or the old primary taking back
    /// a free lease): it renews from now on and acts as primary. Pending timers of the
    /// previous holding go stale, except the demotion of another replica.
    pub(crate) fn hand_to(&mut self, holder: usize, now: SimTime) {
        self.generation.bump();
        self.demotion[holder].bump();
        self.demoted[holder] = false;
        self.holder = holder;
        self.holding = Holding::Renewing;
        self.held_since = now;
    }

    /// The last renewal sent at or before `t`.
    fn last_renewal(&self, t: SimTime) -> SimTime {
        let slot = if t.0 < self.phase {
            SimTime::ZERO
        } else {
            let loop_wait = self.params.loop_wait.max(1);
            SimTime(t.0 - (t.0 - self.phase) % loop_wait)
        };
        slot.max(self.held_since)
    }

    /// The first renewal slot after `t`.
    fn next_renewal(&self, t: SimTime) -> SimTime {
        let loop_wait = self.params.loop_wait.max(1);
        if t.0 < self.phase {
            SimTime(self.phase)
        } else {
            SimTime(t.0 - (t.0 - self.phase) % loop_wait).after(loop_wait)
        }
    }

    /// Re-reads whether the holder `node` can renew; call after any change in the world.
    pub(crate) fn observe(
        &mut self,
        node: NodeId,
        ctx: &mut Context,
        address: impl Address<LeaseTimer>,
    ) {
        let renews = self.reaches_store(node, &ctx.view);
        match self.holding {
            Holding::Renewing if renews => {
                if let Some(store) = self.params.store {
                    self.latency = ctx.view.network.latency(Some(node), store).unwrap_or(0);
                }
            }
            Holding::Renewing => {
                let last = self.last_renewal(ctx.now);
                let expiry = last.after(self.latency).after(self.params.ttl);
                let timer = LeaseTimer::Expired(self.generation.token());
                ctx.schedule(expiry.max(ctx.now), address(timer));
                self.holding = Holding::Lapsing {
                    lost_at: ctx.now,
                    demote_at: self.next_renewal(ctx.now).after(self.params.retry_timeout),
                    demotion_pending: false,
                };
                self.schedule_demotion(node, ctx, address);
            }
            Holding::Lapsing { .. } if renews && !self.demoted[self.holder] => {
                // The retry got through before the deadline: the lease is renewed now.
                self.generation.bump();
                self.demotion[self.holder].bump();
                self.holding = Holding::Renewing;
                self.held_since = ctx.now;
                self.observe(node, ctx, address);
            }
            Holding::Lapsing { .. } => self.schedule_demotion(node, ctx, address),
            Holding::Expired => {}
        }
    }

    /// While the lease lapses, a holder that is up (and so still believes it is the
    /// primary) demotes itself at its deadline; once scheduled, the demotion stands.
    fn schedule_demotion(
        &mut self,
        node: NodeId,
        ctx: &mut Context,
        address: impl Address<LeaseTimer>,
    ) {
        let Holding::Lapsing {
            lost_at,
            demote_at,
            demotion_pending: false,
        } = self.holding
        else {
            return;
        };
        if !ctx.view.network.is_up(node) {
            return;
        }
        let timer = LeaseTimer::Demoted {
            replica: self.holder as u32,
            token: self.demotion[self.holder].token(),
        };
        ctx.schedule(demote_at.max(ctx.now), address(timer));
        self.holding = Holding::Lapsing {
            lost_at,
            demote_at,
            demotion_pending: true,
        };
    }

    /// A lease timer fired: what it means, if it is still current.
    pub(crate) fn on_timer(&mut self, timer: LeaseTimer) -> Option<LeaseEvent> {
        match timer {
            LeaseTimer::Expired(token) => {
                let Holding::Lapsing { lost_at, .. } = self.holding else {
                    return None;
                };
                if !self.generation.is_current(token) {
                    return None;
                }
                self.holding = Holding::Expired;
                Some(LeaseEvent::Expired { lost_at })
            }
            LeaseTimer::Demoted { replica, token } => {
                let replica = replica as usize;
                if !self.demotion[replica].is_current(token) {
                    return None;
                }
                self.demoted[replica] = true;
                Some(LeaseEvent::Demoted(replica))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const SEC: Nanos = 1_000_000_000;

    /// A lease renewed at 3 s + k·10 s.
    fn lease() -> Lease {
        let params = Params {
            ttl: 30 * SEC,
            loop_wait: 10 * SEC,
            retry_timeout: 10 * SEC,
            store: None,
            phase: Some(3 * SEC),
        };
        Lease::new(&params, 2, &mut ChaCha8Rng::seed_from_u64(1))
    }

    #[test]
    fn the_last_renewal_is_the_last_slot_at_or_before_the_loss_or_the_taking_of_the_lease() {
        let mut lease = lease();
        // Before the first slot: the lease taken at time 0.
        assert_eq!(lease.last_renewal(SimTime(2 * SEC)), SimTime::ZERO);
        assert_eq!(lease.last_renewal(SimTime(3 * SEC)), SimTime(3 * SEC));
        assert_eq!(lease.last_renewal(SimTime(12 * SEC)), SimTime(3 * SEC));
        assert_eq!(lease.last_renewal(SimTime(13 * SEC)), SimTime(13 * SEC));
        // Taken at 15 s: that renewal counts until the slot at 23 s.
        lease.hand_to(1, SimTime(15 * SEC));
        assert_eq!(lease.last_renewal(SimTime(20 * SEC)), SimTime(15 * SEC));
        assert_eq!(lease.last_renewal(SimTime(23 * SEC)), SimTime(23 * SEC));
    }

    #[test]
    fn the_first_missed_renewal_is_the_first_slot_after_the_loss() {
        let lease = lease();
        assert_eq!(lease.next_renewal(SimTime(0)), SimTime(3 * SEC));
        assert_eq!(lease.next_renewal(SimTime(3 * SEC)), SimTime(13 * SEC));
        assert_eq!(lease.next_renewal(SimTime(12 * SEC)), SimTime(13 * SEC));
    }

    #[test]
    fn a_drawn_phase_lies_within_one_renewal_period() {
        let params = Params {
            phase: None,
            ..lease().params
        };
        for seed in 0..50 {
            let lease = Lease::new(&params, 2, &mut ChaCha8Rng::seed_from_u64(seed));
            assert!(lease.phase < 10 * SEC, "seed {seed}: {}", lease.phase);
        }
    }
}
