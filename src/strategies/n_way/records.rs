//! N_WAY's records: one failover per loss of the serving leader, `NoQuorum` when no
//! group can elect, and safety violations when too many replicas are Byzantine.

use super::NWay;
use crate::core::time::SimTime;
use crate::strategies::failover::FailoverAttempt;
use crate::strategies::{Command, Context, FaultTag, Outcome};

/// The serving leader was lost; the service waits for a new one.
#[derive(Clone, Debug)]
pub(super) struct Episode {
    fault: FaultTag,
    fault_at: SimTime,
    detected_at: Option<SimTime>,
    from: usize,
    /// Election rounds (distinct candidate terms) started since the loss.
    rounds: u32,
    highest_term: u32,
    no_quorum: bool,
}

impl Episode {
    /// An election timer fired: the loss is detected, if it was not already.
    pub(super) fn note_timer(&mut self, now: SimTime) {
        self.detected_at.get_or_insert(now);
    }

    /// A candidate stood in `term`: a new election round unless one had that term.
    pub(super) fn note_candidate(&mut self, term: u32) {
        if term > self.highest_term {
            self.highest_term = term;
            self.rounds += 1;
        }
    }

    /// The episode as a failover attempt numbered `number`: detected, and decided
    /// (elections are automatic), at the first election timer, or now if none fired.
    fn attempt(&self, number: u32, now: SimTime) -> FailoverAttempt {
        let detected_at = self.detected_at.unwrap_or(now);
        FailoverAttempt {
            fault: self.fault,
            fault_at: self.fault_at,
            detected_at,
            decided_at: detected_at,
            number,
        }
    }
}

impl NWay {
    /// Records `NoQuorum` once per episode when no group of replicas can elect.
    pub(super) fn give_up_if_hopeless(&mut self, ctx: &mut Context) {
        let hopeless = !self.quorum_possible(&ctx.view);
        let Some(episode) = &mut self.episode else {
            return;
        };
        if episode.no_quorum || !hopeless {
            return;
        }
        episode.no_quorum = true;
        let from = Some(self.replicas[episode.from].node);
        // Commits need a quorum: no acknowledged write is lost.
        let record = episode.attempt(episode.rounds, ctx.now).record(
            ctx.now,
            Outcome::NoQuorum,
            from,
            None,
            0,
        );
        ctx.record(record);
    }

    /// Opens an episode when the serving leader is lost and closes it when one serves.
    pub(super) fn track_serving(&mut self, ctx: &mut Context) {
        let now_serving = self.serving_leader(&ctx.view);
        match (self.serving, now_serving) {
            (Some(old), None) => {
                if self.episode.is_none() {
                    self.episode = Some(Episode {
                        fault: self.cause,
                        fault_at: ctx.now,
                        detected_at: None,
                        from: old,
                        rounds: 0,
                        highest_term: self.replicas[old].term,
                        no_quorum: false,
                    });
                }
            }
            (_, Some(leader)) => {
                if let Some(episode) = self.episode.take() {
                    let elected = leader != episode.from;
                    if episode.detected_at.is_some() || elected {
                        let failed_rounds = if elected {
                            episode.rounds.saturating_sub(1)
                        } else {
                            episode.rounds
                        };
                        let number = failed_rounds + u32::from(episode.no_quorum);
                        let from = Some(self.replicas[episode.from].node);
                        let to = Some(self.replicas[leader].node);
                        let record = episode.attempt(number, ctx.now).record(
                            ctx.now,
                            Outcome::Success,
                            from,
                            to,
                            0,
                        );
                        ctx.record(record);
                    }
                }
            }
            (None, None) => {}
        }
        self.serving = now_serving;
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
