//! Scenario files: the model, read from JSON or YAML with exact error positions,
//! distributions and topology generators. Compilation is the `compile` module's job.

pub(crate) mod check;
pub mod distribution;
pub mod error;
pub(crate) mod generators;
pub mod load;
pub mod model;
pub(crate) mod positions;
pub mod settings;
pub(crate) mod shape;
pub mod source;
pub(crate) mod structure;
pub(crate) mod yaml;

pub use error::{Diagnostic, ScenarioError};
pub use source::Format;
