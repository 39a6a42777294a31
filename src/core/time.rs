//! Simulated time: integer nanoseconds, converted to seconds only at the output boundary.

use serde::{Deserialize, Serialize};

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A span of simulated time in nanoseconds.
pub type Nanos = u64;

/// An instant of simulated time, in nanoseconds since the start of a replication.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every replication.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable instant; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// This instant plus `span`, saturating at [`SimTime::NEVER`].
    pub fn after(self, span: Nanos) -> SimTime {
        SimTime(self.0.saturating_add(span))
    }

    /// Nanoseconds from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> Nanos {
        self.0.saturating_sub(earlier.0)
    }

    /// Seconds since the start, for output.
    pub fn as_secs_f64(self) -> f64 {
        nanos_to_secs(self.0)
    }
}

/// Converts nanoseconds to seconds for output.
pub fn nanos_to_secs(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_SEC as f64
}

/// Converts seconds to nanoseconds, rounding to the nearest nanosecond and saturating.
///
/// Every sampled duration passes here. `f64::round` is a library call on the baseline
/// x86-64 target (no SSE4.1), so the rounding is done by hand, with the same result: below
/// 2⁵², the fraction `ns − ⌊ns⌋` is exact and rounds half away from zero; from 2⁵² on,
/// every `f64` is already whole.
pub fn secs_to_nanos(secs: f64) -> Nanos {
    if secs.is_nan() || secs <= 0.0 {
        return 0;
    }
    let ns = secs * NANOS_PER_SEC as f64;
    if ns >= u64::MAX as f64 {
        u64::MAX
    } else if ns >= WHOLE_FROM {
        ns as u64
    } else {
        // Below 2⁵², through i64: one conversion instruction each way (u64's take a
        // dozen on x86-64), the same values.
        let whole = ns as i64;
        (whole + i64::from(ns - whole as f64 >= 0.5)) as u64
    }
}

/// 2⁵²: from here on every `f64` is a whole number.
const WHOLE_FROM: f64 = (1u64 << 52) as f64;

#[cfg(test)]
mod tests {
    use super::*;

    /// What the conversion did with `f64::round`.
    fn rounded(secs: f64) -> Nanos {
        if secs.is_nan() || secs <= 0.0 {
            return 0;
        }
        let ns = (secs * NANOS_PER_SEC as f64).round();
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            ns as u64
        }
    }

    #[test]
    fn seconds_round_to_the_nearest_nanosecond_as_f64_round_does() {
        let ns = |v: f64| v / NANOS_PER_SEC as f64;
        let mut cases = vec![
            f64::NAN,
            f64::INFINITY,
            -1.0,
            0.0,
            f64::MIN_POSITIVE,
            1e-300,
            ns(0.49999999999999994),
            ns(0.5),
            ns(1.5),
            ns(2.5),
            ns(WHOLE_FROM - 0.5),
            ns(WHOLE_FROM),
            ns(WHOLE_FROM * 2.0 + 2.0),
            ns(u64::MAX as f64),
            ns(u64::MAX as f64 - 4096.0),
            1.0,
            3.0e-9,
            86_400.0,
        ];
        // Values of every magnitude, and halves just around them.
        let mut x = 1e-10_f64;
        while x < 1e11 {
            for nudge in [-2.0, -1.0, 0.0, 1.0, 2.0] {
                cases.push(x + nudge * f64::EPSILON * x);
                cases.push(ns((x * 1e9).floor() + 0.5) + nudge * f64::EPSILON * x);
            }
            x *= 1.37;
        }
        for secs in cases {
            assert_eq!(secs_to_nanos(secs), rounded(secs), "{secs:e} s");
        }
    }
}
