//! YAML scenarios: every shipped scenario has a YAML twin under `scenarios/yaml/` that
//! compiles to the same scenario and runs to the same numbers; YAML problems are placed
//! in the YAML text; `"$schema"` is accepted in both languages.

use crate::common::failsim;
use failsim::compile::{load_file, load_str};
use failsim::scenarios::ScenarioError;
use std::path::{Path, PathBuf};

/// Every shipped scenario (risk files aside) with its YAML twin.
fn twins() -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = Vec::new();
    for (json_dir, yaml_dir) in [
        ("scenarios", "scenarios/yaml"),
        ("scenarios/validation", "scenarios/yaml/validation"),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(json_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| !failsim::plan::is_risk_file(&std::fs::read_to_string(p).unwrap()))
            .collect();
        files.sort();
        for json in files {
            let stem = json.file_stem().unwrap().to_string_lossy().into_owned();
            pairs.push((json, Path::new(yaml_dir).join(format!("{stem}.yaml"))));
        }
    }
    pairs
}

#[test]
fn every_shipped_scenario_has_a_yaml_twin_that_compiles_to_the_same_scenario() {
    let pairs = twins();
    assert!(pairs.len() >= 20, "only {} scenarios", pairs.len());
    for (json, yaml) in pairs {
        let from_json = load_file(&json).unwrap_or_else(|e| panic!("{e}"));
        let mut from_yaml = load_file(&yaml).unwrap_or_else(|e| panic!("{}: {e}", yaml.display()));
        // The hash is of the file's bytes, which differ; everything else is the same.
        assert_ne!(from_yaml.source_hash, from_json.source_hash);
        from_yaml.source_hash.clone_from(&from_json.source_hash);
        assert_eq!(
            format!("{from_yaml:?}"),
            format!("{from_json:?}"),
            "{} differs from {}",
            yaml.display(),
            json.display()
        );
    }
}

#[test]
fn a_yaml_twin_runs_to_the_same_numbers_for_the_same_seed() {
    let run = |file: &str| {
        let output = failsim()
            .args([
                "run",
                file,
                "--replications",
                "40",
                "--seed",
                "7",
                "--json",
                "-",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let hash = summary["scenario_hash"].take();
        assert!(hash.is_string(), "the summary records the scenario's hash");
        summary
    };
    assert_eq!(
        run("scenarios/yaml/quickstart.yaml"),
        run("scenarios/quickstart.json")
    );
}

#[test]
fn the_language_follows_the_extension_or_else_the_text() {
    let yaml = "horizon: 1d\ntopology: {nodes: [{id: a}]}\nservices: [{name: s, strategy: N_WAY, replicas: [a]}]\n";
    let json = r#"{"horizon": "1d", "topology": {"nodes": [{"id": "a"}]},
        "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a"]}]}"#;
    for (text, file) in [
        (yaml, "s.yaml"),
        (yaml, "s.yml"),
        (yaml, "s"),
        (json, "s"),
        (json, "s.yaml"),
    ] {
        let scenario = load_str(text, Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(scenario.topology.len(), 1);
    }
    // A `.json` file is read as JSON, whatever it holds.
    let Err(ScenarioError::Invalid { diagnostics, .. }) = load_str(yaml, Path::new("s.json"))
    else {
        panic!("YAML in a .json file loads");
    };
    assert!(
        diagnostics[0].message.contains("one JSON object"),
        "{:?}",
        diagnostics[0]
    );
}

#[test]
fn dollar_schema_is_accepted_at_the_top_level_in_json_and_yaml() {
    let json = r#"{"$schema": "../schema/scenario.schema.json", "horizon": "1d",
        "topology": {"nodes": [{"id": "a"}]},
        "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a"]}]}"#;
    load_str(json, Path::new("s.json")).unwrap();
    let yaml =
        "$schema: ../schema/scenario.schema.json\nhorizon: 1d\ntopology: {nodes: [{id: a}]}\n\
                services: [{name: s, strategy: N_WAY, replicas: [a]}]\n";
    load_str(yaml, Path::new("s.yaml")).unwrap();
}

#[test]
fn problems_in_yaml_are_placed_in_the_yaml_text() {
    let text = "horizon: 1d\n\
                replications: five\n\
                topology:\n  nodes:\n    - id: a\n      colour: red\n\
                services:\n  - name: s\n    strategy: ACTIVE_PASSIVE\n    replicas: [a, b]\n";
    let Err(ScenarioError::Invalid { diagnostics, .. }) = load_str(text, Path::new("s.yaml"))
    else {
        panic!("loads");
    };
    let found: Vec<(usize, usize, &str)> = diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.path.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (2, 15, "replications"),
            (6, 7, "topology.nodes[0].colour"),
            (10, 19, "services[0].replicas[1]"),
        ],
        "{diagnostics:?}"
    );
    assert_eq!(
        diagnostics[2].message,
        "unknown node id `b` (known nodes: a)"
    );
}

#[test]
fn the_command_line_shows_each_problem_with_its_line_and_a_caret_without_colour_in_a_pipe() {
    let output = failsim()
        .args([
            "validate",
            "tests/bad_inputs/118-yaml-type-and-semantic-errors.yaml",
        ])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(!err.contains('\u{1b}'), "no colour in a pipe:\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.ends_with("    - {id: db2, region: r, zone: z2, capacty: 2}"))
        .unwrap_or_else(|| panic!("{err}"));
    let caret = lines[source + 1];
    let at = lines[source].find("capacty").unwrap();
    assert_eq!(caret.find('^'), Some(at), "{err}");
    assert_eq!(caret.trim_end().len(), at + "capacty".len(), "{err}");
    assert!(err.contains("did you mean `capacity`?"), "{err}");
}
