//! Evaluating checks for CI (`--check` and the scenario's `slo` block): `[SERVICE.]METRIC OP VALUE`,
//! e.g. `availability>=0.9995`, `api.failover_time_p99<=30s`, `success_rate>=0.95`.

pub use crate::core::metric::{Check, CheckError, Metric, Op};
use crate::report::summary::{ServiceSummary, Summary};
use std::fmt;

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
    /// Evaluates the check on every service it applies to.
    pub fn evaluate(&self, summary: &Summary) -> Result<Vec<Verdict>, CheckError> {
        let services: Vec<&ServiceSummary> = summary
            .services
            .iter()
            .filter(|s| self.service.as_ref().is_none_or(|name| &s.service == name))
            .collect();
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
                let (measured, interval) = service.metric(self.metric);
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
