//! `compare`: a block per service with the strategies as columns, and paired differences
//! from the baseline read in humane units on the terminal and in SI units (fractions,
//! seconds) in the JSON.

use crate::common::failsim;

/// Two services of two nodes each; each loses its first node at 10 s for a minute, in
/// every replication. Detection is exactly 2 s (+2 ns: a 1 ns probe interval). Under
/// ACTIVE_PASSIVE `db` is DOWN for detection + promotion 1 s + re-route 1 s = 4 s and
/// `web` for 2 + 3 + 1 = 6 s; under ACTIVE_ACTIVE each is DEGRADED (not DOWN) for
/// detection + its load-balancer update, 0.5 s and 1 s: 2.5 s and 3 s.
const TWO_SERVICES: &str = r#"{
  "seed": 3, "replications": 3, "horizon": "10m",
  "topology": {"nodes": [
    {"id": "a1", "region": "r", "zone": "z1"}, {"id": "a2", "region": "r", "zone": "z2"},
    {"id": "b1", "region": "r", "zone": "z1"}, {"id": "b2", "region": "r", "zone": "z2"}
  ]},
  "services": [
    {"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["a1", "a2"],
     "detection": {"interval": "1ns", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2},
     "active_passive": {"promotion": {"const": "1s"}, "reroute": {"const": "1s"}},
     "active_active": {"lb_update": {"const": "500ms"}}},
    {"name": "web", "strategy": "ACTIVE_PASSIVE", "replicas": ["b1", "b2"],
     "detection": {"interval": "1ns", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2},
     "active_passive": {"promotion": {"const": "3s"}, "reroute": {"const": "1s"}},
     "active_active": {"lb_update": {"const": "1s"}}}
  ],
  "faults": {"scheduled": [
    {"id": "a1-crash", "at": "10s", "duration": {"const": "1m"}, "fault": {"crash": {"nodes": ["a1"]}}},
    {"id": "b1-crash", "at": "10s", "duration": {"const": "1m"}, "fault": {"crash": {"nodes": ["b1"]}}}
  ]}
}"#;

fn compare(json: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("two.json");
    std::fs::write(&scenario, TWO_SERVICES).unwrap();
    let mut command = failsim();
    command
        .arg("compare")
        .arg(&scenario)
        .args(["--strategies", "active_passive,active_active"]);
    if json {
        command.args(["--json", "-"]);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_table_has_a_block_per_service_with_strategies_as_columns_and_differences_as_downtime() {
    let table = compare(false);
    let lines: Vec<&str> = table.lines().collect();
    let row = |prefix: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no row `{prefix}` in:\n{table}"))
    };
    // Each service's block: a header naming the strategies, its figures as rows.
    let db = row("db  ");
    let web = row("web  ");
    assert!(db < web, "{table}");
    let columns = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .map(String::from)
            .collect()
    };
    assert_eq!(
        columns(lines[db]),
        ["db", "ACTIVE_PASSIVE (baseline)", "ACTIVE_ACTIVE"],
        "{table}"
    );
    let in_block = |start: usize, label: &str| {
        let line = lines[start..]
            .iter()
            .find(|line| line.starts_with(label))
            .unwrap_or_else(|| panic!("no row `{label}` after line {start} in:\n{table}"));
        columns(line)[1..].to_vec()
    };
    assert_eq!(
        in_block(db, "availability (95% CI)"),
        [
            "0.993333 [0.993333, 0.993333]",
            "0.995833 [0.995833, 0.995833]"
        ]
    );
    assert_eq!(
        in_block(db, "lenient availability"),
        ["0.993333", "1.000000"]
    );
    assert_eq!(
        in_block(db, "success rate (95% CI)"),
        ["100.0% [43.9, 100.0]", "100.0% [43.9, 100.0]"]
    );
    assert_eq!(
        in_block(web, "availability (95% CI)"),
        [
            "0.990000 [0.990000, 0.990000]",
            "0.995000 [0.995000, 0.995000]"
        ]
    );
    // A 10-minute horizon: downtime per replication. Strict: 2.5 − 4 s and 3 − 6 s;
    // lenient: DEGRADED counts as up, so all of ACTIVE_PASSIVE's DOWN time; failover
    // time: the same as strict. The baseline has no difference from itself.
    assert!(
        table.contains("Δ rows: paired difference from ACTIVE_PASSIVE (strategy − baseline, 95% CI; downtime per replication, − is less; \"no difference detected\" when the interval holds 0)"),
        "{table}"
    );
    assert_eq!(
        in_block(db, "Δ strict downtime"),
        ["-", "−1.5 s/rep [−1.5, −1.5]"]
    );
    assert_eq!(
        in_block(db, "Δ lenient downtime"),
        ["-", "−4.0 s/rep [−4.0, −4.0]"]
    );
    assert_eq!(
        in_block(db, "Δ failover time"),
        ["-", "−1.5 s [−1.5, −1.5] (3 pairs)"]
    );
    assert_eq!(
        in_block(web, "Δ strict downtime"),
        ["-", "−3.0 s/rep [−3.0, −3.0]"]
    );
    assert_eq!(
        in_block(web, "Δ lenient downtime"),
        ["-", "−6.0 s/rep [−6.0, −6.0]"]
    );
}

/// seed-defaults' `web` behaves alike under ACTIVE_ACTIVE and GEOGRAPHIC (one region):
/// identical figures read as no difference; its `api`, over 10 replications, differs in
/// strict downtime by an interval that holds zero.
#[test]
fn differences_whose_interval_holds_zero_read_no_difference_detected_in_words() {
    let output = failsim()
        .args(["compare", "scenarios/seed-defaults.json"])
        .args([
            "--strategies",
            "active_active,geographic",
            "--replications",
            "10",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = table
        .lines()
        .filter(|line| line.starts_with("Δ strict downtime"))
        .collect();
    assert_eq!(rows.len(), 4, "{table}");
    let cells = |row: &str| -> Vec<String> {
        row.split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .map(String::from)
            .collect()
    };
    assert_eq!(
        cells(rows[0]),
        ["Δ strict downtime", "-", "no difference detected"]
    );
    assert_eq!(
        cells(rows[3]),
        [
            "Δ strict downtime",
            "-",
            "no difference detected: +3.8 h/yr [−1.2, +8.7]"
        ]
    );
}

#[test]
fn the_json_keeps_differences_as_fractions_and_seconds() {
    let comparison: serde_json::Value = serde_json::from_str(&compare(true)).unwrap();
    let differences = comparison["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 2);
    let close = |value: &serde_json::Value, expected: f64| {
        let value = value.as_f64().unwrap();
        assert!((value - expected).abs() < 1e-9, "{value} vs {expected}");
    };
    let db = &differences[0];
    assert_eq!(db["service"], "db");
    assert_eq!(db["strategy"], "ACTIVE_ACTIVE");
    assert_eq!(db["baseline"], "ACTIVE_PASSIVE");
    // Availability gained: 1.5 s (strict) and 4 s (lenient) of a 600 s replication.
    close(&db["availability"]["mean"], 1.5 / 600.0);
    close(&db["availability"]["ci95_low"], 1.5 / 600.0);
    close(&db["lenient_availability"]["mean"], 4.0 / 600.0);
    assert!(db["served_availability"]["mean"].is_number());
    close(&db["failover_time_s"]["mean"], -1.5);
    assert_eq!(db["failover_time_pairs"], 3);
    close(&differences[1]["availability"]["mean"], 3.0 / 600.0);
    close(&differences[1]["failover_time_s"]["mean"], -3.0);
}

/// The paired differences are folded as the strategies run in lockstep (exact sums of
/// the UP nanoseconds' differences, nothing kept per replication): the same bytes for 1
/// and 3 threads, each replication's rows strategy by strategy, and the same interval as
/// the two-pass mean of the per-replication differences read back from
/// `replications.csv` (to 1e-12 of the half-width: the CSV's availabilities are
/// rounded once each, the streamed sums not at all).
#[test]
fn streamed_differences_match_the_replications_and_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let csv = dir.path().join(format!("csv{threads}"));
        let output = failsim()
            .args([
                "compare",
                "scenarios/quickstart.json",
                "--replications",
                "300",
            ])
            .args(["--strategies", "active_passive,n_way", "--threads", threads])
            .args(["--json", "-", "--csv"])
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let rows = std::fs::read_to_string(csv.join("replications.csv")).unwrap();
        (String::from_utf8(output.stdout).unwrap(), rows)
    };
    let (one, rows) = run("1");
    assert_eq!((one.clone(), rows.clone()), run("3"));
    let mut reader = csv::Reader::from_reader(rows.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let strategies: Vec<&str> = records.iter().take(4).map(|r| &r[2]).collect();
    assert_eq!(
        strategies,
        ["ACTIVE_PASSIVE", "N_WAY", "ACTIVE_PASSIVE", "N_WAY"]
    );
    let differences: Vec<f64> = records
        .chunks(2)
        .map(|pair| {
            assert_eq!(pair[0][0], pair[1][0], "one replication's rows together");
            pair[1][3].parse::<f64>().unwrap() - pair[0][3].parse::<f64>().unwrap()
        })
        .collect();
    assert_eq!(differences.len(), 300);
    let n = differences.len() as f64;
    let mean = differences.iter().sum::<f64>() / n;
    let variance = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = failsim::stats::t_quantile_975(299) * (variance / n).sqrt();
    let json: serde_json::Value = serde_json::from_str(&one).unwrap();
    let streamed = &json["differences"][0]["availability"];
    assert_eq!(json["differences"][0]["strategy"], "N_WAY");
    let (low, high) = (
        streamed["ci95_low"].as_f64().unwrap(),
        streamed["ci95_high"].as_f64().unwrap(),
    );
    assert!(half > 0.0);
    assert!((streamed["mean"].as_f64().unwrap() - mean).abs() <= 1e-12 * half);
    assert!(
        (low - (mean - half)).abs() <= 1e-12 * half,
        "{low} vs {}",
        mean - half
    );
    assert!(
        (high - (mean + half)).abs() <= 1e-12 * half,
        "{high} vs {}",
        mean + half
    );
}
