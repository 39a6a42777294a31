//! The fault registry: a stable tag for every fault and fault process of a scenario,
//! so that traces and failover records name the fault (id and kind) that caused them.

use crate::compile::FaultPlan;
use crate::core::rng::StreamKey;
use crate::strategies::FaultTag;

/// Id, kind and stream key of every fault, indexed by [`FaultTag`].
///
/// Tags are positions (they index arrays in the engine and name faults in outputs);
/// stream keys are stable identities computed at compile time, so the random draws of
/// a fault never depend on its tag.
#[derive(Clone, Debug)]
pub struct FaultRegistry {
    entries: Vec<(String, &'static str, Option<StreamKey>)>,
    /// The distinct fault kinds of the scenario, sorted: statistics by fault class are
    /// indexed by position here.
    kinds: Vec<&'static str>,
    /// The position in `kinds` of each entry's kind.
    kind_index: Vec<u16>,
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
    /// First tag of the rolling maintenances.
    pub maintenance: u32,
    /// Tag of overload failures caused by ACTIVE_ACTIVE services.
    pub overload: u32,
}

impl FaultRegistry {
    /// Registers every fault of `plan`.
    pub fn new(plan: &FaultPlan) -> Self {
        type Entry = (String, &'static str, Option<StreamKey>);
        let mut entries: Vec<Entry> = vec![("-".into(), "none", None)];
        let mut group = |items: Vec<Entry>| {
            let first = entries.len() as u32;
            entries.extend(items);
            first
        };
        let scheduled = group(
            plan.scheduled
                .iter()
                .map(|f| (f.id.clone(), f.kind, Some(f.key)))
                .collect(),
        );
        // A node process draws from one stream per node (its keys), not per process.
        let node_processes = group(
            plan.node_processes
                .iter()
                .map(|p| (p.id.clone(), p.kind, None))
                .collect(),
        );
        let outages = group(
            plan.outages
                .iter()
                .map(|o| (o.id.clone(), o.kind, Some(o.key)))
                .collect(),
        );
        let partitions = group(
            plan.partitions
                .iter()
                .map(|p| (p.id.clone(), "random_partition", Some(p.key)))
                .collect(),
        );
        let bursts = group(
            plan.bursts
                .iter()
                .map(|b| (b.id.clone(), "burst", Some(b.key)))
                .collect(),
        );
        let dependencies = group(
            plan.dependencies
                .iter()
                .map(|d| (d.id.clone(), "cascade", Some(d.key)))
                .collect(),
        );
        let maintenance = group(
            plan.maintenance
                .iter()
                .map(|m| (m.id.clone(), "maintenance", None))
                .collect(),
        );
        let overload = group(vec![(
            "overload".into(),
            "overload",
            Some(StreamKey::of(&["overload"])),
        )]);
        let mut kinds: Vec<&'static str> = entries.iter().map(|e| e.1).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let kind_index = entries
            .iter()
            .map(|e| kinds.binary_search(&e.1).expect("listed kind") as u16)
            .collect();
        FaultRegistry {
            entries,
            kinds,
            kind_index,
            scheduled,
            node_processes,
            outages,
            partitions,
            bursts,
            dependencies,
            maintenance,
            overload,
        }
    }

    /// The id of a fault.
    pub fn id(&self, tag: FaultTag) -> &str {
        &self.entries[tag.0 as usize].0
    }

    /// The stream key of a fault's own random stream; None for "no fault" and for node
    /// failure processes, which draw from one stream per node.
    pub fn stream_key(&self, tag: FaultTag) -> Option<StreamKey> {
        self.entries[tag.0 as usize].2
    }

    /// The kind of a fault.
    pub fn kind(&self, tag: FaultTag) -> &'static str {
        self.entries[tag.0 as usize].1
    }

    /// The distinct fault kinds of the scenario, sorted.
    pub fn kinds(&self) -> &[&'static str] {
        &self.kinds
    }

    /// The position of a fault's kind in [`kinds`](Self::kinds).
    pub fn kind_index(&self, tag: FaultTag) -> usize {
        self.kind_index[tag.0 as usize] as usize
    }

    /// Every fault, by tag: its id and kind.
    pub fn faults(&self) -> impl Iterator<Item = (&str, &'static str)> {
        self.entries.iter().map(|e| (e.0.as_str(), e.1))
    }
}

#[cfg(test)]
mod tests {
    use super::FaultRegistry;
    use crate::core::fault_kind::FAULT_KINDS;

    /// A scenario with every fault process, every scheduled action, a dependency, latent
    /// faults, maintenance, pauses and an overload cascade.
    const EVERY_FAULT: &str = r#"{
      "horizon": "1d", "replications": 1,
      "topology": {"nodes": [
        {"id": "a", "region": "r1", "zone": "z1"}, {"id": "b", "region": "r1", "zone": "z2"},
        {"id": "c", "region": "r2", "zone": "z3"}, {"id": "d", "region": "r2", "zone": "z3"}]},
      "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c", "d"],
        "active_active": {"overload_cascade": {"mean_time_to_fail": "1h", "repair": {"const": "1h"}}}}],
      "faults": {
        "node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"const": "1h"}}],
        "zone_outages": [{"targets": ["z1"], "interarrival": {"exp": {"mean": "300d"}}, "duration": {"const": "1h"}}],
        "region_outages": [{"targets": ["r1"], "interarrival": {"exp": {"mean": "300d"}}, "duration": {"const": "1h"}}],
        "random_partitions": [{"interarrival": {"exp": {"mean": "300d"}}, "duration": {"const": "1h"}}],
        "bursts": [{"interarrival": {"exp": {"mean": "300d"}}, "size": 2, "ttr": {"const": "1h"}}],
        "scheduled": [
          {"at": "1h", "fault": {"crash": {"nodes": ["a"]}}},
          {"at": "1h", "fault": {"crash_random": {"count": 1}}},
          {"at": "1h", "fault": {"crash_zone": "z1"}},
          {"at": "1h", "fault": {"crash_region": "r1"}},
          {"at": "1h", "fault": {"partition": {"groups": [["a"], ["b"]]}}},
          {"at": "1h", "fault": {"random_partition": {}}},
          {"at": "1h", "fault": {"isolate": {"nodes": ["a"]}}},
          {"at": "1h", "fault": {"isolate_region": "r1"}},
          {"at": "1h", "fault": {"one_way": {"from": ["a"], "to": ["b", "c"]}}},
          {"at": "1h", "fault": {"majorities_ring": {}}},
          {"at": "1h", "fault": {"bridge": {"scope": {"service": "s"}}}},
          {"at": "1h", "fault": {"cut_link": {"from": "a", "to": "b"}}},
          {"at": "1h", "fault": {"degrade_link": {"from": "a", "to": "b", "loss": 0.1}}},
          {"at": "1h", "fault": {"byzantine": {"nodes": ["a"]}}},
          {"at": "1h", "fault": {"gray": {"nodes": ["a"]}}},
          {"at": "1h", "duration": {"const": "1m"}, "fault": {"pause": {"nodes": ["a"]}}}],
        "dependencies": [{"node": "b", "depends_on": "a"}],
        "latent_faults": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"const": "1h"}, "inspection": {"interval": "7d"}}],
        "maintenance": [{"scope": "all", "period": "7d", "duration": "1h"}],
        "pauses": [{"interarrival": {"exp": {"mean": "30d"}}, "duration": {"const": "10s"}}]
      }
    }"#;

    #[test]
    fn every_kind_a_scenario_can_produce_is_a_known_fault_kind_and_the_plan_lists_the_registrys() {
        let scenario =
            crate::compile::load_str(EVERY_FAULT, std::path::Path::new("every-fault.json"))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.fault_kinds(), FAULT_KINDS);
        let registry = FaultRegistry::new(&scenario.faults);
        let registered: Vec<&str> = registry
            .kinds()
            .iter()
            .copied()
            .filter(|&kind| kind != "none")
            .collect();
        assert_eq!(registered, FAULT_KINDS);
        // Only node failures, and no overload cascade: only those.
        let node_failures_only = r#"{
          "horizon": "1d", "replications": 1,
          "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
          "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}],
          "faults": {"node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"const": "1h"}}]}
        }"#;
        let scenario =
            crate::compile::load_str(node_failures_only, std::path::Path::new("node.json"))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.fault_kinds(), ["node_failure"]);
    }
}
