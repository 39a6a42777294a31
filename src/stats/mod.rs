//! Estimators over replication results: confidence intervals, proportions, nines and duration percentiles.
//!
//! Nothing here knows about the simulator: every function takes plain numbers, so the
//! estimators can be checked against textbook values in isolation. All results are
//! deterministic functions of their input *in the order given* (sums run in slice order),
//! so the caller gets identical bits whenever it collects replications in index order.

mod histogram;
mod interval;
mod moments;
mod nines;
mod outages;
mod proportion;
mod student_t;
mod tally;

pub use histogram::{nearest_rank, DurationHistogram};
pub use interval::{mean_ci, MeanCi, RunningMean};
pub use moments::{Differences, Moments};
pub use nines::nines;
pub use outages::{FaultCost, KindTally, OutageTally};
pub use proportion::{wilson_ci95, Proportion};
pub use student_t::t_quantile_975;
pub use tally::FailoverTally;

/// The 0.975 quantile of the standard normal distribution, the `z` of every two-sided 95%
/// interval here (and the limit of [`t_quantile_975`] as the degrees of freedom grow).
pub const Z_975: f64 = 1.959_963_984_540_054;
