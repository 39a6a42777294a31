//! N_WAY's messages between replicas: votes and heartbeats, sent over the topology and
//! delivered to their handlers.

use super::{NWay, NWayTimer};
use crate::core::rng::StreamKey;
use crate::strategies::{Context, StrategyTimer};
use rand::RngExt;

/// A message between replicas, delivered after its path's latency; indices are replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// A candidate asks for a vote in its term.
    VoteRequest {
        /// The candidate.
        candidate: u32,
        /// The replica asked.
        voter: u32,
        /// The candidate's term (its log, unchanged while it is a candidate, is read
        /// from its state at arrival: events stay 24 bytes).
        term: u32,
    },
    /// A vote granted in `term`.
    VoteGranted {
        /// The replica that voted.
        voter: u32,
        /// The candidate it voted for.
        candidate: u32,
        /// The term of the vote.
        term: u32,
    },
    /// A refusal from a replica that has seen a higher term.
    VoteRefused {
        /// The replica that refused.
        voter: u32,
        /// The candidate refused.
        candidate: u32,
        /// The voter's (higher) term.
        term: u32,
    },
    /// A leader's heartbeat to a replica that does not follow it yet.
    Heartbeat {
        /// The leader.
        leader: u32,
        /// The replica it should make follow.
        follower: u32,
        /// The leader's term.
        term: u32,
    },
    /// A replica of a higher term rejects a stale leader's heartbeat and tells it its
    /// term (Raft §5.1's answer to an AppendEntries of an older term).
    HeartbeatRefused {
        /// The replica that refused.
        follower: u32,
        /// The stale leader.
        leader: u32,
        /// The refusing replica's (higher) term.
        term: u32,
    },
}

impl Message {
    /// Its kind, as named in its identity.
    fn kind(self) -> &'static str {
        match self {
            Message::VoteRequest { .. } => "vote_request",
            Message::VoteGranted { .. } => "vote_granted",
            Message::VoteRefused { .. } => "vote_refused",
            Message::Heartbeat { .. } => "heartbeat",
            Message::HeartbeatRefused { .. } => "heartbeat_refused",
        }
    }

    /// The term it carries.
    fn term(self) -> u32 {
        match self {
            Message::VoteRequest { term, .. }
            | Message::VoteGranted { term, .. }
            | Message::VoteRefused { term, .. }
            | Message::Heartbeat { term, .. }
            | Message::HeartbeatRefused { term, .. } => term,
        }
    }

    /// (sender, receiver).
    fn route(self) -> (usize, usize) {
        let (from, to) = match self {
            Message::VoteRequest {
                candidate, voter, ..
            } => (candidate, voter),
            Message::VoteGranted {
                voter, candidate, ..
            }
            | Message::VoteRefused {
                voter, candidate, ..
            } => (voter, candidate),
            Message::Heartbeat {
                leader, follower, ..
            } => (leader, follower),
            Message::HeartbeatRefused {
                follower, leader, ..
            } => (follower, leader),
        };
        (from as usize, to as usize)
    }
}

impl NWay {
    /// The identity of a message, whose stream its delay over jittered links is drawn
    /// from: the service, the kind, the two replicas, the term it carries and `index`
    /// (a heartbeat's number in its leader's term; a vote's sending instant).
    pub(super) fn message_key(
        &self,
        kind: &str,
        ends: (usize, usize),
        term: u32,
        index: u64,
    ) -> StreamKey {
        self.identity
            .clone()
            .then(kind)
            .then((ends.0 as u32).to_le_bytes())
            .then((ends.1 as u32).to_le_bytes())
            .then(term.to_le_bytes())
            .then(index.to_le_bytes())
            .key()
    }

    /// Sends `message`: it arrives after its path's latency (drawn over jittered links),
    /// if the path exists now and the link's loss spares it (drawn only when the loss is
    /// above zero).
    pub(super) fn send(&self, message: Message, ctx: &mut Context) {
        let (from, to) = message.route();
        let (a, b) = (self.replicas[from].node, self.replicas[to].node);
        let now = ctx.now.0;
        let key = || self.message_key(message.kind(), (from, to), message.term(), now);
        if let Some(latency) = ctx.view.network.message_delay(Some(a), b, key) {
            let loss = self.loss(&ctx.view, from, to);
            if loss > 0.0 && ctx.rng.random::<f64>() < loss {
                return;
            }
            let arrival = StrategyTimer::NWay(NWayTimer::Message(message));
            ctx.schedule(ctx.now.after(latency), arrival);
        }
    }

    pub(super) fn on_message(&mut self, message: Message, ctx: &mut Context) {
        match message {
            Message::VoteRequest {
                candidate,
                voter,
                term,
            } => self.on_vote_request(candidate as usize, voter as usize, term, ctx),
            Message::VoteGranted {
                voter,
                candidate,
                term,
            } => self.on_vote_granted(voter as usize, candidate as usize, term, ctx),
            Message::VoteRefused {
                voter,
                candidate,
                term,
            } => self.on_vote_refused(voter as usize, candidate as usize, term, &ctx.view),
            Message::Heartbeat {
                leader,
                follower,
                term,
            } => self.on_heartbeat(leader as usize, follower as usize, term, ctx),
            Message::HeartbeatRefused {
                follower,
                leader,
                term,
            } => self.on_heartbeat_refused(follower as usize, leader as usize, term, ctx),
        }
    }
}
