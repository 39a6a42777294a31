//! Studies run from another program (`failsim::embed`, the Python package's engine): the
//! same summary and rows as the command line's `--json` and `--csv`, overrides checked
//! as the command line checks them.

use crate::common::failsim;
use failsim::compile::{load_file, load_file_with_model, OverrideError, Overrides};
use failsim::embed::{self, EmbedError, Settings};
use failsim::output::rows::Table;

/// The table as the CSV file the command line writes.
fn as_csv(table: &Table) -> String {
    let mut out = table.columns().join(",") + "\n";
    for row in 0..table.len() {
        let cells: Vec<String> = (0..table.columns().len())
            .map(|column| table.column(column)[row].csv_text().into_owned())
            .collect();
        out += &cells.join(",");
        out += "\n";
    }
    out
}

fn settings(seed: u64, replications: u64, threads: usize) -> Settings {
    Settings {
        overrides: Overrides {
            seed: Some(seed),
            replications: Some(replications),
            horizon: None,
        },
        threads: Some(threads),
        interrupt: None,
        summary_only: false,
        precision: None,
    }
}

#[test]
fn a_study_run_in_memory_equals_the_command_lines_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = failsim()
        .args(["run", "scenarios/quickstart.json", "--seed", "11"])
        .args(["--replications", "25", "--json", "-", "--csv"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scenario = load_file("scenarios/quickstart.json".as_ref()).unwrap();
    let results = embed::run(scenario, &settings(11, 25, 3)).unwrap();
    let json = serde_json::to_string_pretty(&results.summary).unwrap() + "\n";
    assert_eq!(json, String::from_utf8(out.stdout).unwrap());
    let tables = &results.tables;
    assert!(
        tables.failovers.len() > 25,
        "{} failovers",
        tables.failovers.len()
    );
    assert_eq!(tables.replications.len(), 25);
    for (table, file) in [
        (&tables.failovers, "failovers.csv"),
        (&tables.outages, "outages.csv"),
        (&tables.replications, "replications.csv"),
    ] {
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert_eq!(as_csv(table), written, "{file}");
    }
}

#[test]
fn a_comparison_run_in_memory_equals_the_command_lines_json() {
    let out = failsim()
        .args(["compare", "scenarios/quickstart.json", "--seed", "5"])
        .args([
            "--replications",
            "6",
            "--strategies",
            "n_way,active_passive",
        ])
        .args(["--json", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = load_file_with_model("scenarios/quickstart.json".as_ref()).unwrap();
    let results = embed::compare(loaded, Some("n_way,active_passive"), &settings(5, 6, 2)).unwrap();
    let json = serde_json::to_string_pretty(&results.comparison).unwrap() + "\n";
    assert_eq!(json, String::from_utf8(out.stdout).unwrap());
    // Both strategies' rows, the baseline's first.
    assert_eq!(results.tables.replications.len(), 12);
    let strategies = results.tables.replications.column(2);
    assert_eq!(strategies[0].csv_text(), "N_WAY");
    assert_eq!(strategies[11].csv_text(), "ACTIVE_PASSIVE");
}

#[test]
fn the_summary_alone_is_the_same_summary_without_rows() {
    let scenario = load_file("scenarios/quickstart.json".as_ref()).unwrap();
    let full = embed::run(scenario.clone(), &settings(4, 10, 2)).unwrap();
    let alone = Settings {
        summary_only: true,
        ..settings(4, 10, 2)
    };
    let summary = embed::run(scenario, &alone).unwrap();
    assert_eq!(summary.summary, full.summary);
    assert!(!full.tables.failovers.is_empty());
    let tables = &summary.tables;
    assert!(tables.failovers.is_empty() && tables.outages.is_empty());
    assert!(tables.replications.is_empty());
}

#[test]
fn overrides_out_of_range_are_refused_before_anything_runs() {
    let scenario = load_file("scenarios/quickstart.json".as_ref()).unwrap();
    let refused = |overrides: Overrides| {
        let settings = Settings {
            overrides,
            ..Settings::default()
        };
        embed::run(scenario.clone(), &settings).err().unwrap()
    };
    let none = Overrides::default();
    let zero = refused(Overrides {
        replications: Some(0),
        ..none
    });
    assert!(matches!(
        zero,
        EmbedError::Override(OverrideError::Replications)
    ));
    assert_eq!(
        zero.to_string(),
        "replications must be between 1 and 100000000"
    );
    let instant = refused(Overrides {
        horizon: Some(0),
        ..none
    });
    assert_eq!(instant.to_string(), "horizon must be longer than zero");
    let endless = refused(Overrides {
        horizon: Some(u64::MAX),
        replications: Some(100_000_000),
        ..none
    });
    assert!(matches!(endless, EmbedError::Work(_)), "{endless}");
}

#[test]
fn validate_describes_a_scenario_as_the_command_line_does() {
    let scenario = load_file("scenarios/quickstart.json".as_ref()).unwrap();
    let description = embed::describe(&scenario);
    assert_eq!(
        (
            description.nodes,
            description.services,
            description.replications
        ),
        (3, 1, 200)
    );
    let out = failsim()
        .args(["validate", "scenarios/quickstart.json"])
        .output()
        .unwrap();
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.contains(&format!("work estimated at {}", description.work_estimate)),
        "{said}"
    );
}

#[test]
fn tables_beyond_the_memory_limit_are_refused_before_the_study() {
    // 1,000 services × 10^5 replications: a valid scenario (a study keeps no rows), but
    // tables of 10^8 rows held in memory would take 60 GB.
    let services: Vec<String> = (0..1000)
        .map(|i| {
            format!(r#"{{"name": "s{i}", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}}"#)
        })
        .collect();
    let text = format!(
        r#"{{"horizon": "1d", "replications": 100000,
            "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}}, "services": [{}]}}"#,
        services.join(",")
    );
    let scenario = failsim::compile::load_str(&text, "rows.json".as_ref()).unwrap();
    let refused = embed::run(scenario, &settings(1, 100_000, 1))
        .err()
        .unwrap();
    assert!(matches!(refused, EmbedError::Work(_)), "{refused}");
    assert_eq!(
        refused.to_string(),
        "at replications: 1000 services × 100000 replications make 1.0e8 result rows (about \
         6.0e10 bytes in memory), beyond the limit of 2e7 rows (1.2e10 bytes): lower \
         `replications`, study fewer services at a time, or ask for the summary only (`tables=False`)"
    );
}

/// `precision` stops where `--precision` stops, for a study and a comparison, and is
/// refused beside fixed replications or out of range, before anything runs.
#[test]
fn precision_in_memory_stops_where_the_command_line_stops() {
    use failsim::embed::PrecisionSettings;
    let loaded = load_file_with_model("scenarios/quickstart.json".as_ref()).unwrap();
    let scenario = loaded.compiled.clone();
    let precise = |target: f64, replications: Option<u64>| Settings {
        overrides: Overrides {
            replications,
            ..Overrides::default()
        },
        threads: Some(2),
        summary_only: true,
        precision: Some(PrecisionSettings {
            target,
            max_replications: Some(5_000),
            metrics: Vec::new(),
        }),
        ..Settings::default()
    };
    let cli = |command: &str, extra: &[&str]| {
        let out = failsim()
            .args([command, "scenarios/quickstart.json", "--precision", "0.2"])
            .args([
                "--max-replications",
                "5000",
                "--threads",
                "1",
                "--json",
                "-",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let study = embed::run(scenario.clone(), &precise(0.2, None)).unwrap();
    let json = serde_json::to_string_pretty(&study.summary).unwrap() + "\n";
    assert_eq!(json, cli("run", &[]));
    let precision = study.summary.precision.as_ref().unwrap();
    assert_eq!(precision.stopped_by, "precision");
    assert!(precision.replications_used < 5_000);
    let compared =
        embed::compare(loaded, Some("active_passive,n_way"), &precise(0.2, None)).unwrap();
    let json = serde_json::to_string_pretty(&compared.comparison).unwrap() + "\n";
    assert_eq!(
        json,
        cli("compare", &["--strategies", "active_passive,n_way"])
    );
    assert!(compared.comparison.precision.is_some());
    let both = embed::run(scenario.clone(), &precise(0.2, Some(100))).err();
    assert!(matches!(both, Some(EmbedError::Precision(_))), "{both:?}");
    let wide = embed::run(scenario, &precise(1.5, None)).err().unwrap();
    assert!(wide.to_string().contains("--precision must be"), "{wide}");
}
