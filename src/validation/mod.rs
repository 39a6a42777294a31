//! Model validation: the simulator against closed forms, case by case (V1–V4 and V6 of the
//! shared validation cases, V5: quorum availability of an N_WAY group, and V6 (3-of-5): a
//! k-of-n group under one repair crew), and the Markdown
//! report that `failsim validate-model` writes.
//!
//! [`cases`] is the one table of what is checked: for each case a scenario file (in
//! `scenarios/validation/`), the statistics to compare, their closed forms (computed by
//! [`crate::analytic`]) and tolerances. [`run`] runs every case and says, check by check,
//! whether the closed form lies inside the simulated 95% confidence interval and that
//! interval is as narrow as the tolerance asks. The integration test and the command
//! both call [`run`], so the test and the report cannot disagree.

mod cases;
mod markdown;
mod run;

pub use cases::{cases, Case, Check, Quantity, Tolerance, HOURS_PER_YEAR};
pub use run::{run, CaseRun, Report, Row};

use crate::scenarios::ScenarioError;
use std::path::PathBuf;

/// Why a validation run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// A case's scenario file is missing or invalid.
    #[error("validation case {case}: {source}")]
    Scenario {
        /// The case.
        case: &'static str,
        /// What is wrong with the file.
        source: ScenarioError,
    },
    /// A case's scenario does not have exactly one service.
    #[error("validation case {case}: {file} must describe exactly one service, it has {services}")]
    Services {
        /// The case.
        case: &'static str,
        /// The scenario file.
        file: PathBuf,
        /// How many services it has.
        services: usize,
    },
    /// The run failed or stopped early.
    #[error("validation case {case}: {message}")]
    Run {
        /// The case.
        case: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A case checks detection delays but its run detected nothing.
    #[error("validation case {case}: the run recorded no detection, so there is no detection delay to compare")]
    NoDetections {
        /// The case.
        case: &'static str,
    },
}
