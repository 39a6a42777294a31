//! The simulator agrees with closed-form models: every validation case (V1–V6) has its
//! closed form inside the simulated 95% interval, the interval within the tolerance, and
//! `docs/validation.md` is the report of exactly this run.

use failsim::validation::{cases, run, Tolerance};
use std::path::Path;

#[test]
fn every_validation_case_agrees_with_its_closed_form_and_the_report_is_current() {
    let report = run(Path::new("scenarios/validation"), None).unwrap_or_else(|e| panic!("{e}"));
    let table = report.table();
    eprintln!("{table}");
    let ran: Vec<&str> = report.cases.iter().map(|case| case.id).collect();
    let listed: Vec<&str> = cases().iter().map(|case| case.id).collect();
    assert_eq!(ran, listed);
    for case in &report.cases {
        for row in &case.rows {
            assert!(
                row.passed,
                "{} {}: closed form {} vs simulated {} {:?} (tolerance {})\n{table}",
                case.id,
                row.check.quantity.label(),
                row.check.expected,
                row.estimate,
                row.interval,
                row.check.tolerance
            );
            if matches!(
                row.check.tolerance,
                Tolerance::Absolute(_) | Tolerance::Relative(_)
            ) {
                let (low, high) = row.interval.expect("an interval for a tolerance");
                assert!(low <= row.check.expected && row.check.expected <= high);
            }
        }
        assert!(
            case.startup_bias < 0.05 * tolerance_of_availability(case).unwrap_or(f64::INFINITY),
            "{}: start-up bias {} is not negligible",
            case.id,
            case.startup_bias
        );
    }
    let written = std::fs::read_to_string("docs/validation.md").unwrap_or_default();
    assert!(
        written == report.to_markdown(),
        "docs/validation.md is stale: regenerate it with `cargo run --release -- validate-model`"
    );
}

/// The availability tolerance of a case, if it checks availability.
fn tolerance_of_availability(case: &failsim::validation::CaseRun) -> Option<f64> {
    case.rows.iter().find_map(|row| match row.check.tolerance {
        Tolerance::Absolute(t)
            if row.check.quantity == failsim::validation::Quantity::Availability =>
        {
            Some(t)
        }
        _ => None,
    })
}
