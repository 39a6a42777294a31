//! Emission of a scenario that applies a plan, so that the plan itself can be simulated.
//!
//! Every assessed node `X` becomes a service `X` with the chosen strategy and replica
//! nodes `X-r1`, `X-r2`, ... placed in turn over the zones of the primary region (over
//! the first regions for GEOGRAPHIC). Each replica fails and is repaired stochastically,
//! at a rate that grows with the node's risk score. A dependent's replica `D-rj` is homed
//! on replica `X-rj` of the node it depends on (wrapping around when D has more replicas),
//! and fails with it with probability `cascade_risk`: a dependency between nodes, as the
//! engine models it, stands in for the dependency between services.

use super::risk::{FailureType, PlanSettings};
use super::{NodePlan, Plan};
use crate::compile::load_str;
use crate::core::duration::Duration;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::{
    Dependency, FaultAction, Faults, NWay, NodeFailureProcess, NodeList, NodeSpec, Role, Scenario,
    ScheduledFault, Section, Service, StrategyName, Topology,
};
use crate::scenarios::ScenarioError;
use std::path::Path;

/// Longest mean time to failure emitted: low risk scores would otherwise ask for means
/// beyond what a duration holds (about 584 years).
const LONGEST_MTTF_NS: f64 = 500.0 * 365.25 * 86_400e9;

/// The id of replica `index` (0-based) of `node`: `CORE1-r1` for index 0.
pub(crate) fn replica_id(node: &str, index: u32) -> String {
    format!("{node}-r{}", index + 1)
}

/// The scenario that applies `plan`; it validates whenever the risk file did (replica
/// ids cannot collide: `X-rN` splits uniquely at its last `-r` followed by digits).
pub fn emit_scenario(plan: &Plan) -> Scenario {
    let settings = &plan.settings;
    let mut nodes = Vec::new();
    let mut services = Vec::new();
    let mut faults = Faults::default();
    for node in &plan.nodes {
        nodes.extend(replica_nodes(node, settings));
        services.push(service(node, settings));
        if node.risk_score > 0.0 {
            let mean = settings.mttf_at_full_risk.nanos() as f64 / node.risk_score;
            faults.node_failures.push(NodeFailureProcess {
                id: None,
                nodes: replicas(node),
                ttf: Distribution::Exp {
                    mean: Duration(mean.min(LONGEST_MTTF_NS).round() as u64),
                },
                ttr: settings.repair.clone(),
                restart: None,
                working_hours: None,
            });
        }
        if settings.failure_episodes {
            faults.scheduled.extend(episode(node, settings));
        }
    }
    for node in &plan.nodes {
        if node.cascade_risk <= 0.0 {
            continue;
        }
        for dependent in &node.dependents {
            let Some(target) = plan.nodes.iter().find(|n| &n.node == dependent) else {
                continue;
            };
            for j in 0..target.replicas {
                faults.dependencies.push(Dependency {
                    id: None,
                    node: replica_id(&target.node, j),
                    depends_on: replica_id(&node.node, j % node.replicas),
                    probability: node.cascade_risk,
                    delay: Duration(0),
                });
            }
        }
    }
    Scenario {
        schema: None,
        name: Some(plan.name.clone()),
        description: Some(format!(
            "Emitted by `failsim plan` from {} risk assessments: one service per assessed node with the strategy its risk chose, replicas <node>-r1..., crash/repair processes with mean time to failure {} / risk score, and cascades to dependents with the cascade risk.",
            plan.nodes.len(),
            humantime::format_duration(std::time::Duration::from_nanos(settings.mttf_at_full_risk.nanos()))
        )),
        seed: settings.seed,
        replications: settings.replications,
        horizon: Some(settings.horizon),
        topology: Topology {
            nodes,
            ..Topology::default()
        },
        services,
        faults,
        system: None,
        missions: Vec::new(),
        slo: Vec::new(),
        cost: settings.cost.clone(),
    }
}

fn replicas(node: &NodePlan) -> Vec<String> {
    (0..node.replicas)
        .map(|j| replica_id(&node.node, j))
        .collect()
}

/// Replica nodes: in turn over the zones of the primary region, or for GEOGRAPHIC
/// `geographic_per_region` of them in each of the first `geographic_regions` regions.
fn replica_nodes(node: &NodePlan, settings: &PlanSettings) -> Vec<NodeSpec> {
    let per_region = match node.strategy {
        StrategyName::Geographic => settings.replicas.geographic_per_region,
        _ => node.replicas,
    };
    (0..node.replicas)
        .map(|j| {
            let region = settings.regions[(j / per_region) as usize].clone();
            let zone = format!(
                "{region}-{}",
                j % per_region % settings.zones_per_region + 1
            );
            NodeSpec {
                id: replica_id(&node.node, j),
                region,
                zone: Some(zone),
                role: Role::Server,
                capacity: 1.0,
                repair_priority: 0,
            }
        })
        .collect()
}

fn service(node: &NodePlan, settings: &PlanSettings) -> Service {
    let n_way = if node.strategy == StrategyName::NWay {
        NWay {
            bft: true,
            max_faulty: Some(settings.replicas.byzantine_faults),
            ..NWay::default()
        }
    } else {
        NWay::default()
    };
    Service {
        name: node.node.clone(),
        strategy: node.strategy,
        replicas: replicas(node),
        placement: None,
        demand: 1.0,
        vantage_points: Vec::new(),
        detection: Section::default(),
        failover: Section::default(),
        replication: Section::default(),
        active_active: Section::default(),
        active_passive: Section::default(),
        n_way: n_way.into(),
        geographic: Section::default(),
    }
}

/// One episode of the node's failure type on its first replica, at mid-horizon.
fn episode(node: &NodePlan, settings: &PlanSettings) -> Option<ScheduledFault> {
    let first = NodeList {
        nodes: vec![replica_id(&node.node, 0)],
    };
    let (kind, fault) = match node.failure_type {
        FailureType::Byzantine => ("byzantine", FaultAction::Byzantine(first)),
        FailureType::Omission => ("omission", FaultAction::Gray(first)),
        FailureType::Crash | FailureType::Timing => return None,
    };
    Some(ScheduledFault {
        id: Some(format!("{}-{kind}", node.node)),
        at: Duration(settings.horizon.nanos() / 2),
        duration: Some(Distribution::Const(settings.episode_duration)),
        fault,
        flap: None,
    })
}

/// The emitted scenario as pretty JSON, checked by the scenario loader so that a bug
/// here can never write a file that `failsim run` rejects. `file` is used only in messages.
pub fn emit_scenario_text(plan: &Plan, file: &Path) -> Result<String, ScenarioError> {
    let text =
        serde_json::to_string_pretty(&emit_scenario(plan)).expect("a scenario serializes") + "\n";
    load_str(&text, file)?;
    Ok(text)
}
