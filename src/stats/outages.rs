//! The outage tally: what the summary needs of a replication's outage episodes, and of
//! its outages and failovers broken down by fault class (DESIGN §6).

use super::DurationHistogram;
use crate::core::episode::{EndedBy, OutageEpisode};
use crate::core::time::SimTime;
use serde::{Deserialize, Serialize};

/// Outages and failovers of one fault class (node, zone, region, partition, …).
///
/// Downtime is the exact sum of the outage durations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTally {
    /// Outage episodes the class caused, and their durations.
    pub outage_duration: DurationHistogram,
    /// Failovers the class triggered.
    pub failovers: u64,
    /// Failover time of the class's successful failovers.
    pub failover_time: DurationHistogram,
}

impl KindTally {
    /// An empty tally whose histograms keep at most `cap` buckets, if any (see
    /// [`DurationHistogram::capped`]).
    pub fn capped(cap: Option<u32>) -> Self {
        let histogram = || cap.map_or_else(DurationHistogram::new, DurationHistogram::capped);
        KindTally {
            outage_duration: histogram(),
            failovers: 0,
            failover_time: histogram(),
        }
    }

    /// Forgets everything, keeping the histograms' room: equal to a new tally.
    fn clear(&mut self) {
        self.outage_duration.clear();
        self.failovers = 0;
        self.failover_time.clear();
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, other: &KindTally) {
        self.outage_duration.merge(&other.outage_duration);
        self.failovers += other.failovers;
        self.failover_time.merge(&other.failover_time);
    }
}

/// Outage episodes and downtime charged to one fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCost {
    /// Episodes the fault started.
    pub outages: u64,
    /// Time not UP within them, ns (summed over vantage points).
    pub downtime_ns: u128,
}

impl FaultCost {
    /// Adds what `other` counted.
    pub fn merge(&mut self, other: &FaultCost) {
        self.outages += other.outages;
        self.downtime_ns += other.downtime_ns;
    }
}

/// What the summary needs of one replication's outage episodes of one service, folded
/// as they end, so that memory stays flat however many episodes a horizon holds.
///
/// Every field is an integer count or a histogram (whose sum is exact), so folding the
/// same episodes in any grouping gives the same state.
#[derive(Clone, Default)]
///
/// Durations are kept per fault class only (the distribution over all classes is their
/// merge), so each episode costs one histogram entry.
pub struct OutageTally {
    /// Episodes by ending, indexed like [`EndedBy::ALL`].
    pub ended_by: [u64; EndedBy::ALL.len()],
    /// The earliest episode start at any vantage point, for missions.
    pub first_start: Option<SimTime>,
    /// Per fault class that caused an episode or a failover, by the scenario's
    /// fault-kind index, in the order they first did (a replication sees one or two
    /// classes of a handful, so a vector searched in place beats one slot per class).
    pub by_kind: Vec<(usize, KindTally)>,
    /// Per fault, by its tag, in the order they first started an episode: only those
    /// appear (a handful per replication, so a vector beats a map).
    pub by_fault: Vec<(u32, FaultCost)>,
    /// Class tallies emptied by [`OutageTally::renew`], for the classes that come next
    /// (their histograms keep their room). Not part of what was counted.
    spare: Vec<KindTally>,
}

/// What was counted, without the spare tallies: they are room, not counts, and depend on
/// what the thread ran before (the determinism check hashes this text).
impl std::fmt::Debug for OutageTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutageTally")
            .field("ended_by", &self.ended_by)
            .field("first_start", &self.first_start)
            .field("by_kind", &self.by_kind)
            .field("by_fault", &self.by_fault)
            .finish()
    }
}

/// Equal when they counted the same: the spare tallies are room, not counts.
impl PartialEq for OutageTally {
    fn eq(&self, other: &Self) -> bool {
        self.ended_by == other.ended_by
            && self.first_start == other.first_start
            && self.by_kind == other.by_kind
            && self.by_fault == other.by_fault
    }
}

impl OutageTally {
    /// The tally of fault class `kind`, added empty the first time.
    #[inline]
    fn kind(&mut self, kind: usize) -> &mut KindTally {
        let at = match self.by_kind.iter().position(|(k, _)| *k == kind) {
            Some(at) => at,
            None => self.add_kind(kind),
        };
        &mut self.by_kind[at].1
    }

    /// Adds fault class `kind`, empty; returns its position.
    #[cold]
    #[inline(never)]
    fn add_kind(&mut self, kind: usize) -> usize {
        // Room for this class only: most replications never see a second, and a growth
        // would reserve four.
        self.by_kind.reserve_exact(1);
        let tally = self.spare.pop().unwrap_or_default();
        self.by_kind.push((kind, tally));
        self.by_kind.len() - 1
    }

    /// Hints the cache to load the class tallies (see [`crate::core::prefetch`]).
    pub(crate) fn prefetch(&self) {
        crate::core::prefetch::prefetch_slice(&self.by_kind);
    }

    /// Forgets everything counted, keeping the room (a replication's tally is reused by
    /// the next replication on the thread): equal to a new tally.
    pub(crate) fn renew(&mut self) {
        self.ended_by = [0; EndedBy::ALL.len()];
        self.first_start = None;
        for (_, mut tally) in self.by_kind.drain(..) {
            tally.clear();
            self.spare.push(tally);
        }
        self.by_fault.clear();
    }

    /// Folds in one episode whose cause is of fault class `kind`.
    pub fn add(&mut self, episode: &OutageEpisode, kind: usize) {
        let duration = episode.duration();
        self.ended_by[episode.ended_by as usize] += 1;
        self.first_start = Some(
            self.first_start
                .map_or(episode.start, |first| first.min(episode.start)),
        );
        self.kind(kind).outage_duration.record(duration);
        let tag = episode.cause.0;
        let at = match self.by_fault.iter().position(|(t, _)| *t == tag) {
            Some(at) => at,
            None => {
                self.by_fault.reserve_exact(1);
                self.by_fault.push((tag, FaultCost::default()));
                self.by_fault.len() - 1
            }
        };
        let cost = &mut self.by_fault[at].1;
        cost.outages += 1;
        cost.downtime_ns += u128::from(duration);
    }

    /// Folds in one failover of fault class `kind`; `time` is its failover time when it
    /// succeeded.
    pub fn add_failover(&mut self, kind: usize, time: Option<u64>) {
        let tally = self.kind(kind);
        tally.failovers += 1;
        if let Some(time) = time {
            tally.failover_time.record(time);
        }
    }

    /// Episodes folded in.
    pub fn episodes(&self) -> u64 {
        self.by_kind
            .iter()
            .map(|(_, kind)| kind.outage_duration.count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::record::FaultTag;

    fn episode(start: u64, end: u64, cause: u32, ended_by: EndedBy) -> OutageEpisode {
        OutageEpisode {
            vantage: 0,
            start: SimTime(start),
            end: SimTime(end),
            down: end - start,
            cause: FaultTag(cause),
            ended_by,
        }
    }

    /// The spare class tallies a renewal keeps are room, not counts: a renewed tally is a
    /// new one to `==` and in its `Debug` text (which the determinism check hashes), and so
    /// is what it counts next.
    #[test]
    fn a_renewed_tally_is_a_new_one_in_equality_and_in_its_debug_text() {
        let mut tally = OutageTally::default();
        tally.add(&episode(10, 30, 3, EndedBy::Recovery), 1);
        tally.add_failover(2, Some(5));
        tally.renew();
        assert_eq!(tally, OutageTally::default());
        assert_eq!(
            format!("{tally:?}"),
            format!("{:?}", OutageTally::default())
        );
        let mut fresh = OutageTally::default();
        for counted in [&mut tally, &mut fresh] {
            counted.add(&episode(0, 7, 4, EndedBy::Failover), 0);
        }
        assert_eq!(tally, fresh);
        assert_eq!(format!("{tally:?}"), format!("{fresh:?}"));
    }

    #[test]
    fn episodes_fold_into_durations_endings_classes_and_faults() {
        let mut tally = OutageTally::default();
        tally.add(&episode(50, 80, 3, EndedBy::Failover), 1);
        tally.add(&episode(10, 30, 3, EndedBy::Recovery), 1);
        tally.add(&episode(90, 100, 4, EndedBy::Horizon), 0);
        tally.add_failover(1, Some(7));
        tally.add_failover(1, None);
        assert_eq!(tally.episodes(), 3);
        assert_eq!(tally.ended_by, [1, 1, 1]);
        assert_eq!(tally.first_start, Some(SimTime(10)));
        // Classes in the order they first appeared.
        assert_eq!((tally.by_kind[0].0, tally.by_kind[1].0), (1, 0));
        assert_eq!(tally.by_kind[0].1.outage_duration.sum_ns(), 50);
        assert_eq!(tally.by_kind[0].1.failovers, 2);
        assert_eq!(tally.by_kind[0].1.failover_time.count(), 1);
        assert_eq!(tally.by_kind[1].1.outage_duration.count(), 1);
        assert_eq!(
            tally.by_fault[0],
            (
                3,
                FaultCost {
                    outages: 2,
                    downtime_ns: 50
                }
            )
        );
    }
}
