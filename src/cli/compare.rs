//! `failsim compare`: the services under several strategies against the same faults.

use super::study::{prepare, study, StudyArgs};
use super::{
    bad, check_replays, check_work, evaluate_checks, partial_end, warn_if_single, CliError,
};
use crate::compare::{parse_strategies, variant, Comparison};
use crate::compile::CompiledScenario;
use crate::output::{Results, StudyReport};
use std::time::Instant;

pub(super) fn compare(args: StudyArgs, strategies: Option<&str>) -> Result<(), CliError> {
    let (prepared, mut plan) = prepare(&args)?;
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
    let mut studies = Vec::new();
    let mut events = 0;
    let mut stopped = None;
    for (index, (scenario, strategy)) in variants.iter().zip(&strategies).enumerate() {
        let label = format!("{} ({}/{})", strategy.as_str(), index + 1, strategies.len());
        let (study, study_events, study_stopped) = study(
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
    let completed: Vec<usize> = studies
        .iter()
        .map(|s| s.services.first().map_or(0, |s| s.rows.len()))
        .collect();
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
    let comparison = Comparison::new(&studies);
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
    let checked = evaluate_checks(&prepared.checks, &comparison.strategies);
    match comparison.strategies.first() {
        Some(summary) => partial_end(stopped, summary).map_or(checked, Err),
        None => checked,
    }
}
