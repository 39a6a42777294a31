//! `--json FILE|-`: the summary (DESIGN §7), the comparison, or a shard file for `merge`.

use super::atomic::Staged;
use super::{Exporter, OutputError, Results, StudyReport};
use std::io::Write;
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
        let write = |out: &mut dyn Write| {
            match &report.results {
                Results::Summary { summary, .. } => {
                    serde_json::to_writer_pretty(&mut *out, summary)
                }
                Results::Shard(shard) => serde_json::to_writer(&mut *out, shard),
                Results::Comparison { comparison, .. } => {
                    serde_json::to_writer_pretty(&mut *out, comparison)
                }
            }?;
            out.write_all(b"\n")
        };
        staged
            .write_with(&self.path, write)
            .map_err(|e| OutputError::write(&self.path, e))
    }
}
