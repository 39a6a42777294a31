//! Exact streaming moments of a per-replication quantity: the count and wide integer sums
//! of the values and of their squares, so a mean and its interval need no stored samples.
//!
//! A sample is a non-negative integer numerator over a fixed `unit` (UP nanoseconds over
//! vantage points × horizon, episodes over vantage points). The sums are exact, so folding
//! is associative and commutative: any split into threads, batches or shards gives the
//! same state, and the same bits after [`Moments::mean_ci`]. Means and variances are
//! computed from the exact sums and rounded once, to the nearest `f64`: no cancellation
//! (the variance's numerator n·Σx² − (Σx)² is an exact integer), no summation order.

use num_bigint::BigUint;
use num_traits::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::{t_quantile_975, MeanCi};

/// The count, Σx and Σx² of integer samples x < 2¹²⁸, exactly: Σx in 256 bits and Σx² in
/// 384 bits hold 2⁶⁴ samples of the largest value. Little-endian 64-bit limbs (JSON
/// integers, read back exactly).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moments {
    /// Samples recorded.
    n: u64,
    /// Σx.
    sum: [u64; 4],
    /// Σx².
    sum_sq: [u64; 6],
}

/// Adds `value` into `limbs` at limb `at`, carrying upwards.
fn add_at(limbs: &mut [u64], at: usize, value: u128) {
    let mut carry = value;
    let mut i = at;
    while carry != 0 {
        let sum = u128::from(limbs[i]) + (carry & u128::from(u64::MAX));
        limbs[i] = sum as u64;
        carry = (carry >> 64) + (sum >> 64);
        i += 1;
    }
}

/// Adds `from` into `into`, limb by limb.
fn add_limbs(into: &mut [u64], from: &[u64]) {
    for (at, &limb) in from.iter().enumerate() {
        add_at(into, at, u128::from(limb));
    }
}

/// The number held in little-endian 64-bit `limbs`.
fn big(limbs: &[u64]) -> BigUint {
    BigUint::from_slice(
        &limbs
            .iter()
            .flat_map(|&limb| [limb as u32, (limb >> 32) as u32])
            .collect::<Vec<_>>(),
    )
}

/// `num / den` rounded to the nearest `f64` (`den` > 0): the quotient is taken to 70
/// significant bits and a sticky bit, then rounded once by the conversion.
fn ratio(num: &BigUint, den: &BigUint) -> f64 {
    if num.bits() == 0 {
        return 0.0;
    }
    let shift = 70 + den.bits() as i64 - num.bits() as i64;
    let (scaled_num, scaled_den) = if shift >= 0 {
        (num << shift as u64, den.clone())
    } else {
        (num.clone(), den << (-shift) as u64)
    };
    let quotient = &scaled_num / &scaled_den;
    let exact = &quotient * &scaled_den == scaled_num;
    // A sticky bit below the quotient's last: a remainder rounds as more than the
    // quotient, never as a tie.
    let sticky = (quotient << 1u32) + BigUint::from(u8::from(!exact));
    // num-bigint rounds to nearest, ties to even; it never fails for `BigUint`.
    let value = sticky.to_f64().unwrap_or(f64::INFINITY);
    value * 2f64.powi(-(shift as i32) - 1)
}

impl Moments {
    /// Records one sample.
    pub fn record(&mut self, x: u128) {
        self.n += 1;
        add_at(&mut self.sum, 0, x);
        // x² = hi²·2¹²⁸ + 2·hi·lo·2⁶⁴ + lo², each partial product within 128 bits.
        let (hi, lo) = (x >> 64, x & u128::from(u64::MAX));
        add_at(&mut self.sum_sq, 0, lo * lo);
        add_at(&mut self.sum_sq, 1, hi * lo);
        add_at(&mut self.sum_sq, 1, hi * lo);
        add_at(&mut self.sum_sq, 2, hi * hi);
    }

    /// Adds another study's samples (exact: the order of merges never matters).
    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        add_limbs(&mut self.sum, &other.sum);
        add_limbs(&mut self.sum_sq, &other.sum_sq);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Σx, exactly.
    pub fn sum(&self) -> BigUint {
        big(&self.sum)
    }

    /// The mean of x / `unit`; NaN without samples.
    pub fn mean(&self, unit: u128) -> f64 {
        self.mean_ci(unit).mean
    }

    /// Mean of the samples x / `unit` with a two-sided 95% Student-t interval, as
    /// [`mean_ci`](super::mean_ci) defines it (NaN without samples, a collapsed interval
    /// with one), from the exact sums.
    pub fn mean_ci(&self, unit: u128) -> MeanCi {
        self.interval(unit, false)
    }

    /// The same for 1 − x / `unit` (unavailability from availability): exact too, as
    /// n·unit − Σx.
    pub fn complement_mean_ci(&self, unit: u128) -> MeanCi {
        self.interval(unit, true)
    }

    fn interval(&self, unit: u128, complement: bool) -> MeanCi {
        let unit = BigUint::from(unit);
        let sum = big(&self.sum);
        let numerator = if complement {
            // Σ(unit − x) = n·unit − Σx ≥ 0 while every x ≤ unit; clamped otherwise.
            let total = &unit * self.n;
            if total >= sum {
                &total - &sum
            } else {
                BigUint::default()
            }
        } else {
            sum.clone()
        };
        interval(self.n, &numerator, &sum, &big(&self.sum_sq), &unit)
    }
}

/// The mean `numerator / (n·unit)` with its 95% Student-t interval, whose spread is that
/// of samples with `n`, `sum` = |Σx| and `sum_sq` = Σx² (over `unit`): NaN without
/// samples, a collapsed interval with one.
fn interval(
    n: u64,
    numerator: &BigUint,
    sum: &BigUint,
    sum_sq: &BigUint,
    unit: &BigUint,
) -> MeanCi {
    if n == 0 {
        return MeanCi {
            mean: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
        };
    }
    let mean = ratio(numerator, &(unit * n));
    if n == 1 {
        return MeanCi {
            mean,
            ci95_low: mean,
            ci95_high: mean,
        };
    }
    // s² = (n·Σx² − (Σx)²) / (n(n−1)·unit²); the numerator is the same for 1 − x and −x.
    let spread = sum_sq * n;
    let squared_sum = sum * sum;
    let spread = if spread >= squared_sum {
        spread - squared_sum
    } else {
        BigUint::default()
    };
    let variance = ratio(&spread, &(unit * unit * n * (n - 1)));
    let half_width = t_quantile_975(n - 1) * variance.sqrt() / (n as f64).sqrt();
    MeanCi {
        mean,
        ci95_low: mean - half_width,
        ci95_high: mean + half_width,
    }
}

/// Exact streaming moments of the signed differences x − y of paired integer samples
/// (`compare`'s strategy − baseline on one replication): the gains and the losses, each
/// as [`Moments`], so that Σd = Σgains − Σlosses and Σd² = Σgains² + Σlosses² exactly.
/// Like [`Moments`], folding in any grouping gives the same state and the same bits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Differences {
    /// The differences x − y ≥ 0.
    gains: Moments,
    /// y − x for the differences x − y < 0.
    losses: Moments,
}

impl Differences {
    /// Records the difference `x − y` of one pair.
    pub fn record(&mut self, x: u128, y: u128) {
        if x >= y {
            self.gains.record(x - y);
        } else {
            self.losses.record(y - x);
        }
    }

    /// Pairs recorded.
    pub fn count(&self) -> u64 {
        self.gains.n + self.losses.n
    }

    /// Mean of the differences d / `unit` with its two-sided 95% Student-t interval, as
    /// [`mean_ci`](super::mean_ci) defines it for the differences, from the exact sums:
    /// the mean rounded once, the interval of −d the mirror image of that of d.
    ///
    /// This is the comparison to use when both sides share random numbers (replication
    /// `i` of each used the same seed): pairing cancels the common noise, so the interval
    /// is much narrower than the difference of two independent intervals.
    pub fn mean_ci(&self, unit: u128) -> MeanCi {
        let (gains, losses) = (big(&self.gains.sum), big(&self.losses.sum));
        let (sum, negative) = if gains >= losses {
            (gains - losses, false)
        } else {
            (losses - gains, true)
        };
        let sum_sq = big(&self.gains.sum_sq) + big(&self.losses.sum_sq);
        let ci = interval(self.count(), &sum, &sum, &sum_sq, &BigUint::from(unit));
        if negative {
            MeanCi {
                mean: -ci.mean,
                ci95_low: -ci.ci95_high,
                ci95_high: -ci.ci95_low,
            }
        } else {
            ci
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::mean_ci;
    use super::*;

    fn of(samples: &[u128]) -> Moments {
        let mut moments = Moments::default();
        for &x in samples {
            moments.record(x);
        }
        moments
    }

    #[test]
    fn no_samples_give_nan_and_one_sample_a_collapsed_interval() {
        let ci = Moments::default().mean_ci(1);
        assert!(ci.mean.is_nan() && ci.ci95_low.is_nan() && ci.ci95_high.is_nan());
        let ci = of(&[3]).mean_ci(4);
        assert_eq!((ci.mean, ci.ci95_low, ci.ci95_high), (0.75, 0.75, 0.75));
    }

    #[test]
    fn matches_the_two_pass_interval_of_the_same_samples() {
        // 2, 4, 4, 4, 5, 5, 7, 9 over 8: exact in binary, so both agree to the bit on
        // the mean and within an ulp or two on the half-width.
        let samples = [2, 4, 4, 4, 5, 5, 7, 9];
        let streamed = of(&samples).mean_ci(8);
        let two_pass = mean_ci(&samples.map(|x| x as f64 / 8.0));
        assert_eq!(streamed.mean, two_pass.mean);
        let half = |ci: MeanCi| ci.ci95_high - ci.mean;
        assert!((half(streamed) - half(two_pass)).abs() <= 1e-15);
        assert_eq!(of(&[7; 5]).mean_ci(10).ci95_high, 0.7);
    }

    #[test]
    fn tiny_spread_around_a_large_value_keeps_its_digits() {
        // Availabilities near 1 differ in the last nanoseconds of a year: the exact
        // numerator n·Σx² − (Σx)² keeps the spread the one-pass f64 formula loses (read
        // on the unavailability, whose f64 has the digits).
        let year: u128 = 31_557_600_000_000_000;
        let ci = of(&[year - 1, year - 2, year - 3]).complement_mean_ci(year);
        assert_eq!(ci.mean, 2.0 / year as f64);
        let half = ci.ci95_high - ci.mean;
        let expected = 4.302_652_729_749 / 3f64.sqrt() / year as f64;
        assert!(
            (half / expected - 1.0).abs() < 1e-12,
            "{half} vs {expected}"
        );
    }

    #[test]
    fn merging_in_any_grouping_gives_the_same_state() {
        let samples: Vec<u128> = (0..100u128)
            .map(|i| (i * 7919) % 1013 + (i << 100))
            .collect();
        let whole = of(&samples);
        let mut parts = of(&samples[60..]);
        parts.merge(&of(&samples[..20]));
        parts.merge(&of(&samples[20..60]));
        assert_eq!(parts, whole);
        assert_eq!(parts.mean_ci(1 << 110), whole.mean_ci(1 << 110));
    }

    #[test]
    fn the_largest_samples_square_without_overflow() {
        let moments = of(&[u128::MAX, u128::MAX]);
        assert_eq!(moments.sum(), BigUint::from(u128::MAX) * 2u32);
        let ci = moments.mean_ci(u128::MAX);
        assert_eq!((ci.mean, ci.ci95_low, ci.ci95_high), (1.0, 1.0, 1.0));
    }

    #[test]
    fn the_complement_is_one_minus_the_mean_with_the_same_width() {
        let moments = of(&[1, 3, 4]);
        let (ci, complement) = (moments.mean_ci(10), moments.complement_mean_ci(10));
        assert_eq!(complement.mean, 22.0 / 30.0);
        let width = |ci: MeanCi| ci.ci95_high - ci.ci95_low;
        assert!((width(ci) - width(complement)).abs() < 1e-15);
    }

    #[test]
    fn differences_give_the_interval_of_the_signed_differences() {
        // 5−2, 1−4, 7−7, 2−0 = 3, −3, 0, 2 over 4: mean 2/16, as the two-pass interval.
        let mut differences = Differences::default();
        for (x, y) in [(5, 2), (1, 4), (7, 7), (2, 0)] {
            differences.record(x, y);
        }
        assert_eq!(differences.count(), 4);
        let exact = differences.mean_ci(4);
        let two_pass = mean_ci(&[0.75, -0.75, 0.0, 0.5]);
        assert_eq!(exact.mean, 0.125);
        assert!((exact.ci95_high - two_pass.ci95_high).abs() <= 1e-15);
        assert!((exact.ci95_low - two_pass.ci95_low).abs() <= 1e-15);
        // The other way round: the mirror image, to the bit.
        let mut reversed = Differences::default();
        for (x, y) in [(2, 5), (4, 1), (7, 7), (0, 2)] {
            reversed.record(x, y);
        }
        let back = reversed.mean_ci(4);
        assert_eq!(
            (back.mean, back.ci95_low, back.ci95_high),
            (-exact.mean, -exact.ci95_high, -exact.ci95_low)
        );
        assert!(Differences::default().mean_ci(1).mean.is_nan());
    }

    #[test]
    fn pairing_cancels_shared_noise() {
        // Both sides carry the same large per-replication noise plus a constant offset.
        let mut differences = Differences::default();
        for noise in [50, 0, 80, 10, 40] {
            differences.record(100 + noise, 90 + noise);
        }
        let ci = differences.mean_ci(10);
        assert_eq!((ci.mean, ci.ci95_low, ci.ci95_high), (1.0, 1.0, 1.0));
    }

    #[test]
    fn ratios_round_to_nearest() {
        let third = ratio(&BigUint::from(1u8), &BigUint::from(3u8));
        assert_eq!(third, 1.0 / 3.0);
        let big_num = BigUint::from(u128::MAX);
        assert_eq!(ratio(&big_num, &BigUint::from(1u8)), u128::MAX as f64);
    }
}
