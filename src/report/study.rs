//! The study: everything needed to compute a summary, folded one replication at a time
//! in index order. Its memory does not grow with the replications (exact streaming
//! sums, bounded histograms), and shards of a study merge exactly (sums and histograms add).

use crate::compile::CompiledScenario;
use crate::core::episode::EndedBy;
use crate::core::flat_map::FlatMap;
use crate::core::metric::Metric;
use crate::sim::engine::{ReplicationOutcome, ServiceOutcome};
use crate::sim::faults::FaultRegistry;
use crate::stats::{DurationHistogram, FaultCost, KindTally, MeanCi, Moments};
use crate::strategies::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fraction bits of the served availability's numerator: ∫ served fraction dt is not a
/// whole number of nanoseconds, so it is summed in units of 2⁻³² ns (below an ulp of
/// any availability: a horizon of one second is 2⁶² such units).
pub const SERVED_FRACTION_BITS: u32 = 32;

/// Everything collected about one service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceStudy {
    /// Service name.
    pub service: String,
    /// Strategy name.
    pub strategy: String,
    /// Vantage points (each replication's times are summed over them).
    pub vantages: u32,
    /// Replications folded.
    pub done: u64,
    /// The replication indices folded, as sorted disjoint half-open ranges.
    pub folded: Vec<(u64, u64)>,
    /// Strict availability: UP ns (summed over vantage points) per replication, over
    /// vantage points × horizon (see [`ServiceStudy::unit`]).
    pub availability: Moments,
    /// Lenient availability: UP + DEGRADED ns per replication.
    pub lenient_availability: Moments,
    /// Served availability: UP ns + ∫ served fraction over DEGRADED time, in units of
    /// 2⁻[`SERVED_FRACTION_BITS`] ns.
    pub served_availability: Moments,
    /// Outage episodes (all vantage points) per replication.
    pub outages: Moments,
    /// Split-brain time, all replications together (ns).
    pub split_brain_ns: u128,
    /// Unnecessary failovers, all replications together.
    pub unnecessary_failovers: u64,
    /// Safety violations, all replications together.
    pub safety_violations: u64,
    /// Replications with an outage episode.
    pub with_outage: u64,
    /// Time observed before each replication's first outage (or the horizon), summed (ns).
    pub time_to_first_outage_ns: u128,
    /// For each mission time of the study, the replications with no outage episode
    /// starting within it.
    pub missions_clear: Vec<u64>,
    /// Detection time of failovers.
    pub detection_time: DurationHistogram,
    /// Data loss of successful failovers.
    pub data_loss: DurationHistogram,
    /// Failovers by outcome (outcomes that occurred only).
    pub failovers_by_outcome: FlatMap<String, u64>,
    /// Attempts (every failover record) by outcome (outcomes that occurred only).
    pub attempts_by_outcome: FlatMap<String, u64>,
    /// Outage episodes by what ended them (`failover`, `recovery`, `horizon`).
    pub outages_ended_by: FlatMap<String, u64>,
    /// Outages and failovers by fault kind.
    pub by_fault_kind: FlatMap<String, KindTally>,
    /// Outages and downtime by fault (id), with the fault's kind.
    pub by_fault: FlatMap<String, FaultCause>,
    /// The exact figures of the scenario's Markov chain (`failsim solve`), when the
    /// scenario qualifies and its chain has at most [`crate::exact::MAX_STATES`] states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<ExactFigures>,
}

/// The exact steady-state figures of a service or the system, beside the simulated ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactFigures {
    /// Long-run fraction of time UP.
    pub availability: f64,
    /// Long-run fraction of time not UP (summed over the down states, so its digits
    /// survive where 1 − availability would lose them).
    pub unavailability: f64,
    /// Transitions out of UP per year of 365.25 days.
    pub outages_per_year: f64,
}

/// The exact figures of every service and then the system, when the scenario is in the
/// exact subset and small; None otherwise.
fn exact_figures(scenario: &CompiledScenario) -> Option<Vec<ExactFigures>> {
    let chain = crate::exact::Chain::of(scenario).ok()?;
    if chain.states() > crate::exact::MAX_STATES {
        return None;
    }
    let solutions = chain.solve(false).ok()?;
    Some(
        solutions
            .into_iter()
            .map(|s| ExactFigures {
                availability: s.availability,
                unavailability: s.unavailability,
                outages_per_year: s.outages_per_year,
            })
            .collect(),
    )
}

/// What one fault did over a study (DESIGN §5): its starts, the nodes they affected and
/// the state changes it caused in each service. Sums only, so shards merge exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultStudy {
    /// The fault's id.
    pub fault: String,
    /// Its kind.
    pub kind: String,
    /// Times it started, all replications together.
    pub starts: u64,
    /// Nodes its starts affected, summed (see [`crate::sim::engine::FaultEffect`]).
    pub nodes: u64,
    /// State changes it caused, by service index: only the services it changed.
    pub changes: BTreeMap<u32, u64>,
}

/// Outage episodes and downtime charged to one fault over a study.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCause {
    /// The fault's kind.
    pub kind: String,
    /// Episodes and time not UP, summed over vantage points and replications (not
    /// flattened: serde's flatten cannot carry the `u128`).
    pub cost: FaultCost,
}

impl ServiceStudy {
    /// Failover time of successful failovers, all fault kinds together (kept by kind).
    pub fn failover_time(&self) -> DurationHistogram {
        let mut all = DurationHistogram::new();
        for kind in self.by_fault_kind.values() {
            all.merge(&kind.failover_time);
        }
        all
    }

    /// Folds in what the service lived through in replication `replication`.
    fn add(&mut self, replication: u64, service: &ServiceOutcome, context: &FoldContext) {
        let (horizon, names) = (context.horizon, context.names);
        self.vantages = service.vantages;
        self.done += 1;
        match self.folded.last_mut() {
            Some((_, end)) if *end == replication => *end += 1,
            _ => self.folded.push((replication, replication + 1)),
        }
        let tally = &service.tally;
        self.detection_time.merge(&tally.detection_time);
        self.data_loss.merge(&tally.data_loss);
        count_outcomes(&mut self.failovers_by_outcome, &tally.failovers_by_outcome);
        count_outcomes(&mut self.attempts_by_outcome, &tally.attempts_by_outcome);
        let outages = &service.outage_tally;
        for (ending, &count) in EndedBy::ALL.iter().zip(&outages.ended_by) {
            add_count(&mut self.outages_ended_by, ending.as_str(), count);
        }
        for (kind, tally) in &outages.by_kind {
            let kind = &names.kinds[*kind];
            match self.by_fault_kind.get_mut(kind) {
                Some(into) => into.merge(tally),
                None => {
                    // Capped as the study's other histograms are.
                    let mut into = KindTally::capped(self.detection_time.cap());
                    into.merge(tally);
                    self.by_fault_kind.insert(kind.clone(), into);
                }
            }
        }
        for (tag, cost) in &outages.by_fault {
            let (id, kind) = &names.faults[*tag as usize];
            match self.by_fault.get_mut(id) {
                Some(cause) => cause.cost.merge(cost),
                None => {
                    let cause = FaultCause {
                        kind: kind.clone(),
                        cost: *cost,
                    };
                    self.by_fault.insert(id.clone(), cause);
                }
            }
        }
        self.availability.record(service.up_ns);
        self.lenient_availability
            .record(service.up_ns + service.degraded_ns);
        self.served_availability.record(served_numerator(service));
        self.outages.record(u128::from(outages.episodes()));
        self.split_brain_ns += u128::from(service.split_brain_ns);
        self.unnecessary_failovers += service.unnecessary_failovers;
        self.safety_violations += service.safety_violations;
        let first = outages.first_start.map(|t| t.0);
        self.with_outage += u64::from(first.is_some());
        self.time_to_first_outage_ns += u128::from(first.unwrap_or(horizon).min(horizon));
        self.missions_clear.resize(context.missions.len(), 0);
        for (clear, &mission) in self.missions_clear.iter_mut().zip(context.missions) {
            *clear += u64::from(first.is_none_or(|first| first > mission));
        }
    }

    /// The denominator of each replication's strict and lenient availability numerator:
    /// vantage points × horizon (ns).
    pub fn unit(&self, horizon_ns: u64) -> u128 {
        u128::from(self.vantages.max(1)) * u128::from(horizon_ns)
    }

    /// The mean and 95% interval of one availability (`availability`,
    /// `lenient_availability`, `served_availability`; strict for any other metric) over
    /// the replications folded, for a study whose horizon is `horizon_ns`.
    pub fn availability_ci(&self, metric: Metric, horizon_ns: u64) -> MeanCi {
        match metric {
            Metric::LenientAvailability => self.lenient_availability.mean_ci(self.unit(horizon_ns)),
            Metric::ServedAvailability => self
                .served_availability
                .mean_ci(self.served_unit(horizon_ns)),
            _ => self.availability.mean_ci(self.unit(horizon_ns)),
        }
    }

    /// The denominator of the served availability's numerator.
    pub fn served_unit(&self, horizon_ns: u64) -> u128 {
        self.unit(horizon_ns) << SERVED_FRACTION_BITS
    }

    /// Adds a shard's study of the same service (ranges are sorted afterwards).
    fn merge(&mut self, from: ServiceStudy) {
        self.vantages = self.vantages.max(from.vantages);
        self.done += from.done;
        self.folded.extend(from.folded);
        self.availability.merge(&from.availability);
        self.lenient_availability.merge(&from.lenient_availability);
        self.served_availability.merge(&from.served_availability);
        self.outages.merge(&from.outages);
        self.split_brain_ns += from.split_brain_ns;
        self.unnecessary_failovers += from.unnecessary_failovers;
        self.safety_violations += from.safety_violations;
        self.with_outage += from.with_outage;
        self.time_to_first_outage_ns += from.time_to_first_outage_ns;
        if self.missions_clear.len() < from.missions_clear.len() {
            self.missions_clear.resize(from.missions_clear.len(), 0);
        }
        for (into, clear) in self.missions_clear.iter_mut().zip(from.missions_clear) {
            *into += clear;
        }
        self.detection_time.merge(&from.detection_time);
        self.data_loss.merge(&from.data_loss);
        for (outcome, count) in from.failovers_by_outcome {
            *self.failovers_by_outcome.get_or_default(outcome) += count;
        }
        for (outcome, count) in from.attempts_by_outcome {
            *self.attempts_by_outcome.get_or_default(outcome) += count;
        }
        for (ending, count) in from.outages_ended_by {
            *self.outages_ended_by.get_or_default(ending) += count;
        }
        for (kind, tally) in from.by_fault_kind {
            self.by_fault_kind.get_or_default(kind).merge(&tally);
        }
        for (id, cause) in from.by_fault {
            let into = self.by_fault.get_or_insert_with(id, || FaultCause {
                kind: cause.kind.clone(),
                cost: FaultCost::default(),
            });
            into.cost.merge(&cause.cost);
        }
    }

    /// Puts the folded ranges back in replication order, joining adjacent
    /// ranges; fails if a replication appears twice.
    fn sort_folded(&mut self) -> Result<(), MergeError> {
        self.folded.sort_unstable();
        let mut joined: Vec<(u64, u64)> = Vec::with_capacity(self.folded.len());
        for &(start, end) in &self.folded {
            match joined.last_mut() {
                Some((_, last)) if *last > start => return Err(MergeError::Duplicate),
                Some((_, last)) if *last == start => *last = end,
                _ => joined.push((start, end)),
            }
        }
        self.folded = joined;
        Ok(())
    }
}

/// UP ns plus ∫ served fraction over DEGRADED time, in units of 2⁻[`SERVED_FRACTION_BITS`]
/// ns (rounded to the nearest unit: each replication's own value, so the sum does not
/// depend on how replications are grouped).
pub(super) fn served_numerator(service: &ServiceOutcome) -> u128 {
    let fraction = (service.degraded_served_ns * 2f64.powi(SERVED_FRACTION_BITS as i32)).round();
    (service.up_ns << SERVED_FRACTION_BITS) + fraction.max(0.0) as u128
}

/// What folding a replication needs besides its outcome.
struct FoldContext<'a> {
    horizon: u64,
    missions: &'a [u64],
    names: &'a FaultNames,
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
    /// The system's, when the scenario composes one (its `service` is the system's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<ServiceStudy>,
    /// Mission times (ns), ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missions: Vec<u64>,
    /// Every fault of the scenario, by tag (less "no fault"): what it did.
    #[serde(default)]
    pub faults: Vec<FaultStudy>,
    /// Fault ids and kinds by tag, and the kinds by kind index, of the scenario: how
    /// replication outcomes name faults. Not part of a shard (outcomes are folded in
    /// by name).
    #[serde(skip)]
    names: FaultNames,
}

/// Fault ids and kinds by tag, and the fault kinds by kind index.
#[derive(Clone, Debug, Default, PartialEq)]
struct FaultNames {
    faults: Vec<(String, String)>,
    kinds: Vec<String>,
}

/// What the system's study gives as its strategy.
pub(crate) const SYSTEM: &str = "system";

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

/// Buckets the duration histograms of a study may occupy together, about 80 MB (a
/// bucket is a 16-byte pair and 4 bytes of room for pending values). A study of few
/// services keeps every histogram at full precision (up to 56,320 buckets each, 440 KiB
/// dense); one of many services shares this among them (see [`histogram_cap`]).
const STUDY_BUCKETS: u64 = 1 << 22;

/// Duration histograms a study keeps per service: detection time, data loss, and the
/// outage duration and failover time of each fault class (one class counted: most
/// scenarios' services see one or two).
const HISTOGRAMS_PER_SERVICE: u64 = 4;

/// The cap on each duration histogram of a study of `services` services (the system
/// counted as one), or None where they all fit [`STUDY_BUCKETS`] at full precision: a
/// study's memory then stays within a bound set by its services, however many
/// replications it runs (DESIGN: flat memory), at a precision that depends on the
/// scenario alone (so shards and threads agree) and on how widely each histogram's
/// values spread (see [`DurationHistogram::capped`]).
fn histogram_cap(services: usize) -> Option<u32> {
    let cap = STUDY_BUCKETS / (services as u64 * HISTOGRAMS_PER_SERVICE).max(1);
    (cap < FULL_PRECISION_BUCKETS).then_some(cap as u32)
}

/// Buckets a histogram may occupy at full precision (those of every `u64`).
const FULL_PRECISION_BUCKETS: u64 = 56_320;

/// How far a study's duration histograms collapsed to keep within their cap (see
/// [`DurationHistogram::capped`]): what a user is told beside coarser percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coarsened {
    /// Services (the system counted as one) with a histogram above level 0.
    pub services: usize,
    /// The coarsest level any of them reached.
    pub level: u8,
    /// The cap on each histogram.
    pub cap: u32,
}

impl ServiceStudy {
    /// The duration histograms kept, with the cap and level of each.
    fn histograms(&self) -> impl Iterator<Item = &DurationHistogram> {
        let kinds = self.by_fault_kind.values();
        [&self.detection_time, &self.data_loss]
            .into_iter()
            .chain(kinds.flat_map(|kind| [&kind.outage_duration, &kind.failover_time]))
    }
}

impl Study {
    /// Whether any duration histogram collapsed to keep within its cap, and how far;
    /// None when every percentile has the full precision (relative error below 0.05 %).
    pub fn coarsened(&self) -> Option<Coarsened> {
        let mut found: Option<Coarsened> = None;
        for service in self.services.iter().chain(&self.system) {
            let coarsest = service
                .histograms()
                .filter_map(|h| Some((h.level(), h.cap()?)))
                .max();
            if let Some((level @ 1.., cap)) = coarsest {
                let into = found.get_or_insert(Coarsened {
                    services: 0,
                    level,
                    cap,
                });
                into.services += 1;
                into.level = into.level.max(level);
            }
        }
        found
    }

    /// An empty study of `scenario`'s services (and system).
    pub fn new(scenario: &CompiledScenario, registry: &FaultRegistry) -> Self {
        let cap = histogram_cap(scenario.services.len() + usize::from(scenario.system.is_some()));
        let histogram = || cap.map_or_else(DurationHistogram::new, DurationHistogram::capped);
        let study = |service: &str, strategy: &str| ServiceStudy {
            service: service.to_string(),
            strategy: strategy.to_string(),
            detection_time: histogram(),
            data_loss: histogram(),
            ..ServiceStudy::default()
        };
        let mut study = Study {
            scenario: scenario.name.clone(),
            scenario_hash: scenario.source_hash.clone(),
            seed: scenario.seed,
            replications: scenario.replications,
            horizon_ns: scenario.horizon,
            services: scenario
                .services
                .iter()
                .map(|s| study(&s.name, s.strategy.name().as_str()))
                .collect(),
            system: scenario
                .system
                .as_ref()
                .map(|system| study(&system.name, SYSTEM)),
            missions: scenario.missions.clone(),
            faults: registry
                .faults()
                .skip(1)
                .map(|(id, kind)| FaultStudy {
                    fault: id.to_string(),
                    kind: kind.to_string(),
                    ..FaultStudy::default()
                })
                .collect(),
            names: FaultNames {
                faults: registry
                    .faults()
                    .map(|(id, kind)| (id.to_string(), kind.to_string()))
                    .collect(),
                kinds: registry.kinds().iter().map(|k| k.to_string()).collect(),
            },
        };
        if let Some(figures) = exact_figures(scenario) {
            let studies = study.services.iter_mut().chain(study.system.as_mut());
            for (service, exact) in studies.zip(figures) {
                service.exact = Some(exact);
            }
        }
        study
    }

    /// Replications folded (those of the first service; every service has them all).
    pub fn done(&self) -> u64 {
        self.services.first().map_or(0, |s| s.done)
    }

    /// Folds in one replication; call in replication index order.
    pub fn add(&mut self, outcome: &ReplicationOutcome) {
        let context = FoldContext {
            horizon: self.horizon_ns,
            missions: &self.missions,
            names: &self.names,
        };
        for (study, service) in self.services.iter_mut().zip(&outcome.services) {
            study.add(outcome.replication, service, &context);
        }
        if let (Some(study), Some(system)) = (&mut self.system, &outcome.system) {
            study.add(outcome.replication, system, &context);
        }
        // Tag 0 is "no fault", left out of `faults`.
        for (tag, effect) in &outcome.faults {
            if let Some(fault) = self.faults.get_mut(*tag as usize - 1) {
                fault.starts += effect.starts;
                fault.nodes += effect.nodes;
            }
        }
        for (s, service) in (0..).zip(&outcome.services) {
            for &(tag, count) in &service.changes_by_fault {
                if let Some(fault) = self.faults.get_mut(tag as usize - 1) {
                    *fault.changes.entry(s).or_default() += count;
                }
            }
        }
    }

    /// Merges shard studies of the same run (exactly: sums add, histograms add).
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
                into.merge(from);
            }
            match (&mut merged.system, part.system) {
                (Some(into), Some(from)) => into.merge(from),
                (None, None) => {}
                _ => return Err(MergeError::Services),
            }
            if merged.faults.len() != part.faults.len() {
                return Err(MergeError::Services);
            }
            for (into, from) in merged.faults.iter_mut().zip(part.faults) {
                into.starts += from.starts;
                into.nodes += from.nodes;
                for (service, count) in from.changes {
                    *into.changes.entry(service).or_default() += count;
                }
            }
        }
        for service in merged.services.iter_mut().chain(merged.system.as_mut()) {
            service.sort_folded()?;
        }
        Ok(merged)
    }
}

/// Adds per-outcome counts (indexed like [`Outcome::ALL`]) into `into` by name, keeping
/// only the outcomes that occurred.
fn count_outcomes(into: &mut FlatMap<String, u64>, counts: &[u64; Outcome::ALL.len()]) {
    for (outcome, &count) in Outcome::ALL.iter().zip(counts) {
        add_count(into, outcome.as_str(), count);
    }
}

/// Adds `count` (when not 0) to the entry `name`, allocating its key only the first time.
fn add_count(into: &mut FlatMap<String, u64>, name: &str, count: u64) {
    if count == 0 {
        return;
    }
    match into.get_mut(name) {
        Some(total) => *total += count,
        None => {
            into.insert(name.to_string(), count);
        }
    }
}
