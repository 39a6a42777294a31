//! Tidy CSV: `failovers.csv` (one row per attempt; `ends_failover` marks the row that
//! ends each failover, with its outcome), `outages.csv` (one row per outage episode) and
//! `replications.csv` (one row per replication × service), streamed as replications
//! are folded (never held in memory).

use super::atomic::{AtomicFile, Staged};
use super::rows::{replication_rows, Cell, Labels};
use super::{Exporter, OutputError, StudyReport};
use crate::compile::CompiledScenario;
use crate::sim::engine::ReplicationOutcome;
use std::io;
use std::path::{Path, PathBuf};

pub use super::rows::{text_cell, FAILOVER_COLUMNS, OUTAGE_COLUMNS, REPLICATION_COLUMNS};

/// Streams `failovers.csv`, `outages.csv` and `replications.csv`, all atomically.
pub struct CsvExporter {
    dir: PathBuf,
    failovers: csv::Writer<AtomicFile>,
    outages: csv::Writer<AtomicFile>,
    replications: csv::Writer<AtomicFile>,
    /// The fault and node names, taken from the first replication's scenario (every
    /// strategy variant shares its faults and nodes).
    labels: Option<Labels>,
}

fn write_row(writer: &mut csv::Writer<AtomicFile>, row: &[Cell]) -> io::Result<()> {
    writer
        .write_record(row.iter().map(|cell| cell.csv_text().into_owned()))
        .map_err(to_io)
}

fn to_io(error: csv::Error) -> io::Error {
    io::Error::other(error)
}

impl CsvExporter {
    /// Opens both files in `dir`, which exists (see
    /// `create_output_dir`).
    pub fn create(dir: &Path) -> io::Result<Self> {
        let mut failovers =
            csv::Writer::from_writer(AtomicFile::create(&dir.join("failovers.csv"))?);
        failovers.write_record(FAILOVER_COLUMNS).map_err(to_io)?;
        let mut outages = csv::Writer::from_writer(AtomicFile::create(&dir.join("outages.csv"))?);
        outages.write_record(OUTAGE_COLUMNS).map_err(to_io)?;
        let mut replications =
            csv::Writer::from_writer(AtomicFile::create(&dir.join("replications.csv"))?);
        replications
            .write_record(REPLICATION_COLUMNS)
            .map_err(to_io)?;
        Ok(CsvExporter {
            dir: dir.to_path_buf(),
            failovers,
            outages,
            replications,
            labels: None,
        })
    }

    /// Appends the failover rows of one replication of `scenario` (a variant's services
    /// may run another strategy than the file's).
    pub fn add(
        &mut self,
        outcome: &ReplicationOutcome,
        scenario: &CompiledScenario,
    ) -> io::Result<()> {
        let labels = self.labels.get_or_insert_with(|| Labels::of(scenario));
        for row in labels.failover_rows(outcome, scenario) {
            write_row(&mut self.failovers, &row)?;
        }
        for row in labels.outage_rows(outcome, scenario) {
            write_row(&mut self.outages, &row)?;
        }
        for row in replication_rows(outcome, scenario) {
            write_row(&mut self.replications, &row)?;
        }
        Ok(())
    }

    /// Stages both files, to be committed with the other outputs.
    pub fn finish(self, staged: &mut Staged) -> io::Result<()> {
        staged.stage(into_file(self.failovers)?)?;
        staged.stage(into_file(self.outages)?)?;
        staged.stage(into_file(self.replications)?)
    }
}

fn into_file(writer: csv::Writer<AtomicFile>) -> io::Result<AtomicFile> {
    writer
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))
}

impl Exporter for CsvExporter {
    fn keeps_records(&self) -> bool {
        true
    }

    fn add_replication(
        &mut self,
        outcome: &ReplicationOutcome,
        scenario: &CompiledScenario,
    ) -> Result<(), OutputError> {
        self.add(outcome, scenario).map_err(OutputError::CsvRow)
    }

    fn export(
        self: Box<Self>,
        _report: &StudyReport,
        _notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let dir = self.dir.clone();
        self.finish(staged).map_err(|e| OutputError::write(&dir, e))
    }
}
