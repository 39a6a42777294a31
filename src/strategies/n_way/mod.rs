//! N_WAY: quorum replication with a Raft-style leader (DESIGN §4).
//!
//! Failover times are not drawn from a range: they emerge from the protocol. Replica 0
//! leads term 1 from time 0. A leader sends heartbeats at `term_start + k·h`, each
//! arriving after the one-way topology latency. While a leader is healthy and reaches
//! its followers nothing is scheduled: when a follower stops hearing it (crash,
//! partition, step-down) its election timer is computed directly as the arrival of the
//! last heartbeat received at or before the loss plus an election timeout drawn
//! uniformly in `[tmin, tmax]`. Heartbeats in flight when the leader crashes were
//! already on the wire: they still arrive, so "received" counts those sent at or before
//! the crash, even arriving after it; a partition or cut drops them with the path.
//! Events are scheduled only during elections: timers, vote requests and replies, and the new leader's first
//! heartbeat, each message taking the latency of its path at sending (over jittered links
//! a delay drawn from the message's own stream, keyed by its identity: heartbeat k of a
//! term is dated by its own draw without being simulated) and dropped when its path is
//! broken at arrival.
//!
//! Messages suffer the link's loss p (`degrade_link`; loss 1 counts as a cut): each vote
//! message is dropped with probability p, and a heartbeat sent to a replica that does
//! not follow yet is delivered after a geometric number of lost ones. A follower's
//! heartbeats are still not events: when p > 0 the heartbeat that completes the first
//! run of ⌊T/h⌋ losses is drawn at once (T its timeout, h the period), and the follower
//! times out at the last delivered heartbeat's arrival plus T (heartbeats.rs). A
//! follower that timed out this way no longer hears its leader: it grants pre-votes and
//! votes, yet backs the leader (same term) until it moves to a higher term or the
//! leader's next delivered heartbeat brings it back. Nothing is drawn while p = 0.
//!
//! Mechanism choices (standard Raft unless said otherwise):
//! - **Election restriction** (Raft §5.4.1) under asynchronous replication: each
//!   replica's log ends at (term, instant) of the last entries it took — a follower's
//!   those of the last heartbeat it received, less the replication lag drawn when it
//!   loses its leader; a leader's when it stops leading — and a voter refuses a
//!   candidate whose log is behind its own. Synchronous replication compares no logs.
//! - **One vote per term**, first come first served; granting a vote restarts the
//!   voter's election timer. A candidate that wins no quorum retries when its own timer
//!   fires again, with a fresh timeout and a higher term (split votes).
//! - **Leader stickiness** (Raft thesis §4.2.3, etcd's check-quorum lease): a replica
//!   that hears a live leader ignores vote requests, so a rejoining replica cannot depose
//!   a working leader.
//! - **Pre-Vote** (thesis §9.6): a replica whose timer fires starts an election only if
//!   it reaches a quorum of up replicas that hear no live leader. Otherwise it waits,
//!   without a timer, until a change (a repair, a heal, a leader's step-down) lets its
//!   pre-vote pass, then restarts its timer from that instant (the residual of its
//!   periodic timer is not tracked). So a minority never inflates its term, and nothing
//!   is scheduled while no election can win.
//! - **Stale terms** (Raft §5.1): a replica whose term is higher than a heartbeat's
//!   rejects it, whatever its role (a follower that granted a vote in a newer term, a
//!   candidate, a newer leader), and answers with its term (`HeartbeatRefused`); the
//!   stale leader that receives the answer moves to that term and steps down (its log
//!   ending then), as it does on any heartbeat of a higher term. The leader keeps
//!   sending while the answer can come back, not while the path back is cut (nothing
//!   would change). Otherwise a heartbeat makes a replica follow its leader unless the
//!   replica hears a leader of an equal or higher term; a candidate of the same term
//!   follows it (it lost that round). Two leaders that reach each other: the lower term
//!   steps down on the other's heartbeat, or on the refusal of its own.
//! - **Check-quorum**: a leader that no longer reaches a quorum of replicas that follow
//!   it (or voted for it in its term) steps down `tmax` after losing it; it stops
//!   serving at once, since it cannot commit a write, so a minority side never serves.
//! - A **paused** replica (DESIGN §5) keeps everything: role, term, vote, leader. It
//!   sends and receives nothing and runs no timer (a pending one is cancelled), so a
//!   paused leader does not step down: it resumes as the leader of its old term, with
//!   no quorum behind it if the others elected a new one meanwhile (it cannot serve),
//!   and steps down at the first message of the newer term that reaches it: most often
//!   the refusal of its own next heartbeat, sent at once, by a replica of that term
//!   (else the new leader's heartbeat). A replica resumes
//!   with a fresh election timer if it follows nobody. A crash ends a pause: the replica
//!   comes back from its repair as any crashed one, not frozen.
//! - A crashed replica keeps its term and vote (Raft's persistent state) and comes back
//!   as a follower with a fresh election timer; a live leader's next heartbeat
//!   (`term_start + k·h` + latency) makes it follow, so no election is held.
//!
//! A vantage point is served iff some leader reaches a quorum (itself included) and the
//! vantage reaches it; the leader carries the whole demand alone, so the served fraction
//! is then min(1, its capacity / demand), and 0 otherwise.
//!
//! Failovers (DESIGN §6), one per loss of the serving leader that an election timer
//! detects: `fault_at` when it stopped serving (crash or quorum lost), `detected_at` =
//! `decided_at` the first election timer that fired afterwards while the lost leader
//! still could not serve (elections are automatic: `failover.mode`, `timeout`,
//! `retries` and `backoff` do not apply to N_WAY), `completed_at` when a leader serves
//! again. `attempt` counts the failed tries before that: election rounds (terms) that
//! won no quorum, and a `NoQuorum` record. The outcome is `Success` when a new leader
//! serves while the lost one still cannot (down, or cut off from a quorum);
//! `Superseded` when the lost leader could serve again first (repaired or healed: a
//! follower crash that broke a quorum counts here when the follower returns); and
//! `NoQuorum` when no group could elect (recorded as an attempt when a timer fires and
//! no group of replicas can gather a quorum) and another replica's repair or heal made
//! the election possible: waiting for a repair is never a success. A loss that ends
//! before any timer detects it (the old leader regains its quorum, or every replica was
//! down and they return together) is a recovery, not a failover; a follower crash that
//! leaves the quorum intact is neither. An election still running at the horizon ends
//! its failover there (`NoQuorum` if it waited for a quorum, else `Unfinished`).
//! Commits need a quorum, so no acknowledged write is lost: data loss is zero.
//!
//! BFT (`n_way.bft`): f = `max_faulty` (default ⌊(n−1)/3⌋) and the quorum is
//! ⌈(n+f+1)/2⌉ (2f+1 when n = 3f+1; any two quorums share a correct replica), or the
//! configured quorum if larger. The leader-election timing is the same. Without BFT,
//! f = 0: Raft tolerates no Byzantine replica. Whenever more than f replicas are
//! Byzantine one safety violation is counted per such episode; Byzantine replicas are
//! taken to keep the protocol's timing, so with at most f of them nothing changes.

mod election;
mod heartbeats;
mod messages;
#[cfg(test)]
mod one_way_tests;
#[cfg(test)]
mod pause_tests;
mod records;
#[cfg(test)]
mod test_support;

pub(crate) use messages::Message;

use super::failover::Replication;
use super::params::n_way::Params;
use super::spec::ServiceSpec;
use super::{capacity_fraction, Context, FaultTag, Stimulus, Strategy, View};
use crate::core::generation::Generation;
use crate::core::rng::KeyParts;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Observer, Route};
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::distribution::Distribution;
use rand_chacha::ChaCha8Rng;
use records::Episode;

/// An N_WAY timer: a replica's own timer, or a message arriving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NWayTimer {
    /// A follower's or candidate's election timeout.
    Election {
        /// The replica.
        replica: u32,
        /// Its timer generation at scheduling.
        token: Generation,
    },
    /// A leader steps down, its quorum lost for one election timeout.
    StepDown {
        /// The leader.
        replica: u32,
        /// Its timer generation at scheduling.
        token: Generation,
    },
    /// A message arrives.
    Message(Message),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Follower,
    Candidate,
    Leader,
}

#[derive(Clone, Debug)]
struct Replica {
    node: NodeId,
    role: Role,
    term: u32,
    voted_for: Option<usize>,
    /// The leader (index, its term) whose heartbeats this replica receives.
    following: Option<(usize, u32)>,
    /// It timed out on its leader's heartbeats (all lost) and has not heard it since:
    /// it no longer hears the leader but still backs it (same term).
    missed: bool,
    /// When it began to follow: no heartbeat of that leader reached it earlier.
    followed_since: SimTime,
    /// The path from its leader, as last seen while it could hear it: a heartbeat's
    /// delay is drawn on it.
    leader_route: Route,
    /// The network epoch and leader `leader_route` was last looked up for: the path
    /// changes only with the network, so each settle need not find it again.
    route_for: (u64, usize),
    /// Generation of its own timer (election, or step-down while leader); bumping it
    /// cancels the pending one.
    generation: Generation,
    /// Its own timer is pending.
    timer_pending: bool,
    /// The pending timer is a heartbeat-miss timer drawn for this loss on the link from
    /// its leader.
    miss_loss: Option<f64>,
    /// Its pre-vote failed: it waits for the world to change before timing out again.
    parked: bool,
    /// Candidate: votes received in its term, its own included.
    votes: usize,
    /// Leader: heartbeats leave at `term_start + k·h`.
    term_start: SimTime,
    /// A heartbeat of this (leader, term) is on its way to it.
    heartbeat_pending: Option<(usize, u32)>,
    /// Its log as of when it last stopped taking a leader's entries: the term of its
    /// last entry and the instant that entry was written (Raft's last log term and
    /// index; while it follows or leads, its log is current).
    log: LogPosition,
}

impl Replica {
    /// It stops taking a leader's entries at `now` (it steps down, or crashes): a
    /// leader's log, or a follower's that heard its leader, ends here.
    fn close_log(&mut self, now: SimTime) {
        if self.role == Role::Leader {
            self.log = (self.term, now);
        } else if let Some((_, term)) = self.following.filter(|_| !self.missed) {
            self.log = (term, now);
        }
    }
}

/// The end of a replica's log: the term of its last entry, then when it was written.
/// Ordered as Raft compares logs: the later term, then the longer log, is ahead.
type LogPosition = (u32, SimTime);

/// The N_WAY strategy for one service.
pub(crate) struct NWay {
    replicas: Vec<Replica>,
    /// Capacity of each replica: the serving leader alone serves the demand.
    capacity: Vec<f64>,
    demand: f64,
    quorum: usize,
    tolerated_byzantine: usize,
    heartbeat: Nanos,
    timeout_min: Nanos,
    timeout_max: Nanos,
    /// The leader that served at the end of the last stimulus.
    serving: Option<usize>,
    episode: Option<Episode>,
    /// The fault behind the latest node or network change.
    cause: FaultTag,
    /// More than the tolerated number of replicas are Byzantine now.
    unsafe_now: bool,
    /// The service's part of its messages' identities (their delays' streams).
    identity: KeyParts,
    /// Asynchronous replication: how far behind its leader's log a follower's is.
    lag: Option<Distribution>,
}

impl NWay {
    /// Builds the strategy: replica 0 leads term 1 and every other replica follows it.
    pub(crate) fn new(
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
        _phase_rng: &mut ChaCha8Rng,
    ) -> Self {
        let n = spec.replicas.len();
        let capacity = spec
            .replicas
            .iter()
            .map(|node| topology.nodes[node.index()].capacity)
            .collect();
        let replicas = spec
            .replicas
            .iter()
            .enumerate()
            .map(|(index, &node)| Replica {
                node,
                role: if index == 0 {
                    Role::Leader
                } else {
                    Role::Follower
                },
                term: 1,
                voted_for: Some(0),
                following: (index != 0).then_some((0, 1)),
                missed: false,
                followed_since: SimTime::ZERO,
                leader_route: Route::default(),
                route_for: (0, 0),
                generation: Generation::default(),
                timer_pending: false,
                miss_loss: None,
                parked: false,
                votes: 0,
                term_start: SimTime::ZERO,
                heartbeat_pending: None,
                log: (1, SimTime::ZERO),
            })
            .collect();
        NWay {
            replicas,
            capacity,
            demand: spec.demand,
            quorum: params.quorum,
            tolerated_byzantine: params.tolerated_byzantine,
            heartbeat: params.heartbeat.max(1),
            timeout_min: params.election_timeout_min,
            timeout_max: params.election_timeout_max,
            serving: (n > 0).then_some(0),
            episode: None,
            cause: FaultTag::default(),
            unsafe_now: false,
            identity: KeyParts::of(&["n_way", spec.name.as_str()]),
            lag: match &spec.replication {
                Replication::Sync => None,
                Replication::Async { lag } => Some(lag.clone()),
            },
        }
    }

    fn up(&self, view: &View, i: usize) -> bool {
        view.network.is_up(self.replicas[i].node)
    }

    fn paused(&self, view: &View, i: usize) -> bool {
        view.network.is_paused(self.replicas[i].node)
    }

    /// Whether `from`'s messages reach `to`: reachable, and not over a link that loses
    /// every message (a `degrade_link` with loss 1 drops heartbeats and votes as surely
    /// as a cut; lower losses are drawn per message, see [`Self::loss`]).
    fn reaches(&self, view: &View, from: usize, to: usize) -> bool {
        let (a, b) = (self.replicas[from].node, self.replicas[to].node);
        view.reachable(Some(a), b) && view.network.probe_loss(Some(a), b) < 1.0
    }

    /// The probability that a message from `from` to `to` is lost (the `degrade_link`
    /// loss on their link).
    fn loss(&self, view: &View, from: usize, to: usize) -> f64 {
        let (a, b) = (self.replicas[from].node, self.replicas[to].node);
        view.network.probe_loss(Some(a), b)
    }

    /// Whether `a` and `b` exchange messages both ways (one check while the network is
    /// symmetric).
    fn exchanges(&self, view: &View, a: usize, b: usize) -> bool {
        self.reaches(view, a, b) && (view.network.symmetric() || self.reaches(view, b, a))
    }

    /// The path of a message from `from` to `to` sent now, if there is one.
    fn route(&self, view: &View, from: usize, to: usize) -> Option<Route> {
        view.network
            .route(Some(self.replicas[from].node), self.replicas[to].node)
    }

    fn is_live_leader(&self, view: &View, l: usize) -> bool {
        self.replicas[l].role == Role::Leader && self.up(view, l)
    }

    /// The live leader `p` follows, if its heartbeats can still reach it.
    fn connected_leader(&self, view: &View, p: usize) -> Option<(usize, u32)> {
        self.replicas[p].following.filter(|&(l, term)| {
            self.is_live_leader(view, l)
                && self.replicas[l].term == term
                && self.reaches(view, l, p)
        })
    }

    /// The live leader `p` follows, if its heartbeats still reach it and it has not
    /// timed out on them.
    fn heard_leader(&self, view: &View, p: usize) -> Option<(usize, u32)> {
        self.connected_leader(view, p)
            .filter(|_| !self.replicas[p].missed)
    }

    /// Whether `p` is a live leader or follows one (and so ignores vote requests).
    fn hears_live_leader(&self, view: &View, p: usize) -> bool {
        self.is_live_leader(view, p) || self.heard_leader(view, p).is_some()
    }

    /// Replicas that back leader `l` now: itself, plus those it exchanges messages with
    /// both ways (its appends reach them, their acknowledgements reach it) that follow it
    /// or voted for it in its term (its first heartbeat may still be on its way to them).
    fn support(&self, view: &View, l: usize) -> usize {
        let term = self.replicas[l].term;
        1 + (0..self.replicas.len())
            .filter(|&p| p != l && self.exchanges(view, l, p))
            .filter(|&p| {
                let r = &self.replicas[p];
                r.following == Some((l, term)) || (r.voted_for == Some(l) && r.term == term)
            })
            .count()
    }

    /// The leader that can commit writes now: it is backed by a quorum.
    fn serving_leader(&self, view: &View) -> Option<usize> {
        (0..self.replicas.len())
            .filter(|&l| self.is_live_leader(view, l) && self.support(view, l) >= self.quorum)
            .max_by_key(|&l| self.replicas[l].term)
    }

    /// Brings every replica in line with the world after any stimulus: crashed replicas
    /// lose their volatile state, followers that lost their leader start their election
    /// timers, leaders without a quorum arm their step-down, replicas a leader reaches
    /// get its heartbeat, and the serving leader's loss or return is recorded.
    fn settle(&mut self, ctx: &mut Context) {
        let n = self.replicas.len();
        for i in 0..n {
            if self.replicas[i].timer_pending && self.paused(&ctx.view, i) {
                self.disarm(i);
            }
            if self.up(&ctx.view, i) {
                continue;
            }
            let replica = &self.replicas[i];
            let volatile = replica.role != Role::Follower
                || replica.following.is_some()
                || replica.timer_pending
                || replica.parked
                || replica.heartbeat_pending.is_some();
            if volatile {
                self.disarm(i);
                let replica = &mut self.replicas[i];
                // Its log is persistent: it ends at the crash.
                replica.close_log(ctx.now);
                replica.role = Role::Follower;
                replica.following = None;
                replica.missed = false;
                replica.parked = false;
                replica.heartbeat_pending = None;
                replica.votes = 0;
            }
        }
        for p in 0..n {
            let Some((l, _)) = self.replicas[p].following else {
                continue;
            };
            if self.connected_leader(&ctx.view, p).is_some() {
                if self.replicas[p].missed {
                    // It waits for the leader's next delivered heartbeat.
                    continue;
                }
                // Remember the path while connected: it dates the last heartbeat later.
                let key = (ctx.view.network.epoch(), l);
                if self.replicas[p].route_for != key {
                    if let Some(route) = self.route(&ctx.view, l, p) {
                        self.replicas[p].leader_route = route;
                    }
                    self.replicas[p].route_for = key;
                }
                self.watch_heartbeats(p, l, ctx);
                continue;
            }
            // Heartbeats already on the wire when the leader crashed or froze still
            // arrive (the follower is up); a partition or cut drops those in flight.
            let arrived_by = if ctx.view.network.answers(self.replicas[l].node) {
                ctx.now
            } else {
                SimTime(Nanos::MAX)
            };
            let last = self.last_heartbeat(l, p, ctx.now, arrived_by, &ctx.view);
            let followed_since = self.replicas[p].followed_since;
            let heard = last.map_or(followed_since, |(_, at)| at.max(followed_since));
            // Its log ends with the entries of the last heartbeat it received, behind
            // by the replication lag.
            let written = last.map_or(followed_since, |(sent, _)| sent);
            let lag = self.draw_lag(ctx.rng);
            self.replicas[p].log = (
                self.replicas[l].term,
                SimTime(written.0.saturating_sub(lag)),
            );
            // Crashed followers were cleared above: this one is up and now times out
            // (paused, once it resumes).
            self.replicas[p].following = None;
            self.replicas[p].missed = false;
            if !self.paused(&ctx.view, p) {
                self.arm_election(p, heard, ctx);
            }
        }
        for l in 0..n {
            if !self.is_live_leader(&ctx.view, l) {
                continue;
            }
            let backed = self.support(&ctx.view, l) >= self.quorum;
            if !backed && !self.replicas[l].timer_pending && !self.paused(&ctx.view, l) {
                let step_down = |replica, token| NWayTimer::StepDown { replica, token };
                self.arm(l, step_down, ctx.now.after(self.timeout_max), ctx);
            } else if backed && self.replicas[l].timer_pending {
                self.disarm(l);
            }
        }
        for i in 0..n {
            let replica = &self.replicas[i];
            // A candidate always has its round's timer, unless a pause cleared it or its
            // pre-vote failed (parked): like an idle follower it starts a fresh one.
            let idle = (replica.role == Role::Candidate
                || replica.role == Role::Follower
                    && (replica.following.is_none() || replica.missed))
                && !replica.timer_pending;
            if !idle || !self.up(&ctx.view, i) || self.paused(&ctx.view, i) {
                continue;
            }
            // A repaired replica starts a fresh timer; a parked one once it could win.
            if !replica.parked || self.pre_vote_passes(&ctx.view, i) {
                self.arm_election(i, ctx.now, ctx);
            }
        }
        for l in 0..n {
            if self.is_live_leader(&ctx.view, l) {
                self.send_heartbeats(l, ctx);
            }
        }
        self.track_serving(ctx);
    }

    fn on_timer(&mut self, timer: NWayTimer, ctx: &mut Context) {
        match timer {
            NWayTimer::Election { replica, token } | NWayTimer::StepDown { replica, token } => {
                let i = replica as usize;
                if !self.replicas[i].generation.is_current(token) {
                    return;
                }
                // Winning, stepping down, crashing and following all cancel the timer,
                // so a live one always matches the role.
                let leads = self.replicas[i].role == Role::Leader;
                debug_assert_eq!(leads, matches!(timer, NWayTimer::StepDown { .. }));
                if leads {
                    self.on_step_down(i, ctx);
                } else {
                    self.on_election_timer(i, ctx);
                }
            }
            NWayTimer::Message(message) => self.on_message(message, ctx),
        }
    }
}

impl Strategy for NWay {
    type Timer = NWayTimer;

    fn handle(&mut self, stimulus: Stimulus<NWayTimer>, ctx: &mut Context) {
        if self.replicas.is_empty() {
            return;
        }
        match stimulus {
            Stimulus::Start => {
                for p in 1..self.replicas.len() {
                    self.replicas[p].leader_route = self.route(&ctx.view, 0, p).unwrap_or_default();
                }
            }
            Stimulus::NodeDown { cause, .. } | Stimulus::NetworkChanged { cause } => {
                self.cause = cause;
            }
            Stimulus::NodeUp { .. } => {}
            Stimulus::BehaviourChanged { .. } => self.check_safety(ctx),
            Stimulus::Timer(timer) => self.on_timer(timer, ctx),
            Stimulus::Horizon => {
                self.on_horizon(ctx);
                return;
            }
        }
        self.settle(ctx);
    }

    fn served(&self, view: &View, vantage: Observer) -> f64 {
        match self.serving_leader(view) {
            Some(leader) if view.serves(vantage, self.replicas[leader].node) => {
                capacity_fraction(self.capacity[leader], self.demand)
            }
            _ => 0.0,
        }
    }

    /// Two leaders each backed by a quorum: both would acknowledge writes.
    fn split_brain(&self, view: &View) -> bool {
        // Called at every accounting: the quorum counts (a pass over the replicas each)
        // are paid only in the rare instant with two live leaders, not in the usual one.
        let leaders = || (0..self.replicas.len()).filter(|&l| self.is_live_leader(view, l));
        leaders().nth(1).is_some()
            && leaders()
                .filter(|&l| self.support(view, l) >= self.quorum)
                .nth(1)
                .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::{Harness, FAULT, MS};
    use super::super::{FailoverRecord, Outcome, ServiceState};
    use super::*;

    /// Three replicas 5 ms apart; heartbeats every 50 ms and a constant 300 ms election
    /// timeout.
    fn three_replicas() -> Harness {
        let service = r#"{
            "name": "kv", "strategy": "N_WAY",
            "n_way": {"heartbeat": "50ms", "election_timeout_min": "300ms",
                      "election_timeout_max": "300ms"}
        }"#;
        Harness::new(&[0, 0, 0], 5 * MS, 5 * MS, service)
    }

    /// The link from the leader to replica 2 slowed to 105 ms at 500 ms, the leader
    /// crashed at 1003 ms: just after sending the heartbeat of 1000 ms.
    fn crash_with_a_slow_follower(harness: &mut Harness) {
        harness.slow_link(NodeId::new(0), NodeId::new(2), 100 * MS, SimTime(500 * MS));
        harness.crash(NodeId::new(0), SimTime(1_003 * MS));
    }

    #[test]
    fn heartbeats_in_flight_when_the_leader_crashes_still_arrive() {
        let mut harness = three_replicas();
        // The heartbeat sent at 1000 ms is on the wire when the leader crashes at 1003
        // ms: it still reaches replica 1 at 1005 ms, whose timer runs from there and
        // fires at 1305 ms, and replica 2 at 1105 ms (timer 1405 ms). Replica 1's vote
        // request reaches replica 2 at 1310 ms, the grant comes back at 1315 ms. (Were
        // in-flight heartbeats dropped, both would have last heard the one arriving at
        // 955 ms and timed out together at 1255 ms: a split vote.)
        crash_with_a_slow_follower(&mut harness);
        assert_eq!(harness.state(None), ServiceState::Down);
        harness.run_until(SimTime(1_315 * MS - 1));
        assert_eq!(harness.state(None), ServiceState::Down);
        harness.run_until(SimTime(5_000 * MS));
        let record = FailoverRecord {
            fault: FAULT,
            fault_at: SimTime(1_003 * MS),
            detected_at: SimTime(1_305 * MS),
            decided_at: SimTime(1_305 * MS),
            completed_at: SimTime(1_315 * MS),
            outcome: Outcome::Success,
            data_loss: 0,
            from: Some(NodeId::new(0)),
            to: Some(NodeId::new(1)),
            attempt: 0,
            ends_failover: true,
        };
        assert_eq!(harness.records, vec![record]);
        assert_eq!(harness.state(None), ServiceState::Up);
    }

    #[test]
    fn a_follower_crash_that_keeps_the_quorum_is_no_failover() {
        let mut harness = three_replicas();
        harness.crash(NodeId::new(2), SimTime(1_003 * MS));
        harness.run_until(SimTime(5_000 * MS));
        assert!(harness.records.is_empty());
        assert_eq!(harness.state(None), ServiceState::Up);
    }

    #[test]
    fn the_leader_alone_carries_the_demand() {
        let service = r#"{
            "name": "kv", "strategy": "N_WAY", "demand": 2,
            "n_way": {"heartbeat": "50ms", "election_timeout_min": "300ms",
                      "election_timeout_max": "300ms"}
        }"#;
        let mut harness = Harness::new(&[0, 0, 0], 5 * MS, 5 * MS, service);
        assert_eq!(harness.served(None), 0.5);
        assert_eq!(harness.state(None), ServiceState::Degraded);
        crash_with_a_slow_follower(&mut harness);
        assert_eq!(harness.served(None), 0.0);
        harness.run_until(SimTime(5_000 * MS));
        assert_eq!(harness.served(None), 0.5);
    }
}
