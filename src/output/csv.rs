//! Tidy CSV: `failovers.csv` (one row per attempt; `ends_failover` marks the row that
//! ends each failover, with its outcome), `outages.csv` (one row per outage episode) and
//! `replications.csv` (one row per replication × service), streamed as replications
//! finish.

use super::atomic::{AtomicFile, Staged};
use super::{Exporter, OutputError, Results, StudyReport};
use crate::compile::CompiledScenario;
use crate::core::ids::NodeId;
use crate::report::Study;
use crate::sim::engine::ReplicationOutcome;
use crate::sim::faults::FaultRegistry;
use std::io;
use std::path::{Path, PathBuf};

/// Columns of `failovers.csv`.
pub const FAILOVER_COLUMNS: &[&str] = &[
    "replication",
    "service",
    "strategy",
    "fault_id",
    "fault_kind",
    "fault_at_s",
    "detected_at_s",
    "decided_at_s",
    "completed_at_s",
    "outcome",
    "failover_time_s",
    "detection_time_s",
    "data_loss_s",
    "from",
    "to",
    "attempt",
    "ends_failover",
];

/// Columns of `outages.csv`.
pub const OUTAGE_COLUMNS: &[&str] = &[
    "replication",
    "service",
    "strategy",
    "vantage",
    "start_s",
    "end_s",
    "duration_s",
    "down_s",
    "fault_id",
    "fault_kind",
    "ended_by",
];

/// Columns of `replications.csv`.
pub const REPLICATION_COLUMNS: &[&str] = &[
    "replication",
    "service",
    "strategy",
    "availability",
    "lenient_availability",
    "served_availability",
    "down_s",
    "degraded_s",
    "outages",
    "first_outage_s",
    "failovers",
    "failovers_succeeded",
    "failover_time_mean_s",
    "split_brain_s",
    "unnecessary_failovers",
    "safety_violations",
];

/// Streams `failovers.csv` and writes `replications.csv` at the end, both atomically.
pub struct CsvExporter {
    dir: PathBuf,
    failovers: csv::Writer<AtomicFile>,
    outages: csv::Writer<AtomicFile>,
    replications: csv::Writer<AtomicFile>,
    /// The fault registry and node names, taken from the first replication's scenario
    /// (every strategy variant shares its faults and nodes).
    names: Option<(FaultRegistry, Vec<String>)>,
}

/// A name from the scenario as a CSV cell that a spreadsheet will not run as a formula
/// (OWASP, CSV injection): a cell that begins with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`, unless it is a number (`-0.5` stays a number).
pub fn text_cell(name: &str) -> String {
    let risky = name.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && name.parse::<f64>().is_err() {
        format!("'{name}")
    } else {
        name.to_string()
    }
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
            names: None,
        })
    }

    /// Appends the failover rows of one replication of `scenario` (a variant's services
    /// may run another strategy than the file's).
    pub fn add(
        &mut self,
        outcome: &ReplicationOutcome,
        scenario: &CompiledScenario,
    ) -> io::Result<()> {
        let secs = |t: crate::core::time::SimTime| format!("{}", t.as_secs_f64());
        let (registry, names) = self.names.get_or_insert_with(|| {
            let names = scenario
                .topology
                .nodes
                .iter()
                .map(|n| n.name.clone())
                .collect();
            (FaultRegistry::new(&scenario.faults), names)
        });
        for (index, (service, spec)) in outcome.services.iter().zip(&scenario.services).enumerate()
        {
            for record in &service.records {
                let node =
                    |n: Option<NodeId>| n.map(|n| text_cell(&names[n.index()])).unwrap_or_default();
                self.failovers
                    .write_record([
                        outcome.replication.to_string(),
                        text_cell(&spec.name),
                        spec.strategy.name().as_str().to_string(),
                        text_cell(registry.id(record.fault)),
                        registry.kind(record.fault).to_string(),
                        secs(record.fault_at),
                        secs(record.detected_at),
                        secs(record.decided_at),
                        secs(record.completed_at),
                        record.outcome.as_str().to_string(),
                        format!("{}", record.failover_time() as f64 / 1e9),
                        format!("{}", record.detection_time() as f64 / 1e9),
                        format!("{}", record.data_loss as f64 / 1e9),
                        node(record.from),
                        node(record.to),
                        record.attempt.to_string(),
                        record.ends_failover.to_string(),
                    ])
                    .map_err(to_io)?;
            }
            for episode in &service.episodes {
                self.outages
                    .write_record([
                        outcome.replication.to_string(),
                        text_cell(&spec.name),
                        spec.strategy.name().as_str().to_string(),
                        text_cell(scenario.vantage_name(index as u32, episode.vantage)),
                        secs(episode.start),
                        secs(episode.end),
                        format!("{}", episode.duration() as f64 / 1e9),
                        format!("{}", episode.down as f64 / 1e9),
                        text_cell(registry.id(episode.cause)),
                        registry.kind(episode.cause).to_string(),
                        episode.ended_by.as_str().to_string(),
                    ])
                    .map_err(to_io)?;
            }
        }
        Ok(())
    }

    /// Appends the `replications.csv` rows of one study (one strategy's run).
    pub fn add_study(&mut self, study: &Study) -> io::Result<()> {
        write_replications(&mut self.replications, study)
    }

    /// Stages both files, to be committed with the other outputs.
    pub fn finish(self, staged: &mut Staged) -> io::Result<()> {
        staged.stage(into_file(self.failovers)?)?;
        staged.stage(into_file(self.outages)?)?;
        staged.stage(into_file(self.replications)?)
    }
}

fn write_replications(writer: &mut csv::Writer<AtomicFile>, study: &Study) -> io::Result<()> {
    let rows = study.services.first().map_or(0, |s| s.rows.len());
    for index in 0..rows {
        for service in &study.services {
            let row = &service.rows[index];
            writer
                .write_record([
                    row.replication.to_string(),
                    text_cell(&service.service),
                    text_cell(&service.strategy),
                    row.availability.to_string(),
                    row.lenient_availability.to_string(),
                    row.served_availability.to_string(),
                    row.down_s.to_string(),
                    row.degraded_s.to_string(),
                    row.outages.to_string(),
                    row.first_outage_s
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    row.failovers.to_string(),
                    row.failovers_succeeded.to_string(),
                    row.failover_time_mean_s
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    row.split_brain_s.to_string(),
                    row.unnecessary_failovers.to_string(),
                    row.safety_violations.to_string(),
                ])
                .map_err(to_io)?;
        }
    }
    Ok(())
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
        mut self: Box<Self>,
        report: &StudyReport,
        _notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let studies = match &report.results {
            Results::Summary {
                study: Some(study), ..
            } => std::slice::from_ref(*study),
            Results::Shard(shard) => std::slice::from_ref(&shard.study),
            Results::Comparison { studies, .. } => studies,
            Results::Summary { study: None, .. } => &[],
        };
        let dir = self.dir.clone();
        for study in studies {
            self.add_study(study)
                .map_err(|e| OutputError::write(&dir, e))?;
        }
        self.finish(staged).map_err(|e| OutputError::write(&dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::text_cell;

    #[test]
    fn names_that_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not() {
        for risky in [
            "=1+2",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(text_cell(risky), format!("'{risky}"));
        }
        for kept in ["db", "db-1", "-0.5", "+3", "-1e-9", "a=b", ""] {
            assert_eq!(text_cell(kept), kept);
        }
    }
}
