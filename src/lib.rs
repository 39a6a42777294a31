#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]

pub mod analytic;
pub mod checks;
pub mod cli;
pub mod compare;
pub mod compile;
pub mod core;
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
