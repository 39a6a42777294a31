//! The lumped chain of a qualifying scenario: which scenarios qualify (every refusal
//! with its JSON path), the replica classes, the states, their transitions, and the
//! steady-state and first-passage solution.

use super::{gth, ExactError, Solution, SECONDS_PER_YEAR};
use crate::compile::{CompiledScenario, SystemExpr};
use crate::core::metric::humane_seconds;
use crate::net::topology::NodeId;
use crate::scenarios::distribution::Distribution;
use crate::strategies::failover::Approval;
use crate::strategies::StrategyParams;

/// Most states of a lumped chain that `solve` enumerates (and `run` shows an exact
/// figure for).
pub const MAX_STATES: u64 = 100_000;

/// Most up states of a target for which the mean time to first outage is solved: the
/// dense elimination costs (up states)³ / 3 operations.
pub const MAX_TRANSIENT_STATES: usize = 1_500;

/// Load a replica may carry over its capacity and still serve in full: the pool's own
/// slack, so that the chain reads UP where the simulator does.
const LOAD_SLACK: f64 = 1e-9;

/// Why one part of a scenario keeps it out of the exact subset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// JSON path of what is not Markovian.
    pub path: String,
    /// What it is and why the chain cannot hold it.
    pub message: String,
}

/// Exchangeable replicas: the chain counts how many of them are down.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Class {
    /// Replicas in the class.
    pub nodes: u32,
    /// Failure rate of one up replica, per second.
    pub failure_rate: f64,
    /// Repair rate of one replica under repair, per second.
    pub repair_rate: f64,
    /// Replicas repaired at once: the crew's members, or `nodes` without a crew.
    pub repairers: u32,
    /// Capacity of one replica.
    pub capacity: f64,
    /// For each service, whether these nodes are its replicas.
    pub services: Vec<bool>,
    /// The crew that repairs them, by index; None when each repairs on its own.
    pub crew: Option<u32>,
}

impl Class {
    /// Rate at which one more replica fails with `down` down.
    pub(crate) fn failure(&self, down: u32) -> f64 {
        f64::from(self.nodes - down) * self.failure_rate
    }

    /// Rate at which one replica is repaired with `down` down.
    pub(crate) fn repair(&self, down: u32) -> f64 {
        f64::from(down.min(self.repairers)) * self.repair_rate
    }
}

/// What a solution is about: a service or the scenario's system.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// The service of this index.
    Service(usize),
    /// The system.
    System,
}

/// The lumped chain of a scenario in the exact subset.
#[derive(Clone, Debug)]
pub struct Chain {
    pub(crate) classes: Vec<Class>,
    /// Capacity of each service's replicas that never fail.
    steady_capacity: Vec<f64>,
    demand: Vec<f64>,
    /// Load over capacity each service still serves in full: the pool's slack for
    /// ACTIVE_ACTIVE, none for ACTIVE_PASSIVE's lone primary.
    slack: Vec<f64>,
    names: Vec<String>,
    system: Option<(String, SystemExpr)>,
}

impl Chain {
    /// The chain of `scenario`, or every reason it has none.
    pub fn of(scenario: &CompiledScenario) -> Result<Chain, ExactError> {
        let mut reasons = Vec::new();
        refuse_fault_kinds(scenario, &mut reasons);
        let services = &scenario.services;
        for (s, service) in services.iter().enumerate() {
            refuse_service(s, service, &mut reasons);
        }
        if !reasons.is_empty() {
            // Refused already: the classes (a pass over every node) are not needed.
            return Err(ExactError::NotMarkovian(reasons));
        }
        let mut chain = Chain {
            classes: Vec::new(),
            steady_capacity: vec![0.0; services.len()],
            demand: services.iter().map(|s| s.demand).collect(),
            slack: services
                .iter()
                .map(|s| match s.strategy {
                    StrategyParams::ActiveActive(_) => LOAD_SLACK,
                    _ => 0.0,
                })
                .collect(),
            names: services.iter().map(|s| s.name.clone()).collect(),
            system: scenario
                .system
                .as_ref()
                .map(|system| (system.name.clone(), system.expr.clone())),
        };
        chain.build_classes(scenario, &mut reasons);
        if reasons.is_empty() {
            Ok(chain)
        } else {
            Err(ExactError::NotMarkovian(reasons))
        }
    }

    /// Groups the replicas into classes, refusing nodes with several failure processes
    /// and crews whose queue order the lumped state would lose.
    fn build_classes(&mut self, scenario: &CompiledScenario, reasons: &mut Vec<Reason>) {
        let topology = &scenario.topology;
        let plan = &scenario.faults;
        let nodes = topology.len();
        let mut member_of = vec![vec![false; self.names.len()]; nodes];
        for (s, service) in scenario.services.iter().enumerate() {
            for node in &service.replicas {
                member_of[node.index()][s] = true;
            }
        }
        let is_replica = |node: NodeId| member_of[node.index()].iter().any(|&m| m);
        // The failure process of each node, by index among `node_failures`.
        let mut process_of: Vec<Option<usize>> = vec![None; nodes];
        for (p, process) in plan.node_processes.iter().enumerate() {
            for &node in &process.nodes {
                let slot = &mut process_of[node.index()];
                match *slot {
                    Some(first) if is_replica(node) => reasons.push(Reason {
                        path: format!("faults.node_failures[{p}].nodes"),
                        message: format!(
                            "node `{}` fails by node_failures[{first}] too: two failure \
                             processes on one node are not in the exact subset",
                            topology.names.name(node)
                        ),
                    }),
                    Some(_) => {}
                    None => *slot = Some(p),
                }
            }
        }
        let crew_of = |node: NodeId| plan.repair.crew_of.get(node.index()).copied().flatten();
        let mut class_of: Vec<Option<usize>> = vec![None; nodes];
        let mut index = std::collections::BTreeMap::new();
        for node in (0..nodes).map(NodeId::new).filter(|&n| is_replica(n)) {
            let capacity = topology.nodes[node.index()].capacity;
            let Some(p) = process_of[node.index()] else {
                for (s, &member) in member_of[node.index()].iter().enumerate() {
                    if member {
                        self.steady_capacity[s] += capacity;
                    }
                }
                continue;
            };
            let process = &plan.node_processes[p];
            let (Some(ttf), Some(ttr)) = (exp_mean(&process.ttf), exp_mean(&process.ttr)) else {
                continue; // refused with the process
            };
            let crew = crew_of(node);
            let class = Class {
                nodes: 1,
                failure_rate: 1.0 / ttf,
                repair_rate: 1.0 / ttr,
                repairers: crew.map_or(u32::MAX, |c| plan.repair.crews[c as usize].count),
                capacity,
                services: member_of[node.index()].clone(),
                crew,
            };
            // Classes by their key (rates and capacity by their bits): one lookup per node.
            let key = (
                class.failure_rate.to_bits(),
                class.repair_rate.to_bits(),
                class.capacity.to_bits(),
                class.crew,
                class.services.clone(),
            );
            let next = self.classes.len();
            let c = *index.entry(key).or_insert(next);
            if c == next {
                self.classes.push(class);
            } else {
                self.classes[c].nodes += 1;
            }
            class_of[node.index()] = Some(c);
        }
        for class in &mut self.classes {
            class.repairers = class.repairers.min(class.nodes);
        }
        // Per crew, in one pass over the nodes: the classes it repairs, and a failing
        // node it repairs that is no replica.
        let mut served: Vec<(Vec<usize>, Option<NodeId>)> =
            vec![(Vec::new(), None); plan.repair.crews.len()];
        for node in (0..nodes).map(NodeId::new) {
            let Some(crew) = crew_of(node) else { continue };
            if process_of[node.index()].is_none() {
                continue;
            }
            let (classes, outsider) = &mut served[crew as usize];
            match class_of[node.index()] {
                Some(class) if !classes.contains(&class) => classes.push(class),
                Some(_) => {}
                None if is_replica(node) => {} // refused with its process
                None => *outsider = outsider.or(Some(node)),
            }
        }
        for (c, crew) in plan.repair.crews.iter().enumerate() {
            let path = format!("faults.repair_crews[{c}]");
            if let Some(dispatch) = &crew.dispatch {
                reasons.push(Reason {
                    path: format!("{path}.dispatch"),
                    message: format!(
                        "crew `{}` has a dispatch delay ({}): the time between a member taking \
                         a node and its repair starting is a state the chain does not track",
                        crew.name,
                        dispatch.key()
                    ),
                });
            }
            let (classes, outsider) = &served[c];
            if let (false, Some(node)) = (classes.is_empty(), outsider) {
                reasons.push(Reason {
                    path: format!("{path}.serves"),
                    message: format!(
                        "crew `{}` also repairs node `{}`, which is no replica: its repairs \
                         hold members the chain of the services would not see",
                        crew.name,
                        topology.names.name(*node)
                    ),
                });
            }
            if classes.len() > 1 {
                reasons.push(Reason {
                    path: format!("{path}.serves"),
                    message: format!(
                        "crew `{}` repairs replicas that differ (rates, capacity or services): \
                         which of them waits would need the queue order, which the lumped \
                         chain does not hold; give each kind of replica its own crew",
                        crew.name
                    ),
                });
            }
        }
    }

    /// States of the lumped chain: Π (replicas in class + 1), saturated.
    pub fn states(&self) -> u64 {
        self.classes.iter().fold(1u64, |states, c| {
            states.saturating_mul(u64::from(c.nodes) + 1)
        })
    }

    /// Replica classes of the chain.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// The services, then the system if there is one.
    pub fn targets(&self) -> Vec<Target> {
        (0..self.names.len())
            .map(Target::Service)
            .chain(self.system.as_ref().map(|_| Target::System))
            .collect()
    }

    /// The name of a target.
    pub fn name(&self, target: &Target) -> &str {
        match target {
            Target::Service(s) => &self.names[*s],
            Target::System => self.system.as_ref().map_or("system", |(name, _)| name),
        }
    }

    /// Whether `target` is UP with `down[c]` replicas of each class down.
    pub(crate) fn is_up(&self, target: &Target, down: &[u32]) -> bool {
        match target {
            Target::Service(s) => self.service_up(*s, down),
            Target::System => {
                let served: Vec<f64> = (0..self.names.len())
                    .map(|s| f64::from(u8::from(self.service_up(s, down))))
                    .collect();
                self.system
                    .as_ref()
                    .is_some_and(|(_, expr)| expr.served(&served) == 1.0)
            }
        }
    }

    fn service_up(&self, s: usize, down: &[u32]) -> bool {
        let capacity = self.steady_capacity[s]
            + self
                .classes
                .iter()
                .zip(down)
                .filter(|(class, _)| class.services[s])
                .map(|(class, &d)| f64::from(class.nodes - d) * class.capacity)
                .sum::<f64>();
        capacity > 0.0 && self.demand[s] / capacity <= 1.0 + self.slack[s]
    }

    /// Solves every target: steady state, outage frequency and, with `first_outage`,
    /// the mean time to first outage from the all-up state.
    pub fn solve(&self, first_outage: bool) -> Result<Vec<Solution>, ExactError> {
        let states = self.states();
        if states > MAX_STATES {
            return Err(ExactError::TooLarge {
                states,
                limit: MAX_STATES,
            });
        }
        // The classes are independent birth–death chains: π is the product of theirs.
        let factors: Vec<Vec<f64>> = self
            .classes
            .iter()
            .map(|class| gth::stationary(birth_death(class)).expect("repairs reach every state"))
            .collect();
        let targets = self.targets();
        let mut solutions: Vec<Solution> = targets
            .iter()
            .map(|target| Solution {
                name: self.name(target).to_string(),
                availability: 0.0,
                unavailability: 0.0,
                outages_per_year: 0.0,
                mean_time_to_first_outage_s: None,
            })
            .collect();
        let mut down = vec![0u32; self.classes.len()];
        loop {
            let pi: f64 = factors
                .iter()
                .zip(&down)
                .map(|(f, &d)| f[d as usize])
                .product();
            for (target, solution) in targets.iter().zip(&mut solutions) {
                if !self.is_up(target, &down) {
                    solution.unavailability += pi;
                    continue;
                }
                solution.availability += pi;
                let mut leaving = 0.0;
                self.for_each_transition(&down, |next, rate| {
                    if !self.is_up(target, next) {
                        leaving += rate;
                    }
                });
                solution.outages_per_year += pi * leaving * SECONDS_PER_YEAR;
            }
            if !self.next_state(&mut down) {
                break;
            }
        }
        if first_outage {
            for (target, solution) in targets.iter().zip(&mut solutions) {
                solution.mean_time_to_first_outage_s = self.mean_time_to_first_outage(target);
            }
        }
        Ok(solutions)
    }

    /// Advances `down` to the next state in mixed-radix order; false after the last.
    fn next_state(&self, down: &mut [u32]) -> bool {
        for (d, class) in down.iter_mut().zip(&self.classes) {
            if *d < class.nodes {
                *d += 1;
                return true;
            }
            *d = 0;
        }
        false
    }

    /// Calls `f(next, rate)` for every transition out of `down`.
    pub(crate) fn for_each_transition(&self, down: &[u32], mut f: impl FnMut(&[u32], f64)) {
        let mut next = down.to_vec();
        for (c, class) in self.classes.iter().enumerate() {
            let d = down[c];
            if d < class.nodes {
                next[c] = d + 1;
                f(&next, class.failure(d));
            }
            if d > 0 {
                next[c] = d - 1;
                f(&next, class.repair(d));
            }
            next[c] = d;
        }
    }

    /// Mean time from all up to the first state where `target` is not UP: 0 when it is
    /// not UP with everything up, None when the up states are too many or absorption
    /// never comes.
    fn mean_time_to_first_outage(&self, target: &Target) -> Option<f64> {
        let mut up_states: Vec<Vec<u32>> = Vec::new();
        let mut down = vec![0u32; self.classes.len()];
        loop {
            if self.is_up(target, &down) {
                up_states.push(down.clone());
                if up_states.len() > MAX_TRANSIENT_STATES {
                    return None;
                }
            }
            if !self.next_state(&mut down) {
                break;
            }
        }
        if up_states
            .first()
            .is_none_or(|first| first.iter().any(|&d| d > 0))
        {
            return Some(0.0); // down with everything up
        }
        let index = |state: &[u32]| up_states.binary_search_by(|s| radix_cmp(s, state)).ok();
        let n = up_states.len();
        let mut rates = vec![vec![0.0; n]; n];
        let mut exits = vec![0.0; n];
        for (i, state) in up_states.iter().enumerate() {
            self.for_each_transition(state, |next, rate| match index(next) {
                Some(j) => rates[i][j] += rate,
                None => exits[i] += rate,
            });
        }
        gth::mean_time_to_absorption(rates, exits)
    }
}

/// Orders states as [`Chain::next_state`] enumerates them (the last class most
/// significant).
fn radix_cmp(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// The generator's off-diagonal rates of one class, on the number down.
fn birth_death(class: &Class) -> Vec<Vec<f64>> {
    let n = class.nodes as usize;
    let mut rates = vec![vec![0.0; n + 1]; n + 1];
    for down in 0..=n {
        if down < n {
            rates[down][down + 1] = class.failure(down as u32);
        }
        if down > 0 {
            rates[down][down - 1] = class.repair(down as u32);
        }
    }
    rates
}

/// The mean in seconds of an exponential distribution; None for any other.
fn exp_mean(distribution: &Distribution) -> Option<f64> {
    match distribution {
        Distribution::Exp { mean } => Some(mean.secs()),
        _ => None,
    }
}

/// Refuses every fault that is not a per-node exponential failure and repair.
fn refuse_fault_kinds(scenario: &CompiledScenario, reasons: &mut Vec<Reason>) {
    let filled = |list: &str| scenario.fault_lists.contains(&list);
    let mut refuse = |present: bool, field: &str, why: &str| {
        if present {
            reasons.push(Reason {
                path: format!("faults.{field}"),
                message: why.to_string(),
            });
        }
    };
    refuse(
        filled("zone_outages") || filled("region_outages"),
        if !filled("zone_outages") {
            "region_outages"
        } else {
            "zone_outages"
        },
        "outages of a whole zone or region take nodes down together; the chain has only \
         per-node failures",
    );
    refuse(
        filled("random_partitions"),
        "random_partitions",
        "partitions make reachability, not only node state, decide what serves",
    );
    refuse(
        filled("bursts"),
        "bursts",
        "bursts fail several nodes at one instant",
    );
    refuse(
        filled("scheduled"),
        "scheduled",
        "a fault at a fixed instant is not a stationary Markov process",
    );
    refuse(
        filled("dependencies"),
        "dependencies",
        "cascades fail a node after a delay and with a probability, a state the chain does not track",
    );
    refuse(
        filled("fault_budgets"),
        "fault_budgets",
        "a fault budget holds failures back, which the per-class rates do not know",
    );
    refuse(
        filled("latent_faults"),
        "latent_faults",
        "latent faults are found by periodic inspection, which is not exponential",
    );
    refuse(
        filled("pauses"),
        "pauses",
        "a paused node keeps its role and beliefs, a state the chain does not track",
    );
    refuse(
        filled("maintenance"),
        "maintenance",
        "maintenance windows are planned at fixed times",
    );
    for (p, process) in scenario.faults.node_processes.iter().enumerate() {
        if process.kind != "node_failure" {
            continue;
        }
        let path = format!("faults.node_failures[{p}]");
        for (field, what, distribution) in [
            ("ttf", "time to failure", &process.ttf),
            ("ttr", "time to repair", &process.ttr),
        ] {
            if exp_mean(distribution).is_none() {
                reasons.push(Reason {
                    path: format!("{path}.{field}"),
                    message: format!(
                        "the {what} of `{}` is `{}`, not exponential: the chain needs \
                         memoryless failures and repairs",
                        process.id,
                        distribution.key()
                    ),
                });
            }
        }
        if process.restart.is_some() {
            reasons.push(Reason {
                path: format!("{path}.restart"),
                message: "restarts before a full repair have their own delays".to_string(),
            });
        }
        if process.working_hours.is_some() {
            reasons.push(Reason {
                path: format!("{path}.working_hours"),
                message: "repairs within working hours follow the clock, not a rate".to_string(),
            });
        }
    }
}

/// Refuses a service whose mechanisms take time or hold state the chain lacks.
fn refuse_service(s: usize, service: &crate::compile::ServiceSpec, reasons: &mut Vec<Reason>) {
    let path = format!("services[{s}]");
    let name = &service.name;
    let mut refuse = |field: &str, message: String| {
        reasons.push(Reason {
            path: if field.is_empty() {
                path.clone()
            } else {
                format!("{path}.{field}")
            },
            message,
        });
    };
    let params = match &service.strategy {
        StrategyParams::ActiveActive(params) => params,
        StrategyParams::ActivePassive(params) if is_single(service) => {
            // One replica and no standby: it serves exactly while it is up, whatever
            // the detection (nothing to fail over to), unless a lease demotes it.
            if params.lease.is_some() {
                refuse(
                    "active_passive.lease",
                    format!(
                        "service `{name}` holds a lease, which its primary may lose while up \
                         (the store's reachability and timers are not in the chain)"
                    ),
                );
            }
            if !service.vantages.is_empty() {
                refuse(
                    "vantage_points",
                    format!("service `{name}` has vantage points: the chain sees from the global client only"),
                );
            }
            return;
        }
        other => {
            let why = match other {
                StrategyParams::ActivePassive(_) => {
                    "with standbys, promotion and rerouting take time and the serving \
                     replica is a state"
                }
                StrategyParams::NWay(_) => "leader elections take message round trips",
                _ => "traffic-manager probes and DNS TTLs are not exponential",
            };
            refuse(
                "strategy",
                format!(
                    "service `{name}` is {}: {why}; exact mode covers ACTIVE_ACTIVE with \
                     instantaneous detection and one-replica ACTIVE_PASSIVE (docs/exact.md)",
                    other.name().as_str()
                ),
            );
            return;
        }
    };
    if !service.vantages.is_empty() {
        refuse(
            "vantage_points",
            format!(
                "service `{name}` has vantage points: the chain sees from the global client only"
            ),
        );
    }
    let d = &service.detection;
    if d.interval != 1
        || d.timeout != 0
        || d.unhealthy_threshold != 1
        || d.healthy_threshold != 1
        || d.grace != 0
    {
        refuse(
            "detection",
            format!(
                "service `{name}` detects a failure after up to {} (probes every {}, timeout {}, \
                 thresholds {}/{}): the chain has no detection delay; exact mode needs \
                 instantaneous detection: interval 1ns, timeout 0s, thresholds 1, no grace",
                humane_seconds(
                    (f64::from(d.unhealthy_threshold) * d.interval as f64 + d.timeout as f64 - 1.0)
                        / 1e9
                ),
                humane_seconds(d.interval as f64 / 1e9),
                humane_seconds(d.timeout as f64 / 1e9),
                d.unhealthy_threshold,
                d.healthy_threshold
            ),
        );
    }
    if !matches!(params.lb_update, Distribution::Const(delay) if delay.nanos() == 0) {
        refuse(
            "active_active.lb_update",
            format!(
                "service `{name}` ejects a failed replica after a `{}` delay, during which \
                 requests still reach it: the chain needs `{{\"const\": \"0s\"}}`",
                params.lb_update.key()
            ),
        );
    }
    if params.overload_cascade.is_some() {
        refuse(
            "active_active.overload_cascade",
            format!("service `{name}` has overload cascades, whose rates follow the load"),
        );
    }
    if !matches!(service.failover.approval, Approval::Automatic) {
        refuse(
            "failover.mode",
            format!("service `{name}` waits for a person before ejecting: only AUTOMATIC is instantaneous"),
        );
    }
}

/// Whether a service has one distinct replica.
fn is_single(service: &crate::compile::ServiceSpec) -> bool {
    service.replicas.iter().all(|&r| r == service.replicas[0])
}
