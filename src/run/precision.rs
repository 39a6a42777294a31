//! `--precision`: replications in deterministic batches until the 95% interval of each
//! named unavailability is narrow enough, relative to that unavailability.
//!
//! The stopping decision reads only the study folded in index order at batch
//! boundaries, and the boundaries depend only on how many replications were folded
//! (never on the thread count), so a study stops at the same replication whatever
//! `--threads` is.

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
        }
    }
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
    fn relative_precision_needs_some_unavailability() {
        assert_eq!(relative(0.002, 0.01), Some(0.1));
        assert_eq!(relative(0.0, 0.01), Some(0.0));
        assert_eq!(relative(0.0, 0.0), None);
        assert_eq!(relative(f64::NAN, 0.01), None);
    }
}
