//! `compare`: rows grouped by service, and paired differences from the baseline read in
//! humane units on the terminal and in SI units (fractions, seconds) in the JSON.

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
fn the_table_groups_strategies_by_service_and_reads_differences_as_downtime() {
    let table = compare(false);
    let lines: Vec<&str> = table.lines().collect();
    let row = |prefix: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no row `{prefix}` in:\n{table}"))
    };
    // One service's strategies on consecutive rows, its name once, a blank line after.
    let db = row("db       ACTIVE_PASSIVE  0.993333");
    assert!(
        lines[db + 1].starts_with("         ACTIVE_ACTIVE   0.995833"),
        "{table}"
    );
    assert_eq!(lines[db + 2], "", "{table}");
    assert!(
        lines[db + 3].starts_with("web      ACTIVE_PASSIVE  0.990000"),
        "{table}"
    );
    assert!(
        lines[db + 4].starts_with("         ACTIVE_ACTIVE   0.995000"),
        "{table}"
    );
    // A 10-minute horizon: downtime per replication. Strict: 2.5 − 4 s and 3 − 6 s;
    // lenient: DEGRADED counts as up, so all of ACTIVE_PASSIVE's DOWN time; failover
    // time: the same as strict.
    assert!(table.contains(
        "paired differences from ACTIVE_PASSIVE (strategy − baseline, same faults in every \
         replication, 95% CI; downtime per replication: − is less downtime):"
    ));
    for line in [
        "service  strategy       strict downtime               lenient downtime              \
         served downtime               failover time",
        "db       ACTIVE_ACTIVE  −1.5 s/rep [−1.5, −1.5] real  −4.0 s/rep [−4.0, −4.0] real",
        "web      ACTIVE_ACTIVE  −3.0 s/rep [−3.0, −3.0] real  −6.0 s/rep [−6.0, −6.0] real",
    ] {
        assert!(table.contains(line), "missing `{line}` in:\n{table}");
    }
    assert!(
        lines[row("db       ACTIVE_ACTIVE  −1.5")].ends_with("−1.5 s [−1.5, −1.5] real (3 pairs)"),
        "{table}"
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
