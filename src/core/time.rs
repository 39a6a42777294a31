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
pub fn secs_to_nanos(secs: f64) -> Nanos {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else {
        let ns = (secs * NANOS_PER_SEC as f64).round();
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            ns as u64
        }
    }
}
