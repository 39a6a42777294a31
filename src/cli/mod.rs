//! The command line (DESIGN §7): argument parsing and dispatch to one module per
//! command, reporting every error once, with exit code 0 ok, 1 a failed check, 2 bad
//! input (130 after Ctrl-C).

/// `eprintln!` for everything the command line says on stderr: the text is made safe
/// for a terminal first (names from a scenario may hold escape sequences).
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!(
            "{}",
            $crate::output::table::terminal_safe(&format!($($arg)*), true)
        )
    };
}

mod compare;
mod completions;
mod determinism;
mod diagnostics;
mod explain;
mod interrupt;
mod merge;
mod plan;
mod progress;
mod recommend;
mod run;
mod schema;
mod solve;
mod study;
mod sweep;
mod validate;
mod validate_model;

use crate::checks::{Check, CheckError, Outcome, SYSTEM_SCOPE};
use crate::compile::CompiledScenario;
use crate::output::atomic::write_output;
use crate::output::OutputError;
use crate::report::{PrecisionSummary, Summary};
use crate::run::Stopped;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

/// Deterministic discrete-event simulator of redundancy strategies under failures and partitions.
#[derive(Parser, Debug)]
#[command(name = "failsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario's replications and print the summary.
    #[command(
        after_help = "Examples:\n  failsim run scenarios/quickstart.json\n  failsim run scenarios/quickstart.json --replications 1000 --json out.json --csv out/\n  failsim run scenarios/quickstart.json --check 'availability>=0.999' --check 'db.node_failure.outage_p99<=1h'\n  failsim run scenarios/quickstart.json --shard 2/8 --json part2.json"
    )]
    Run {
        #[command(flatten)]
        study: study::StudyArgs,
        /// Run only shard I of N, e.g. 2/8; --json then writes the shard file for `merge`.
        #[arg(long, conflicts_with = "check_determinism")]
        shard: Option<String>,
        /// Run the study three more times — with the same threads, with another thread
        /// count, and as 2 shards merged through shard files — and compare every
        /// replication and the summary; exit 1 naming the first difference. Outputs are
        /// written only when all agree.
        #[arg(long, conflicts_with = "partial")]
        check_determinism: bool,
    },
    /// Run the services under several strategies against the same faults, side by side.
    #[command(
        after_help = "Examples:\n  failsim compare scenarios/seed-defaults.json\n  failsim compare scenarios/seed-defaults.json --strategies active_passive,n_way --plot out/ --csv out/"
    )]
    Compare {
        #[command(flatten)]
        study: study::StudyArgs,
        /// Comma-separated strategies, the first is the baseline (default: all four).
        #[arg(long)]
        strategies: Option<String>,
    },
    /// Run the scenario at every point of a grid of --set values (same seed and streams at each), and print, write and plot each metric against them.
    #[command(
        after_help = "Examples:\n  failsim sweep scenarios/quickstart.json --set 'services.db.detection.interval=1s,5s,15s'\n  failsim sweep scenarios/quickstart.json --set 'services.db.detection.interval=1s,15s' --set 'services.db.detection.unhealthy_threshold=1,3' --csv out/ --plot out/\n\nA path addresses the file as written: dotted keys; list items by index, name or id."
    )]
    Sweep(sweep::SweepArgs),
    /// Print the faults of one replication with every random draw made concrete, as scheduled faults to paste into a scenario.
    #[command(
        after_help = "Examples:\n  failsim explain scenarios/quickstart.json --replication 7\n  failsim explain scenarios/zone-outage.json --replication 3 --emit-scenario replay.json\n  failsim run replay.json --trace-replication 3 --trace -"
    )]
    Explain {
        /// Scenario file.
        scenario: PathBuf,
        /// Which replication (numbered from 0).
        #[arg(long, default_value_t = 0)]
        replication: u64,
        /// Override the scenario's seed, as `run --seed` does.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the horizon, as `run --horizon` does (30d, or plain seconds).
        #[arg(long)]
        horizon: Option<String>,
        /// Also write a scenario of these scheduled faults that replays the replication (`-` for stdout).
        #[arg(long, value_name = "FILE")]
        emit_scenario: Option<PathBuf>,
    },
    /// Check scenario files and report every problem with its JSON path and line:column.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Pick a strategy per node from a risk file (DESIGN §8); optionally emit a scenario that applies the plan.
    #[command(
        after_help = "Examples:\n  failsim plan scenarios/risk-telecom.json\n  failsim plan scenarios/risk-telecom.json --json plan.json --emit-scenario telecom-plan.json\n  failsim run telecom-plan.json"
    )]
    Plan {
        /// Risk file (a JSON object with a top-level `risk_assessments` list).
        risk_file: PathBuf,
        /// Write the plan as JSON here (`-` for stdout).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write a scenario that applies the plan here, ready for `failsim run`.
        #[arg(long, value_name = "FILE")]
        emit_scenario: Option<PathBuf>,
    },
    /// Search strategies × replica counts × failover modes per service by simulation and rank the designs that meet the SLOs by cost.
    #[command(
        after_help = "Examples:\n  failsim recommend scenarios/recommend-example.json --slo 'availability>=0.9999' --slo 'failover_time_p99<=30s'\n  failsim recommend scenarios/recommend-example.json --slo 'availability>=0.9999' --strategies active_passive,n_way --replicas 3..5 --json ranking.json\n\n--slo takes one expression; repeat it for more.\nExit code 1 when some service has no design that meets every SLO."
    )]
    Recommend(recommend::RecommendArgs),
    /// Solve a Markovian scenario exactly: steady-state availability, outages per year and mean time to first outage from its continuous-time Markov chain; --rare-event adds an importance-sampling estimate.
    #[command(
        after_help = "Examples:\n  failsim solve scenarios/validation/v3-3-of-5.json\n  failsim solve scenarios/five-nines-quorum.json --rare-event --json solution.json\n\nQualifies: ACTIVE_ACTIVE services with instantaneous detection and ejection, node_failures with\nexponential ttf and ttr, repair crews serving one kind of replica (docs/exact.md). Anything else\nis refused with the JSON path and the reason (exit 2)."
    )]
    Solve(solve::SolveArgs),
    /// Run the model-validation cases (simulation against closed forms) and write the report.
    #[command(
        after_help = "Examples:\n  failsim validate-model\n  failsim validate-model --dir scenarios/validation --out docs/validation.md\n  failsim validate-model --out -\n\nExit code 1 when a check fails; the report is written either way."
    )]
    ValidateModel {
        /// Directory of the case scenarios.
        #[arg(long, default_value = "scenarios/validation")]
        dir: PathBuf,
        /// Write the Markdown report here (`-` for stdout).
        #[arg(long, default_value = "docs/validation.md")]
        out: PathBuf,
        /// Worker threads (default: all cores); results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Combine shard results (`run --shard I/N --json PART`) into the single run's summary.
    Merge {
        /// Shard files.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Write the merged summary here (`-` for stdout).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Checks to evaluate on the merged summary, as in `run --check`; with no scenario
        /// at hand, a fault kind the shards never saw reads as no data (the check fails).
        #[arg(long = "check")]
        checks: Vec<String>,
        /// An inconclusive check (its 95% CI straddles the bound) fails too (exit 1).
        #[arg(long)]
        strict_checks: bool,
    },
    /// Print a shell completion script on stdout.
    #[command(
        after_help = "Examples:\n  failsim completions bash > ~/.local/share/bash-completion/completions/failsim\n  failsim completions zsh > ~/.zfunc/_failsim\n  failsim completions fish > ~/.config/fish/completions/failsim.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, or write one page per command into a directory.
    #[command(
        after_help = "Examples:\n  failsim man | man -l -\n  failsim man --dir target/man   # failsim.1, failsim-run.1, …"
    )]
    Man {
        /// Write failsim.1 and a page per command (failsim-run.1, …) into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Errors at the command-line edge, each mapped to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: usage, scenario or output path problems, or an exhausted budget (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// Bad input in a file, already rendered for stderr with its source lines (exit 2).
    #[error("{0}")]
    Rendered(String),
    /// One or more checks failed (exit 1); the verdicts were already printed.
    #[error("{0} check(s) failed")]
    ChecksFailed(usize),
    /// With `--strict-checks`, one or more checks were inconclusive (exit 1).
    #[error(
        "{0} check(s) inconclusive: the 95% CI straddles the bound (--strict-checks); \
         more replications, or --precision, may decide"
    )]
    ChecksInconclusive(usize),
    /// `recommend` found no design meeting every SLO for some services (exit 1).
    #[error("{0} service(s) have no design that meets every SLO")]
    NoDesign(usize),
    /// Ctrl-C or SIGTERM stopped the run (exit 130 or 143, 128 + the signal, the shell
    /// convention).
    #[error("interrupted: {0}")]
    Interrupted(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) | CliError::Rendered(_) => 2,
            CliError::ChecksFailed(_) | CliError::ChecksInconclusive(_) | CliError::NoDesign(_) => {
                1
            }
            CliError::Interrupted(_) => interrupt::exit_code(),
        }
    }
}

fn bad(message: impl std::fmt::Display) -> CliError {
    CliError::BadInput(message.to_string())
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let code = match execute(cli) {
        Ok(()) => 0,
        Err(CliError::Rendered(text)) => {
            // Made safe for a terminal piece by piece, around its colours.
            eprintln!("{text}");
            2
        }
        Err(error) => {
            say!("error: {error}");
            error.exit_code()
        }
    };
    // Every temporary was committed or dropped by now; this is the net for any path
    // that did not drop one.
    crate::output::atomic::remove_live_temporaries();
    code
}

fn execute(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run {
            study,
            shard,
            check_determinism,
        } => run::run(study, shard.as_deref(), check_determinism),
        Command::Explain {
            scenario,
            replication,
            seed,
            horizon,
            emit_scenario,
        } => explain::explain(explain::ExplainArgs {
            scenario: &scenario,
            replication,
            seed,
            horizon: horizon.as_deref(),
            emit: emit_scenario.as_deref(),
        }),
        Command::Compare { study, strategies } => compare::compare(study, strategies.as_deref()),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Validate { files } => validate::validate(&files),
        Command::Schema => schema::schema(),
        Command::Merge {
            parts,
            json,
            checks,
            strict_checks,
        } => merge::merge(&parts, json.as_deref(), &checks, strict_checks),
        Command::Plan {
            risk_file,
            json,
            emit_scenario,
        } => plan::plan(&risk_file, json.as_deref(), emit_scenario.as_deref()),
        Command::Recommend(args) => recommend::recommend(args),
        Command::Solve(args) => solve::solve(args),
        Command::ValidateModel { dir, out, threads } => {
            validate_model::validate_model(&dir, &out, threads)
        }
        Command::Completions { shell } => completions::completions(shell),
        Command::Man { dir } => completions::man(dir.as_deref()),
    }
}

impl From<OutputError> for CliError {
    /// An output that could not be written is bad input (a path), except a trace cut
    /// short by Ctrl-C, which is an interruption.
    fn from(error: OutputError) -> Self {
        match error {
            OutputError::ReplayStopped {
                stopped: Stopped::Interrupted,
                ..
            } => CliError::Interrupted(error.to_string()),
            _ => bad(error),
        }
    }
}

fn parse_checks(texts: &[String]) -> Result<Vec<Check>, CliError> {
    texts.iter().map(|t| Check::parse(t).map_err(bad)).collect()
}

/// Refuses, before any work, checks given by `flag` that name a service or a fault kind
/// `scenario` does not have (DESIGN §7: service names in checks are verified before the
/// run).
fn check_services(
    flag: &str,
    checks: &[Check],
    scenario: &CompiledScenario,
) -> Result<(), CliError> {
    let system = scenario.system.as_ref().map(|_| SYSTEM_SCOPE);
    let names = scenario
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain(system);
    let kinds = scenario.fault_kinds();
    refuse(
        flag,
        checks
            .iter()
            .filter_map(|check| check.out_of_scope(names.clone(), &kinds)),
    )
}

/// Refuses checks given by `flag` that name a service not among `names`.
fn check_service_names<'a>(
    flag: &str,
    checks: &[Check],
    names: impl Iterator<Item = &'a str> + Clone,
) -> Result<(), CliError> {
    refuse(
        flag,
        checks
            .iter()
            .filter_map(|check| check.unknown_service(names.clone())),
    )
}

/// Every reason a check given by `flag` cannot apply, one per line; Ok when none.
fn refuse(flag: &str, errors: impl Iterator<Item = CheckError>) -> Result<(), CliError> {
    let lines: Vec<String> = errors.map(|error| format!("{flag}: {error}")).collect();
    if lines.is_empty() {
        Ok(())
    } else {
        Err(bad(lines.join("\n")))
    }
}

/// Prints to standard output; a reader that went away is not an error (see
/// [`write_output`]).
fn print(text: &str) -> Result<(), CliError> {
    write_output(Path::new("-"), text.as_bytes()).map_err(|e| bad(format!("stdout: {e}")))
}

/// The error for work stopped before its end: Ctrl-C exits 130, an exhausted budget 2.
fn stopped_early(stopped: Stopped, message: String) -> CliError {
    if stopped == Stopped::Interrupted {
        CliError::Interrupted(message)
    } else {
        bad(message)
    }
}

/// Ctrl-C before or during the re-run of the shown replication: without `--partial`
/// nothing is written (exit 130); with it, the results are written without the views of
/// that replication, whose previous files are left as they were.
fn check_replays(replays: &crate::output::Replays, partial: bool) -> Result<(), CliError> {
    if !replays.interrupted {
        return Ok(());
    }
    let message = format!(
        "{} came before or during the re-run of replication {} for --trace, --timeline or the timeline figure",
        interrupt::signal_name(),
        replays.replication
    );
    if !partial {
        return Err(CliError::Interrupted(format!(
            "{message}; nothing was written (use --partial to keep the results)"
        )));
    }
    say!(
        "{message}; writing the results without that replication's trace and timelines (--partial)"
    );
    Ok(())
}

/// A partial result (`--partial`) was written: it still ends with the stop's exit code
/// (130/143 after a signal, 2 after a budget), so that no script takes it for complete;
/// its JSON says `"complete": false`.
fn partial_end(stopped: Option<Stopped>, summary: &Summary) -> Option<CliError> {
    stopped.map(|stopped| {
        stopped_early(
            stopped,
            format!(
                "partial result written: {} of {} replications ({stopped}; --partial)",
                summary.replications, summary.replications_requested
            ),
        )
    })
}

/// Refuses up front work that the scenario file's own estimate did not cover: `runs`
/// studies of `replications` replications each, for the reason `context` gives.
fn check_work(
    file: &Path,
    scenario: &CompiledScenario,
    replications: u64,
    runs: u64,
    context: &str,
) -> Result<(), CliError> {
    let shares = scenario.work_estimate();
    let problem = crate::compile::work_problem(&shares, replications.saturating_mul(runs));
    match problem {
        Some(problem) => Err(bad(format!(
            "{}: {}: {context}, {}",
            file.display(),
            problem.path,
            problem.message
        ))),
        None => Ok(()),
    }
}

/// Refuses up front a `--csv` that would write more rows to `replications.csv` than
/// [`MAX_CSV_ROWS`](crate::compile::MAX_CSV_ROWS), at `replications` in the file (or at
/// `--replications` when the flag set them). Only rows written count: the study itself
/// keeps none.
fn check_csv_rows(
    file: &Path,
    scenario: &CompiledScenario,
    from_flag: bool,
) -> Result<(), CliError> {
    use crate::compile::{rows_problem, RowsKept};
    let Some(problem) = rows_problem(
        scenario.services.len(),
        scenario.replications,
        RowsKept::OnDisk,
    ) else {
        return Ok(());
    };
    if from_flag {
        return Err(bad(format!(
            "{}: --replications with --csv: {}",
            file.display(),
            problem.message
        )));
    }
    let (line, column) = crate::compile::locate_in_file(file, &problem.path);
    Err(bad(format!(
        "{}:{line}:{column}: at {}: {}",
        file.display(),
        problem.path,
        problem.message
    )))
}

/// Refuses a `--threads` that [`run_study`](crate::run::run_study) would refuse, before
/// any scenario is loaded or run.
fn check_threads(threads: Option<usize>) -> Result<(), CliError> {
    use crate::run::MAX_THREADS;
    match threads {
        Some(n) if n == 0 || n > MAX_THREADS => Err(bad(format!(
            "--threads must be between 1 and {MAX_THREADS}"
        ))),
        _ => Ok(()),
    }
}

/// One replication has no spread to estimate: the intervals printed collapse to the mean.
fn warn_if_single(replications: u64) {
    if replications == 1 {
        say!(
            "note: one replication gives no confidence interval (the bounds shown equal the mean); \
             use --replications 2 or more"
        );
    }
}

/// A study of many services keeps each duration histogram within a cap, so that its
/// memory stays flat in replications; where one collapsed, its percentiles are coarser
/// than the stated 0.05 %, and the user is told how much.
fn note_coarse_percentiles(study: &crate::report::Study) {
    if let Some(coarse) = study.coarsened() {
        say!(
            "note: percentiles of {} of {} services are within {}% (not 0.05%): with this many \
             services each duration histogram keeps at most {} buckets, merging neighbours \
             as it fills, so that memory stays flat in replications",
            coarse.services,
            study.services.len() + usize::from(study.system.is_some()),
            0.05 * f64::from(1u32 << coarse.level),
            coarse.cap
        );
    }
}

/// A scenario warning as `validate` and `run` print it: where, then what.
fn warning_line(file: &Path, warning: &crate::scenarios::error::Diagnostic) -> String {
    format!(
        "{}:{}:{}: warning: at {}: {}",
        file.display(),
        warning.line,
        warning.column,
        warning.path,
        warning.message
    )
}

fn out_err(path: &Path, error: impl std::fmt::Display) -> CliError {
    bad(format!("{}: {error}", path.display()))
}

/// Prints every verdict; a failed check exits 1, an inconclusive one warns, or exits 1
/// with `strict` (`--strict-checks`).
fn evaluate_checks(checks: &[Check], summaries: &[Summary], strict: bool) -> Result<(), CliError> {
    let (mut failed, mut inconclusive) = (0, 0);
    for check in checks {
        for summary in summaries {
            for verdict in check.evaluate(summary).map_err(bad)? {
                say!("{verdict}");
                match verdict.outcome {
                    Outcome::Pass => {}
                    Outcome::Fail => failed += 1,
                    Outcome::Inconclusive => inconclusive += 1,
                }
            }
        }
    }
    if failed > 0 {
        Err(CliError::ChecksFailed(failed))
    } else if inconclusive > 0 && strict {
        Err(CliError::ChecksInconclusive(inconclusive))
    } else {
        if inconclusive > 0 {
            say!(
                "warning: {inconclusive} check(s) inconclusive: the 95% CI straddles the bound; \
                 more replications, or --precision, may decide (--strict-checks makes this exit 1)"
            );
        }
        Ok(())
    }
}

/// The one line that says how a `--precision` study stopped; `of` says what the
/// half-width is relative to.
fn precision_line(precision: &PrecisionSummary, of: &str) -> String {
    let percent = |x: f64| {
        let text = format!("{:.3}", x * 100.0);
        format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
    };
    let target = percent(precision.target);
    let reached = match precision.reached {
        Some(r) => format!("95% CI half-width {} of {of}", percent(r)),
        None => "no unavailability observed, so no relative precision exists".to_string(),
    };
    let used = precision.replications_used;
    match precision.reached {
        _ if precision.stopped_by == "precision" => format!(
            "precision: {reached} (target {target}) after {used} replications (at most {})",
            precision.max_replications
        ),
        Some(r) if r <= precision.target => format!(
            "precision: {reached} (target {target}), but a check is still inconclusive after \
             {used} replications, the maximum (--max-replications)"
        ),
        _ => format!(
            "precision: target {target} not met after {used} replications, the maximum \
             (--max-replications): {reached}"
        ),
    }
}
