//! Failover machinery shared by the strategies: the mode's decision delay, the retry
//! backoff, and data loss from replication lag.

use crate::core::time::Nanos;
use crate::scenarios::model::{Failover, FailoverMode, Replication, ReplicationMode};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// What the failover mode decides after a detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead after this delay.
    Proceed(Nanos),
    /// A human declined after this delay (SEMI_AUTOMATIC).
    Declined(Nanos),
}

/// Draws the decision for one detection: AUTOMATIC acts at once, SEMI_AUTOMATIC waits
/// for a confirmation that may be declined, MANUAL waits for an operator.
pub fn decide(failover: &Failover, rng: &mut ChaCha8Rng) -> Decision {
    match failover.mode {
        FailoverMode::Automatic => Decision::Proceed(0),
        FailoverMode::SemiAutomatic => {
            let delay = failover.confirmation.sample(rng);
            if failover.decline_probability > 0.0 && rng.random_bool(failover.decline_probability) {
                Decision::Declined(delay)
            } else {
                Decision::Proceed(delay)
            }
        }
        FailoverMode::Manual => Decision::Proceed(failover.operator.sample(rng)),
    }
}

/// Wait before retry number `retry` (1-based): backoff · 2^(retry−1), saturating.
pub fn backoff(failover: &Failover, retry: u32) -> Nanos {
    let doublings = retry.saturating_sub(1).min(40);
    failover.backoff.nanos().saturating_mul(1u64 << doublings)
}

/// Writes lost when a primary fails: the replication lag at the fault (sync loses none).
pub fn data_loss(replication: &Replication, rng: &mut ChaCha8Rng) -> Nanos {
    match replication.mode {
        ReplicationMode::Sync => 0,
        ReplicationMode::Async => replication.lag.sample(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_per_retry() {
        let failover = Failover::default();
        assert_eq!(backoff(&failover, 1), 5_000_000_000);
        assert_eq!(backoff(&failover, 2), 10_000_000_000);
        assert_eq!(backoff(&failover, 3), 20_000_000_000);
    }

    #[test]
    fn automatic_decides_at_once_and_semi_automatic_can_decline() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(decide(&Failover::default(), &mut rng), Decision::Proceed(0));
        let always_declined = Failover {
            mode: FailoverMode::SemiAutomatic,
            decline_probability: 1.0,
            ..Failover::default()
        };
        assert_eq!(
            decide(&always_declined, &mut rng),
            Decision::Declined(60_000_000_000)
        );
    }
}
