//! N_WAY's heartbeats: when a follower last heard its leader, when lost heartbeats make
//! it time out, and the first heartbeat that makes a replica follow a new leader.

use super::{Message, NWay, NWayTimer, Role};
use crate::core::time::{Nanos, SimTime};
use crate::strategies::detection::probes_until_run;
use crate::strategies::View;
use crate::strategies::{Context, StrategyTimer};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// How many heartbeats sent before the latest one received are still looked at for a
/// later arrival (over jittered links a heartbeat may overtake earlier ones; one
/// overtaken by more than this many is not looked for).
const OVERTAKEN: u64 = 8;

/// The most heartbeats looked at, from the last one sent backwards, for one received.
const LOOKED_BACK: u64 = 1024;

/// Arrival of the last heartbeat received at or before `arrived_by` among those sent at
/// or before `sent_by`, for heartbeats leaving at `start + k·period`, heartbeat k taking
/// `delay(k)`, with the instant it was sent; None if none has arrived. `fixed`: every
/// heartbeat takes `delay(0)`.
pub(super) fn last_heartbeat(
    start: SimTime,
    period: Nanos,
    delay: impl Fn(u64) -> Nanos,
    fixed: bool,
    sent_by: SimTime,
    arrived_by: SimTime,
) -> Option<(SimTime, SimTime)> {
    if sent_by < start {
        return None;
    }
    let last_sent = (sent_by.0 - start.0) / period;
    let arrival = |k: u64| {
        SimTime(
            start
                .0
                .saturating_add(k.saturating_mul(period))
                .saturating_add(delay(k)),
        )
    };
    if fixed {
        let first = arrival(0);
        if arrived_by < first {
            return None;
        }
        let periods = ((arrived_by.0 - first.0) / period).min(last_sent);
        return Some((start.after(periods * period), first.after(periods * period)));
    }
    let mut latest: Option<(u64, SimTime)> = None;
    let mut first_found: Option<u64> = None;
    for k in (last_sent.saturating_sub(LOOKED_BACK)..=last_sent).rev() {
        if first_found.is_some_and(|found| found - k > OVERTAKEN) {
            break;
        }
        let at = arrival(k);
        if at <= arrived_by {
            first_found.get_or_insert(k);
        }
        if at <= arrived_by && latest.is_none_or(|(_, best)| at > best) {
            latest = Some((k, at));
        }
    }
    latest.map(|(k, at)| (start.after(k * period), at))
}

impl NWay {
    /// The delay of leader `l`'s heartbeat number `k` of term `term` to `p` on `route`.
    fn heartbeat_delay(
        &self,
        view: &View,
        route: &super::Route,
        ends: (usize, usize),
        term: u32,
        k: u64,
    ) -> Nanos {
        view.network
            .delay(route, || self.message_key("heartbeat", ends, term, k))
    }

    /// The last heartbeat of its leader `l` that `p` received at or before `arrived_by`
    /// among those sent at or before `sent_by`, on the path it last heard `l` over: when
    /// it was sent, and when it arrived.
    pub(super) fn last_heartbeat(
        &self,
        l: usize,
        p: usize,
        sent_by: SimTime,
        arrived_by: SimTime,
        view: &View,
    ) -> Option<(SimTime, SimTime)> {
        let route = &self.replicas[p].leader_route;
        let term = self.replicas[l].term;
        last_heartbeat(
            self.replicas[l].term_start,
            self.heartbeat,
            |k| self.heartbeat_delay(view, route, (l, p), term, k),
            route.jittered.is_empty(),
            sent_by,
            arrived_by,
        )
    }
}

/// Messages lost in a row before the first one delivered, each lost with probability
/// `loss` (< 1): geometric, drawn only when `loss` > 0.
pub(super) fn lost_before_delivery(rng: &mut ChaCha8Rng, loss: f64) -> u64 {
    if loss <= 0.0 {
        return 0;
    }
    let uniform: f64 = 1.0 - rng.random::<f64>();
    let lost = (uniform.ln() / loss.ln()).floor();
    if lost.is_finite() && lost < 1e15 {
        lost as u64
    } else {
        u64::MAX
    }
}

impl NWay {
    /// Keeps follower `p`'s heartbeat-miss timer in line with the loss on the link from
    /// its leader `l`, which it hears. With no loss nothing is drawn or scheduled. With
    /// loss p each heartbeat is lost independently, and `p` times out when the
    /// heartbeats arriving within one election timeout T of the last delivered one, all
    /// ⌊T/h⌋ of them (one arriving exactly at the deadline is in time), are lost: the
    /// heartbeat that completes the first such run of losses is drawn at once, and the
    /// timer set to the arrival of the last delivered heartbeat before that run plus T.
    /// Counting starts from the last heartbeat that arrived at or before now, taken as
    /// delivered; the draw is redone when the loss changes or `p` follows a new leader,
    /// and T is drawn once per draw (a simplification when the timeout is randomised:
    /// Raft redraws it at every heartbeat).
    pub(super) fn watch_heartbeats(&mut self, p: usize, l: usize, ctx: &mut Context) {
        let loss = self.loss(&ctx.view, l, p);
        let replica = &self.replicas[p];
        let drawn = replica.miss_loss.filter(|_| replica.timer_pending);
        if drawn == Some(loss) || (loss <= 0.0 && drawn.is_none()) {
            return;
        }
        if loss <= 0.0 {
            self.disarm(p);
            return;
        }
        let followed_since = replica.followed_since;
        let base = self
            .last_heartbeat(l, p, ctx.now, ctx.now, &ctx.view)
            .map_or(followed_since, |(_, at)| at.max(followed_since));
        let timeout = self.draw_timeout(ctx.rng);
        // The heartbeat period is shorter than the shortest timeout (validated).
        let within = (timeout / self.heartbeat).max(1);
        let run_end = probes_until_run(ctx.rng, loss, within as u32);
        let delivered = (run_end - within).saturating_mul(self.heartbeat);
        let at = base.after(delivered).after(timeout).max(ctx.now);
        let election = |replica, token| NWayTimer::Election { replica, token };
        self.arm(p, election, at, ctx);
        self.replicas[p].miss_loss = Some(loss);
    }

    pub(super) fn on_heartbeat(&mut self, leader: usize, p: usize, term: u32, ctx: &mut Context) {
        if self.replicas[p].heartbeat_pending == Some((leader, term)) {
            self.replicas[p].heartbeat_pending = None;
        }
        let view = &ctx.view;
        let valid = self.is_live_leader(view, leader)
            && self.replicas[leader].term == term
            && self.reaches(view, leader, p);
        if !valid {
            return;
        }
        let replica = &self.replicas[p];
        if replica.term > term {
            // Raft §5.1: a message of an older term is rejected, and the answer carries
            // the newer term, which deposes the stale leader when it arrives.
            let refusal = Message::HeartbeatRefused {
                follower: p as u32,
                leader: leader as u32,
                term: replica.term,
            };
            self.send(refusal, ctx);
            return;
        }
        // A leader of the same term is the sender itself; a follower of the same term
        // already follows it.
        let outranked = if replica.role == Role::Leader {
            replica.term >= term
        } else {
            self.heard_leader(view, p)
                .is_some_and(|(_, heard)| heard >= term)
        };
        if outranked {
            return;
        }
        let route = self.route(view, leader, p).unwrap_or_default();
        self.disarm(p);
        let replica = &mut self.replicas[p];
        replica.role = Role::Follower;
        replica.following = Some((leader, term));
        if term > replica.term {
            replica.term = term;
            replica.voted_for = None;
        }
        replica.followed_since = ctx.now;
        replica.log = (term, ctx.now);
        replica.leader_route = route;
        replica.missed = false;
        replica.parked = false;
        replica.votes = 0;
    }

    /// A replica of a higher term refused leader `l`'s heartbeat: `l` learns the term
    /// and, if it still leads an older one, steps down (Raft §5.1).
    pub(super) fn on_heartbeat_refused(
        &mut self,
        follower: usize,
        l: usize,
        term: u32,
        ctx: &mut Context,
    ) {
        if !self.reaches(&ctx.view, follower, l) || self.replicas[l].term >= term {
            return;
        }
        self.adopt_term(l, term, ctx.now);
    }

    /// Schedules leader `l`'s next heartbeat to every replica it reaches that does not
    /// follow it yet and would (nothing is scheduled for its followers).
    pub(super) fn send_heartbeats(&mut self, l: usize, ctx: &mut Context) {
        let term = self.replicas[l].term;
        let start = self.replicas[l].term_start;
        let since = ctx.now.since(start);
        let next_send = start.after(since.div_ceil(self.heartbeat) * self.heartbeat);
        for p in 0..self.replicas.len() {
            if p == l || !self.reaches(&ctx.view, l, p) {
                continue;
            }
            let replica = &self.replicas[p];
            // A replica of a higher term refuses the heartbeat: it is sent while the
            // refusal can come back (and depose `l`), not while nothing would change.
            let settled = (replica.following == Some((l, term)) && !replica.missed)
                || replica.heartbeat_pending == Some((l, term))
                || if replica.term > term {
                    !self.reaches(&ctx.view, p, l)
                } else {
                    (replica.role == Role::Leader && replica.term >= term)
                        || self
                            .heard_leader(&ctx.view, p)
                            .is_some_and(|(_, heard)| heard >= term)
                };
            if settled {
                continue;
            }
            if let Some(route) = self.route(&ctx.view, l, p) {
                // Heartbeats lost on the way: the first delivered one is scheduled.
                let lost = lost_before_delivery(ctx.rng, self.loss(&ctx.view, l, p));
                let sent = next_send.after(lost.saturating_mul(self.heartbeat));
                let k = sent.since(start) / self.heartbeat;
                let latency = self.heartbeat_delay(&ctx.view, &route, (l, p), term, k);
                self.replicas[p].heartbeat_pending = Some((l, term));
                let heartbeat = Message::Heartbeat {
                    leader: l as u32,
                    follower: p as u32,
                    term,
                };
                let arrival = StrategyTimer::NWay(NWayTimer::Message(heartbeat));
                ctx.schedule(sent.after(latency), arrival);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::harness::MS;

    #[test]
    fn last_heartbeat_is_the_latest_arrival_at_or_before_the_fault() {
        // Sent at 0, 50, 100 ms…, arriving 1 ms later: at 120 ms the last came at 101 ms.
        let at = |t| {
            last_heartbeat(SimTime::ZERO, 50 * MS, |_| MS, true, SimTime(t), SimTime(t))
                .map(|(_, at)| at)
        };
        assert_eq!(at(120 * MS), Some(SimTime(101 * MS)));
        assert_eq!(at(101 * MS), Some(SimTime(101 * MS)));
        assert_eq!(at(101 * MS - 1), Some(SimTime(51 * MS)));
    }

    #[test]
    fn no_loss_loses_nothing_and_draws_nothing() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let untouched = rng.clone();
        assert_eq!(lost_before_delivery(&mut rng, 0.0), 0);
        assert_eq!(rng, untouched);
    }

    #[test]
    fn messages_lost_before_a_delivery_average_p_over_one_minus_p() {
        // Geometric: mean p/(1 − p) = 1 at p = 1/2, standard deviation √2; over 10⁵
        // draws the mean's standard error is 0.0045, so ±0.02 is over 4 of them.
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let draws = 100_000;
        let total: u64 = (0..draws)
            .map(|_| lost_before_delivery(&mut rng, 0.5))
            .sum();
        let mean = total as f64 / draws as f64;
        assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn no_heartbeat_has_arrived_before_the_first_one() {
        let start = SimTime(10 * MS);
        let at = |t| {
            last_heartbeat(start, 50 * MS, |_| 3 * MS, true, SimTime(t), SimTime(t))
                .map(|(_, at)| at)
        };
        assert_eq!(at(12 * MS), None);
        assert_eq!(at(13 * MS), Some(SimTime(13 * MS)));
    }

    #[test]
    fn heartbeats_on_the_wire_when_the_leader_stops_sending_still_arrive() {
        // Sent at 0, 50, 100 ms, 3 ms on the way; the sender stops at 101 ms: the one
        // sent at 100 ms still arrives, at 103 ms.
        let arrived = last_heartbeat(
            SimTime::ZERO,
            50 * MS,
            |_| 3 * MS,
            true,
            SimTime(101 * MS),
            SimTime(Nanos::MAX),
        );
        assert_eq!(arrived, Some((SimTime(100 * MS), SimTime(103 * MS))));
    }

    #[test]
    fn a_jittered_heartbeat_that_overtakes_an_earlier_one_is_the_last_received() {
        // Heartbeats every 10 ms; number 3 (sent at 30 ms) takes 25 ms, the others 2 ms:
        // at 52 ms the last arrival is number 4's (42 ms) … then number 5's (52 ms); at
        // 54 ms number 3 has not arrived yet; at 56 ms it has (55 ms), the latest.
        let delay = |k: u64| if k == 3 { 25 * MS } else { 2 * MS };
        let at = |t| {
            last_heartbeat(SimTime::ZERO, 10 * MS, delay, false, SimTime(t), SimTime(t))
                .map(|(_, at)| at)
        };
        assert_eq!(at(51 * MS), Some(SimTime(42 * MS)));
        assert_eq!(at(54 * MS), Some(SimTime(52 * MS)));
        assert_eq!(at(56 * MS), Some(SimTime(55 * MS)));
        // Fixed delays give the same as the closed form.
        let scan = last_heartbeat(
            SimTime(7),
            10 * MS,
            |_| 2 * MS,
            false,
            SimTime(93 * MS),
            SimTime(93 * MS),
        );
        let closed = last_heartbeat(
            SimTime(7),
            10 * MS,
            |_| 2 * MS,
            true,
            SimTime(93 * MS),
            SimTime(93 * MS),
        );
        assert_eq!(scan, closed);
    }
}
