//! Checks end to end: fault-kind scopes (`SERVICE.KIND.METRIC`) on a GEOGRAPHIC service
//! whose figures are hand-computable, the no-data rule, and scopes refused before the run.

use crate::common::failsim;
use std::path::{Path, PathBuf};

/// GEOGRAPHIC `api` over east (primary) and west, demand 2. Region `east` goes down for
/// 10 minutes every 20 minutes after the last one ended (at 20, 50, 80 and 110 minutes
/// of each 2-hour replication). A 1 ns probe interval makes detection exactly
/// 2 · 1 ns + 2 s; the operator confirms 3 s later and, with a TTL of 0, every client
/// follows at once: each region failover takes 5.000000002 s, and so does its outage
/// episode. Node e1 crashes for a minute at 5 minutes: east serves below its demand,
/// an instance ejection that no failover ends (60.5 s episode, ended by recovery).
const GEOGRAPHIC: &str = r#"{
  "seed": 5, "replications": 2, "horizon": "2h",
  "topology": {"nodes": [
    {"id": "e1", "region": "east", "zone": "east-a"},
    {"id": "e2", "region": "east", "zone": "east-b"},
    {"id": "w1", "region": "west", "zone": "west-a"},
    {"id": "w2", "region": "west", "zone": "west-b"}
  ]},
  "services": [{"name": "api", "strategy": "GEOGRAPHIC", "replicas": ["e1", "e2", "w1", "w2"],
    "demand": 2,
    "detection": {"interval": "1ns", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2},
    "failover": {"mode": "SEMI_AUTOMATIC", "confirmation": {"const": "3s"}},
    "geographic": {"primary_region": "east", "dns_ttl": "0s"}}],
  "faults": {
    "region_outages": [{"targets": ["east"], "interarrival": {"const": "20m"}, "duration": {"const": "10m"}}],
    "scheduled": [{"id": "e1-crash", "at": "5m", "duration": {"const": "1m"}, "fault": {"crash": {"nodes": ["e1"]}}}]
  }
}"#;

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("geo.json");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `failsim run` on the scenario with these checks: exit code and stderr.
fn run_checks(scenario: &Path, checks: &[&str]) -> (Option<i32>, String) {
    let mut command = failsim();
    command.arg("run").arg(scenario);
    for check in checks {
        command.args(["--check", check]);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_region_outage_scoped_failover_time_check_passes_and_fails_on_either_side_of_5_s() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), GEOGRAPHIC);
    let (code, stderr) = run_checks(&scenario, &["api.region_outage.failover_time_p99<=5.01s"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr
            .contains("pass: region_outage.failover_time_p99 <= 5.01s [service api]: measured 5s"),
        "{stderr}"
    );
    let (code, stderr) = run_checks(&scenario, &["api.region_outage.failover_time_p99<=4.99s"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr
            .contains("FAIL: region_outage.failover_time_p99 <= 4.99s [service api]: measured 5s"),
        "{stderr}"
    );
}

#[test]
fn kind_scopes_part_region_failovers_from_the_instance_crash() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), GEOGRAPHIC);
    let (code, stderr) = run_checks(
        &scenario,
        &[
            // Four region outages of 5.000000002 s per 2-hour replication: 17,532 a
            // year (of the service's 21,915 with the crash's), each 5 s long.
            "api.region_outage.outages_per_year==17532",
            "api.region_outage.outage_max<=5.01s",
            "api.region_outage.failovers==8",
            // The service as a whole has the crash's 60.5 s episode.
            "api.outage_max<=5.01s",
            "api.crash.outage_max<=61s",
            // The crash's ejection completes 5.5 s after it (a shortfall of capacity
            // is served, so the ejection succeeds): read from the crash alone.
            "api.crash.failover_time_p99<=1h",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    for line in [
        "pass: region_outage.outages_per_year == 17532/yr [service api]: measured 17532/yr",
        "pass: region_outage.outage_max <= 5.01s [service api]: measured 5s",
        "pass: region_outage.failovers == 8 [service api]: measured 8",
        "FAIL: outage_max <= 5.01s [service api]: measured 60.5s",
        "pass: crash.outage_max <= 61s [service api]: measured 60.5s",
        "pass: crash.failover_time_p99 <= 1h [service api]: measured 5.5s",
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
}

#[test]
fn a_fault_kind_the_scenario_lacks_is_refused_before_the_run_by_every_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), GEOGRAPHIC);
    let json = dir.path().join("summary.json");
    let message = "check `api.zone_outage.outage_p99<=1m` names fault kind `zone_outage`, \
                   but the scenario has no fault of that kind; its fault kinds: crash, region_outage";
    for command in ["run", "compare"] {
        let output = failsim()
            .arg(command)
            .arg(&scenario)
            .args(["--check", "api.zone_outage.outage_p99<=1m", "--json"])
            .arg(&json)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains(&format!("--check: {message}")), "{stderr}");
        assert!(!json.exists(), "{command} wrote its summary");
    }
    let output = failsim()
        .arg("recommend")
        .arg(&scenario)
        .args(["--slo", "api.zone_outage.outage_p99<=1m"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("--slo: {message}")), "{stderr}");
    // In the scenario's own `slo` block: a validation error at its JSON path.
    let with_slo = GEOGRAPHIC.replacen(
        r#""seed": 5,"#,
        r#""seed": 5, "slo": ["api.zone_outage.outage_p99<=1m"],"#,
        1,
    );
    let scenario = write(dir.path(), &with_slo);
    let output = failsim().arg("validate").arg(&scenario).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("at slo[0]:"), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn a_kind_scope_on_a_metric_not_broken_down_by_kind_is_refused_listing_what_it_supports() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), GEOGRAPHIC);
    let (code, stderr) = run_checks(&scenario, &["api.region_outage.availability>=0.99"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "`availability` is not broken down by fault kind, so it cannot be scoped to \
             `region_outage`; a SERVICE.KIND scope supports downtime_s_per_year, \
             outages_per_year, outage_mean"
        ),
        "{stderr}"
    );
}
