//! The failover tally: what the summary needs of a replication's failover records.

use super::DurationHistogram;
use crate::core::record::{FailoverRecord, Outcome};

/// What the summary needs of a replication's failover records, folded as they happen,
/// so that a long replication's memory does not grow with its number of failovers.
///
/// Every field is an integer count or a histogram (whose sum is exact), so folding the
/// same records in any grouping gives the same state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailoverTally {
    /// Failover time of successful attempts (one value per success).
    pub failover_time: DurationHistogram,
    /// Detection time of first attempts.
    pub detection_time: DurationHistogram,
    /// Data loss of successful attempts.
    pub data_loss: DurationHistogram,
    /// Failed attempts, indexed like [`Outcome::ALL`] (the `Success` slot stays 0).
    pub failed_by_reason: [u64; Outcome::ALL.len()],
}

impl FailoverTally {
    /// Folds in one attempt.
    pub fn add(&mut self, record: &FailoverRecord) {
        if record.attempt == 0 {
            self.detection_time.record(record.detection_time());
        }
        if record.outcome == Outcome::Success {
            self.failover_time.record(record.failover_time());
            self.data_loss.record(record.data_loss);
        } else {
            self.failed_by_reason[record.outcome as usize] += 1;
        }
    }

    /// Successful attempts.
    pub fn succeeded(&self) -> u64 {
        self.failover_time.count()
    }

    /// All attempts, successful or not.
    pub fn attempted(&self) -> u64 {
        self.succeeded() + self.failed_by_reason.iter().sum::<u64>()
    }
}
