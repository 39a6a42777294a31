//! `failsim run`: one study (or one shard of it), its outputs and its checks.

use super::study::{prepare, shard_command, study, StudyArgs};
use super::{
    bad, check_replays, determinism, evaluate_checks, note_coarse_percentiles, partial_end,
    precision_line, stopped_early, warn_if_single, CliError,
};
use crate::output::{Replays, Results, StudyReport};
use crate::report::{ShardFile, ShardPrecision, Summary};
use crate::run::Shard;
use std::time::Instant;

pub(super) fn run(
    args: StudyArgs,
    shard: Option<&str>,
    check_determinism: bool,
) -> Result<(), CliError> {
    if shard.is_some() && (args.report.is_some() || args.markdown.is_some()) {
        // A shard file holds a part of the study; a report of a part would read as the
        // whole.
        return Err(bad(
            "--report and --markdown show a whole study, and --shard runs a part of one: \
             run them without --shard",
        ));
    }
    if args.precision.is_some() && check_determinism {
        // The determinism check runs the study as two shards, whose merge under
        // --precision stops at shard ends, not where the single run stops.
        return Err(bad(
            "--check-determinism compares the single run with its shards merged, and \
             --precision stops them at different replications: check without --precision \
             (the stop depends only on the replications folded, not on --threads)",
        ));
    }
    let (mut prepared, mut plan) = prepare(&args, false)?;
    prepared.options.shard = shard.map(Shard::parse).transpose().map_err(bad)?;
    if let (Some(shard), Some(_)) = (prepared.options.shard, &prepared.options.precision) {
        // The shards are the fixed batches at whose ends `merge` reads the rule.
        match args.batches {
            Some(count) if count != shard.count => {
                return Err(bad(format!(
                    "--batches {count} with --shard {}/{}: the shards are the batches, so \
                     --batches must be {} (or left out)",
                    shard.index, shard.count, shard.count
                )))
            }
            _ => prepared.options.precision_batches = Some(shard.count),
        }
        if shard.count > prepared.scenario.replications {
            return Err(bad(format!(
                "--shard {}/{}: more shards than the {} replications of --max-replications",
                shard.index, shard.count, prepared.scenario.replications
            )));
        }
    }
    let mut prints = None;
    if check_determinism {
        let rows = prepared.scenario.replications * prepared.scenario.services.len() as u64;
        if rows > determinism::MAX_CHECKED_ROWS {
            return Err(bad(format!(
                "--check-determinism holds the figures of every service and replication: \
                 {rows} is beyond its limit of {}; use --replications",
                determinism::MAX_CHECKED_ROWS
            )));
        }
        // Records too, so that every failover is compared, not only the tallies.
        prepared.options.keep_records = true;
        prints = Some(Vec::new());
    }
    let scenario = &prepared.scenario;
    let started = Instant::now();
    let (study, events, stopped, precision) = study(
        &prepared,
        &mut plan,
        args.partial,
        scenario,
        None,
        prints.as_mut(),
    )?;
    let elapsed = started.elapsed();
    if let Some(prints) = &prints {
        // Before any output is written: a study that does not repeat is not a result.
        determinism::check(&prepared, &study, prints)?;
    }
    let replays: Replays = plan.replay(
        scenario,
        &[],
        args.trace_replication,
        prepared.replay_limits(),
    )?;
    check_replays(&replays, args.partial)?;
    if let Some(shard) = prepared.options.shard {
        let rows = study.done();
        let mut file = ShardFile::new(study);
        file.precision = prepared.options.precision.as_ref().map(|p| ShardPrecision {
            target: p.target,
            metrics: p.metrics.iter().map(|m| m.name().to_string()).collect(),
            checks: p.checks.iter().map(|c| c.text.clone()).collect(),
            shards: shard.count,
            command: shard_command(
                &args,
                scenario.replications,
                scenario.horizon,
                scenario.seed,
            ),
        });
        let report = StudyReport {
            results: Results::Shard(&file),
            replays: &replays,
            partial: args.partial,
            checks: &prepared.checks,
        };
        for note in plan.export(&report)? {
            say!("{note}");
        }
        if let Some(stopped) = stopped {
            return Err(stopped_early(
                stopped,
                format!(
                    "shard {}/{}: partial result written: {rows} replications (--partial)",
                    shard.index, shard.count
                ),
            ));
        }
        say!(
            "shard {}/{} done: {rows} replications, {events} events in {:.2}s",
            shard.index,
            shard.count,
            elapsed.as_secs_f64()
        );
        return Ok(());
    }
    let mut summary = Summary::new(&study);
    summary.precision = precision;
    let report = StudyReport {
        results: Results::Summary {
            study: Some(&study),
            summary: &summary,
        },
        replays: &replays,
        partial: args.partial,
        checks: &prepared.checks,
    };
    for note in plan.export(&report)? {
        say!("{note}");
    }
    warn_if_single(summary.replications);
    note_coarse_percentiles(&study);
    say!(
        "{} replications, {events} events in {:.3}s ({:.1} M events/s)",
        summary.replications,
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
    );
    if let Some(precision) = &summary.precision {
        say!("{}", precision_line(precision, "unavailability"));
    }
    let checked = evaluate_checks(
        &prepared.checks,
        std::slice::from_ref(&summary),
        args.strict_checks,
    );
    partial_end(stopped, &summary).map_or(checked, Err)
}
