//! The output plan: every destination the command line names, checked before the study
//! runs, then written from its results, with one re-run of the shown replication for
//! every view of it.

use super::atomic::{check_output_dir, check_output_file, create_output_dir, CreatedDirs, Staged};
use super::csv::CsvExporter;
use super::html::{HtmlExporter, ScenarioSource};
use super::json::JsonExporter;
use super::markdown::MarkdownExporter;
use super::plot::PlotExporter;
use super::table::TableExporter;
use super::timeline::{self, TimelineExporter, TimelineRecorder, MAX_SPANS};
use super::trace::TraceExporter;
use super::{Exporter, OutputError, ReplayEnd, Replays, Shows, StudyReport};
use crate::compile::CompiledScenario;
use crate::run::Stopped;
use crate::sim::engine::{Replication, ReplicationOutcome};
use crate::sim::faults::FaultRegistry;
use crate::sim::trace::Tee;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Where the command line asks for each output; `-` names standard output.
#[derive(Clone, Debug, Default)]
pub(crate) struct Destinations {
    /// `--json FILE|-`.
    pub json: Option<PathBuf>,
    /// `--csv DIR`.
    pub csv: Option<PathBuf>,
    /// `--plot DIR`.
    pub plot: Option<PathBuf>,
    /// `--trace FILE|-`.
    pub trace: Option<PathBuf>,
    /// `--timeline FILE|-`.
    pub timeline: Option<PathBuf>,
    /// `--report FILE.html`.
    pub report: Option<PathBuf>,
    /// `--markdown FILE|-`.
    pub markdown: Option<PathBuf>,
    /// The files the command reads (the scenario, the shards), which no output may be.
    pub inputs: Vec<PathBuf>,
}

impl Destinations {
    /// Whether a file output goes to standard output, which then carries nothing else.
    pub(crate) fn stdout_is_taken(&self) -> bool {
        self.files().any(|path| path == Path::new("-"))
    }

    /// Refuses standard output named by more than one file output.
    pub(crate) fn check_stdout(&self) -> Result<(), OutputError> {
        if self.files().filter(|path| *path == Path::new("-")).count() > 1 {
            return Err(OutputError::StdoutTwice {
                flags: "--json, --trace, --timeline, --markdown and --report",
            });
        }
        Ok(())
    }

    /// Refuses a file output that is one of the inputs, whatever the path that names it
    /// (a symbolic or hard link, `./`, `..`): the run would overwrite what it reads.
    pub(crate) fn check_inputs(&self) -> Result<(), OutputError> {
        for (flag, output) in [
            ("--json", &self.json),
            ("--trace", &self.trace),
            ("--timeline", &self.timeline),
            ("--report", &self.report),
            ("--markdown", &self.markdown),
        ] {
            let Some(output) = output.as_deref().filter(|p| *p != Path::new("-")) else {
                continue;
            };
            if let Some(input) = self.inputs.iter().find(|input| same_file(output, input)) {
                return Err(OutputError::OverwritesInput {
                    flag,
                    output: output.to_path_buf(),
                    input: input.clone(),
                });
            }
        }
        Ok(())
    }

    fn files(&self) -> impl Iterator<Item = &Path> {
        [
            &self.json,
            &self.trace,
            &self.timeline,
            &self.report,
            &self.markdown,
        ]
        .into_iter()
        .filter_map(|path| path.as_deref())
    }
}

/// Whether `a` and `b` are one existing file: the same device and inode on Unix, the same
/// canonical path elsewhere.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// What stops the re-run of the shown replication when it streams events, as the study
/// was stopped.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReplayLimits<'a> {
    /// `--max-events`.
    pub max_events: Option<u64>,
    /// Raised by Ctrl-C.
    pub interrupt: Option<&'a AtomicBool>,
}

/// The exporters a command runs, in the order they write.
pub(crate) struct OutputPlan {
    exporters: Vec<Box<dyn Exporter>>,
    /// Directories created for the outputs (`--csv`); declared after the exporters, so
    /// that a plan dropped before its export removes them once their temporaries are gone.
    created: CreatedDirs,
}

impl OutputPlan {
    /// Checks every destination — standard output used at most once, files and
    /// directories of the right kind and writable — and prepares one exporter per
    /// output; the table goes to standard output when no file output does.
    pub(crate) fn new(destinations: &Destinations) -> Result<Self, OutputError> {
        destinations.check_stdout()?;
        destinations.check_inputs()?;
        for path in destinations.files() {
            check_output_file(path).map_err(|e| OutputError::write(path, e))?;
        }
        for dir in [&destinations.csv, &destinations.plot]
            .into_iter()
            .flatten()
        {
            check_output_dir(dir).map_err(|e| OutputError::write(dir, e))?;
        }
        let mut exporters: Vec<Box<dyn Exporter>> = Vec::new();
        let mut created = CreatedDirs::default();
        // The trace goes first: a trace cut short refuses the whole output, and nothing
        // may have been committed by then.
        if let Some(path) = &destinations.trace {
            exporters.push(Box::new(TraceExporter::new(path.clone())));
        }
        if let Some(dir) = &destinations.csv {
            // failovers.csv streams during the study: its directory is needed now.
            created.adopt(create_output_dir(dir).map_err(|e| OutputError::write(dir, e))?);
            exporters.push(Box::new(
                CsvExporter::create(dir).map_err(|e| OutputError::write(dir, e))?,
            ));
        }
        if let Some(path) = &destinations.json {
            exporters.push(Box::new(JsonExporter::new(path.clone())));
        }
        if let Some(dir) = &destinations.plot {
            exporters.push(Box::new(PlotExporter::new(dir.clone())));
        }
        if let Some(path) = &destinations.timeline {
            exporters.push(Box::new(TimelineExporter::new(path.clone())));
        }
        if let Some(path) = &destinations.markdown {
            exporters.push(Box::new(MarkdownExporter::new(path.clone())));
        }
        if let Some(path) = &destinations.report {
            // Read now, before the study: the page shows the scenario that was run.
            let scenario = destinations
                .inputs
                .first()
                .cloned()
                .map(ScenarioSource::read);
            exporters.push(Box::new(HtmlExporter::new(path.clone(), scenario)));
        }
        if !destinations.stdout_is_taken() {
            exporters.push(Box::new(TableExporter));
        }
        Ok(OutputPlan { exporters, created })
    }

    /// Whether an exporter needs every failover record of the study's replications.
    pub(crate) fn keeps_records(&self) -> bool {
        self.exporters.iter().any(|e| e.keeps_records())
    }

    /// Passes one replication of `scenario` to the exporters that stream rows.
    pub(crate) fn add_replication(
        &mut self,
        outcome: &ReplicationOutcome,
        scenario: &CompiledScenario,
    ) -> Result<(), OutputError> {
        for exporter in &mut self.exporters {
            exporter.add_replication(outcome, scenario)?;
        }
        Ok(())
    }

    /// Re-runs replication `replication` once for every view that shows it: the scenario
    /// as `given` (its trace and timeline), and each of `strategies` (a suffix for file
    /// names and the scenario under that strategy) for the figures; with no strategies
    /// the figure shows the scenario as given.
    ///
    /// A re-run that streams events (`--trace`) obeys `limits` as the study did;
    /// otherwise it runs to the horizon or until the timeline holds [`MAX_SPANS`] bars.
    pub(crate) fn replay(
        &mut self,
        given: &CompiledScenario,
        strategies: &[(String, &CompiledScenario)],
        replication: u64,
        limits: ReplayLimits,
    ) -> Result<Replays, OutputError> {
        let shows = self.exporters.iter().fold(Shows::default(), |all, e| {
            let one = e.shows();
            Shows {
                events: all.events || one.events,
                timeline: all.timeline || one.timeline,
                strategy_timelines: all.strategy_timelines || one.strategy_timelines,
            }
        });
        let mut replays = Replays {
            replication,
            scenario: given.name.clone(),
            ..Replays::default()
        };
        let interrupted = || {
            limits
                .interrupt
                .is_some_and(|flag| flag.load(Ordering::Relaxed))
        };
        // After Ctrl-C nothing is re-run: a re-run would stop at its first event and its
        // views, empty, would be written over the previous ones.
        if interrupted() {
            replays.interrupted = true;
            return Ok(replays);
        }
        let interrupt: Vec<&AtomicBool> = limits.interrupt.into_iter().collect();
        let given_timeline = shows.timeline || (shows.strategy_timelines && strategies.is_empty());
        if shows.events || given_timeline {
            let registry = FaultRegistry::new(&given.faults);
            let full = AtomicBool::new(false);
            let mut recorder =
                given_timeline.then(|| TimelineRecorder::new(given, MAX_SPANS, &full));
            let mut tee = Tee::default();
            for exporter in &mut self.exporters {
                if let Some(sink) = exporter.replay_sink(given)? {
                    tee.push(sink);
                }
            }
            let streams = !tee.is_empty();
            if let Some(recorder) = recorder.as_mut() {
                tee.push(recorder);
            }
            // Ctrl-C stops every re-run; a full timeline stops it only when no event
            // stream (`--trace`) still needs the rest.
            let (max_events, mut stop) = if streams {
                (limits.max_events.unwrap_or(u64::MAX), vec![])
            } else {
                (u64::MAX, vec![&full])
            };
            stop.extend(interrupt.iter().copied());
            let outcome = Replication::new(given, &registry, replication, Some(&mut tee))
                .run_within(max_events, &stop);
            if streams {
                replays.events = Some(ReplayEnd {
                    events: outcome.events,
                    stopped: (!outcome.complete).then_some(if interrupted() {
                        Stopped::Interrupted
                    } else {
                        Stopped::EventBudget
                    }),
                });
            }
            replays.timeline =
                recorder.map(|r| r.finish(outcome.complete || full.load(Ordering::Relaxed)));
        }
        if shows.strategy_timelines {
            for (suffix, scenario) in strategies {
                if interrupted() {
                    break;
                }
                let recorded = timeline::record_until(scenario, replication, MAX_SPANS, &interrupt);
                replays.strategy_timelines.push((suffix.clone(), recorded));
            }
        }
        if interrupted() {
            // Views cut short by Ctrl-C are not shown as if they were the replication.
            replays.interrupted = true;
            replays.timeline = None;
            replays.strategy_timelines.clear();
        }
        Ok(replays)
    }

    /// Writes every output, all or nothing as far as the file system allows: each is
    /// written in full to a temporary first, and only when all are does one commit put
    /// them in place (then standard output). On failure no output changes and the
    /// directories this run created are removed. Returns the notes to show the user (on
    /// stderr).
    pub(crate) fn export(mut self, report: &StudyReport) -> Result<Vec<String>, OutputError> {
        let mut notes = Vec::new();
        let mut staged = Staged::default();
        staged.adopt_dirs(std::mem::take(&mut self.created));
        for exporter in std::mem::take(&mut self.exporters) {
            exporter.export(report, &mut notes, &mut staged)?;
        }
        staged
            .commit()
            .map_err(|(path, error)| OutputError::write(&path, error))?;
        Ok(notes)
    }
}
