#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]

pub mod analytic;
pub mod checks;
pub mod cli;
pub mod compare;
pub mod compile;
pub mod core;
pub mod embed;
pub mod exact;
mod net;
pub mod output;
pub mod plan;
pub mod recommend;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod sim;
pub mod stats;
mod strategies;
pub mod validation;

pub use crate::compile::{load_file, load_str, CompiledScenario};
pub use crate::core::metric::{Check, Metric};
pub use crate::report::{Study, Summary};
pub use crate::run::{run_study, RunError, RunOptions, StudyRun};
pub use crate::scenarios::ScenarioError;
