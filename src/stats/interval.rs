//! Sample means with two-sided 95% Student-t confidence intervals.

use serde::{Deserialize, Serialize};

use super::t_quantile_975;

/// A sample mean with its two-sided 95% confidence interval.
///
/// All three fields are NaN when there were no samples (see [`mean_ci`]); exporters that
/// write JSON must map NaN to `null` themselves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanCi {
    /// The sample mean.
    pub mean: f64,
    /// Lower end of the 95% interval.
    pub ci95_low: f64,
    /// Upper end of the 95% interval.
    pub ci95_high: f64,
}

/// Sample mean of `samples` with a two-sided 95% Student-t interval:
/// x̄ ± t₀.₉₇₅(n−1) · s / √n, where s is the sample standard deviation (n−1 divisor).
///
/// - n = 0: every field is NaN (there is no mean to report).
/// - n = 1: the interval collapses to the single value (its width is unknowable, and an
///   infinite bound would not survive JSON).
///
/// The sums run in slice order, in two passes (mean, then squared deviations from it,
/// which avoids the cancellation of the one-pass formula), so the same samples in the
/// same order always give the same bits.
pub fn mean_ci(samples: &[f64]) -> MeanCi {
    let n = samples.len();
    if n == 0 {
        return MeanCi {
            mean: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
        };
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return MeanCi {
            mean,
            ci95_low: mean,
            ci95_high: mean,
        };
    }
    let squared_deviations: f64 = samples.iter().map(|x| (x - mean) * (x - mean)).sum();
    let std_dev = (squared_deviations / (n - 1) as f64).sqrt();
    let half_width = t_quantile_975((n - 1) as u64) * std_dev / (n as f64).sqrt();
    MeanCi {
        mean,
        ci95_low: mean - half_width,
        ci95_high: mean + half_width,
    }
}

/// The mean and spread of samples folded one at a time (Welford's update), for values
/// that are no integer over a common unit (a replication's mean failover time). The bits
/// depend on the order of the samples, so callers fold them in replication order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunningMean {
    n: u64,
    mean: f64,
    /// Σ(x − mean)², updated as each sample comes.
    squared_deviations: f64,
}

impl RunningMean {
    /// Folds in one sample.
    pub fn record(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.squared_deviations += delta * (x - self.mean);
    }

    /// Samples folded.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean with its 95% Student-t interval, as [`mean_ci`] defines it (NaN without
    /// samples, a collapsed interval with one).
    pub fn mean_ci(&self) -> MeanCi {
        let n = self.n;
        if n == 0 {
            return mean_ci(&[]);
        }
        let std_dev = if n == 1 {
            0.0
        } else {
            (self.squared_deviations.max(0.0) / (n - 1) as f64).sqrt()
        };
        let half_width = if n == 1 {
            0.0
        } else {
            t_quantile_975(n - 1) * std_dev / (n as f64).sqrt()
        };
        MeanCi {
            mean: self.mean,
            ci95_low: self.mean - half_width,
            ci95_high: self.mean + half_width,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn no_samples_give_nan_everywhere() {
        let ci = mean_ci(&[]);
        assert!(ci.mean.is_nan() && ci.ci95_low.is_nan() && ci.ci95_high.is_nan());
    }

    #[test]
    fn one_sample_gives_a_degenerate_interval_at_that_sample() {
        let ci = mean_ci(&[0.25]);
        assert_eq!(
            ci,
            MeanCi {
                mean: 0.25,
                ci95_low: 0.25,
                ci95_high: 0.25
            }
        );
    }

    #[test]
    fn identical_samples_give_zero_width() {
        let ci = mean_ci(&[3.5; 10]);
        assert_eq!((ci.mean, ci.ci95_low, ci.ci95_high), (3.5, 3.5, 3.5));
    }

    #[test]
    fn matches_a_hand_computed_interval() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x−x̄)² = 32, s² = 32/7, df 7, t = 2.364624.
        let ci = mean_ci(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        let half = 2.364_624_251_593 * (32.0_f64 / 7.0).sqrt() / 8.0_f64.sqrt();
        assert_eq!(ci.mean, 5.0);
        assert_close(ci.ci95_low, 5.0 - half, 1e-12);
        assert_close(ci.ci95_high, 5.0 + half, 1e-12);
        assert_close(half, 1.787_488, 1e-6);
    }

    #[test]
    fn two_samples_use_one_degree_of_freedom() {
        // mean 1, s = √2, half-width = 12.7062 · √2 / √2.
        let ci = mean_ci(&[0.0, 2.0]);
        assert_close(ci.ci95_high - ci.mean, 12.706_204_736_17, 1e-9);
    }

    #[test]
    fn is_accurate_for_tiny_spread_around_a_large_mean() {
        // The one-pass formula Σx² − n·x̄² loses every digit here; two passes do not.
        let samples = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0];
        let ci = mean_ci(&samples);
        assert_eq!(ci.mean, 1e9 + 2.0);
        assert_close(
            ci.ci95_high - ci.mean,
            4.302_652_729_749 / 3.0_f64.sqrt(),
            1e-6,
        );
    }

    #[test]
    fn the_running_mean_agrees_with_the_two_pass_interval() {
        let samples = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut running = RunningMean::default();
        assert!(running.mean_ci().mean.is_nan());
        running.record(0.25);
        assert_eq!(running.mean_ci(), mean_ci(&[0.25]));
        let mut running = RunningMean::default();
        for x in samples {
            running.record(x);
        }
        let (streamed, two_pass) = (running.mean_ci(), mean_ci(&samples));
        assert_eq!(running.count(), 8);
        assert_eq!(streamed.mean, 5.0);
        assert_close(streamed.ci95_high, two_pass.ci95_high, 1e-12);
        assert_close(streamed.ci95_low, two_pass.ci95_low, 1e-12);
    }

    #[test]
    fn round_trips_through_json() {
        let ci = mean_ci(&[0.1, 0.2, 0.4]);
        let json = serde_json::to_string(&ci).unwrap();
        assert_eq!(serde_json::from_str::<MeanCi>(&json).unwrap(), ci);
    }
}
