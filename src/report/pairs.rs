//! What `compare` pairs across strategies, folded one replication at a time: for every
//! two strategies and every service, exact sums of the differences of their availability
//! numerators on the same replication, and a running mean of the difference of their
//! mean failover times. Nothing is kept per replication, so memory does not grow with
//! the replications.

use super::study::{served_numerator, ServiceStudy};
use crate::sim::engine::{ReplicationOutcome, ServiceOutcome};
use crate::stats::{Differences, MeanCi, RunningMean};

/// The paired sums of two strategies for one service: each is strategy `later` −
/// strategy `earlier` (in the order the strategies were listed) on the same replication.
#[derive(Clone, Debug, Default, PartialEq)]
struct PairSums {
    availability: Differences,
    lenient_availability: Differences,
    served_availability: Differences,
    /// Over the replications where both failed over successfully, in seconds.
    failover_time_s: RunningMean,
}

impl PairSums {
    fn add(&mut self, later: &ServiceOutcome, earlier: &ServiceOutcome) {
        self.availability.record(later.up_ns, earlier.up_ns);
        self.lenient_availability.record(
            later.up_ns + later.degraded_ns,
            earlier.up_ns + earlier.degraded_ns,
        );
        self.served_availability
            .record(served_numerator(later), served_numerator(earlier));
        let mean_s = |s: &ServiceOutcome| s.tally.failover_time_mean_ns().map(|ns| ns / 1e9);
        if let (Some(later), Some(earlier)) = (mean_s(later), mean_s(earlier)) {
            self.failover_time_s.record(later - earlier);
        }
    }
}

/// One service's difference between two strategies, paired by replication (`a − b`;
/// fractions and seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedDifference {
    /// Strict availability.
    pub availability: MeanCi,
    /// Lenient availability.
    pub lenient_availability: MeanCi,
    /// Served availability.
    pub served_availability: MeanCi,
    /// Mean failover time (seconds), over the replications where both failed over.
    pub failover_time_s: Option<MeanCi>,
    /// The replications that entered the failover-time difference.
    pub failover_time_pairs: u64,
}

/// The paired sums of every two strategies of a comparison, for every service.
///
/// Folded in replication order (the failover-time means depend on it; the availability
/// sums are exact and would not), one replication of every strategy at a time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pairs {
    strategies: usize,
    /// Per service, the pairs (earlier, later) in the order of [`pair_index`].
    services: Vec<Vec<PairSums>>,
}

/// Where the pair of strategies `earlier` < `later` is kept: pairs ordered by the later
/// strategy, then the earlier (0-1, 0-2, 1-2, 0-3, …).
fn pair_index(earlier: usize, later: usize) -> usize {
    later * (later - 1) / 2 + earlier
}

impl Pairs {
    /// No replication yet, for `strategies` strategies and `services` services.
    pub fn new(strategies: usize, services: usize) -> Self {
        let pairs = strategies * strategies.saturating_sub(1) / 2;
        Pairs {
            strategies,
            services: vec![vec![PairSums::default(); pairs]; services],
        }
    }

    /// Folds in one replication: its outcome under each strategy, in the strategies'
    /// order.
    pub fn add(&mut self, outcomes: &[ReplicationOutcome]) {
        debug_assert_eq!(outcomes.len(), self.strategies);
        for (service, pairs) in self.services.iter_mut().enumerate() {
            for later in 1..outcomes.len() {
                for earlier in 0..later {
                    pairs[pair_index(earlier, later)].add(
                        &outcomes[later].services[service],
                        &outcomes[earlier].services[service],
                    );
                }
            }
        }
    }

    /// Strategy `a` − strategy `b` for service `service` (its study under `b` gives the
    /// units: the variants share the service's vantage points), `a` ≠ `b`.
    pub fn difference(
        &self,
        service: usize,
        a: usize,
        b: usize,
        study: &ServiceStudy,
        horizon_ns: u64,
    ) -> PairedDifference {
        let (earlier, later) = (a.min(b), a.max(b));
        let sums = &self.services[service][pair_index(earlier, later)];
        // The sums are of later − earlier: a − b when a is the later one.
        let oriented = |ci: MeanCi| {
            if a > b {
                ci
            } else {
                MeanCi {
                    mean: -ci.mean,
                    ci95_low: -ci.ci95_high,
                    ci95_high: -ci.ci95_low,
                }
            }
        };
        let unit = study.unit(horizon_ns);
        let failover_time_pairs = sums.failover_time_s.count();
        PairedDifference {
            availability: oriented(sums.availability.mean_ci(unit)),
            lenient_availability: oriented(sums.lenient_availability.mean_ci(unit)),
            served_availability: oriented(
                sums.served_availability
                    .mean_ci(study.served_unit(horizon_ns)),
            ),
            failover_time_s: (failover_time_pairs > 0)
                .then(|| oriented(sums.failover_time_s.mean_ci())),
            failover_time_pairs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_indexed_densely_by_the_later_strategy() {
        let order: Vec<usize> = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]
            .iter()
            .map(|&(earlier, later)| pair_index(earlier, later))
            .collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(Pairs::new(4, 2).services[1].len(), 6);
        assert_eq!(Pairs::new(1, 2).services[0].len(), 0);
    }
}
