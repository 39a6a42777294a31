//! `compare`: the scenario's services under several strategies against the same fault
//! traces (common random numbers), with paired differences so an engineer sees whether a
//! difference between strategies is real.

use crate::checks::Metric;
use crate::compile::{CompiledScenario, Problem};
use crate::report::{Pairs, PrecisionSummary, ServiceSummary, Study, Summary};
use crate::run::precision::relative;
use crate::run::Precision;
use crate::scenarios::model::{Scenario, StrategyName, UnknownStrategy};
use crate::stats::MeanCi;
use serde::Serialize;

/// The scenario (compiled from `model`) with every service switched to `strategy` and
/// compiled again, or the problems that keep it from running so; faults and seed
/// unchanged, so every replication sees the same fault trace whatever the strategy.
pub fn variant(
    model: &Scenario,
    scenario: &CompiledScenario,
    strategy: StrategyName,
) -> Result<CompiledScenario, Vec<Problem>> {
    scenario.recompile(model, |source| {
        for service in &mut source.services {
            service.strategy = strategy;
        }
    })
}

/// Why `--strategies` does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StrategyListError {
    /// A name that is no strategy.
    #[error(transparent)]
    Unknown(#[from] UnknownStrategy),
    /// Nothing listed.
    #[error("--strategies lists no strategy")]
    Empty,
}

/// Parses a comma-separated strategy list in any case; a name given twice counts once.
pub fn parse_strategies(list: &str) -> Result<Vec<StrategyName>, StrategyListError> {
    let mut strategies = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let strategy = StrategyName::parse_named(name)?;
        if !strategies.contains(&strategy) {
            strategies.push(strategy);
        }
    }
    if strategies.is_empty() {
        return Err(StrategyListError::Empty);
    }
    Ok(strategies)
}

/// A strategy's difference from the baseline for one service, paired by replication
/// (strategy − baseline; fractions and seconds, as every JSON number).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// Service name.
    pub service: String,
    /// The strategy compared.
    pub strategy: String,
    /// The baseline (first strategy listed).
    pub baseline: String,
    /// Strict availability(strategy) − availability(baseline).
    pub availability: MeanCi,
    /// The same for lenient availability.
    pub lenient_availability: MeanCi,
    /// The same for served availability.
    pub served_availability: MeanCi,
    /// Mean failover time difference in seconds, over replications where both failed over.
    pub failover_time_s: Option<MeanCi>,
    /// Replications that entered the failover-time difference.
    pub failover_time_pairs: usize,
}

impl Difference {
    /// The paired difference of one availability (strict for any other metric).
    pub fn of(&self, metric: Metric) -> MeanCi {
        match metric {
            Metric::LenientAvailability => self.lenient_availability,
            Metric::ServedAvailability => self.served_availability,
            _ => self.availability,
        }
    }

    /// The paired differences of service `service` under strategy `strategy` from the
    /// baseline (strategy 0), over the same replications.
    fn new(studies: &[Study], pairs: &Pairs, strategy: usize, service: usize) -> Self {
        let baseline = &studies[0].services[service];
        let paired = pairs.difference(service, strategy, 0, baseline, studies[0].horizon_ns);
        Difference {
            service: baseline.service.clone(),
            strategy: studies[strategy].services[service].strategy.clone(),
            baseline: baseline.strategy.clone(),
            availability: paired.availability,
            lenient_availability: paired.lenient_availability,
            served_availability: paired.served_availability,
            failover_time_s: paired.failover_time_s,
            failover_time_pairs: paired.failover_time_pairs as usize,
        }
    }
}

/// What `compare --json` writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Replications per strategy.
    pub replications: u64,
    /// Horizon in seconds.
    pub horizon_s: f64,
    /// One summary per strategy, in the order asked for.
    pub strategies: Vec<Summary>,
    /// Paired differences of every strategy from the first.
    pub differences: Vec<Difference>,
    /// Present only with `--precision`: the target, what was reached, the replications
    /// used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionSummary>,
    /// The paired sums of every two strategies (for the winners' leads).
    #[serde(skip)]
    pub pairs: Pairs,
}

impl Comparison {
    /// Summarises the studies of each strategy (same scenario, seed and replications,
    /// run in lockstep) and their `pairs`.
    pub fn new(studies: &[Study], pairs: &Pairs) -> Self {
        let summaries: Vec<Summary> = studies.iter().map(Summary::new).collect();
        let first = &summaries[0];
        let services = studies[0].services.len();
        let differences = (1..studies.len())
            .flat_map(|strategy| (0..services).map(move |service| (strategy, service)))
            .map(|(strategy, service)| Difference::new(studies, pairs, strategy, service))
            .collect();
        Comparison {
            scenario: first.scenario.clone(),
            seed: first.seed,
            replications: first.replications,
            horizon_s: first.horizon_s,
            strategies: summaries,
            differences,
            precision: None,
            pairs: pairs.clone(),
        }
    }

    /// The stop rule of a comparison run to `precision`: stop once
    /// [`Comparison::resolved`] holds for the studies and pairs so far.
    pub(crate) fn until_resolved(
        precision: &Precision,
    ) -> impl FnMut(&[Study], &Pairs) -> bool + Send + '_ {
        move |studies, pairs| Comparison::new(studies, pairs).resolved(studies, precision)
    }

    /// Whether `precision` is met: every paired difference of each named availability is
    /// resolved — its 95% interval excludes 0, or its half-width is within the target
    /// relative to the baseline's unavailability — and every check is conclusive on
    /// every strategy. With a single strategy there is no difference: its own intervals
    /// must reach the target, as `run --precision` asks.
    pub fn resolved(&self, studies: &[Study], precision: &Precision) -> bool {
        let differences = self.differences.iter().all(|difference| {
            precision.metrics.iter().all(|&metric| {
                let ci = difference.of(metric);
                let excludes_zero = ci.ci95_low > 0.0 || ci.ci95_high < 0.0;
                excludes_zero
                    || self
                        .relative_half_width(difference, metric)
                        .is_some_and(|r| r <= precision.target)
            })
        });
        let alone = studies.len() > 1
            || studies
                .first()
                .and_then(|study| precision.reached(study))
                .is_some_and(|r| r <= precision.target);
        differences
            && alone
            && self
                .strategies
                .iter()
                .all(|summary| precision.inconclusive(summary) == 0)
    }

    /// The worst half-width of the paired differences of the named availabilities,
    /// relative to the baseline's unavailability; None when the baseline had none (or,
    /// with a single strategy, its own relative half-width).
    pub fn precision_reached(&self, studies: &[Study], precision: &Precision) -> Option<f64> {
        if self.differences.is_empty() {
            return studies.first().and_then(|study| precision.reached(study));
        }
        let mut worst: f64 = 0.0;
        for difference in &self.differences {
            for &metric in &precision.metrics {
                worst = worst.max(self.relative_half_width(difference, metric)?);
            }
        }
        Some(worst)
    }

    /// A difference's half-width relative to the baseline's unavailability of `metric`.
    fn relative_half_width(&self, difference: &Difference, metric: Metric) -> Option<f64> {
        let baseline = self.strategies.first()?;
        let service = baseline
            .services
            .iter()
            .find(|s| s.service == difference.service)?;
        let (mean, _) = service.metric(metric);
        let ci = difference.of(metric);
        relative(ci.ci95_high - ci.ci95_low, 1.0 - mean?)
    }

    /// Every service summary of every strategy, strategy by strategy.
    pub fn services(&self) -> impl Iterator<Item = &ServiceSummary> + Clone {
        self.strategies.iter().flat_map(|s| &s.services)
    }
}

/// What a service's ranking of strategies is read on: strict availability, DESIGN §3's
/// headline figure (UP time over the horizon).
pub const RANKED_ON: &str = "strict availability";

/// The strategy that wins one service: the highest mean strict availability (ties by
/// served availability, then the order asked for), and its lead over the runner-up,
/// paired by replication so that a lead inside the noise is called so.
#[derive(Clone, Debug, PartialEq)]
pub struct Winner {
    /// Service name.
    pub service: String,
    /// The winning strategy.
    pub strategy: String,
    /// The second best, when more than one strategy was compared.
    pub runner_up: Option<String>,
    /// Strict availability(winner) − availability(runner-up), paired by replication.
    pub lead: Option<MeanCi>,
}

impl Winner {
    /// Whether the lead is real: its 95% interval excludes zero. A single strategy
    /// always wins.
    pub fn is_clear(&self) -> bool {
        self.lead.as_ref().is_none_or(|lead| lead.ci95_low > 0.0)
    }
}

/// The winner of every service of a comparison, in the services' order; `studies` are
/// the comparison's, one per strategy in the same order.
pub fn winners(studies: &[Study], comparison: &Comparison) -> Vec<Winner> {
    let count = studies.first().map_or(0, |s| s.services.len());
    let horizon_ns = studies.first().map_or(0, |s| s.horizon_ns);
    (0..count)
        .map(|service| {
            let summaries: Vec<&ServiceSummary> = comparison
                .strategies
                .iter()
                .map(|s| &s.services[service])
                .collect();
            let mut ranked: Vec<usize> = (0..summaries.len()).collect();
            // Best first; NaN (no replication) ranks last.
            let key = |i: usize| {
                let s = summaries[i];
                let finite = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
                (
                    finite(s.availability.mean),
                    finite(s.served_availability.mean),
                )
            };
            ranked.sort_by(|&a, &b| {
                key(b)
                    .partial_cmp(&key(a))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.cmp(&b))
            });
            let best = ranked[0];
            let second = ranked.get(1).copied();
            let lead = |runner_up: usize| {
                let study = &studies[runner_up].services[service];
                comparison
                    .pairs
                    .difference(service, best, runner_up, study, horizon_ns)
                    .availability
            };
            Winner {
                service: summaries[best].service.clone(),
                strategy: summaries[best].strategy.clone(),
                runner_up: second.map(|i| summaries[i].strategy.clone()),
                lead: second.map(lead),
            }
        })
        .collect()
}
