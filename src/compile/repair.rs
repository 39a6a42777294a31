//! Repair crews and fault budgets: who repairs the nodes of `node_failures`, in which
//! order, and how many of a scope those failures may hold down at once.

use crate::core::ids::NodeId;
use crate::net::topology::Topology;
use crate::scenarios::check::Checker;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::{Faults, NodeScope, QueuePolicy};
use crate::strategies::spec::ServiceSpec;

/// The crews and budgets of a scenario, with their node sets resolved.
#[derive(Clone, Debug, Default)]
pub struct RepairPlan {
    /// Crews in file order.
    pub crews: Vec<CrewSpec>,
    /// The crew serving each node, by node index; empty when the scenario has no crew,
    /// so that the engine's no-crew path is one test of an empty vector.
    pub crew_of: Vec<Option<u32>>,
    /// Fault budgets in file order.
    pub budgets: Vec<BudgetSpec>,
    /// The budgets each node counts against, by node index; empty without budgets.
    pub budgets_of: Vec<Vec<u32>>,
}

/// One repair crew.
#[derive(Clone, Debug)]
pub struct CrewSpec {
    /// Its name, for traces.
    pub name: String,
    /// Members working in parallel (at least 1).
    pub count: u32,
    /// The order in which waiting nodes are taken.
    pub policy: QueuePolicy,
    /// Delay between a member taking a node and its repair starting.
    pub dispatch: Option<Distribution>,
}

/// One fault budget.
#[derive(Clone, Debug)]
pub struct BudgetSpec {
    /// Its name in traces: `fault_budgets[<index>]`.
    pub id: String,
    /// The most nodes of its scope that may be down at once.
    pub max_dead: u32,
    /// How many nodes its scope holds.
    pub nodes: u32,
}

/// Checks and resolves `faults.repair_crews` and `faults.fault_budgets`.
pub(super) fn compile(
    faults: &Faults,
    topology: &Topology,
    services: &[ServiceSpec],
    check: &mut Checker,
) -> RepairPlan {
    let mut plan = RepairPlan::default();
    if !faults.repair_crews.is_empty() {
        plan.crew_of = vec![None; topology.len()];
    }
    for (c, crew) in faults.repair_crews.iter().enumerate() {
        let path = format!("faults.repair_crews[{c}]");
        if crew.name.trim().is_empty() {
            check.fail(format!("{path}.name"), "a crew needs a name");
        } else if let Some(first) = faults.repair_crews[..c]
            .iter()
            .position(|other| other.name == crew.name)
        {
            check.fail(
                format!("{path}.name"),
                format!(
                    "crew name `{}` is taken by repair_crews[{first}]: names must be unique",
                    crew.name
                ),
            );
        }
        check.require(
            crew.count > 0,
            format!("{path}.count"),
            "a crew needs at least one member: use a count of 1 or more",
        );
        if let Some(dispatch) = &crew.dispatch {
            check.distribution(dispatch, &format!("{path}.dispatch"));
        }
        let nodes = resolve(
            &crew.serves,
            topology,
            services,
            &format!("{path}.serves"),
            check,
        );
        // One problem per pair of crews that overlap, naming the first shared node.
        let mut overlaps: Vec<(u32, NodeId, usize)> = Vec::new();
        for node in nodes {
            let slot = &mut plan.crew_of[node.index()];
            match *slot {
                None => *slot = Some(c as u32),
                Some(other) => match overlaps.iter_mut().find(|o| o.0 == other) {
                    Some(overlap) => overlap.2 += 1,
                    None => overlaps.push((other, node, 1)),
                },
            }
        }
        for (other, node, count) in overlaps {
            let name = topology.names.name(node);
            let nodes = match count {
                1 => format!("node `{name}` is"),
                n => format!("nodes `{name}` and {} more are", n - 1),
            };
            check.fail(
                format!("{path}.serves"),
                format!(
                    "{nodes} served by crew `{}` already: a node has one crew at most",
                    faults.repair_crews[other as usize].name
                ),
            );
        }
        plan.crews.push(CrewSpec {
            name: crew.name.clone(),
            count: crew.count.max(1),
            policy: crew.policy,
            dispatch: crew.dispatch.clone(),
        });
    }
    if !faults.fault_budgets.is_empty() {
        plan.budgets_of = vec![Vec::new(); topology.len()];
    }
    for (b, budget) in faults.fault_budgets.iter().enumerate() {
        let path = format!("faults.fault_budgets[{b}]");
        let nodes = resolve(
            &budget.scope,
            topology,
            services,
            &format!("{path}.scope"),
            check,
        );
        if !nodes.is_empty() && budget.max_dead as usize >= nodes.len() {
            check.warn(
                format!("{path}.max_dead"),
                format!(
                    "a budget of {} dead among {} nodes never holds a failure back",
                    budget.max_dead,
                    nodes.len()
                ),
            );
        }
        for &node in &nodes {
            plan.budgets_of[node.index()].push(b as u32);
        }
        plan.budgets.push(BudgetSpec {
            id: format!("fault_budgets[{b}]"),
            max_dead: budget.max_dead,
            nodes: nodes.len() as u32,
        });
    }
    plan
}

/// The nodes of `scope`, reporting an unknown region, zone, service or node at `path`.
pub(super) fn resolve(
    scope: &NodeScope,
    topology: &Topology,
    services: &[ServiceSpec],
    path: &str,
    check: &mut Checker,
) -> Vec<NodeId> {
    match scope {
        NodeScope::All => topology.nodes_where(|_| true),
        NodeScope::Region(name) => match topology.regions.iter().position(|r| r == name) {
            Some(region) => topology.nodes_where(|n| n.region.index() == region),
            None => {
                check.fail(format!("{path}.region"), format!("unknown region `{name}`"));
                Vec::new()
            }
        },
        NodeScope::Zone(name) => match topology.zones.iter().position(|z| &z.name == name) {
            Some(zone) => topology.nodes_where(|n| n.zone.index() == zone),
            None => {
                check.fail(format!("{path}.zone"), format!("unknown zone `{name}`"));
                Vec::new()
            }
        },
        NodeScope::Service(name) => match services.iter().find(|s| &s.name == name) {
            Some(service) => {
                let mut nodes = service.replicas.clone();
                nodes.sort_unstable();
                nodes.dedup();
                nodes
            }
            None => {
                check.fail(
                    format!("{path}.service"),
                    format!("unknown service `{name}`"),
                );
                Vec::new()
            }
        },
        NodeScope::Nodes(names) => check.nodes(&topology.names, names, &format!("{path}.nodes")),
    }
}
