//! The docs keep up with the code: `docs/outputs.md` names every key failsim writes in its
//! JSON outputs, every CSV column and every trace event (run the commands, collect what
//! they write, look each name up among the page's code spans), and the README's table of
//! shipped scenarios lists every file in `scenarios/`.

use crate::common::failsim;
use std::collections::BTreeSet;
use std::path::Path;

/// Every word inside a code span of docs/outputs.md (`{mean, ci95_low}` gives both).
fn documented() -> BTreeSet<String> {
    let page = std::fs::read_to_string("docs/outputs.md").unwrap();
    page.split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| {
            span.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Maps keyed by data (fault kinds, outcomes, reasons), not by a field name: their keys
/// are values, documented as such, and only their values' keys are collected.
const KEYED_BY_DATA: &[&str] = &["by_fault_kind", "by_outcome", "failed_by_reason"];

fn collect_keys(value: &serde_json::Value, keys: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                keys.insert(key.clone());
                if KEYED_BY_DATA.contains(&key.as_str()) {
                    for value in inner.as_object().into_iter().flat_map(|m| m.values()) {
                        collect_keys(value, keys);
                    }
                } else {
                    collect_keys(inner, keys);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_keys(v, keys)),
        _ => {}
    }
}

fn stdout(args: &[&str]) -> String {
    let output = failsim().args(args).output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {output:?}"
    );
    String::from_utf8(output.stdout).unwrap()
}

fn json_keys(args: &[&str], keys: &mut BTreeSet<String>) {
    let text = stdout(args);
    let value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"));
    collect_keys(&value, keys);
}

/// A scenario with a system and missions, so that their keys are written too.
const SYSTEM: &str = r#"{"horizon": "30d", "replications": 5, "seed": 7,
  "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
  "services": [{"name": "web", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]},
               {"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["b"]}],
  "system": {"name": "shop", "all_of": ["web", "db"]},
  "missions": ["1d"],
  "faults": {"node_failures": [{"nodes": ["a", "b"],
    "ttf": {"exp": {"mean": "5d"}}, "ttr": {"exp": {"mean": "12h"}}}]}}"#;

#[test]
fn every_json_key_csv_column_and_trace_event_failsim_writes_is_in_docs_outputs_md() {
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("shop.json");
    std::fs::write(&system, SYSTEM).unwrap();
    let csv = dir.path().join("csv");
    let mut keys = BTreeSet::new();
    json_keys(&["run", system.to_str().unwrap(), "--json", "-"], &mut keys);
    json_keys(
        &[
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "20",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "run",
            "scenarios/five-nines-quorum.json",
            "--replications",
            "2",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "solve",
            "scenarios/five-nines-quorum.json",
            "--rare-event",
            "--cycles",
            "1000",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "run",
            "scenarios/quickstart.json",
            "--precision",
            "0.5",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "compare",
            "scenarios/quickstart.json",
            "--strategies",
            "active_passive,active_active",
            "--precision",
            "0.5",
            "--max-replications",
            "64",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "compare",
            "scenarios/quickstart.json",
            "--replications",
            "5",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "sweep",
            "scenarios/quickstart.json",
            "--replications",
            "5",
            "--set",
            "services.db.detection.interval=1s,5s",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "recommend",
            "scenarios/recommend-example.json",
            "--slo",
            "availability>=0.9",
            "--strategies",
            "active_passive,geographic",
            "--replicas",
            "2",
            "--budget-replications",
            "5",
            "--json",
            "-",
        ],
        &mut keys,
    );
    json_keys(
        &[
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "2",
            "--timeline",
            "-",
        ],
        &mut keys,
    );
    let trace = stdout(&[
        "run",
        "scenarios/zone-outage.json",
        "--replications",
        "2",
        "--trace",
        "-",
    ]);
    for line in trace.lines() {
        collect_keys(&serde_json::from_str(line).unwrap(), &mut keys);
    }
    // Every event name the trace writer can write, whether this trace had it or not.
    let writer = std::fs::read_to_string("src/output/trace.rs").unwrap();
    let events: Vec<&str> = writer
        .split("\"event\": \"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert!(events.len() >= 15, "{events:?}");
    keys.extend(events.iter().map(|e| e.to_string()));
    stdout(&[
        "run",
        "scenarios/quickstart.json",
        "--replications",
        "2",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    for file in ["failovers.csv", "outages.csv", "replications.csv"] {
        let text = std::fs::read_to_string(Path::new(&csv).join(file)).unwrap();
        let header = text.lines().next().unwrap();
        keys.extend(header.split(',').map(String::from));
    }
    let documented = documented();
    let missing: Vec<&String> = keys.iter().filter(|k| !documented.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "docs/outputs.md does not name {missing:?}"
    );
    // The collection itself worked: keys from each output are among them.
    for key in [
        "mean_time_to_first_outage_s",
        "system",
        "failover_time_pairs",
        "cost_per_nine",
        "recorded_until_s",
        "ends_failover",
        "first_outage_s",
        "service_state",
        "maintenance_skipped",
    ] {
        assert!(keys.contains(key), "{key} not collected");
    }
}

#[test]
fn the_readme_table_lists_every_shipped_scenario_with_a_command() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("## Shipped scenarios")
        .expect("a Shipped scenarios section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    for file in files
        .iter()
        .map(String::as_str)
        .chain(["yaml/", "validation/"])
    {
        let row = rows
            .iter()
            .find(|row| row.starts_with(&format!("| `{file}`")))
            .unwrap_or_else(|| panic!("no row for scenarios/{file} in:\n{section}"));
        assert!(row.contains("`failsim "), "no command in {row}");
    }
}
