//! Reads a scenario file: parse with exact error positions, then validate and compile.

use super::error::{Diagnostic, ScenarioError};
use super::model::Scenario;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses scenario text; syntax and type errors name the JSON path and line:column.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    parse_document(text, file, "a scenario file").map_err(|mut failure| {
        if is_risk_file(text) {
            if let ScenarioError::Invalid { diagnostics, .. } = &mut failure {
                diagnostics[0].message.push_str(
                    "; this is a risk file (it has `risk_assessments`): run `failsim plan` on it",
                );
            }
        }
        failure
    })
}

/// Parses a JSON document of type `T` (a scenario or a risk file, `kind` in messages);
/// a syntax or type error names its JSON path and line:column.
pub fn parse_document<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    kind: &str,
) -> Result<T, ScenarioError> {
    let invalid = |path: String, inner: serde_json::Error| {
        let (line, column) = (inner.line().max(1), inner.column().max(1));
        ScenarioError::Invalid {
            file: file.to_path_buf(),
            diagnostics: vec![Diagnostic {
                path: known_prefix(&path),
                line,
                column,
                message: explain(text, line, column, strip_position(&inner.to_string())),
            }],
        }
    };
    // serde would read a JSON array as a struct given field by field, and report a
    // puzzling "invalid length"; say what the file must be instead.
    if let Some((offset, first)) = text.char_indices().find(|(_, c)| !c.is_whitespace()) {
        if first != '{' {
            let line = text[..offset].matches('\n').count() + 1;
            let column = text[..offset]
                .rsplit('\n')
                .next()
                .unwrap_or("")
                .chars()
                .count()
                + 1;
            return Err(ScenarioError::Invalid {
                file: file.to_path_buf(),
                diagnostics: vec![Diagnostic {
                    path: String::new(),
                    line,
                    column,
                    message: explain(
                        text,
                        line,
                        column,
                        format!("{kind} holds one JSON object, `{{ ... }}`"),
                    ),
                }],
            });
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let document: T = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| invalid(error.path().to_string(), error.into_inner()))?;
    deserializer
        .end()
        .map_err(|error| invalid(String::new(), error))?;
    Ok(document)
}

/// serde_path_to_error writes `?` for a step it could not name (a key cut off by a
/// syntax error) and `.` for the root; keep the part of the path that is known.
fn known_prefix(path: &str) -> String {
    let mut known = path;
    while let Some(rest) = known.strip_suffix('?').or_else(|| known.strip_suffix('.')) {
        known = rest;
    }
    known.to_string()
}

/// Adds the likely cause to a syntax error where serde_json's words hide it.
fn explain(text: &str, line: usize, column: usize, message: String) -> String {
    let rest: String = text
        .lines()
        .nth(line - 1)
        .map(|l| l.chars().skip(column - 1).collect())
        .unwrap_or_default();
    if rest.starts_with("//") || rest.starts_with("/*") {
        format!("{message}: JSON has no comments; remove it or move the text into \"description\"")
    } else if text.trim().is_empty() {
        format!("{message}: the file is empty")
    } else if message.starts_with("EOF while parsing") {
        format!("{message}: the file ends before the JSON does; is it cut short?")
    } else {
        message
    }
}

/// serde_json appends " at line L column C"; we print the position in front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// The top-level key that marks a risk file (the input of `failsim plan`).
pub const RISK_FILE_KEY: &str = "risk_assessments";

/// Whether a JSON document is a risk file: an object with a top-level `risk_assessments`
/// key. Malformed JSON is not a risk file (the scenario loader reports it instead).
pub fn is_risk_file(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .is_ok_and(|value| value.get(RISK_FILE_KEY).is_some())
}
