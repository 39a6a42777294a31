//! The command line (DESIGN §7): argument parsing and the commands, reporting every
//! error once, with exit code 0 ok, 1 a failed check, 2 bad input.

use crate::checks::{Check, Verdict};
use crate::output::atomic::write_output;
use crate::output::csv::CsvExporter;
use crate::output::table;
use crate::output::trace::JsonLinesTrace;
use crate::report::{Study, Summary};
use crate::run::{run_study, RunOptions, Shard};
use crate::scenarios::duration::parse_duration;
use crate::scenarios::{load_file, CompiledScenario};
use crate::sim::engine::Replication;
use crate::sim::faults::FaultRegistry;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
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
        after_help = "Examples:\n  failsim run scenarios/quickstart.json\n  failsim run scenarios/quickstart.json --replications 1000 --json out.json --csv out/\n  failsim run scenarios/quickstart.json --check 'availability>=0.999'"
    )]
    Run(RunArgs),
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
struct RunArgs {
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
    /// Write the JSON summary here (`-` for stdout). With --shard, writes the shard file for `merge`.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write failovers.csv and replications.csv into this directory.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write one replication's events as JSON Lines.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Which replication --trace records (default 0).
    #[arg(long, default_value_t = 0)]
    trace_replication: u64,
    /// A check such as availability>=0.9995 or api.failover_time_p99<=30s (repeatable).
    #[arg(long = "check")]
    checks: Vec<String>,
    /// Run only shard I of N, e.g. 2/8.
    #[arg(long)]
    shard: Option<String>,
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
    /// Bad input: usage, scenario or output path problems (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// One or more checks failed (exit 1); the verdicts were already printed.
    #[error("{0} check(s) failed")]
    ChecksFailed(usize),
    /// `recommend` found no design meeting every SLO for some services (exit 1).
    #[error("{0} service(s) have no design that meets every SLO")]
    NoDesign(usize),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) => 2,
            CliError::ChecksFailed(_) | CliError::NoDesign(_) => 1,
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
        Command::Run(args) => run(args),
        Command::Validate { files } => validate(&files),
        Command::Schema => {
            let schema = schemars::schema_for!(crate::scenarios::model::Scenario);
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).expect("schema serializes")
            );
            Ok(())
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
    }
}

fn plan(risk_file: &Path, json: Option<&Path>, emit: Option<&Path>) -> Result<(), CliError> {
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
        write_output(path, text.as_bytes()).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        eprintln!(
            "wrote the plan's scenario ({} services) to {path}; simulate it with `failsim run {path}`",
            plan.nodes.len(),
            path = path.display()
        );
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&plan).expect("plan serializes") + "\n";
        write_output(path, text.as_bytes()).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    }
    if json != Some(Path::new("-")) && emit != Some(Path::new("-")) {
        print!("{}", crate::plan::render_table(&plan));
    }
    Ok(())
}

fn recommend(args: RecommendArgs) -> Result<(), CliError> {
    use crate::recommend::{parse_modes, parse_replica_counts, parse_strategies};
    let mut scenario = crate::recommend::load_file(&args.scenario).map_err(bad)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if args.threads == Some(0) {
        return Err(bad("--threads must be at least 1"));
    }
    if let Some(budget) = args.budget_replications {
        if budget == 0 || budget > crate::scenarios::compile::MAX_REPLICATIONS {
            return Err(bad(format!(
                "--budget-replications must be between 1 and {}",
                crate::scenarios::compile::MAX_REPLICATIONS
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
        write_output(path, text.as_bytes()).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    }
    if json != Some(Path::new("-")) {
        print!("{}", crate::recommend::render_table(&result));
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
            Ok(scenario) => println!(
                "{}: ok ({} nodes, {} services, {} replications)",
                file.display(),
                scenario.topology.len(),
                scenario.services.len(),
                scenario.replications
            ),
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

fn apply_overrides(scenario: &mut CompiledScenario, args: &RunArgs) -> Result<(), CliError> {
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(replications) = args.replications {
        if replications == 0 || replications > crate::scenarios::compile::MAX_REPLICATIONS {
            return Err(bad(format!(
                "--replications must be between 1 and {}",
                crate::scenarios::compile::MAX_REPLICATIONS
            )));
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
    Ok(())
}

fn run(args: RunArgs) -> Result<(), CliError> {
    let mut scenario = load_file(&args.scenario).map_err(bad)?;
    apply_overrides(&mut scenario, &args)?;
    let mut checks = parse_checks(&args.checks)?;
    checks.extend(parse_checks(&scenario.slo)?);
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(bad)?;
    if args.threads == Some(0) {
        return Err(bad("--threads must be at least 1"));
    }
    if args.trace.is_some() && args.trace_replication >= scenario.replications {
        return Err(bad(format!(
            "--trace-replication {} is beyond the {} replications",
            args.trace_replication, scenario.replications
        )));
    }
    let options = RunOptions {
        threads: args.threads,
        shard,
    };
    let started = Instant::now();
    let mut csv = match &args.csv {
        Some(dir) => Some(
            CsvExporter::create(dir, &scenario)
                .map_err(|e| bad(format!("{}: {e}", dir.display())))?,
        ),
        None => None,
    };
    let mut csv_error = None;
    let mut partial = Study::new(
        &scenario.name,
        scenario.seed,
        scenario.replications,
        scenario.horizon,
        Vec::new(),
    );
    let study = run_study(
        &scenario,
        &options,
        |outcome| {
            if let Some(exporter) = csv.as_mut() {
                partial.services = scenario
                    .services
                    .iter()
                    .map(|s| crate::report::ServiceStudy {
                        service: s.name.clone(),
                        strategy: s.strategy.as_str().into(),
                        ..Default::default()
                    })
                    .collect();
                if let Err(e) = exporter.add(outcome, &partial) {
                    csv_error.get_or_insert(e);
                }
            }
        },
        |_| {},
    )
    .map_err(bad)?;
    let elapsed = started.elapsed();
    if let Some(e) = csv_error {
        return Err(bad(format!("writing CSV: {e}")));
    }
    if let Some(exporter) = csv {
        exporter
            .finish(&study)
            .map_err(|e| bad(format!("writing CSV: {e}")))?;
    }
    if let Some(path) = &args.trace {
        write_trace(&scenario, args.trace_replication, path)?;
    }
    if shard.is_some() {
        if let Some(path) = &args.json {
            let text = serde_json::to_string(&study).expect("study serializes") + "\n";
            write_output(path, text.as_bytes())
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
        }
        eprintln!(
            "shard {} done: {} replications in {:.2}s",
            args.shard.unwrap_or_default(),
            study.services.first().map_or(0, |s| s.rows.len()),
            elapsed.as_secs_f64()
        );
        return Ok(());
    }
    report(&study, args.json.as_deref(), &checks, Some(elapsed))
}

fn write_trace(scenario: &CompiledScenario, replication: u64, path: &Path) -> Result<(), CliError> {
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = JsonLinesTrace::new(scenario);
    Replication::new(scenario, &registry, replication, Some(&mut sink)).run();
    write_output(path, sink.text.as_bytes()).map_err(|e| bad(format!("{}: {e}", path.display())))
}

fn report(
    study: &Study,
    json: Option<&Path>,
    checks: &[Check],
    elapsed: Option<std::time::Duration>,
) -> Result<(), CliError> {
    let summary = Summary::new(study);
    let text = serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n";
    if let Some(path) = json {
        write_output(path, text.as_bytes()).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    }
    if json != Some(Path::new("-")) {
        print!("{}", table::render(&summary));
    }
    if let Some(elapsed) = elapsed {
        eprintln!(
            "{} replications in {:.3}s",
            summary.replications,
            elapsed.as_secs_f64()
        );
    }
    let mut failed = 0;
    for check in checks {
        for verdict in check.evaluate(&summary).map_err(bad)? {
            print_verdict(&verdict);
            failed += usize::from(!verdict.passed);
        }
    }
    if failed > 0 {
        Err(CliError::ChecksFailed(failed))
    } else {
        Ok(())
    }
}

fn print_verdict(verdict: &Verdict) {
    eprintln!("{verdict}");
}

fn merge(parts: &[PathBuf], json: Option<&Path>, checks: &[String]) -> Result<(), CliError> {
    let checks = parse_checks(checks)?;
    let mut studies = Vec::new();
    for part in parts {
        let text =
            std::fs::read_to_string(part).map_err(|e| bad(format!("{}: {e}", part.display())))?;
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
    report(&merged, json, &checks, None)
}
