//! failsim's integration tests in one binary (one link instead of one per file, which
//! keeps the edit–test loop short); each module is one behaviour.

mod all_or_nothing;
mod bad_inputs;
mod checks;
mod cli;
mod common;
mod compare;
mod crews;
mod detection;
mod engine;
mod explain;
mod fuzz_regressions;
mod golden;
mod layering;
mod long_horizon;
mod merge_exact;
mod outages;
mod partial_results;
mod plan;
mod properties;
mod recommend;
mod reference;
mod replication_views;
mod signals;
mod stable_streams;
mod strategy_active_active;
mod strategy_capacity;
mod strategy_failovers;
mod strategy_geographic;
mod strategy_n_way;
mod study;
mod systems;
mod upkeep;
mod validation;
