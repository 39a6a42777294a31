//! The fault registry: a stable tag for every fault and fault process of a scenario,
//! so that traces and failover records name the fault (id and kind) that caused them.

use crate::compile::FaultPlan;
use crate::strategies::FaultTag;

/// Id and kind of every fault, indexed by [`FaultTag`].
#[derive(Clone, Debug)]
pub struct FaultRegistry {
    entries: Vec<(String, &'static str)>,
    /// First tag of each group, in the order they are registered.
    pub scheduled: u32,
    /// First tag of the node failure processes.
    pub node_processes: u32,
    /// First tag of the outage processes.
    pub outages: u32,
    /// First tag of the random partition processes.
    pub partitions: u32,
    /// First tag of the burst processes.
    pub bursts: u32,
    /// First tag of the dependencies.
    pub dependencies: u32,
    /// Tag of overload failures caused by ACTIVE_ACTIVE services.
    pub overload: u32,
}

impl FaultRegistry {
    /// Registers every fault of `plan`.
    pub fn new(plan: &FaultPlan) -> Self {
        let mut entries: Vec<(String, &'static str)> = vec![("-".into(), "none")];
        let mut group = |items: Vec<(String, &'static str)>| {
            let first = entries.len() as u32;
            entries.extend(items);
            first
        };
        let scheduled = group(
            plan.scheduled
                .iter()
                .map(|f| (f.id.clone(), f.kind))
                .collect(),
        );
        let node_processes = group(
            (0..plan.node_processes.len())
                .map(|i| (format!("node_failures[{i}]"), "node_failure"))
                .collect(),
        );
        let outages = group(
            plan.outages
                .iter()
                .map(|o| (format!("{}:{}", o.kind, o.target), o.kind))
                .collect(),
        );
        let partitions = group(
            (0..plan.partitions.len())
                .map(|i| (format!("random_partitions[{i}]"), "random_partition"))
                .collect(),
        );
        let bursts = group(
            (0..plan.bursts.len())
                .map(|i| (format!("bursts[{i}]"), "burst"))
                .collect(),
        );
        let dependencies = group(
            (0..plan.dependencies.len())
                .map(|i| (format!("dependencies[{i}]"), "cascade"))
                .collect(),
        );
        let overload = group(vec![("overload".into(), "overload")]);
        FaultRegistry {
            entries,
            scheduled,
            node_processes,
            outages,
            partitions,
            bursts,
            dependencies,
            overload,
        }
    }

    /// The id of a fault.
    pub fn id(&self, tag: FaultTag) -> &str {
        &self.entries[tag.0 as usize].0
    }

    /// The kind of a fault.
    pub fn kind(&self, tag: FaultTag) -> &'static str {
        self.entries[tag.0 as usize].1
    }
}
