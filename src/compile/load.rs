//! Reads a scenario file end to end: parse (with exact positions), validate, compile.

use super::{compile, CompiledScenario};
use crate::core::hash::content_hash;
use crate::scenarios::error::{Diagnostic, ScenarioError};
use crate::scenarios::load::parse;
use crate::scenarios::positions::PositionIndex;
use std::path::Path;

/// Parses, validates and compiles scenario text. `file` is used only in messages.
pub fn load_str(text: &str, file: &Path) -> Result<CompiledScenario, ScenarioError> {
    let scenario = parse(text, file)?;
    let default_name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string());
    let mut compiled = compile(&scenario, &default_name).map_err(|problems| {
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
    })?;
    if !compiled.warnings.is_empty() {
        let index = PositionIndex::new(text);
        for warning in &mut compiled.warnings {
            (warning.line, warning.column) = index.locate(&warning.path);
        }
    }
    compiled.source_hash = content_hash(text.as_bytes());
    Ok(compiled)
}

/// Reads, parses, validates and compiles a scenario file.
pub fn load_file(file: &Path) -> Result<CompiledScenario, ScenarioError> {
    let text = std::fs::read_to_string(file).map_err(|source| ScenarioError::Unreadable {
        file: file.to_path_buf(),
        source,
    })?;
    load_str(&text, file)
}
