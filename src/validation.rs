//! Model validation: the simulator against closed forms, case by case (V1–V4 of the shared
//! validation cases, and V5: quorum availability of an N_WAY group), and the Markdown
//! report that `failsim validate-model` writes.
//!
//! [`cases`] is the one table of what is checked: for each case a scenario file (in
//! `scenarios/validation/`), the statistics to compare, their closed forms (computed by
//! [`crate::analytic`]) and tolerances. [`run`] runs every case and says, check by check,
//! whether the closed form lies inside the simulated 95% confidence interval and that
//! interval is as narrow as the tolerance asks. The integration test and the command
//! both call [`run`], so the test and the report cannot disagree.

use crate::analytic::{
    k_of_n_availability, k_of_n_failure_frequency, lognormal_mean, quorum_availability,
    single_component_availability, weibull_mean, PeriodicDetection,
};
use crate::compile::load_file;
use crate::report::ServiceStudy;
use crate::run::{run_study, RunOptions};
use crate::scenarios::ScenarioError;
use crate::stats::{mean_ci, nearest_rank, Z_975};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Hours in the year of failure frequencies: 365 days, the year of the validation cases.
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The statistic of a case's run that a check compares with a closed form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quantity {
    /// Strict availability (UP time / horizon) of the scenario's service: the mean over
    /// replications, with its Student-t interval (as in the run summary).
    Availability,
    /// Transitions of the service out of UP, per year of [`HOURS_PER_YEAR`]: the mean over
    /// replications, with its Student-t interval.
    FailuresPerYear,
    /// Detection delay of first failover attempts in seconds: the mean over all
    /// detections, with its Student-t interval.
    DetectionMean,
    /// Detection delay in seconds: the q-quantile over all detections, with the
    /// distribution-free interval between the order statistics of ranks
    /// nq ∓ z·√(nq(1−q)).
    DetectionQuantile(f64),
    /// Shortest detection delay in seconds.
    DetectionMin,
    /// Longest detection delay in seconds.
    DetectionMax,
}

impl Quantity {
    /// A short name for tables.
    pub fn label(&self) -> String {
        match self {
            Quantity::Availability => "availability".into(),
            Quantity::FailuresPerYear => "system failures / year".into(),
            Quantity::DetectionMean => "detection delay, mean (s)".into(),
            Quantity::DetectionQuantile(q) => format!("detection delay, p{} (s)", q * 100.0),
            Quantity::DetectionMin => "detection delay, min (s)".into(),
            Quantity::DetectionMax => "detection delay, max (s)".into(),
        }
    }

    fn is_detection(&self) -> bool {
        !matches!(self, Quantity::Availability | Quantity::FailuresPerYear)
    }

    /// Decimals that show the quantity to well below its tolerance (nanoseconds for the
    /// exact bounds of detection delays).
    fn decimals(&self) -> usize {
        match self {
            Quantity::Availability => 6,
            Quantity::FailuresPerYear
            | Quantity::DetectionMean
            | Quantity::DetectionQuantile(_) => 3,
            Quantity::DetectionMin | Quantity::DetectionMax => 9,
        }
    }
}

/// How close a simulated estimate must come to its closed form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// The closed form lies in the 95% interval, whose half-width is at most this.
    Absolute(f64),
    /// As [`Tolerance::Absolute`], with the half-width at most this fraction of the
    /// closed form.
    Relative(f64),
    /// The estimate is at least the closed form, exactly.
    AtLeast,
    /// The estimate is below the closed form, exactly.
    Below,
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tolerance::Absolute(t) => write!(f, "±{t}"),
            Tolerance::Relative(t) => write!(f, "±{}%", t * 100.0),
            Tolerance::AtLeast => f.write_str("≥ closed form, exactly"),
            Tolerance::Below => f.write_str("< closed form, exactly"),
        }
    }
}

/// One comparison of a case: a statistic, its closed form and its tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is measured.
    pub quantity: Quantity,
    /// The closed form as written for people.
    pub formula: &'static str,
    /// The closed form's value.
    pub expected: f64,
    /// How close the simulation must come.
    pub tolerance: Tolerance,
}

/// A validation case: one scenario file and what its run must agree with.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Case id, e.g. "V3 (2-of-3)".
    pub id: &'static str,
    /// File name of the scenario inside the validation directory.
    pub scenario: &'static str,
    /// Extra up time, in hours, that a run starting with every node up expects over one
    /// started in the stationary regime (at most; 0 where no availability is checked).
    /// Over a horizon T, the availability estimate is biased upwards by at most this / T.
    pub startup_excess_h: f64,
    /// The comparisons.
    pub checks: Vec<Check>,
}

/// The validation cases: scenarios, closed forms and tolerances (the shared cases V1–V4,
/// and V5 for the quorum closed form).
pub fn cases() -> Vec<Case> {
    let detection = PeriodicDetection {
        interval: 5.0,
        timeout: 2.0,
        threshold: 3,
    };
    let (weibull_shape, weibull_scale) = (2.0, 1000.0);
    let (lognormal_median, lognormal_sigma) = (8.0, 0.5);
    let k_of_n = |id, scenario, k, n, formula| {
        let a = single_component_availability(100.0, 5.0);
        Case {
            id,
            scenario,
            startup_excess_h: exponential_startup_excess(n, 100.0, 5.0),
            checks: vec![
                Check {
                    quantity: Quantity::Availability,
                    formula,
                    expected: k_of_n_availability(k, n, a),
                    tolerance: Tolerance::Absolute(0.0005),
                },
                Check {
                    quantity: Quantity::FailuresPerYear,
                    formula: "C(n,k) aᵏ (1−a)ⁿ⁻ᵏ · k / MTTF · 8760 h",
                    expected: k_of_n_failure_frequency(k, n, 100.0, 5.0) * HOURS_PER_YEAR,
                    tolerance: Tolerance::Relative(0.03),
                },
            ],
        }
    };
    vec![
        Case {
            id: "V1",
            scenario: "v1-exponential-node.json",
            startup_excess_h: exponential_startup_excess(1, 1000.0, 10.0),
            checks: vec![Check {
                quantity: Quantity::Availability,
                formula: "MTTF / (MTTF + MTTR), exp MTTF 1000 h, exp MTTR 10 h",
                expected: single_component_availability(1000.0, 10.0),
                tolerance: Tolerance::Absolute(0.0003),
            }],
        },
        Case {
            id: "V2",
            scenario: "v2-weibull-lognormal-node.json",
            startup_excess_h: renewal_startup_excess(
                (
                    weibull_mean(weibull_shape, weibull_scale),
                    weibull_second_moment(weibull_shape, weibull_scale),
                ),
                (
                    lognormal_mean(lognormal_median, lognormal_sigma),
                    lognormal_second_moment(lognormal_median, lognormal_sigma),
                ),
            ),
            checks: vec![Check {
                quantity: Quantity::Availability,
                formula: "E[TTF] / (E[TTF] + E[TTR]), TTF Weibull(2, 1000 h), \
                          TTR lognormal(median 8 h, σ 0.5)",
                expected: single_component_availability(
                    weibull_mean(weibull_shape, weibull_scale),
                    lognormal_mean(lognormal_median, lognormal_sigma),
                ),
                tolerance: Tolerance::Absolute(0.0003),
            }],
        },
        k_of_n(
            "V3 (2-of-3)",
            "v3-2-of-3.json",
            2,
            3,
            "Σ_{i=2..3} C(3,i) aⁱ (1−a)³⁻ⁱ, a = 100 / (100 + 5)",
        ),
        k_of_n(
            "V3 (3-of-5)",
            "v3-3-of-5.json",
            3,
            5,
            "Σ_{i=3..5} C(5,i) aⁱ (1−a)⁵⁻ⁱ, a = 100 / (100 + 5)",
        ),
        Case {
            id: "V4",
            scenario: "v4-detection-delay.json",
            startup_excess_h: 0.0,
            checks: vec![
                Check {
                    quantity: Quantity::DetectionMean,
                    formula: "I/2 + (k−1)·I + T, I = 5 s, T = 2 s, k = 3",
                    expected: detection.mean(),
                    tolerance: Tolerance::Absolute(0.1),
                },
                Check {
                    quantity: Quantity::DetectionQuantile(0.99),
                    formula: "0.99·I + (k−1)·I + T",
                    expected: detection.quantile(0.99),
                    tolerance: Tolerance::Absolute(0.1),
                },
                Check {
                    quantity: Quantity::DetectionMin,
                    formula: "(k−1)·I + T",
                    expected: detection.min(),
                    tolerance: Tolerance::AtLeast,
                },
                Check {
                    quantity: Quantity::DetectionMax,
                    formula: "k·I + T (never attained)",
                    expected: detection.sup(),
                    tolerance: Tolerance::Below,
                },
            ],
        },
        Case {
            id: "V5 (quorum 3 of 5)",
            scenario: "v5-n-way-quorum.json",
            startup_excess_h: exponential_startup_excess(5, 100.0, 5.0),
            checks: vec![Check {
                quantity: Quantity::Availability,
                formula: "majority of 5 up: Σ_{i=3..5} C(5,i) aⁱ (1−a)⁵⁻ⁱ, a = 100 / (100 + 5); \
                          N_WAY elections (≈ 0.2 s per leader loss) cost ≈ 1e-6",
                expected: quorum_availability(5, single_component_availability(100.0, 5.0)),
                tolerance: Tolerance::Absolute(0.0005),
            }],
        },
    ]
}

/// Start-up excess of `n` independent exponential nodes (MTTF, MTTR in hours) that all
/// start up: each node is up at time t with probability a + (1−a)·e^{−(λ+μ)t}, so the
/// all-up and the stationary start differ at a node with probability (1−a)·e^{−(λ+μ)t}
/// and at the service at most n times that. Integrated over time: n·(1−a)/(λ+μ).
/// Exact for one node, where it is the limit of the bias term of the transient
/// availability A + (1−A)(1−e^{−(λ+μ)T})/((λ+μ)T).
fn exponential_startup_excess(n: u32, mttf: f64, mttr: f64) -> f64 {
    let a = single_component_availability(mttf, mttr);
    f64::from(n) * (1.0 - a) * mttf * mttr / (mttf + mttr)
}

/// Start-up excess of one node alternating up (U) and down (D) periods, starting at the
/// beginning of an up period, from the first two moments of each. With C = U + D, the
/// renewal equation for the expected down time m(T) and the key renewal theorem give
/// m(T) − T·E[D]/E[C] → E[D]·E[C²]/(2E[C]²) − (E[D]·E[U] + E[D²]/2)/E[C]; the excess up
/// time is its negative. (For exponential U and D it is the one-node case of
/// [`exponential_startup_excess`].)
fn renewal_startup_excess(up: (f64, f64), down: (f64, f64)) -> f64 {
    let ((u, u2), (d, d2)) = (up, down);
    let c = u + d;
    let c2 = u2 + 2.0 * u * d + d2;
    (d * u + d2 / 2.0) / c - d * c2 / (2.0 * c * c)
}

/// E[X²] of a Weibull: scale²·Γ(1 + 2/shape), which is the mean of a Weibull with shape
/// shape/2 and scale scale².
fn weibull_second_moment(shape: f64, scale: f64) -> f64 {
    weibull_mean(shape / 2.0, scale * scale)
}

/// E[X²] of a lognormal: median²·e^{2σ²}, which is the mean of a lognormal with median
/// median² and σ doubled.
fn lognormal_second_moment(median: f64, sigma: f64) -> f64 {
    lognormal_mean(median * median, 2.0 * sigma)
}

/// Why a validation run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// A case's scenario file is missing or invalid.
    #[error("validation case {case}: {source}")]
    Scenario {
        /// The case.
        case: &'static str,
        /// What is wrong with the file.
        source: ScenarioError,
    },
    /// A case's scenario does not have exactly one service.
    #[error("validation case {case}: {file} must describe exactly one service, it has {services}")]
    Services {
        /// The case.
        case: &'static str,
        /// The scenario file.
        file: PathBuf,
        /// How many services it has.
        services: usize,
    },
    /// The run failed or stopped early.
    #[error("validation case {case}: {message}")]
    Run {
        /// The case.
        case: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A case checks detection delays but its run detected nothing.
    #[error("validation case {case}: the run recorded no detection, so there is no detection delay to compare")]
    NoDetections {
        /// The case.
        case: &'static str,
    },
}

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
    .map_err(|message| ValidationError::Run {
        case: case.id,
        message,
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
    let rows = case
        .checks
        .iter()
        .map(|check| measure(check.clone(), service, horizon_h, &detections))
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

/// Measures one check on a service's study and the sorted detection delays.
fn measure(check: Check, service: &ServiceStudy, horizon_h: f64, detections: &[f64]) -> Row {
    let with_ci = |samples: &[f64]| {
        let ci = mean_ci(samples);
        (ci.mean, Some((ci.ci95_low, ci.ci95_high)))
    };
    let (estimate, interval) = match check.quantity {
        Quantity::Availability => {
            let values: Vec<f64> = service.rows.iter().map(|r| r.availability).collect();
            with_ci(&values)
        }
        Quantity::FailuresPerYear => {
            let per_year = HOURS_PER_YEAR / horizon_h;
            let values: Vec<f64> = service.rows.iter().map(|r| r.outages * per_year).collect();
            with_ci(&values)
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

impl Report {
    /// Checks that failed.
    pub fn failures(&self) -> usize {
        self.cases
            .iter()
            .flat_map(|case| &case.rows)
            .filter(|row| !row.passed)
            .count()
    }

    /// The table of checks: case, quantity, closed form and value, simulated value and
    /// interval, tolerance, pass.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| Case | Quantity | Closed form | Value | Simulated | 95% CI | Tolerance | Pass |\n\
             |---|---|---|---:|---:|---|---|---|\n",
        );
        for case in &self.cases {
            for row in &case.rows {
                let decimals = row.check.quantity.decimals();
                let interval = row.interval.map_or("—".to_string(), |(low, high)| {
                    format!("[{low:.decimals$}, {high:.decimals$}]")
                });
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.decimals$} | {:.decimals$} | {interval} | {} | {} |",
                    case.id,
                    row.check.quantity.label(),
                    row.check.formula,
                    row.check.expected,
                    row.estimate,
                    row.check.tolerance,
                    if row.passed { "yes" } else { "**NO**" },
                );
            }
        }
        out
    }

    /// The whole report: the table, how each case was run, and how to read both.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "# Model validation\n\n\
             <!-- Generated by `failsim validate-model`; do not edit. \
             `cargo test --release --test validation` fails when this file is stale. -->\n\n\
             Each case of the shared validation cases (V1–V4), and V5 for the availability of a \
             majority quorum, is a scenario in \
             `scenarios/validation/` whose simulated statistics must agree with a closed form. \
             The closed forms are computed by `failsim::analytic`; the cases, closed forms and \
             tolerances are the table `failsim::validation::cases`, which both this report and \
             the test `tests/validation.rs` use.\n\n\
             A check passes when the closed form lies inside the simulated 95% confidence \
             interval **and** the interval's half-width is within the tolerance; the bounds of \
             the detection delay must hold exactly. Availability and failure frequency are means \
             over independent replications with Student-t intervals; the detection-delay mean \
             pools every detection (each crash falls at an independent, uniform point of the \
             probe cycle) and the p99 interval is the distribution-free one between two order \
             statistics. Strict availability counts DEGRADED as down; a system failure is a \
             transition of the service out of UP; a year is 8760 h.\n\n",
        );
        out.push_str(&self.table());
        out.push_str(
            "\n## Runs\n\n\
             Every replication starts with every node up, not in the stationary regime, which \
             biases an availability estimate upwards by at most the start-up bias shown \
             (expected extra up time of an all-up start over the horizon: \
             n·(1−a)·MTTF·MTTR/(MTTF+MTTR) for n exponential nodes, the renewal-theory limit \
             for V2). The horizons make it negligible against the tolerances, so the closed \
             forms are compared as they are.\n\n\
             | Case | Scenario | Replications × horizon | Seed | Detections | Start-up bias ≤ |\n\
             |---|---|---|---:|---:|---:|\n",
        );
        for case in &self.cases {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} × {} h | {} | {} | {} |",
                case.id,
                case.scenario.display(),
                case.replications,
                case.horizon_h,
                case.seed,
                if case.detections > 0 {
                    case.detections.to_string()
                } else {
                    "—".to_string()
                },
                if case.startup_bias > 0.0 {
                    format!("{:.1e}", case.startup_bias)
                } else {
                    "—".to_string()
                },
            );
        }
        out
    }
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

    #[test]
    fn renewal_excess_of_exponential_periods_is_the_transient_limit() {
        // Exponential U (mean 1000) and D (mean 10): E[X²] = 2·mean².
        let renewal = renewal_startup_excess((1000.0, 2e6), (10.0, 200.0));
        let exponential = exponential_startup_excess(1, 1000.0, 10.0);
        assert!(
            (renewal - exponential).abs() < 1e-12,
            "{renewal} vs {exponential}"
        );
    }

    #[test]
    fn second_moments_match_known_values() {
        // Weibull shape 1 is the exponential: E[X²] = 2·scale².
        assert!((weibull_second_moment(1.0, 3.0) - 18.0).abs() < 1e-12);
        // Weibull shape 2: E[X²] = scale²·Γ(2) = scale².
        assert!((weibull_second_moment(2.0, 1000.0) - 1e6).abs() < 1e-6);
        assert!((lognormal_second_moment(8.0, 0.5) - 64.0 * 0.5f64.exp()).abs() < 1e-12);
    }

    #[test]
    fn every_case_has_checks_and_a_distinct_scenario() {
        let cases = cases();
        assert_eq!(cases.len(), 6);
        let mut files: Vec<&str> = cases.iter().map(|c| c.scenario).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), cases.len());
        assert!(cases.iter().all(|c| !c.checks.is_empty()));
    }
}
