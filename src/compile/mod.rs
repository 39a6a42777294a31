//! Validation and compilation: turns a parsed [`Scenario`] into engine-ready types,
//! collecting every problem (with its JSON path) instead of stopping at the first.

use crate::core::metric::SYSTEM_SCOPE;
use crate::core::time::Nanos;
use crate::net::topology::Topology;
pub use crate::scenarios::check::Problem;
use crate::scenarios::check::{Checker, Problems};
use crate::scenarios::error::Diagnostic;
use crate::scenarios::model::Scenario;
pub use crate::strategies::spec::ServiceSpec;
use std::sync::Arc;

pub(crate) mod faults;
mod inert;
pub(crate) mod load;
mod repair;
mod services;
mod system;
mod topology;
mod upkeep;
pub(crate) mod work;

pub use faults::{
    Action, BurstSpec, DependencySpec, FaultPlan, FlapSpec, NodeProcess, OutageSpec, ScheduledSpec,
};
pub(crate) use load::locate_in_file;
pub use load::{load_file, load_file_with_model, load_str, load_str_with_model};
pub use repair::{BudgetSpec, CrewSpec, RepairPlan};
pub use system::{SystemExpr, SystemSpec};
pub use upkeep::{Calendar, InspectionSpec, MaintenanceSpec, RestartSpec, ServiceNeed};
pub use work::{
    cpu_time, expected_events, expected_secs, rows_problem, work_estimate, work_problem, RowsKept,
    WorkShare, EVENT_SECS, MAX_CSV_ROWS, MAX_EXPECTED_EVENTS, MAX_ROWS, MAX_WORK_SECS,
};

/// Largest accepted node count: beyond it memory, not the model, is the limit.
pub const MAX_NODES: usize = 5_000_000;
/// Largest accepted replication count.
pub const MAX_REPLICATIONS: u64 = 100_000_000;

/// The run settings a caller may change in a compiled scenario: the command line's
/// `--seed`, `--replications` and `--horizon`, the Python package's keyword arguments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Seed of all random streams.
    pub seed: Option<u64>,
    /// Replications to run, 1 to [`MAX_REPLICATIONS`].
    pub replications: Option<u64>,
    /// Simulated time per replication, longer than zero.
    pub horizon: Option<Nanos>,
}

/// Why an override was refused; the message begins with the setting's name, so that
/// the command line can put `--` before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// No replication, or more than [`MAX_REPLICATIONS`].
    #[error("replications must be between 1 and {MAX_REPLICATIONS}")]
    Replications,
    /// A horizon of zero.
    #[error("horizon must be longer than zero")]
    Horizon,
}

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct CompiledScenario {
    /// Name for reports.
    pub name: String,
    /// [`content_hash`](crate::core::hash::content_hash) of the file it was loaded from
    /// (empty when compiled from a model in memory); result files carry it.
    pub source_hash: String,
    /// Seed of all random streams.
    pub seed: u64,
    /// Replications to run.
    pub replications: u64,
    /// Simulated time per replication.
    pub horizon: Nanos,
    /// The network.
    pub topology: Arc<Topology>,
    /// Services with resolved node ids.
    pub services: Vec<ServiceSpec>,
    /// Faults with resolved node ids.
    pub faults: FaultPlan,
    /// SLO check expressions.
    pub slo: Vec<String>,
    /// Services composed into one system, if the scenario has one.
    pub system: Option<system::SystemSpec>,
    /// Mission times, ascending, each at most the horizon.
    pub missions: Vec<Nanos>,
    /// What is valid but probably not meant (e.g. a demand the strategy can never serve
    /// in full), with positions when loaded from a file; `validate` and `run` print them.
    pub warnings: Vec<Diagnostic>,
    /// Whether a service has an overload cascade, under any strategy (`compare`'s
    /// ACTIVE_ACTIVE variant uses it): `overload` is then a fault kind.
    pub overload_cascades: bool,
    /// The `faults` lists the file fills, by field name (see [`Faults::filled`]).
    ///
    /// [`Faults::filled`]: crate::scenarios::model::Faults::filled
    pub fault_lists: Vec<&'static str>,
}

/// A scenario file's parsed model beside its compilation. What derives other scenarios
/// from the file (`compare`'s variants, `recommend`'s candidates, `explain`'s replay)
/// needs both; a run needs only the compiled scenario, which keeps nothing of the model.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file as parsed.
    pub model: Scenario,
    /// The model compiled.
    pub compiled: CompiledScenario,
}

impl CompiledScenario {
    /// `model` (the one this scenario was compiled from) changed by `patch` and compiled
    /// again, every check included. The run settings that command-line overrides change
    /// (seed, replications, horizon) stay this scenario's.
    pub fn recompile(
        &self,
        model: &Scenario,
        patch: impl FnOnce(&mut Scenario),
    ) -> Result<CompiledScenario, Vec<Problem>> {
        let mut source = model.clone();
        patch(&mut source);
        let mut compiled =
            check_and_compile(&source, &self.name, true).map_err(Problems::listed)?;
        compiled.source_hash = self.source_hash.clone();
        compiled.seed = self.seed;
        compiled.replications = self.replications;
        compiled.horizon = self.horizon;
        Ok(compiled)
    }

    /// Applies `overrides`, all or none: each is checked before any is applied.
    pub fn apply(&mut self, overrides: Overrides) -> Result<(), OverrideError> {
        if overrides
            .replications
            .is_some_and(|n| n == 0 || n > MAX_REPLICATIONS)
        {
            return Err(OverrideError::Replications);
        }
        if overrides.horizon == Some(0) {
            return Err(OverrideError::Horizon);
        }
        self.seed = overrides.seed.unwrap_or(self.seed);
        self.replications = overrides.replications.unwrap_or(self.replications);
        self.horizon = overrides.horizon.unwrap_or(self.horizon);
        Ok(())
    }

    /// The fault kinds of the scenario: what `by_fault_kind` can hold and what a
    /// `SERVICE.KIND.METRIC` check may name.
    pub fn fault_kinds(&self) -> Vec<&'static str> {
        self.faults.kinds(self.overload_cascades)
    }

    /// What one replication of this scenario costs, process by process (see
    /// [`work_estimate`]), with its current horizon.
    pub fn work_estimate(&self) -> Vec<WorkShare> {
        work_estimate(
            &self.topology,
            &self.faults,
            &self.services,
            self.slo.len(),
            self.horizon,
        )
    }

    /// The name of a service's vantage point in outputs: its node, or "global" for the
    /// global client.
    pub fn vantage_name(&self, service: u32, vantage: u32) -> &str {
        self.services[service as usize]
            .vantages
            .get(vantage as usize)
            .map_or("global", |&node| self.topology.names.name(node))
    }
}

/// Whether a service of `scenario` has an overload cascade (under its own strategy or,
/// in `compare`, under ACTIVE_ACTIVE).
fn overload_cascades(scenario: &Scenario) -> bool {
    scenario
        .services
        .iter()
        .any(|s| s.active_active.overload_cascade.is_some())
}

/// Validates and compiles; returns the problems found: the first 10,000 and, after
/// them, one that counts the rest.
pub fn compile(scenario: &Scenario, default_name: &str) -> Result<CompiledScenario, Vec<Problem>> {
    check_and_compile(scenario, default_name, true).map_err(Problems::listed)
}

/// [`compile`], with the work estimate left out unless `estimate_work`.
pub(crate) fn check_and_compile(
    scenario: &Scenario,
    default_name: &str,
    estimate_work: bool,
) -> Result<CompiledScenario, Problems> {
    let mut check = Checker::default();
    let horizon = match scenario.horizon {
        None => {
            check.fail(
                "horizon",
                "the horizon is missing: add e.g. \"horizon\": \"365d\"",
            );
            0
        }
        Some(h) if h.nanos() == 0 => {
            check.fail("horizon", "the horizon must be longer than zero");
            0
        }
        Some(h) => h.nanos(),
    };
    check.require(
        scenario.replications > 0,
        "replications",
        "at least one replication is needed",
    );
    check.require(
        scenario.replications <= MAX_REPLICATIONS,
        "replications",
        format!(
            "{} replications is beyond the limit of {MAX_REPLICATIONS}",
            scenario.replications
        ),
    );
    let topology = Arc::new(topology::compile(&scenario.topology, &mut check));
    let services = services::compile(scenario, &topology, &mut check);
    let mut faults = faults::compile(&scenario.faults, &topology, &services, horizon, &mut check);
    faults.repair = repair::compile(&scenario.faults, &topology, &services, &mut check);
    (faults.maintenance, faults.service_needs) =
        upkeep::maintenance(&scenario.faults, &topology, &services, &mut check);
    let system = system::compile(scenario, &mut check);
    let missions = system::missions(scenario, horizon, &mut check);
    let overload_cascades = overload_cascades(scenario);
    let kinds = faults.kinds(overload_cascades);
    for (i, expression) in scenario.slo.iter().enumerate() {
        match crate::core::metric::Check::parse(expression) {
            Err(message) => check.fail(format!("slo[{i}]"), message.to_string()),
            Ok(slo) => {
                let system = scenario.system.as_ref().map(|_| SYSTEM_SCOPE);
                let names = scenario
                    .services
                    .iter()
                    .map(|s| s.name.as_str())
                    .chain(system);
                if let Some(error) = slo.out_of_scope(names, &kinds) {
                    check.fail(format!("slo[{i}]"), error.to_string());
                }
            }
        }
    }
    if let Some(cost) = &scenario.cost {
        for (path, value) in [
            ("cost.per_replica", cost.per_replica),
            ("cost.per_region", cost.per_region),
        ] {
            check.require(
                value.is_finite() && value >= 0.0,
                path,
                format!("{value} is not a cost: use a non-negative number"),
            );
        }
    }
    if check.problems.is_empty() {
        // Judged only on a sound scenario: stand-ins for broken values would be judged too.
        inert::check(scenario, &topology, &services, &faults, &mut check);
    }
    if estimate_work && check.problems.is_empty() {
        // Only a sound scenario gets an estimate: with a broken process it would repeat
        // the problem already reported.
        let shares = work_estimate(&topology, &faults, &services, scenario.slo.len(), horizon);
        if let Some(problem) = work_problem(&shares, scenario.replications) {
            check.fail(problem.path, problem.message);
        }
    }
    let warnings = std::mem::take(&mut check.warnings);
    let problems = check.finish(&topology.names);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CompiledScenario {
        source_hash: String::new(),
        name: scenario
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string()),
        seed: scenario.seed,
        replications: scenario.replications,
        horizon,
        topology,
        services,
        faults,
        slo: scenario.slo.clone(),
        system,
        missions,
        // Positions are filled in by `load_str`, which has the text.
        warnings: warnings
            .into_iter()
            .map(|problem| Diagnostic {
                path: problem.path,
                line: 0,
                column: 0,
                message: problem.message,
            })
            .collect(),
        overload_cascades,
        fault_lists: scenario.faults.filled(),
    })
}
