//! The study: everything needed to compute a summary, folded one replication at a time
//! in index order. Shards of a study merge exactly (rows concatenate, histograms add).

use crate::sim::engine::ReplicationOutcome;
use crate::stats::DurationHistogram;
use crate::strategies::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One replication of one service: the row of `replications.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicationRow {
    /// Replication index.
    pub replication: u64,
    /// Strict availability (UP time / horizon, averaged over vantage points).
    pub availability: f64,
    /// Lenient availability (UP or DEGRADED).
    pub lenient_availability: f64,
    /// DOWN time per vantage point, seconds.
    pub down_s: f64,
    /// DEGRADED time per vantage point, seconds.
    pub degraded_s: f64,
    /// Outages (transitions out of UP) per vantage point.
    pub outages: f64,
    /// Failovers, whatever their outcome (DESIGN §6: one per switch a fault triggers).
    pub failovers: u64,
    /// Successful failovers.
    pub failovers_succeeded: u64,
    /// Mean failover time of this replication's successful failovers, seconds.
    pub failover_time_mean_s: Option<f64>,
    /// Split-brain time, seconds.
    pub split_brain_s: f64,
    /// Unnecessary failovers.
    pub unnecessary_failovers: u64,
    /// Safety violations.
    pub safety_violations: u64,
}

/// Everything collected about one service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceStudy {
    /// Service name.
    pub service: String,
    /// Strategy name.
    pub strategy: String,
    /// One row per replication, in index order.
    pub rows: Vec<ReplicationRow>,
    /// Failover time of successful failovers.
    pub failover_time: DurationHistogram,
    /// Detection time of failovers.
    pub detection_time: DurationHistogram,
    /// Data loss of successful failovers.
    pub data_loss: DurationHistogram,
    /// Failovers by outcome (outcomes that occurred only).
    pub failovers_by_outcome: BTreeMap<String, u64>,
    /// Attempts (every failover record) by outcome (outcomes that occurred only).
    pub attempts_by_outcome: BTreeMap<String, u64>,
}

/// A whole study: the scenario's identity and one [`ServiceStudy`] per service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Study {
    /// Scenario name.
    pub scenario: String,
    /// Hash of the scenario file (see [`crate::core::hash::content_hash`]); a shard
    /// file carries it beside the study, so it is not written twice.
    #[serde(skip)]
    pub scenario_hash: String,
    /// Seed.
    pub seed: u64,
    /// Total replications of the run (all shards).
    pub replications: u64,
    /// Horizon in nanoseconds.
    pub horizon_ns: u64,
    /// Per service.
    pub services: Vec<ServiceStudy>,
}

/// Why studies cannot be merged into one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// No study was given.
    #[error("nothing to merge")]
    Nothing,
    /// A part belongs to another run.
    #[error("shard of {part} does not belong to the run of {run}")]
    OtherRun {
        /// The part: scenario, seed and replications.
        part: String,
        /// The run of the first part.
        run: String,
    },
    /// The parts list different services.
    #[error("shards list different services")]
    Services,
    /// Two parts hold the same replication.
    #[error("the same replication appears in two shards")]
    Duplicate,
}

impl Study {
    /// An empty study for these services.
    pub fn new(
        scenario: &str,
        scenario_hash: &str,
        seed: u64,
        replications: u64,
        horizon_ns: u64,
        services: Vec<(String, String)>,
    ) -> Self {
        Study {
            scenario: scenario.to_string(),
            scenario_hash: scenario_hash.to_string(),
            seed,
            replications,
            horizon_ns,
            services: services
                .into_iter()
                .map(|(service, strategy)| ServiceStudy {
                    service,
                    strategy,
                    ..ServiceStudy::default()
                })
                .collect(),
        }
    }

    /// Folds in one replication; call in replication index order.
    pub fn add(&mut self, outcome: &ReplicationOutcome) {
        let horizon = self.horizon_ns;
        for (study, service) in self.services.iter_mut().zip(&outcome.services) {
            let vantages = service.vantages.max(1) as f64;
            let tally = &service.tally;
            study.detection_time.merge(&tally.detection_time);
            study.failover_time.merge(&tally.failover_time);
            study.data_loss.merge(&tally.data_loss);
            count_outcomes(&mut study.failovers_by_outcome, &tally.failovers_by_outcome);
            count_outcomes(&mut study.attempts_by_outcome, &tally.attempts_by_outcome);
            let succeeded = tally.succeeded();
            study.rows.push(ReplicationRow {
                replication: outcome.replication,
                availability: service.availability(horizon),
                lenient_availability: service.lenient_availability(horizon),
                down_s: service.down_ns as f64 / vantages / 1e9,
                degraded_s: service.degraded_ns as f64 / vantages / 1e9,
                outages: service.outages_per_vantage(),
                failovers: tally.failovers(),
                failovers_succeeded: succeeded,
                failover_time_mean_s: tally.failover_time.mean_ns().map(|ns| ns / 1e9),
                split_brain_s: service.split_brain_ns as f64 / 1e9,
                unnecessary_failovers: service.unnecessary_failovers,
                safety_violations: service.safety_violations,
            });
        }
    }

    /// Merges shard studies of the same run; rows are put back in replication order.
    pub fn merge(parts: Vec<Study>) -> Result<Study, MergeError> {
        let mut parts = parts.into_iter();
        let mut merged = parts.next().ok_or(MergeError::Nothing)?;
        for part in parts {
            if part.scenario != merged.scenario
                || part.seed != merged.seed
                || part.horizon_ns != merged.horizon_ns
                || part.replications != merged.replications
            {
                return Err(MergeError::OtherRun {
                    part: format!(
                        "`{}` (seed {}, {} replications)",
                        part.scenario, part.seed, part.replications
                    ),
                    run: format!(
                        "`{}` (seed {}, {} replications)",
                        merged.scenario, merged.seed, merged.replications
                    ),
                });
            }
            if part.services.len() != merged.services.len() {
                return Err(MergeError::Services);
            }
            for (into, from) in merged.services.iter_mut().zip(part.services) {
                into.rows.extend(from.rows);
                into.failover_time.merge(&from.failover_time);
                into.detection_time.merge(&from.detection_time);
                into.data_loss.merge(&from.data_loss);
                for (outcome, count) in from.failovers_by_outcome {
                    *into.failovers_by_outcome.entry(outcome).or_default() += count;
                }
                for (outcome, count) in from.attempts_by_outcome {
                    *into.attempts_by_outcome.entry(outcome).or_default() += count;
                }
            }
        }
        for service in &mut merged.services {
            service.rows.sort_by_key(|row| row.replication);
            let before = service.rows.len();
            service.rows.dedup_by_key(|row| row.replication);
            if service.rows.len() != before {
                return Err(MergeError::Duplicate);
            }
        }
        Ok(merged)
    }
}

/// Adds per-outcome counts (indexed like [`Outcome::ALL`]) into `into` by name, keeping
/// only the outcomes that occurred.
fn count_outcomes(into: &mut BTreeMap<String, u64>, counts: &[u64; Outcome::ALL.len()]) {
    for (outcome, &count) in Outcome::ALL.iter().zip(counts) {
        if count > 0 {
            *into.entry(outcome.as_str().to_string()).or_default() += count;
        }
    }
}
