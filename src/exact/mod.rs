//! Exact mode: the continuous-time Markov chain of a scenario whose every mechanism is
//! exponential or instantaneous, solved numerically (`failsim solve`, and the "exact"
//! figure of `failsim run`), and a rare-event estimator on the same chain.
//!
//! [`Chain::of`] decides whether a compiled scenario qualifies (docs/exact.md lists the
//! rules, each with the reason the simulated figure would otherwise differ) and builds
//! the chain on *lumped* states: replicas that are exchangeable — same failure and
//! repair rates, capacity, crew and services — form a class, and the state counts the
//! replicas down in each class, not which ones (n + 1 states for n exchangeable
//! replicas, not 2ⁿ). A crew serves one class, so the classes are independent
//! birth–death chains and the stationary distribution is their product, each factor
//! found by GTH elimination (`gth.rs`); the mean time to first outage is a GTH-style
//! linear solve of the chain restricted to its up states.

mod chain;
mod gth;
mod rare;

pub use chain::{Chain, Reason, Target, MAX_STATES, MAX_TRANSIENT_STATES};
pub use rare::{
    estimate, RareError, RareEstimate, RareOptions, RareTarget, DEFAULT_CYCLES, FAILURE_BIAS,
};

/// Seconds in the year of outage frequencies: 365.25 days, as in run summaries.
pub const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// Why a scenario has no exact solution.
#[derive(Debug, thiserror::Error)]
pub enum ExactError {
    /// Some mechanism is not exponential or instantaneous; every reason, each at its
    /// JSON path.
    #[error("{}", not_markovian(.0))]
    NotMarkovian(Vec<Reason>),
    /// The lumped chain has more states than [`MAX_STATES`].
    #[error(
        "the chain has {states} states, more than the {limit} that are solved exactly: \
         fewer distinct replica classes, or smaller ones, keep it small"
    )]
    TooLarge {
        /// States of the lumped chain (saturated at `u64::MAX`).
        states: u64,
        /// The limit.
        limit: u64,
    },
}

fn not_markovian(reasons: &[Reason]) -> String {
    let lines: Vec<String> = reasons
        .iter()
        .map(|r| format!("  at {}: {}", r.path, r.message))
        .collect();
    format!(
        "not a Markovian model, so there is no exact solution (docs/exact.md):\n{}",
        lines.join("\n")
    )
}

/// The exact figures of one service or of the system.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Solution {
    /// Service name, or the system's.
    pub name: String,
    /// Long-run fraction of time UP.
    pub availability: f64,
    /// Long-run fraction of time not UP, summed over the down states (not 1 − the
    /// availability, which would lose its digits below 10⁻¹⁶).
    pub unavailability: f64,
    /// Long-run transitions out of UP per year of [`SECONDS_PER_YEAR`].
    pub outages_per_year: f64,
    /// Mean time from the all-up state to the first transition out of UP, seconds; None
    /// when the chain has more up states than the dense solve takes
    /// ([`MAX_TRANSIENT_STATES`]), or never leaves UP (infinite).
    pub mean_time_to_first_outage_s: Option<f64>,
}
