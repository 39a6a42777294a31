//! `--json FILE|-`: the summary (DESIGN §7), the comparison, or a shard file for `merge`.

use super::atomic::Staged;
use super::{Exporter, OutputError, Results, StudyReport};
use std::path::PathBuf;

/// Writes what the command produced as JSON: pretty for people, compact for shard files.
pub(crate) struct JsonExporter {
    path: PathBuf,
}

impl JsonExporter {
    /// JSON to be written to `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        JsonExporter { path }
    }
}

impl Exporter for JsonExporter {
    fn export(
        self: Box<Self>,
        report: &StudyReport,
        _notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let text = match &report.results {
            Results::Summary { summary, .. } => serde_json::to_string_pretty(summary),
            Results::Shard(shard) => serde_json::to_string(shard),
            Results::Comparison { comparison, .. } => serde_json::to_string_pretty(comparison),
        }
        .expect("results serialize")
            + "\n";
        staged
            .write(&self.path, text.as_bytes())
            .map_err(|e| OutputError::write(&self.path, e))
    }
}
