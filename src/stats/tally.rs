//! The failover tally: what the summary needs of a replication's failover records.

use super::DurationHistogram;
use crate::core::record::{FailoverRecord, Outcome};

/// What the summary needs of a replication's failover records, folded as they happen,
/// so that a long replication's memory does not grow with its number of failovers.
///
/// A failover (DESIGN §6) is counted once, by the record that ends it; every record is
/// an attempt. Every field is an integer count or a histogram (whose sum is exact), so
/// folding the same records in any grouping gives the same state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailoverTally {
    /// Exact sum of the failover times of successful failovers (ns); their
    /// distribution is kept by fault kind, with the outage tally.
    pub failover_time_ns: u128,
    /// Detection time of failovers, whatever their outcome (one value per failover).
    pub detection_time: DurationHistogram,
    /// Data loss of successful failovers.
    pub data_loss: DurationHistogram,
    /// Attempts (every record) by outcome, indexed like [`Outcome::ALL`].
    pub attempts_by_outcome: [u64; Outcome::ALL.len()],
    /// Failovers (records that end one) by outcome, indexed like [`Outcome::ALL`].
    pub failovers_by_outcome: [u64; Outcome::ALL.len()],
}

impl FailoverTally {
    /// Folds in one record.
    pub fn add(&mut self, record: &FailoverRecord) {
        self.attempts_by_outcome[record.outcome as usize] += 1;
        if !record.ends_failover {
            return;
        }
        self.failovers_by_outcome[record.outcome as usize] += 1;
        self.detection_time.record(record.detection_time());
        if record.outcome == Outcome::Success {
            self.failover_time_ns += u128::from(record.failover_time());
            self.data_loss.record(record.data_loss);
        }
    }

    /// Hints the cache to load where the next failover's values go.
    pub(crate) fn prefetch(&self) {
        self.detection_time.prefetch();
        self.data_loss.prefetch();
    }

    /// Forgets every attempt, keeping the histograms' room: equal to a new tally.
    pub(crate) fn clear(&mut self) {
        self.failover_time_ns = 0;
        self.detection_time.clear();
        self.data_loss.clear();
        self.attempts_by_outcome = [0; Outcome::ALL.len()];
        self.failovers_by_outcome = [0; Outcome::ALL.len()];
    }

    /// Failovers, whatever their outcome.
    pub fn failovers(&self) -> u64 {
        self.failovers_by_outcome.iter().sum()
    }

    /// Mean failover time of the successful failovers (ns), if any.
    pub fn failover_time_mean_ns(&self) -> Option<f64> {
        let succeeded = self.succeeded();
        (succeeded > 0).then(|| self.failover_time_ns as f64 / succeeded as f64)
    }

    /// Successful failovers.
    pub fn succeeded(&self) -> u64 {
        self.failovers_by_outcome[Outcome::Success as usize]
    }

    /// Failed failovers (their outcome [is a failure](Outcome::is_failure)).
    pub fn failed(&self) -> u64 {
        Outcome::ALL
            .iter()
            .filter(|outcome| outcome.is_failure())
            .map(|&outcome| self.failovers_by_outcome[outcome as usize])
            .sum()
    }

    /// Failovers overtaken by the return of what failed.
    pub fn superseded(&self) -> u64 {
        self.failovers_by_outcome[Outcome::Superseded as usize]
    }

    /// Failovers still open at the horizon with no failed attempt.
    pub fn unfinished(&self) -> u64 {
        self.failovers_by_outcome[Outcome::Unfinished as usize]
    }

    /// Attempts: every record.
    pub fn attempts(&self) -> u64 {
        self.attempts_by_outcome.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::record::FaultTag;
    use crate::core::time::SimTime;

    fn record(outcome: Outcome, ends_failover: bool, completed_s: u64) -> FailoverRecord {
        FailoverRecord {
            fault: FaultTag(0),
            fault_at: SimTime(10_000_000_000),
            detected_at: SimTime(13_000_000_000),
            decided_at: SimTime(13_000_000_000),
            completed_at: SimTime(completed_s * 1_000_000_000),
            outcome,
            data_loss: 5,
            from: None,
            to: None,
            attempt: 0,
            ends_failover,
        }
    }

    #[test]
    fn failovers_count_once_by_their_last_record_and_attempts_count_every_record() {
        let mut tally = FailoverTally::default();
        // A failover that waited for a target, then one retried once, then one superseded.
        tally.add(&record(Outcome::NoHealthyTarget, false, 14));
        tally.add(&record(Outcome::NoHealthyTarget, true, 90));
        tally.add(&record(Outcome::PromotionFailed, false, 16));
        tally.add(&record(Outcome::Success, true, 25));
        tally.add(&record(Outcome::Superseded, true, 40));
        tally.add(&record(Outcome::Unfinished, true, 99));
        assert_eq!(tally.attempts(), 6);
        assert_eq!(tally.failovers(), 4);
        assert_eq!(
            (
                tally.succeeded(),
                tally.failed(),
                tally.superseded(),
                tally.unfinished()
            ),
            (1, 1, 1, 1)
        );
        // Failover time and data loss of the one success; detection of every failover.
        assert_eq!(tally.failover_time_ns, 15_000_000_000);
        assert_eq!(tally.failover_time_mean_ns(), Some(15e9));
        assert_eq!(tally.data_loss.count(), 1);
        assert_eq!(tally.detection_time.count(), 4);
        assert_eq!(
            tally.attempts_by_outcome[Outcome::NoHealthyTarget as usize],
            2
        );
        assert_eq!(
            tally.failovers_by_outcome[Outcome::NoHealthyTarget as usize],
            1
        );
    }
}
