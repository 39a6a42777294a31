//! `failsim solve`: the exact solution of a scenario's Markov chain (steady-state
//! availability, outage frequency, mean time to first outage) and, with
//! `--rare-event`, the failure-biased estimate of its unavailability beside it.

use super::diagnostics::{colour_on_stderr, render};
use super::{bad, check_threads, out_err, print, CliError};
use crate::compile::load_file;
use crate::core::metric::humane_seconds;
use crate::exact::{
    estimate, Chain, ExactError, RareEstimate, RareOptions, Solution, DEFAULT_CYCLES,
    SECONDS_PER_YEAR,
};
use crate::output::atomic::write_output;
use crate::output::table::{exact_availability, write_columns};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The flags of `failsim solve`.
#[derive(clap::Args, Debug)]
pub(super) struct SolveArgs {
    /// Scenario file (JSON or YAML).
    scenario: PathBuf,
    /// Write the solution as JSON here (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also estimate the unavailability by importance sampling (balanced failure
    /// biasing over regenerative cycles), with its 95% CI and the plain Monte Carlo
    /// effort it saves.
    #[arg(long)]
    rare_event: bool,
    /// Regenerative cycles of each kind (biased and plain) for --rare-event.
    #[arg(long, default_value_t = DEFAULT_CYCLES, requires = "rare_event")]
    cycles: u64,
    /// Seed of the --rare-event streams (default: the scenario's).
    #[arg(long, requires = "rare_event")]
    seed: Option<u64>,
    /// Worker threads for --rare-event (default: all cores); results do not depend on it.
    #[arg(long, requires = "rare_event")]
    threads: Option<usize>,
}

/// What `--json` writes.
#[derive(serde::Serialize)]
struct SolveFile<'a> {
    version: &'static str,
    scenario: &'a str,
    scenario_hash: &'a str,
    states: u64,
    replica_classes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    solutions: Option<&'a [Solution]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rare_event: Option<&'a RareEstimate>,
}

pub(super) fn solve(args: SolveArgs) -> Result<(), CliError> {
    check_threads(args.threads)?;
    let file = &args.scenario;
    let scenario =
        load_file(file).map_err(|e| CliError::Rendered(render(&e, colour_on_stderr())))?;
    let chain = Chain::of(&scenario).map_err(|e| out_err(file, e))?;
    let solutions = match chain.solve(true) {
        Ok(solutions) => Some(solutions),
        // The estimator never enumerates states: it still runs.
        Err(error @ ExactError::TooLarge { .. }) if args.rare_event => {
            say!("note: {error}; the rare-event estimate runs without it");
            None
        }
        Err(error) => return Err(out_err(file, error)),
    };
    let rare = if args.rare_event {
        let options = RareOptions {
            seed: args.seed.unwrap_or(scenario.seed),
            cycles: args.cycles,
            threads: args.threads,
        };
        let started = Instant::now();
        let rare = estimate(&chain, &options).map_err(|e| out_err(file, e))?;
        say!(
            "rare-event estimate: {} biased + {} plain cycles in {:.2}s",
            rare.cycles,
            rare.cycles,
            started.elapsed().as_secs_f64()
        );
        Some(rare)
    } else {
        None
    };
    let mut text = format!(
        "exact solution of `{}`: {} states ({} replica classes)\n",
        scenario.name,
        chain.states(),
        chain.classes()
    );
    if let Some(solutions) = &solutions {
        text.push_str(&table(solutions));
    }
    if let Some(rare) = &rare {
        text.push_str(&rare_table(rare, solutions.as_deref()));
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&SolveFile {
            version: env!("CARGO_PKG_VERSION"),
            scenario: &scenario.name,
            scenario_hash: &scenario.source_hash,
            states: chain.states(),
            replica_classes: chain.classes(),
            solutions: solutions.as_deref(),
            rare_event: rare.as_ref(),
        })
        .map_err(bad)?;
        write_json(path, &json)?;
        if path == Path::new("-") {
            return Ok(());
        }
    }
    print(&text)
}

fn write_json(path: &Path, json: &str) -> Result<(), CliError> {
    write_output(path, format!("{json}\n").as_bytes()).map_err(|e| out_err(path, e))
}

/// A long time in its humane unit, in years beyond two of them.
fn long_time(seconds: f64) -> String {
    let years = seconds / SECONDS_PER_YEAR;
    if years >= 2.0 {
        format!("{years:.4e} years")
    } else {
        humane_seconds(seconds)
    }
}

fn table(solutions: &[Solution]) -> String {
    let mut rows = vec![vec![
        "name".to_string(),
        "availability".to_string(),
        "unavailability".to_string(),
        "outages/year".to_string(),
        "mean time to first outage".to_string(),
    ]];
    for s in solutions {
        rows.push(vec![
            s.name.clone(),
            exact_availability(s.availability, s.unavailability),
            format!("{:.6e}", s.unavailability),
            format!("{:.6e}", s.outages_per_year),
            s.mean_time_to_first_outage_s
                .map_or("n/a (too many up states)".to_string(), long_time),
        ]);
    }
    let mut out = String::new();
    write_columns(&mut out, &rows);
    out
}

fn rare_table(rare: &RareEstimate, exact: Option<&[Solution]>) -> String {
    let mut out = format!(
        "\nrare-event estimate (balanced failure biasing p = {}, {} cycles, seed {}):\n",
        rare.failure_bias, rare.cycles, rare.seed
    );
    let mut rows = vec![vec![
        "name".to_string(),
        "unavailability (95% CI)".to_string(),
        "± rel.".to_string(),
        "exact".to_string(),
        "plain Monte Carlo for the same precision".to_string(),
    ]];
    for (t, target) in rare.targets.iter().enumerate() {
        rows.push(vec![
            target.name.clone(),
            format!(
                "{:.4e} [{:.4e}, {:.4e}]",
                target.unavailability, target.ci95_low, target.ci95_high
            ),
            target
                .relative_half_width
                .map_or("n/a".to_string(), |r| format!("{:.2}%", r * 100.0)),
            exact.map_or("n/a".to_string(), |exact| {
                format!("{:.4e}", exact[t].unavailability)
            }),
            match (target.plain_cycles_needed, target.plain_years_needed) {
                (Some(cycles), Some(years)) => {
                    format!("≈ {cycles:.2e} cycles, {years:.2e} simulated years (extrapolated)")
                }
                _ => "n/a: no cycle reached a down state".to_string(),
            },
        ]);
    }
    write_columns(&mut out, &rows);
    out
}
