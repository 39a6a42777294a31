//! Checks for CI (`--check` and the scenario's `slo` block): `[SERVICE.]METRIC OP VALUE`,
//! e.g. `availability>=0.9995`, `api.failover_time_p99<=30s`, `success_rate>=0.95`.

use crate::report::summary::{ServiceSummary, Summary};
use crate::scenarios::duration::parse_duration;
use std::fmt;

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

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Eq => "==",
        }
    }

    fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Op::Ge => measured >= bound,
            Op::Le => measured <= bound,
            Op::Gt => measured > bound,
            Op::Lt => measured < bound,
            Op::Eq => measured == bound,
        }
    }
}

/// Metrics a check can name. Times are in seconds.
pub const METRICS: &[&str] = &[
    "availability",
    "lenient_availability",
    "nines",
    "downtime_s_per_year",
    "outages_per_year",
    "success_rate",
    "failovers_attempted",
    "failovers_succeeded",
    "failover_time_mean",
    "failover_time_p50",
    "failover_time_p90",
    "failover_time_p99",
    "failover_time_max",
    "detection_time_mean",
    "detection_time_p50",
    "detection_time_p90",
    "detection_time_p99",
    "detection_time_max",
    "data_loss_p50",
    "data_loss_p99",
    "data_loss_max",
    "split_brain_s",
    "unnecessary_failovers",
    "safety_violations",
];

/// A parsed check.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The text as written.
    pub text: String,
    /// Service it is scoped to; None means every service.
    pub service: Option<String>,
    /// Metric name.
    pub metric: String,
    /// Operator.
    pub op: Op,
    /// Bound (seconds for time metrics).
    pub bound: f64,
}

/// The verdict of one check on one service.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The check.
    pub check: String,
    /// The service.
    pub service: String,
    /// Whether it held.
    pub passed: bool,
    /// The measured value (None when there was nothing to measure, e.g. no failover).
    pub measured: Option<f64>,
    /// The 95% confidence interval of the measured value, where one exists.
    pub interval: Option<(f64, f64)>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.passed { "pass" } else { "FAIL" };
        write!(
            f,
            "{status}: {} [service {}]: measured ",
            self.check, self.service
        )?;
        match self.measured {
            Some(value) => write!(f, "{value:.6}")?,
            None => write!(f, "nothing (no data)")?,
        }
        if let Some((low, high)) = self.interval {
            write!(f, ", 95% CI [{low:.6}, {high:.6}]")?;
        }
        Ok(())
    }
}

impl Check {
    /// Parses `[SERVICE.]METRIC OP VALUE`.
    pub fn parse(text: &str) -> Result<Check, String> {
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
            return Err(format!(
                "check `{text}` has no operator: write METRIC OP VALUE, e.g. availability>=0.999"
            ));
        };
        let left = text[..position].trim();
        let right = text[position + symbol.len()..].trim();
        let (service, metric) = match left.rsplit_once('.') {
            Some((service, metric)) => (Some(service.to_string()), metric.to_string()),
            None => (None, left.to_string()),
        };
        if !METRICS.contains(&metric.as_str()) {
            return Err(format!(
                "check `{text}`: unknown metric `{metric}`; known metrics: {}",
                METRICS.join(", ")
            ));
        }
        let bound = match right.parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ => match right
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<f64>().ok())
            {
                Some(percent) => percent / 100.0,
                None => parse_duration(right).map(|d| d.secs()).map_err(|_| {
                    format!("check `{text}`: `{right}` is not a number, a percentage or a duration")
                })?,
            },
        };
        Ok(Check {
            text: text.to_string(),
            service,
            metric,
            op,
            bound,
        })
    }

    /// Evaluates the check on every service it applies to.
    pub fn evaluate(&self, summary: &Summary) -> Result<Vec<Verdict>, String> {
        let services: Vec<&ServiceSummary> = summary
            .services
            .iter()
            .filter(|s| self.service.as_ref().is_none_or(|name| &s.service == name))
            .collect();
        if services.is_empty() {
            return Err(format!(
                "check `{}` names service `{}`, which the scenario does not have",
                self.text,
                self.service.clone().unwrap_or_default()
            ));
        }
        Ok(services
            .into_iter()
            .map(|service| {
                let (measured, interval) = service.metric(&self.metric);
                Verdict {
                    check: format!("{} {} {}", self.metric, self.op.symbol(), self.bound),
                    service: service.service.clone(),
                    // No failover at all satisfies an upper bound on failover time, not a lower one.
                    passed: measured.map_or(matches!(self.op, Op::Le | Op::Lt), |m| {
                        self.op.holds(m, self.bound)
                    }),
                    measured,
                    interval,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scoped_checks_with_units() {
        let check = Check::parse("api.failover_time_p99<=30s").unwrap();
        assert_eq!(check.service.as_deref(), Some("api"));
        assert_eq!(check.metric, "failover_time_p99");
        assert_eq!(check.op, Op::Le);
        assert_eq!(check.bound, 30.0);
        let check = Check::parse("availability >= 99.95%").unwrap();
        assert!((check.bound - 0.9995).abs() < 1e-12);
        assert_eq!(Check::parse("success_rate>=0.95").unwrap().op, Op::Ge);
    }

    #[test]
    fn malformed_checks_are_errors() {
        assert!(Check::parse("availability").is_err());
        assert!(Check::parse("availabilty>=0.9").is_err());
        assert!(Check::parse("availability>=soon").is_err());
    }
}
