//! `failsim recommend`: search designs per service and rank those that meet the SLOs.

use super::diagnostics::scenario_error;
use super::{
    bad, check_services, check_threads, check_work, out_err, parse_checks, print, CliError,
};
use crate::compile::{load_file_with_model, Loaded};
use crate::output::atomic::write_output;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub(super) struct RecommendArgs {
    /// Scenario file; its `cost` block prices replicas and regions.
    pub(super) scenario: PathBuf,
    /// An SLO every candidate must meet, e.g. availability>=0.9995 (repeat `--slo` for
    /// more; added to the scenario's `slo` block); the first that names an availability
    /// picks the one candidates of equal cost are ranked on (strict by default).
    #[arg(long, value_name = "EXPR")]
    pub(super) slo: Vec<String>,
    /// Most replications per candidate (default: the scenario's); hopeless candidates stop sooner.
    #[arg(long, value_name = "N")]
    pub(super) budget_replications: Option<u64>,
    /// Strategies to try, comma-separated, any case (default: all four).
    #[arg(long, value_name = "LIST")]
    pub(super) strategies: Option<String>,
    /// Replica counts to try: a list such as 2,3,5 or a range such as 2..5 (default 2..5).
    #[arg(long, value_name = "LIST")]
    pub(super) replicas: Option<String>,
    /// Failover modes to try, comma-separated (default: AUTOMATIC,SEMI_AUTOMATIC,MANUAL).
    #[arg(long, value_name = "LIST")]
    pub(super) modes: Option<String>,
    /// Override the scenario's seed (every candidate shares it).
    #[arg(long)]
    pub(super) seed: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    pub(super) threads: Option<usize>,
    /// Write the ranking as JSON here (`-` for stdout).
    #[arg(long)]
    pub(super) json: Option<PathBuf>,
}

pub(super) fn recommend(args: RecommendArgs) -> Result<(), CliError> {
    use crate::recommend::{parse_modes, parse_replica_counts, parse_strategies};
    let Loaded {
        model,
        compiled: mut scenario,
    } = load_file_with_model(&args.scenario).map_err(scenario_error)?;
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
    check_services("--slo", &checks, &scenario)?;
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
    let result = crate::recommend::recommend(&model, &scenario, &checks, &options).map_err(bad)?;
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
    say!(
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
