//! `failsim explain` and `run --check-determinism`: a replication's faults made
//! concrete replay it exactly; a study that repeats passes its determinism check.

use crate::common::failsim;
use std::path::Path;

/// Every fault kind that draws at random: failure processes, zone outages, random
/// partitions (a process and a scheduled one), bursts, pauses, a dependency, random
/// crashes, an overload cascade; and the scheduled faults that do not draw, with drawn durations.
const EVERY_KIND: &str = r#"{
  "horizon": "20d", "replications": 4, "seed": 11,
  "topology": {"nodes": [
    {"id": "a1", "region": "east", "zone": "east-a"}, {"id": "a2", "region": "east", "zone": "east-b"},
    {"id": "a3", "region": "east", "zone": "east-c"}, {"id": "b1", "region": "west", "zone": "west-a"},
    {"id": "b2", "region": "west", "zone": "west-b"}, {"id": "c1", "region": "west", "zone": "west-b"}]},
  "services": [
    {"name": "kv", "strategy": "N_WAY", "replicas": ["a1", "a2", "a3", "b1", "b2"]},
    {"name": "web", "strategy": "ACTIVE_ACTIVE", "replicas": ["a1", "b1", "c1"], "demand": 2.5,
     "active_active": {"overload_cascade": {"mean_time_to_fail": "2h", "repair": {"exp": {"mean": "30m"}}}}},
    {"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["b2", "a2"]}
  ],
  "faults": {
    "node_failures": [{"ttf": {"exp": {"mean": "4d"}}, "ttr": {"exp": {"mean": "3h"}}}],
    "zone_outages": [{"targets": ["east-b"], "interarrival": {"exp": {"mean": "6d"}}, "duration": {"exp": {"mean": "1h"}}}],
    "random_partitions": [{"interarrival": {"exp": {"mean": "3d"}}, "duration": {"exp": {"mean": "2h"}}, "groups": 3},
      {"interarrival": {"exp": {"mean": "4d"}}, "duration": {"exp": {"mean": "2h"}}, "shape": "majorities_ring", "scope": {"service": "kv"}},
      {"interarrival": {"exp": {"mean": "4d"}}, "duration": {"exp": {"mean": "2h"}}, "shape": {"any_split": {"groups": 3}}, "scope": {"service": "kv"}}],
    "bursts": [{"interarrival": {"exp": {"mean": "7d"}}, "size": 2, "ttr": {"exp": {"mean": "1h"}}}],
    "dependencies": [{"node": "c1", "depends_on": "b1", "probability": 0.7, "delay": "30s"}],
    "pauses": [{"interarrival": {"exp": {"mean": "5d"}}, "duration": {"exp": {"mean": "30m"}}}],
    "scheduled": [
      {"at": "2d", "duration": {"exp": {"mean": "1h"}}, "fault": {"crash_random": {"count": 2}}},
      {"at": "5d", "duration": {"uniform": {"min": "10m", "max": "1h"}}, "fault": {"random_partition": {"groups": 2}}},
      {"at": "6d", "duration": {"const": "2h"}, "fault": {"cut_link": {"from": "a1", "to": "b1"}}},
      {"at": "8d", "duration": {"const": "1h"}, "fault": {"byzantine": {"nodes": ["a3"]}}},
      {"at": "9d", "fault": {"gray": {"nodes": ["a2"]}}, "duration": {"exp": {"mean": "20m"}}},
      {"at": "10d", "duration": {"const": "1h"}, "fault": {"isolate": {"nodes": ["b2"]}}},
      {"at": "11d", "duration": {"const": "1h"}, "fault": {"random_partition": {"shape": "bridge", "scope": {"service": "kv"}}}},
      {"at": "12d", "duration": {"exp": {"mean": "10m"}}, "fault": {"pause": {"nodes": ["a1"]}}}
    ]
  }
}"#;

/// What a replication lived through, as in its trace: nodes down and up, each service's
/// state per vantage, each failover's outcome and timing — sorted, so that two happenings
/// of one instant compare equal whichever was written first.
fn lived_through(trace: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(trace).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let e: serde_json::Value = serde_json::from_str(line).unwrap();
            let keep: &[&str] = match e["event"].as_str().unwrap() {
                "node_down" | "node_up" => &["t", "event", "node"],
                "service_state" => &["t", "service", "vantage", "state"],
                "failover" => &[
                    "t",
                    "service",
                    "outcome",
                    "from",
                    "to",
                    "fault_at",
                    "completed_at",
                ],
                _ => return None,
            };
            Some(
                keep.iter()
                    .map(|k| e[*k].to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect();
    lines.sort();
    lines
}

fn run_trace(scenario: &Path, replication: u64, trace: &Path) {
    let output = failsim()
        .arg("run")
        .arg(scenario)
        .args(["--trace-replication", &replication.to_string(), "--trace"])
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn explained_faults_replay_the_replication_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("every-kind.json");
    std::fs::write(&scenario, EVERY_KIND).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for replication in 0..4 {
        let replay = dir.path().join(format!("replay-{replication}.json"));
        let output = failsim()
            .arg("explain")
            .arg(&scenario)
            .args(["--replication", &replication.to_string(), "--emit-scenario"])
            .arg(&replay)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The printed list is what the emitted scenario schedules.
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let emitted: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&replay).unwrap()).unwrap();
        assert_eq!(printed, emitted["faults"]["scheduled"]);
        for fault in printed.as_array().unwrap() {
            let kind = fault["fault"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            // Every draw is concrete: times and lengths, never a distribution but const.
            assert!(fault["at"].is_string(), "{fault}");
            assert!(
                fault["duration"].is_null() || fault["duration"]["const"].is_string(),
                "{fault}"
            );
            kinds.insert(kind);
        }
        let (original, replayed) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        run_trace(&scenario, replication, &original);
        run_trace(&replay, replication, &replayed);
        let (original, replayed) = (lived_through(&original), lived_through(&replayed));
        assert!(
            original.len() > 100,
            "replication {replication}: {}",
            original.len()
        );
        assert_eq!(original, replayed, "replication {replication}");
    }
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    assert_eq!(
        kinds,
        [
            "bridge",
            "byzantine",
            "crash",
            "cut_link",
            "gray",
            "isolate",
            "majorities_ring",
            "partition",
            "pause"
        ]
    );
}

#[test]
fn explain_refuses_a_replication_beyond_the_study() {
    let output = failsim()
        .args([
            "explain",
            "scenarios/quickstart.json",
            "--replication",
            "200",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("--replication 200 is beyond the scenario's 200 replications"));
}

#[test]
fn a_study_that_repeats_passes_its_determinism_check_and_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let output = failsim()
        .args([
            "run",
            "scenarios/seed-defaults.json",
            "--replications",
            "30",
            "--threads",
            "3",
        ])
        .arg("--check-determinism")
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "determinism check passed: runs with 3 threads, 3 threads again, 1 thread and 2 \
             shards merged through shard files agree on every replication (30 of them)"
        ),
        "{err}"
    );
    assert!(json.exists());
    let refused = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--check-determinism",
            "--shard",
            "1/2",
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}
