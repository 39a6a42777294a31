//! `failsim schema`: the JSON Schema of the scenario format, on stdout.

use super::{print, CliError};

pub(super) fn schema() -> Result<(), CliError> {
    let schema = schemars::schema_for!(crate::scenarios::model::Scenario);
    print(&(serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"))
}
