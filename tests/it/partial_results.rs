//! Partial results (`--partial`) say so: `"complete": false` with the replications done and
//! requested in the JSON, and the stop's exit code (2 for a budget, 130 after Ctrl-C);
//! after Ctrl-C the shown replication is not re-run over an earlier trace.

use crate::common::failsim;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;

fn summary(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_complete_run_says_complete_and_a_partial_one_says_how_far_it_got() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("summary.json");
    let run = |extra: &[&str]| {
        failsim()
            .args(["run", "scenarios/quickstart.json", "--replications", "40"])
            .args(["--threads", "1", "--json"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let complete = run(&[]);
    assert_eq!(complete.status.code(), Some(0));
    let json = summary(&out);
    assert_eq!(json["complete"], true);
    assert_eq!(json["replications"], 40);
    assert_eq!(json["replications_requested"], 40);

    let partial = run(&["--max-events", "2000", "--partial"]);
    let stderr = String::from_utf8_lossy(&partial.stderr);
    assert_eq!(partial.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("partial result written"), "{stderr}");
    let json = summary(&out);
    assert_eq!(json["complete"], false);
    assert_eq!(json["replications_requested"], 40);
    let done = json["replications"].as_u64().unwrap();
    assert!((1..40).contains(&done), "{done} replications");
}

#[test]
fn after_ctrl_c_a_partial_run_writes_its_summary_and_leaves_the_old_trace_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("summary.json");
    let trace = dir.path().join("trace.jsonl");
    std::fs::write(&trace, "an earlier trace\n").unwrap();
    let mut child = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "1000000",
        ])
        .args(["--threads", "1", "--partial", "--json"])
        .arg(&out)
        .arg("--trace")
        .arg(&trace)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: signals a child we spawned and have not reaped.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let json = summary(&out);
    assert_eq!(json["complete"], false);
    assert_eq!(json["replications_requested"], 1_000_000);
    assert!(json["replications"].as_u64().unwrap() > 0);
    assert_eq!(
        std::fs::read_to_string(&trace).unwrap(),
        "an earlier trace\n"
    );
}
