//! `failsim plan`: the DESIGN §8 rules at every threshold, risk-file validation, and
//! emitted scenarios that validate and run.

use crate::common::failsim;
use failsim::compile::{load_str, load_str_with_model, Loaded};
use failsim::core::ids::{RegionId, ZoneId};
use failsim::plan::risk::RiskFile;
use failsim::plan::{self, emit_scenario_text, is_risk_file};
use failsim::run::{run_study, RunOptions};
use failsim::scenarios::model::StrategyName;
use failsim::scenarios::ScenarioError;
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// One assessment with the score written exactly as given (a JSON literal, not a
/// float printed back), so `0.85` is the number a user would type.
fn risk_text(score: &str, failure_type: &str, dependents: usize, many: u32) -> String {
    let names: Vec<String> = (1..=dependents).map(|i| format!("\"D{i}\"")).collect();
    let mut nodes = vec![format!(
        r#"{{"node": "X", "risk_score": {score}, "failure_type": "{failure_type}", "dependents": [{}]}}"#,
        names.join(", ")
    )];
    for i in 1..=dependents {
        nodes.push(format!(
            r#"{{"node": "D{i}", "risk_score": 0.1, "failure_type": "CRASH"}}"#
        ));
    }
    format!(
        r#"{{"settings": {{"many_dependents": {many}}}, "risk_assessments": [{}]}}"#,
        nodes.join(", ")
    )
}

fn strategy_for(score: &str, failure_type: &str, dependents: usize) -> StrategyName {
    let text = risk_text(score, failure_type, dependents, 3);
    let risk = plan::load_str(&text, Path::new("risk.json")).expect("a valid risk file");
    plan::plan(&risk, "risk").nodes[0].strategy
}

#[test]
fn every_threshold_boundary_picks_the_documented_strategy() {
    use StrategyName::*;
    // (score, failure type, dependents, strategy); "many dependents" is 3 or more.
    let table = [
        ("1.0", "BYZANTINE", 0, NWay),
        ("0.85", "BYZANTINE", 0, NWay),
        ("0.85", "CRASH", 0, ActiveActive),
        ("0.85", "OMISSION", 3, ActiveActive),
        ("0.8499999", "BYZANTINE", 0, ActivePassive),
        ("0.8499999", "BYZANTINE", 3, ActiveActive),
        ("0.8499999", "CRASH", 2, ActivePassive),
        ("0.7", "CRASH", 3, ActiveActive),
        ("0.70", "TIMING", 2, ActivePassive),
        ("0.7", "BYZANTINE", 0, ActivePassive),
        ("0.6999999", "CRASH", 3, ActivePassive),
        ("0.6999999", "CRASH", 0, ActivePassive),
        ("0.5", "CRASH", 5, ActivePassive),
        ("0.50", "BYZANTINE", 0, ActivePassive),
        ("0.4999999", "CRASH", 5, Geographic),
        ("0.4999999", "BYZANTINE", 0, Geographic),
        ("0", "CRASH", 0, Geographic),
        // The largest doubles below each threshold: no rounding slack anywhere.
        ("0.8499999999999999", "BYZANTINE", 0, ActivePassive),
        ("0.6999999999999998", "CRASH", 3, ActivePassive),
        ("0.49999999999999994", "CRASH", 0, Geographic),
    ];
    for (score, failure_type, dependents, expected) in table {
        assert_eq!(
            strategy_for(score, failure_type, dependents),
            expected,
            "risk {score}, {failure_type}, {dependents} dependents"
        );
    }
}

#[test]
fn the_many_dependents_threshold_comes_from_the_settings() {
    let text = risk_text("0.75", "CRASH", 2, 2);
    let risk = plan::load_str(&text, Path::new("risk.json")).unwrap();
    let node = &plan::plan(&risk, "risk").nodes[0];
    assert_eq!(node.strategy, StrategyName::ActiveActive);
    assert!(
        node.reason.contains("2 dependents (many: ≥ 2)"),
        "{}",
        node.reason
    );
    let default: RiskFile = serde_json::from_str(r#"{"risk_assessments": []}"#).unwrap();
    assert_eq!(default.settings.many_dependents, 3);
}

#[test]
fn every_choice_carries_a_reason_naming_its_rule() {
    let risk = plan::load_file(&repo("scenarios/risk-telecom.json")).unwrap();
    let plan = plan::plan(&risk, "risk-telecom");
    let core1 = &plan.nodes[0];
    assert_eq!(core1.node, "CORE1");
    assert_eq!(core1.strategy, StrategyName::NWay);
    assert_eq!(core1.replicas, 4, "BFT with f = 1 needs 3f+1 replicas");
    assert!(core1.reason.contains("BYZANTINE"), "{}", core1.reason);
    for node in &plan.nodes {
        assert!(
            node.reason.contains(&format!("risk {}", node.risk_score)),
            "{}: {}",
            node.node,
            node.reason
        );
    }
}

#[test]
fn the_shipped_risk_file_reaches_every_rule() {
    let risk = plan::load_file(&repo("scenarios/risk-telecom.json")).unwrap();
    let plan = plan::plan(&risk, "risk-telecom");
    let reasons: Vec<&str> = plan.nodes.iter().map(|n| n.reason.as_str()).collect();
    let rule = |strategy: StrategyName, text: &str| {
        plan.nodes
            .iter()
            .any(|n| n.strategy == strategy && n.reason.contains(text))
    };
    assert!(rule(StrategyName::NWay, "BYZANTINE"), "{reasons:#?}");
    assert!(rule(StrategyName::ActiveActive, "≥ 0.85"), "{reasons:#?}");
    assert!(rule(StrategyName::ActiveActive, "(many"), "{reasons:#?}");
    assert!(rule(StrategyName::ActivePassive, "(few"), "{reasons:#?}");
    assert!(
        rule(StrategyName::ActivePassive, "[0.5, 0.7)"),
        "{reasons:#?}"
    );
    assert!(rule(StrategyName::Geographic, "< 0.5"), "{reasons:#?}");
    let core1 = &plan.nodes[0];
    assert_eq!(core1.dependents, ["EDGE1", "EDGE2"]);
    assert_eq!(core1.risk_score, 0.9);
}

#[test]
fn risk_file_problems_are_all_reported_with_path_and_position() {
    let text = r#"{
  "risk_assessments": [
    {"node": "CORE1", "risk_score": 1.2, "failure_type": "BYZANTINE",
     "dependents": ["EDGE1", "EDGE9"], "cascade_risk": -0.1},
    {"node": "EDGE1", "risk_score": 0.5, "failure_type": "CRASH", "dependents": ["EDGE1"]}
  ]
}"#;
    let error = plan::load_str(text, Path::new("risk.json")).unwrap_err();
    let ScenarioError::Invalid { diagnostics, .. } = &error else {
        panic!("{error}");
    };
    let found: Vec<(&str, usize, usize)> = diagnostics
        .iter()
        .map(|d| (d.path.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        found,
        [
            ("risk_assessments[0].risk_score", 3, 37),
            ("risk_assessments[0].dependents[1]", 4, 30),
            ("risk_assessments[0].cascade_risk", 4, 56),
            ("risk_assessments[1].dependents[0]", 5, 82),
        ]
    );
    let message = error.to_string();
    assert!(
        message
            .contains("risk.json:4:30: at risk_assessments[0].dependents[1]: unknown node `EDGE9`"),
        "{message}"
    );
    assert!(message.contains("own dependent"), "{message}");
}

#[test]
fn unknown_fields_and_types_are_reported_at_their_position() {
    let text = "{\"risk_assessments\": [\n  {\"node\": \"A\", \"risk_score\": 0.5, \"failure_type\": \"CRASH\", \"criticallity\": \"HIGH\"}\n]}";
    let message = plan::load_str(text, Path::new("r.json"))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("r.json:2:")
            && message.contains("at risk_assessments[0].criticallity: unknown field"),
        "{message}"
    );
    let text =
        r#"{"risk_assessments": [{"node": "A", "risk_score": 0.5, "failure_type": "FLAKY"}]}"#;
    let message = plan::load_str(text, Path::new("r.json"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("risk_assessments[0].failure_type: unknown variant `FLAKY`"),
        "{message}"
    );
}

#[test]
fn an_emitted_scenario_validates_and_runs() {
    let risk = plan::load_file(&repo("scenarios/risk-telecom.json")).unwrap();
    let plan = plan::plan(&risk, "risk-telecom");
    let text = emit_scenario_text(&plan, Path::new("telecom-plan.json")).unwrap();
    let Loaded {
        model,
        compiled: mut scenario,
    } = load_str_with_model(&text, Path::new("telecom-plan.json")).unwrap();
    assert_eq!(scenario.services.len(), plan.nodes.len());
    for (service, node) in scenario.services.iter().zip(&plan.nodes) {
        assert_eq!(service.name, node.node);
        assert_eq!(service.strategy.name(), node.strategy);
        assert_eq!(service.replicas.len() as u32, node.replicas);
    }
    let core1 = &model.services[0];
    assert!(core1.n_way.bft, "a Byzantine node gets a BFT quorum");
    assert_eq!(
        core1.replicas,
        ["CORE1-r1", "CORE1-r2", "CORE1-r3", "CORE1-r4"]
    );
    let topology = &scenario.topology;
    for service in &scenario.services {
        let regions: std::collections::BTreeSet<RegionId> = service
            .replicas
            .iter()
            .map(|&r| topology.nodes[r.index()].region)
            .collect();
        let zones: std::collections::BTreeSet<ZoneId> = service
            .replicas
            .iter()
            .map(|&r| topology.nodes[r.index()].zone)
            .collect();
        if service.strategy.name() == StrategyName::Geographic {
            assert_eq!(regions.len(), 2, "{}", service.name);
        } else {
            assert_eq!(regions.len(), 1, "{}", service.name);
            assert!(zones.len() >= 2, "{} spreads over zones", service.name);
        }
    }
    // EDGE1 and EDGE2 depend on CORE1 with its cascade risk, replica by replica.
    let cascades: Vec<(String, String, f64)> = model
        .faults
        .dependencies
        .iter()
        .filter(|d| d.depends_on.starts_with("CORE1-"))
        .map(|d| (d.node.clone(), d.depends_on.clone(), d.probability))
        .collect();
    assert_eq!(
        cascades,
        [
            ("EDGE1-r1".to_string(), "CORE1-r1".to_string(), 0.3),
            ("EDGE1-r2".into(), "CORE1-r2".into(), 0.3),
            ("EDGE1-r3".into(), "CORE1-r3".into(), 0.3),
            ("EDGE2-r1".into(), "CORE1-r1".into(), 0.3),
            ("EDGE2-r2".into(), "CORE1-r2".into(), 0.3),
        ]
    );
    assert_eq!(
        model.faults.node_failures.len(),
        plan.nodes.len(),
        "every node with a risk fails now and then"
    );
    scenario.replications = 8;
    let study = run_study(&scenario, &RunOptions::default(), |_| {}, |_| {})
        .unwrap()
        .study;
    assert_eq!(study.services.len(), plan.nodes.len());
    assert!(study.services.iter().all(|s| s.done == 8));
    let failures: u64 = study
        .services
        .iter()
        .flat_map(|s| s.failovers_by_outcome.values())
        .sum();
    assert!(failures > 0, "a year of risky nodes brings failovers");
}

#[test]
fn replica_ids_never_clash_even_when_node_ids_look_like_replica_ids() {
    // `X-rN` splits uniquely at its last `-r` followed by digits, so no two
    // (node, index) pairs give the same id.
    let text = r#"{"risk_assessments": [
        {"node": "A", "risk_score": 0.6, "failure_type": "CRASH"},
        {"node": "A-r1", "risk_score": 0.9, "failure_type": "CRASH"},
        {"node": "A-r", "risk_score": 0.6, "failure_type": "CRASH"}]}"#;
    let risk = plan::load_str(text, Path::new("r.json")).unwrap();
    let plan = plan::plan(&risk, "r");
    let text = emit_scenario_text(&plan, Path::new("out.json")).unwrap();
    let scenario = load_str(&text, Path::new("out.json")).unwrap();
    assert_eq!(scenario.topology.len(), 2 + 3 + 2);
}

#[test]
fn risk_files_are_told_apart_from_scenarios_by_their_top_level_key() {
    let mut risk_files = Vec::new();
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if is_risk_file(&text) {
            plan::load_str(&text, &path).unwrap();
            risk_files.push(path.file_name().unwrap().to_string_lossy().into_owned());
        } else {
            load_str(&text, &path).unwrap();
        }
    }
    assert_eq!(risk_files, ["risk-telecom.json"]);
}

#[test]
fn plan_command_prints_the_table_writes_json_and_a_scenario_that_run_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("plan.json");
    let scenario = dir.path().join("telecom-plan.json");
    let output = failsim()
        .arg("plan")
        .arg(repo("scenarios/risk-telecom.json"))
        .arg("--json")
        .arg(&json)
        .arg("--emit-scenario")
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    let header = table.lines().nth(1).unwrap();
    for column in ["node", "risk", "type", "dependents", "strategy", "reason"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("CORE1") && l.contains("N_WAY")),
        "{table}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(written["nodes"][0]["node"], "CORE1");
    assert_eq!(written["nodes"][0]["strategy"], "N_WAY");
    assert_eq!(written["settings"]["many_dependents"], 3);
    let run = failsim()
        .arg("run")
        .arg(&scenario)
        .args(["--replications", "4", "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["services"].as_array().unwrap().len(), 10);
}

#[test]
fn plan_command_rejects_a_bad_risk_file_with_exit_2_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        "{\"risk_assessments\": [\n  {\"node\": \"A\", \"risk_score\": 2, \"failure_type\": \"CRASH\", \"dependents\": [\"B\"]}\n]}",
    )
    .unwrap();
    let emitted = dir.path().join("out.json");
    let output = failsim()
        .arg("plan")
        .arg(&file)
        .arg("--emit-scenario")
        .arg(&emitted)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("bad.json:2:31: at risk_assessments[0].risk_score"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at risk_assessments[0].dependents[0]: unknown node `B`"),
        "{stderr}"
    );
    assert!(!emitted.exists(), "bad input writes nothing");
}

#[test]
fn plan_writes_one_output_to_stdout_at_a_time() {
    let run = |args: &[&str]| {
        failsim()
            .arg("plan")
            .arg(repo("scenarios/risk-telecom.json"))
            .args(args)
            .output()
            .unwrap()
    };
    let json = run(&["--json", "-"]);
    assert_eq!(json.status.code(), Some(0));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(parsed.is_object());
    let both = run(&["--json", "-", "--emit-scenario", "-"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(both.stdout.is_empty());
}

#[test]
fn plan_refuses_a_risk_file_over_the_size_limit_and_an_endless_device() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge-risk.json");
    // A sparse file: 300 MiB long and no disk used; the scenario reader's 64 MiB limit.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(300 * 1024 * 1024)
        .unwrap();
    let emitted = dir.path().join("out.json");
    let started = std::time::Instant::now();
    let output = failsim()
        .arg("plan")
        .arg(&file)
        .arg("--emit-scenario")
        .arg(&emitted)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "huge-risk.json:1:1: at .: the file holds 300 MiB, beyond the limit of 64 MiB for \
             a risk file"
        ),
        "{stderr}"
    );
    assert!(!emitted.exists(), "a refused file writes nothing");
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());

    let started = std::time::Instant::now();
    let output = failsim().args(["plan", "/dev/zero"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "/dev/zero:1:1: at .: a risk file holds one JSON object, `{ ... }`; found byte \
             0x00, which is not text"
        ),
        "{stderr}"
    );
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}
