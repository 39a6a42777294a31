//! Running the cases: each scenario through the study runner, each check against its
//! closed form.

use super::cases::{cases, Case, Check, Quantity, Tolerance, HOURS_PER_YEAR};
use super::ValidationError;
use crate::compile::load_file;
use crate::report::ServiceStudy;
use crate::run::{run_study, RunOptions};
use crate::stats::{mean_ci, nearest_rank, MeanCi, Z_975};
use std::path::{Path, PathBuf};

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was checked.
    pub check: Check,
    /// The simulated estimate.
    pub estimate: f64,
    /// Its 95% interval, where the check has one.
    pub interval: Option<(f64, f64)>,
    /// Whether the check passed.
    pub passed: bool,
    /// Whether the expected value is the scenario's Markov chain solved by
    /// [`crate::exact`] (the case is Markovian), rather than the closed form's formula.
    pub by_chain: bool,
}

impl Row {
    fn new(check: Check, estimate: f64, interval: Option<(f64, f64)>) -> Self {
        let expected = check.expected;
        let within = |limit: f64| {
            interval.is_some_and(|(low, high)| {
                (low..=high).contains(&expected) && (high - low) / 2.0 <= limit
            })
        };
        let passed = match check.tolerance {
            Tolerance::Absolute(limit) => within(limit),
            Tolerance::Relative(fraction) => within(fraction * expected.abs()),
            Tolerance::AtLeast => estimate >= expected,
            Tolerance::Below => estimate < expected,
        };
        Row {
            check,
            estimate,
            interval,
            passed,
            by_chain: false,
        }
    }
}

/// How one case was run, and its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseRun {
    /// The case id.
    pub id: &'static str,
    /// The scenario file.
    pub scenario: PathBuf,
    /// Seed of the run.
    pub seed: u64,
    /// Replications.
    pub replications: u64,
    /// Horizon of each replication, in hours.
    pub horizon_h: f64,
    /// Upper bound on the start-up bias of the availability estimate:
    /// [`Case::startup_excess_h`] / horizon.
    pub startup_bias: f64,
    /// Detection delays measured (0 unless the case checks them).
    pub detections: usize,
    /// One row per check.
    pub rows: Vec<Row>,
}

/// Every case's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// In the order of [`cases`].
    pub cases: Vec<CaseRun>,
}

/// Runs every case of [`cases`] from the scenario files in `dir`; `threads` as for
/// `failsim run` (the result does not depend on it).
pub fn run(dir: &Path, threads: Option<usize>) -> Result<Report, ValidationError> {
    let cases = cases()
        .into_iter()
        .map(|case| run_case(&case, dir, threads))
        .collect::<Result<_, _>>()?;
    Ok(Report { cases })
}

fn run_case(case: &Case, dir: &Path, threads: Option<usize>) -> Result<CaseRun, ValidationError> {
    let file = dir.join(case.scenario);
    let scenario = load_file(&file).map_err(|source| ValidationError::Scenario {
        case: case.id,
        source,
    })?;
    if scenario.services.len() != 1 {
        return Err(ValidationError::Services {
            case: case.id,
            file,
            services: scenario.services.len(),
        });
    }
    let wants_detections = case.checks.iter().any(|c| c.quantity.is_detection());
    let mut detections = Vec::new();
    let options = RunOptions {
        threads,
        keep_records: wants_detections,
        ..RunOptions::default()
    };
    let run = run_study(
        &scenario,
        &options,
        |outcome| {
            if wants_detections {
                detections.extend(
                    outcome.services[0]
                        .records
                        .iter()
                        .filter(|record| record.attempt == 0)
                        .map(|record| record.detection_time() as f64 / 1e9),
                );
            }
        },
        |_| {},
    )
    .map_err(|error| ValidationError::Run {
        case: case.id,
        message: error.to_string(),
    })?;
    if let Some(stopped) = run.stopped {
        return Err(ValidationError::Run {
            case: case.id,
            message: format!("the run stopped early: {stopped:?}"),
        });
    }
    if wants_detections && detections.is_empty() {
        return Err(ValidationError::NoDetections { case: case.id });
    }
    detections.sort_by(f64::total_cmp);
    let horizon_h = scenario.horizon as f64 / 3.6e12;
    let service = &run.study.services[0];
    let chain = crate::exact::Chain::of(&scenario)
        .ok()
        .and_then(|chain| chain.solve(false).ok());
    let rows = case
        .checks
        .iter()
        .map(
            |check| match chain.as_deref().and_then(|s| by_chain(check, &s[0])) {
                Some(check) => Row {
                    by_chain: true,
                    ..measure(check, service, scenario.horizon, &detections)
                },
                None => measure(check.clone(), service, scenario.horizon, &detections),
            },
        )
        .collect();
    Ok(CaseRun {
        id: case.id,
        scenario: file,
        seed: scenario.seed,
        replications: scenario.replications,
        horizon_h,
        startup_bias: case.startup_excess_h / horizon_h,
        detections: detections.len(),
        rows,
    })
}

/// `check` with its expected value taken from the solved chain, for the quantities the
/// chain gives (availability, unavailability, failures per year of [`HOURS_PER_YEAR`]).
fn by_chain(check: &Check, solution: &crate::exact::Solution) -> Option<Check> {
    let expected = match check.quantity {
        Quantity::Availability => solution.availability,
        Quantity::Unavailability => solution.unavailability,
        Quantity::FailuresPerYear => {
            solution.outages_per_year * HOURS_PER_YEAR * 3600.0 / crate::exact::SECONDS_PER_YEAR
        }
        _ => return None,
    };
    Some(Check {
        expected,
        ..check.clone()
    })
}

/// Measures one check on a service's study and the sorted detection delays.
fn measure(check: Check, service: &ServiceStudy, horizon_ns: u64, detections: &[f64]) -> Row {
    let horizon_h = horizon_ns as f64 / 3.6e12;
    let interval = |ci: MeanCi| (ci.mean, Some((ci.ci95_low, ci.ci95_high)));
    let with_ci = |samples: &[f64]| interval(mean_ci(samples));
    let unit = service.unit(horizon_ns);
    let (estimate, interval) = match check.quantity {
        Quantity::Availability => interval(service.availability.mean_ci(unit)),
        Quantity::Unavailability => interval(service.availability.complement_mean_ci(unit)),
        Quantity::FailuresPerYear => {
            let per_year = HOURS_PER_YEAR / horizon_h;
            let ci = service.outages.mean_ci(u128::from(service.vantages.max(1)));
            (
                ci.mean * per_year,
                Some((ci.ci95_low * per_year, ci.ci95_high * per_year)),
            )
        }
        Quantity::DetectionMean => with_ci(detections),
        Quantity::DetectionQuantile(q) => {
            let (estimate, interval) = quantile_ci(detections, q);
            (estimate, Some(interval))
        }
        Quantity::DetectionMin => (detections[0], None),
        Quantity::DetectionMax => (detections[detections.len() - 1], None),
    };
    Row::new(check, estimate, interval)
}

/// The q-quantile of `sorted` (non-empty, ascending): the smallest sample with at least a
/// fraction q of the samples at or below it; and its distribution-free 95% interval, the
/// order statistics of ranks ⌊nq − z·√(nq(1−q))⌋ and ⌈nq + z·√(nq(1−q))⌉ (the rank of
/// the quantile is binomial(n, q), here in its normal approximation).
fn quantile_ci(sorted: &[f64], q: f64) -> (f64, (f64, f64)) {
    let n = sorted.len() as f64;
    let at_rank = |rank: f64| sorted[rank.clamp(1.0, n) as usize - 1];
    let spread = Z_975 * (n * q * (1.0 - q)).sqrt();
    (
        sorted[nearest_rank(q, sorted.len() as u64) as usize - 1],
        (
            at_rank((n * q - spread).floor()),
            at_rank((n * q + spread).ceil()),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(tolerance: Tolerance) -> Check {
        Check {
            quantity: Quantity::Availability,
            formula: "",
            expected: 0.5,
            tolerance,
        }
    }

    #[test]
    fn a_check_passes_only_with_the_closed_form_inside_a_narrow_enough_interval() {
        let absolute = check(Tolerance::Absolute(0.01));
        assert!(Row::new(absolute.clone(), 0.505, Some((0.499, 0.511))).passed);
        assert!(!Row::new(absolute.clone(), 0.505, Some((0.501, 0.509))).passed);
        assert!(!Row::new(absolute.clone(), 0.5, Some((0.48, 0.52))).passed);
        let relative = check(Tolerance::Relative(0.02));
        assert!(Row::new(relative.clone(), 0.5, Some((0.495, 0.505))).passed);
        assert!(!Row::new(relative, 0.5, Some((0.485, 0.515))).passed);
        assert!(!Row::new(absolute, 0.5, None).passed);
    }

    #[test]
    fn bounds_hold_exactly() {
        assert!(Row::new(check(Tolerance::AtLeast), 0.5, None).passed);
        assert!(!Row::new(check(Tolerance::AtLeast), 0.499_999, None).passed);
        assert!(Row::new(check(Tolerance::Below), 0.499_999, None).passed);
        assert!(!Row::new(check(Tolerance::Below), 0.5, None).passed);
    }

    #[test]
    fn quantile_interval_brackets_the_sample_quantile_by_binomial_ranks() {
        let samples: Vec<f64> = (1..=10_000).map(f64::from).collect();
        // n = 10,000, q = 0.99: rank 9,900 ± 1.96·√99 = ± 19.5.
        let (estimate, (low, high)) = quantile_ci(&samples, 0.99);
        assert_eq!(estimate, 9_900.0);
        assert_eq!((low, high), (9_880.0, 9_920.0));
        let (median, _) = quantile_ci(&[3.0], 0.5);
        assert_eq!(median, 3.0);
    }
}
