//! `--precision`: replications in deterministic batches until the 95% interval of each
//! named unavailability is narrow enough, relative to that unavailability.
//!
//! The stopping decision reads only the study folded in index order at batch
//! boundaries, and the boundaries depend only on how many replications were folded
//! (never on the thread count), so a study stops at the same replication whatever
//! `--threads` is.

use super::Shard;
use crate::checks::{Check, Metric, Outcome};
use crate::report::{PrecisionSummary, ServiceStudy, Study, Summary};

/// The smallest batch between two stopping decisions, and the step batches grow by.
pub const BATCH: u64 = 32;

/// Fewest replications before a study may stop: two batches. A 95% interval from fewer
/// replications rests on a spread estimate too rough to stop on (stopping when the
/// spread happens to look small is what breaks the coverage of sequential rules).
pub const MIN_REPLICATIONS: u64 = 2 * BATCH;

/// The maximum when `--max-replications` is not given.
/// Cheap scenarios need it: the quickstart's unavailability, dominated by rare double
/// failures, takes about 13,000 replications to ±5%.
pub const DEFAULT_MAX_REPLICATIONS: u64 = 100_000;

/// When a study has run long enough.
#[derive(Clone, Debug)]
pub struct Precision {
    /// Largest half-width of the 95% interval of each metric's unavailability, relative
    /// to that unavailability (0.05: ± 5 %).
    pub target: f64,
    /// The availabilities measured (`availability`, `lenient_availability`,
    /// `served_availability`).
    pub metrics: Vec<Metric>,
    /// Checks that must also be conclusive (pass or fail, not inconclusive).
    pub checks: Vec<Check>,
}

impl Precision {
    /// Whether `metric` can be a precision target: an availability, measured once per
    /// replication.
    pub fn accepts(metric: Metric) -> bool {
        matches!(
            metric,
            Metric::Availability | Metric::LenientAvailability | Metric::ServedAvailability
        )
    }

    /// The size of the batch that starts after `done` replications: one eighth of what
    /// was done, in whole steps of [`BATCH`] (so a study overshoots its stopping point
    /// by at most an eighth, and a long one does not recompute its intervals every few
    /// replications).
    pub fn batch(done: u64) -> u64 {
        (done / 8 / BATCH).max(1) * BATCH
    }

    /// The worst relative half-width over the services, the system and the metrics;
    /// None when one of them saw no unavailability at all (then none exists).
    pub fn reached(&self, study: &Study) -> Option<f64> {
        let mut worst: f64 = 0.0;
        for service in study.services.iter().chain(&study.system) {
            for &metric in &self.metrics {
                worst = worst.max(relative_half_width(service, metric, study.horizon_ns)?);
            }
        }
        Some(worst)
    }

    /// How many checks the study leaves inconclusive.
    pub fn inconclusive(&self, summary: &Summary) -> usize {
        self.checks
            .iter()
            .filter_map(|check| check.evaluate(summary).ok())
            .flatten()
            .filter(|verdict| verdict.outcome == Outcome::Inconclusive)
            .count()
    }

    /// Whether the study may stop: enough replications, the target reached and every
    /// check conclusive.
    pub fn satisfied(&self, study: &Study) -> bool {
        let done = study.done();
        done >= MIN_REPLICATIONS
            && self.reached(study).is_some_and(|r| r <= self.target)
            && (self.checks.is_empty() || self.inconclusive(&Summary::new(study)) == 0)
    }

    /// What the summary says about how a study stopped: `reached` as measured, and
    /// whether the target was met.
    pub fn summary(
        &self,
        reached: Option<f64>,
        met: bool,
        used: u64,
        max: u64,
    ) -> PrecisionSummary {
        PrecisionSummary {
            target: self.target,
            metrics: self.metrics.iter().map(|m| m.name().to_string()).collect(),
            reached,
            stopped_by: if met { "precision" } else { "max_replications" },
            replications_used: used,
            max_replications: max,
            fixed_batches: None,
            next_shards: None,
        }
    }
}

/// Fixed batches (`run --batches N`, the shards of `--shard I/N`): the `count` equal
/// shares of `total` replications, whose ends alone are stopping points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedBatches {
    /// The maximum (`--max-replications`).
    pub total: u64,
    /// N.
    pub count: u64,
}

impl FixedBatches {
    /// The end of batch `index` (1-based): that of shard `index`/`count`.
    pub fn end(&self, index: u64) -> u64 {
        Shard {
            index,
            count: self.count,
        }
        .range(self.total)
        .end
    }

    /// The first batch end after `done` replications (`total` past the last).
    pub fn next_end(&self, done: u64) -> u64 {
        if done >= self.total {
            return self.total;
        }
        // The smallest i with ⌊total·i/count⌋ ≥ done + 1.
        let index =
            (u128::from(done + 1) * u128::from(self.count)).div_ceil(u128::from(self.total)) as u64;
        self.end(index)
    }

    /// The batch whose replications are `range`, if it is exactly one.
    pub fn index_of(&self, start: u64, end: u64) -> Option<u64> {
        let index = (u128::from(end) * u128::from(self.count))
            .div_ceil(u128::from(self.total.max(1))) as u64;
        let shard = Shard {
            index,
            count: self.count,
        };
        (index >= 1 && index <= self.count && shard.range(self.total) == (start..end))
            .then_some(index)
    }
}

/// Shards of a `--precision` run merged in order: the study up to the first shard end
/// where the stopping rule holds (or every shard given, in order from 1, when it does
/// not), and how it stopped.
#[derive(Debug)]
pub struct ShardedMerge {
    /// The shards used, merged.
    pub study: Study,
    /// How it stopped, with the shards to run next when more are needed.
    pub precision: PrecisionSummary,
    /// Shards given but not used: past the stop, or after a missing one.
    pub unused: Vec<u64>,
}

/// Why shards of a `--precision` run do not merge.
#[derive(Debug, thiserror::Error)]
pub enum ShardedMergeError {
    /// A part holds replications that are not exactly one shard (a partial shard).
    #[error(
        "part {part} holds replications {start}..{end}, which is not one shard of {count}: \
         a partial shard (--partial) cannot be merged under --precision; run it again whole"
    )]
    NotOneShard {
        /// The part's position among those given (1-based).
        part: usize,
        /// Its first replication.
        start: u64,
        /// One past its last.
        end: u64,
        /// N.
        count: u64,
    },
    /// The same shard twice.
    #[error("shard {0} is given twice")]
    Duplicate(u64),
    /// The rule is read at the end of each shard in order, from the first.
    #[error(
        "shard 1/{0} is missing: under --precision the shards are merged in order from \
         the first, and the stopping rule read at the end of each"
    )]
    NoFirst(u64),
    /// Studies that do not merge.
    #[error(transparent)]
    Merge(#[from] crate::report::MergeError),
}

/// Merges the shards of a `--precision` run (`parts`, in any order) as the single run
/// with the same fixed batches (`run --batches N`) folds them: in order from shard 1,
/// reading `precision` at the end of each, and stopping at the first where it is
/// satisfied; the result is then byte for byte that run's. When no shard end
/// satisfies it and shards are missing (or some after a gap), the result is the shards
/// merged so far, `more_shards_needed`, and the shards to run next.
pub fn merge_shards(
    parts: Vec<Study>,
    precision: &Precision,
    count: u64,
) -> Result<ShardedMerge, ShardedMergeError> {
    let total = parts.first().map_or(0, |p| p.replications);
    let batches = FixedBatches { total, count };
    let mut indexed = Vec::with_capacity(parts.len());
    for (position, part) in parts.into_iter().enumerate() {
        let ranges = &part
            .services
            .first()
            .map(|s| s.folded.clone())
            .unwrap_or_default();
        let index = match ranges.as_slice() {
            [(start, end)] => {
                batches
                    .index_of(*start, *end)
                    .ok_or(ShardedMergeError::NotOneShard {
                        part: position + 1,
                        start: *start,
                        end: *end,
                        count,
                    })?
            }
            _ => {
                return Err(ShardedMergeError::NotOneShard {
                    part: position + 1,
                    start: ranges.first().map_or(0, |r| r.0),
                    end: ranges.last().map_or(0, |r| r.1),
                    count,
                })
            }
        };
        indexed.push((index, part));
    }
    indexed.sort_by_key(|(index, _)| *index);
    if let Some(pair) = indexed.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(ShardedMergeError::Duplicate(pair[0].0));
    }
    if indexed.first().map(|(index, _)| *index) != Some(1) {
        return Err(ShardedMergeError::NoFirst(count));
    }
    let mut merged: Option<Study> = None;
    let mut last = 0;
    let mut met = false;
    let mut unused = Vec::new();
    for (index, part) in indexed {
        if met || index != last + 1 {
            unused.push(index);
            continue;
        }
        let study = match merged.take() {
            None => part,
            Some(so_far) => Study::merge(vec![so_far, part])?,
        };
        last = index;
        met = precision.satisfied(&study);
        merged = Some(study);
    }
    let mut study = merged.expect("shard 1 is there");
    let used = study.done();
    let reached = precision.reached(&study);
    let mut summary = precision.summary(reached, met, used, total);
    summary.fixed_batches = Some(count);
    if met || last == count {
        study.replications = used;
    } else {
        summary.stopped_by = "more_shards_needed";
        // The half-width shrinks as 1/√n: n·(reached/target)² replications reach the
        // target, if the spread holds.
        let needed = reached
            .filter(|r| r.is_finite())
            .map(|r| (used as f64 * (r / precision.target).powi(2)).ceil() as u64);
        let through = match needed {
            Some(needed) => (last + 1..=count)
                .find(|&i| batches.end(i) >= needed)
                .unwrap_or(count),
            None => last + 1,
        };
        let mut ranges: Vec<[u64; 2]> = Vec::new();
        for index in last + 1..=through {
            if unused.contains(&index) {
                continue;
            }
            match ranges.last_mut() {
                Some(range) if range[1] + 1 == index => range[1] = index,
                _ => ranges.push([index, index]),
            }
        }
        summary.next_shards = Some(ranges);
    }
    Ok(ShardedMerge {
        study,
        precision: summary,
        unused,
    })
}

/// Half-width of the 95% interval of `service`'s `metric`, over its unavailability
/// (1 − mean); None when no unavailability was observed.
fn relative_half_width(service: &ServiceStudy, metric: Metric, horizon_ns: u64) -> Option<f64> {
    let ci = service.availability_ci(metric, horizon_ns);
    relative(ci.ci95_high - ci.ci95_low, 1.0 - ci.mean)
}

/// `width / 2` relative to `scale`; None when `scale` is not positive (nothing to be
/// relative to) or the width is not a number.
pub fn relative(width: f64, scale: f64) -> Option<f64> {
    (scale > 0.0 && width.is_finite()).then(|| width / 2.0 / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_grow_by_an_eighth_in_whole_steps_of_32() {
        let sizes: Vec<u64> = [0, 32, 64, 255, 256, 512, 10_000]
            .iter()
            .map(|&done| Precision::batch(done))
            .collect();
        assert_eq!(sizes, vec![32, 32, 32, 32, 32, 64, 1248]);
    }

    #[test]
    fn fixed_batches_end_where_the_shards_end() {
        let batches = FixedBatches {
            total: 10,
            count: 3,
        };
        let ends: Vec<u64> = (1..=3).map(|i| batches.end(i)).collect();
        assert_eq!(ends, vec![3, 6, 10]);
        let next: Vec<u64> = (0..=10).map(|done| batches.next_end(done)).collect();
        assert_eq!(next, vec![3, 3, 3, 6, 6, 6, 10, 10, 10, 10, 10]);
        assert_eq!(batches.index_of(3, 6), Some(2));
        assert_eq!(batches.index_of(6, 10), Some(3));
        assert_eq!(batches.index_of(3, 5), None);
        assert_eq!(batches.index_of(0, 10), None);
    }

    #[test]
    fn relative_precision_needs_some_unavailability() {
        assert_eq!(relative(0.002, 0.01), Some(0.1));
        assert_eq!(relative(0.0, 0.01), Some(0.0));
        assert_eq!(relative(0.0, 0.0), None);
        assert_eq!(relative(f64::NAN, 0.01), None);
    }
}
