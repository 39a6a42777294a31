//! `failsim compare`: the services under several strategies against the same faults.

use super::study::{prepare, study, StudyArgs};
use super::{
    bad, check_replays, check_work, evaluate_checks, partial_end, precision_line, stopped_early,
    warn_if_single, CliError,
};
use crate::compare::{parse_strategies, variant, Comparison};
use crate::compile::CompiledScenario;
use crate::output::{Results, StudyReport};
use crate::run::replications_until;
use std::time::Instant;

pub(super) fn compare(args: StudyArgs, strategies: Option<&str>) -> Result<(), CliError> {
    let (mut prepared, mut plan) = prepare(&args)?;
    // Paired differences pair replications across the strategies' studies.
    prepared.options.keep_pairs = true;
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
    let mut variants: Vec<CompiledScenario> = strategies
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
    // With --precision, the strategies first run in lockstep batches until every paired
    // difference is resolved; then each runs that many replications as without it.
    let decided = match prepared.options.precision.take() {
        Some(precision) => {
            let (used, stop) = replications_until(&variants, &prepared.options, |studies| {
                Comparison::new(studies).resolved(studies, &precision)
            })
            .map_err(bad)?;
            if let Some(stop) = stop {
                return Err(stopped_early(
                    stop,
                    format!(
                        "stopped after {used} replications per strategy while --precision \
                         decided how many to run; nothing was written"
                    ),
                ));
            }
            for variant in &mut variants {
                variant.replications = used;
            }
            Some(precision)
        }
        None => None,
    };
    let mut studies = Vec::new();
    let mut events = 0;
    let mut stopped = None;
    for (index, (scenario, strategy)) in variants.iter().zip(&strategies).enumerate() {
        let label = format!("{} ({}/{})", strategy.as_str(), index + 1, strategies.len());
        let (study, study_events, study_stopped, _) = study(
            &prepared,
            &mut plan,
            args.partial,
            scenario,
            Some(&label),
            None,
        )?;
        studies.push(study);
        events += study_events;
        stopped = stopped.or(study_stopped);
    }
    // Each strategy has its own budget, so a partial comparison can stop each one after
    // a different number of replications; differences are paired by replication, and a
    // study's histograms cannot be cut back to the shorter run, so such a result is
    // refused rather than compared over unequal sets.
    let completed: Vec<u64> = studies.iter().map(|s| s.done()).collect();
    if completed.iter().any(|&n| n != completed[0]) {
        let counts: Vec<String> = strategies
            .iter()
            .zip(&completed)
            .map(|(s, n)| format!("{} {n}", s.as_str()))
            .collect();
        return Err(bad(format!(
            "the strategies stopped after different numbers of complete replications ({}); \
             compare pairs replications across strategies, so it needs the same ones for all: \
             nothing was written (raise --max-events or --max-wall)",
            counts.join(", ")
        )));
    }
    let mut comparison = Comparison::new(&studies);
    if let Some(precision) = &decided {
        comparison.precision = Some(precision.summary(
            comparison.precision_reached(&studies, precision),
            comparison.resolved(&studies, precision),
            comparison.replications,
            prepared.scenario.replications,
        ));
    }
    warn_if_single(comparison.replications);
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
