//! What one vantage point has seen of a service (or of the system) so far: its state
//! since when, the served fraction, and the outage episode running, if any.

use super::engine::ServiceOutcome;
use crate::core::episode::{EndedBy, OutageEpisode};
use crate::core::record::FaultTag;
use crate::core::state::ServiceState;
use crate::core::time::{Nanos, SimTime};

/// An outage episode still running at one vantage point.
#[derive(Clone, Copy, Debug)]
struct OpenEpisode {
    start: SimTime,
    cause: FaultTag,
    down: Nanos,
    /// Successful failovers when the episode began: one more by its end means a
    /// failover ended it.
    failovers_before: u64,
}

/// One vantage point's account.
#[derive(Clone, Debug)]
pub(crate) struct Ledger {
    state: ServiceState,
    served: f64,
    since: SimTime,
    open: Option<OpenEpisode>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            state: ServiceState::Up,
            served: 1.0,
            since: SimTime::ZERO,
            open: None,
        }
    }
}

impl Ledger {
    /// The state now.
    pub(crate) fn state(&self) -> ServiceState {
        self.state
    }

    /// The served fraction now.
    pub(crate) fn served(&self) -> f64 {
        self.served
    }

    /// Moves to `state` serving `served` at `now`: charges the time since the last
    /// change to `outcome`, opens an episode (caused by `cause`) on leaving UP, and
    /// returns the episode that a return to UP ends. `failovers` counts the successful
    /// failovers so far, which tells a failover's ending from a recovery.
    pub(crate) fn update(
        &mut self,
        now: SimTime,
        state: ServiceState,
        served: f64,
        cause: FaultTag,
        failovers: u64,
        outcome: &mut ServiceOutcome,
    ) -> Option<OutageEpisode> {
        if served == self.served && state == self.state {
            return None;
        }
        let span = now.since(self.since);
        charge(outcome, self.state, self.served, span);
        if let Some(open) = &mut self.open {
            if self.state == ServiceState::Down {
                open.down += span;
            }
        }
        let previous = std::mem::replace(&mut self.state, state);
        self.served = served;
        self.since = now;
        if previous == ServiceState::Up && state != ServiceState::Up {
            self.open = Some(OpenEpisode {
                start: now,
                cause,
                down: 0,
                failovers_before: failovers,
            });
            None
        } else if previous != ServiceState::Up && state == ServiceState::Up {
            let open = self.open.take()?;
            let ended_by = if failovers > open.failovers_before {
                EndedBy::Failover
            } else {
                EndedBy::Recovery
            };
            Some(episode(open, now, ended_by))
        } else {
            None
        }
    }

    /// A whole outage at once: down from `failed` to `repaired`, caused by `cause`, from
    /// and back to fully UP with no failover ending it: what [`Ledger::update`] does at
    /// those two instants (the time since the last change charged UP, the outage charged
    /// DOWN), and the episode that the return ends. None, changing nothing, when the
    /// account is not fully UP now.
    pub(crate) fn clean_outage(
        &mut self,
        failed: SimTime,
        repaired: SimTime,
        cause: FaultTag,
        outcome: &mut ServiceOutcome,
    ) -> Option<OutageEpisode> {
        if self.state != ServiceState::Up || self.served != 1.0 || failed < self.since {
            return None;
        }
        charge(outcome, ServiceState::Up, 1.0, failed.since(self.since));
        let down = repaired.since(failed);
        charge(outcome, ServiceState::Down, 0.0, down);
        self.since = repaired;
        let open = OpenEpisode {
            start: failed,
            cause,
            down,
            failovers_before: 0,
        };
        Some(episode(open, repaired, EndedBy::Recovery))
    }

    /// Charges the time up to the horizon and returns the episode still running there.
    pub(crate) fn finish(
        &mut self,
        horizon: SimTime,
        outcome: &mut ServiceOutcome,
    ) -> Option<OutageEpisode> {
        let span = horizon.since(self.since);
        charge(outcome, self.state, self.served, span);
        self.since = horizon;
        let mut open = self.open.take()?;
        if self.state == ServiceState::Down {
            open.down += span;
        }
        Some(episode(open, horizon, EndedBy::Horizon))
    }
}

fn episode(open: OpenEpisode, end: SimTime, ended_by: EndedBy) -> OutageEpisode {
    OutageEpisode {
        vantage: 0,
        start: open.start,
        end,
        down: open.down,
        cause: open.cause,
        ended_by,
    }
}

/// Charges `span` spent in `state` serving `served` to the outcome's time sums.
fn charge(outcome: &mut ServiceOutcome, state: ServiceState, served: f64, span: Nanos) {
    let wide = u128::from(span);
    match state {
        ServiceState::Up => outcome.up_ns += wide,
        ServiceState::Degraded => {
            outcome.degraded_ns += wide;
            outcome.degraded_served_ns += served * span as f64;
        }
        ServiceState::Down => outcome.down_ns += wide,
    }
}
