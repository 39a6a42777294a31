//! One candidate design of one service: the service with *k* replicas, compiled alone,
//! and simulated in batches until it meets its budget or an SLO is out of reach.

use super::{Candidate, Options, RecommendError, Status};
use crate::checks::{Check, Metric, Op, Verdict};
use crate::compile::CompiledScenario;
use crate::report::summary::{AvailabilitySummary, ServiceSummary};
use crate::report::{Study, Summary};
use crate::run::{run_study, RunOptions, Shard};
use crate::scenarios::model::{Cost, FailoverMode, Placement, Scenario, Service, StrategyName};
use std::collections::BTreeSet;

/// Smallest batch of replications between two early-stopping decisions: fewer would
/// trust intervals estimated from a handful of replications.
const MIN_BATCH: u64 = 10;
/// Most batches per candidate: each batch costs a thread-pool start and a merge.
const MAX_BATCHES: u64 = 10;

/// The service with `k` replicas: the first `k` listed, or its placement with count `k`;
/// None when the file lists fewer than `k`.
pub(super) fn with_replicas(service: &Service, k: u32) -> Option<Service> {
    let mut candidate = service.clone();
    match &service.placement {
        Some(placement) => {
            candidate.placement = Some(Placement {
                count: k,
                spread: placement.spread,
            })
        }
        None if k as usize <= service.replicas.len() => candidate.replicas.truncate(k as usize),
        None => return None,
    }
    if let Some(quorum) = candidate.n_way.quorum {
        if quorum > k || quorum <= k / 2 {
            candidate.n_way.quorum = None;
        }
    }
    Some(candidate)
}

/// `scenario` (compiled from `model`) with `service` as its only service, compiled with
/// every check, or the reasons it cannot hold it.
pub(super) fn single_service(
    model: &Scenario,
    scenario: &CompiledScenario,
    service: &Service,
    budget: u64,
) -> Result<CompiledScenario, Vec<String>> {
    let mut compiled = scenario
        .recompile(model, |source| source.services = vec![service.clone()])
        .map_err(|problems| problems.into_iter().map(|p| p.message).collect::<Vec<_>>())?;
    compiled.replications = budget;
    let spec = &compiled.services[0];
    let regions = regions_of(&compiled);
    if service.strategy == StrategyName::Geographic && regions < 2 {
        return Err(vec![format!(
            "GEOGRAPHIC needs replicas in at least 2 regions; these {} are all in one",
            spec.replicas.len()
        )]);
    }
    Ok(compiled)
}

fn regions_of(compiled: &CompiledScenario) -> u32 {
    let topology = &compiled.topology;
    compiled.services[0]
        .replicas
        .iter()
        .map(|&node| topology.nodes[node.index()].region)
        .collect::<BTreeSet<_>>()
        .len() as u32
}

pub(super) fn infeasible(
    strategy: StrategyName,
    replicas: u32,
    problems: Vec<String>,
) -> Candidate {
    Candidate {
        rank: None,
        strategy,
        replicas,
        failover_mode: None,
        nodes: Vec::new(),
        regions: 0,
        cost: 0.0,
        status: Status::Infeasible,
        replications: 0,
        stopped_early: false,
        availability: None,
        failover_time_p99_s: None,
        data_loss_p99_s: None,
        cost_per_nine: None,
        problems,
    }
}

/// Simulates one candidate in batches, stopping once an SLO is out of reach; the
/// candidate reports the availability `ranked_on`.
pub(super) fn evaluate(
    compiled: &CompiledScenario,
    mode: FailoverMode,
    cost: &Cost,
    checks: &[Check],
    ranked_on: Metric,
    budget: u64,
    options: &Options,
) -> Result<Candidate, RecommendError> {
    let batches = (budget / MIN_BATCH).clamp(1, MAX_BATCHES);
    let mut study: Option<Study> = None;
    let mut stopped_early = false;
    for index in 1..=batches {
        let run_options = RunOptions {
            threads: options.threads,
            shard: Some(Shard {
                index,
                count: batches,
            }),
            ..RunOptions::default()
        };
        let part = run_study(compiled, &run_options, |_| {}, |_| {})
            .map_err(RecommendError::Run)?
            .study;
        let merged = match study.take() {
            None => part,
            Some(so_far) => Study::merge(vec![so_far, part])?,
        };
        let summary = Summary::new(&merged);
        study = Some(merged);
        if index < batches && checks.iter().any(|c| out_of_reach(c, &summary.services[0])) {
            stopped_early = true;
            break;
        }
    }
    let summary = Summary::new(&study.expect("at least one batch ran"));
    let verdicts: Vec<Verdict> = checks
        .iter()
        .map(|check| check.evaluate(&summary))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RecommendError::Check)?
        .into_iter()
        .flatten()
        .collect();
    let problems: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| match v.measured {
            Some(value) => format!("{} (measured {})", v.check, v.metric.show(value)),
            None => format!("{} (nothing measured)", v.check),
        })
        .collect();
    let service = &summary.services[0];
    let availability = availability(service, ranked_on);
    let spec = &compiled.services[0];
    let regions = regions_of(compiled);
    let price = cost.per_replica * spec.replicas.len() as f64 + cost.per_region * regions as f64;
    Ok(Candidate {
        rank: None,
        strategy: spec.strategy.name(),
        replicas: spec.replicas.len() as u32,
        failover_mode: Some(mode),
        nodes: spec
            .replicas
            .iter()
            .map(|&node| compiled.topology.names.name(node).to_string())
            .collect(),
        regions,
        cost: price,
        status: if problems.is_empty() {
            Status::Meets
        } else {
            Status::Fails
        },
        replications: summary.replications,
        stopped_early,
        cost_per_nine: availability
            .nines
            .filter(|&nines| nines > 0.0)
            .map(|nines| price / nines),
        availability: Some(availability.clone()),
        failover_time_p99_s: service.failover_time_s.p99,
        data_loss_p99_s: service.data_loss_s.p99,
        problems,
    })
}

/// The availability of `service` that `metric` names: strict unless it names the lenient
/// or served one.
fn availability(service: &ServiceSummary, metric: Metric) -> &AvailabilitySummary {
    match metric {
        Metric::LenientAvailability => &service.lenient_availability,
        Metric::ServedAvailability => &service.served_availability,
        _ => &service.availability,
    }
}

/// Whether more replications can no longer make `check` pass.
fn out_of_reach(check: &Check, service: &ServiceSummary) -> bool {
    let bound = check.bound;
    let (value, interval) = check.measure(service);
    if let Some((low, high)) = interval {
        return match check.op {
            Op::Ge => high < bound,
            Op::Gt => high <= bound,
            Op::Le => low > bound,
            Op::Lt => low >= bound,
            Op::Eq => false,
        };
    }
    match (value, check.op) {
        (Some(value), Op::Le) if check.metric.grows_with_replications() => value > bound,
        (Some(value), Op::Lt) if check.metric.grows_with_replications() => value >= bound,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_below_a_lower_bound_is_out_of_reach() {
        let check = Check::parse("availability>=0.999").unwrap();
        let mut summary = ServiceSummary::new(&Default::default(), 1_000_000_000, &[]);
        summary.availability = AvailabilitySummary {
            mean: 0.99,
            ci95_low: 0.98,
            ci95_high: 0.998,
            nines: Some(2.0),
        };
        assert!(out_of_reach(&check, &summary));
        summary.availability.ci95_high = 0.9995;
        assert!(!out_of_reach(&check, &summary));
    }
}
