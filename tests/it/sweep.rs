//! `failsim sweep`: a grid of `--set` values on common random numbers, the tidy CSV and a
//! figure per metric, bad paths and values refused before anything is written.

use crate::common::failsim;
use std::path::Path;

/// A primary that crashes at 13 s for good, probed every `interval` (phase 0, timeout
/// 2 s, 3 failures), promoted in 2 s and re-routed in 1 s, over 100 s.
const CRASH: &str = r#"{
    "horizon": "100s", "replications": 3,
    "topology": {"nodes": [
        {"id": "db1", "zone": "a"}, {"id": "db2", "zone": "b"},
        {"id": "mon", "zone": "c", "role": "monitor"}]},
    "services": [{
        "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
        "detection": {"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                      "healthy_threshold": 2, "phase": "0s"},
        "active_passive": {"monitor": "mon", "promotion": {"const": "2s"},
                           "reroute": {"const": "1s"}}
    }],
    "faults": {"scheduled": [{"at": "13s", "fault": {"crash": {"nodes": ["db1"]}}}]}
}"#;

fn sweep(dir: &Path, args: &[&str]) -> std::process::Output {
    let scenario = dir.join("crash.json");
    std::fs::write(&scenario, CRASH).unwrap();
    failsim()
        .arg("sweep")
        .arg(&scenario)
        .args(args)
        .output()
        .unwrap()
}

/// The `availability` estimates of `sweep.csv`, in row order.
fn availabilities(csv: &str) -> Vec<f64> {
    csv.lines()
        .filter(|line| line.contains(",availability,"))
        .map(|line| line.split(',').nth(3).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn three_detection_intervals_give_a_row_per_point_and_metric_and_a_figure_per_metric() {
    // Probes after the crash at 13 s: every 2 s, known down at 20 s, served at 23 s
    // (10 s down); every 5 s: 15, 20, 25 → 27 → 30 (17 s); every 10 s: 20, 30, 40 →
    // 42 → 45 (32 s). Availability 0.90, 0.83, 0.68: the longer the interval, the lower.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = sweep(
        dir.path(),
        &[
            "--set",
            "services.db.detection.interval=2s,5s,10s",
            "--csv",
            out.to_str().unwrap(),
            "--plot",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("services.db.detection.interval,service,metric,estimate,ci95_low,ci95_high,replications")
    );
    assert_eq!(lines.count(), 3 * 7, "{csv}");
    assert!(
        csv.contains("\n2s,db,availability,0.9,0.9,0.9,3\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n5s,db,availability,0.83,0.83,0.83,3\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n10s,db,availability,0.68,0.68,0.68,3\n"),
        "{csv}"
    );
    assert!(csv.contains("\n10s,db,failover_time_p50,"), "{csv}");
    for metric in ["availability", "success_rate", "failover_time_p99"] {
        let svg = std::fs::read_to_string(out.join(format!("sweep-{metric}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("services.db.detection.interval"));
    }
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains("10s") && table.contains("0.680000"),
        "{table}"
    );
}

#[test]
fn availability_falls_as_the_detection_interval_grows_on_common_random_numbers() {
    // The quickstart's stochastic faults, the same at every point: a slower detector
    // can only lengthen each outage, so availability cannot rise.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = failsim()
        .args(["sweep", "scenarios/quickstart.json", "--replications", "40"])
        .args(["--set", "services.db.detection.interval=1s,5s,15s,60s"])
        .args(["--csv", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let values = availabilities(&std::fs::read_to_string(out.join("sweep.csv")).unwrap());
    assert_eq!(values.len(), 4);
    assert!(values.windows(2).all(|w| w[0] > w[1]), "{values:?}");
}

#[test]
fn a_bad_path_or_value_exits_2_naming_the_path_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for (set, says) in [
        (
            "services.db.detection.intervl=1s,5s",
            "--set `services.db.detection.intervl`: no `intervl` at `services.db.detection`; did you mean `interval`?",
        ),
        ("services.dv.detection.interval=1s", "did you mean `db`?"),
        (
            "services.db.detection.unhealthy_threshold=3,three",
            "--set `services.db.detection.unhealthy_threshold`: `three` is not a number",
        ),
        // A value of the right shape that the file's own checks refuse, located.
        ("services.db.detection.interval=5s,soon", "services[0].detection.interval"),
    ] {
        let output = sweep(dir.path(), &["--set", set, "--csv", out, "--plot", out]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(says), "{set}: {stderr}");
        assert!(!Path::new(out).exists(), "{set} wrote {out}");
    }
}

#[test]
fn the_output_does_not_depend_on_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = |threads: &str| {
        let out = dir.path().join(format!("out{threads}"));
        let output = failsim()
            .args(["sweep", "scenarios/quickstart.json", "--replications", "30"])
            .args(["--set", "services.db.detection.interval=2s,20s"])
            .args(["--set", "services.db.detection.unhealthy_threshold=1,3"])
            .args(["--threads", threads, "--csv", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(out.join("sweep.csv")).unwrap()
    };
    let one = csv("1");
    assert_eq!(one, csv("2"));
    // 2 × 2 points × 7 metrics and the header.
    assert_eq!(String::from_utf8(one).unwrap().lines().count(), 29);
}
