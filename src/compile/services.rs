//! Services: replicas, vantage points, detection, failover and replication checked and
//! compiled; each strategy's own block is compiled by the strategy.

use crate::net::topology::{NodeId, Topology};
use crate::scenarios::check::Checker;
use crate::scenarios::model::{FailoverMode, Placement, ReplicationMode, Role, Scenario, Spread};
use crate::strategies::detection::{Detection, Probing};
use crate::strategies::failover::{Approval, Failover, Replication};
use crate::strategies::params::Site;
use crate::strategies::spec::ServiceSpec;
use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::Arc;

fn place(topology: &Topology, placement: &Placement) -> Vec<NodeId> {
    let servers = topology.nodes_where(|n| n.role == Role::Server);
    let mut chosen = Vec::new();
    let mut used_groups = BTreeSet::new();
    for node in servers {
        if chosen.len() == placement.count as usize {
            break;
        }
        let info = &topology.nodes[node.index()];
        let group = match placement.spread {
            Spread::Zone => Some(info.zone.index()),
            Spread::Region => Some(info.region.index()),
            Spread::None => None,
        };
        if group.is_none_or(|g| used_groups.insert(g)) {
            chosen.push(node);
        }
    }
    chosen
}

/// Why `placement` found only `placed` replicas: the rule, how many nodes it could
/// choose from, and what would make room.
fn unplaceable(topology: &Topology, placement: &Placement, placed: usize) -> String {
    let servers = topology.nodes_where(|n| n.role == Role::Server);
    let count = placement.count;
    let replicas = if count == 1 { "replica" } else { "replicas" };
    let of_all = match topology.len() - servers.len() {
        0 => String::new(),
        others => format!(" ({others} other nodes have roles that hold no replicas)"),
    };
    let (rule, group) = match placement.spread {
        Spread::None => {
            return format!(
                "cannot place {count} {replicas} with spread `none` (the first server nodes in \
                 file order): the topology has {placed} server nodes{of_all}; lower `count` \
                 or add nodes with role `server`"
            )
        }
        Spread::Zone => ("zone", "zones"),
        Spread::Region => ("region", "regions"),
    };
    let mut names: Vec<&str> = Vec::new();
    for node in &servers {
        let info = &topology.nodes[node.index()];
        let name = match placement.spread {
            Spread::Zone => topology.zones[info.zone.index()].name.as_str(),
            _ => topology.regions[info.region.index()].as_str(),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let shown = match names.len() {
        0 => String::new(),
        n if n <= 6 => format!(": {}", names.join(", ")),
        n => format!(": {}, … ({} more)", names[..5].join(", "), n - 5),
    };
    let servers_in = match servers.len() {
        1 => "the one server node is".to_string(),
        n => format!("the {n} server nodes are"),
    };
    let held = if placed == 1 { rule } else { group };
    format!(
        "cannot place {count} {replicas} with spread `{rule}` (one replica per {rule}): \
         {servers_in} in {placed} {held}{shown}{of_all}; lower `count` to {placed}, add server \
         nodes in other {group}, or use spread `none`"
    )
}

pub(super) fn compile(
    scenario: &Scenario,
    topology: &Arc<Topology>,
    check: &mut Checker,
) -> Vec<ServiceSpec> {
    let names = &topology.names;
    // The intact network, built once and only if an N_WAY service needs its latencies.
    let intact = OnceCell::new();
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(scenario.services.len());
    if scenario.services.is_empty() {
        check.fail(
            "services",
            "no services: add at least one service to simulate",
        );
    }
    for (s, service) in scenario.services.iter().enumerate() {
        let path = format!("services[{s}]");
        if service.name.trim().is_empty() {
            check.fail(format!("{path}.name"), "a service name must not be blank");
        } else if !seen.insert(service.name.as_str()) {
            check.fail(
                format!("{path}.name"),
                format!("duplicate service name `{}`", service.name),
            );
        }
        let replicas = match (&service.placement, service.replicas.is_empty()) {
            (Some(_), false) => {
                check.fail(
                    format!("{path}.placement"),
                    "give either `replicas` or `placement`, not both",
                );
                Vec::new()
            }
            (Some(placement), true) => {
                let chosen = place(topology, placement);
                if placement.count == 0 {
                    check.fail(
                        format!("{path}.placement.count"),
                        "a placement needs at least one replica",
                    );
                } else if chosen.len() < placement.count as usize {
                    check.fail(
                        format!("{path}.placement.count"),
                        unplaceable(topology, placement, chosen.len()),
                    );
                }
                chosen
            }
            (None, true) => {
                check.fail(
                    format!("{path}.replicas"),
                    "the replica set is empty: list replica node ids or give a `placement`",
                );
                Vec::new()
            }
            (None, false) => check.nodes(names, &service.replicas, &format!("{path}.replicas")),
        };
        let vantages = check.nodes(
            names,
            &service.vantage_points,
            &format!("{path}.vantage_points"),
        );
        check.require(
            service.demand.is_finite() && service.demand > 0.0,
            format!("{path}.demand"),
            "demand must be a positive number",
        );
        let detection = &service.detection;
        check.require(
            detection.interval.nanos() > 0,
            format!("{path}.detection.interval"),
            "the probe interval must be longer than zero",
        );
        for (field, threshold) in [
            ("unhealthy_threshold", detection.unhealthy_threshold),
            ("healthy_threshold", detection.healthy_threshold),
        ] {
            // Detection waits (threshold − 1) intervals after the first probe; that span
            // has to fit in simulated time.
            let span = u64::from(threshold.saturating_sub(1))
                .checked_mul(detection.interval.nanos())
                .and_then(|span| span.checked_add(detection.timeout.nanos()));
            if threshold == 0 {
                check.fail(format!("{path}.detection.{field}"), "must be at least 1");
            } else if span.is_none() {
                check.fail(
                    format!("{path}.detection.{field}"),
                    format!(
                        "{threshold} probes of `interval` each take longer than simulated time \
                         can hold (u64 nanoseconds, about 584 years): lower the threshold or the \
                         interval"
                    ),
                );
            }
        }
        let failover = &service.failover;
        check.distribution(
            &failover.confirmation,
            &format!("{path}.failover.confirmation"),
        );
        check.distribution(&failover.operator, &format!("{path}.failover.operator"));
        check.probability(
            failover.decline_probability,
            format!("{path}.failover.decline_probability"),
        );
        check.require(
            failover.timeout.nanos() > 0,
            format!("{path}.failover.timeout"),
            "the failover timeout must be longer than zero",
        );
        check.require(
            failover.retries <= 100,
            format!("{path}.failover.retries"),
            "at most 100 retries",
        );
        check.distribution(&service.replication.lag, &format!("{path}.replication.lag"));
        let site = Site {
            path: &path,
            topology,
            replicas: &replicas,
            intact: &intact,
        };
        let strategy = crate::strategies::compile(service, &site, check);
        let (servable, bound) = strategy.servable_capacity(&replicas, topology);
        if !replicas.is_empty() && service.demand > servable {
            check.warn(
                format!("{path}.demand"),
                format!(
                    "demand {} exceeds {servable}, the most {} can ever serve ({bound}); the \
                     service is DEGRADED at best (served fraction at most {:.3}): lower the \
                     demand or give the replicas more capacity",
                    service.demand,
                    strategy.name().as_str(),
                    servable / service.demand
                ),
            );
        }
        out.push(ServiceSpec {
            name: service.name.clone(),
            demand: service.demand,
            detection: detection_settings(detection, topology.jittered()),
            failover: failover_settings(failover),
            replication: replication_settings(&service.replication),
            strategy,
            replicas,
            vantages,
        });
    }
    out
}

/// The detection settings; over jittered latencies each probe draws its round trip,
/// which only explicit probing simulates, so probing is explicit there.
fn detection_settings(detection: &crate::scenarios::model::Detection, jittered: bool) -> Detection {
    Detection {
        interval: detection.interval.nanos(),
        timeout: detection.timeout.nanos(),
        unhealthy_threshold: detection.unhealthy_threshold,
        healthy_threshold: detection.healthy_threshold,
        probing: match detection.probing {
            crate::scenarios::model::Probing::Lazy if !jittered => Probing::Lazy,
            _ => Probing::Explicit,
        },
        phase: detection.phase.map(|phase| phase.nanos()),
        grace: detection.grace_period.nanos(),
    }
}

fn failover_settings(failover: &crate::scenarios::model::Failover) -> Failover {
    Failover {
        approval: match failover.mode {
            FailoverMode::Automatic => Approval::Automatic,
            FailoverMode::SemiAutomatic => Approval::SemiAutomatic {
                confirmation: failover.confirmation.clone(),
                decline_probability: failover.decline_probability,
            },
            FailoverMode::Manual => Approval::Manual {
                operator: failover.operator.clone(),
            },
        },
        timeout: failover.timeout.nanos(),
        retries: failover.retries,
        backoff: failover.backoff.nanos(),
    }
}

fn replication_settings(replication: &crate::scenarios::model::Replication) -> Replication {
    match replication.mode {
        ReplicationMode::Sync => Replication::Sync,
        ReplicationMode::Async => Replication::Async {
            lag: replication.lag.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::{compile, Problem};
    use crate::core::ids::RegionId;
    use crate::scenarios::model::Scenario;

    fn geographic_regions(geographic: &str) -> Result<Vec<RegionId>, Vec<Problem>> {
        let scenario: Scenario = serde_json::from_str(&format!(
            r#"{{"horizon": "10d",
                "topology": {{"nodes": [{{"id": "e", "region": "east"}},
                    {{"id": "c", "region": "central"}}, {{"id": "w", "region": "west"}}]}},
                "services": [{{"name": "s", "strategy": "GEOGRAPHIC",
                    "replicas": ["e", "c", "w"], "geographic": {geographic}}}]}}"#
        ))
        .unwrap();
        compile(&scenario, "geo").map(|compiled| match &compiled.services[0].strategy {
            crate::strategies::StrategyParams::Geographic(params) => params.regions.clone(),
            other => panic!("compiled as {:?}", other.name()),
        })
    }

    #[test]
    fn backups_without_a_primary_keep_the_first_replica_region_as_primary() {
        let region = |name: &str| ["east", "central", "west"].iter().position(|r| *r == name);
        let names = |order: Vec<RegionId>| -> Vec<usize> {
            order.into_iter().map(RegionId::index).collect()
        };
        let listed = names(geographic_regions(r#"{"backup_regions": ["west"]}"#).unwrap());
        let east = region("east").unwrap();
        let west = region("west").unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1], west);
        // The topology's region indices follow first appearance: east is the first replica's.
        assert_eq!(listed[0], east);
        let central_first =
            names(geographic_regions(r#"{"backup_regions": ["east", "west"]}"#).unwrap());
        assert_eq!(central_first[0], region("central").unwrap());
        let problems =
            geographic_regions(r#"{"backup_regions": ["east", "central", "west"]}"#).unwrap_err();
        assert!(problems
            .iter()
            .any(|p| p.path == "services[0].geographic.backup_regions"
                && p.message.contains("primary_region")));
    }
}
