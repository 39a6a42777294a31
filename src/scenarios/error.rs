//! Errors in scenario files: every problem with its file, JSON path and line:column.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// One problem found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// JSON path of the offending value, e.g. `services[0].replicas[2]` (`.` for the root).
    pub path: String,
    /// 1-based line of the offending value.
    pub line: usize,
    /// 1-based column of the offending value.
    pub column: usize,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but has problems; all of them are listed.
    #[error("{}", render(file, diagnostics))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Every problem found, in file order.
        diagnostics: Vec<Diagnostic>,
        /// The text the positions are in, when the file was read as text.
        text: SourceText,
    },
}

/// The text of a file whose problems are reported, kept so that the command line can
/// show the line of each problem; shared, not copied, and not printed by `Debug`.
#[derive(Clone, Default)]
pub struct SourceText(Option<Arc<str>>);

impl SourceText {
    /// Keeps `text`.
    pub fn new(text: &str) -> SourceText {
        SourceText(Some(Arc::from(text)))
    }

    /// The text, if it was kept.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(text) => write!(f, "SourceText({} bytes)", text.len()),
            None => f.write_str("SourceText(none)"),
        }
    }
}

fn render(file: &std::path::Path, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (index, d) in diagnostics.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let path = if d.path.is_empty() { "." } else { &d.path };
        out.push_str(&format!(
            "{}:{}:{}: at {}: {}",
            file.display(),
            d.line,
            d.column,
            path,
            d.message
        ));
    }
    out
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: at {}: {}",
            self.line, self.column, self.path, self.message
        )
    }
}
