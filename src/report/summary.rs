//! The summary of DESIGN §7: what `--json` writes and the table prints.

use super::study::{FaultStudy, ServiceStudy, Study};
use crate::core::episode::EndedBy;
use crate::core::flat_map::FlatMap;
use crate::core::metric::Metric;
use crate::core::record::Outcome;
use crate::stats::{nines, wilson_ci95, DurationHistogram, MeanCi};
use serde::Serialize;

pub(crate) const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// Availability with its interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AvailabilitySummary {
    /// Mean over replications.
    pub mean: f64,
    /// Lower end of the 95% confidence interval.
    pub ci95_low: f64,
    /// Upper end of the 95% confidence interval.
    pub ci95_high: f64,
    /// −log10(1 − mean); null when the mean is 1.
    pub nines: Option<f64>,
}

/// Failovers (DESIGN §6: one per switch a fault triggers) by how they ended, and the
/// success rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailoverSummary {
    /// Failovers, whatever their outcome.
    pub total: u64,
    /// Failovers that succeeded: the new target served while what failed still failed.
    pub succeeded: u64,
    /// Failovers that failed (their outcome is a failure reason).
    pub failed: u64,
    /// Failovers overtaken by the return of what failed (neither success nor failure).
    pub superseded: u64,
    /// Failovers still open at the horizon with no failed attempt.
    pub unfinished: u64,
    /// succeeded / (succeeded + failed); null with neither.
    pub success_rate: Option<f64>,
    /// Wilson 95% interval of the success rate, low; null with no rate.
    pub success_ci95_low: Option<f64>,
    /// Wilson 95% interval of the success rate, high; null with no rate.
    pub success_ci95_high: Option<f64>,
    /// Failed failovers by the reason they failed.
    pub failed_by_reason: FlatMap<String, u64>,
}

impl FailoverSummary {
    /// The failovers of a study, counted by outcome name.
    fn new(by_outcome: &FlatMap<String, u64>) -> Self {
        let count = |outcome: Outcome| by_outcome.get(outcome.as_str()).copied().unwrap_or(0);
        let failed_by_reason: FlatMap<String, u64> = Outcome::ALL
            .iter()
            .filter(|outcome| outcome.is_failure() && count(**outcome) > 0)
            .map(|&outcome| (outcome.as_str().to_string(), count(outcome)))
            .collect();
        let succeeded = count(Outcome::Success);
        let failed: u64 = failed_by_reason.values().sum();
        let decided = succeeded + failed;
        let interval = (decided > 0).then(|| wilson_ci95(succeeded, decided));
        FailoverSummary {
            total: by_outcome.values().sum(),
            succeeded,
            failed,
            superseded: count(Outcome::Superseded),
            unfinished: count(Outcome::Unfinished),
            success_rate: (decided > 0).then(|| succeeded as f64 / decided as f64),
            success_ci95_low: interval.map(|(low, _)| low),
            success_ci95_high: interval.map(|(_, high)| high),
            failed_by_reason,
        }
    }
}

/// Failover attempts: every record, the failovers' and the retries'.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttemptSummary {
    /// Attempts.
    pub total: u64,
    /// Attempts by how they ended.
    pub by_outcome: FlatMap<String, u64>,
}

/// Distribution of a duration, in seconds (null when nothing was measured).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimeSummary {
    /// Mean (exact).
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Maximum (exact).
    pub max: Option<f64>,
}

/// Outage episodes (DESIGN §6): maximal intervals not UP, per vantage point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutageSummary {
    /// Mean episodes per year, per vantage point.
    pub per_year: f64,
    /// Episode durations (all causes, all endings).
    pub duration_s: TimeSummary,
    /// Episodes by what ended them, all replications and vantage points together.
    pub ended_by: EndedBySummary,
}

/// Outage episodes by what ended them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndedBySummary {
    /// Restored by a completed failover.
    pub failover: u64,
    /// Restored by the return of what failed (repair, heal, resume).
    pub recovery: u64,
    /// Still running at the horizon.
    pub horizon: u64,
}

/// Outages and failovers of one fault class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindSummary {
    /// Outage episodes the class caused, all replications and vantage points together.
    pub outages: u64,
    /// Failovers the class triggered, all replications together.
    pub failovers: u64,
    /// Failover time of its successful failovers.
    pub failover_time_s: TimeSummary,
    /// Duration of the outage episodes it caused.
    pub outage_duration_s: TimeSummary,
    /// Mean time not UP per year that it caused, seconds.
    pub downtime_s_per_year: f64,
}

/// What one fault cost: the rows of the "downtime by cause" table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultCostSummary {
    /// The fault's id.
    pub fault: String,
    /// Its kind.
    pub kind: String,
    /// Outage episodes it started, all replications and vantage points together.
    pub outages: u64,
    /// Mean time not UP per year that it caused, seconds.
    pub downtime_s_per_year: f64,
}

/// How many faults the "downtime by cause" list keeps, costliest first.
pub(crate) const COSTLIEST_FAULTS: usize = 10;

/// Data loss in seconds of writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LossSummary {
    /// Median.
    pub p50: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

/// One service across all replications.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSummary {
    /// Service name.
    pub service: String,
    /// Strategy.
    pub strategy: String,
    /// Strict availability (UP only).
    pub availability: AvailabilitySummary,
    /// Lenient availability (UP or DEGRADED).
    pub lenient_availability: AvailabilitySummary,
    /// Served availability: the fraction of requests served (∫ served fraction dt).
    pub served_availability: AvailabilitySummary,
    /// Mean DOWN-or-DEGRADED time per year, seconds.
    pub downtime_s_per_year: f64,
    /// Outage episodes.
    pub outages: OutageSummary,
    /// Failover attempts and success.
    pub failovers: FailoverSummary,
    /// Failover attempts.
    pub attempts: AttemptSummary,
    /// Failover time of successful failovers (completed − fault).
    pub failover_time_s: TimeSummary,
    /// Detection time (detected − fault) of failovers, whatever their outcome.
    pub detection_time_s: TimeSummary,
    /// Data loss of successful failovers.
    pub data_loss_s: LossSummary,
    /// Mean split-brain seconds per replication.
    pub split_brain_s: f64,
    /// Unnecessary failovers, all replications together.
    pub unnecessary_failovers: u64,
    /// Safety violations, all replications together.
    pub safety_violations: u64,
    /// Outages and failovers by fault kind.
    pub by_fault_kind: FlatMap<String, KindSummary>,
    /// The faults that cost the most downtime, costliest first (at most
    /// `COSTLIEST_FAULTS`).
    pub downtime_by_fault: Vec<FaultCostSummary>,
    /// For each mission time of the scenario, the chance of no outage within it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missions: Vec<MissionSummary>,
    /// Mean time to the first outage, seconds: time observed before the first outage
    /// (or the horizon) over replications that had one; null when none had. Given only
    /// with missions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_time_to_first_outage_s: Option<f64>,
    /// The exact figures of the scenario's Markov chain, when it is in the exact subset
    /// (docs/exact.md) with at most [`crate::exact::MAX_STATES`] states.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<super::ExactFigures>,
}

/// The chance that a service has no outage within the first `mission_s` of a
/// replication (DESIGN §10).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MissionSummary {
    /// The mission time, seconds.
    pub mission_s: f64,
    /// Share of replications with no outage episode starting within it.
    pub p_no_outage: f64,
    /// Wilson 95% interval, low.
    pub ci95_low: f64,
    /// Wilson 95% interval, high.
    pub ci95_high: f64,
}

/// The whole summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The failsim version that produced it.
    pub version: String,
    /// Scenario name.
    pub scenario: String,
    /// Hash of the scenario file (see [`crate::core::hash::content_hash`]): with the
    /// version and the seed, what reproduces every number here.
    pub scenario_hash: String,
    /// Seed.
    pub seed: u64,
    /// Replications summarised (done).
    pub replications: u64,
    /// Replications asked for; more than `replications` only in a partial result.
    pub replications_requested: u64,
    /// Horizon in seconds.
    pub horizon_s: f64,
    /// False for a partial result (`--partial` after a budget or Ctrl-C ran out): it
    /// summarises only the first `replications` of `replications_requested`.
    pub complete: bool,
    /// Per service.
    pub services: Vec<ServiceSummary>,
    /// The system, when the scenario composes one, reported like a service (its
    /// `strategy` is "system").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<ServiceSummary>,
    /// Present only with `--precision`: the target, what was reached, the replications
    /// used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionSummary>,
    /// Every fault of the scenario and what it did (DESIGN §5: a fault that starts and
    /// changes no service's state is inert).
    pub faults: Vec<FaultSummary>,
}

/// What one fault did over the study.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultSummary {
    /// The fault's id, given or derived.
    pub fault: String,
    /// Its kind.
    pub kind: String,
    /// Times it started, all replications together.
    pub starts: u64,
    /// Mean nodes a start affected; null when it never started.
    pub nodes_affected: Option<f64>,
    /// The services whose state it changed at least once, in scenario order.
    pub services_changed: Vec<String>,
    /// Changes of a service's state it caused, all services and replications together.
    pub state_changes: u64,
}

impl FaultSummary {
    fn new(fault: &FaultStudy, services: &[ServiceStudy]) -> Self {
        FaultSummary {
            fault: fault.fault.clone(),
            kind: fault.kind.clone(),
            starts: fault.starts,
            nodes_affected: (fault.starts > 0).then(|| fault.nodes as f64 / fault.starts as f64),
            services_changed: fault
                .changes
                .keys()
                .map(|&s| services[s as usize].service.clone())
                .collect(),
            state_changes: fault.changes.values().sum(),
        }
    }
}

/// How a study run with `--precision` stopped: the relative half-width of the 95%
/// interval of unavailability asked for and reached, and the replications it took.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrecisionSummary {
    /// The target: largest half-width of the 95% interval of each named metric's
    /// unavailability (1 − availability), relative to that unavailability.
    pub target: f64,
    /// The availabilities whose unavailability was measured (`availability`, …).
    pub metrics: Vec<String>,
    /// The worst relative half-width at the stop, over services, the system and the
    /// metrics (for `compare`: over the paired differences, relative to the baseline's
    /// unavailability); null when some unavailability was never observed, so that no
    /// relative precision exists.
    pub reached: Option<f64>,
    /// `precision` when the target was reached (and every check was conclusive),
    /// `max_replications` when the maximum came first; from `merge`, `more_shards_needed`
    /// when the shards merged so far do not reach it.
    pub stopped_by: &'static str,
    /// Replications used (for `compare`: per strategy).
    pub replications_used: u64,
    /// The most replications allowed (`--max-replications`).
    pub max_replications: u64,
    /// With fixed batches (`run --batches N`, or shards `--shard I/N` merged): N, the
    /// batches at whose ends alone the stopping rule was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_batches: Option<u64>,
    /// Only from `merge` when more shards are needed: the shards to run next, as
    /// inclusive ranges `[first, last]` of shard numbers (1-based, of `fixed_batches`),
    /// up to the estimate n·(reached/target)² of the replications needed (the next
    /// shard alone when there is no estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_shards: Option<Vec<[u64; 2]>>,
}

fn secs(ns: Option<u64>) -> Option<f64> {
    ns.map(|v| v as f64 / 1e9)
}

fn times(histogram: &DurationHistogram) -> TimeSummary {
    let histogram = histogram.folded();
    TimeSummary {
        mean: histogram.mean_ns().map(|m| m / 1e9),
        p50: secs(histogram.quantile_ns(0.5)),
        p90: secs(histogram.quantile_ns(0.9)),
        p99: secs(histogram.quantile_ns(0.99)),
        max: secs(histogram.max()),
    }
}

fn availability(estimate: MeanCi) -> AvailabilitySummary {
    AvailabilitySummary {
        mean: estimate.mean,
        ci95_low: estimate.ci95_low,
        ci95_high: estimate.ci95_high,
        nines: nines(estimate.mean),
    }
}

impl ServiceSummary {
    /// Summarises one service of a study whose horizon is `horizon_ns`.
    pub fn new(study: &ServiceStudy, horizon_ns: u64, missions: &[u64]) -> Self {
        let horizon_s = horizon_ns as f64 / 1e9;
        let done = study.done;
        let n = done.max(1) as f64;
        let unit = study.unit(horizon_ns);
        let availability = availability(study.availability.mean_ci(unit));
        // Episodes per vantage point, per replication.
        let outages = if done == 0 {
            0.0
        } else {
            study.outages.mean(u128::from(study.vantages.max(1)))
        };
        // Time summed over vantage points and replications, as seconds per year of one
        // vantage point.
        let data_loss = study.data_loss.folded();
        let exposure_s = study.vantages.max(1) as f64 * n * horizon_s;
        let per_year = |ns: u128| ns as f64 / 1e9 / exposure_s * SECONDS_PER_YEAR;
        let ended = |ending: EndedBy| {
            study
                .outages_ended_by
                .get(ending.as_str())
                .copied()
                .unwrap_or(0)
        };
        let mut costliest: Vec<FaultCostSummary> = study
            .by_fault
            .iter()
            .map(|(fault, cause)| FaultCostSummary {
                fault: fault.clone(),
                kind: cause.kind.clone(),
                outages: cause.cost.outages,
                downtime_s_per_year: per_year(cause.cost.downtime_ns),
            })
            .collect();
        // Costliest first; ties keep the ids' order (the sort is stable).
        costliest.sort_by(|a, b| b.downtime_s_per_year.total_cmp(&a.downtime_s_per_year));
        costliest.truncate(COSTLIEST_FAULTS);
        let mut all_outages = DurationHistogram::new();
        for kind in study.by_fault_kind.values() {
            all_outages.merge(&kind.outage_duration);
        }
        ServiceSummary {
            service: study.service.clone(),
            strategy: study.strategy.clone(),
            downtime_s_per_year: (1.0 - availability.mean) * SECONDS_PER_YEAR,
            outages: OutageSummary {
                per_year: outages / horizon_s * SECONDS_PER_YEAR,
                duration_s: times(&all_outages),
                ended_by: EndedBySummary {
                    failover: ended(EndedBy::Failover),
                    recovery: ended(EndedBy::Recovery),
                    horizon: ended(EndedBy::Horizon),
                },
            },
            availability,
            lenient_availability: self::availability(study.lenient_availability.mean_ci(unit)),
            served_availability: self::availability(
                study
                    .served_availability
                    .mean_ci(study.served_unit(horizon_ns)),
            ),
            failovers: FailoverSummary::new(&study.failovers_by_outcome),
            attempts: AttemptSummary {
                total: study.attempts_by_outcome.values().sum(),
                by_outcome: study.attempts_by_outcome.clone(),
            },
            failover_time_s: times(&study.failover_time()),
            detection_time_s: times(&study.detection_time),
            data_loss_s: LossSummary {
                p50: secs(data_loss.quantile_ns(0.5)),
                p99: secs(data_loss.quantile_ns(0.99)),
                max: secs(study.data_loss.max()),
            },
            split_brain_s: study.split_brain_ns as f64 / 1e9 / n,
            unnecessary_failovers: study.unnecessary_failovers,
            safety_violations: study.safety_violations,
            by_fault_kind: study
                .by_fault_kind
                .iter()
                .map(|(kind, tally)| {
                    let summary = KindSummary {
                        outages: tally.outage_duration.count(),
                        failovers: tally.failovers,
                        failover_time_s: times(&tally.failover_time),
                        outage_duration_s: times(&tally.outage_duration),
                        downtime_s_per_year: per_year(tally.outage_duration.sum_ns()),
                    };
                    (kind.clone(), summary)
                })
                .collect(),
            downtime_by_fault: costliest,
            missions: missions
                .iter()
                .enumerate()
                .map(|(m, &mission)| {
                    let clear = study.missions_clear.get(m).copied().unwrap_or(0);
                    let (ci95_low, ci95_high) = wilson_ci95(clear, done);
                    MissionSummary {
                        mission_s: mission as f64 / 1e9,
                        p_no_outage: clear as f64 / n,
                        ci95_low,
                        ci95_high,
                    }
                })
                .collect(),
            mean_time_to_first_outage_s: if missions.is_empty() {
                None
            } else {
                mean_time_to_first_outage(study)
            },
            exact: study.exact.clone(),
        }
    }

    /// The value of a check metric and its 95% interval where one exists.
    pub fn metric(&self, metric: Metric) -> (Option<f64>, Option<(f64, f64)>) {
        let ci = |a: &AvailabilitySummary| Some((a.ci95_low, a.ci95_high));
        let plain = |value: Option<f64>| (value, None);
        match metric {
            Metric::Availability => (Some(self.availability.mean), ci(&self.availability)),
            Metric::LenientAvailability => (
                Some(self.lenient_availability.mean),
                ci(&self.lenient_availability),
            ),
            Metric::ServedAvailability => (
                Some(self.served_availability.mean),
                ci(&self.served_availability),
            ),
            Metric::Nines => plain(Some(self.availability.nines.unwrap_or(f64::INFINITY))),
            Metric::DowntimePerYear => plain(Some(self.downtime_s_per_year)),
            Metric::OutagesPerYear => plain(Some(self.outages.per_year)),
            Metric::OutageMean => plain(self.outages.duration_s.mean),
            Metric::OutageP50 => plain(self.outages.duration_s.p50),
            Metric::OutageP90 => plain(self.outages.duration_s.p90),
            Metric::OutageP99 => plain(self.outages.duration_s.p99),
            Metric::OutageMax => plain(self.outages.duration_s.max),
            Metric::SuccessRate => (
                self.failovers.success_rate,
                self.failovers
                    .success_ci95_low
                    .zip(self.failovers.success_ci95_high),
            ),
            Metric::Failovers => plain(Some(self.failovers.total as f64)),
            Metric::FailoversSucceeded => plain(Some(self.failovers.succeeded as f64)),
            Metric::FailoversFailed => plain(Some(self.failovers.failed as f64)),
            Metric::Attempts => plain(Some(self.attempts.total as f64)),
            Metric::FailoverTimeMean => plain(self.failover_time_s.mean),
            Metric::FailoverTimeP50 => plain(self.failover_time_s.p50),
            Metric::FailoverTimeP90 => plain(self.failover_time_s.p90),
            Metric::FailoverTimeP99 => plain(self.failover_time_s.p99),
            Metric::FailoverTimeMax => plain(self.failover_time_s.max),
            Metric::DetectionTimeMean => plain(self.detection_time_s.mean),
            Metric::DetectionTimeP50 => plain(self.detection_time_s.p50),
            Metric::DetectionTimeP90 => plain(self.detection_time_s.p90),
            Metric::DetectionTimeP99 => plain(self.detection_time_s.p99),
            Metric::DetectionTimeMax => plain(self.detection_time_s.max),
            Metric::DataLossP50 => plain(self.data_loss_s.p50),
            Metric::DataLossP99 => plain(self.data_loss_s.p99),
            Metric::DataLossMax => plain(self.data_loss_s.max),
            Metric::SplitBrain => plain(Some(self.split_brain_s)),
            Metric::UnnecessaryFailovers => plain(Some(self.unnecessary_failovers as f64)),
            Metric::SafetyViolations => plain(Some(self.safety_violations as f64)),
        }
    }

    /// The value of a check metric read from one fault kind's outages and failovers
    /// (`SERVICE.KIND.METRIC`); None when the kind caused nothing in the run (no data)
    /// or the metric is not broken down by kind (see [`Metric::per_fault_kind`]).
    pub fn fault_kind_metric(&self, kind: &str, metric: Metric) -> Option<f64> {
        let tally = self.by_fault_kind.get(kind)?;
        match metric {
            Metric::DowntimePerYear => Some(tally.downtime_s_per_year),
            // The service's rate, shared out by the kind's part of the episodes.
            Metric::OutagesPerYear => {
                let ended = &self.outages.ended_by;
                let episodes = ended.failover + ended.recovery + ended.horizon;
                Some(if episodes == 0 {
                    0.0
                } else {
                    self.outages.per_year * tally.outages as f64 / episodes as f64
                })
            }
            Metric::OutageMean => tally.outage_duration_s.mean,
            Metric::OutageP50 => tally.outage_duration_s.p50,
            Metric::OutageP90 => tally.outage_duration_s.p90,
            Metric::OutageP99 => tally.outage_duration_s.p99,
            Metric::OutageMax => tally.outage_duration_s.max,
            Metric::Failovers => Some(tally.failovers as f64),
            Metric::FailoverTimeMean => tally.failover_time_s.mean,
            Metric::FailoverTimeP50 => tally.failover_time_s.p50,
            Metric::FailoverTimeP90 => tally.failover_time_s.p90,
            Metric::FailoverTimeP99 => tally.failover_time_s.p99,
            Metric::FailoverTimeMax => tally.failover_time_s.max,
            _ => None,
        }
    }
}

/// Time on test over failures: the time observed before each replication's first
/// outage (or the horizon, when it had none) over the replications that had one. The
/// maximum-likelihood mean for exponential times to first outage, censored at the
/// horizon; None when no replication had an outage.
fn mean_time_to_first_outage(study: &ServiceStudy) -> Option<f64> {
    (study.with_outage > 0)
        .then(|| study.time_to_first_outage_ns as f64 / 1e9 / study.with_outage as f64)
}

impl Summary {
    /// Summarises a study.
    pub fn new(study: &Study) -> Self {
        let horizon_s = study.horizon_ns as f64 / 1e9;
        let done = study.done();
        Summary {
            version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: study.scenario.clone(),
            scenario_hash: study.scenario_hash.clone(),
            seed: study.seed,
            replications: done,
            replications_requested: study.replications,
            horizon_s,
            complete: done >= study.replications,
            services: study
                .services
                .iter()
                .map(|s| ServiceSummary::new(s, study.horizon_ns, &study.missions))
                .collect(),
            system: study
                .system
                .as_ref()
                .map(|s| ServiceSummary::new(s, study.horizon_ns, &study.missions)),
            precision: None,
            faults: study
                .faults
                .iter()
                // Overload is registered for every scenario: listed once it happens.
                .filter(|fault| fault.kind != "overload" || fault.starts > 0)
                .map(|fault| FaultSummary::new(fault, &study.services))
                .collect(),
        }
    }
}
