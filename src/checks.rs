//! Evaluating checks for CI (`--check` and the scenario's `slo` block):
//! `[SERVICE.[KIND.]]METRIC OP VALUE`, e.g. `availability>=0.9995`,
//! `api.failover_time_p99<=30s`, `api.region_outage.failover_time_p99<=2m`.

pub use crate::core::metric::{Check, CheckError, Metric, Op, SYSTEM_SCOPE};
use crate::report::summary::{ServiceSummary, Summary};
use std::fmt;

/// The verdict of one check on one service.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The check, its bound in the metric's humane unit (`outage_p99 <= 1m`).
    pub check: String,
    /// The metric, which says how its values read.
    pub metric: Metric,
    /// The service.
    pub service: String,
    /// Whether it held.
    pub passed: bool,
    /// The measured value (None when there was nothing to measure, e.g. no failover:
    /// the check then fails, whatever its operator).
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
            Some(value) => write!(f, "{}", self.metric.show(value))?,
            None => write!(f, "nothing (no data)")?,
        }
        if let Some((low, high)) = self.interval {
            let show = |value| self.metric.show(value);
            write!(f, ", 95% CI [{}, {}]", show(low), show(high))?;
        }
        Ok(())
    }
}

impl Check {
    /// The check's metric measured on `service` (within its fault-kind scope, if any),
    /// with its 95% interval where one exists.
    pub fn measure(&self, service: &ServiceSummary) -> (Option<f64>, Option<(f64, f64)>) {
        match &self.fault_kind {
            Some(kind) => (service.fault_kind_metric(kind, self.metric), None),
            None => service.metric(self.metric),
        }
    }

    /// Evaluates the check on every service it applies to. A metric with no data (no
    /// failover to time, no outage of the scoped fault kind) fails the check, whatever
    /// its operator: a bound on something that never happened is not evidence that it
    /// holds.
    pub fn evaluate(&self, summary: &Summary) -> Result<Vec<Verdict>, CheckError> {
        let services: Vec<&ServiceSummary> = match (&self.service, &summary.system) {
            // `system.METRIC` reads the system; an unscoped check reads every service.
            (Some(scope), Some(system)) if scope == SYSTEM_SCOPE => vec![system],
            _ => summary
                .services
                .iter()
                .filter(|s| self.service.as_ref().is_none_or(|name| &s.service == name))
                .collect(),
        };
        if services.is_empty() {
            let names = summary.services.iter().map(|s| s.service.as_str());
            return Err(self.unknown_service(names).unwrap_or_else(|| {
                CheckError::UnknownService {
                    text: self.text.clone(),
                    service: self.service.clone().unwrap_or_default(),
                    hint: String::new(),
                }
            }));
        }
        Ok(services
            .into_iter()
            .map(|service| {
                let (measured, interval) = self.measure(service);
                Verdict {
                    check: format!(
                        "{} {} {}",
                        self.scoped_metric(),
                        self.op.symbol(),
                        self.metric.show(self.bound)
                    ),
                    metric: self.metric,
                    service: service.service.clone(),
                    passed: measured.is_some_and(|m| self.op.holds(m, self.bound)),
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
    use crate::report::summary::{KindSummary, TimeSummary};

    /// A summary of one service `api` with nothing measured.
    fn empty() -> Summary {
        let mut service = ServiceSummary::new(&Default::default(), 3600.0, &[]);
        service.service = "api".to_string();
        Summary {
            version: String::new(),
            scenario: "s".to_string(),
            scenario_hash: String::new(),
            seed: 1,
            replications: 1,
            replications_requested: 1,
            horizon_s: 3600.0,
            complete: true,
            services: vec![service],
            system: None,
        }
    }

    fn verdict(summary: &Summary, text: &str) -> Verdict {
        let mut verdicts = Check::parse(text).unwrap().evaluate(summary).unwrap();
        assert_eq!(verdicts.len(), 1);
        verdicts.remove(0)
    }

    #[test]
    fn a_metric_with_no_data_fails_every_bound_and_says_so() {
        let summary = empty();
        for text in [
            "failover_time_p99<=30s",
            "failover_time_p99>=30s",
            "outage_max<1h",
            "success_rate>=0.9",
            "data_loss_p99<=1s",
            "api.node_failure.outage_p99<=1h",
        ] {
            let verdict = verdict(&summary, text);
            assert!(!verdict.passed, "{text}");
            assert_eq!(verdict.measured, None, "{text}");
            assert!(
                verdict.to_string().contains("measured nothing (no data)"),
                "{verdict}"
            );
        }
        // A figure that is measured even when nothing happened still decides.
        assert!(verdict(&summary, "split_brain_s<=0").passed);
        assert!(!verdict(&summary, "split_brain_s<0").passed);
    }

    #[test]
    fn a_kind_scope_reads_that_kinds_figures_alone() {
        let mut summary = empty();
        let times = |value: f64| TimeSummary {
            mean: Some(value),
            p50: Some(value),
            p90: Some(value),
            p99: Some(value),
            max: Some(value),
        };
        let service = &mut summary.services[0];
        service.outages.per_year = 30.0;
        service.outages.ended_by.failover = 2;
        service.outages.ended_by.recovery = 1;
        service.failover_time_s = times(400.0);
        service.by_fault_kind.insert(
            "region_outage".to_string(),
            KindSummary {
                outages: 2,
                failovers: 4,
                failover_time_s: times(90.0),
                outage_duration_s: times(95.0),
                downtime_s_per_year: 1900.0,
            },
        );
        let measured = |text: &str| verdict(&summary, text).measured;
        assert_eq!(measured("api.failover_time_p99<=2m"), Some(400.0));
        let check = "api.region_outage.failover_time_p99<=2m";
        let scoped = verdict(&summary, check);
        assert!(scoped.passed);
        assert_eq!(scoped.measured, Some(90.0));
        assert_eq!(
            scoped.to_string(),
            "pass: region_outage.failover_time_p99 <= 2m [service api]: measured 90s"
        );
        assert!(!verdict(&summary, "api.region_outage.failover_time_p99<=89s").passed);
        // Two of the three episodes per year-rate of 30: 20 a year.
        assert_eq!(
            measured("api.region_outage.outages_per_year<=20"),
            Some(20.0)
        );
        assert_eq!(measured("api.region_outage.outage_mean<=2m"), Some(95.0));
        assert_eq!(measured("api.region_outage.outage_max<=2m"), Some(95.0));
        assert_eq!(
            measured("api.region_outage.downtime_s_per_year<=1h"),
            Some(1900.0)
        );
        assert_eq!(measured("api.region_outage.failovers<=4"), Some(4.0));
        // Every metric a kind scope accepts is read from the kind.
        for &metric in Metric::ALL.iter().filter(|m| m.per_fault_kind()) {
            let text = format!("api.region_outage.{metric}>=0");
            assert!(verdict(&summary, &text).measured.is_some(), "{text}");
        }
    }
}
