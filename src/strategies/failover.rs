//! Failover machinery shared by the strategies: an attempt and its record, how a
//! failover is approved, bounded and retried, and data loss from replication lag.

use super::{FailoverRecord, FaultTag, Outcome};
use crate::core::time::{Nanos, SimTime};
use crate::net::topology::NodeId;
use crate::scenarios::distribution::Distribution;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A failover attempt in progress: what every strategy's records share (DESIGN §6), and
/// the one place that turns an attempt into a [`FailoverRecord`].
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
        }
    }

    /// Moves on to the next attempt if `failover` allows another; returns the backoff
    /// to wait before it.
    pub(crate) fn retry(&mut self, failover: &Failover) -> Option<Nanos> {
        (self.number < failover.retries).then(|| {
            self.number += 1;
            backoff(failover, self.number)
        })
    }

    /// The record of this attempt ending at `completed_at` with `outcome`, switching
    /// from `from` to `to` and losing `data_loss` of writes.
    pub(crate) fn record(
        &self,
        completed_at: SimTime,
        outcome: Outcome,
        from: Option<NodeId>,
        to: Option<NodeId>,
        data_loss: Nanos,
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
            ends_failover: true,
        }
    }
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
        let mut attempt = FailoverAttempt::detected(FaultTag::default(), SimTime(1), SimTime(2));
        assert_eq!(attempt.retry(&failover), Some(5_000_000_000));
        assert_eq!(attempt.retry(&failover), Some(10_000_000_000));
        assert_eq!(attempt.retry(&failover), None);
        let record = attempt.record(SimTime(9), Outcome::TimedOut, Some(NodeId::new(3)), None, 0);
        assert_eq!(record.attempt, 2);
        assert_eq!(record.decided_at, SimTime(2));
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
