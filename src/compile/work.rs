//! The work estimate: what one replication costs, process by process — its events, and
//! what each event costs where that grows with the topology (a partition change touches
//! the nodes of its scope: it draws or reads their sides and moves their labels; a
//! reachability change over explicit links walks every link; a node change wakes every
//! service placed there) — what the run sets up (each node and service, every
//! replication) and checks once (each SLO), and what the results hold (a row per service
//! and replication). Runs beyond [`MAX_WORK_SECS`] of CPU time are refused up front, and
//! so are rows beyond [`MAX_ROWS`] where they are held in memory (the Python package's
//! tables) or [`MAX_CSV_ROWS`] where they are written (`--csv`); a study itself folds
//! each replication into exact sums and keeps no row.

use super::faults::{Action, FaultPlan};
use crate::core::time::{nanos_to_secs, Nanos};
use crate::net::topology::{NodeId, Topology};
use crate::scenarios::check::Problem;
use crate::strategies::detection::Probing;
use crate::strategies::spec::ServiceSpec;
use crate::strategies::StrategyParams;

/// Most events a whole run may be expected to process: at the [`EVENT_SECS`] an event
/// costs, the [`MAX_WORK_SECS`] of CPU time a run may take.
pub const MAX_EXPECTED_EVENTS: f64 = 1e11;

/// Most CPU time a whole run (every replication) may be expected to take, in seconds:
/// about 8 CPU-hours, half an hour on 16 cores. Beyond it a scenario is almost surely
/// a mistake (a one-second MTBF over centuries, a thousand overlapping partitions of a
/// hundred thousand nodes) and is refused up front.
pub const MAX_WORK_SECS: f64 = MAX_EXPECTED_EVENTS * EVENT_SECS;

/// Most result rows a study may hold in memory (the Python package's tables): one per
/// service and replication, about `ROW_BYTES` each. The limit keeps them within a memory
/// budget of 12 GB (10⁸ rows would need 60 GB).
pub const MAX_ROWS: f64 = 2e7;

/// Most rows `--csv` may write to `replications.csv`: one per service and replication,
/// about `CSV_ROW_BYTES` each, so 140 GB of disk at the limit. The rows are streamed to
/// the file, so the limit is about disk, not memory.
pub const MAX_CSV_ROWS: f64 = 1e9;

/// CPU time of one event: queue, dispatch, the strategies' answer and the accounting
/// (3–4 M events/s on one core in `docs/performance.md`).
pub const EVENT_SECS: f64 = 300e-9;
/// CPU time of touching one node once: drawing its group, setting it up at the start
/// of a replication, crashing it in an outage.
const NODE_STEP_SECS: f64 = 10e-9;
/// CPU time of one node of a partition's scope in a partition change: a start draws
/// (or reads) its side and adds its side's hash to its label, a heal takes it back
/// (`net/network.rs`), whatever the other partitions active. Measured on one core: 10
/// random partition processes over 10⁵ nodes (1 h apart, 1 d long) for 100 days took
/// 4.95 CPU-s for about 2,000 changes, 25 ns a node and change.
const PARTITION_NODE_SECS: f64 = 25e-9;
/// CPU time of looking at one link once in a reachability or shortest-path walk.
/// Measured: an N_WAY service of 3 replicas on a 5,000-node mesh (12.5 M links) takes
/// 0.6 s per node change and 0.8 s per partition change: 4 walks (reachability and one
/// shortest-path tree per replica) of 12–16 ns per link.
const LINK_STEP_SECS: f64 = 15e-9;
/// How many nodes an event's cost stays flat up to: beyond, the queue and the per-node
/// state leave the cache and an event costs [`EVENT_SECS`] × √(nodes / this). Measured
/// on one core: 0.5 µs an event at 10⁵ nodes, 1.7 µs at 10⁶ (`bench/nasty-scenarios.py`).
const CACHED_NODES: f64 = 25_000.0;
/// Events a node change causes in each service with a replica or vantage point on that
/// node (its detection and failover; measured 1.5 with 200 ACTIVE_PASSIVE services a
/// node).
const WAKE_EVENTS: f64 = 2.0;
/// CPU time of those events for one service: measured 1.6 µs with 10⁵ services on
/// 10³ nodes.
const WAKE_SECS: f64 = 2e-6;
/// CPU time of setting up one service in a replication and summing its row: measured
/// 4.1 µs a service and replication with 10⁵ services and no faults.
const SERVICE_SECS: f64 = 4e-6;
/// CPU time of summing up one service's results over the replications and writing them,
/// once per run: measured 8 µs a service with no faults, 37 µs with monthly failures
/// (10⁵ services).
const SUMMARY_SECS: f64 = 30e-6;
/// CPU time of checking one SLO against the summary, once per run: measured 4.6 µs an
/// SLO with 10⁶ of them.
const SLO_SECS: f64 = 5e-6;
/// Events of one false down-and-up of a replica from lost probes: the two declarations
/// and the failover (or ejection) they start and supersede. Measured: an ACTIVE_PASSIVE
/// monitor probing every microsecond across a link losing half took 77 M events in 59
/// simulated seconds, 5.2 per flap as estimated here.
const FLAP_EVENTS: f64 = 5.0;
/// Events of one N_WAY follower timing out on lost heartbeats: its timer and the
/// heartbeat that brings it back. Measured: 640,768 events for 302,706 timeouts (and
/// 5,300 elections they started) in a 3-replica group losing 30 % on every link.
const HEARTBEAT_MISS_EVENTS: f64 = 2.0;
/// Memory of one result row, measured: 610 B a service and replication with 10⁵
/// services.
const ROW_BYTES: f64 = 600.0;
/// Disk of one `replications.csv` row, measured: 140 B a row for quickstart (sixteen
/// columns, full-precision availabilities).
const CSV_ROW_BYTES: f64 = 140.0;

/// Where a study's result rows (one per service and replication) go, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowsKept {
    /// Held in memory (the Python package's tables): bounded by [`MAX_ROWS`].
    InMemory,
    /// Written to `replications.csv` (`--csv`): bounded by [`MAX_CSV_ROWS`].
    OnDisk,
}

/// What one fault process (or one explicitly probed service, or the set-up of a
/// replication) costs in one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkShare {
    /// JSON path of the process in the scenario file, e.g. `faults.node_failures[0]`.
    pub source: String,
    /// Expected events in one replication.
    pub events: f64,
    /// Expected CPU seconds in one replication: the events and what each touches.
    pub secs: f64,
    /// What makes each event costly beyond the event itself, or the process's events
    /// many, when something does, e.g. "each of its partition changes touches 100000
    /// nodes".
    pub per_event: Option<String>,
    /// Paid once per run (checking the SLOs), not once per replication.
    pub once: bool,
}

/// What each network change costs on this topology: over explicit links, the walks the
/// strategies' next questions cause (every change): one for reachability, and one
/// shortest-path tree per node that asks for latencies; a partition change adds the
/// nodes of its scope.
struct ChangeCost {
    links: f64,
    walks: f64,
}

impl ChangeCost {
    /// A change of a partition over `nodes` nodes.
    fn of_partition_change(&self, nodes: usize) -> (f64, String) {
        let mut what = format!("each of its partition changes touches {nodes} nodes");
        if self.links > 0.0 {
            what.push_str(&format!(
                " and walks {} links {} times",
                self.links, self.walks
            ));
        }
        (
            nodes as f64 * PARTITION_NODE_SECS + self.links * self.walks * LINK_STEP_SECS,
            what,
        )
    }

    fn of_node_change(&self) -> (f64, Option<String>) {
        if self.links == 0.0 {
            return (0.0, None);
        }
        (
            self.links * self.walks * LINK_STEP_SECS,
            Some(format!(
                "each of its node changes walks {} links {} times (reachability and the \
                 latencies from each replica and vantage point)",
                self.links, self.walks
            )),
        )
    }
}

/// Estimates one replication, process by process: a repeating process of mean cycle `c`
/// over horizon `h` fires about `h / c` times, each a start and an end (a burst: one
/// event and a repair per node); each event costs [`EVENT_SECS`] (more beyond
/// `CACHED_NODES` nodes) plus what it touches (see `ChangeCost`) and wakes: a node
/// change wakes each service placed on the node, a partition change every service.
/// Explicit probing adds one event per probe, an overload cascade a failure and a repair
/// per replica and cycle at 100% overload, and every replication sets up each node and
/// service once. Checking the `slos` SLOs is paid once per run. Strategy timers beyond
/// the services woken are left out: they scale with these events.
pub fn work_estimate(
    topology: &Topology,
    plan: &FaultPlan,
    services: &[ServiceSpec],
    slos: usize,
    horizon: Nanos,
) -> Vec<WorkShare> {
    let horizon = nanos_to_secs(horizon);
    let event_secs = EVENT_SECS * (topology.len() as f64 / CACHED_NODES).sqrt().max(1.0);
    // Services with a replica or vantage point on each node: those a change of it wakes.
    let mut placed = vec![0.0_f64; topology.len()];
    for service in services {
        for node in service.replicas.iter().chain(&service.vantages) {
            placed[node.index()] += 1.0;
        }
    }
    let woken_by = |nodes: &[NodeId]| {
        if nodes.is_empty() {
            0.0
        } else {
            nodes.iter().map(|node| placed[node.index()]).sum::<f64>() / nodes.len() as f64
        }
    };
    let all_services = services.len() as f64;
    let cycles = |cycle: f64| horizon / cycle;
    let explicit_links = topology.implied.is_none();
    // Only services that read reachability from nodes make the network walk its links:
    // the global client's reaches every up node whatever the links.
    let routed = || services.iter().filter(|s| !s.observes_only_globally());
    let change = ChangeCost {
        links: if explicit_links && routed().next().is_some() {
            topology.graph.edge_count() as f64
        } else {
            0.0
        },
        // Each replica and vantage point may ask for latencies: at most one shortest-path
        // tree each per network change (a bound: a global monitor asks none).
        walks: 1.0
            + (routed()
                .map(|s| s.replicas.len() + s.vantages.len())
                .sum::<usize>())
            .min(topology.len()) as f64,
    };
    let (node_change_secs, node_change_what) = change.of_node_change();
    // `events` node changes, each touching `nodes_per_event` nodes and waking `woken`
    // services.
    let node_share = |source: String, events: f64, nodes_per_event: f64, woken: f64| WorkShare {
        source,
        events: events * (1.0 + woken * WAKE_EVENTS),
        secs: events
            * (event_secs
                + nodes_per_event * NODE_STEP_SECS
                + node_change_secs
                + woken * WAKE_SECS),
        per_event: node_change_what.clone(),
        once: false,
    };
    let mut shares = vec![WorkShare {
        source: "topology".to_string(),
        events: 0.0,
        secs: topology.len() as f64 * NODE_STEP_SECS + all_services * SERVICE_SECS,
        per_event: None,
        once: false,
    }];
    if !services.is_empty() {
        shares.push(WorkShare {
            source: "services".to_string(),
            events: 0.0,
            secs: all_services * SUMMARY_SECS,
            per_event: None,
            once: true,
        });
    }
    if slos > 0 {
        shares.push(WorkShare {
            source: "slo".to_string(),
            events: 0.0,
            secs: slos as f64 * SLO_SECS,
            per_event: None,
            once: true,
        });
    }
    let regular = plan
        .node_processes
        .iter()
        .filter(|p| p.latent.is_none())
        .count();
    for (i, process) in plan.node_processes.iter().enumerate() {
        let source = match process.latent {
            None => format!("faults.node_failures[{i}]"),
            Some(_) => format!("faults.latent_faults[{}]", i - regular),
        };
        // A failure and a repair per cycle, and a crew's dispatch for a node with a crew
        // (its wait in the queue only lengthens the cycle, so it is left out).
        let crewed = process
            .nodes
            .iter()
            .filter(|node| {
                plan.repair
                    .crew_of
                    .get(node.index())
                    .is_some_and(Option::is_some)
            })
            .count();
        shares.push(node_share(
            source,
            (process.nodes.len() * 2 + crewed) as f64
                * cycles(process.ttf.mean_secs() + process.ttr.mean_secs()),
            1.0,
            woken_by(&process.nodes),
        ));
    }
    for outage in &plan.outages {
        let field = match outage.kind {
            "zone_outage" => "zone_outages",
            "pause" => "pauses",
            _ => "region_outages",
        };
        shares.push(node_share(
            format!("faults.{field}"),
            2.0 * cycles(outage.interarrival.mean_secs() + outage.duration.mean_secs()),
            outage.nodes.len() as f64,
            if outage.pause {
                // A pause changes reachability: every service is woken.
                all_services
            } else {
                woken_by(&outage.nodes) * outage.nodes.len() as f64
            },
        ));
    }
    for (i, process) in plan.partitions.iter().enumerate() {
        let events = 2.0 * cycles(process.mean_cycle_secs());
        let (partition_change_secs, partition_change_what) = change
            .of_partition_change(process.draw.scope.as_ref().map_or(topology.len(), Vec::len));
        shares.push(WorkShare {
            source: format!("faults.random_partitions[{i}]"),
            events: events * (1.0 + all_services * WAKE_EVENTS),
            secs: events * (event_secs + partition_change_secs + all_services * WAKE_SECS),
            per_event: Some(partition_change_what),
            once: false,
        });
    }
    for (i, burst) in plan.bursts.iter().enumerate() {
        shares.push(node_share(
            format!("faults.bursts[{i}]"),
            (1.0 + 2.0 * burst.size as f64) * cycles(burst.interarrival.mean_secs()),
            1.0,
            woken_by(&burst.nodes),
        ));
    }
    for (i, process) in plan.node_processes.iter().enumerate() {
        if let Some(inspection) = &process.latent {
            // One event per inspection (its findings are counted in the cycles above).
            shares.push(node_share(
                format!("faults.latent_faults[{}].inspection", i - regular),
                cycles(nanos_to_secs(inspection.interval)),
                process.nodes.len() as f64,
                0.0,
            ));
        }
    }
    for (i, maintenance) in plan.maintenance.iter().enumerate() {
        // A round, and a node down and up for each node of the scope.
        shares.push(node_share(
            format!("faults.maintenance[{i}]"),
            (1 + 2 * maintenance.nodes.len()) as f64 * cycles(nanos_to_secs(maintenance.period)),
            1.0,
            woken_by(&maintenance.nodes),
        ));
    }
    for (i, fault) in plan.scheduled.iter().enumerate() {
        let scope = match &fault.action {
            // A start reads the side of every node; a heal moves those not in group 0.
            Action::Partition(group_of) => Some(group_of.len()),
            Action::RandomPartition(draw) => {
                Some(draw.scope.as_ref().map_or(topology.len(), Vec::len))
            }
            Action::Restrict(rule) => Some(rule.sides().len()),
            _ => None,
        };
        let (secs, per_event, woken) = match scope {
            Some(nodes) => {
                let (secs, what) = change.of_partition_change(nodes);
                (secs, Some(what), all_services)
            }
            None => (node_change_secs, node_change_what.clone(), 0.0),
        };
        // A start and an end, and a cut and a heal per flap within the window.
        let flaps = fault.flap.as_ref().map_or(0.0, |flap| {
            let window = fault
                .duration
                .as_ref()
                .map_or(f64::INFINITY, |d| d.mean_secs())
                .min(horizon - nanos_to_secs(fault.at))
                .max(0.0);
            window / flap.mean_cycle_secs()
        });
        let changes = 2.0 * (1.0 + flaps);
        shares.push(WorkShare {
            source: format!("faults.scheduled[{i}]"),
            events: changes * (1.0 + woken * WAKE_EVENTS),
            secs: changes * (event_secs + secs + woken * WAKE_SECS),
            per_event,
            once: false,
        });
    }
    for (i, fault) in plan.scheduled.iter().enumerate() {
        if let Action::DegradeLink { a, b, loss, .. } = fault.action {
            let window = fault
                .duration
                .as_ref()
                .map_or(f64::INFINITY, |d| d.mean_secs())
                .min(horizon - nanos_to_secs(fault.at))
                .max(0.0);
            let lost = [
                lost_probes(services, (a, b), loss, window, event_secs),
                lost_heartbeats(services, (a, b), loss, window, event_secs),
            ];
            for share in lost.into_iter().flatten() {
                shares.push(WorkShare {
                    source: format!("faults.scheduled[{i}].fault.degrade_link.loss"),
                    ..share
                });
            }
        }
    }
    for (s, service) in services.iter().enumerate() {
        if let Some(cascade) = service
            .strategy
            .pool()
            .and_then(|pool| pool.overload_cascade.as_ref())
        {
            // At 100% overload; more overload fails replicas faster, so this is a floor.
            shares.push(node_share(
                format!("services[{s}].active_active.overload_cascade"),
                service.replicas.len() as f64
                    * 2.0
                    * cycles(nanos_to_secs(cascade.mean_time_to_fail) + cascade.repair.mean_secs()),
                1.0,
                1.0,
            ));
        }
        if service.detection.probing == Probing::Explicit {
            let detectors = service.vantages.len().max(1) as f64;
            let events = detectors
                * service.replicas.len() as f64
                * cycles(nanos_to_secs(service.detection.interval));
            shares.push(WorkShare {
                source: format!("services[{s}].detection.probing"),
                events,
                secs: events * event_secs,
                per_event: None,
                once: false,
            });
        }
    }
    shares
}

/// What the probes lost on the degraded link `ends` cost over `window` seconds: a
/// health check whose probes cross it, from a detector (the monitor, a vantage point's
/// load balancer) at one end to a replica at the other, declares the live replica down
/// after a run of `unhealthy_threshold` lost probes and up again after a run of
/// `healthy_threshold` that get through, and each declaration wakes the strategy (a
/// failover, an ejection). Lazy probing draws these runs instead of sending each probe,
/// so their number is set by the interval, not by the faults: probes every microsecond
/// that lose half flap the replica every few microseconds, 10⁹ events an hour.
fn lost_probes(
    services: &[ServiceSpec],
    ends: (NodeId, NodeId),
    loss: f64,
    window: f64,
    event_secs: f64,
) -> Option<WorkShare> {
    if loss <= 0.0 || window <= 0.0 {
        return None;
    }
    let mut flaps = 0.0;
    let mut shortest = f64::INFINITY;
    for service in services {
        let detection = &service.detection;
        if detection.probing == Probing::Explicit {
            // Every probe is an event already counted with the probing.
            continue;
        }
        let monitor = service.strategy.watched_nodes()[0];
        let probed = |detector: NodeId, replica: NodeId| {
            service.replicas.contains(&replica)
                && (monitor == Some(detector) || service.vantages.contains(&detector))
        };
        let pairs = usize::from(probed(ends.0, ends.1)) + usize::from(probed(ends.1, ends.0));
        if pairs == 0 {
            continue;
        }
        let probes = probes_until_run(loss, detection.unhealthy_threshold)
            + probes_until_run(1.0 - loss, detection.healthy_threshold);
        let cycle = nanos_to_secs(detection.interval) * probes + nanos_to_secs(detection.timeout);
        // One false declaration at least, however long the cycle.
        flaps += pairs as f64 * (window / cycle).max(1.0);
        shortest = shortest.min(cycle);
    }
    if flaps == 0.0 {
        return None;
    }
    let events = flaps * FLAP_EVENTS;
    Some(WorkShare {
        source: String::new(),
        events,
        secs: events * event_secs,
        per_event: Some(format!(
            "health checks across this link lose {:.3}% of their probes and flap a live \
             replica down and up about every {shortest:.1e} s",
            loss * 100.0,
        )),
        once: false,
    })
}

/// What the heartbeats lost on the degraded link `ends` cost over `window` seconds: an
/// N_WAY replica at one end following a leader at the other (one direction at a time)
/// times out after k = ⌊T/h⌋ heartbeats lost in a row, (1 − p)·pᵏ per heartbeat period,
/// taking T as the shortest election timeout (the most timeouts).
fn lost_heartbeats(
    services: &[ServiceSpec],
    ends: (NodeId, NodeId),
    loss: f64,
    window: f64,
    event_secs: f64,
) -> Option<WorkShare> {
    if loss <= 0.0 || loss >= 1.0 || window <= 0.0 {
        return None;
    }
    let mut timeouts = 0.0;
    let mut shortest = f64::INFINITY;
    for service in services {
        let StrategyParams::NWay(params) = &service.strategy else {
            continue;
        };
        if !(service.replicas.contains(&ends.0) && service.replicas.contains(&ends.1)) {
            continue;
        }
        let run = (params.election_timeout_min / params.heartbeat.max(1)).max(1);
        let per_period = (1.0 - loss) * loss.powi(run.min(i32::MAX as u64) as i32);
        let interval = nanos_to_secs(params.heartbeat.max(1)) / per_period;
        timeouts += window / interval;
        shortest = shortest.min(interval);
    }
    if timeouts == 0.0 {
        return None;
    }
    let events = timeouts * HEARTBEAT_MISS_EVENTS;
    Some(WorkShare {
        source: String::new(),
        events,
        secs: events * event_secs,
        per_event: Some(format!(
            "N_WAY heartbeats across this link lose {:.3}% and a follower times out about \
             every {shortest:.1e} s",
            loss * 100.0,
        )),
        once: false,
    })
}

/// Expected probes until `run` consecutive ones succeed, each with probability `q`:
/// (1 − qʳ) / ((1 − q) qʳ); infinite when none can.
fn probes_until_run(q: f64, run: u32) -> f64 {
    if q >= 1.0 {
        return f64::from(run);
    }
    let complete = q.powi(run as i32);
    if complete <= 0.0 {
        return f64::INFINITY;
    }
    (1.0 - complete) / ((1.0 - q) * complete)
}

/// The total expected events of a run: the shares of one replication times the
/// replications. Used up front by validation and by anything that changes the horizon
/// or the replications afterwards (command-line overrides, the fuzz harness).
pub fn expected_events(shares: &[WorkShare], replications: u64) -> f64 {
    shares
        .iter()
        .map(|share| share.events * share.times(replications))
        .sum()
}

/// The total expected CPU seconds of a run (see [`expected_events`]).
pub fn expected_secs(shares: &[WorkShare], replications: u64) -> f64 {
    shares
        .iter()
        .map(|share| share.secs * share.times(replications))
        .sum()
}

impl WorkShare {
    /// How many times a run of `replications` replications pays this share.
    fn times(&self, replications: u64) -> f64 {
        if self.once {
            1.0
        } else {
            replications as f64
        }
    }
}

/// CPU time in words: `under a CPU-second`, `12 CPU-seconds`, `3.5 CPU-hours`,
/// `1.2e5 CPU-hours`.
pub fn cpu_time(secs: f64) -> String {
    let hours = secs / 3600.0;
    if secs < 1.0 {
        "under a CPU-second".to_string()
    } else if secs < 120.0 {
        format!("{secs:.0} CPU-seconds")
    } else if hours < 2.0 {
        format!("{:.0} CPU-minutes", secs / 60.0)
    } else if hours < 1e4 {
        format!("{hours:.1} CPU-hours")
    } else {
        format!("{hours:.1e} CPU-hours")
    }
}

/// The problem to report when `replications` replications of `services` services would
/// keep more result rows than `kept` allows ([`MAX_ROWS`] in memory, [`MAX_CSV_ROWS`]
/// on disk), placed at `replications`.
pub fn rows_problem(services: usize, replications: u64, kept: RowsKept) -> Option<Problem> {
    let rows = services as f64 * replications as f64;
    let (limit, row_bytes, place, instead) = match kept {
        RowsKept::InMemory => (
            MAX_ROWS,
            ROW_BYTES,
            "in memory",
            "or ask for the summary only (`tables=False`)",
        ),
        RowsKept::OnDisk => (
            MAX_CSV_ROWS,
            CSV_ROW_BYTES,
            "of replications.csv on disk",
            "or leave out --csv",
        ),
    };
    (rows > limit).then(|| Problem {
        path: "replications".to_string(),
        message: format!(
            "{services} services × {replications} replications make {rows:.1e} result rows \
             (about {:.1e} bytes {place}), beyond the limit of {limit:.0e} rows ({:.1e} \
             bytes): lower `replications`, study fewer services at a time, {instead}",
            rows * row_bytes,
            limit * row_bytes
        ),
    })
}

/// The problem to report when a run of `replications` replications would take more than
/// [`MAX_WORK_SECS`] of CPU time (placed at the process that contributes the most).
pub fn work_problem(shares: &[WorkShare], replications: u64) -> Option<Problem> {
    let secs = expected_secs(shares, replications);
    if secs <= MAX_WORK_SECS {
        return None;
    }
    let total = |share: &WorkShare| share.secs * share.times(replications);
    let largest = shares.iter().max_by(|a, b| total(a).total_cmp(&total(b)))?;
    let percent = if secs.is_finite() {
        total(largest) / secs * 100.0
    } else {
        100.0
    };
    // Thousands of like processes each contribute a sliver: keep it above 0.0%.
    let share = if percent < 0.1 {
        format!("{percent:.2}%")
    } else if percent < 1.0 {
        format!("{percent:.1}%")
    } else {
        format!("{percent:.0}%")
    };
    let events = expected_events(shares, replications);
    let why = largest
        .per_event
        .as_ref()
        .map(|what| format!(": {what}"))
        .unwrap_or_default();
    // What to lower: the processes' rates, or what every replication sets up.
    let lower = match largest.source.as_str() {
        "topology" | "services" => "or study fewer services or nodes at a time",
        "slo" => "or check fewer SLOs",
        source if source.ends_with(".degrade_link.loss") => {
            "shorten `horizon`, probe less often (`detection.interval`), or lose fewer probes"
        }
        _ => "shorten `horizon`, or make these faults rarer",
    };
    Some(Problem {
        path: largest.source.clone(),
        message: format!(
            "this scenario would take about {events:.1e} events and {} ({} per replication × \
             {replications} replications; {share} from here{why}), beyond the limit of {} \
             ({MAX_EXPECTED_EVENTS:.0e} events at {:.0} ns each): lower `replications`, \
             {lower}",
            cpu_time(secs),
            cpu_time(secs / replications.max(1) as f64),
            cpu_time(MAX_WORK_SECS),
            EVENT_SECS * 1e9,
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
        let shares = compiled.work_estimate();
        let events: Vec<(&str, f64)> = shares
            .iter()
            .map(|s| (s.source.as_str(), s.events))
            .collect();
        // The burst fires twice, each time one event and a crash and repair per node. Each
        // node holds a replica of the one service, so each change wakes it: 2 more events.
        assert_eq!(
            events,
            [
                ("topology", 0.0),
                ("services", 0.0),
                ("faults.node_failures[0]", 20.0 * 3.0),
                ("faults.bursts[0]", 10.0 * 3.0)
            ]
        );
        assert_eq!(expected_events(&shares, 3), 270.0);
        // Implied links: an event costs itself, the node it touches and the service it wakes.
        let node_failures = &shares[2];
        let per_event = EVENT_SECS + NODE_STEP_SECS + WAKE_SECS;
        assert!((node_failures.secs - 20.0 * per_event).abs() < 1e-15);
        // Set-up is paid every replication, the summary of the service once.
        assert_eq!(
            expected_secs(&shares[..2], 3),
            3.0 * (2.0 * NODE_STEP_SECS + SERVICE_SECS) + SUMMARY_SECS
        );
    }

    #[test]
    fn the_work_estimate_counts_latent_faults_their_inspections_and_maintenance() {
        // A latent process over both nodes with a two-day cycle (5 cycles × 2 events × 2
        // nodes), inspections every 2 days (5), maintenance of both nodes every 5 days
        // (2 rounds × (1 + 2 × 2)).
        let faults = r#"{"latent_faults": [{"ttf": {"const": "1d"}, "ttr": {"const": "1d"},
                                            "inspection": {"interval": "2d"}}],
                         "maintenance": [{"scope": "all", "period": "5d", "duration": "1h"}]}"#;
        let compiled = compile(&scenario(faults, 1), "t").unwrap();
        let events: Vec<(String, f64)> = compiled
            .work_estimate()
            .into_iter()
            .map(|s| (s.source, s.events))
            .collect();
        // Each node change but an inspection wakes the service: 2 more events.
        let expected = [
            ("topology", 0.0),
            ("services", 0.0),
            ("faults.latent_faults[0]", 20.0 * 3.0),
            ("faults.latent_faults[0].inspection", 5.0),
            ("faults.maintenance[0]", 10.0 * 3.0),
        ];
        assert_eq!(
            events,
            expected.map(|(source, events)| (source.to_string(), events))
        );
    }

    #[test]
    fn work_beyond_the_limit_is_refused_at_the_largest_process() {
        let faults = r#"{"node_failures": [{"ttf": {"const": "1s"}, "ttr": {"const": "1s"}}]}"#;
        // 2 nodes × 2 events × 432 000 cycles = 1.728e6 per replication, each waking the
        // service (2 events, 2 µs): 5.2e6 events and 4 s; 10^7 replications.
        let problems = compile(&scenario(faults, 10_000_000), "t").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "faults.node_failures[0]");
        assert!(
            problems[0]
                .message
                .starts_with("this scenario would take about 5.2e13 events and 1.1e4 CPU-hours"),
            "{problems:?}"
        );
        assert!(compile(&scenario(faults, 1_000), "t").is_ok());
    }

    #[test]
    fn a_partition_change_costs_the_nodes_of_its_scope_whatever_the_partitions_active() {
        // 10^5 nodes, 1,000 partition processes each partitioned 24 h of every 25 h (960
        // active at once): each change touches the 10^5 nodes once, as with one process.
        let processes: Vec<&str> = (0..1000)
            .map(|_| r#"{"interarrival": {"const": "1h"}, "duration": {"const": "1d"}}"#)
            .collect();
        let text = format!(
            r#"{{"horizon": "25d", "replications": 1000,
                "topology": {{"generators": [{{"regions": {{"regions": 10, "zones": 10, "nodes": 1000}}}}]}},
                "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["r1-z1-n1", "r1-z2-n1"]}}],
                "faults": {{"random_partitions": [{}]}}}}"#,
            processes.join(",")
        );
        let problems = compile(&serde_json::from_str(&text).unwrap(), "t").unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        // 1,000 processes × 2 × 24 changes = 48,000 per replication, each 10^5 × 25 ns
        // = 2.5 ms (and 600 ns for the event at 10^5 nodes, 2 µs for the service it
        // wakes): 120.1 CPU-s per replication, 33.4 CPU-hours for 1,000. Each change
        // wakes the service: 3 events.
        assert!(problems[0].path.starts_with("faults.random_partitions["));
        assert!(
            problems[0]
                .message
                .contains("1.4e8 events and 33.4 CPU-hours (2 CPU-minutes per replication"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[0]
                .message
                .contains("each of its partition changes touches 100000 nodes"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn a_flapping_partition_counts_a_cut_and_a_heal_per_cycle_within_its_window() {
        // A 100 s window of 8 s cuts (raised to the 10 s minimum) and 10 s heals: 5
        // cycles, so 2 + 2 × 5 changes, each waking the service (2 events more).
        let faults = r#"{"scheduled": [{"at": "1h", "duration": {"const": "100s"},
            "fault": {"isolate": {"nodes": ["a"]}},
            "flap": {"cut": {"const": "8s"}, "healed": {"const": "10s"}, "min_stable": "10s"}}]}"#;
        let compiled = compile(&scenario(faults, 10), "t").unwrap();
        let shares = compiled.work_estimate();
        let share = shares
            .iter()
            .find(|s| s.source == "faults.scheduled[0]")
            .unwrap();
        assert!(
            (share.events - 12.0 * (1.0 + WAKE_EVENTS)).abs() < 1e-9,
            "{share:?}"
        );
    }

    #[test]
    fn a_scoped_partition_change_costs_its_scope_only() {
        let faults = r#"{"random_partitions": [{"interarrival": {"const": "1h"}, "duration": {"const": "1h"},
                          "shape": "isolate_one", "scope": {"service": "s"}}]}"#;
        let compiled = compile(&scenario(faults, 10), "t").unwrap();
        let shares = compiled.work_estimate();
        let share = shares
            .iter()
            .find(|s| s.source == "faults.random_partitions[0]")
            .unwrap();
        assert_eq!(
            share.per_event.as_deref(),
            Some("each of its partition changes touches 2 nodes")
        );
    }

    #[test]
    fn node_changes_over_explicit_links_cost_a_walk_of_every_link() {
        let faults = r#"{"node_failures": [{"ttf": {"const": "1d"}, "ttr": {"const": "1d"}}]}"#;
        let share = |vantages: &str| {
            let text = format!(
                r#"{{"horizon": "10d", "topology": {{"generators": [{{"mesh": {{"nodes": 500}}}}]}},
                    "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["n1", "n2"],
                                   "vantage_points": [{vantages}]}}],
                    "faults": {faults}}}"#
            );
            let compiled = compile(&serde_json::from_str(&text).unwrap(), "t").unwrap();
            compiled.work_estimate().swap_remove(2)
        };
        // 500 nodes × 5 cycles × 2 events, each walking 124,750 links 4 times: once for
        // reachability and once from each of the 2 replicas and the vantage point; 3 of
        // the 500 nodes hold a replica or the vantage, so a change wakes 0.006 services on
        // average.
        let seen_from_n3 = share(r#""n3""#);
        assert_eq!(seen_from_n3.source, "faults.node_failures[0]");
        assert!((seen_from_n3.events - 5000.0 * (1.0 + 0.006 * WAKE_EVENTS)).abs() < 1e-9);
        let per_event =
            EVENT_SECS + NODE_STEP_SECS + 4.0 * 124_750.0 * LINK_STEP_SECS + 0.006 * WAKE_SECS;
        assert!((seen_from_n3.secs - 5000.0 * per_event).abs() < 1e-9);
        assert_eq!(
            seen_from_n3.per_event.as_deref(),
            Some(
                "each of its node changes walks 124750 links 4 times (reachability and the \
                 latencies from each replica and vantage point)"
            )
        );
        // Seen by the global client only, the service never asks the network to walk.
        let global = share("");
        let per_event = EVENT_SECS + NODE_STEP_SECS + 0.004 * WAKE_SECS;
        assert!((global.secs - 5000.0 * per_event).abs() < 1e-9);
        assert_eq!(global.per_event, None);
    }

    #[test]
    fn probes_lost_on_a_degraded_link_count_a_flap_per_run_of_losses_and_successes() {
        // A monitor on c probes replica a every 1 µs across a link losing half its probes,
        // from 1 s to the horizon at 11 s: each flap takes 2 lost probes on average to
        // declare a down (1 in a row) and 2 to declare it up again, 4 µs: 2.5e6 flaps of
        // 5 events.
        let text = r#"{"horizon": "11s",
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"],
                          "detection": {"interval": "1us", "unhealthy_threshold": 1,
                                        "healthy_threshold": 1, "timeout": "0s"},
                          "active_passive": {"monitor": "c"}}],
            "faults": {"scheduled": [
                {"at": "1s", "fault": {"degrade_link": {"from": "c", "to": "a", "loss": 0.5}}},
                {"at": "1s", "fault": {"degrade_link": {"from": "a", "to": "b", "loss": 0.5}}},
                {"at": "1s", "fault": {"degrade_link": {"from": "c", "to": "b", "loss": 0.0}}}]}}"#;
        let compiled = compile(&serde_json::from_str(text).unwrap(), "t").unwrap();
        let shares = compiled.work_estimate();
        let lost: Vec<&WorkShare> = shares
            .iter()
            .filter(|s| s.source.ends_with(".loss"))
            .collect();
        // Replica to replica is probed by no one; a lossless link loses nothing.
        assert_eq!(lost.len(), 1, "{shares:?}");
        assert_eq!(
            lost[0].source,
            "faults.scheduled[0].fault.degrade_link.loss"
        );
        assert!(
            (lost[0].events - 2.5e6 * FLAP_EVENTS).abs() < 1e-3,
            "{lost:?}"
        );
        assert_eq!(
            lost[0].per_event.as_deref(),
            Some(
                "health checks across this link lose 50.000% of their probes and flap a live \
                 replica down and up about every 4.0e-6 s"
            )
        );
        // Three losses in a row at 50%: 14 probes; two successes: 6 probes.
        assert_eq!(probes_until_run(0.5, 3), 14.0);
        assert_eq!(probes_until_run(0.5, 2), 6.0);
        assert_eq!(probes_until_run(1.0, 3), 3.0);
        assert_eq!(probes_until_run(0.0, 1), f64::INFINITY);
    }

    #[test]
    fn heartbeats_lost_between_n_way_replicas_cost_two_events_a_follower_timeout() {
        // Heartbeats every 50 ms, shortest timeout 175 ms: 3 lost in a row time a
        // follower out, (1 − 0.5)·0.5³ = 1/16 per period, one every 0.8 s; 10 s of loss
        // make 12.5 timeouts of 2 events. The replica–client link carries no heartbeat.
        let text = r#"{"horizon": "11s",
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"},
                                   {"id": "x", "role": "client"}]},
            "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a", "b", "c"],
                          "n_way": {"heartbeat": "50ms", "election_timeout_min": "175ms",
                                    "election_timeout_max": "300ms"}}],
            "faults": {"scheduled": [
                {"at": "1s", "fault": {"degrade_link": {"from": "a", "to": "b", "loss": 0.5}}},
                {"at": "1s", "fault": {"degrade_link": {"from": "a", "to": "x", "loss": 0.5}}}]}}"#;
        let compiled = compile(&serde_json::from_str(text).unwrap(), "t").unwrap();
        let shares = compiled.work_estimate();
        let lost: Vec<&WorkShare> = shares
            .iter()
            .filter(|s| s.source.ends_with(".loss"))
            .collect();
        assert_eq!(lost.len(), 1, "{shares:?}");
        assert_eq!(
            lost[0].source,
            "faults.scheduled[0].fault.degrade_link.loss"
        );
        assert!((lost[0].events - 25.0).abs() < 1e-9, "{lost:?}");
        assert_eq!(
            lost[0].per_event.as_deref(),
            Some(
                "N_WAY heartbeats across this link lose 50.000% and a follower times out \
                 about every 8.0e-1 s"
            )
        );
    }

    #[test]
    fn result_rows_are_refused_only_where_they_are_kept() {
        let services: Vec<String> = (0..1000)
            .map(|i| {
                format!(
                    r#"{{"name": "s{i}", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"horizon": "1d", "replications": 100000,
                "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
                "services": [{}]}}"#,
            services.join(",")
        );
        // 10^8 rows: a study keeps none of them, so the scenario is valid (0.1 CPU-hours).
        assert!(compile(&serde_json::from_str(&text).unwrap(), "t").is_ok());
        // 2 × 10^7 rows fit in memory; one replication more does not.
        assert_eq!(rows_problem(1000, 20_000, RowsKept::InMemory), None);
        let problem = rows_problem(1000, 100_000, RowsKept::InMemory).unwrap();
        assert_eq!(problem.path, "replications");
        assert_eq!(
            problem.message,
            "1000 services × 100000 replications make 1.0e8 result rows (about 6.0e10 \
             bytes in memory), beyond the limit of 2e7 rows (1.2e10 bytes): lower \
             `replications`, study fewer services at a time, or ask for the summary only (`tables=False`)"
        );
        assert!(rows_problem(1000, 20_001, RowsKept::InMemory).is_some());
        // replications.csv takes 10^9 rows of 140 B.
        assert_eq!(rows_problem(1000, 1_000_000, RowsKept::OnDisk), None);
        assert_eq!(
            rows_problem(1000, 1_000_001, RowsKept::OnDisk)
                .unwrap()
                .message,
            "1000 services × 1000001 replications make 1.0e9 result rows (about 1.4e11 \
             bytes of replications.csv on disk), beyond the limit of 1e9 rows (1.4e11 \
             bytes): lower `replications`, study fewer services at a time, or leave out \
             --csv"
        );
    }
}
