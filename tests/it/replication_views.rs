//! `--trace` and `--timeline`: one replication shown event by event, at the exact
//! instants, within bounded memory, and never half-written.

use crate::common::{failsim, run, scenario};
use failsim::output::timeline::{self, Span};

/// One ACTIVE_PASSIVE service on db1 alone; db1 fails every 10 s of uptime and is
/// repaired after 5 s (`ttf`), so it is down [10,15), [25,30), …, [85,90) of 100 s, and the
/// service with it (detection needs 17 s, so no failover is ever attempted).
fn flapping(ttf: &str, horizon: &str, replications: u32) -> String {
    format!(
        r#"{{
        "horizon": "{horizon}", "replications": {replications},
        "topology": {{"nodes": [
            {{"id": "db1", "zone": "a"}}, {{"id": "mon", "zone": "c", "role": "monitor"}}]}},
        "services": [{{
            "name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1"],
            "detection": {{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"}},
            "active_passive": {{"monitor": "mon", "promotion": {{"const": "2s"}},
                               "reroute": {{"const": "1s"}}}}
        }}],
        "faults": {{"node_failures": [{{"nodes": ["db1"], "ttf": {ttf}, "ttr": {{"const": "5s"}}}}]}}
    }}"#
    )
}

fn bar(row: u32, start_s: f64, end_s: f64) -> Span {
    Span {
        row,
        state: "DOWN",
        start_s,
        end_s,
    }
}

#[test]
fn the_timeline_has_one_bar_per_outage_at_the_exact_instants() {
    let scenario = scenario(&flapping(r#"{"const": "10s"}"#, "100s", 1));
    let recorded = timeline::record(&scenario, 0);
    // Service rows come before node rows.
    assert_eq!(recorded.rows, ["db @ global", "node db1"]);
    let expected: Vec<Span> = (0..6)
        .flat_map(|k| {
            let start = 10.0 + 15.0 * k as f64;
            [bar(0, start, start + 5.0), bar(1, start, start + 5.0)]
        })
        .collect();
    assert_eq!(recorded.spans, expected);
    assert!(!recorded.is_truncated());
    assert_eq!(recorded.recorded_until_s, 100.0);
}

#[test]
fn the_bar_limit_ends_the_recording_and_says_where() {
    let scenario = scenario(&flapping(r#"{"const": "10s"}"#, "100s", 1));
    // At 15 s the node bar then the service bar close (2 bars); at 30 s the node bar is
    // the third: the recording ends there and the service bar still open ends with it.
    let recorded = timeline::record_at_most(&scenario, 0, 3);
    assert!(recorded.is_truncated());
    assert_eq!(recorded.recorded_until_s, 30.0);
    assert_eq!(
        recorded.spans,
        [
            bar(0, 10.0, 15.0),
            bar(1, 10.0, 15.0),
            bar(0, 25.0, 30.0),
            bar(1, 25.0, 30.0)
        ]
    );
}

#[test]
fn the_chrome_trace_names_rows_and_places_bars_in_microseconds() {
    let scenario = scenario(&flapping(r#"{"const": "10s"}"#, "100s", 1));
    let mut bytes = Vec::new();
    timeline::record(&scenario, 0)
        .write_chrome_trace(&mut bytes)
        .unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db @ global", "node db1"]);
    let node_bars: Vec<(f64, f64)> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "node")
        .map(|e| (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap()))
        .collect();
    let expected: Vec<(f64, f64)> = (0..6)
        .map(|k| ((10.0 + 15.0 * k as f64) * 1e6, 5e6))
        .collect();
    assert_eq!(node_bars, expected);
    assert_eq!(trace["otherData"]["truncated"], false);
    assert_eq!(trace["otherData"]["recorded_until_s"], 100.0);
}

#[test]
fn the_trace_lists_each_event_once_at_its_instant_and_is_byte_identical_on_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flapping.json");
    std::fs::write(&file, flapping(r#"{"const": "10s"}"#, "100s", 1)).unwrap();
    let trace_of = |name: &str| {
        let path = dir.path().join(name);
        let output = failsim()
            .arg("run")
            .arg(&file)
            .arg("--trace")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        std::fs::read(path).unwrap()
    };
    let first = trace_of("a.jsonl");
    assert_eq!(first, trace_of("b.jsonl"));
    let lines: Vec<serde_json::Value> = String::from_utf8(first)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let node_events: Vec<(&str, f64)> = lines
        .iter()
        .filter(|l| l["node"] == "db1")
        .map(|l| (l["event"].as_str().unwrap(), l["t"].as_f64().unwrap()))
        .collect();
    let expected: Vec<(&str, f64)> = (0..6)
        .flat_map(|k| {
            let down = 10.0 + 15.0 * k as f64;
            [("node_down", down), ("node_up", down + 5.0)]
        })
        .collect();
    assert_eq!(node_events, expected);
    assert!(lines
        .iter()
        .filter(|l| l["event"] == "node_down")
        .all(|l| l["fault"]["kind"] == "node_failure"));
}

#[test]
fn a_trace_cut_short_by_the_event_budget_is_written_only_with_partial() {
    // Random lifetimes make the two replications differ in length: the budget lets the
    // shorter one complete in the study, but not the longer one traced alone. Replication
    // 0 must be the shorter (the study completes it and stops in replication 1): the first
    // seed for which it is, so that the premise survives any change of random streams.
    let (scenario_text, short, long) = (0..100)
        .find_map(|seed| {
            let text = flapping(r#"{"exp": {"mean": "10s"}}"#, "1000s", 2).replacen(
                '{',
                &format!("{{\"seed\": {seed},"),
                1,
            );
            let compiled = scenario(&text);
            let (short, long) = (run(&compiled, 0).events, run(&compiled, 1).events);
            (short < long).then_some((text, short, long))
        })
        .expect("a seed whose replication 0 is the shorter");
    let budget = (short + long) / 2;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("random.json");
    std::fs::write(&file, &scenario_text).unwrap();
    let trace = dir.path().join("trace.jsonl");
    let run_with = |extra: &[&str]| {
        failsim()
            .arg("run")
            .arg(&file)
            .args(["--max-events", &budget.to_string()])
            .args(["--trace-replication", "1"])
            .arg("--trace")
            .arg(&trace)
            .args(extra)
            .output()
            .unwrap()
    };
    // Without --partial the study itself stops first, and nothing is written.
    let refused = run_with(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!trace.exists());
    // Replication 1 cannot complete alone within the budget either: with --partial its
    // trace is kept as far as it got, and stderr says so.
    let kept = run_with(&["--partial"]);
    let stderr = String::from_utf8(kept.stderr).unwrap();
    // A partial result still exits with the budget's code, so no script takes it for
    // complete.
    assert_eq!(kept.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the trace of replication 1 stopped after {budget} events"
        )) && stderr.contains("partial result written: 1 of 2 replications"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.ends_with('\n'));
    assert!(text
        .lines()
        .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn a_partial_run_with_no_complete_replication_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flapping.json");
    std::fs::write(&file, flapping(r#"{"const": "10s"}"#, "100s", 2)).unwrap();
    let out = dir.path().join("summary.json");
    let output = failsim()
        .arg("run")
        .arg(&file)
        .args(["--max-events", "5", "--partial", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("stopped after 0 complete replications")
            && stderr.contains("there is no result to write"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Nodes b1, a1, b2 in zones b, a, b of one region (the service lives elsewhere, on z1,
/// and never changes); a scheduled crash of b2 at 10 s, then of a1 at 20 s, each 5 s long,
/// and a permanent crash of b1 at 50 s.
const ZONED: &str = r#"{
    "horizon": "60s", "replications": 1,
    "topology": {"nodes": [
        {"id": "b1", "region": "r", "zone": "b"}, {"id": "a1", "region": "r", "zone": "a"},
        {"id": "b2", "region": "r", "zone": "b"}, {"id": "z1", "region": "s", "zone": "z"}]},
    "services": [{"name": "svc", "strategy": "ACTIVE_ACTIVE", "replicas": ["z1"]}],
    "faults": {"scheduled": [
        {"id": "late", "at": "20s", "duration": {"const": "5s"}, "fault": {"crash": {"nodes": ["a1"]}}},
        {"id": "early", "at": "10s", "duration": {"const": "5s"}, "fault": {"crash": {"nodes": ["b2"]}}},
        {"id": "forever", "at": "50s", "fault": {"crash": {"nodes": ["b1"]}}}
    ]}
}"#;

#[test]
fn timeline_rows_group_nodes_by_region_and_zone_and_fault_spans_are_kept() {
    let recorded = timeline::record(&scenario(ZONED), 0);
    // Not in the order they first went down (b2, a1, b1) nor in the topology's (b1, a1,
    // b2): zone by zone, zones in the order the topology names them.
    assert_eq!(recorded.rows, ["node b1", "node b2", "node a1"]);
    assert_eq!(recorded.zones, ["b", "b", "a"]);
    assert!(recorded.is_node_row(0) && !recorded.is_node_row(3));
    let faults: Vec<(&str, f64, f64)> = recorded
        .faults
        .iter()
        .map(|f| (f.name.as_str(), f.start_s, f.end_s))
        .collect();
    // In start order; the permanent crash ends with the recording.
    assert_eq!(
        faults,
        [
            ("early", 10.0, 15.0),
            ("late", 20.0, 25.0),
            ("forever", 50.0, 60.0)
        ]
    );
}
