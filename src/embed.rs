//! Studies run from another program (the Python package): a compiled scenario and the
//! command line's overrides in; the summary or comparison that `--json` writes and the
//! tidy tables that `--csv` writes out, in memory.

use crate::checks::Metric;
use crate::compare::{parse_strategies, variant, Comparison, StrategyListError};
use crate::compile::{
    cpu_time, expected_secs, rows_problem, work_problem, CompiledScenario, Loaded, OverrideError,
    Overrides, Problem, RowsKept,
};
use crate::output::rows::Tables;
use crate::report::Summary;
use crate::run::precision::DEFAULT_MAX_REPLICATIONS;
use crate::run::{run_comparison, run_study, Precision, RunError, RunOptions, StopRule};
use crate::scenarios::model::StrategyName;
use crate::scenarios::Diagnostic;
use serde::Serialize;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// How to run a study: the scenario's settings changed, the worker threads, and a flag
/// that stops it.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Seed, replications and horizon, as `--seed`, `--replications`, `--horizon`.
    pub overrides: Overrides,
    /// Worker threads (default: all cores); results do not depend on it.
    pub threads: Option<usize>,
    /// Raising it stops the study between replications, with [`EmbedError::Interrupted`].
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Leave the tables empty: their rows grow with the replications and the horizon
    /// (the command line streams them to files; here they are held in memory).
    pub summary_only: bool,
    /// Run until the intervals are this precise, as `--precision`.
    pub precision: Option<PrecisionSettings>,
}

/// `--precision TARGET [--max-replications N] [--precision-metric M]...`.
#[derive(Clone, Debug)]
pub struct PrecisionSettings {
    /// The largest relative half-width of the 95% interval of each unavailability.
    pub target: f64,
    /// The most replications (default [`DEFAULT_MAX_REPLICATIONS`]); the overrides'
    /// replications must be left unset.
    pub max_replications: Option<u64>,
    /// The availabilities whose unavailability must be that precise (default: strict).
    pub metrics: Vec<Metric>,
}

/// Why a study did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// An override out of its range.
    #[error(transparent)]
    Override(#[from] OverrideError),
    /// The study would take far too long or hold too many rows (as the command line
    /// refuses it).
    #[error("at {}: {}", .0.path, .0.message)]
    Work(Problem),
    /// The worker threads could not be had.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The strategy list does not parse.
    #[error(transparent)]
    Strategies(#[from] StrategyListError),
    /// A service cannot run under a strategy compared.
    #[error("with every service {}: {}", .strategy.as_str(), lines(.problems))]
    Variant {
        /// The strategy.
        strategy: StrategyName,
        /// What keeps the services from running under it.
        problems: Vec<Problem>,
    },
    /// The interrupt flag was raised.
    #[error("interrupted")]
    Interrupted,
    /// A precision setting out of its range, or beside a fixed replication count.
    #[error("{0}")]
    Precision(String),
}

fn lines(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("at {}: {}", p.path, p.message))
        .collect();
    lines.join("; ")
}

/// A study's summary and tables.
pub struct StudyResults {
    /// What `run --json` writes.
    pub summary: Summary,
    /// What `run --csv` writes.
    pub tables: Tables,
}

/// A comparison and the tables of every strategy's study (each replication's rows
/// strategy by strategy).
pub struct ComparisonResults {
    /// What `compare --json` writes.
    pub comparison: Comparison,
    /// What `compare --csv` writes.
    pub tables: Tables,
}

/// Applies the overrides and refuses, as the command line does, a study of `runs` runs
/// beyond the work limit, and tables of more rows than memory holds
/// ([`MAX_ROWS`](crate::compile::MAX_ROWS)).
fn prepare(
    scenario: &mut CompiledScenario,
    settings: &Settings,
    runs: u64,
) -> Result<Option<Precision>, EmbedError> {
    let mut overrides = settings.overrides;
    let precision = match &settings.precision {
        None => None,
        Some(asked) => {
            if overrides.replications.is_some() {
                return Err(EmbedError::Precision(
                    "replications and precision exclude each other: precision decides how \
                     many replications to run, up to max_replications"
                        .into(),
                ));
            }
            if !(asked.target > 0.0 && asked.target < 1.0) {
                return Err(RunError::Precision(asked.target).into());
            }
            let max = asked.max_replications.unwrap_or(DEFAULT_MAX_REPLICATIONS);
            if max == 0 {
                return Err(EmbedError::Precision(
                    "max_replications must be at least 1".into(),
                ));
            }
            if let Some(metric) = asked.metrics.iter().find(|&&m| !Precision::accepts(m)) {
                return Err(EmbedError::Precision(format!(
                    "precision metric `{}` is not one of availability, lenient_availability, \
                     served_availability",
                    metric.name()
                )));
            }
            overrides.replications = Some(max);
            let metrics = if asked.metrics.is_empty() {
                vec![Metric::Availability]
            } else {
                asked.metrics.clone()
            };
            Some(Precision {
                target: asked.target,
                metrics,
                checks: Vec::new(),
            })
        }
    };
    scenario.apply(overrides)?;
    let replications = scenario.replications.saturating_mul(runs);
    // The tables hold a row per service and replication in memory, unless the settings
    // ask for the summary only.
    let rows = (!settings.summary_only)
        .then(|| rows_problem(scenario.services.len(), replications, RowsKept::InMemory))
        .flatten();
    match rows.or_else(|| work_problem(&scenario.work_estimate(), replications)) {
        Some(problem) => Err(EmbedError::Work(problem)),
        None => Ok(precision),
    }
}

/// How the settings run a study.
fn options(settings: &Settings) -> RunOptions {
    RunOptions {
        threads: settings.threads,
        interrupt: settings.interrupt.clone(),
        keep_records: !settings.summary_only,
        ..RunOptions::default()
    }
}

/// Runs one study of `scenario`, adding its rows to `tables` unless the settings ask
/// for the summary only; its summary says how `precision` stopped it.
fn study(
    scenario: &CompiledScenario,
    settings: &Settings,
    precision: Option<Precision>,
    tables: &mut Tables,
) -> Result<Summary, EmbedError> {
    let options = RunOptions {
        precision,
        ..options(settings)
    };
    let rows = !settings.summary_only;
    let run = run_study(
        scenario,
        &options,
        |outcome| {
            if rows {
                tables.add_replication(outcome, scenario);
            }
        },
        |_| {},
    )?;
    if run.stopped.is_some() {
        return Err(EmbedError::Interrupted);
    }
    let mut summary = Summary::new(&run.study);
    summary.precision = run.precision;
    Ok(summary)
}

/// `failsim run SCENARIO --json … --csv …` in memory: the same numbers for the same
/// scenario and overrides, whatever the threads.
pub fn run(
    mut scenario: CompiledScenario,
    settings: &Settings,
) -> Result<StudyResults, EmbedError> {
    let precision = prepare(&mut scenario, settings, 1)?;
    let mut tables = Tables::default();
    let summary = study(&scenario, settings, precision, &mut tables)?;
    Ok(StudyResults { summary, tables })
}

/// `failsim compare SCENARIO --strategies LIST --json … --csv …` in memory; every
/// strategy when `strategies` is `None`, the first listed is the baseline. The variants
/// are compiled from the loaded file's model.
pub fn compare(
    loaded: Loaded,
    strategies: Option<&str>,
    settings: &Settings,
) -> Result<ComparisonResults, EmbedError> {
    let Loaded {
        model,
        compiled: mut scenario,
    } = loaded;
    let strategies = match strategies {
        Some(list) => parse_strategies(list)?,
        None => StrategyName::ALL.to_vec(),
    };
    let precision = prepare(&mut scenario, settings, strategies.len() as u64)?;
    let variants = strategies
        .iter()
        .map(|&strategy| {
            variant(&model, &scenario, strategy)
                .map_err(|problems| EmbedError::Variant { strategy, problems })
        })
        .collect::<Result<Vec<_>, _>>()?;
    drop(model);
    let mut tables = Tables::default();
    let rows = !settings.summary_only;
    let mut resolved = precision.as_ref().map(Comparison::until_resolved);
    let rule = resolved.as_mut().map(|rule| rule as &mut StopRule);
    // In lockstep, as the command line runs it: each replication's rows strategy by
    // strategy, and the paired differences folded as they come.
    let run = run_comparison(
        &variants,
        &options(settings),
        rule,
        &mut |variant, outcome| {
            if rows {
                tables.add_replication(outcome, &variants[variant]);
            }
        },
        |_| {},
    )?;
    if run.stopped.is_some() {
        return Err(EmbedError::Interrupted);
    }
    let mut comparison = Comparison::new(&run.studies, &run.pairs);
    if let Some(precision) = &precision {
        comparison.precision = Some(precision.summary(
            comparison.precision_reached(&run.studies, precision),
            comparison.resolved(&run.studies, precision),
            comparison.replications,
            scenario.replications,
        ));
    }
    Ok(ComparisonResults { comparison, tables })
}

/// What `failsim validate` says of a scenario that loads.
#[derive(Clone, Debug, Serialize)]
pub struct Description {
    /// The scenario's name.
    pub name: String,
    /// Nodes of its topology.
    pub nodes: usize,
    /// Its services.
    pub services: usize,
    /// Replications it asks for.
    pub replications: u64,
    /// Its seed.
    pub seed: u64,
    /// Horizon in seconds.
    pub horizon_s: f64,
    /// The CPU time its replications are estimated to take, in words ("3 s").
    pub work_estimate: String,
    /// What is valid but probably not meant, with JSON path and line:column.
    pub warnings: Vec<Diagnostic>,
}

/// Describes a loaded scenario as `failsim validate` does.
pub fn describe(scenario: &CompiledScenario) -> Description {
    Description {
        name: scenario.name.clone(),
        nodes: scenario.topology.len(),
        services: scenario.services.len(),
        replications: scenario.replications,
        seed: scenario.seed,
        horizon_s: scenario.horizon as f64 / 1e9,
        work_estimate: cpu_time(expected_secs(
            &scenario.work_estimate(),
            scenario.replications,
        )),
        warnings: scenario.warnings.clone(),
    }
}
