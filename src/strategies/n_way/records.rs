//! N_WAY's records: one failover per loss of the serving leader that an election timer
//! detects, `NoQuorum` while no group can elect, and safety violations when too many
//! replicas are Byzantine.

use super::NWay;
use crate::core::time::SimTime;
use crate::strategies::failover::FailoverAttempt;
use crate::strategies::{Command, Context, FaultTag, Outcome, View};

/// The serving leader was lost; the service waits for a leader to serve again.
#[derive(Clone, Debug)]
pub(super) struct Episode {
    fault: FaultTag,
    fault_at: SimTime,
    from: usize,
    /// Election rounds (distinct candidate terms) started since the loss.
    rounds: u32,
    highest_term: u32,
    /// The failover, once an election timer fired while the lost leader still could
    /// not serve: a loss that ends before (the old leader regains its quorum, or every
    /// replica was down and comes back together) is a recovery, not a failover.
    failover: Option<FailoverAttempt>,
}

impl Episode {
    /// A candidate stood in `term`: a new election round unless one had that term.
    pub(super) fn note_candidate(&mut self, term: u32) {
        if term > self.highest_term {
            self.highest_term = term;
            self.rounds += 1;
        }
    }
}

impl NWay {
    /// Whether leader `l`, lost, could serve again: it is up and exchanges messages both
    /// ways with a quorum of up replicas (itself included). What failed came back: a
    /// repair or a heal.
    fn failed_back(&self, view: &View, l: usize) -> bool {
        self.up(view, l)
            && (0..self.replicas.len())
                .filter(|&p| p == l || (self.up(view, p) && self.exchanges(view, l, p)))
                .count()
                >= self.quorum
    }

    /// An election timer fired: the loss is detected, and the failover opens, unless
    /// the lost leader could already serve again.
    pub(super) fn note_timer(&mut self, now: SimTime, view: &View) {
        let Some(episode) = &self.episode else {
            return;
        };
        if episode.failover.is_none() && !self.failed_back(view, episode.from) {
            let episode = self.episode.as_mut().expect("an episode");
            let attempt = FailoverAttempt::detected(episode.fault, episode.fault_at, now);
            episode.failover = Some(attempt);
        }
    }

    /// Records `NoQuorum` once per failover when no group of replicas can elect: the
    /// failover then waits for a repair or heal.
    pub(super) fn give_up_if_hopeless(&mut self, ctx: &mut Context) {
        let hopeless = !self.quorum_possible(&ctx.view);
        let Some(episode) = &mut self.episode else {
            return;
        };
        let Some(failover) = &mut episode.failover else {
            return;
        };
        if !hopeless || failover.waited_for_a_target() {
            return;
        }
        failover.number = episode.rounds;
        let from = Some(self.replicas[episode.from].node);
        let record = failover.no_target(Outcome::NoQuorum, ctx.now, from);
        ctx.record(record);
    }

    /// Opens an episode when the serving leader is lost and closes it when one serves:
    /// the failover succeeds if the new leader serves while the lost one still cannot;
    /// it is `Superseded` if the lost leader could serve again, and `NoQuorum` if it
    /// had to wait for another replica's repair or heal to regain a quorum.
    pub(super) fn track_serving(&mut self, ctx: &mut Context) {
        let now_serving = self.serving_leader(&ctx.view);
        match (self.serving, now_serving) {
            (Some(old), None) => {
                if self.episode.is_none() {
                    self.episode = Some(Episode {
                        fault: self.cause,
                        fault_at: ctx.now,
                        from: old,
                        rounds: 0,
                        highest_term: self.replicas[old].term,
                        failover: None,
                    });
                }
            }
            (_, Some(leader)) => {
                if let Some(episode) = self.episode.take() {
                    let failed_back = self.failed_back(&ctx.view, episode.from);
                    let elected = leader != episode.from;
                    // A candidate that stood before the loss may win before any timer
                    // fires in it: a failover detected as it completes.
                    let failover = episode.failover.or_else(|| {
                        (elected && !failed_back).then(|| {
                            FailoverAttempt::detected(episode.fault, episode.fault_at, ctx.now)
                        })
                    });
                    if let Some(mut failover) = failover {
                        let failed_rounds = if elected {
                            episode.rounds.saturating_sub(1)
                        } else {
                            episode.rounds
                        };
                        failover.number = failed_rounds + u32::from(failover.waited_for_a_target());
                        let from = Some(self.replicas[episode.from].node);
                        let to = Some(self.replicas[leader].node);
                        // Commits need a quorum: no acknowledged write is lost.
                        let record = failover.complete(ctx.now, failed_back, from, to, 0);
                        ctx.record(record);
                    }
                }
            }
            (None, None) => {}
        }
        self.serving = now_serving;
    }

    /// Records the failover still open at the horizon.
    pub(super) fn on_horizon(&mut self, ctx: &mut Context) {
        let Some(episode) = self.episode.take() else {
            return;
        };
        if let Some(mut failover) = episode.failover {
            failover.number = episode.rounds + u32::from(failover.waited_for_a_target());
            let from = Some(self.replicas[episode.from].node);
            ctx.record(failover.unfinished(ctx.now, from, None));
        }
    }

    /// Counts one safety violation each time the Byzantine replicas exceed the tolerance.
    pub(super) fn check_safety(&mut self, ctx: &mut Context) {
        let byzantine = self
            .replicas
            .iter()
            .filter(|r| ctx.view.byzantine[r.node.index()])
            .count();
        let violated = byzantine > self.tolerated_byzantine;
        if violated && !self.unsafe_now {
            ctx.out.push(Command::SafetyViolation);
        }
        self.unsafe_now = violated;
    }
}
