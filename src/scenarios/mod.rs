//! Scenario files: the JSON model, parsing with exact error positions, validation,
//! topology generators, and compilation into engine-ready types.

pub mod compile;
pub mod distribution;
pub mod duration;
pub mod error;
pub mod generators;
pub mod load;
pub mod model;
pub mod positions;

pub use compile::CompiledScenario;
pub use error::{Diagnostic, ScenarioError};
pub use load::{load_file, load_str};
