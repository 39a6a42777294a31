//! `failsim sweep`: the scenario at every point of a grid of `--set` values, on common
//! random numbers; the tidy table printed and written (`--csv`, `--json`), a figure per
//! metric (`--plot`).

use super::diagnostics::scenario_error;
use super::{bad, check_threads, check_work, out_err, stopped_early, CliError};
use crate::compile::Overrides;
use crate::output::atomic::{check_output_dir, check_output_file, Staged};
use crate::output::plan::Destinations;
use crate::output::sweep::{sweep_csv, sweep_svg, sweep_table};
use crate::run::sweep::{describe, grid, rows, run_point, variant, SweepError, SWEEP_METRICS};
use crate::run::RunOptions;
use crate::scenarios::settings::Setting;
use crate::scenarios::source::{read_text, Format};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub(super) struct SweepArgs {
    /// Scenario file.
    scenario: PathBuf,
    /// PATH=V1,V2,… : a value of the scenario file and the values it takes (repeatable;
    /// the grid is every combination). Services and nodes are addressed by name, id or
    /// index, e.g. services.db.detection.interval=1s,5s,15s.
    #[arg(long = "set", value_name = "PATH=VALUES", required = true)]
    settings: Vec<String>,
    /// Override the scenario's seed (every grid point uses the same one).
    #[arg(long)]
    seed: Option<u64>,
    /// Override the number of replications of every grid point.
    #[arg(long)]
    replications: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Write the table as JSON here (`-` for stdout).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write sweep.csv into this directory.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write an SVG figure per metric (sweep-METRIC.svg) into this directory.
    #[arg(long)]
    plot: Option<PathBuf>,
}

pub(super) fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let settings: Vec<Setting> = args
        .settings
        .iter()
        .map(|text| Setting::parse(text).map_err(bad))
        .collect::<Result<_, _>>()?;
    check_threads(args.threads)?;
    check_destinations(&args)?;
    let text = read_text(&args.scenario, "a scenario file").map_err(scenario_error)?;
    let json = match Format::detect(&args.scenario, text.as_bytes()) {
        Format::Json => text,
        Format::Yaml => crate::scenarios::yaml::to_json(text.trim_start_matches('\u{feff}'))
            .map(|converted| converted.json)
            .map_err(|_| {
                // The file's own problems are reported as `validate` reports them.
                crate::compile::load_str(&text, &args.scenario)
                    .err()
                    .map_or_else(|| bad("the YAML does not convert"), scenario_error)
            })?,
    };
    let document: serde_json::Value = match serde_json::from_str(&json) {
        Ok(document) => document,
        // Not JSON at all: the loader says where, with its line and caret.
        Err(_) => {
            return Err(crate::compile::load_str(&json, &args.scenario)
                .err()
                .map_or_else(|| bad("the scenario does not parse"), scenario_error))
        }
    };
    // Every variant is compiled (every path, value and check) before any replication.
    let points = grid(&settings);
    let mut variants = Vec::with_capacity(points.len());
    for point in &points {
        let mut scenario =
            variant(&document, &settings, point, &args.scenario).map_err(|error| match error {
                SweepError::Setting(error) => bad(error),
                SweepError::Scenario { point, error } => {
                    say!("with {point}:");
                    scenario_error(*error)
                }
            })?;
        scenario
            .apply(Overrides {
                seed: args.seed,
                replications: args.replications,
                horizon: None,
            })
            .map_err(|e| bad(format!("--{e}")))?;
        variants.push(scenario);
    }
    if let Some(first) = variants.first() {
        check_work(
            &args.scenario,
            first,
            first.replications,
            variants.len() as u64,
            &format!("over {} grid points", variants.len()),
        )?;
    }
    let options = RunOptions {
        threads: args.threads,
        interrupt: Some(super::interrupt::interrupt_flag()),
        ..RunOptions::default()
    };
    let started = Instant::now();
    let mut table = Vec::new();
    for (point, scenario) in points.iter().zip(&variants) {
        let summary = run_point(scenario, &options)
            .map_err(bad)?
            .map_err(|stopped| {
                stopped_early(
                    stopped,
                    format!(
                        "stopped at {}; a sweep writes nothing partial",
                        describe(&settings, point)
                    ),
                )
            })?;
        table.extend(rows(point, &summary));
    }
    let paths: Vec<String> = settings.iter().map(|s| s.path.clone()).collect();
    write(&args, &paths, &settings[0].values, &table)?;
    if args.json.as_deref() != Some(Path::new("-")) {
        print!("{}", sweep_table(&paths, &table));
    }
    say!(
        "{} grid points × {} replications in {:.3}s",
        points.len(),
        variants.first().map_or(0, |v| v.replications),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks every destination before any work, as `run` does: each writable, none the
/// scenario file.
fn check_destinations(args: &SweepArgs) -> Result<(), CliError> {
    let destinations = Destinations {
        json: args.json.clone(),
        inputs: vec![args.scenario.clone()],
        ..Destinations::default()
    };
    destinations.check_inputs()?;
    if let Some(json) = args.json.as_deref().filter(|p| *p != Path::new("-")) {
        check_output_file(json).map_err(|e| out_err(json, e))?;
    }
    for dir in [&args.csv, &args.plot].into_iter().flatten() {
        check_output_dir(dir).map_err(|e| out_err(dir, e))?;
    }
    Ok(())
}

/// Writes every output, all or nothing.
fn write(
    args: &SweepArgs,
    paths: &[String],
    first_values: &[String],
    table: &[crate::run::sweep::SweepRow],
) -> Result<(), CliError> {
    let mut staged = Staged::default();
    if let Some(dir) = &args.csv {
        let bytes = sweep_csv(paths, table).map_err(|e| out_err(dir, e))?;
        staged.create_dir(dir).map_err(|e| out_err(dir, e))?;
        let file = dir.join("sweep.csv");
        staged.write(&file, &bytes).map_err(|e| out_err(&file, e))?;
    }
    if let Some(dir) = &args.plot {
        staged.create_dir(dir).map_err(|e| out_err(dir, e))?;
        for metric in SWEEP_METRICS {
            let file = dir.join(format!("sweep-{}.svg", metric.name()));
            let svg = sweep_svg(paths, first_values, table, metric.name())
                .map_err(|e| out_err(&file, e))?;
            staged
                .write(&file, svg.as_bytes())
                .map_err(|e| out_err(&file, e))?;
        }
    }
    if let Some(file) = &args.json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            settings: &'a [String],
            rows: &'a [crate::run::sweep::SweepRow],
        }
        let mut text = serde_json::to_string_pretty(&Json {
            settings: paths,
            rows: table,
        })
        .expect("rows serialize");
        text.push('\n');
        staged
            .write(file, text.as_bytes())
            .map_err(|e| out_err(file, e))?;
    }
    staged.commit().map_err(|(path, e)| out_err(&path, e))
}
