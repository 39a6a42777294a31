//! The command line (DESIGN §7): argument parsing and the commands, reporting every
//! error once, with exit code 0 ok, 1 a failed check, 2 bad input (130 after Ctrl-C).

use crate::checks::Check;
use crate::compare::{parse_strategies, variant, Comparison};
use crate::compile::{load_file, CompiledScenario};
use crate::core::duration::parse_duration;
use crate::output::atomic::{create_output_dir, write_output, AtomicFile};
use crate::output::csv::CsvExporter;
use crate::output::trace::JsonLinesTrace;
use crate::output::{plot, table, timeline};
use crate::report::{Study, Summary};
use crate::run::{run_study, RunOptions, Shard, Stopped};
use crate::sim::engine::Replication;
use crate::sim::faults::FaultRegistry;
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

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
        after_help = "Examples:\n  failsim run scenarios/quickstart.json\n  failsim run scenarios/quickstart.json --replications 1000 --json out.json --csv out/\n  failsim run scenarios/quickstart.json --check 'availability>=0.999'\n  failsim run scenarios/quickstart.json --shard 2/8 --json part2.json"
    )]
    Run {
        #[command(flatten)]
        study: StudyArgs,
        /// Run only shard I of N, e.g. 2/8; --json then writes the shard file for `merge`.
        #[arg(long)]
        shard: Option<String>,
    },
    /// Run the services under several strategies against the same faults, side by side.
    #[command(
        after_help = "Examples:\n  failsim compare scenarios/seed-defaults.json\n  failsim compare scenarios/seed-defaults.json --strategies active_passive,n_way --plot out/ --csv out/"
    )]
    Compare {
        #[command(flatten)]
        study: StudyArgs,
        /// Comma-separated strategies, the first is the baseline (default: all four).
        #[arg(long)]
        strategies: Option<String>,
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
        after_help = "Examples:\n  failsim recommend scenarios/recommend-example.json --slo 'availability>=0.9999' 'failover_time_p99<=30s'\n  failsim recommend scenarios/recommend-example.json --slo 'availability>=0.9999' --strategies active_passive,n_way --replicas 3..5 --json ranking.json\n\nExit code 1 when some service has no design that meets every SLO."
    )]
    Recommend(RecommendArgs),
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
        /// Checks to evaluate on the merged summary.
        #[arg(long = "check")]
        checks: Vec<String>,
    },
}

#[derive(Args, Debug)]
struct StudyArgs {
    /// Scenario file.
    scenario: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the number of replications.
    #[arg(long)]
    replications: Option<u64>,
    /// Override the horizon, e.g. 30d.
    #[arg(long)]
    horizon: Option<String>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Write the JSON summary here (`-` for stdout).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write failovers.csv and replications.csv into this directory.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write SVG figures (failover-time CDF, availability, timeline) into this directory.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Write one replication's events as JSON Lines (`-` for stdout).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Write one replication as a Chrome trace-event timeline for Perfetto (`-` for stdout).
    #[arg(long)]
    timeline: Option<PathBuf>,
    /// Which replication --trace, --timeline and the timeline figure show (default 0).
    #[arg(long, default_value_t = 0)]
    trace_replication: u64,
    /// A check such as availability>=0.9995 or api.failover_time_p99<=30s (repeatable).
    #[arg(long = "check")]
    checks: Vec<String>,
    /// Stop after this many simulated events in total.
    #[arg(long)]
    max_events: Option<u64>,
    /// Stop after this much wall-clock time, e.g. 10m.
    #[arg(long)]
    max_wall: Option<String>,
    /// When stopped early (budget or Ctrl-C), still write results for the completed replications.
    #[arg(long)]
    partial: bool,
}

#[derive(Args, Debug)]
struct RecommendArgs {
    /// Scenario file; its `cost` block prices replicas and regions.
    scenario: PathBuf,
    /// SLOs every candidate must meet, e.g. availability>=0.9995 (added to the scenario's `slo` block).
    #[arg(long, num_args = 1.., value_name = "EXPR")]
    slo: Vec<String>,
    /// Most replications per candidate (default: the scenario's); hopeless candidates stop sooner.
    #[arg(long, value_name = "N")]
    budget_replications: Option<u64>,
    /// Strategies to try, comma-separated, any case (default: all four).
    #[arg(long, value_name = "LIST")]
    strategies: Option<String>,
    /// Replica counts to try: a list such as 2,3,5 or a range such as 2..5 (default 2..5).
    #[arg(long, value_name = "LIST")]
    replicas: Option<String>,
    /// Failover modes to try, comma-separated (default: AUTOMATIC,SEMI_AUTOMATIC,MANUAL).
    #[arg(long, value_name = "LIST")]
    modes: Option<String>,
    /// Override the scenario's seed (every candidate shares it).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Write the ranking as JSON here (`-` for stdout).
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Errors at the command-line edge, each mapped to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: usage, scenario or output path problems, or an exhausted budget (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// One or more checks failed (exit 1); the verdicts were already printed.
    #[error("{0} check(s) failed")]
    ChecksFailed(usize),
    /// `recommend` found no design meeting every SLO for some services (exit 1).
    #[error("{0} service(s) have no design that meets every SLO")]
    NoDesign(usize),
    /// Ctrl-C stopped the run (exit 130, the shell convention).
    #[error("interrupted: {0}")]
    Interrupted(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) => 2,
            CliError::ChecksFailed(_) | CliError::NoDesign(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }
}

fn bad(message: impl std::fmt::Display) -> CliError {
    CliError::BadInput(message.to_string())
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

fn execute(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run { study, shard } => run(study, shard.as_deref()),
        Command::Compare { study, strategies } => compare(study, strategies.as_deref()),
        Command::Validate { files } => validate(&files),
        Command::Schema => {
            let schema = schemars::schema_for!(crate::scenarios::model::Scenario);
            print(&(serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"))
        }
        Command::Merge {
            parts,
            json,
            checks,
        } => merge(&parts, json.as_deref(), &checks),
        Command::Plan {
            risk_file,
            json,
            emit_scenario,
        } => plan(&risk_file, json.as_deref(), emit_scenario.as_deref()),
        Command::Recommend(args) => recommend(args),
        Command::ValidateModel { dir, out, threads } => validate_model(&dir, &out, threads),
    }
}

fn validate_model(dir: &Path, out: &Path, threads: Option<usize>) -> Result<(), CliError> {
    check_threads(threads)?;
    let started = Instant::now();
    let report = crate::validation::run(dir, threads).map_err(bad)?;
    write_output(out, report.to_markdown().as_bytes()).map_err(|e| out_err(out, e))?;
    if out != Path::new("-") {
        print(&report.table())?;
    }
    eprintln!(
        "{} validation cases in {:.3}s",
        report.cases.len(),
        started.elapsed().as_secs_f64()
    );
    match report.failures() {
        0 => Ok(()),
        failed => Err(CliError::ChecksFailed(failed)),
    }
}

fn plan(risk_file: &Path, json: Option<&Path>, emit: Option<&Path>) -> Result<(), CliError> {
    if json == Some(Path::new("-")) && emit == Some(Path::new("-")) {
        return Err(bad(
            "--json and --emit-scenario: only one of them can write to standard output (`-`)",
        ));
    }
    let risk = crate::plan::load_file(risk_file).map_err(bad)?;
    let name = risk_file
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let plan = crate::plan::plan(&risk, &name);
    if let Some(path) = emit {
        let text = crate::plan::emit_scenario_text(&plan, path).map_err(|e| {
            bad(format!(
                "the emitted scenario does not validate, which is a bug in failsim; please report it:\n{e}"
            ))
        })?;
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
        eprintln!(
            "wrote the plan's scenario ({} services) to {path}; simulate it with `failsim run {path}`",
            plan.nodes.len(),
            path = path.display()
        );
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&plan).expect("plan serializes") + "\n";
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
    }
    if json != Some(Path::new("-")) && emit != Some(Path::new("-")) {
        print(&crate::plan::render_table(&plan))?;
    }
    Ok(())
}

fn recommend(args: RecommendArgs) -> Result<(), CliError> {
    use crate::recommend::{parse_modes, parse_replica_counts, parse_strategies};
    let mut scenario = load_file(&args.scenario).map_err(bad)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    check_threads(args.threads)?;
    if let Some(budget) = args.budget_replications {
        if budget == 0 || budget > crate::compile::MAX_REPLICATIONS {
            return Err(bad(format!(
                "--budget-replications must be between 1 and {}",
                crate::compile::MAX_REPLICATIONS
            )));
        }
    }
    let mut checks = parse_checks(&args.slo)?;
    checks.extend(parse_checks(&scenario.slo)?);
    let mut space = crate::recommend::SearchSpace::default();
    if let Some(list) = &args.strategies {
        space.strategies = parse_strategies(list).map_err(|e| bad(format!("--strategies: {e}")))?;
    }
    if let Some(list) = &args.replicas {
        space.replica_counts =
            parse_replica_counts(list).map_err(|e| bad(format!("--replicas: {e}")))?;
    }
    if let Some(list) = &args.modes {
        space.modes = parse_modes(list).map_err(|e| bad(format!("--modes: {e}")))?;
    }
    // Every candidate runs the budget against the scenario's faults: estimate that work
    // up front, as `run` does for its overrides, rather than start a search of centuries.
    let candidates = (space.strategies.len() * space.replica_counts.len() * space.modes.len())
        as u64
        * scenario.services.len() as u64;
    let budget = args.budget_replications.unwrap_or(scenario.replications);
    check_work(
        &args.scenario,
        &scenario,
        budget,
        candidates,
        &format!(
            "with {candidates} candidates × {budget} replications each (narrow --strategies, \
             --replicas, --modes or --budget-replications)"
        ),
    )?;
    let options = crate::recommend::Options {
        space,
        budget_replications: args.budget_replications,
        threads: args.threads,
    };
    let started = Instant::now();
    let result = crate::recommend::recommend(&scenario, &checks, &options).map_err(bad)?;
    let json = args.json.as_deref();
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&result).expect("ranking serializes") + "\n";
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
    }
    if json != Some(Path::new("-")) {
        print(&crate::recommend::render_table(&result))?;
    }
    let simulated: usize = result
        .services
        .iter()
        .flat_map(|s| &s.candidates)
        .filter(|c| c.replications > 0)
        .count();
    eprintln!(
        "{simulated} candidates simulated in {:.3}s",
        started.elapsed().as_secs_f64()
    );
    match result
        .services
        .iter()
        .filter(|s| s.recommended.is_none())
        .count()
    {
        0 => Ok(()),
        unmet => Err(CliError::NoDesign(unmet)),
    }
}

fn validate(files: &[PathBuf]) -> Result<(), CliError> {
    let mut failures = Vec::new();
    for file in files {
        match load_file(file) {
            Ok(scenario) => print(&format!(
                "{}: ok ({} nodes, {} services, {} replications)\n",
                file.display(),
                scenario.topology.len(),
                scenario.services.len(),
                scenario.replications
            ))?,
            Err(error) => failures.push(error.to_string()),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(bad(failures.join("\n")))
    }
}

fn parse_checks(texts: &[String]) -> Result<Vec<Check>, CliError> {
    texts.iter().map(|t| Check::parse(t).map_err(bad)).collect()
}

impl StudyArgs {
    /// How many file outputs (`--json`, `--trace`, `--timeline`) go to standard output.
    fn outputs_on_stdout(&self) -> usize {
        [&self.json, &self.trace, &self.timeline]
            .into_iter()
            .filter(|path| path.as_deref() == Some(Path::new("-")))
            .count()
    }

    /// Whether a file output goes to standard output, which then carries nothing else.
    fn stdout_is_taken(&self) -> bool {
        self.outputs_on_stdout() > 0
    }
}

/// A loaded scenario with the command-line overrides applied, and how to run it.
struct Prepared {
    scenario: CompiledScenario,
    options: RunOptions,
    checks: Vec<Check>,
}

fn prepare(args: &StudyArgs) -> Result<Prepared, CliError> {
    if args.outputs_on_stdout() > 1 {
        return Err(bad(
            "--json, --trace and --timeline: only one of them can write to standard output (`-`)",
        ));
    }
    let mut scenario = load_file(&args.scenario).map_err(bad)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(replications) = args.replications {
        let limit = crate::compile::MAX_REPLICATIONS;
        if replications == 0 || replications > limit {
            return Err(bad(format!("--replications must be between 1 and {limit}")));
        }
        scenario.replications = replications;
    }
    if let Some(horizon) = &args.horizon {
        let horizon = parse_duration(horizon).map_err(|e| bad(format!("--horizon: {e}")))?;
        if horizon.nanos() == 0 {
            return Err(bad("--horizon must be longer than zero"));
        }
        scenario.horizon = horizon.nanos();
    }
    check_threads(args.threads)?;
    if args.replications.is_some() || args.horizon.is_some() {
        // The overrides can ask for far more work than the file did: estimate it again.
        check_work(
            &args.scenario,
            &scenario,
            scenario.replications,
            1,
            "with the command-line overrides",
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
        .map(|text| parse_duration(text).map_err(|e| bad(format!("--max-wall: {e}"))))
        .transpose()?
        .map(|d| std::time::Duration::from_nanos(d.nanos()));
    let mut checks = parse_checks(&args.checks)?;
    checks.extend(parse_checks(&scenario.slo)?);
    Ok(Prepared {
        scenario,
        options: RunOptions {
            threads: args.threads,
            shard: None,
            max_events: args.max_events,
            max_wall,
            interrupt: Some(interrupt_flag()),
            keep_records: args.csv.is_some(),
        },
        checks,
    })
}

/// Raised by the first Ctrl-C; a second one ends the process at once.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    // A handler may already be installed (compare runs several studies): keep the first.
    let _ = ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    flag
}

fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} replications  {per_sec}  ETA {eta}",
        )
        .expect("valid progress template"),
    );
    Some(bar)
}

/// Prints to standard output; a reader that went away is not an error (see
/// [`write_output`]).
fn print(text: &str) -> Result<(), CliError> {
    write_output(Path::new("-"), text.as_bytes()).map_err(|e| bad(format!("stdout: {e}")))
}

/// Why work stopped before its end, in words.
fn stop_reason(stopped: Stopped) -> &'static str {
    match stopped {
        Stopped::Interrupted => "Ctrl-C",
        Stopped::EventBudget => "the --max-events budget ran out",
        Stopped::WallBudget => "the --max-wall budget ran out",
    }
}

/// The error for work stopped before its end: Ctrl-C exits 130, an exhausted budget 2.
fn stopped_early(stopped: Stopped, message: String) -> CliError {
    if stopped == Stopped::Interrupted {
        CliError::Interrupted(message)
    } else {
        bad(message)
    }
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
    use crate::compile::{work_estimate, work_problem};
    let shares = work_estimate(&scenario.faults, &scenario.services, scenario.horizon);
    match work_problem(&shares, replications.saturating_mul(runs)) {
        Some(problem) => Err(bad(format!(
            "{}: {}: {context}, {}",
            file.display(),
            problem.path,
            problem.message
        ))),
        None => Ok(()),
    }
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
        eprintln!(
            "note: one replication gives no confidence interval (the bounds shown equal the mean); \
             use --replications 2 or more"
        );
    }
}

fn out_err(path: &Path, error: impl std::fmt::Display) -> CliError {
    bad(format!("{}: {error}", path.display()))
}

/// Runs one study, streaming CSV rows; handles budgets and interruption. Returns the
/// study and the number of events its replications processed.
fn study(
    prepared: &Prepared,
    csv: &mut Option<CsvExporter>,
    partial: bool,
    scenario: &CompiledScenario,
) -> Result<(Study, u64), CliError> {
    let bar = progress_bar(prepared.options.shard.map_or(scenario.replications, |s| {
        s.range(scenario.replications).count() as u64
    }));
    let mut csv_error = None;
    let run = run_study(
        scenario,
        &prepared.options,
        |outcome| {
            if let Some(exporter) = csv.as_mut() {
                if let Err(e) = exporter.add(outcome, scenario) {
                    csv_error.get_or_insert(e);
                }
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
    if let Some(e) = csv_error {
        return Err(bad(format!("writing CSV: {e}")));
    }
    if let Some(stopped) = run.stopped {
        let done = run.study.services.first().map_or(0, |s| s.rows.len());
        let message = format!(
            "stopped after {done} complete replications: {}",
            stop_reason(stopped)
        );
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
        eprintln!("{message}; writing the partial result (--partial)");
    }
    Ok((run.study, run.events))
}

fn run(args: StudyArgs, shard: Option<&str>) -> Result<(), CliError> {
    let mut prepared = prepare(&args)?;
    prepared.options.shard = shard.map(Shard::parse).transpose().map_err(bad)?;
    let scenario = prepared.scenario.clone();
    let started = Instant::now();
    let mut csv = args
        .csv
        .as_ref()
        .map(|dir| CsvExporter::create(dir, &scenario).map_err(|e| out_err(dir, e)))
        .transpose()?;
    let (study, events) = study(&prepared, &mut csv, args.partial, &scenario)?;
    let elapsed = started.elapsed();
    if let Some(mut exporter) = csv {
        let dir = args.csv.as_deref().unwrap_or(Path::new("."));
        exporter.add_study(&study).map_err(|e| out_err(dir, e))?;
        exporter.finish().map_err(|e| out_err(dir, e))?;
    }
    write_replication_views(&args, &scenario, &prepared.options)?;
    if let Some(shard) = prepared.options.shard {
        if let Some(path) = &args.json {
            let text = serde_json::to_string(&study).expect("study serializes") + "\n";
            write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
        }
        eprintln!(
            "shard {}/{} done: {} replications, {events} events in {:.2}s",
            shard.index,
            shard.count,
            study.services.first().map_or(0, |s| s.rows.len()),
            elapsed.as_secs_f64()
        );
        return Ok(());
    }
    let summary = Summary::new(&study);
    if let Some(dir) = &args.plot {
        create_output_dir(dir).map_err(|e| out_err(dir, e))?;
        let curves: Vec<(String, &crate::stats::DurationHistogram)> = study
            .services
            .iter()
            .map(|s| (format!("{} {}", s.service, s.strategy), &s.failover_time))
            .collect();
        write_plots(
            dir,
            &curves,
            std::slice::from_ref(&summary),
            &[(&scenario, String::new())],
            args.trace_replication,
        )?;
    }
    warn_if_single(summary.replications);
    eprintln!(
        "{} replications, {events} events in {:.3}s ({:.1} M events/s)",
        summary.replications,
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
    );
    report(
        &summary,
        args.json.as_deref(),
        args.stdout_is_taken(),
        &prepared.checks,
    )
}

/// Writes `--trace` and `--timeline` for replication `--trace-replication`. The trace is
/// streamed to its file; it obeys Ctrl-C and `--max-events` like the study, and an
/// incomplete trace is kept only with `--partial`.
fn write_replication_views(
    args: &StudyArgs,
    scenario: &CompiledScenario,
    options: &RunOptions,
) -> Result<(), CliError> {
    let replication = args.trace_replication;
    if let Some(path) = &args.trace {
        let registry = FaultRegistry::new(&scenario.faults);
        let file = AtomicFile::create(path).map_err(|e| out_err(path, e))?;
        let mut sink = JsonLinesTrace::new(scenario, file);
        let outcome = Replication::new(scenario, &registry, replication, Some(&mut sink))
            .run_within(
                options.max_events.unwrap_or(u64::MAX),
                options.interrupt.as_deref(),
            );
        let file = sink.finish().map_err(|e| out_err(path, e))?;
        if !outcome.complete {
            let stopped = if options
                .interrupt
                .as_deref()
                .is_some_and(|flag| flag.load(Ordering::Relaxed))
            {
                Stopped::Interrupted
            } else {
                Stopped::EventBudget
            };
            let message = format!(
                "{}: the trace of replication {replication} stopped after {} events: {}",
                path.display(),
                outcome.events,
                stop_reason(stopped)
            );
            if !args.partial {
                return Err(stopped_early(
                    stopped,
                    format!("{message}; it was not written (use --partial to keep it)"),
                ));
            }
            eprintln!("{message}; writing it as it is (--partial)");
        }
        file.commit().map_err(|e| out_err(path, e))?;
    }
    if let Some(path) = &args.timeline {
        let recorded = timeline::record(scenario, replication);
        let mut file = AtomicFile::create(path).map_err(|e| out_err(path, e))?;
        recorded
            .write_chrome_trace(&mut file)
            .and_then(|()| file.commit())
            .map_err(|e| out_err(path, e))?;
        if recorded.is_truncated() {
            eprintln!(
                "{}: the timeline holds the first {} bars, up to {:.0}s of the {:.0}s horizon",
                path.display(),
                timeline::MAX_SPANS,
                recorded.recorded_until_s,
                recorded.horizon_s
            );
        }
    }
    Ok(())
}

fn write_plots(
    dir: &Path,
    curves: &[(String, &crate::stats::DurationHistogram)],
    summaries: &[Summary],
    scenarios: &[(&CompiledScenario, String)],
    replication: u64,
) -> Result<(), CliError> {
    let plot_err = |name: &str, e: Box<dyn std::error::Error>| {
        bad(format!("{}: {e}", dir.join(name).display()))
    };
    plot::failover_cdf(curves, &dir.join("failover-time-cdf.svg"))
        .map_err(|e| plot_err("failover-time-cdf.svg", e))?;
    plot::availability_bars(summaries, &dir.join("availability.svg"))
        .map_err(|e| plot_err("availability.svg", e))?;
    for (scenario, suffix) in scenarios {
        let name = format!("timeline{suffix}.svg");
        let recorded = timeline::record(scenario, replication);
        let title = format!(
            "{} — replication {replication}{}",
            scenario.name,
            suffix.replace('-', " ")
        );
        plot::timeline(&recorded, &title, &dir.join(&name)).map_err(|e| plot_err(&name, e))?;
    }
    Ok(())
}

/// Writes the summary where `--json` says, prints the table unless standard output
/// carries a file output, and evaluates the checks.
fn report(
    summary: &Summary,
    json: Option<&Path>,
    stdout_is_taken: bool,
    checks: &[Check],
) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(summary).expect("summary serializes") + "\n";
    if let Some(path) = json {
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
    }
    if !stdout_is_taken {
        print(&table::render(summary))?;
    }
    evaluate_checks(checks, std::slice::from_ref(summary))
}

fn evaluate_checks(checks: &[Check], summaries: &[Summary]) -> Result<(), CliError> {
    let mut failed = 0;
    for check in checks {
        for summary in summaries {
            for verdict in check.evaluate(summary).map_err(bad)? {
                eprintln!("{verdict}");
                failed += usize::from(!verdict.passed);
            }
        }
    }
    if failed > 0 {
        Err(CliError::ChecksFailed(failed))
    } else {
        Ok(())
    }
}

fn compare(args: StudyArgs, strategies: Option<&str>) -> Result<(), CliError> {
    let prepared = prepare(&args)?;
    let strategies = match strategies {
        Some(list) => parse_strategies(list).map_err(bad)?,
        None => crate::scenarios::model::StrategyName::ALL.to_vec(),
    };
    check_work(
        &args.scenario,
        &prepared.scenario,
        prepared.scenario.replications,
        strategies.len() as u64,
        &format!("with {} strategies", strategies.len()),
    )?;
    let started = Instant::now();
    let variants: Vec<CompiledScenario> = strategies
        .iter()
        .map(|&strategy| {
            variant(&prepared.scenario, strategy).map_err(|problems| {
                let lines: Vec<String> = problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: with every service {}: at {}: {}",
                            args.scenario.display(),
                            strategy.as_str(),
                            p.path,
                            p.message
                        )
                    })
                    .collect();
                bad(lines.join("\n"))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut csv = args
        .csv
        .as_ref()
        .map(|dir| CsvExporter::create(dir, &prepared.scenario).map_err(|e| out_err(dir, e)))
        .transpose()?;
    let mut studies = Vec::new();
    let mut events = 0;
    for scenario in &variants {
        let (study, study_events) = study(&prepared, &mut csv, args.partial, scenario)?;
        studies.push(study);
        events += study_events;
    }
    if let Some(mut exporter) = csv {
        let dir = args.csv.as_deref().unwrap_or(Path::new("."));
        for study in &studies {
            exporter.add_study(study).map_err(|e| out_err(dir, e))?;
        }
        exporter.finish().map_err(|e| out_err(dir, e))?;
    }
    let comparison = Comparison::new(&studies);
    warn_if_single(comparison.replications);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&comparison).expect("comparison serializes") + "\n";
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
    }
    if let Some(dir) = &args.plot {
        create_output_dir(dir).map_err(|e| out_err(dir, e))?;
        let curves: Vec<(String, &crate::stats::DurationHistogram)> = studies
            .iter()
            .flat_map(|study| {
                study
                    .services
                    .iter()
                    .map(|s| (format!("{} {}", s.service, s.strategy), &s.failover_time))
            })
            .collect();
        let timelines: Vec<(&CompiledScenario, String)> = variants
            .iter()
            .zip(&strategies)
            .map(|(v, s)| (v, format!("-{}", s.as_str().to_ascii_lowercase())))
            .collect();
        write_plots(
            dir,
            &curves,
            &comparison.strategies,
            &timelines,
            args.trace_replication,
        )?;
    }
    write_replication_views(&args, &prepared.scenario, &prepared.options)?;
    if !args.stdout_is_taken() {
        print(&table::render_comparison(&comparison))?;
    }
    eprintln!(
        "{} strategies × {} replications, {events} events in {:.3}s",
        strategies.len(),
        comparison.replications,
        started.elapsed().as_secs_f64()
    );
    evaluate_checks(&prepared.checks, &comparison.strategies)
}

fn merge(parts: &[PathBuf], json: Option<&Path>, checks: &[String]) -> Result<(), CliError> {
    let checks = parse_checks(checks)?;
    let mut studies = Vec::new();
    for part in parts {
        let text = std::fs::read_to_string(part).map_err(|e| out_err(part, e))?;
        let study: Study = serde_json::from_str(&text)
            .map_err(|e| bad(format!("{}: not a shard file: {e}", part.display())))?;
        studies.push(study);
    }
    let merged = Study::merge(studies).map_err(bad)?;
    let expected = merged.replications;
    let have = merged.services.first().map_or(0, |s| s.rows.len() as u64);
    if have != expected {
        return Err(bad(format!(
            "the shards hold {have} of the run's {expected} replications: is one missing?"
        )));
    }
    let stdout_is_taken = json == Some(Path::new("-"));
    report(&Summary::new(&merged), json, stdout_is_taken, &checks)
}
