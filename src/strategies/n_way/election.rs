//! N_WAY's leader election: election timers, pre-vote, votes, becoming leader and
//! stepping down.

use super::{Message, NWay, NWayTimer, Role};
use crate::core::generation::Generation;
use crate::core::time::{Nanos, SimTime};
use crate::scenarios::distribution::Distribution;
use crate::strategies::{Context, StrategyTimer, View};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

impl NWay {
    /// Whether `p` would win a pre-vote: a quorum of up replicas it reaches (itself
    /// included) hear no live leader.
    pub(super) fn pre_vote_passes(&self, view: &View, p: usize) -> bool {
        let willing = (0..self.replicas.len())
            .filter(|&r| r == p || (self.reaches(view, p, r) && !self.hears_live_leader(view, r)))
            .count();
        willing >= self.quorum
    }

    /// Whether some group of up replicas that reach each other could elect a leader.
    pub(super) fn quorum_possible(&self, view: &View) -> bool {
        let n = self.replicas.len();
        (0..n).any(|a| (0..n).filter(|&b| self.reaches(view, a, b)).count() >= self.quorum)
    }

    /// How far a follower's log is behind its leader's when it stops hearing it: the
    /// asynchronous replication lag (nothing is drawn when it is constant), 0 when
    /// replication is synchronous.
    pub(super) fn draw_lag(&self, rng: &mut ChaCha8Rng) -> Nanos {
        match &self.lag {
            None => 0,
            Some(Distribution::Const(lag)) => lag.nanos(),
            Some(lag) => lag.sample(rng),
        }
    }

    pub(super) fn draw_timeout(&self, rng: &mut ChaCha8Rng) -> Nanos {
        rng.random_range(self.timeout_min..=self.timeout_max)
    }

    /// Starts `i`'s own timer, made by `timer` from its index and generation
    /// (cancelling the pending one).
    pub(super) fn arm(
        &mut self,
        i: usize,
        timer: fn(u32, Generation) -> NWayTimer,
        at: SimTime,
        ctx: &mut Context,
    ) {
        let replica = &mut self.replicas[i];
        let token = replica.generation.bump();
        replica.timer_pending = true;
        replica.miss_loss = None;
        replica.parked = false;
        ctx.schedule(at, StrategyTimer::NWay(timer(i as u32, token)));
    }

    /// Cancels `i`'s own timer.
    pub(super) fn disarm(&mut self, i: usize) {
        let replica = &mut self.replicas[i];
        replica.generation.bump();
        replica.timer_pending = false;
        replica.miss_loss = None;
    }

    /// Restarts `i`'s election timer with a fresh timeout counted from `base`.
    pub(super) fn arm_election(&mut self, i: usize, base: SimTime, ctx: &mut Context) {
        let timeout = self.draw_timeout(ctx.rng);
        let election = |replica, token| NWayTimer::Election { replica, token };
        self.arm(i, election, base.after(timeout), ctx);
    }

    pub(super) fn on_election_timer(&mut self, i: usize, ctx: &mut Context) {
        self.replicas[i].timer_pending = false;
        // A follower whose leader's heartbeats were all lost for a timeout stops counting
        // on it (it grants pre-votes and votes) but, its term unchanged, still backs it
        // until it moves to a higher term or a heartbeat reaches it again.
        self.replicas[i].missed = self.replicas[i].following.is_some();
        self.note_timer(ctx.now, &ctx.view);
        if !self.pre_vote_passes(&ctx.view, i) {
            self.replicas[i].parked = true;
            self.give_up_if_hopeless(ctx);
            return;
        }
        if let Some((_, term)) = self.replicas[i].following {
            // It timed out on lost heartbeats: its log is taken as current until now.
            self.replicas[i].log = (term, ctx.now);
        }
        let replica = &mut self.replicas[i];
        replica.role = Role::Candidate;
        replica.term += 1;
        replica.voted_for = Some(i);
        replica.votes = 1;
        replica.following = None;
        replica.missed = false;
        let term = replica.term;
        if let Some(episode) = &mut self.episode {
            episode.note_candidate(term);
        }
        // The timer that ends this round if it wins no quorum (a split vote).
        self.arm_election(i, ctx.now, ctx);
        if self.quorum <= 1 {
            self.become_leader(i, ctx);
            return;
        }
        for peer in 0..self.replicas.len() {
            if peer != i && self.reaches(&ctx.view, i, peer) {
                let request = Message::VoteRequest {
                    candidate: i as u32,
                    voter: peer as u32,
                    term,
                };
                self.send(request, ctx);
            }
        }
    }

    pub(super) fn on_vote_request(
        &mut self,
        candidate: usize,
        voter: usize,
        term: u32,
        ctx: &mut Context,
    ) {
        if !self.reaches(&ctx.view, candidate, voter) || self.hears_live_leader(&ctx.view, voter) {
            return;
        }
        let replica = &mut self.replicas[voter];
        if term < replica.term {
            let refusal = Message::VoteRefused {
                voter: voter as u32,
                candidate: candidate as u32,
                term: replica.term,
            };
            self.send(refusal, ctx);
            return;
        }
        if term > replica.term {
            replica.term = term;
            replica.voted_for = None;
            replica.role = Role::Follower;
            // A higher term ends its tie to the leader whose heartbeats it missed.
            replica.following = None;
            replica.missed = false;
        }
        // Raft's election restriction: no vote for a candidate whose log is behind the
        // voter's (it would lose committed entries); the voter's own timer runs on. Logs
        // are compared under asynchronous replication only: synchronous replication
        // takes every replica's log as current.
        let log = self.replicas[candidate].log;
        let replica = &mut self.replicas[voter];
        let up_to_date = self.lag.is_none() || log >= replica.log;
        if up_to_date && replica.voted_for.is_none_or(|v| v == candidate) {
            replica.voted_for = Some(candidate);
            self.arm_election(voter, ctx.now, ctx);
            let grant = Message::VoteGranted {
                voter: voter as u32,
                candidate: candidate as u32,
                term,
            };
            self.send(grant, ctx);
        }
    }

    pub(super) fn on_vote_granted(
        &mut self,
        voter: usize,
        candidate: usize,
        term: u32,
        ctx: &mut Context,
    ) {
        let replica = &self.replicas[candidate];
        let counts = replica.role == Role::Candidate && replica.term == term;
        if !counts || !self.reaches(&ctx.view, voter, candidate) {
            return;
        }
        let replica = &mut self.replicas[candidate];
        replica.votes += 1;
        if replica.votes >= self.quorum {
            self.become_leader(candidate, ctx);
        }
    }

    pub(super) fn on_vote_refused(
        &mut self,
        voter: usize,
        candidate: usize,
        term: u32,
        view: &View,
    ) {
        if !self.reaches(view, voter, candidate) {
            return;
        }
        let replica = &mut self.replicas[candidate];
        if replica.role == Role::Candidate && term > replica.term {
            // A higher term exists: back to follower; its own timer keeps running.
            replica.term = term;
            replica.voted_for = None;
            replica.role = Role::Follower;
        }
    }

    /// `i` learns of a `term` higher than its own and moves to it, a follower of no one
    /// that has voted for no one in it (Raft §5.1): a leader steps down, its log ending
    /// now; a candidate's round ends, its timer running on; a follower stops backing
    /// the leader of its older term. Settling arms the timer of a replica left without.
    pub(super) fn adopt_term(&mut self, i: usize, term: u32, now: SimTime) {
        if self.replicas[i].role == Role::Leader {
            // Its check-quorum step-down, if armed, is moot.
            self.disarm(i);
        }
        let replica = &mut self.replicas[i];
        replica.close_log(now);
        replica.role = Role::Follower;
        replica.term = term;
        replica.voted_for = None;
        replica.following = None;
        replica.missed = false;
        replica.votes = 0;
    }

    fn become_leader(&mut self, i: usize, ctx: &mut Context) {
        self.disarm(i);
        let replica = &mut self.replicas[i];
        replica.role = Role::Leader;
        replica.term_start = ctx.now;
        replica.following = None;
        replica.votes = 0;
        // settle() sends the first heartbeats, at once.
    }

    pub(super) fn on_step_down(&mut self, i: usize, ctx: &mut Context) {
        self.replicas[i].role = Role::Follower;
        self.replicas[i].log = (self.replicas[i].term, ctx.now);
        self.replicas[i].timer_pending = false;
        self.arm_election(i, ctx.now, ctx);
    }
}
