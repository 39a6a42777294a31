//! The work estimate: expected events per replication, process by process, and the
//! refusal of runs beyond [`MAX_EXPECTED_EVENTS`].

use super::faults::FaultPlan;
use crate::core::time::{nanos_to_secs, Nanos};
use crate::scenarios::check::Problem;
use crate::strategies::detection::Probing;
use crate::strategies::spec::ServiceSpec;

/// Most events a whole run (every replication) may be expected to process. At a few
/// million events per second and core this is hours of work; beyond it a scenario is
/// almost surely a mistake (a one-second MTBF over centuries) and is refused up front.
pub const MAX_EXPECTED_EVENTS: f64 = 1e11;

/// The expected events of one replication that one fault process (or one explicitly
/// probed service) contributes.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkShare {
    /// JSON path of the process in the scenario file, e.g. `faults.node_failures[0]`.
    pub source: String,
    /// Expected events in one replication.
    pub events: f64,
}

/// Estimates the events of one replication, process by process: a repeating process of
/// mean cycle `c` over horizon `h` fires about `h / c` times, each a start and an end
/// (a burst: one event and a repair per node). Explicit probing adds one event per probe,
/// and an overload cascade a failure and a repair per replica and cycle at 100% overload.
/// Strategy timers are left out: they scale with these events, not with user input alone.
pub fn work_estimate(plan: &FaultPlan, services: &[ServiceSpec], horizon: Nanos) -> Vec<WorkShare> {
    let horizon = nanos_to_secs(horizon);
    let cycles = |cycle: f64| horizon / cycle;
    let mut shares = Vec::new();
    for (i, process) in plan.node_processes.iter().enumerate() {
        shares.push(WorkShare {
            source: format!("faults.node_failures[{i}]"),
            events: process.nodes.len() as f64
                * 2.0
                * cycles(process.ttf.mean_secs() + process.ttr.mean_secs()),
        });
    }
    for outage in &plan.outages {
        let field = if outage.kind == "zone_outage" {
            "zone_outages"
        } else {
            "region_outages"
        };
        shares.push(WorkShare {
            source: format!("faults.{field}"),
            events: 2.0 * cycles(outage.interarrival.mean_secs() + outage.duration.mean_secs()),
        });
    }
    for (i, process) in plan.partitions.iter().enumerate() {
        shares.push(WorkShare {
            source: format!("faults.random_partitions[{i}]"),
            events: 2.0 * cycles(process.interarrival.mean_secs() + process.duration.mean_secs()),
        });
    }
    for (i, burst) in plan.bursts.iter().enumerate() {
        shares.push(WorkShare {
            source: format!("faults.bursts[{i}]"),
            events: (1.0 + 2.0 * burst.size as f64) * cycles(burst.interarrival.mean_secs()),
        });
    }
    for (s, service) in services.iter().enumerate() {
        if let Some(cascade) = service
            .strategy
            .pool()
            .and_then(|pool| pool.overload_cascade.as_ref())
        {
            // At 100% overload; more overload fails replicas faster, so this is a floor.
            shares.push(WorkShare {
                source: format!("services[{s}].active_active.overload_cascade"),
                events: service.replicas.len() as f64
                    * 2.0
                    * cycles(nanos_to_secs(cascade.mean_time_to_fail) + cascade.repair.mean_secs()),
            });
        }
        if service.detection.probing == Probing::Explicit {
            let detectors = service.vantages.len().max(1) as f64;
            shares.push(WorkShare {
                source: format!("services[{s}].detection.probing"),
                events: detectors
                    * service.replicas.len() as f64
                    * cycles(nanos_to_secs(service.detection.interval)),
            });
        }
    }
    shares
}

/// The total expected events of a run: the shares of one replication times the
/// replications. Used up front by validation and by anything that changes the horizon
/// or the replications afterwards (command-line overrides, the fuzz harness).
pub fn expected_events(shares: &[WorkShare], replications: u64) -> f64 {
    shares.iter().map(|share| share.events).sum::<f64>() * replications as f64
}

/// The problem to report when a run is expected to exceed [`MAX_EXPECTED_EVENTS`],
/// placed at the process that contributes the most.
pub fn work_problem(shares: &[WorkShare], replications: u64) -> Option<Problem> {
    let total = expected_events(shares, replications);
    if total <= MAX_EXPECTED_EVENTS {
        return None;
    }
    let largest = shares.iter().max_by(|a, b| a.events.total_cmp(&b.events))?;
    let share = if total.is_finite() {
        largest.events * replications as f64 / total * 100.0
    } else {
        100.0
    };
    Some(Problem {
        path: largest.source.clone(),
        message: format!(
            "this scenario would take about {total:.1e} events ({:.1e} per replication × \
             {replications} replications; {share:.0}% from here), beyond the limit of \
             {MAX_EXPECTED_EVENTS:.0e}: lower `replications`, shorten `horizon`, or make \
             these faults rarer",
            total / replications.max(1) as f64
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::scenarios::model::Scenario;

    fn scenario(faults: &str, replications: u64) -> Scenario {
        serde_json::from_str(&format!(
            r#"{{"horizon": "10d", "replications": {replications},
                "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
                "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}}],
                "faults": {faults}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_work_estimate_counts_a_start_and_an_end_per_cycle_and_node() {
        // Two nodes, a two-day cycle over ten days: 5 cycles × 2 events × 2 nodes.
        let faults = r#"{"node_failures": [{"ttf": {"const": "1d"}, "ttr": {"exp": {"mean": "1d"}}}],
                         "bursts": [{"interarrival": {"const": "5d"}, "size": 2, "ttr": {"const": "1h"}}]}"#;
        let compiled = compile(&scenario(faults, 3), "t").unwrap();
        let shares = work_estimate(&compiled.faults, &compiled.services, compiled.horizon);
        let events: Vec<(&str, f64)> = shares
            .iter()
            .map(|s| (s.source.as_str(), s.events))
            .collect();
        // The burst fires twice, each time one event and a crash and repair per node.
        assert_eq!(
            events,
            [
                ("faults.node_failures[0]", 20.0),
                ("faults.bursts[0]", 10.0)
            ]
        );
        assert_eq!(expected_events(&shares, 3), 90.0);
    }

    #[test]
    fn work_beyond_the_limit_is_refused_at_the_largest_process() {
        let faults = r#"{"node_failures": [{"ttf": {"const": "1s"}, "ttr": {"const": "1s"}}]}"#;
        // 2 nodes × 2 events × 432 000 cycles = 1.728e6 per replication; 10^8 replications.
        let problems = compile(&scenario(faults, 100_000_000), "t").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "faults.node_failures[0]");
        assert!(
            problems[0].message.contains("1.7e14 events"),
            "{problems:?}"
        );
        assert!(compile(&scenario(faults, 1_000), "t").is_ok());
    }
}
