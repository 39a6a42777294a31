//! Success proportions with Wilson score intervals.

use serde::{Deserialize, Serialize};

use super::Z_975;

/// Two-sided 95% Wilson score interval for a binomial proportion, as `(low, high)`.
///
/// With p̂ = s/n and z = 1.959964:
/// centre = (p̂ + z²/2n) / (1 + z²/n),
/// half-width = z / (1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²).
///
/// Chosen over the normal (Wald) interval because failover success rates sit near 1,
/// where Wald collapses to zero width at 100% and can leave [0, 1]. The bounds are
/// clamped to [0, 1] against rounding. `trials = 0` gives the uninformative `(0.0, 1.0)`.
///
/// # Panics
///
/// If `successes > trials`: counts come from the simulator, so this is a counting bug.
pub fn wilson_ci95(successes: u64, trials: u64) -> (f64, f64) {
    assert!(
        successes <= trials,
        "{successes} successes out of {trials} trials"
    );
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z_975 * Z_975;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half_width = Z_975 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    (
        (centre - half_width).max(0.0),
        (centre + half_width).min(1.0),
    )
}

/// A count of successes out of a count of trials (e.g. failovers succeeded / attempted).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    /// Trials that succeeded; never more than `trials`.
    pub successes: u64,
    /// Trials made.
    pub trials: u64,
}

impl Proportion {
    /// The observed rate `successes / trials`, or `None` when there were no trials.
    pub fn rate(&self) -> Option<f64> {
        (self.trials > 0).then(|| self.successes as f64 / self.trials as f64)
    }

    /// The 95% Wilson score interval of the rate (see [`wilson_ci95`]).
    pub fn ci95(&self) -> (f64, f64) {
        wilson_ci95(self.successes, self.trials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_interval(actual: (f64, f64), expected: (f64, f64), tolerance: f64) {
        assert!(
            (actual.0 - expected.0).abs() <= tolerance
                && (actual.1 - expected.1).abs() <= tolerance,
            "{actual:?} is not within {tolerance} of {expected:?}"
        );
    }

    #[test]
    fn matches_published_wilson_intervals() {
        assert_interval(wilson_ci95(95, 100), (0.8882, 0.9785), 1e-4);
        assert_interval(wilson_ci95(50, 100), (0.4038, 0.5962), 1e-4);
        assert_interval(wilson_ci95(1, 10), (0.0179, 0.4042), 1e-4);
    }

    #[test]
    fn all_successes_still_leave_room_below_one() {
        let (low, high) = wilson_ci95(20, 20);
        assert_eq!(high, 1.0);
        assert!((low - 0.838_875).abs() < 1e-5, "{low}");
    }

    #[test]
    fn no_successes_start_at_zero() {
        let (low, high) = wilson_ci95(0, 20);
        assert_eq!(low, 0.0);
        assert!((high - 0.161_125).abs() < 1e-5, "{high}");
    }

    #[test]
    fn no_trials_give_the_whole_unit_interval() {
        assert_eq!(wilson_ci95(0, 0), (0.0, 1.0));
    }

    #[test]
    fn contains_the_observed_rate_and_narrows_with_more_trials() {
        let mut previous_width = f64::INFINITY;
        for trials in [10, 100, 1_000, 10_000, 100_000] {
            let successes = trials * 9 / 10;
            let (low, high) = wilson_ci95(successes, trials);
            assert!(low < 0.9 && 0.9 < high);
            assert!(high - low < previous_width);
            previous_width = high - low;
        }
    }

    #[test]
    #[should_panic(expected = "successes out of")]
    fn more_successes_than_trials_is_a_bug() {
        wilson_ci95(3, 2);
    }

    #[test]
    fn proportion_reports_rate_and_interval() {
        let p = Proportion {
            successes: 95,
            trials: 100,
        };
        assert_eq!(p.rate(), Some(0.95));
        assert_eq!(p.ci95(), wilson_ci95(95, 100));
    }

    #[test]
    fn empty_proportion_has_no_rate() {
        let p = Proportion::default();
        assert_eq!(p.rate(), None);
        assert_eq!(p.ci95(), (0.0, 1.0));
    }
}
