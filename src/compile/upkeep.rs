//! Upkeep of nodes: inspections of latent faults, restarts with back-off, working hours
//! of repairs and rolling maintenance, checked and compiled to engine types.

use crate::core::ids::NodeId;
use crate::core::time::{Nanos, SimTime};
use crate::net::topology::Topology;
use crate::scenarios::check::Checker;
use crate::scenarios::model::{Breaks, Faults, Inspection, RestartPolicy, WorkingHours};
use crate::strategies::spec::ServiceSpec;
use crate::strategies::StrategyParams;

const DAY: Nanos = 86_400_000_000_000;

/// When a latent fault process inspects its nodes.
#[derive(Clone, Debug)]
pub struct InspectionSpec {
    /// Time between the starts of two inspections (> 0).
    pub interval: Nanos,
    /// A failure present at an inspection's start is found at its end.
    pub duration: Nanos,
    /// Probability that an inspection misses a failure.
    pub miss_probability: f64,
    /// Start of the first inspection.
    pub phase: Nanos,
}

/// Restarts of a failure process's nodes before a full repair.
#[derive(Clone, Debug)]
pub struct RestartSpec {
    /// Delay of the 1st, 2nd, … restart (never empty).
    pub backoff: Vec<Nanos>,
    /// Growth of the delay past the listed ones (at least 1).
    pub factor: f64,
    /// Restarts before a crash needs the full repair.
    pub max_restarts: u32,
    /// Time up without a crash after which the count starts again.
    pub reset_after: Option<Nanos>,
}

impl RestartSpec {
    /// The delay of restart number `done + 1`.
    pub fn delay(&self, done: u32) -> Nanos {
        let last = self.backoff.len() - 1;
        let past = (done as usize).saturating_sub(last);
        let base = self.backoff[(done as usize).min(last)];
        if past == 0 || self.factor == 1.0 {
            base
        } else {
            let grown = base as f64 * self.factor.powi(past.min(i32::MAX as usize) as i32);
            // Saturates at the longest span rather than wrapping.
            if grown >= Nanos::MAX as f64 {
                Nanos::MAX
            } else {
                grown.round() as Nanos
            }
        }
    }
}

/// A weekly calendar of working hours.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Working days, indexed by days since time zero modulo 7.
    days: [bool; 7],
    /// Working hours of a working day, from midnight: [from, to).
    from: Nanos,
    to: Nanos,
}

impl Calendar {
    /// The first working instant at or after `t`: `t` itself within working hours.
    pub fn next_working(&self, t: SimTime) -> SimTime {
        let day = t.0 / DAY;
        let within = t.0 % DAY;
        if self.days[(day % 7) as usize] && (self.from..self.to).contains(&within) {
            return t;
        }
        let today_later = self.days[(day % 7) as usize] && within < self.from;
        let start = if today_later { day } else { day + 1 };
        (start..start + 7)
            .find(|d| self.days[(d % 7) as usize])
            .map_or(t, |d| SimTime(d * DAY + self.from))
    }
}

/// One rolling maintenance.
#[derive(Clone, Debug)]
pub struct MaintenanceSpec {
    /// Id for traces: the given one, else `maintenance[<index>]`.
    pub id: String,
    /// The nodes maintained, one at a time, in this order.
    pub nodes: Vec<NodeId>,
    /// Time between the starts of two rounds.
    pub period: Nanos,
    /// How long each node is down.
    pub duration: Nanos,
    /// Start of the first round.
    pub phase: Nanos,
    /// Skip a node whose maintenance would break this for a service it serves.
    pub skip_if_breaks: Option<Breaks>,
}

/// What each service needs up, for maintenance that must not break it.
#[derive(Clone, Debug)]
pub struct ServiceNeed {
    /// Its replicas.
    pub replicas: Vec<NodeId>,
    /// Replicas that must stay up for its quorum (N_WAY), else 1.
    pub quorum: u32,
    /// Capacity units it needs.
    pub demand: f64,
}

/// Checks and compiles an inspection at `path`.
pub(super) fn inspection(spec: &Inspection, path: &str, check: &mut Checker) -> InspectionSpec {
    let interval = spec.interval.nanos();
    check.require(
        interval > 0,
        format!("{path}.interval"),
        "an inspection interval of zero inspects without end: use a positive interval",
    );
    check.require(
        spec.duration.nanos() < interval.max(1),
        format!("{path}.duration"),
        "an inspection lasts less than its interval",
    );
    check.require(
        (0.0..1.0).contains(&spec.miss_probability),
        format!("{path}.miss_probability"),
        "a miss probability is at least 0 and below 1 (at 1 no inspection finds anything)",
    );
    InspectionSpec {
        interval,
        duration: spec.duration.nanos(),
        miss_probability: spec.miss_probability,
        phase: spec.phase.map_or(interval, |p| p.nanos()),
    }
}

/// Checks and compiles a restart policy at `path`.
pub(super) fn restart(spec: &RestartPolicy, path: &str, check: &mut Checker) -> RestartSpec {
    check.require(
        !spec.backoff.is_empty(),
        format!("{path}.backoff"),
        "a restart needs a back-off delay: list at least one",
    );
    for (i, delay) in spec.backoff.iter().enumerate() {
        check.require(
            delay.nanos() > 0,
            format!("{path}.backoff[{i}]"),
            "a restart takes time: use a positive delay",
        );
    }
    check.require(
        spec.factor.is_finite() && spec.factor >= 1.0,
        format!("{path}.factor"),
        "a back-off factor is at least 1: delays do not shrink",
    );
    if let Some(reset) = spec.reset_after {
        check.require(
            reset.nanos() > 0,
            format!("{path}.reset_after"),
            "a reset window of zero forgets every restart: use a positive duration",
        );
    }
    RestartSpec {
        backoff: if spec.backoff.is_empty() {
            vec![1]
        } else {
            spec.backoff.iter().map(|d| d.nanos()).collect()
        },
        factor: spec.factor,
        max_restarts: spec.max_restarts,
        reset_after: spec.reset_after.map(|d| d.nanos()),
    }
}

/// Checks and compiles working hours at `path`.
pub(super) fn calendar(spec: &WorkingHours, path: &str, check: &mut Checker) -> Calendar {
    check.require(
        !spec.days.is_empty(),
        format!("{path}.days"),
        "no working day: repairs would never start",
    );
    check.require(
        spec.from.nanos() < spec.to.nanos() && spec.to.nanos() <= DAY,
        format!("{path}.to"),
        "working hours end after they start and at most at 24h",
    );
    let mut days = [false; 7];
    for day in &spec.days {
        // Days since time zero modulo 7 of this weekday.
        let offset = (*day as usize + 7 - spec.start_day as usize) % 7;
        days[offset] = true;
    }
    Calendar {
        days,
        from: spec.from.nanos(),
        to: spec.to.nanos(),
    }
}

/// Checks and compiles `faults.maintenance`, and what each service needs up when any
/// maintenance must not break it (empty otherwise).
pub(super) fn maintenance(
    faults: &Faults,
    topology: &Topology,
    services: &[ServiceSpec],
    check: &mut Checker,
) -> (Vec<MaintenanceSpec>, Vec<ServiceNeed>) {
    let mut specs = Vec::new();
    for (i, m) in faults.maintenance.iter().enumerate() {
        let path = format!("faults.maintenance[{i}]");
        check.require(
            m.period.nanos() > 0,
            format!("{path}.period"),
            "a maintenance period of zero starts rounds without end: use a positive period",
        );
        check.require(
            m.duration.nanos() > 0,
            format!("{path}.duration"),
            "a maintenance of zero length takes no node down: use a positive duration",
        );
        let nodes = super::repair::resolve(
            &m.scope,
            topology,
            services,
            &format!("{path}.scope"),
            check,
        );
        let round = m.duration.nanos().saturating_mul(nodes.len() as u64);
        if m.period.nanos() > 0 && round > m.period.nanos() {
            check.warn(
                format!("{path}.period"),
                format!(
                    "a round of {} nodes lasts longer than the period: rounds overlap, and more than one node is down at a time",
                    nodes.len()
                ),
            );
        }
        specs.push(MaintenanceSpec {
            id: m.id.clone().unwrap_or_else(|| format!("maintenance[{i}]")),
            nodes,
            period: m.period.nanos().max(1),
            duration: m.duration.nanos().max(1),
            phase: m.phase.nanos(),
            skip_if_breaks: m.skip_if_breaks,
        });
    }
    let needs = if specs.iter().any(|m| m.skip_if_breaks.is_some()) {
        services
            .iter()
            .map(|s| ServiceNeed {
                replicas: s.replicas.clone(),
                quorum: match &s.strategy {
                    StrategyParams::NWay(params) => params.quorum as u32,
                    _ => 1,
                },
                demand: s.demand,
            })
            .collect()
    } else {
        Vec::new()
    };
    (specs, needs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Nanos = 3_600_000_000_000;

    fn weekdays_nine_to_five() -> Calendar {
        let mut days = [false; 7];
        days[..5].fill(true);
        Calendar {
            days,
            from: 9 * HOUR,
            to: 17 * HOUR,
        }
    }

    #[test]
    fn past_the_listed_delays_the_last_repeats_or_grows_by_the_factor() {
        let spec = |factor| RestartSpec {
            backoff: vec![1, 5],
            factor,
            max_restarts: 10,
            reset_after: None,
        };
        let delays = |factor| {
            (0..5)
                .map(|done| spec(factor).delay(done))
                .collect::<Vec<_>>()
        };
        assert_eq!(delays(1.0), [1, 5, 5, 5, 5]);
        assert_eq!(delays(2.0), [1, 5, 10, 20, 40]);
        assert_eq!(spec(2.0).delay(u32::MAX), Nanos::MAX);
    }

    #[test]
    fn working_instants_are_kept_and_others_move_to_the_next_working_morning() {
        let calendar = weekdays_nine_to_five();
        let at = |day: u64, hour: u64| SimTime(day * DAY + hour * HOUR);
        assert_eq!(calendar.next_working(at(0, 10)), at(0, 10));
        assert_eq!(calendar.next_working(at(0, 3)), at(0, 9));
        assert_eq!(calendar.next_working(at(0, 17)), at(1, 9));
        // Friday evening, Saturday and Sunday wait for Monday.
        assert_eq!(calendar.next_working(at(4, 19)), at(7, 9));
        assert_eq!(calendar.next_working(at(5, 12)), at(7, 9));
        assert_eq!(calendar.next_working(at(6, 23)), at(7, 9));
    }
}
