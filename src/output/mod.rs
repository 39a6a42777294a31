//! Exporters, one file per format behind [`Exporter`], the `plan` that checks every
//! destination before a study runs, and atomic file writing.

pub(crate) mod atomic;
pub mod csv;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod plan;
pub(crate) mod plot;
pub mod rows;
pub(crate) mod sweep;
pub(crate) mod table;
pub mod timeline;
pub(crate) mod trace;

use crate::checks::Check;
use crate::compare::Comparison;
use crate::compile::CompiledScenario;
use crate::report::{ShardFile, Study, Summary};
use crate::run::Stopped;
use crate::sim::engine::ReplicationOutcome;
use crate::sim::trace::TraceSink;
use atomic::Staged;
use std::io;
use std::path::{Path, PathBuf};
use timeline::Timeline;

/// What a command produced, as the exporters see it.
pub enum Results<'a> {
    /// `run` or `merge`: one study's summary (and the study, for the rows of CSV).
    Summary {
        /// The study; `None` after `merge`, which writes only the summary.
        study: Option<&'a Study>,
        /// Its summary.
        summary: &'a Summary,
    },
    /// `run --shard`: one shard's study, written whole for `merge`.
    Shard(&'a ShardFile),
    /// `compare`: one study per strategy and their comparison.
    Comparison {
        /// One study per strategy, in the order asked for.
        studies: &'a [Study],
        /// Their summaries and paired differences.
        comparison: &'a Comparison,
    },
}

/// The re-runs of the shown replication (`--trace-replication`), each run once for every
/// view of it.
#[derive(Debug, Default)]
pub struct Replays {
    /// The replication shown.
    pub replication: u64,
    /// The name of the scenario.
    pub scenario: String,
    /// The scenario as given: its timeline, when a view asked for it.
    pub timeline: Option<Timeline>,
    /// How the run of the scenario as given ended, when it streamed events (`--trace`).
    pub events: Option<ReplayEnd>,
    /// `compare`: the timeline under each strategy, with its file suffix (`-n_way`).
    pub strategy_timelines: Vec<(String, Timeline)>,
    /// Ctrl-C came before or during the re-runs: the timelines were dropped, and the
    /// trace holds only the events before it (if it was started at all).
    pub interrupted: bool,
}

impl Replays {
    /// The timelines the figures show, with their file suffixes: one per strategy for
    /// `compare`, else the scenario as given.
    pub fn figures(&self) -> Vec<(&str, &Timeline)> {
        if self.strategy_timelines.is_empty() {
            self.timeline.iter().map(|t| ("", t)).collect()
        } else {
            self.strategy_timelines
                .iter()
                .map(|(suffix, t)| (suffix.as_str(), t))
                .collect()
        }
    }
}

/// How a streamed re-run ended.
#[derive(Clone, Copy, Debug)]
pub struct ReplayEnd {
    /// Events processed.
    pub events: u64,
    /// Why it stopped before the horizon; `None` when it reached it.
    pub stopped: Option<Stopped>,
}

/// Everything the exporters write from.
pub struct StudyReport<'a> {
    /// The study (or studies) and summaries.
    pub results: Results<'a>,
    /// The re-runs of the shown replication.
    pub replays: &'a Replays,
    /// Whether results cut short (by a budget or Ctrl-C) are to be written anyway.
    pub partial: bool,
    /// The checks evaluated after the outputs (`--check` and the scenario's `slo`), for
    /// the formats that show their verdicts.
    pub checks: &'a [Check],
}

/// What an exporter shows of the shown replication, so that the replication is re-run
/// once for all of them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shows {
    /// Its events as they happen, through [`Exporter::replay_sink`].
    pub events: bool,
    /// Its timeline under the scenario as given.
    pub timeline: bool,
    /// Its timeline under each strategy compared (under the scenario as given for `run`).
    pub strategy_timelines: bool,
}

/// One output format. The plan calls [`Exporter::add_replication`] as the study runs,
/// [`Exporter::replay_sink`] for the re-run of the shown replication, then
/// [`Exporter::export`], which consumes it. Exporters are `Send` because the study
/// streams replications to them from its worker pool.
pub trait Exporter: Send {
    /// What this format shows of the shown replication (nothing by default).
    fn shows(&self) -> Shows {
        Shows::default()
    }

    /// Whether this format needs every failover record of each replication, not only
    /// their tally.
    fn keeps_records(&self) -> bool {
        false
    }

    /// Receives each replication as it completes, in index order, for formats that
    /// stream rows rather than hold them (failovers.csv).
    fn add_replication(
        &mut self,
        _outcome: &ReplicationOutcome,
        _scenario: &CompiledScenario,
    ) -> Result<(), OutputError> {
        Ok(())
    }

    /// The sink that receives the events of the shown replication of `scenario` as it is
    /// re-run, for formats that show [`Shows::events`].
    fn replay_sink(
        &mut self,
        _scenario: &CompiledScenario,
    ) -> Result<Option<&mut dyn TraceSink>, OutputError> {
        Ok(None)
    }

    /// Writes the output into `staged`, which puts every output in place together once
    /// all are written; `notes` collects what the user should know about it (stderr).
    fn export(
        self: Box<Self>,
        report: &StudyReport,
        notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError>;
}

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A destination could not be created or written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A figure could not be drawn.
    #[error("{}: {message}", path.display())]
    Figure {
        /// The figure's file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A row of failovers.csv could not be written as the study ran.
    #[error("writing CSV: {0}")]
    CsvRow(io::Error),
    /// A file output names an input of the command.
    #[error(
        "{flag} {}: this is the input file {}; writing it would overwrite it",
        output.display(),
        input.display()
    )]
    OverwritesInput {
        /// The output's flag.
        flag: &'static str,
        /// The output as given.
        output: PathBuf,
        /// The input as given.
        input: PathBuf,
    },
    /// Standard output (`-`) was asked to carry more than one file output.
    #[error("{flags}: only one of them can write to standard output (`-`)")]
    StdoutTwice {
        /// The flags that can write to standard output, in words.
        flags: &'static str,
    },
    /// The re-run of the shown replication stopped before its horizon and `--partial`
    /// was not given, so its trace was not written.
    #[error(
        "{}: the trace of replication {replication} stopped after {events} events: {stopped}; \
         it was not written (use --partial to keep it)",
        path.display()
    )]
    ReplayStopped {
        /// The trace file.
        path: PathBuf,
        /// The replication re-run.
        replication: u64,
        /// Events processed.
        events: u64,
        /// Why it stopped.
        stopped: Stopped,
    },
}

impl OutputError {
    /// A destination error for `path`.
    pub fn write(path: &Path, source: io::Error) -> Self {
        OutputError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}
