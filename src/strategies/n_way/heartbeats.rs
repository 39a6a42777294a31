//! N_WAY's heartbeats: when a follower last heard its leader, and the first heartbeat
//! that makes a replica follow a new leader.

use super::{Message, NWay, NWayTimer, Role};
use crate::core::time::{Nanos, SimTime};
use crate::strategies::{Context, StrategyTimer};

/// Arrival of the last heartbeat received at or before `t`, for heartbeats leaving at
/// `start + k·period` and taking `latency`; None if the first arrives after `t`.
pub(super) fn last_heartbeat(
    start: SimTime,
    period: Nanos,
    latency: Nanos,
    t: SimTime,
) -> Option<SimTime> {
    let first = start.after(latency);
    if t < first {
        return None;
    }
    let periods = (t.0 - first.0) / period;
    Some(first.after(periods * period))
}

impl NWay {
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
        let outranked = if replica.role == Role::Leader {
            replica.term >= term
        } else {
            self.heard_leader(view, p)
                .is_some_and(|(_, heard)| heard >= term)
        };
        if outranked {
            return;
        }
        let latency = self.latency(view, leader, p).unwrap_or(0);
        self.disarm(p);
        let replica = &mut self.replicas[p];
        replica.role = Role::Follower;
        replica.following = Some((leader, term));
        if term > replica.term {
            replica.term = term;
            replica.voted_for = None;
        }
        replica.followed_since = ctx.now;
        replica.leader_latency = latency;
        replica.parked = false;
        replica.votes = 0;
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
            let settled = replica.following == Some((l, term))
                || replica.heartbeat_pending == Some((l, term))
                || (replica.role == Role::Leader && replica.term >= term)
                || self
                    .heard_leader(&ctx.view, p)
                    .is_some_and(|(_, heard)| heard >= term);
            if settled {
                continue;
            }
            if let Some(latency) = self.latency(&ctx.view, l, p) {
                self.replicas[p].heartbeat_pending = Some((l, term));
                let heartbeat = Message::Heartbeat {
                    leader: l as u32,
                    follower: p as u32,
                    term,
                };
                let arrival = StrategyTimer::NWay(NWayTimer::Message(heartbeat));
                ctx.schedule(next_send.after(latency), arrival);
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
        let at = |t| last_heartbeat(SimTime::ZERO, 50 * MS, MS, SimTime(t));
        assert_eq!(at(120 * MS), Some(SimTime(101 * MS)));
        assert_eq!(at(101 * MS), Some(SimTime(101 * MS)));
        assert_eq!(at(101 * MS - 1), Some(SimTime(51 * MS)));
    }

    #[test]
    fn no_heartbeat_has_arrived_before_the_first_one() {
        let start = SimTime(10 * MS);
        assert_eq!(
            last_heartbeat(start, 50 * MS, 3 * MS, SimTime(12 * MS)),
            None
        );
        assert_eq!(
            last_heartbeat(start, 50 * MS, 3 * MS, SimTime(13 * MS)),
            Some(SimTime(13 * MS))
        );
    }
}
