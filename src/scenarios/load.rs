//! Reads a scenario file: parse with exact error positions, then validate and compile.

use super::compile::{compile, CompiledScenario};
use super::error::{Diagnostic, ScenarioError};
use super::model::Scenario;
use super::positions::PositionIndex;
use std::path::Path;

/// Parses scenario text; syntax and type errors name the JSON path and line:column.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let invalid = |path: String, inner: serde_json::Error| ScenarioError::Invalid {
        file: file.to_path_buf(),
        diagnostics: vec![Diagnostic {
            path: if path == "." { String::new() } else { path },
            line: inner.line().max(1),
            column: inner.column().max(1),
            message: strip_position(&inner.to_string()),
        }],
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let scenario: Scenario = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| invalid(error.path().to_string(), error.into_inner()))?;
    deserializer
        .end()
        .map_err(|error| invalid(String::new(), error))?;
    Ok(scenario)
}

/// serde_json appends " at line L column C"; we print the position in front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// Parses, validates and compiles scenario text. `file` is used only in messages.
pub fn load_str(text: &str, file: &Path) -> Result<CompiledScenario, ScenarioError> {
    let scenario = parse(text, file)?;
    let default_name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string());
    compile(&scenario, &default_name).map_err(|problems| {
        let index = PositionIndex::new(text);
        let diagnostics = problems
            .into_iter()
            .map(|problem| {
                let (line, column) = index.locate(&problem.path);
                Diagnostic {
                    path: problem.path,
                    line,
                    column,
                    message: problem.message,
                }
            })
            .collect();
        ScenarioError::Invalid {
            file: file.to_path_buf(),
            diagnostics,
        }
    })
}

/// Reads, parses, validates and compiles a scenario file.
pub fn load_file(file: &Path) -> Result<CompiledScenario, ScenarioError> {
    let text = std::fs::read_to_string(file).map_err(|source| ScenarioError::Unreadable {
        file: file.to_path_buf(),
        source,
    })?;
    load_str(&text, file)
}
