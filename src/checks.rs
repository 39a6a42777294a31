//! Evaluating checks for CI (`--check` and the scenario's `slo` block):
//! `[SERVICE.[KIND.]]METRIC OP VALUE`, e.g. `availability>=0.9995`,
//! `api.failover_time_p99<=30s`, `api.region_outage.failover_time_p99<=2m`.
//!
//! A metric measured with a 95% interval is judged on the interval: it passes when the
//! whole interval meets the bound, fails when none of it does, and is inconclusive when
//! the interval straddles the bound (the point estimate alone would flap on noise).

pub use crate::core::metric::{Check, CheckError, Metric, Op, SYSTEM_SCOPE};
use crate::report::summary::{ServiceSummary, Summary};
use std::fmt;

/// What the evidence says about one check on one service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The bound holds: over the whole 95% interval, where the metric has one.
    Pass,
    /// The bound does not hold: nowhere in the 95% interval, where the metric has one;
    /// also when nothing was measured.
    Fail,
    /// The 95% interval straddles the bound: more replications may decide.
    Inconclusive,
}

impl Outcome {
    /// Judges `measured` (with its 95% `interval`, if any) against `op bound`.
    /// Without an interval, or with `==`, the point estimate decides.
    fn of(op: Op, bound: f64, measured: Option<f64>, interval: Option<(f64, f64)>) -> Outcome {
        let Some(value) = measured else {
            return Outcome::Fail;
        };
        let decide = |holds: bool| if holds { Outcome::Pass } else { Outcome::Fail };
        match interval {
            // The operators are monotone, so the interval's ends decide for all of it.
            Some((low, high)) if op != Op::Eq && low.is_finite() && high.is_finite() => {
                match (op.holds(low, bound), op.holds(high, bound)) {
                    (true, true) => Outcome::Pass,
                    (false, false) => Outcome::Fail,
                    _ => Outcome::Inconclusive,
                }
            }
            _ => decide(op.holds(value, bound)),
        }
    }
}

/// The verdict of one check on one service.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The check, its bound in the metric's humane unit (`outage_p99 <= 1m`).
    pub check: String,
    /// The metric, which says how its values read.
    pub metric: Metric,
    /// The service.
    pub service: String,
    /// Whether the point estimate meets the bound (what `recommend` ranks on).
    pub passed: bool,
    /// Pass, fail or inconclusive, judged on the 95% interval where there is one.
    pub outcome: Outcome,
    /// The measured value (None when there was nothing to measure, e.g. no failover:
    /// the check then fails, whatever its operator).
    pub measured: Option<f64>,
    /// The 95% confidence interval of the measured value, where one exists.
    pub interval: Option<(f64, f64)>,
    /// The bound, in the metric's unit.
    pub bound: f64,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.outcome {
            Outcome::Pass => "pass",
            Outcome::Fail => "FAIL",
            Outcome::Inconclusive => "INCONCLUSIVE",
        };
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
            // An end that differs from the bound but rounds to it is shown in full, so
            // that the line shows which side of the bound it lies on.
            let bound = self.metric.show(self.bound);
            let show = |value: f64| match self.metric.show(value) {
                text if text == bound && value != self.bound => value.to_string(),
                text => text,
            };
            write!(f, ", 95% CI [{}, {}]", show(low), show(high))?;
            if self.outcome == Outcome::Inconclusive {
                write!(f, " straddles the bound")?;
            }
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
                    outcome: Outcome::of(self.op, self.bound, measured, interval),
                    measured,
                    interval,
                    bound: self.bound,
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
        let mut service = ServiceSummary::new(&Default::default(), 3_600_000_000_000, &[]);
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
            precision: None,
            faults: Vec::new(),
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
    fn a_check_with_an_interval_passes_fails_or_is_inconclusive_on_the_whole_interval() {
        let mut summary = empty();
        let availability = &mut summary.services[0].availability;
        availability.mean = 0.9995;
        availability.ci95_low = 0.9993;
        availability.ci95_high = 0.9997;
        let outcome = |text: &str| verdict(&summary, text).outcome;
        assert_eq!(outcome("availability>=0.999"), Outcome::Pass);
        assert_eq!(outcome("availability>=0.9999"), Outcome::Fail);
        // The point estimate meets 0.9994 and misses 0.9996; the interval decides neither.
        assert_eq!(outcome("availability>=0.9994"), Outcome::Inconclusive);
        assert_eq!(outcome("availability<0.9996"), Outcome::Inconclusive);
        assert_eq!(outcome("availability<=0.9998"), Outcome::Pass);
        let line = verdict(&summary, "availability>=0.9996").to_string();
        assert_eq!(
            line,
            "INCONCLUSIVE: availability >= 0.9996 [service api]: measured 0.9995, \
             95% CI [0.9993, 0.9997] straddles the bound"
        );
        // The interval's edge counts as meeting an inclusive bound.
        assert_eq!(outcome("availability>=0.9993"), Outcome::Pass);
        assert_eq!(outcome("availability>0.9993"), Outcome::Inconclusive);
        // A metric without an interval keeps the point estimate's verdict.
        assert_eq!(outcome("split_brain_s<=0"), Outcome::Pass);
        assert_eq!(outcome("split_brain_s<0"), Outcome::Fail);
        // An end that rounds to the bound, but is not it, is shown in full.
        summary.services[0].availability.ci95_high = 0.999_700_04;
        let line = verdict(&summary, "availability<=0.9997").to_string();
        assert!(
            line.ends_with("95% CI [0.9993, 0.99970004] straddles the bound"),
            "{line}"
        );
        let line = verdict(&summary, "availability<=0.99971").to_string();
        assert!(line.ends_with("95% CI [0.9993, 0.9997]"), "{line}");
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
