//! Risk-based planning (DESIGN §8): from per-node risk assessments to a strategy per node,
//! and from the plan to a scenario that simulates it.
//!
//! [`risk`] reads risk files, `rules` picks strategies, `emit` writes the scenario.

pub(crate) mod emit;
pub mod risk;
pub(crate) mod rules;

use crate::scenarios::model::StrategyName;
use risk::{Criticality, FailureType, PlanSettings, RiskFile};
use serde::Serialize;
use std::fmt::Write;

pub use emit::{emit_scenario, emit_scenario_text};
pub use risk::{is_risk_file, load_file, load_str, RiskAssessment};

/// The strategy chosen for every assessed node.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Plan name (the risk file's name or file name).
    pub name: String,
    /// The settings it was made with.
    pub settings: PlanSettings,
    /// One entry per assessed node, in file order.
    pub nodes: Vec<NodePlan>,
}

/// The plan for one node: its assessment, the chosen strategy and why.
#[derive(Clone, Debug, Serialize)]
pub struct NodePlan {
    /// Node id.
    pub node: String,
    /// Risk score in [0, 1].
    pub risk_score: f64,
    /// Dominant failure type.
    pub failure_type: FailureType,
    /// Business criticality.
    pub criticality: Criticality,
    /// Nodes that fail with this one.
    pub dependents: Vec<String>,
    /// Probability that a failure takes each dependent down.
    pub cascade_risk: f64,
    /// Mitigations in place.
    pub mitigations: Vec<String>,
    /// The chosen strategy.
    pub strategy: StrategyName,
    /// Replicas the emitted scenario gives it.
    pub replicas: u32,
    /// Why this strategy.
    pub reason: String,
}

/// Applies the rules of DESIGN §8 to every node of a (validated) risk file.
pub fn plan(risk: &RiskFile, default_name: &str) -> Plan {
    let settings = &risk.settings;
    let nodes = risk
        .risk_assessments
        .iter()
        .map(|assessment| {
            let choice = rules::choose(assessment, settings);
            NodePlan {
                node: assessment.node.clone(),
                risk_score: assessment.risk_score,
                failure_type: assessment.failure_type,
                criticality: assessment.criticality,
                dependents: assessment.dependents.clone(),
                cascade_risk: assessment.cascade_risk,
                mitigations: assessment.mitigations.clone(),
                replicas: choice.replicas,
                strategy: choice.strategy,
                reason: choice.reason,
            }
        })
        .collect();
    Plan {
        name: risk
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string()),
        settings: settings.clone(),
        nodes,
    }
}

/// Renders the plan as an aligned text table, one row per node.
pub fn render_table(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan {}  ({} nodes; many dependents = {} or more)",
        plan.name,
        plan.nodes.len(),
        plan.settings.many_dependents
    );
    let header = [
        "node",
        "risk",
        "type",
        "dependents",
        "strategy",
        "replicas",
        "reason",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    for node in &plan.nodes {
        rows.push(vec![
            node.node.clone(),
            // As written: rounding would show 0.8499 as 0.85, across a rule boundary.
            node.risk_score.to_string(),
            node.failure_type.to_string(),
            if node.dependents.is_empty() {
                "-".to_string()
            } else {
                node.dependents.join(",")
            },
            node.strategy.as_str().to_string(),
            node.replicas.to_string(),
            node.reason.clone(),
        ]);
    }
    crate::output::table::write_columns(&mut out, &rows);
    out
}
