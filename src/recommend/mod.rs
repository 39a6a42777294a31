//! `failsim recommend`: for each service, simulate every candidate design (strategy ×
//! replica count × failover mode) and rank those that meet the SLOs by cost.
//!
//! **Candidates.** A candidate changes one service and nothing else: its strategy, its
//! failover mode, and its replicas, which are the first *k* of the replicas the file
//! lists (so list, in priority order, every node the search may use) or, for a service
//! with a `placement`, the same placement with `count` *k*. A candidate the scenario
//! cannot hold is reported as infeasible with the validator's reason (for example an
//! N_WAY with BFT below 3f+1 replicas); a GEOGRAPHIC candidate also needs replicas in
//! two regions. An explicit `n_way.quorum` that *k* replicas cannot have falls back to
//! the majority.
//!
//! **Common random numbers.** Each candidate runs alone (the service under study is the
//! scenario's only service) with the scenario's seed and replication indices, and faults
//! are drawn from streams that do not depend on services, so every candidate meets the
//! very same faults: differences between candidates are the designs', not noise.
//!
//! **Early stopping.** Replications run in batches (shards of the budget). After each
//! batch a candidate stops once it can no longer meet an SLO: the 95% interval of a
//! metric that has one (availability, success rate) lies entirely on the wrong side of
//! the bound, or a total or maximum that only grows (failovers, safety violations,
//! `*_max`) is already over an upper bound. A candidate that completes the budget meets
//! the SLOs when every check passes on its estimates, exactly as `run --check` decides.
//!
//! **Ranking.** Candidates that meet every SLO are ranked by cost (`per_replica ×
//! replicas + per_region × regions`, from the scenario's `cost` block), then by higher
//! availability, then by search order (strategies, then replica counts, then modes, as
//! given). The availability is the first one an SLO names (`availability`,
//! `lenient_availability` or `served_availability`), strict availability when none does;
//! the result says which (`ranked_on`), and each candidate reports that one.
//! Everything is a deterministic function of the scenario and the seed.

mod candidate;
mod render;
mod space;

pub use render::render_table;
pub use space::{
    parse_modes, parse_replica_counts, parse_strategies, SearchListError, SearchSpace,
};

use crate::checks::{Check, Metric};
use crate::compile::CompiledScenario;
use crate::report::summary::AvailabilitySummary;
use crate::scenarios::model::{FailoverMode, Scenario, Service, StrategyName};
use candidate::{evaluate, infeasible, single_service, with_replicas};
use serde::Serialize;

/// How to search.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The designs to try.
    pub space: SearchSpace,
    /// Most replications per candidate (default: the scenario's `replications`).
    pub budget_replications: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    pub threads: Option<usize>,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// Nothing to meet.
    #[error("no SLO to meet: give --slo EXPR (e.g. --slo 'availability>=0.999') or an `slo` block in the scenario")]
    NoSlo,
    /// The budget is zero.
    #[error("--budget-replications must be at least 1")]
    NoBudget,
    /// The simulation could not run (e.g. no worker threads).
    #[error(transparent)]
    Run(#[from] crate::run::RunError),
    /// Batches of one candidate could not be merged (a bug: they are one run).
    #[error(transparent)]
    Merge(#[from] crate::report::MergeError),
    /// A check cannot apply: it names a service or a fault kind the scenario lacks.
    #[error(transparent)]
    Check(#[from] crate::core::metric::CheckError),
}

/// Where a candidate stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every SLO holds.
    Meets,
    /// Some SLO does not hold.
    Fails,
    /// The scenario cannot hold this design.
    Infeasible,
}

/// One design of one service and how it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// 1 for the recommendation; None unless the candidate meets every SLO.
    pub rank: Option<u32>,
    /// Strategy.
    pub strategy: StrategyName,
    /// Number of replicas.
    pub replicas: u32,
    /// Failover mode (None for an infeasible design, which was not simulated).
    pub failover_mode: Option<FailoverMode>,
    /// Replica node ids (empty for an infeasible design).
    pub nodes: Vec<String>,
    /// Regions the replicas occupy (0 for an infeasible design).
    pub regions: u32,
    /// `per_replica × replicas + per_region × regions` (0 for an infeasible design).
    pub cost: f64,
    /// Meets, fails or infeasible.
    pub status: Status,
    /// Replications simulated.
    pub replications: u64,
    /// Whether the search stopped before the budget because an SLO was out of reach.
    pub stopped_early: bool,
    /// The availability ranked on (see [`Recommendation::ranked_on`]) with its 95%
    /// interval and nines.
    pub availability: Option<AvailabilitySummary>,
    /// 99th percentile of failover time, seconds.
    pub failover_time_p99_s: Option<f64>,
    /// 99th percentile of data loss, seconds of writes.
    pub data_loss_p99_s: Option<f64>,
    /// Cost divided by the nines of availability (null when availability is 0 or 1).
    pub cost_per_nine: Option<f64>,
    /// The checks that failed, or why the design is infeasible.
    pub problems: Vec<String>,
}

/// The search for one service.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceRecommendation {
    /// Service name.
    pub service: String,
    /// The strategy the file gives it.
    pub current_strategy: StrategyName,
    /// The cheapest candidate that meets every SLO, if any.
    pub recommended: Option<Candidate>,
    /// Every candidate: ranked ones first, then failing, then infeasible ones.
    pub candidates: Vec<Candidate>,
}

/// The result of `failsim recommend`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// Scenario name.
    pub scenario: String,
    /// Seed shared by every candidate.
    pub seed: u64,
    /// Most replications per candidate.
    pub budget_replications: u64,
    /// The SLOs, as written.
    pub slo: Vec<String>,
    /// The availability that orders candidates of equal cost, and that each candidate's
    /// `availability` and `cost_per_nine` report: `availability` (strict),
    /// `lenient_availability` or `served_availability`.
    pub ranked_on: String,
    /// The SLO that chose it (the first that names an availability); null when none
    /// does and strict availability is used.
    pub ranked_on_slo: Option<String>,
    /// Per service, in scenario order.
    pub services: Vec<ServiceRecommendation>,
}

/// Searches every service of `scenario` (compiled from `model`) and ranks its
/// candidates against `checks`.
pub fn recommend(
    model: &Scenario,
    scenario: &CompiledScenario,
    checks: &[Check],
    options: &Options,
) -> Result<Recommendation, RecommendError> {
    if checks.is_empty() {
        return Err(RecommendError::NoSlo);
    }
    let kinds = scenario.fault_kinds();
    for check in checks {
        let names = scenario.services.iter().map(|s| s.name.as_str());
        if let Some(error) = check.out_of_scope(names, &kinds) {
            return Err(RecommendError::Check(error));
        }
    }
    let budget = options.budget_replications.unwrap_or(scenario.replications);
    if budget == 0 {
        return Err(RecommendError::NoBudget);
    }
    let ranking_slo = checks.iter().find(|c| is_availability(c.metric));
    let ranked_on = ranking_slo.map_or(Metric::Availability, |c| c.metric);
    let services = model
        .services
        .iter()
        .map(|service| {
            let applicable: Vec<Check> = checks
                .iter()
                .filter(|c| c.service.as_ref().is_none_or(|name| name == &service.name))
                .cloned()
                .collect();
            search_service(
                model,
                scenario,
                service,
                &applicable,
                ranked_on,
                budget,
                options,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Recommendation {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        budget_replications: budget,
        slo: checks.iter().map(|c| c.text.clone()).collect(),
        ranked_on: ranked_on.name().to_string(),
        ranked_on_slo: ranking_slo.map(|c| c.text.clone()),
        services,
    })
}

/// Whether `metric` is one of the three availabilities, which can rank candidates.
fn is_availability(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::Availability | Metric::LenientAvailability | Metric::ServedAvailability
    )
}

fn search_service(
    model: &Scenario,
    scenario: &CompiledScenario,
    service: &Service,
    checks: &[Check],
    ranked_on: Metric,
    budget: u64,
    options: &Options,
) -> Result<ServiceRecommendation, RecommendError> {
    let cost = model.cost.clone().unwrap_or_default();
    let space = &options.space;
    let mut candidates = Vec::new();
    for &strategy in &space.strategies {
        for &k in &space.replica_counts {
            let Some(mut design) = with_replicas(service, k) else {
                continue;
            };
            design.strategy = strategy;
            for &mode in &space.modes {
                design.failover.mode = mode;
                // The mode changes no check: a design that fails them fails in every mode
                // and is reported once.
                let compiled = match single_service(model, scenario, &design, budget) {
                    Ok(compiled) => compiled,
                    Err(problems) => {
                        candidates.push(infeasible(strategy, k, problems));
                        break;
                    }
                };
                candidates.push(evaluate(
                    &compiled, mode, &cost, checks, ranked_on, budget, options,
                )?);
            }
        }
    }
    Ok(rank(service, candidates))
}

/// Orders candidates: those that meet every SLO by (cost, higher availability, search
/// order), numbered from 1; then failing ones, then infeasible ones, in search order.
fn rank(service: &Service, candidates: Vec<Candidate>) -> ServiceRecommendation {
    let (mut meets, others): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| c.status == Status::Meets);
    let availability = |c: &Candidate| c.availability.as_ref().map_or(0.0, |a| a.mean);
    // A stable sort keeps search order among exact ties.
    meets.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then_with(|| availability(b).total_cmp(&availability(a)))
    });
    for (position, candidate) in meets.iter_mut().enumerate() {
        candidate.rank = Some(position as u32 + 1);
    }
    let (fails, infeasible): (Vec<Candidate>, Vec<Candidate>) =
        others.into_iter().partition(|c| c.status == Status::Fails);
    ServiceRecommendation {
        service: service.name.clone(),
        current_strategy: service.strategy,
        recommended: meets.first().cloned(),
        candidates: meets.into_iter().chain(fails).chain(infeasible).collect(),
    }
}
