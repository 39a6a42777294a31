//! The one list of metric names a check can use (`--check`, `slo`, `recommend --slo`),
//! with their spelling, their direction, and the parser of check expressions.

use super::duration::parse_duration;
use super::fault_kind::is_fault_kind;
use super::nearest::nearest;
use std::fmt;

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// More is better (availability, success rate).
    HigherIsBetter,
    /// Less is better (downtime, failover time, data loss).
    LowerIsBetter,
}

macro_rules! metrics {
    ($($variant:ident = $name:literal, $direction:ident, $grows:literal;)*) => {
        /// A metric a check can name. Times are in seconds.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Metric {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Metric {
            /// Every metric, in the order they are listed to users.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];

            /// The name used in checks and outputs.
            pub fn name(self) -> &'static str {
                match self {
                    $(Metric::$variant => $name,)*
                }
            }

            /// Which way the metric improves.
            pub fn direction(self) -> Direction {
                match self {
                    $(Metric::$variant => Direction::$direction,)*
                }
            }

            /// Whether the metric can only grow as replications are added (totals and
            /// maxima), so that a bound it already exceeds can never be met again.
            pub fn grows_with_replications(self) -> bool {
                match self {
                    $(Metric::$variant => $grows,)*
                }
            }
        }
    };
}

metrics! {
    Availability = "availability", HigherIsBetter, false;
    LenientAvailability = "lenient_availability", HigherIsBetter, false;
    ServedAvailability = "served_availability", HigherIsBetter, false;
    Nines = "nines", HigherIsBetter, false;
    DowntimePerYear = "downtime_s_per_year", LowerIsBetter, false;
    OutagesPerYear = "outages_per_year", LowerIsBetter, false;
    OutageMean = "outage_mean", LowerIsBetter, false;
    OutageP50 = "outage_p50", LowerIsBetter, false;
    OutageP90 = "outage_p90", LowerIsBetter, false;
    OutageP99 = "outage_p99", LowerIsBetter, false;
    OutageMax = "outage_max", LowerIsBetter, true;
    SuccessRate = "success_rate", HigherIsBetter, false;
    Failovers = "failovers", LowerIsBetter, true;
    FailoversSucceeded = "failovers_succeeded", HigherIsBetter, true;
    FailoversFailed = "failovers_failed", LowerIsBetter, true;
    Attempts = "attempts", LowerIsBetter, true;
    FailoverTimeMean = "failover_time_mean", LowerIsBetter, false;
    FailoverTimeP50 = "failover_time_p50", LowerIsBetter, false;
    FailoverTimeP90 = "failover_time_p90", LowerIsBetter, false;
    FailoverTimeP99 = "failover_time_p99", LowerIsBetter, false;
    FailoverTimeMax = "failover_time_max", LowerIsBetter, true;
    DetectionTimeMean = "detection_time_mean", LowerIsBetter, false;
    DetectionTimeP50 = "detection_time_p50", LowerIsBetter, false;
    DetectionTimeP90 = "detection_time_p90", LowerIsBetter, false;
    DetectionTimeP99 = "detection_time_p99", LowerIsBetter, false;
    DetectionTimeMax = "detection_time_max", LowerIsBetter, true;
    DataLossP50 = "data_loss_p50", LowerIsBetter, false;
    DataLossP99 = "data_loss_p99", LowerIsBetter, false;
    DataLossMax = "data_loss_max", LowerIsBetter, true;
    SplitBrain = "split_brain_s", LowerIsBetter, false;
    UnnecessaryFailovers = "unnecessary_failovers", LowerIsBetter, true;
    SafetyViolations = "safety_violations", LowerIsBetter, true;
}

impl Metric {
    /// A value of this metric as people read it: fractions to six decimals, times in
    /// one humane unit (`20.66s`, `14.5m`, `5.561d`), rates per year, whole counts.
    ///
    /// ```
    /// use failsim::Metric;
    ///
    /// assert_eq!(Metric::OutageP99.show(480_500.598652), "5.561d");
    /// assert_eq!(Metric::Availability.show(0.9999814), "0.999981");
    /// assert_eq!(Metric::DowntimePerYear.show(582.0), "9.7m/yr");
    /// ```
    pub fn show(self, value: f64) -> String {
        use Metric::*;
        match self {
            Availability | LenientAvailability | ServedAvailability | SuccessRate => {
                trimmed(value, 6)
            }
            Nines => format!("{value:.2}"),
            DowntimePerYear => format!("{}/yr", humane_seconds(value)),
            OutagesPerYear => format!("{}/yr", significant(value)),
            OutageMean | OutageP50 | OutageP90 | OutageP99 | OutageMax | FailoverTimeMean
            | FailoverTimeP50 | FailoverTimeP90 | FailoverTimeP99 | FailoverTimeMax
            | DetectionTimeMean | DetectionTimeP50 | DetectionTimeP90 | DetectionTimeP99
            | DetectionTimeMax | DataLossP50 | DataLossP99 | DataLossMax | SplitBrain => {
                humane_seconds(value)
            }
            Failovers | FailoversSucceeded | FailoversFailed | Attempts | UnnecessaryFailovers
            | SafetyViolations => trimmed(value, 4),
        }
    }

    /// The metric named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// Every metric name, comma-separated, for messages.
    pub fn names() -> String {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.join(", ")
    }

    /// Whether the metric can be scoped to one fault kind (`SERVICE.KIND.METRIC`): the
    /// summary's `by_fault_kind` holds outages, failovers, failover time, outage
    /// duration and downtime per kind, and nothing else.
    pub fn per_fault_kind(self) -> bool {
        matches!(
            self,
            Metric::DowntimePerYear
                | Metric::OutagesPerYear
                | Metric::OutageMean
                | Metric::OutageP50
                | Metric::OutageP90
                | Metric::OutageP99
                | Metric::OutageMax
                | Metric::Failovers
                | Metric::FailoverTimeMean
                | Metric::FailoverTimeP50
                | Metric::FailoverTimeP90
                | Metric::FailoverTimeP99
                | Metric::FailoverTimeMax
        )
    }

    /// The metrics a fault-kind scope supports, comma-separated, for messages.
    pub fn per_fault_kind_names() -> String {
        let names: Vec<&str> = Metric::ALL
            .iter()
            .filter(|m| m.per_fault_kind())
            .map(|m| m.name())
            .collect();
        names.join(", ")
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `==`
    Eq,
}

/// `seconds` in one unit with four significant figures, trailing zeros dropped: `850ms`,
/// `20.66s`, `14.5m`, `3.9h`, `5.561d` (seconds below 2 minutes, minutes below an hour,
/// hours below 2 days).
pub fn humane_seconds(seconds: f64) -> String {
    let size = seconds.abs();
    let (scale, unit) = if size == 0.0 {
        return "0s".to_string();
    } else if size < 1e-3 {
        (1e-6, "µs")
    } else if size < 1.0 {
        (1e-3, "ms")
    } else if size < 120.0 {
        (1.0, "s")
    } else if size < 3600.0 {
        (60.0, "m")
    } else if size < 48.0 * 3600.0 {
        (3600.0, "h")
    } else {
        (86_400.0, "d")
    };
    format!("{}{unit}", significant(seconds / scale))
}

/// `value` to four significant figures (at most six decimals), trailing zeros dropped.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return trimmed(value, 0);
    }
    let magnitude = value.abs().log10().floor() as i64;
    trimmed(value, (3 - magnitude).clamp(0, 6) as usize)
}

/// `value` with at most `decimals` decimals, trailing zeros and point dropped.
fn trimmed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

impl Op {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Eq => "==",
        }
    }

    /// Whether `measured OP bound` holds.
    pub fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Op::Ge => measured >= bound,
            Op::Le => measured <= bound,
            Op::Gt => measured > bound,
            Op::Lt => measured < bound,
            Op::Eq => measured == bound,
        }
    }
}

/// A parsed check: `[SERVICE.[KIND.]]METRIC OP VALUE`, e.g. `api.failover_time_p99<=30s`
/// or `api.region_outage.failover_time_p99<=2m`.
///
/// The scope is read from the right: the last dot-separated part is the metric; before
/// it, a part that is a fault kind failsim knows
/// ([`FAULT_KINDS`](super::fault_kind::FAULT_KINDS)) with a service before
/// it is a kind scope; everything else before the metric is the service name. Service
/// names may contain dots (`eu.api.availability` is service `eu.api`), except that a
/// name ending in `.KIND` reads as a kind scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The text as written.
    pub text: String,
    /// Service it is scoped to; None means every service.
    pub service: Option<String>,
    /// Fault kind it is scoped to (only with a service): the metric is read from that
    /// kind's outages and failovers alone.
    pub fault_kind: Option<String>,
    /// The metric.
    pub metric: Metric,
    /// Operator.
    pub op: Op,
    /// Bound (seconds for time metrics).
    pub bound: f64,
}

/// Why a text is not a check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// No comparison operator.
    #[error("check `{0}` has no operator: write METRIC OP VALUE, e.g. availability>=0.999")]
    NoOperator(String),
    /// A metric name that is not in [`Metric::ALL`].
    #[error(
        "check `{text}`: unknown metric `{metric}`; known metrics: {}",
        Metric::names()
    )]
    UnknownMetric {
        /// The check as written.
        text: String,
        /// The unknown name.
        metric: String,
    },
    /// A fault-kind scope on a metric that is not broken down by fault kind.
    #[error(
        "check `{text}`: `{metric}` is not broken down by fault kind, so it cannot be \
         scoped to `{kind}`; a SERVICE.KIND scope supports {}",
        Metric::per_fault_kind_names()
    )]
    NotPerFaultKind {
        /// The check as written.
        text: String,
        /// The metric.
        metric: Metric,
        /// The fault kind.
        kind: String,
    },
    /// A fault-kind scope naming a kind of which the scenario has no fault.
    #[error("check `{text}` names fault kind `{kind}`, but the scenario has no fault of that kind; its fault kinds: {known}")]
    UnknownFaultKind {
        /// The check as written.
        text: String,
        /// The fault kind.
        kind: String,
        /// The kinds the scenario has, comma-separated.
        known: String,
    },
    /// A scope naming a service the scenario does not have.
    #[error("check `{text}` names service `{service}`, which the scenario does not have{hint}")]
    UnknownService {
        /// The check as written.
        text: String,
        /// The unknown service.
        service: String,
        /// A suggestion, or the services there are, with its leading `; `.
        hint: String,
    },
    /// A bound that is neither a number, a percentage nor a duration.
    #[error("check `{text}`: `{value}` is not a number, a percentage or a duration")]
    BadValue {
        /// The check as written.
        text: String,
        /// The bound as written.
        value: String,
    },
}

impl Check {
    /// Parses `[SERVICE.[KIND.]]METRIC OP VALUE`; the value is a number, a percentage
    /// or a duration.
    pub fn parse(text: &str) -> Result<Check, CheckError> {
        let ops = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        let Some((position, symbol, op)) = ops
            .iter()
            .filter_map(|(symbol, op)| text.find(symbol).map(|p| (p, *symbol, *op)))
            .min_by_key(|(p, symbol, _)| (*p, usize::MAX - symbol.len()))
        else {
            return Err(CheckError::NoOperator(text.to_string()));
        };
        let left = text[..position].trim();
        let right = text[position + symbol.len()..].trim();
        let (scope, metric) = match left.rsplit_once('.') {
            Some((scope, metric)) => (Some(scope), metric),
            None => (None, left),
        };
        let (service, fault_kind) = match scope.map(|scope| (scope, scope.rsplit_once('.'))) {
            Some((_, Some((service, kind)))) if is_fault_kind(kind) => {
                (Some(service.to_string()), Some(kind.to_string()))
            }
            Some((scope, _)) => (Some(scope.to_string()), None),
            None => (None, None),
        };
        let Some(metric) = Metric::parse(metric) else {
            return Err(CheckError::UnknownMetric {
                text: text.to_string(),
                metric: metric.to_string(),
            });
        };
        if let Some(kind) = &fault_kind {
            if !metric.per_fault_kind() {
                return Err(CheckError::NotPerFaultKind {
                    text: text.to_string(),
                    metric,
                    kind: kind.clone(),
                });
            }
        }
        let bound =
            match right.parse::<f64>() {
                Ok(value) if value.is_finite() => value,
                _ => match right
                    .strip_suffix('%')
                    .and_then(|p| p.trim().parse::<f64>().ok())
                {
                    Some(percent) => percent / 100.0,
                    None => parse_duration(right).map(|d| d.secs()).map_err(|_| {
                        CheckError::BadValue {
                            text: text.to_string(),
                            value: right.to_string(),
                        }
                    })?,
                },
            };
        Ok(Check {
            text: text.to_string(),
            service,
            fault_kind,
            metric,
            op,
            bound,
        })
    }
}

/// The scope of checks on the scenario's system: `system.availability>=0.999`.
pub const SYSTEM_SCOPE: &str = "system";

impl Check {
    /// The metric with its fault-kind scope, as verdicts name it: `failover_time_p99` or
    /// `region_outage.failover_time_p99`.
    pub fn scoped_metric(&self) -> String {
        match &self.fault_kind {
            Some(kind) => format!("{kind}.{}", self.metric),
            None => self.metric.to_string(),
        }
    }

    /// Why this check cannot apply to a scenario whose services are `services` and whose
    /// faults are of `kinds`: the first of [`unknown_service`](Self::unknown_service) and
    /// [`unknown_fault_kind`](Self::unknown_fault_kind). None when it applies.
    pub fn out_of_scope<'a>(
        &self,
        services: impl IntoIterator<Item = &'a str> + Clone,
        kinds: &[&str],
    ) -> Option<CheckError> {
        self.unknown_service(services)
            .or_else(|| self.unknown_fault_kind(kinds))
    }

    /// Why this check cannot apply to a scenario whose faults are of `kinds` (see
    /// `FaultPlan::kinds`): its kind scope names another kind. None when it applies.
    pub fn unknown_fault_kind(&self, kinds: &[&str]) -> Option<CheckError> {
        let kind = self.fault_kind.as_deref()?;
        if kinds.contains(&kind) {
            return None;
        }
        Some(CheckError::UnknownFaultKind {
            text: self.text.clone(),
            kind: kind.to_string(),
            known: kinds.join(", "),
        })
    }

    /// Why this check cannot apply to a scenario whose services are `services`: it is
    /// scoped to a service that is not among them (the message suggests the nearest
    /// name). None when it applies.
    pub fn unknown_service<'a>(
        &self,
        services: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<CheckError> {
        let name = self.service.as_deref()?;
        if services.clone().into_iter().any(|known| known == name) {
            return None;
        }
        let hint = match nearest(name, services.clone()) {
            Some(known) => format!("; did you mean `{known}`?"),
            None => {
                let known: Vec<&str> = services.into_iter().collect();
                format!("; its services: {}", known.join(", "))
            }
        };
        Some(CheckError::UnknownService {
            text: self.text.clone(),
            service: name.to_string(),
            hint,
        })
    }
}

impl fmt::Display for Check {
    /// The check in its canonical spelling, bound in SI units (seconds, fractions):
    /// `api.region_outage.failover_time_p99 <= 120`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(service) = &self.service {
            write!(f, "{service}.")?;
        }
        write!(
            f,
            "{} {} {}",
            self.scoped_metric(),
            self.op.symbol(),
            self.bound
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_humane_units_by_metric() {
        assert_eq!(humane_seconds(480_500.598652), "5.561d");
        assert_eq!(humane_seconds(20.661142), "20.66s");
        assert_eq!(humane_seconds(5.0), "5s");
        assert_eq!(humane_seconds(5.01), "5.01s");
        assert_eq!(humane_seconds(60.5), "60.5s");
        assert_eq!(humane_seconds(0.474), "474ms");
        assert_eq!(humane_seconds(870.0), "14.5m");
        assert_eq!(humane_seconds(3.9 * 3600.0), "3.9h");
        assert_eq!(humane_seconds(3600.0), "1h");
        assert_eq!(humane_seconds(0.0), "0s");
        assert_eq!(humane_seconds(2e-6), "2µs");
        assert_eq!(Metric::Availability.show(0.9999814), "0.999981");
        assert_eq!(Metric::SuccessRate.show(0.95), "0.95");
        assert_eq!(Metric::Nines.show(4.7312), "4.73");
        assert_eq!(Metric::DowntimePerYear.show(582.0), "9.7m/yr");
        assert_eq!(Metric::OutagesPerYear.show(12.0725), "12.07/yr");
        assert_eq!(Metric::OutagesPerYear.show(17_532.000_04), "17532/yr");
        assert_eq!(Metric::OutagesPerYear.show(0.0041), "0.0041/yr");
        assert_eq!(Metric::Failovers.show(8.0), "8");
        assert_eq!(Metric::OutageP99.show(480_500.598652), "5.561d");
    }

    #[test]
    fn a_check_on_an_unknown_service_names_the_nearest_one() {
        let services = ["db", "api", "cache"];
        let check = |text: &str| {
            Check::parse(text)
                .unwrap()
                .unknown_service(services)
                .map(|error| error.to_string())
        };
        assert_eq!(check("availability>=0.9"), None);
        assert_eq!(check("api.availability>=0.9"), None);
        assert_eq!(
            check("dbb.availability>=0.9").as_deref(),
            Some(
                "check `dbb.availability>=0.9` names service `dbb`, which the scenario does \
                 not have; did you mean `db`?"
            )
        );
        assert!(check("API.availability>=0.9")
            .unwrap()
            .ends_with("did you mean `api`?"));
        assert!(check("queue.availability>=0.9")
            .unwrap()
            .ends_with("; its services: db, api, cache"));
    }

    #[test]
    fn every_metric_name_parses_back_to_itself() {
        for &metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.name()), Some(metric));
        }
        assert_eq!(Metric::parse("availabilty"), None);
    }

    #[test]
    fn parses_scoped_checks_with_units() {
        let check = Check::parse("api.failover_time_p99<=30s").unwrap();
        assert_eq!(check.service.as_deref(), Some("api"));
        assert_eq!(check.metric, Metric::FailoverTimeP99);
        assert_eq!(check.op, Op::Le);
        assert_eq!(check.bound, 30.0);
        let check = Check::parse("availability >= 99.95%").unwrap();
        assert!((check.bound - 0.9995).abs() < 1e-12);
        assert_eq!(Check::parse("success_rate>=0.95").unwrap().op, Op::Ge);
    }

    #[test]
    fn a_fault_kind_before_the_metric_scopes_it_and_other_dots_belong_to_the_service() {
        let check = Check::parse("api.region_outage.failover_time_p99<=2m").unwrap();
        assert_eq!(check.service.as_deref(), Some("api"));
        assert_eq!(check.fault_kind.as_deref(), Some("region_outage"));
        assert_eq!(check.metric, Metric::FailoverTimeP99);
        assert_eq!(check.bound, 120.0);
        assert_eq!(
            check.to_string(),
            "api.region_outage.failover_time_p99 <= 120"
        );
        assert_eq!(check.scoped_metric(), "region_outage.failover_time_p99");
        let check = Check::parse("eu.api.node_failure.outage_p99<=1h").unwrap();
        assert_eq!(check.service.as_deref(), Some("eu.api"));
        assert_eq!(check.fault_kind.as_deref(), Some("node_failure"));
        // Not a fault kind: part of the service name.
        let check = Check::parse("eu.api.availability>=0.99").unwrap();
        assert_eq!(check.service.as_deref(), Some("eu.api"));
        assert_eq!(check.fault_kind, None);
        assert_eq!(check.to_string(), "eu.api.availability >= 0.99");
        // One part before the metric is always the service, even when it spells a kind.
        let check = Check::parse("crash.outages_per_year<=3").unwrap();
        assert_eq!(check.service.as_deref(), Some("crash"));
        assert_eq!(check.fault_kind, None);
    }

    #[test]
    fn a_fault_kind_scope_on_a_metric_not_broken_down_by_kind_is_refused_with_what_it_supports() {
        let error = Check::parse("api.region_outage.availability>=0.99").unwrap_err();
        assert_eq!(
            error.to_string(),
            "check `api.region_outage.availability>=0.99`: `availability` is not broken down \
             by fault kind, so it cannot be scoped to `region_outage`; a SERVICE.KIND scope \
             supports downtime_s_per_year, outages_per_year, outage_mean, outage_p50, \
             outage_p90, outage_p99, outage_max, failovers, failover_time_mean, \
             failover_time_p50, failover_time_p90, failover_time_p99, failover_time_max"
        );
        assert!(Check::parse("api.crash.success_rate>=0.9").is_err());
    }

    #[test]
    fn a_fault_kind_the_scenario_lacks_is_refused_naming_the_kinds_it_has() {
        let check = Check::parse("api.zone_outage.outage_p99<=1h").unwrap();
        let kinds = ["node_failure", "overload", "region_outage"];
        assert_eq!(
            check.out_of_scope(["api"], &kinds).unwrap().to_string(),
            "check `api.zone_outage.outage_p99<=1h` names fault kind `zone_outage`, but the \
             scenario has no fault of that kind; its fault kinds: node_failure, overload, \
             region_outage"
        );
        assert_eq!(check.out_of_scope(["api"], &["zone_outage"]), None);
        // The service is verified first.
        assert!(matches!(
            check.out_of_scope(["db"], &kinds),
            Some(CheckError::UnknownService { .. })
        ));
        let unscoped = Check::parse("api.outage_p99<=1h").unwrap();
        assert_eq!(unscoped.out_of_scope(["api"], &[]), None);
    }

    #[test]
    fn malformed_checks_are_errors() {
        assert!(Check::parse("availability").is_err());
        assert!(Check::parse("availabilty>=0.9").is_err());
        assert!(Check::parse("availability>=soon").is_err());
    }
}
