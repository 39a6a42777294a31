//! `sweep`: a scenario run at every point of a grid of `--set` values, on common random
//! numbers (the same seed and the same stable streams at every point), one tidy row per
//! point × service × metric.

use super::{run_study, RunError, RunOptions, Stopped};
use crate::compile::{load_str, CompiledScenario};
use crate::core::metric::Metric;
use crate::report::Summary;
use crate::scenarios::error::ScenarioError;
use crate::scenarios::settings::{apply, Setting, SettingError};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// The metrics a sweep reports for each service, in this order.
pub(crate) const SWEEP_METRICS: &[Metric] = &[
    Metric::Availability,
    Metric::ServedAvailability,
    Metric::DowntimePerYear,
    Metric::OutagesPerYear,
    Metric::SuccessRate,
    Metric::FailoverTimeP50,
    Metric::FailoverTimeP99,
];

/// One point of the grid: a value for each setting, in the order of the settings.
pub(crate) type GridPoint = Vec<String>;

/// Every combination of the settings' values, the first setting varying slowest.
pub(crate) fn grid(settings: &[Setting]) -> Vec<GridPoint> {
    settings.iter().fold(vec![Vec::new()], |points, setting| {
        points
            .iter()
            .flat_map(|point| {
                setting.values.iter().map(move |value| {
                    let mut point = point.clone();
                    point.push(value.clone());
                    point
                })
            })
            .collect()
    })
}

/// Why a sweep cannot be run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SweepError {
    /// A setting's path or value does not fit the file.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A variant does not pass the checks the file itself would.
    #[error("with {point}: {error}")]
    Scenario {
        /// The grid point, as `path=value` pairs.
        point: String,
        /// The problems, located in the variant's text.
        error: Box<ScenarioError>,
    },
}

/// The scenario `document` with the grid point's values set, compiled from its text so
/// that every check (with JSON path and line:column) runs on the variant.
pub(crate) fn variant(
    document: &Value,
    settings: &[Setting],
    point: &[String],
    file: &Path,
) -> Result<CompiledScenario, SweepError> {
    let mut document = document.clone();
    for (setting, value) in settings.iter().zip(point) {
        apply(&mut document, &setting.path, value)?;
    }
    let text = serde_json::to_string_pretty(&document).expect("a JSON value prints");
    // Read as JSON whatever the file's name says: the document is JSON now.
    let file = file.with_extension("json");
    load_str(&text, &file).map_err(|error| SweepError::Scenario {
        point: describe(settings, point),
        error: Box::new(error),
    })
}

/// `path=value` pairs of a grid point, comma-separated.
pub(crate) fn describe(settings: &[Setting], point: &[String]) -> String {
    settings
        .iter()
        .zip(point)
        .map(|(setting, value)| format!("{}={value}", setting.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of the sweep's table: a grid point, a service and a metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct SweepRow {
    /// The grid point's value of each setting, in the order of the settings.
    pub(crate) values: Vec<String>,
    /// The service (or `system`).
    pub(crate) service: String,
    /// The metric's name.
    pub(crate) metric: &'static str,
    /// Its estimate; None when the point has no data for it.
    pub(crate) estimate: Option<f64>,
    /// The 95% interval, low, where the metric has one.
    pub(crate) ci95_low: Option<f64>,
    /// The 95% interval, high.
    pub(crate) ci95_high: Option<f64>,
    /// Replications behind the estimate.
    pub(crate) replications: u64,
}

/// The rows of one grid point's summary: its services (then the system), each metric of
/// [`SWEEP_METRICS`].
pub(crate) fn rows(point: &[String], summary: &Summary) -> Vec<SweepRow> {
    summary
        .services
        .iter()
        .chain(&summary.system)
        .flat_map(|service| {
            SWEEP_METRICS.iter().map(move |&metric| {
                let (estimate, ci) = service.metric(metric);
                let finite = |v: f64| v.is_finite().then_some(v);
                SweepRow {
                    values: point.to_vec(),
                    service: service.service.clone(),
                    metric: metric.name(),
                    estimate: estimate.and_then(finite),
                    ci95_low: ci.and_then(|(low, _)| finite(low)),
                    ci95_high: ci.and_then(|(_, high)| finite(high)),
                    replications: summary.replications,
                }
            })
        })
        .collect()
}

/// Runs one grid point's study to its end; `Err(Stopped)` inside when Ctrl-C or a budget
/// cut it short (a sweep writes nothing partial).
pub(crate) fn run_point(
    scenario: &CompiledScenario,
    options: &RunOptions,
) -> Result<Result<Summary, Stopped>, RunError> {
    let run = run_study(scenario, options, |_| {}, |_| {})?;
    Ok(match run.stopped {
        Some(stopped) => Err(stopped),
        None => Ok(Summary::new(&run.study)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_the_cartesian_product_first_setting_slowest() {
        let settings = [
            Setting::parse("a=1,2").unwrap(),
            Setting::parse("b=x,y,z").unwrap(),
        ];
        let points = grid(&settings);
        assert_eq!(points.len(), 6);
        assert_eq!(points[0], ["1", "x"]);
        assert_eq!(points[2], ["1", "z"]);
        assert_eq!(points[3], ["2", "x"]);
        assert_eq!(describe(&settings, &points[4]), "a=2, b=y");
    }
}
