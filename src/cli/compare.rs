//! `failsim compare`: the services under several strategies against the same faults.

use super::progress::progress_bar;
use super::study::{accept_stop, prepare, StudyArgs};
use super::{
    bad, check_replays, check_work, evaluate_checks, note_coarse_percentiles, partial_end,
    precision_line, warn_if_single, CliError,
};
use crate::compare::{parse_strategies, variant, Comparison};
use crate::compile::CompiledScenario;
use crate::output::{Results, StudyReport};
use crate::report::Study;
use crate::run::{run_comparison, StopRule};
use std::time::Instant;

pub(super) fn compare(args: StudyArgs, strategies: Option<&str>) -> Result<(), CliError> {
    if args.batches.is_some() {
        return Err(bad(
            "--batches fixes the batches of `run --precision` for its shards; compare has no \
             shards: leave it out",
        ));
    }
    let (mut prepared, mut plan) = prepare(&args, true)?;
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
    let model = prepared.model.take().expect("prepared with its model");
    let variants: Vec<CompiledScenario> = strategies
        .iter()
        .map(|&strategy| {
            variant(&model, &prepared.scenario, strategy).map_err(|problems| {
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
    // Every variant is compiled: the model is not kept through the study.
    drop(model);
    // The strategies run in lockstep, each replication under every strategy before the
    // next, so that the paired differences are folded as they come (nothing is kept per
    // replication); with --precision, until every one is resolved.
    let precision = prepared.options.precision.take();
    let mut resolved = precision.as_ref().map(Comparison::until_resolved);
    let rule = resolved.as_mut().map(|rule| rule as &mut StopRule);
    let bar = progress_bar(
        prepared.scenario.replications,
        Some(&format!("{} strategies", strategies.len())),
    );
    let mut output_error = None;
    let run = run_comparison(
        &variants,
        &prepared.options,
        rule,
        &mut |variant, outcome| {
            if output_error.is_none() {
                output_error = plan.add_replication(outcome, &variants[variant]).err();
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
    let (studies, events, stopped) = (run.studies, run.events, run.stopped);
    accept_stop(
        stopped,
        studies.first().map_or(0, Study::done),
        args.partial,
    )?;
    let mut comparison = Comparison::new(&studies, &run.pairs);
    if let (Some(precision), None) = (&precision, stopped) {
        comparison.precision = Some(precision.summary(
            comparison.precision_reached(&studies, precision),
            comparison.resolved(&studies, precision),
            comparison.replications,
            prepared.scenario.replications,
        ));
    }
    warn_if_single(comparison.replications);
    // The strategies' studies share a cap; the coarsest one is the precision to tell.
    if let Some(coarsest) = studies
        .iter()
        .max_by_key(|study| study.coarsened().map(|c| (c.level, c.services)))
    {
        note_coarse_percentiles(coarsest);
    }
    let suffixed: Vec<(String, &CompiledScenario)> = variants
        .iter()
        .zip(&strategies)
        .map(|(v, s)| (format!("-{}", s.as_str().to_ascii_lowercase()), v))
        .collect();
    let replays = plan.replay(
        &prepared.scenario,
        &suffixed,
        args.trace_replication,
        prepared.replay_limits(),
    )?;
    check_replays(&replays, args.partial)?;
    let report = StudyReport {
        results: Results::Comparison {
            studies: &studies,
            comparison: &comparison,
        },
        replays: &replays,
        partial: args.partial,
        checks: &prepared.checks,
    };
    for note in plan.export(&report)? {
        say!("{note}");
    }
    say!(
        "{} strategies × {} replications, {events} events in {:.3}s",
        strategies.len(),
        comparison.replications,
        started.elapsed().as_secs_f64()
    );
    if let Some(precision) = &comparison.precision {
        let of = if strategies.len() > 1 {
            "the baseline's unavailability (worst paired difference)"
        } else {
            "unavailability"
        };
        say!("{}", precision_line(precision, of));
    }
    let checked = evaluate_checks(&prepared.checks, &comparison.strategies, args.strict_checks);
    match comparison.strategies.first() {
        Some(summary) => partial_end(stopped, summary).map_or(checked, Err),
        None => checked,
    }
}
