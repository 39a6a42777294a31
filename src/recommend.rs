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
//! given). Everything is a deterministic function of the scenario and the seed.

use crate::checks::{Check, Op, Verdict};
use crate::compile::CompiledScenario;
use crate::output::table::{seconds, write_columns};
use crate::report::summary::{AvailabilitySummary, ServiceSummary};
use crate::report::{Study, Summary};
use crate::run::{run_study, RunOptions, Shard};
use crate::scenarios::model::{Cost, FailoverMode, Placement, Service, StrategyName};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Smallest batch of replications between two early-stopping decisions: fewer would
/// trust intervals estimated from a handful of replications.
const MIN_BATCH: u64 = 10;
/// Most batches per candidate: each batch costs a thread-pool start and a merge.
const MAX_BATCHES: u64 = 10;

/// The designs to try for every service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchSpace {
    /// Strategies, in search order.
    pub strategies: Vec<StrategyName>,
    /// Replica counts, in search order.
    pub replica_counts: Vec<u32>,
    /// Failover modes, in search order.
    pub modes: Vec<FailoverMode>,
}

impl Default for SearchSpace {
    /// Every strategy, 2 to 5 replicas, every failover mode.
    fn default() -> Self {
        SearchSpace {
            strategies: StrategyName::ALL.to_vec(),
            replica_counts: vec![2, 3, 4, 5],
            modes: vec![
                FailoverMode::Automatic,
                FailoverMode::SemiAutomatic,
                FailoverMode::Manual,
            ],
        }
    }
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn non_empty<T>(items: Vec<T>, what: &str) -> Result<Vec<T>, String> {
    if items.is_empty() {
        Err(format!("the list of {what} is empty"))
    } else {
        Ok(items)
    }
}

/// Parses a comma-separated list of strategy names in any case, e.g. `n_way,active-passive`.
pub fn parse_strategies(text: &str) -> Result<Vec<StrategyName>, String> {
    let strategies = split_list(text)
        .map(|name| {
            StrategyName::parse_loose(name).ok_or_else(|| {
                format!("unknown strategy `{name}`: use ACTIVE_ACTIVE, ACTIVE_PASSIVE, N_WAY or GEOGRAPHIC")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    non_empty(strategies, "strategies")
}

/// Parses replica counts: a list `2,3,5` or an inclusive range `2..5` (or `2-5`); each at least 1.
pub fn parse_replica_counts(text: &str) -> Result<Vec<u32>, String> {
    let number = |item: &str| {
        item.trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| (1..=1000).contains(&n))
            .ok_or_else(|| format!("`{item}` is not a replica count between 1 and 1000"))
    };
    let counts = match text.split_once("..").or_else(|| text.split_once('-')) {
        Some((low, high)) => {
            let (low, high) = (number(low)?, number(high)?);
            if low > high {
                return Err(format!("the range `{text}` is empty"));
            }
            (low..=high).collect()
        }
        None => split_list(text)
            .map(number)
            .collect::<Result<Vec<_>, _>>()?,
    };
    non_empty(counts, "replica counts")
}

/// Parses a comma-separated list of failover modes in any case, e.g. `automatic,semi-automatic`.
pub fn parse_modes(text: &str) -> Result<Vec<FailoverMode>, String> {
    let modes = split_list(text)
        .map(
            |name| match name.to_ascii_uppercase().replace('-', "_").as_str() {
                "AUTOMATIC" => Ok(FailoverMode::Automatic),
                "SEMI_AUTOMATIC" => Ok(FailoverMode::SemiAutomatic),
                "MANUAL" => Ok(FailoverMode::Manual),
                _ => Err(format!(
                    "unknown failover mode `{name}`: use AUTOMATIC, SEMI_AUTOMATIC or MANUAL"
                )),
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    non_empty(modes, "failover modes")
}

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
    /// A check is scoped to a service the scenario does not have.
    #[error("SLO `{check}` names service `{service}`, which the scenario does not have")]
    UnknownService {
        /// The check as written.
        check: String,
        /// The service it names.
        service: String,
    },
    /// The budget is zero.
    #[error("--budget-replications must be at least 1")]
    NoBudget,
    /// The simulation could not run (e.g. no worker threads).
    #[error("{0}")]
    Run(String),
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
    /// Strict availability with its 95% interval and nines.
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
    /// Per service, in scenario order.
    pub services: Vec<ServiceRecommendation>,
}

/// Searches every service of `scenario` and ranks its candidates against `checks`.
pub fn recommend(
    scenario: &CompiledScenario,
    checks: &[Check],
    options: &Options,
) -> Result<Recommendation, RecommendError> {
    if checks.is_empty() {
        return Err(RecommendError::NoSlo);
    }
    for check in checks {
        if let Some(service) = &check.service {
            if !scenario.services.iter().any(|s| &s.name == service) {
                return Err(RecommendError::UnknownService {
                    check: check.text.clone(),
                    service: service.clone(),
                });
            }
        }
    }
    let budget = options.budget_replications.unwrap_or(scenario.replications);
    if budget == 0 {
        return Err(RecommendError::NoBudget);
    }
    let services = scenario
        .source
        .services
        .iter()
        .map(|service| {
            let applicable: Vec<Check> = checks
                .iter()
                .filter(|c| c.service.as_ref().is_none_or(|name| name == &service.name))
                .cloned()
                .collect();
            search_service(scenario, service, &applicable, budget, options)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Recommendation {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        budget_replications: budget,
        slo: checks.iter().map(|c| c.text.clone()).collect(),
        services,
    })
}

/// The service with `k` replicas: the first `k` listed, or its placement with count `k`;
/// None when the file lists fewer than `k`.
fn with_replicas(service: &Service, k: u32) -> Option<Service> {
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

/// `scenario` with `service` as its only service, compiled with every check, or the
/// reasons it cannot hold it.
fn single_service(
    scenario: &CompiledScenario,
    service: &Service,
    budget: u64,
) -> Result<CompiledScenario, Vec<String>> {
    let mut compiled = scenario
        .recompile(|source| source.services = vec![service.clone()])
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
        .map(|&node| topology.nodes[node as usize].region)
        .collect::<BTreeSet<_>>()
        .len() as u32
}

fn search_service(
    scenario: &CompiledScenario,
    service: &Service,
    checks: &[Check],
    budget: u64,
    options: &Options,
) -> Result<ServiceRecommendation, RecommendError> {
    let cost = scenario.source.cost.clone().unwrap_or_default();
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
                let compiled = match single_service(scenario, &design, budget) {
                    Ok(compiled) => compiled,
                    Err(problems) => {
                        candidates.push(infeasible(strategy, k, problems));
                        break;
                    }
                };
                candidates.push(evaluate(&compiled, mode, &cost, checks, budget, options)?);
            }
        }
    }
    Ok(rank(service, candidates))
}

fn infeasible(strategy: StrategyName, replicas: u32, problems: Vec<String>) -> Candidate {
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

/// Simulates one candidate in batches, stopping once an SLO is out of reach.
fn evaluate(
    compiled: &CompiledScenario,
    mode: FailoverMode,
    cost: &Cost,
    checks: &[Check],
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
            Some(so_far) => Study::merge(vec![so_far, part]).map_err(RecommendError::Run)?,
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
        .map_err(RecommendError::Run)?
        .into_iter()
        .flatten()
        .collect();
    let problems: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| match v.measured {
            Some(value) => format!("{} (measured {value:.6})", v.check),
            None => format!("{} (nothing measured)", v.check),
        })
        .collect();
    let service = &summary.services[0];
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
            .map(|&node| compiled.topology.nodes[node as usize].name.clone())
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
        cost_per_nine: service
            .availability
            .nines
            .filter(|&nines| nines > 0.0)
            .map(|nines| price / nines),
        availability: Some(service.availability.clone()),
        failover_time_p99_s: service.failover_time_s.p99,
        data_loss_p99_s: service.data_loss_s.p99,
        problems,
    })
}

/// Whether more replications can no longer make `check` pass.
fn out_of_reach(check: &Check, service: &ServiceSummary) -> bool {
    let bound = check.bound;
    let (value, interval) = service.metric(check.metric);
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

fn mode_name(mode: Option<FailoverMode>) -> &'static str {
    match mode {
        Some(FailoverMode::Automatic) => "AUTOMATIC",
        Some(FailoverMode::SemiAutomatic) => "SEMI_AUTOMATIC",
        Some(FailoverMode::Manual) => "MANUAL",
        None => "-",
    }
}

/// Renders the recommendation as text: per service, a table of simulated candidates
/// (ranked ones first) and a line per infeasible design.
pub fn render_table(recommendation: &Recommendation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {}  seed {}  up to {} replications per candidate  SLO: {}",
        recommendation.scenario,
        recommendation.seed,
        recommendation.budget_replications,
        recommendation.slo.join(", ")
    );
    for service in &recommendation.services {
        let _ = writeln!(
            out,
            "\nservice {} (now {})",
            service.service,
            service.current_strategy.as_str()
        );
        let header = [
            "rank",
            "strategy",
            "replicas",
            "mode",
            "availability (95% CI)",
            "nines",
            "failover p99",
            "data loss p99",
            "cost",
            "cost/nine",
            "runs",
            "verdict",
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        for c in service
            .candidates
            .iter()
            .filter(|c| c.status != Status::Infeasible)
        {
            let availability = c.availability.as_ref();
            rows.push(vec![
                c.rank.map_or("-".to_string(), |r| r.to_string()),
                c.strategy.as_str().to_string(),
                c.replicas.to_string(),
                mode_name(c.failover_mode).to_string(),
                availability.map_or("-".to_string(), |a| {
                    format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high)
                }),
                availability.map_or("-".to_string(), |a| {
                    a.nines.map_or("∞".to_string(), |n| format!("{n:.2}"))
                }),
                seconds(c.failover_time_p99_s),
                seconds(c.data_loss_p99_s),
                format!("{:.2}", c.cost),
                c.cost_per_nine
                    .map_or("-".to_string(), |v| format!("{v:.2}")),
                if c.stopped_early {
                    format!("{} (stopped)", c.replications)
                } else {
                    c.replications.to_string()
                },
                match c.status {
                    Status::Meets => "meets".to_string(),
                    _ => format!("fails: {}", c.problems.join("; ")),
                },
            ]);
        }
        write_columns(&mut out, &rows);
        for c in service
            .candidates
            .iter()
            .filter(|c| c.status == Status::Infeasible)
        {
            let _ = writeln!(
                out,
                "infeasible: {} × {}: {}",
                c.strategy.as_str(),
                c.replicas,
                c.problems.join("; ")
            );
        }
        let _ = match &service.recommended {
            Some(best) => writeln!(
                out,
                "recommended: {} × {} replicas, {} failover, cost {:.2}",
                best.strategy.as_str(),
                best.replicas,
                mode_name(best.failover_mode),
                best.cost
            ),
            None => writeln!(out, "recommended: none meets every SLO"),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_lists_parse_in_any_case_and_as_ranges() {
        assert_eq!(
            parse_strategies("n_way, active-passive").unwrap(),
            vec![StrategyName::NWay, StrategyName::ActivePassive]
        );
        assert_eq!(parse_replica_counts("2..4").unwrap(), vec![2, 3, 4]);
        assert_eq!(parse_replica_counts("3-5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_replica_counts("5,3").unwrap(), vec![5, 3]);
        assert_eq!(
            parse_modes("automatic,Semi-Automatic").unwrap(),
            vec![FailoverMode::Automatic, FailoverMode::SemiAutomatic]
        );
        assert!(parse_strategies("raft").is_err());
        assert!(parse_replica_counts("5..2").is_err());
        assert!(parse_replica_counts("0").is_err());
        assert!(parse_modes("").is_err());
    }

    #[test]
    fn an_interval_below_a_lower_bound_is_out_of_reach() {
        let check = Check::parse("availability>=0.999").unwrap();
        let mut summary = ServiceSummary::new(&Default::default(), 1.0);
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
