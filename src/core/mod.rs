//! The vocabulary every layer shares: simulated time, ids, random streams, failover
//! records, outage episodes, service states, fault kinds, metric names and the small sorted map of the per-service tables. It depends on nothing else in failsim.

pub(crate) mod chacha_block;
pub mod duration;
pub mod episode;
pub mod fault_kind;
pub mod flat_map;
pub mod generation;
pub mod hash;
pub mod ids;
pub mod metric;
pub mod nearest;
pub(crate) mod prefetch;
pub mod record;
pub mod rng;
pub mod state;
pub mod time;
