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
//!
//! **Renewals are messages** from the holder to the store, over the shortest path as it
//! stands while the holder renews (a global store takes no time and loses nothing):
//!
//! - over jittered links each renewal draws its one-way delay ℓ when it is sent, from
//!   its own stream (kind `lease_renewal`, the service, the holder, the store and the
//!   sending instant), so the expiry above is r + ℓ(r) + `ttl` for the renewal r
//!   received last: the latest arrival among the last renewals sent (one overtaken by
//!   more than eight later ones is not looked for);
//! - over a degraded link each renewal is lost with the link's loss (drawn when it
//!   matters, from the service's stream), and a lost renewal is not received. While the
//!   holder renews, a run of ⌊`ttl` / `loop_wait`⌋ lost renewals lets the lease expire
//!   under a live holder, at r + ℓ + `ttl` for the renewal r before the run (ℓ the mean
//!   delay); the run is drawn at once (no event per renewal), and drawn again when the
//!   loss changes. `lost_at` is then the first lost renewal; the holder, which still
//!   reaches the store, finds the lease taken at its next renewal and steps down (an
//!   unnecessary failover, no split-brain). When the holder stops being able to renew,
//!   the last renewals before that are each lost with the loss as it was, and the
//!   expiry counts from the last one received (the lease taken counts as received). A
//!   link that loses everything is a cut: the holder cannot renew.
//!
//! With fixed latencies and no loss nothing is drawn: the expiry is r + ℓ + `ttl`.

use super::detection::probes_until_run;
use super::params::Site;
use super::{Address, Context, View};
use crate::core::generation::Generation;
use crate::core::rng::KeyParts;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::Route;
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

/// How many renewals sent before the latest one received are still looked at for a
/// later arrival (over jittered links a renewal may overtake earlier ones).
const OVERTAKEN: u64 = 8;

/// The most renewals looked at, from the last one sent backwards, for the last received.
const LOOKED_BACK: u64 = 1024;

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
    /// The holder renews over a lossy link, and a run of lost renewals starting with the
    /// one sent at `lost_at` lets the lease expire at the pending `Expired` timer.
    LosingRenewals { lost_at: SimTime },
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
    /// Mean one-way latency from the holder to the store while it renews.
    latency: Nanos,
    /// The path of a renewal from the holder to the store while it renews.
    route: Route,
    /// The network epoch and holder that `latency` and `route` were looked up for.
    looked_up: Option<(u64, NodeId)>,
    /// Probability that a renewal is lost, while the holder renews.
    loss: f64,
    /// What names a renewal, before the holder, the store and the sending instant.
    identity: KeyParts,
    holding: Holding,
    generation: Generation,
    /// Per replica: its demotion generation, and whether it demoted itself.
    demotion: Vec<Generation>,
    demoted: Vec<bool>,
}

impl Lease {
    /// The lease of `replicas` replicas of service `service`, held by the first from
    /// time 0; the renewal phase is the configured one or drawn from `rng`.
    pub(crate) fn new(
        params: &Params,
        service: &str,
        replicas: usize,
        rng: &mut ChaCha8Rng,
    ) -> Self {
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
            route: Route::default(),
            looked_up: None,
            loss: 0.0,
            identity: KeyParts::of(&["lease_renewal", service]),
            holding: Holding::Renewing,
            generation: Generation::default(),
            demotion: vec![Generation::default(); replicas],
            demoted: vec![false; replicas],
        }
    }

    /// Whether `node` is up, not paused, and reaches the store over a link that does not
    /// lose every message (and so could renew or take the lease).
    pub(crate) fn reaches_store(&self, node: NodeId, view: &View) -> bool {
        match self.params.store {
            Some(store) => {
                view.reachable(Some(node), store)
                    && view.network.probe_loss(Some(node), store) < 1.0
            }
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
        // Its renewals' loss is read afresh (and a run of lost ones drawn) at `observe`.
        self.loss = 0.0;
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
            Holding::Renewing | Holding::LosingRenewals { .. } if renews => {
                if let Some(store) = self.params.store {
                    let network = ctx.view.network;
                    // The path changes only with the network.
                    let looked_up = Some((network.epoch(), node));
                    if self.looked_up != looked_up {
                        self.looked_up = looked_up;
                        self.latency = network.latency(Some(node), store).unwrap_or(0);
                        self.route = if network.topology().jittered() {
                            network.route(Some(node), store).unwrap_or_default()
                        } else {
                            Route {
                                fixed: self.latency,
                                jittered: Vec::new(),
                            }
                        };
                    }
                    let loss = network.probe_loss(Some(node), store);
                    if loss != self.loss {
                        self.loss = loss;
                        self.draw_lost_run(ctx, address);
                    }
                }
            }
            Holding::Renewing | Holding::LosingRenewals { .. } => {
                if matches!(self.holding, Holding::LosingRenewals { .. }) {
                    // The run of lost renewals drawn is void: the holder stops renewing.
                    self.generation.bump();
                }
                let received = self.last_received(node, ctx);
                let expiry = received.after(self.params.ttl);
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
                self.loss = 0.0;
                self.observe(node, ctx, address);
            }
            Holding::Lapsing { .. } => self.schedule_demotion(node, ctx, address),
            Holding::Expired => {}
        }
    }

    /// Draws, for a holder that renews from now on over a link losing each renewal with
    /// probability `loss`, the first run of lost renewals long enough for the lease to
    /// expire: ⌊`ttl` / `loop_wait`⌋ in a row, counted from the first renewal after now
    /// (a renewal that arrives exactly at the expiry renews the lease). Nothing is drawn
    /// without loss; a run drawn before is void.
    fn draw_lost_run(&mut self, ctx: &mut Context, address: impl Address<LeaseTimer>) {
        if matches!(self.holding, Holding::LosingRenewals { .. }) {
            self.generation.bump();
            self.holding = Holding::Renewing;
        }
        if self.loss <= 0.0 {
            return;
        }
        let loop_wait = self.params.loop_wait.max(1);
        let run = (self.params.ttl / loop_wait).clamp(1, u64::from(u32::MAX)) as u32;
        let completed = probes_until_run(ctx.rng, self.loss, run);
        if completed == u64::MAX {
            return;
        }
        // The renewal before the run is the last one received: number `completed − run`
        // counting from the last sent at or before now (number 0).
        let last = self.last_renewal(ctx.now);
        let before_run = completed - u64::from(run);
        let received = last.after(before_run.saturating_mul(loop_wait));
        let lost_at = if before_run == 0 {
            self.next_renewal(ctx.now)
        } else {
            received.after(loop_wait)
        };
        let expiry = received.after(self.latency).after(self.params.ttl);
        self.holding = Holding::LosingRenewals { lost_at };
        let timer = LeaseTimer::Expired(self.generation.token());
        ctx.schedule(expiry.max(ctx.now), address(timer));
    }

    /// When the store received the last renewal of holder `node` among those sent at or
    /// before now: each renewal's delay drawn from its own stream over jittered links,
    /// each lost with the link's loss (drawn from the service's stream), the renewal
    /// that took the lease always received.
    fn last_received(&self, node: NodeId, ctx: &mut Context) -> SimTime {
        let last = self.last_renewal(ctx.now);
        let Some(store) = self.params.store else {
            return last;
        };
        if self.route.jittered.is_empty() && self.loss <= 0.0 {
            return last.after(self.route.fixed);
        }
        let network = ctx.view.network;
        let names = &network.topology().names;
        let delay = |sent: SimTime| {
            network.delay(&self.route, || {
                (self.identity.clone())
                    .then(names.name(node))
                    .then(names.name(store))
                    .then(sent.0.to_le_bytes())
                    .key()
            })
        };
        let loop_wait = self.params.loop_wait.max(1);
        let (mut sent, mut latest, mut first_found) = (last, None::<SimTime>, None::<u64>);
        for back in 0..=LOOKED_BACK {
            let taken = sent <= self.held_since;
            let lost = !taken && self.loss > 0.0 && ctx.rng.random_bool(self.loss.min(1.0));
            if !lost {
                let arrival = sent.after(delay(sent));
                latest = Some(latest.map_or(arrival, |best| best.max(arrival)));
                first_found.get_or_insert(back);
                // With a fixed delay no earlier renewal arrives later.
                if self.route.jittered.is_empty() {
                    break;
                }
            }
            if taken || first_found.is_some_and(|found| back - found >= OVERTAKEN) {
                break;
            }
            // The renewal before: the slot before, or the taking of the lease.
            sent = SimTime(sent.0.saturating_sub(loop_wait)).max(self.held_since);
        }
        // Every renewal looked at was lost: the lease ran out long ago.
        latest.unwrap_or(SimTime::ZERO)
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
                let (Holding::Lapsing { lost_at, .. } | Holding::LosingRenewals { lost_at }) =
                    self.holding
                else {
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
        Lease::new(&params, "db", 2, &mut ChaCha8Rng::seed_from_u64(1))
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
            let lease = Lease::new(&params, "db", 2, &mut ChaCha8Rng::seed_from_u64(seed));
            assert!(lease.phase < 10 * SEC, "seed {seed}: {}", lease.phase);
        }
    }
}
