//! Monte Carlo studies: shards, threads, CSV outputs, confidence-interval coverage, and
//! common random numbers across strategies.

use crate::common::{failsim, node_transitions, scenario};
use failsim::compare::variant;
use failsim::compile::load_str_with_model;
use failsim::report::Summary;
use failsim::run::{run_study, RunOptions};
use failsim::scenarios::model::StrategyName;
use std::path::Path;

fn output(args: &[&str]) -> Vec<u8> {
    let out = failsim().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn shards_merged_equal_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let base = ["run", "scenarios/quickstart.json", "--replications", "31"];
    output(&[&base[..], &["--json", &path("single.json")]].concat());
    for shard in ["1/3", "2/3", "3/3"] {
        let part = path(&format!("part{}.json", &shard[..1]));
        output(&[&base[..], &["--shard", shard, "--json", &part]].concat());
    }
    // Shards given in any order merge to the same result.
    output(&[
        "merge",
        &path("part3.json"),
        &path("part1.json"),
        &path("part2.json"),
        "--json",
        &path("merged.json"),
    ]);
    let single = std::fs::read(path("single.json")).unwrap();
    let merged = std::fs::read(path("merged.json")).unwrap();
    assert_eq!(single, merged);
    let missing = failsim()
        .args(["merge", &path("part1.json"), &path("part3.json")])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn csv_outputs_are_identical_across_thread_counts_and_parse_with_the_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "4"] {
        let out = dir.path().join(threads);
        output(&[
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "40",
            "--threads",
            threads,
            "--csv",
            out.to_str().unwrap(),
        ]);
        files.push((
            std::fs::read(out.join("failovers.csv")).unwrap(),
            std::fs::read(out.join("replications.csv")).unwrap(),
        ));
    }
    assert_eq!(files[0], files[1]);
    let mut failovers = csv::Reader::from_reader(files[0].0.as_slice());
    assert_eq!(
        failovers.headers().unwrap().iter().collect::<Vec<_>>(),
        failsim::output::csv::FAILOVER_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = failovers.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() > 100);
    for row in &rows {
        let at = |i: usize| row[i].parse::<f64>().unwrap();
        assert!(
            at(5) <= at(6) && at(6) <= at(7) && at(7) <= at(8),
            "times out of order: {row:?}"
        );
    }
    let mut replications = csv::Reader::from_reader(files[0].1.as_slice());
    assert_eq!(
        replications.headers().unwrap().iter().collect::<Vec<_>>(),
        failsim::output::csv::REPLICATION_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = replications.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 40);
    assert!(rows
        .iter()
        .all(|r| (0.0..=1.0).contains(&r[3].parse::<f64>().unwrap())));
}

#[test]
fn the_confidence_interval_covers_the_true_availability_at_about_the_nominal_rate() {
    // One exponential node (MTTF 10 h, MTTR 1 h, λ = 0.1/h, μ = 1/h), starting up, over
    // T = 100 h. The expected fraction of [0, T] spent up is
    //   μ/(λ+μ) + λ/((λ+μ)² T) · (1 − e^{−(λ+μ)T}).
    // 200 studies of 30 replications each; the 95% interval should cover it in about 190
    // of them. With a binomial(200, 0.95) count and a slightly skewed estimator we accept
    // coverage in [0.90, 0.99].
    let (lambda, mu, t): (f64, f64, f64) = (0.1, 1.0, 100.0);
    let truth = mu / (lambda + mu)
        + lambda / ((lambda + mu).powi(2) * t) * (1.0 - (-(lambda + mu) * t).exp());
    let mut scenario = scenario(
        r#"{"horizon": "100h", "replications": 30,
            "topology": {"nodes": [{"id": "n1"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["n1"]}],
            "faults": {"node_failures": [{"ttf": {"exp": {"mean": "10h"}}, "ttr": {"exp": {"mean": "1h"}}}]}}"#,
    );
    let mut covered = 0;
    for seed in 0..200 {
        scenario.seed = seed;
        let run = run_study(&scenario, &RunOptions::default(), |_| {}, |_| {}).unwrap();
        let availability = &Summary::new(&run.study).services[0].availability;
        covered += usize::from(availability.ci95_low <= truth && truth <= availability.ci95_high);
    }
    let coverage = covered as f64 / 200.0;
    assert!((0.90..=0.99).contains(&coverage), "coverage {coverage}");
}

#[test]
fn every_strategy_sees_the_same_fault_trace() {
    let loaded = load_str_with_model(
        r#"{"horizon": "30d", "replications": 3,
            "topology": {"generators": [{"regions": {"regions": 2, "zones": 2, "nodes": 2}}]},
            "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "placement": {"count": 4}}],
            "faults": {"node_failures": [{"ttf": {"exp": {"mean": "3d"}}, "ttr": {"exp": {"mean": "2h"}}}],
                       "zone_outages": [{"interarrival": {"exp": {"mean": "10d"}}, "duration": {"const": "1h"}}]}}"#,
        Path::new("test.json"),
    )
    .unwrap();
    for replication in 0..3 {
        let traces: Vec<_> = StrategyName::ALL
            .iter()
            .map(|&strategy| {
                node_transitions(
                    &variant(&loaded.model, &loaded.compiled, strategy).unwrap(),
                    replication,
                )
            })
            .collect();
        assert!(!traces[0].is_empty());
        assert!(traces.iter().all(|trace| trace == &traces[0]));
    }
}

#[test]
fn compare_prints_every_strategy_and_paired_differences() {
    let stdout = String::from_utf8(output(&[
        "compare",
        "scenarios/quickstart.json",
        "--replications",
        "20",
        "--strategies",
        "active_passive,n_way",
    ]))
    .unwrap();
    assert!(
        stdout.contains("ACTIVE_PASSIVE") && stdout.contains("N_WAY"),
        "{stdout}"
    );
    assert!(
        stdout.contains("paired difference from ACTIVE_PASSIVE"),
        "{stdout}"
    );
    let bad = failsim()
        .args([
            "compare",
            "scenarios/quickstart.json",
            "--strategies",
            "hot_standby",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
