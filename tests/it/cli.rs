//! The command line end to end: the README commands, determinism, bad input, the schema.

use crate::common::{failsim, run_json};
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") && !is_risk_file(&path) {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("scenarios"), &mut files);
    files
}

/// Risk assessments (for `failsim plan`) live beside scenarios but are not scenarios.
fn is_risk_file(path: &Path) -> bool {
    failsim::plan::is_risk_file(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn the_readme_quickstart_prints_a_summary() {
    let output = failsim()
        .args(["run", "scenarios/quickstart.json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("ACTIVE_PASSIVE"), "{stdout}");
    assert!(stdout.contains("availability"), "{stdout}");
}

#[test]
fn same_seed_gives_byte_identical_json_and_another_seed_differs() {
    let args = ["run", "scenarios/quickstart.json", "--replications", "40"];
    let first = run_json(&args);
    let second = run_json(&args);
    assert_eq!(first, second);
    let other = run_json(&[&args[..], &["--seed", "7"]].concat());
    assert_ne!(first, other);
}

#[test]
fn thread_count_does_not_change_the_bytes() {
    let args = ["run", "scenarios/quickstart.json", "--replications", "60"];
    let one = run_json(&[&args[..], &["--threads", "1"]].concat());
    let four = run_json(&[&args[..], &["--threads", "4"]].concat());
    assert_eq!(one, four);
}

#[test]
fn every_shipped_scenario_validates_against_the_schema_and_runs() {
    let schema_output = failsim().arg("schema").output().unwrap();
    assert!(schema_output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&schema_output.stdout).unwrap();
    let validator =
        jsonschema::validator_for(&schema).expect("the printed schema is a valid JSON Schema");
    let files = scenario_files();
    assert!(files.iter().any(|f| f.ends_with("quickstart.json")));
    for file in files {
        let instance: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        let output = failsim()
            .args([
                "run",
                file.to_str().unwrap(),
                "--replications",
                "2",
                "--json",
                "-",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Runs `failsim run` on a broken scenario with --json pointing at a fresh path.
fn bad_run(text: &str) -> (i32, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("broken.json");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out.json");
    let output = failsim()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--json",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count() > 1;
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        out.exists() || leftovers,
    )
}

const GOOD: &str = r#"{
  "horizon": "1d",
  "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
  "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}]
}"#;

#[test]
fn bad_input_exits_2_naming_path_and_line_and_writes_nothing() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            GOOD.replace(r#""horizon": "1d","#, r#""horizon": "1d""#),
            "broken.json:3:",
            "expected",
        ),
        (
            GOOD.replace(r#""name": "s""#, r#""name": "s", "replica": []"#),
            "services[0]",
            "unknown field `replica`",
        ),
        (
            GOOD.replace(r#""horizon": "1d""#, r#""horizon": true"#),
            "horizon",
            "duration",
        ),
        (
            GOOD.replace(r#"["a", "b", "c"]"#, r#"["a", "b", "x"]"#),
            "services[0].replicas[2]",
            "unknown node id `x`",
        ),
        (
            GOOD.replace(
                r#""replicas": ["a", "b", "c"]"#,
                r#""replicas": ["a", "b", "c"], "n_way": {"quorum": 4}"#,
            ),
            "services[0].n_way.quorum",
            "impossible",
        ),
    ];
    for (text, path, message) in cases {
        let (code, stderr, wrote) = bad_run(&text);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(path), "expected `{path}` in: {stderr}");
        assert!(
            stderr.contains(message),
            "expected `{message}` in: {stderr}"
        );
        assert!(stderr.contains("broken.json:"), "no file:line in {stderr}");
        assert!(!wrote, "an output file was written for {stderr}");
    }
}

#[test]
fn validate_reports_every_problem_at_once_with_line_and_column() {
    let text = GOOD
        .replace(r#"["a", "b", "c"]"#, r#"["a", "b", "x"]"#)
        .replace(r#""horizon": "1d","#, "")
        .replace(r#"{"id": "c"}"#, r#"{"id": "c", "capacity": -1}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(&file, text).unwrap();
    let output = failsim()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("horizon is missing"), "{stderr}");
    assert!(
        stderr.contains("broken.json:3:76: at topology.nodes[2].capacity"),
        "{stderr}"
    );
    assert!(
        stderr.contains("broken.json:4:74: at services[0].replicas[2]"),
        "{stderr}"
    );
}

#[test]
fn a_failing_check_exits_1_a_passing_one_0_and_a_malformed_one_2() {
    let run = |check: &str| {
        failsim()
            .args([
                "run",
                "scenarios/quickstart.json",
                "--replications",
                "10",
                "--check",
                check,
            ])
            .output()
            .unwrap()
    };
    let failing = run("availability>=0.9999999");
    assert_eq!(failing.status.code(), Some(1));
    let stderr = String::from_utf8(failing.stderr).unwrap();
    assert!(
        stderr.contains("FAIL") && stderr.contains("95% CI"),
        "{stderr}"
    );
    assert_eq!(run("availability>=0.9").status.code(), Some(0));
    assert_eq!(run("availability>>0.9").status.code(), Some(2));
}

#[test]
fn a_check_naming_an_unknown_service_is_refused_before_any_work_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let csv = dir.path().join("csv");
    for command in ["run", "compare"] {
        let output = failsim()
            .args([
                command,
                "scenarios/quickstart.json",
                "--check",
                "dbb.availability>=0.9",
            ])
            .arg("--json")
            .arg(&json)
            .arg("--csv")
            .arg(&csv)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(
                "--check: check `dbb.availability>=0.9` names service `dbb`, which the \
                 scenario does not have; did you mean `db`?"
            ),
            "{command}: {stderr}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{command}"
        );
    }
    let output = failsim()
        .args(["recommend", "scenarios/quickstart.json"])
        .args(["--slo", "api.availability>=0.9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--slo: check `api.availability>=0.9` names service `api`"),
        "{stderr}"
    );
}

#[test]
fn an_output_onto_the_scenario_file_is_refused_under_any_of_its_names() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.json");
    std::fs::copy("scenarios/quickstart.json", &scenario).unwrap();
    let original = std::fs::read(&scenario).unwrap();
    std::os::unix::fs::symlink(&scenario, dir.path().join("alias.json")).unwrap();
    let through_dot = dir.path().join(".").join("scenario.json");
    for flag in ["--json", "--trace", "--timeline"] {
        for output in [
            scenario.clone(),
            dir.path().join("alias.json"),
            through_dot.clone(),
        ] {
            let result = failsim()
                .args(["run", "--replications", "2"])
                .arg(&scenario)
                .arg(flag)
                .arg(&output)
                .output()
                .unwrap();
            let stderr = String::from_utf8(result.stderr).unwrap();
            assert_eq!(result.status.code(), Some(2), "{flag} {output:?}: {stderr}");
            assert!(
                stderr.contains(&format!("{flag} {}", output.display()))
                    && stderr.contains(&format!("the input file {}", scenario.display())),
                "{stderr}"
            );
        }
    }
    assert_eq!(std::fs::read(&scenario).unwrap(), original);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn a_dangling_symbolic_link_given_as_output_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("summary-1.json", &link).unwrap();
    let output = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "2",
            "--json",
        ])
        .arg(&link)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(dir.path().join("summary-1.json")).unwrap();
    assert!(written.contains("\"scenario_hash\""), "{written}");
}

#[test]
fn hostile_names_reach_neither_the_terminal_nor_a_spreadsheet_as_commands() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/quickstart.json")
        .unwrap()
        .replace("\"db1\"", "\"=HYPERLINK(1)\"")
        .replace(
            "\"name\": \"db\"",
            "\"name\": \"@\\u001b]0;pwned\\u0007db\"",
        );
    let scenario = dir.path().join("hostile.json");
    std::fs::write(&scenario, text).unwrap();
    let csv = dir.path().join("csv");
    let output = failsim()
        .arg("run")
        .arg(&scenario)
        .args(["--replications", "5", "--csv"])
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("@\\u{1b}]0;pwned\\u{7}db"), "{stdout}");
    let failovers = std::fs::read_to_string(csv.join("failovers.csv")).unwrap();
    assert!(failovers.contains("'=HYPERLINK(1)"), "{failovers}");
    let mut rows = csv::Reader::from_path(csv.join("replications.csv")).unwrap();
    for row in rows.records() {
        let row = row.unwrap();
        assert!(row[1].starts_with("'@"), "{row:?}");
        for number in [0, 3, 4, 5, 6, 7, 8, 9] {
            row[number].parse::<f64>().unwrap();
        }
    }
    // Messages too: an unknown service named with an escape sequence in --check.
    let output = failsim()
        .arg("run")
        .arg(&scenario)
        .args(["--check", "x\u{1b}[2J.availability>=0.9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && stderr.contains("x\\u{1b}[2J"),
        "{stderr:?}"
    );
}

#[test]
fn overrides_that_ask_for_centuries_of_work_are_refused_before_running() {
    let output = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--horizon",
            "500y",
            "--replications",
            "100000000",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("command-line overrides") && stderr.contains("beyond the limit"),
        "{stderr}"
    );
}

#[test]
fn output_paths_of_the_wrong_kind_are_refused_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let a_file = dir.path().join("results.csv");
    std::fs::write(&a_file, "kept").unwrap();
    let a_directory = dir.path().join("empty");
    std::fs::create_dir(&a_directory).unwrap();
    let run = |flag: &str, path: &Path| {
        failsim()
            .args(["run", "scenarios/quickstart.json", flag])
            .arg(path)
            .output()
            .unwrap()
    };
    for (flag, path, message) in [
        ("--csv", &a_file, "exists and is not a directory"),
        ("--plot", &a_file, "exists and is not a directory"),
        ("--json", &a_directory, "is a directory, not a file"),
    ] {
        let output = run(flag, path);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(message), "{flag}: {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&a_file).unwrap(), "kept");
    assert_eq!(std::fs::read_dir(&a_directory).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn a_reader_that_goes_away_is_no_panic_and_the_checks_still_decide_the_exit_code() {
    // `failsim run … | head -0`: stdout is a pipe whose reader is already gone.
    let run = |check: &str, extra: &[&str]| {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = failsim()
            .args(["run", "scenarios/quickstart.json", "--check", check])
            .args(extra)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        output.status.code()
    };
    assert_eq!(run("availability>=0.9", &[]), Some(0));
    assert_eq!(run("availability>=0.99999", &[]), Some(1));
    assert_eq!(run("availability>=0.9", &["--json", "-"]), Some(0));
    assert_eq!(run("availability>=0.9", &["--trace", "-"]), Some(0));
}

#[test]
fn a_file_output_on_stdout_has_stdout_to_itself() {
    let run = |args: &[&str]| {
        failsim()
            .args(["run", "scenarios/quickstart.json", "--replications", "2"])
            .args(args)
            .output()
            .unwrap()
    };
    let trace = run(&["--trace", "-"]);
    assert_eq!(trace.status.code(), Some(0));
    let text = String::from_utf8(trace.stdout).unwrap();
    assert!(!text.is_empty());
    for line in text.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            event["t"].is_number() && event["event"].is_string(),
            "{line}"
        );
    }
    let timeline = run(&["--timeline", "-"]);
    assert_eq!(timeline.status.code(), Some(0));
    let chrome: serde_json::Value = serde_json::from_slice(&timeline.stdout).unwrap();
    assert!(chrome["traceEvents"].is_array());
    let both = run(&["--trace", "-", "--json", "-"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(both.stdout.is_empty());
    assert!(String::from_utf8(both.stderr)
        .unwrap()
        .contains("only one of them can write to standard output"));
}

#[test]
fn one_replication_is_said_to_give_no_interval() {
    let stderr_with = |replications: &str| {
        let output = failsim()
            .args([
                "run",
                "scenarios/quickstart.json",
                "--replications",
                replications,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8(output.stderr).unwrap()
    };
    assert!(stderr_with("1").contains("one replication gives no confidence interval"));
    assert!(!stderr_with("2").contains("confidence interval"));
}

#[test]
fn a_thread_count_no_machine_has_is_refused_before_starting_threads() {
    for threads in ["0", "100000"] {
        let output = failsim()
            .args(["run", "scenarios/quickstart.json", "--threads", threads])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "--threads {threads}");
        assert!(String::from_utf8(output.stderr)
            .unwrap()
            .contains("--threads must be between 1 and 1024"));
    }
}

#[test]
fn compare_counts_every_strategy_in_its_work_estimate() {
    // About 4,900 node changes per 100-year replication, each waking the service: 11 ms
    // of expected CPU time. 2 × 10^6 replications fit the 8.3 CPU-hour limit once (6.2),
    // not four times. A regression would start that run: give it seconds, then kill it.
    let mut child = failsim()
        .args(["compare", "scenarios/quickstart.json", "--horizon", "100y"])
        .args(["--replications", "2000000"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("compare started 4 × 2e6 replications of 100 years instead of refusing them");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("with 4 strategies"), "{stderr}");
}

/// Two real shard files of the quickstart (25 replications), as JSON values to edit.
fn quickstart_shards(dir: &Path) -> [serde_json::Value; 2] {
    ["1/2", "2/2"].map(|shard| {
        let part = dir.join(format!("part{}.json", &shard[..1]));
        let output = failsim()
            .args(["run", "scenarios/quickstart.json", "--replications", "25"])
            .args(["--shard", shard, "--json"])
            .arg(&part)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        serde_json::from_slice(&std::fs::read(&part).unwrap()).unwrap()
    })
}

#[test]
fn a_damaged_shard_is_refused_naming_the_file_and_the_path_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let [first, second] = quickstart_shards(dir.path());
    assert_eq!(first["format_version"], 3);
    type Damage = fn(&mut serde_json::Value);
    let damages: [(&str, Damage, &str); 6] = [
        (
            "more replications with an outage than replications",
            |v| v["study"]["services"][0]["with_outage"] = 57.into(),
            ".study.services[0].with_outage: 57 replications had an outage out of 13",
        ),
        (
            "a duplicated replication index",
            |v| {
                let folded = v.pointer_mut("/study/services/0/folded").unwrap();
                folded
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!([20, 22]));
            },
            ".study.services[0].folded[1]: replication 20 appears twice",
        ),
        (
            "a truncated array",
            |v| {
                let folded = v.pointer_mut("/study/services/1/folded").unwrap();
                folded.as_array_mut().unwrap().pop();
            },
            ".study.services[1].folded: lists other replications",
        ),
        (
            "a version from the future",
            |v| v["format_version"] = 99.into(),
            ".format_version: shard format version 99 is not supported",
        ),
        (
            "no version",
            |v| {
                v.as_object_mut().unwrap().remove("format_version");
            },
            "it has no `format_version`",
        ),
        (
            "another scenario",
            |v| v["scenario_hash"] = "0000000000000000".into(),
            "not a shard of the same run",
        ),
    ];
    // The quickstart has one service: give the truncation a second one to differ from.
    let mut two_services = second.clone();
    let service = two_services["study"]["services"][0].clone();
    two_services["study"]["services"]
        .as_array_mut()
        .unwrap()
        .push(service);
    for (what, damage, message) in damages {
        let mut damaged = if what == "a truncated array" {
            two_services.clone()
        } else {
            second.clone()
        };
        damage(&mut damaged);
        let (good, bad) = (dir.path().join("part1.json"), dir.path().join("part2.json"));
        std::fs::write(&good, first.to_string()).unwrap();
        std::fs::write(&bad, damaged.to_string()).unwrap();
        let out = dir.path().join("merged.json");
        let output = failsim()
            .arg("merge")
            .args([&good, &bad])
            .arg("--json")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(
            stderr.contains(&bad.display().to_string()),
            "{what}: {stderr}"
        );
        assert!(stderr.contains(message), "{what}: {stderr}");
        assert!(!out.exists(), "{what}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "{what}");
    }
}

/// The strategies used to run one after another, each with its own event budget, so a
/// partial comparison could stop them after different replications (and was refused).
/// They now run in lockstep under one budget: a replication counts under every strategy
/// or under none.
#[test]
fn a_partial_compare_stops_every_strategy_after_the_same_replications() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("comparison.json");
    let output = failsim()
        .args([
            "compare",
            "scenarios/quickstart.json",
            "--max-events",
            "2000",
        ])
        .args(["--partial", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("partial result written"), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let done: Vec<u64> = json["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["replications"].as_u64().unwrap())
        .collect();
    assert_eq!(done.len(), 4);
    assert!(done
        .iter()
        .all(|&n| n == json["replications"].as_u64().unwrap()));
    assert!(done[0] >= 1 && done[0] < 1000, "{done:?}");
}

#[test]
fn merge_refuses_an_output_onto_a_shard_and_a_check_on_an_unknown_service_writing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    quickstart_shards(dir.path());
    let parts = [dir.path().join("part1.json"), dir.path().join("part2.json")];
    let before = std::fs::read(&parts[1]).unwrap();
    let onto_a_part = failsim()
        .arg("merge")
        .args(&parts)
        .arg("--json")
        .arg(&parts[1])
        .output()
        .unwrap();
    let stderr = String::from_utf8(onto_a_part.stderr).unwrap();
    assert_eq!(onto_a_part.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("this is the input file"), "{stderr}");
    assert_eq!(std::fs::read(&parts[1]).unwrap(), before);
    let out = dir.path().join("merged.json");
    let unknown = failsim()
        .arg("merge")
        .args(&parts)
        .args(["--check", "dbb.availability>=0.9", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert_eq!(unknown.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `db`?"), "{stderr}");
    assert!(!out.exists());
}
