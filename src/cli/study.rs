//! What `run` and `compare` share: the study flags, the scenario with its overrides and
//! output plan, and running one study with budgets, progress and interruption.

use super::determinism::ReplicationPrint;
use super::diagnostics::scenario_error;
use super::interrupt::interrupt_flag;
use super::progress::progress_bar;
use super::{
    bad, check_csv_rows, check_services, check_threads, check_work, parse_checks, stopped_early,
    warning_line, CliError,
};
use crate::checks::{Check, Metric};
use crate::compile::{load_file_with_model, CompiledScenario, Loaded, Overrides};
use crate::core::duration::parse_flag_duration;
use crate::output::plan::{Destinations, OutputPlan, ReplayLimits};
use crate::report::{PrecisionSummary, Study};
use crate::run::precision::DEFAULT_MAX_REPLICATIONS;
use crate::run::{run_study, Precision, RunError, RunOptions, Stopped};
use crate::scenarios::model::Scenario;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(super) struct StudyArgs {
    /// Scenario file.
    pub(super) scenario: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    pub(super) seed: Option<u64>,
    /// Override the number of replications.
    #[arg(long)]
    pub(super) replications: Option<u64>,
    /// Override the horizon, e.g. 30d, 1h 30m, or a plain number of seconds (3600).
    #[arg(long)]
    pub(super) horizon: Option<String>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    pub(super) threads: Option<usize>,
    /// Write the JSON summary here (`-` for stdout).
    #[arg(long)]
    pub(super) json: Option<PathBuf>,
    /// Write failovers.csv and replications.csv into this directory.
    #[arg(long)]
    pub(super) csv: Option<PathBuf>,
    /// Write SVG figures (failover-time CDF, availability, timeline) into this directory.
    #[arg(long)]
    pub(super) plot: Option<PathBuf>,
    /// Write one replication's events as JSON Lines (`-` for stdout).
    #[arg(long)]
    pub(super) trace: Option<PathBuf>,
    /// Write one replication as a Chrome trace-event timeline for Perfetto (`-` for stdout).
    #[arg(long)]
    pub(super) timeline: Option<PathBuf>,
    /// Write one self-contained HTML page: winners, tables, checks, figures, the scenario.
    #[arg(long, value_name = "FILE.html")]
    pub(super) report: Option<PathBuf>,
    /// Write the summary as a Markdown table, e.g. for a pull-request comment (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub(super) markdown: Option<PathBuf>,
    /// Which replication --trace, --timeline and the timeline figure show (default 0).
    #[arg(long, default_value_t = 0)]
    pub(super) trace_replication: u64,
    /// A check [SERVICE.[KIND.]]METRIC OP VALUE, e.g. availability>=0.9995,
    /// api.failover_time_p99<=30s or api.region_outage.failover_time_p99<=2m (repeatable; a
    /// metric with no data fails; metrics are listed in the README's "Checks").
    #[arg(long = "check")]
    pub(super) checks: Vec<String>,
    /// Stop after this many simulated events in total.
    #[arg(long)]
    pub(super) max_events: Option<u64>,
    /// Stop after this much wall-clock time, e.g. 10m, or a plain number of seconds (600).
    #[arg(long)]
    pub(super) max_wall: Option<String>,
    /// When stopped early (budget or Ctrl-C), still write results for the completed replications.
    #[arg(long)]
    pub(super) partial: bool,
    /// Run replications in batches until the 95% CI half-width of each service's
    /// unavailability is at most this fraction of it (0.05: ±5%) and every check is
    /// conclusive, or --max-replications; the stop does not depend on --threads.
    #[arg(long, value_name = "FRACTION", conflicts_with = "replications")]
    pub(super) precision: Option<f64>,
    /// With --precision: the most replications to run (default 100000).
    #[arg(long, value_name = "N", requires = "precision")]
    pub(super) max_replications: Option<u64>,
    /// With --precision: read the stopping rule only at the ends of N equal batches of
    /// --max-replications — the shards of --shard I/N — so that `merge` of those shards
    /// stops where this run stops (implied by --shard I/N).
    #[arg(long, value_name = "N", requires = "precision")]
    pub(super) batches: Option<u64>,
    /// With --precision: whose unavailability must be precise: availability (default),
    /// lenient_availability or served_availability (repeatable).
    #[arg(
        long = "precision-metric",
        value_name = "METRIC",
        requires = "precision"
    )]
    pub(super) precision_metrics: Vec<String>,
    /// An inconclusive check (its 95% CI straddles the bound) fails too (exit 1); without
    /// it, an inconclusive check warns and exits 0.
    #[arg(long)]
    pub(super) strict_checks: bool,
}

impl StudyArgs {
    /// Where the outputs go.
    fn destinations(&self) -> Destinations {
        Destinations {
            json: self.json.clone(),
            csv: self.csv.clone(),
            plot: self.plot.clone(),
            trace: self.trace.clone(),
            timeline: self.timeline.clone(),
            report: self.report.clone(),
            markdown: self.markdown.clone(),
            inputs: vec![self.scenario.clone()],
        }
    }
}

/// A loaded scenario with the command-line overrides applied, and how to run it.
pub(super) struct Prepared {
    pub(super) scenario: CompiledScenario,
    /// The file's parsed model, when `prepare` was asked to keep it (`compare` derives
    /// its variants from it); `run` lets it go before the study.
    pub(super) model: Option<Scenario>,
    pub(super) options: RunOptions,
    pub(super) checks: Vec<Check>,
}

impl Prepared {
    /// What stops the re-run of the shown replication, as it stopped the study.
    pub(super) fn replay_limits(&self) -> ReplayLimits<'_> {
        ReplayLimits {
            max_events: self.options.max_events,
            interrupt: self.options.interrupt.as_deref(),
        }
    }
}

/// Loads the scenario (keeping its parsed model if `keep_model`), applies and checks the
/// overrides, and checks every output destination, all before any replication runs.
pub(super) fn prepare(
    args: &StudyArgs,
    keep_model: bool,
) -> Result<(Prepared, OutputPlan), CliError> {
    let destinations = args.destinations();
    destinations.check_stdout()?;
    destinations.check_inputs()?;
    let Loaded {
        model,
        compiled: mut scenario,
    } = load_file_with_model(&args.scenario).map_err(scenario_error)?;
    let model = keep_model.then_some(model);
    for warning in &scenario.warnings {
        say!("{}", warning_line(&args.scenario, warning));
    }
    let horizon = args
        .horizon
        .as_deref()
        .map(|text| parse_flag_duration(text).map_err(|e| bad(format!("--horizon: {e}"))))
        .transpose()?;
    let max_replications = args
        .precision
        .map(|_| args.max_replications.unwrap_or(DEFAULT_MAX_REPLICATIONS));
    if max_replications == Some(0) {
        return Err(bad("--max-replications must be at least 1"));
    }
    scenario
        .apply(Overrides {
            seed: args.seed,
            replications: args.replications.or(max_replications),
            horizon: horizon.map(|h| h.nanos()),
        })
        .map_err(|e| bad(format!("--{e}")))?;
    check_threads(args.threads)?;
    if args.replications.is_some() || args.horizon.is_some() || args.precision.is_some() {
        // The overrides can ask for far more work than the file did: estimate it again
        // (with --precision, for the maximum).
        check_work(
            &args.scenario,
            &scenario,
            scenario.replications,
            1,
            if args.precision.is_some() {
                "with --precision's maximum (--max-replications)"
            } else {
                "with the command-line overrides"
            },
        )?;
    }
    if args.csv.is_some() {
        check_csv_rows(
            &args.scenario,
            &scenario,
            args.replications.is_some() || args.precision.is_some(),
        )?;
    }
    if args.trace_replication >= scenario.replications {
        return Err(bad(format!(
            "--trace-replication {} is beyond the {} replications",
            args.trace_replication, scenario.replications
        )));
    }
    let max_wall = args
        .max_wall
        .as_deref()
        .map(|text| parse_flag_duration(text).map_err(|e| bad(format!("--max-wall: {e}"))))
        .transpose()?
        .map(|d| std::time::Duration::from_nanos(d.nanos()));
    let mut checks = parse_checks(&args.checks)?;
    check_services("--check", &checks, &scenario)?;
    checks.extend(parse_checks(&scenario.slo)?);
    let precision = args
        .precision
        .map(|target| precision(target, &args.precision_metrics, &checks))
        .transpose()?;
    let plan = OutputPlan::new(&destinations)?;
    let prepared = Prepared {
        scenario,
        model,
        options: RunOptions {
            threads: args.threads,
            shard: None,
            max_events: args.max_events,
            max_wall,
            interrupt: Some(interrupt_flag()),
            keep_records: plan.keeps_records(),
            precision,
            precision_batches: args.batches,
        },
        checks,
    };
    Ok((prepared, plan))
}

/// The precision target of `--precision TARGET` and `--precision-metric`s, with the
/// checks that must also be conclusive.
fn precision(target: f64, metrics: &[String], checks: &[Check]) -> Result<Precision, CliError> {
    if !(target > 0.0 && target < 1.0) {
        return Err(bad(RunError::Precision(target)));
    }
    let metrics = if metrics.is_empty() {
        vec![Metric::Availability]
    } else {
        metrics
            .iter()
            .map(|name| {
                Metric::parse(name)
                    .filter(|&m| Precision::accepts(m))
                    .ok_or_else(|| {
                        bad(format!(
                            "--precision-metric: `{name}` is not one of availability, \
                         lenient_availability, served_availability"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    Ok(Precision {
        target,
        metrics,
        checks: checks.to_vec(),
    })
}

/// Runs one study of `scenario` (its progress bar labelled `label`, if given), streaming each replication to the plan's exporters
/// (and its figures to `prints`, for the determinism check); handles budgets and
/// interruption. Returns the study, the number of events its
/// replications processed, why it stopped early when it is a partial result
/// (`--partial`), and with `--precision` how it stopped.
pub(super) fn study(
    prepared: &Prepared,
    plan: &mut OutputPlan,
    partial: bool,
    scenario: &CompiledScenario,
    label: Option<&str>,
    mut prints: Option<&mut Vec<ReplicationPrint>>,
) -> Result<(Study, u64, Option<Stopped>, Option<PrecisionSummary>), CliError> {
    let total = prepared.options.shard.map_or(scenario.replications, |s| {
        s.range(scenario.replications).count() as u64
    });
    let bar = progress_bar(total, label);
    let mut output_error = None;
    let run = run_study(
        scenario,
        &prepared.options,
        |outcome| {
            if output_error.is_none() {
                output_error = plan.add_replication(outcome, scenario).err();
            }
            if let Some(prints) = prints.as_deref_mut() {
                prints.push(ReplicationPrint::of(outcome));
            }
        },
        |done| {
            if let Some(bar) = &bar {
                bar.set_position(done);
            }
        },
    )
    .map_err(bad)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(e) = output_error {
        return Err(e.into());
    }
    accept_stop(run.stopped, run.study.done(), partial)?;
    Ok((run.study, run.events, run.stopped, run.precision))
}

/// What a study (or a comparison's studies) that stopped after `done` complete
/// replications leaves: an error without `--partial` or with nothing done, else a note.
pub(super) fn accept_stop(
    stopped: Option<Stopped>,
    done: u64,
    partial: bool,
) -> Result<(), CliError> {
    let Some(stopped) = stopped else {
        return Ok(());
    };
    let message = format!("stopped after {done} complete replications: {stopped}");
    if done == 0 {
        return Err(stopped_early(
            stopped,
            format!("{message}; there is no result to write"),
        ));
    }
    if !partial {
        return Err(stopped_early(
            stopped,
            format!(
                "{message}; nothing was written (use --partial to keep the completed replications)"
            ),
        ));
    }
    say!("{message}; writing the partial result (--partial)");
    Ok(())
}

/// The command line that runs another shard of this `--precision` study: the flags
/// that decide its replications and its stopping rule, each quoted for a POSIX shell;
/// `--shard` and the outputs are left for the caller to add.
pub(super) fn shard_command(
    args: &StudyArgs,
    max_replications: u64,
    horizon_ns: u64,
    seed: u64,
) -> String {
    let quote = |text: &str| {
        if !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-,:=+".contains(c))
        {
            text.to_string()
        } else {
            format!("'{}'", text.replace('\'', "'\\''"))
        }
    };
    let mut words = vec![
        "failsim".to_string(),
        "run".to_string(),
        quote(&args.scenario.display().to_string()),
        "--seed".to_string(),
        seed.to_string(),
        "--horizon".to_string(),
        format!("{horizon_ns}ns"),
    ];
    if let Some(target) = args.precision {
        words.extend(["--precision".to_string(), target.to_string()]);
    }
    words.extend([
        "--max-replications".to_string(),
        max_replications.to_string(),
    ]);
    for metric in &args.precision_metrics {
        words.extend(["--precision-metric".to_string(), quote(metric)]);
    }
    for check in &args.checks {
        words.extend(["--check".to_string(), quote(check)]);
    }
    words.join(" ")
}
