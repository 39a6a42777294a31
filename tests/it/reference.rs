//! The shipped example scenarios reach what they claim, through mechanisms only.

use failsim::compile::load_file;
use failsim::report::Summary;
use failsim::run::{run_study, RunOptions};
use std::path::Path;

fn summary(file: &str) -> Summary {
    let scenario = load_file(Path::new(file)).unwrap();
    Summary::new(
        &run_study(&scenario, &RunOptions::default(), |_| {}, |_| {})
            .unwrap()
            .study,
    )
}

#[test]
fn seed_defaults_land_in_the_reference_ranges_of_design_section_9() {
    // (strategy, failover time range in s, quoted success rate). The failover time is
    // checked at its median; the success rate within 3 points of the quoted one (each
    // service has thousands of attempts, so the Wilson interval is about ±1 point).
    let reference = [
        ("ACTIVE_ACTIVE", 0.5, 2.0, 0.98),
        ("ACTIVE_PASSIVE", 2.0, 10.0, 0.95),
        ("N_WAY", 5.0, 15.0, 0.92),
        ("GEOGRAPHIC", 10.0, 30.0, 0.90),
    ];
    let summary = summary("scenarios/seed-defaults.json");
    for (strategy, low, high, success) in reference {
        let service = summary
            .services
            .iter()
            .find(|s| s.strategy == strategy)
            .unwrap();
        let p50 = service.failover_time_s.p50.unwrap();
        assert!(
            (low..=high).contains(&p50),
            "{strategy}: failover p50 {p50}s outside [{low}, {high}]"
        );
        let rate = service.failovers.success_rate.unwrap();
        assert!(
            (rate - success).abs() <= 0.03,
            "{strategy}: success rate {rate} vs {success}"
        );
        assert!(
            service.failovers.attempted > 1000,
            "{strategy}: too few attempts to judge"
        );
    }
}

#[test]
fn the_multi_region_workers_report_shows_the_backup_capacity_shortfall() {
    let summary = summary("scenarios/multi-region-workers.json");
    let workers = &summary.services[0];
    assert!(workers.availability.mean < workers.lenient_availability.mean);
    assert!(workers
        .failovers
        .failed_by_reason
        .contains_key("CapacityExceeded"));
}

#[test]
fn the_telecom_triple_failure_and_split_show_in_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("csv");
    let status = crate::common::failsim()
        .args([
            "run",
            "scenarios/telecom-multi-failure.json",
            "--replications",
            "20",
            "--csv",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(status.status.success());
    let mut reader = csv::Reader::from_path(out.join("failovers.csv")).unwrap();
    let faults: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .collect();
    assert!(
        faults.iter().filter(|f| *f == "triple-failure").count() >= 40,
        "both services fail over every replication"
    );
    assert!(faults.iter().any(|f| f == "split"));
}
