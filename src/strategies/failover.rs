//! Failover machinery shared by the strategies: an attempt and its record, how a
//! failover is approved, bounded and retried, and data loss from replication lag.

use super::{FailoverRecord, FaultTag, Outcome};
use crate::core::time::{Nanos, SimTime};
use crate::net::topology::NodeId;
use crate::scenarios::distribution::Distribution;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A failover in progress, at its current attempt: what every strategy's records share
/// (DESIGN §6), and the one place that turns attempts into [`FailoverRecord`]s.
///
/// A failover is the switch that one fault triggers. Each attempt ends in a record; the
/// record that resolves the failover has `ends_failover` set and the failover's outcome:
/// - the switch served while what failed was still failed: `Success`, unless the
///   failover first had to wait for a target (then the reason it waited: waiting for a
///   repair is never a success);
/// - what failed came back first: `Superseded`;
/// - no target to switch to (`NoHealthyTarget`, `NoQuorum`): not an end, and no retry
///   spent; the failover waits for a target or for what failed to come back;
/// - a human declined: the end;
/// - any other failure spends a retry, and ends the failover once they run out;
/// - still open at the horizon: the failure of its last failed attempt, or `Unfinished`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FailoverAttempt {
    /// The fault that triggered the failover.
    pub fault: FaultTag,
    /// When the failed replica or region stopped serving.
    pub fault_at: SimTime,
    /// When the failure was declared.
    pub detected_at: SimTime,
    /// When the decision to act was taken (the end of the mode's delay).
    pub decided_at: SimTime,
    /// Failed attempts before this one.
    pub number: u32,
    /// Retries spent: failed attempts that found a target.
    retries: u32,
    /// Why the latest failed attempt failed.
    last_failure: Option<Outcome>,
    /// The failover had to wait for a target, for this reason.
    waited: Option<Outcome>,
}

impl FailoverAttempt {
    /// The first attempt at a failover of `fault` (at `fault_at`) declared now.
    pub(crate) fn detected(fault: FaultTag, fault_at: SimTime, now: SimTime) -> Self {
        FailoverAttempt {
            fault,
            fault_at,
            detected_at: now,
            decided_at: now,
            number: 0,
            retries: 0,
            last_failure: None,
            waited: None,
        }
    }

    /// This attempt failed with `outcome` at `completed_at`: its record, and the backoff
    /// before the next attempt if there is one. A failure other than a missing target
    /// spends a retry; once they are spent, or when a human declined, the record ends
    /// the failover. For a missing target see [`FailoverAttempt::no_target`].
    pub(crate) fn fail(
        &mut self,
        outcome: Outcome,
        failover: &Failover,
        completed_at: SimTime,
        from: Option<NodeId>,
        to: Option<NodeId>,
    ) -> (FailoverRecord, Option<Nanos>) {
        debug_assert!(outcome.is_failure() && !waits(outcome), "{outcome:?}");
        let retry = (outcome != Outcome::Declined && self.retries < failover.retries).then(|| {
            self.retries += 1;
            backoff(failover, self.retries)
        });
        let record = self.record(completed_at, outcome, from, to, 0, retry.is_none());
        self.failed(outcome);
        (record, retry)
    }

    /// This attempt failed with `outcome` at `completed_at` and the failover ends with
    /// it, whatever retries are left (another failover has taken over its fault).
    pub(crate) fn fail_finally(
        &mut self,
        outcome: Outcome,
        completed_at: SimTime,
        from: Option<NodeId>,
        to: Option<NodeId>,
    ) -> FailoverRecord {
        let record = self.record(completed_at, outcome, from, to, 0, true);
        self.failed(outcome);
        record
    }

    /// This attempt found no target (`NoHealthyTarget`, `NoQuorum`) at `completed_at`:
    /// its record. The failover stays open and spends no retry; the next attempt is
    /// made when a target comes back.
    pub(crate) fn no_target(
        &mut self,
        outcome: Outcome,
        completed_at: SimTime,
        from: Option<NodeId>,
    ) -> FailoverRecord {
        debug_assert!(waits(outcome), "{outcome:?}");
        let record = self.record(completed_at, outcome, from, None, 0, false);
        self.waited = Some(outcome);
        self.failed(outcome);
        record
    }

    /// The switch to `to` is complete at `completed_at`: the record that ends the
    /// failover. `Superseded` if what failed is back (`failed_back`), else `Success`
    /// (losing `data_loss` of writes), or the reason the failover had to wait for a
    /// target.
    pub(crate) fn complete(
        &self,
        completed_at: SimTime,
        failed_back: bool,
        from: Option<NodeId>,
        to: Option<NodeId>,
        data_loss: Nanos,
    ) -> FailoverRecord {
        let outcome = if failed_back {
            Outcome::Superseded
        } else {
            self.waited.unwrap_or(Outcome::Success)
        };
        let lost = if outcome == Outcome::Success {
            data_loss
        } else {
            0
        };
        self.record(completed_at, outcome, from, to, lost, true)
    }

    /// What failed came back at `completed_at`, before the failover succeeded: the
    /// record that ends it as `Superseded`.
    pub(crate) fn superseded(
        &self,
        completed_at: SimTime,
        from: Option<NodeId>,
        to: Option<NodeId>,
    ) -> FailoverRecord {
        self.record(completed_at, Outcome::Superseded, from, to, 0, true)
    }

    /// The failover is still open at the horizon: the record that ends it with the
    /// failure of its last failed attempt, or `Unfinished`.
    pub(crate) fn unfinished(
        &self,
        horizon: SimTime,
        from: Option<NodeId>,
        to: Option<NodeId>,
    ) -> FailoverRecord {
        let outcome = self.last_failure.unwrap_or(Outcome::Unfinished);
        self.record(horizon, outcome, from, to, 0, true)
    }

    /// The failover is dropped at `completed_at` because another failover covers its
    /// fault (a region failover covers the loss of a region's last replica): the record
    /// that ends it with its last failure, or none if it had written no record yet.
    pub(crate) fn covered(
        &self,
        completed_at: SimTime,
        from: Option<NodeId>,
    ) -> Option<FailoverRecord> {
        let outcome = self.last_failure?;
        Some(self.record(completed_at, outcome, from, None, 0, true))
    }

    /// Whether the failover had to wait for a target.
    pub(crate) fn waited_for_a_target(&self) -> bool {
        self.waited.is_some()
    }

    fn failed(&mut self, outcome: Outcome) {
        self.last_failure = Some(outcome);
        self.number += 1;
    }

    fn record(
        &self,
        completed_at: SimTime,
        outcome: Outcome,
        from: Option<NodeId>,
        to: Option<NodeId>,
        data_loss: Nanos,
        ends_failover: bool,
    ) -> FailoverRecord {
        FailoverRecord {
            fault: self.fault,
            fault_at: self.fault_at,
            detected_at: self.detected_at,
            decided_at: self.decided_at,
            completed_at,
            outcome,
            data_loss,
            from,
            to,
            attempt: self.number,
            ends_failover,
        }
    }
}

/// Whether a failed attempt leaves the failover waiting for a target.
fn waits(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::NoHealthyTarget | Outcome::NoQuorum)
}

/// Who approves a failover once a failure is detected.
#[derive(Clone, Debug, PartialEq)]
pub enum Approval {
    /// Act on detection.
    Automatic,
    /// Wait for a confirmation, which may be declined.
    SemiAutomatic {
        /// Time until a human confirms.
        confirmation: Distribution,
        /// Probability that the confirmation is declined.
        decline_probability: f64,
    },
    /// Wait for an operator.
    Manual {
        /// Time until the operator acts.
        operator: Distribution,
    },
}

/// How a service fails over, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct Failover {
    /// Who approves a failover.
    pub approval: Approval,
    /// An attempt not complete after this long fails as TimedOut.
    pub timeout: Nanos,
    /// Further attempts after a failed one.
    pub retries: u32,
    /// Wait before the first retry; doubles for each further retry.
    pub backoff: Nanos,
}

/// Replication of state to standbys, compiled.
#[derive(Clone, Debug, PartialEq)]
pub enum Replication {
    /// Every write is on the standby before it is acknowledged: nothing is lost.
    Sync,
    /// Writes reach the standby after a lag, lost when the primary fails.
    Async {
        /// Replication lag at the instant of a fault.
        lag: Distribution,
    },
}

/// What the failover mode decides after a detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Go ahead after this delay.
    Proceed(Nanos),
    /// A human declined after this delay (SEMI_AUTOMATIC).
    Declined(Nanos),
}

/// Draws the decision for one detection: AUTOMATIC acts at once, SEMI_AUTOMATIC waits
/// for a confirmation that may be declined, MANUAL waits for an operator.
pub(crate) fn decide(failover: &Failover, rng: &mut ChaCha8Rng) -> Decision {
    match &failover.approval {
        Approval::Automatic => Decision::Proceed(0),
        Approval::SemiAutomatic {
            confirmation,
            decline_probability,
        } => {
            let delay = confirmation.sample(rng);
            if *decline_probability > 0.0 && rng.random_bool(*decline_probability) {
                Decision::Declined(delay)
            } else {
                Decision::Proceed(delay)
            }
        }
        Approval::Manual { operator } => Decision::Proceed(operator.sample(rng)),
    }
}

/// Wait before retry number `retry` (1-based): backoff · 2^(retry−1), saturating.
pub(crate) fn backoff(failover: &Failover, retry: u32) -> Nanos {
    let doublings = retry.saturating_sub(1).min(40);
    failover.backoff.saturating_mul(1u64 << doublings)
}

/// Writes lost when a primary fails: the replication lag at the fault (sync loses none).
pub(crate) fn data_loss(replication: &Replication, rng: &mut ChaCha8Rng) -> Nanos {
    match replication {
        Replication::Sync => 0,
        Replication::Async { lag } => lag.sample(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::duration::Duration;
    use rand::SeedableRng;

    fn automatic() -> Failover {
        Failover {
            approval: Approval::Automatic,
            timeout: 300_000_000_000,
            retries: 2,
            backoff: 5_000_000_000,
        }
    }

    #[test]
    fn an_attempt_retries_with_backoff_until_the_retries_run_out() {
        let failover = Failover {
            retries: 2,
            ..automatic()
        };
        let from = Some(NodeId::new(3));
        let mut attempt = FailoverAttempt::detected(FaultTag::default(), SimTime(1), SimTime(2));
        let (first, wait) = attempt.fail(Outcome::TimedOut, &failover, SimTime(5), from, None);
        assert_eq!((first.attempt, first.ends_failover), (0, false));
        assert_eq!(wait, Some(5_000_000_000));
        let (_, wait) = attempt.fail(Outcome::PromotionFailed, &failover, SimTime(6), from, None);
        assert_eq!(wait, Some(10_000_000_000));
        let (last, wait) = attempt.fail(Outcome::TimedOut, &failover, SimTime(9), from, None);
        assert_eq!(wait, None);
        assert_eq!((last.attempt, last.ends_failover), (2, true));
        assert_eq!(last.outcome, Outcome::TimedOut);
        assert_eq!(last.decided_at, SimTime(2));
    }

    #[test]
    fn a_missing_target_waits_without_a_retry_and_is_the_outcome_of_the_switch_it_waited_for() {
        let failover = Failover {
            retries: 0,
            ..automatic()
        };
        let from = Some(NodeId::new(0));
        let mut attempt = FailoverAttempt::detected(FaultTag::default(), SimTime(1), SimTime(2));
        for _ in 0..3 {
            let record = attempt.no_target(Outcome::NoHealthyTarget, SimTime(3), from);
            assert!(!record.ends_failover);
        }
        // With no retry left, a real failure would end it; a missing target did not.
        let (timed_out, retry) =
            attempt
                .clone()
                .fail(Outcome::TimedOut, &failover, SimTime(4), from, None);
        assert_eq!((timed_out.ends_failover, retry), (true, None));
        let to = Some(NodeId::new(1));
        let done = attempt.complete(SimTime(9), false, from, to, 7);
        assert_eq!(
            (done.outcome, done.attempt, done.data_loss),
            (Outcome::NoHealthyTarget, 3, 0)
        );
        assert!(done.ends_failover);
        assert_eq!(
            attempt.unfinished(SimTime(10), from, None).outcome,
            Outcome::NoHealthyTarget
        );
        let back = attempt.complete(SimTime(9), true, from, to, 7);
        assert_eq!(back.outcome, Outcome::Superseded);
        let (declined, retry) =
            attempt.fail(Outcome::Declined, &automatic(), SimTime(11), from, None);
        assert_eq!((declined.ends_failover, retry), (true, None));
    }

    #[test]
    fn a_switch_made_at_once_succeeds_and_loses_the_lag() {
        let attempt = FailoverAttempt::detected(FaultTag::default(), SimTime(1), SimTime(2));
        let done = attempt.complete(SimTime(9), false, None, None, 7);
        assert_eq!(
            (done.outcome, done.data_loss, done.attempt),
            (Outcome::Success, 7, 0)
        );
        assert_eq!(
            attempt.unfinished(SimTime(10), None, None).outcome,
            Outcome::Unfinished
        );
        assert!(attempt.covered(SimTime(10), None).is_none());
    }

    #[test]
    fn backoff_doubles_per_retry() {
        let failover = automatic();
        assert_eq!(backoff(&failover, 1), 5_000_000_000);
        assert_eq!(backoff(&failover, 2), 10_000_000_000);
        assert_eq!(backoff(&failover, 3), 20_000_000_000);
    }

    #[test]
    fn automatic_decides_at_once_and_semi_automatic_can_decline() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(decide(&automatic(), &mut rng), Decision::Proceed(0));
        let always_declined = Failover {
            approval: Approval::SemiAutomatic {
                confirmation: Distribution::constant(Duration::from_secs(60)),
                decline_probability: 1.0,
            },
            ..automatic()
        };
        assert_eq!(
            decide(&always_declined, &mut rng),
            Decision::Declined(60_000_000_000)
        );
    }
}
