//! The validation cases: each scenario file, the statistics it checks, their closed
//! forms and tolerances, and the start-up bias bounds of the availability estimates.

use crate::analytic::{
    k_of_n_availability, k_of_n_availability_shared_repair, k_of_n_failure_frequency,
    lognormal_mean, quorum_availability, single_component_availability, weibull_mean,
    PeriodicDetection,
};

/// Hours in the year of failure frequencies: 365 days, the year of the validation cases.
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The statistic of a case's run that a check compares with a closed form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quantity {
    /// Strict availability (UP time / horizon) of the scenario's service: the mean over
    /// replications, with its Student-t interval (as in the run summary).
    Availability,
    /// Strict unavailability, 1 − availability: the same estimate and interval, for
    /// tolerances stated relative to the unavailability.
    Unavailability,
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
            Quantity::Unavailability => "unavailability".into(),
            Quantity::FailuresPerYear => "system failures / year".into(),
            Quantity::DetectionMean => "detection delay, mean (s)".into(),
            Quantity::DetectionQuantile(q) => format!("detection delay, p{} (s)", q * 100.0),
            Quantity::DetectionMin => "detection delay, min (s)".into(),
            Quantity::DetectionMax => "detection delay, max (s)".into(),
        }
    }

    pub(super) fn is_detection(&self) -> bool {
        !matches!(
            self,
            Quantity::Availability | Quantity::Unavailability | Quantity::FailuresPerYear
        )
    }

    /// Decimals that show the quantity to well below its tolerance (nanoseconds for the
    /// exact bounds of detection delays).
    pub(super) fn decimals(&self) -> usize {
        match self {
            Quantity::Availability => 6,
            Quantity::Unavailability => 9,
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

/// The validation cases: scenarios, closed forms and tolerances (the shared cases V1–V4
/// and V6 (1-of-2, one crew); V5 for the quorum closed form; V6 (3-of-5, one crew) for
/// the shared-repair closed form of a larger group).
pub fn cases() -> Vec<Case> {
    let detection = PeriodicDetection {
        interval: 5.0,
        timeout: 2.0,
        threshold: 3,
    };
    let (weibull_shape, weibull_scale) = (2.0, 1000.0);
    let (lognormal_median, lognormal_sigma) = (8.0, 0.5);
    let one_crew = |id, scenario, k, n, mttf, mttr, formula| Case {
        id,
        scenario,
        startup_excess_h: shared_repair_startup_excess(k, n, mttf, mttr),
        checks: vec![Check {
            quantity: Quantity::Unavailability,
            formula,
            expected: 1.0 - k_of_n_availability_shared_repair(k, n, mttf, mttr),
            tolerance: Tolerance::Relative(0.03),
        }],
    };
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
        one_crew(
            "V6 (1-of-2, one crew)",
            "v6-pair-one-crew.json",
            1,
            2,
            500.0,
            10.0,
            "π₂ of the chain 2λ, λ up / μ, μ down: 2ρ² / (1 + 2ρ + 2ρ²), ρ = λ/μ = 10/500 \
             (independent repair: 3.844675e-4)",
        ),
        one_crew(
            "V6 (3-of-5, one crew)",
            "v6-3-of-5-one-crew.json",
            3,
            5,
            100.0,
            5.0,
            "1 − Σ_{i=3..5} πᵢ, πᵢ ∝ ρⁱ / i! (i up), ρ = MTTF / MTTR = 20 \
             (independent repair: 1.004138e-3)",
        ),
    ]
}

/// Start-up excess of a k-of-n group of exponential nodes under one repair crew, all up
/// at the start: ∫ (A(t) − A) dt = (D·u)₀, where u marks the up states of the chain on
/// the number of nodes down and D = (𝟙π − Q)⁻¹ − 𝟙π is its deviation matrix. So
/// (D·u)₀ = x₀ − A with x the solution of (𝟙π − Q)·x = u (Gaussian elimination: the
/// chain has n + 1 states).
fn shared_repair_startup_excess(k: u32, n: u32, mttf: f64, mttr: f64) -> f64 {
    let states = n as usize + 1;
    let (failure, repair) = (1.0 / mttf, 1.0 / mttr);
    // π on the number down, from the detailed balance of the birth-death chain.
    let mut pi = vec![1.0; states];
    for down in 1..states {
        pi[down] = pi[down - 1] * (n as usize - down + 1) as f64 * failure / repair;
    }
    let total: f64 = pi.iter().sum();
    pi.iter_mut().for_each(|p| *p /= total);
    let mut m: Vec<Vec<f64>> = (0..states).map(|_| pi.clone()).collect();
    for down in 0..states {
        let up_rate = if down < states - 1 {
            (n as usize - down) as f64 * failure
        } else {
            0.0
        };
        let down_rate = if down > 0 { repair } else { 0.0 };
        m[down][down] += up_rate + down_rate;
        if down + 1 < states {
            m[down][down + 1] -= up_rate;
        }
        if down > 0 {
            m[down][down - 1] -= down_rate;
        }
    }
    let up: Vec<f64> = (0..states)
        .map(|down| f64::from(u8::from(down <= (n - k) as usize)))
        .collect();
    let availability: f64 = pi.iter().zip(&up).map(|(p, u)| p * u).sum();
    let x = solve(m, up);
    x[0] - availability
}

/// Solves m·x = b by Gaussian elimination with partial pivoting (m is small and regular).
fn solve(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let size = b.len();
    for col in 0..size {
        let pivot = (col..size)
            .max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))
            .expect("a non-empty column");
        m.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = m[col].clone();
        for row in col + 1..size {
            let factor = m[row][col] / pivot_row[col];
            for (value, pivot) in m[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= factor * pivot;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; size];
    for row in (0..size).rev() {
        let tail: f64 = (row + 1..size).map(|k| m[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / m[row][row];
    }
    x
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn shared_repair_excess_of_one_node_is_the_single_node_excess() {
        // One node: one crew is its own repair.
        let shared = shared_repair_startup_excess(1, 1, 1000.0, 10.0);
        let single = exponential_startup_excess(1, 1000.0, 10.0);
        assert!((shared - single).abs() < 1e-9, "{shared} vs {single}");
        // Two nodes, k = 2 (both needed): with independent repair it would be at most
        // twice the one-node excess; one crew keeps nodes down longer, so no less.
        let pair = shared_repair_startup_excess(2, 2, 100.0, 5.0);
        assert!(pair > 0.0 && pair.is_finite(), "{pair}");
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
        assert_eq!(cases.len(), 8);
        let mut files: Vec<&str> = cases.iter().map(|c| c.scenario).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), cases.len());
        assert!(cases.iter().all(|c| !c.checks.is_empty()));
    }
}
