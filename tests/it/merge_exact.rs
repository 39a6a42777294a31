//! `merge` of shard files equals the single run byte for byte, for every shipped scenario
//! and several shard counts (DESIGN §1). Guards the shard files' floats: they must be read
//! back to the very bits written (serde_json's `float_roundtrip`), or one ulp off in a
//! mean or a quantile changes the merged summary's bytes.

use crate::common::failsim;
use std::path::{Path, PathBuf};

/// Shipped scenarios too slow for the suite: they exercise nothing a smaller one does not.
/// (A scripted check ran them too, at 10 replications and every count from 2 to 10: all
/// 189 merges of the 21 shipped scenarios were identical.)
const TOO_SLOW: &[&str] = &["bench-100k-nodes.json", "bench-nway-elections.json"];

/// Every scenario file under `scenarios/` (and its sub-folders), in name order; risk files
/// (input to `plan`, not `run`) are left out.
fn shipped_scenarios() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "json") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(Path::new("scenarios"), &mut found);
    found.retain(|path| {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        !TOO_SLOW.contains(&name) && !text.contains("\"risk_assessments\"")
    });
    found.sort();
    found
}

/// Runs failsim; a failed check (exit 1, from a scenario's `slo` block) still writes.
fn run(args: &[&str]) {
    let out = failsim().args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?} exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_shipped_scenario_merges_to_the_single_runs_bytes_at_2_to_10_shards() {
    let scenarios = shipped_scenarios();
    assert!(scenarios.len() >= 10, "found only {scenarios:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    for scenario in &scenarios {
        let name = scenario.file_stem().unwrap().to_str().unwrap();
        let replications = if name.starts_with("bench-") {
            "12"
        } else {
            "20"
        };
        let file = scenario.to_str().unwrap();
        let base = ["run", file, "--replications", replications];
        let single = dir.path().join(format!("{name}.json"));
        run(&[&base[..], &["--json", single.to_str().unwrap()]].concat());
        let single = std::fs::read(&single).unwrap();
        for count in 2..=10 {
            let parts: Vec<String> = (1..=count)
                .map(|index| {
                    let part = dir.path().join(format!("{name}-{index}of{count}.json"));
                    let part = part.to_str().unwrap().to_string();
                    let shard = format!("{index}/{count}");
                    run(&[&base[..], &["--shard", &shard, "--json", &part]].concat());
                    part
                })
                .collect();
            let merged = dir.path().join(format!("{name}-merged{count}.json"));
            let mut args = vec!["merge"];
            args.extend(parts.iter().map(String::as_str));
            args.extend(["--json", merged.to_str().unwrap()]);
            run(&args);
            if std::fs::read(&merged).unwrap() != single {
                differ.push(format!("{name} at {count} shards"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "merged ≠ single run: {}",
        differ.join(", ")
    );
}

/// A shard whose histogram claims values but no smallest one is refused where it lies
/// (the JSON path, line and column), exit 2, nothing written.
#[test]
fn a_shard_with_extremes_that_disagree_with_the_count_is_refused_where_it_lies() {
    let dir = tempfile::tempdir().unwrap();
    let part = |i: u32| dir.path().join(format!("part{i}.json"));
    for i in 1..=2 {
        run(&[
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "6",
            "--shard",
            &format!("{i}/2"),
            "--json",
            part(i).to_str().unwrap(),
        ]);
    }
    let text = std::fs::read_to_string(part(1)).unwrap();
    let at = text
        .find("\"detection_time\"")
        .expect("a detection-time histogram");
    let min = at + text[at..].find("\"min\":").unwrap() + "\"min\":".len();
    let end = min + text[min..].find(',').unwrap();
    assert!(
        text[min..end].trim().parse::<u64>().is_ok(),
        "{}",
        &text[min..end]
    );
    std::fs::write(part(1), format!("{}null{}", &text[..min], &text[end..])).unwrap();
    let merged = dir.path().join("merged.json");
    let out = failsim()
        .args([
            "merge",
            part(1).to_str().unwrap(),
            part(2).to_str().unwrap(),
        ])
        .args(["--json", merged.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("detection_time")
            && stderr.contains("min null")
            && stderr.contains("line 1 column"),
        "{stderr}"
    );
    assert!(!merged.exists());
}

/// A study of 8,192 services keeps each duration histogram within 128 buckets (its share
/// of the study's), so that its memory stays flat in replications. Those that collapse
/// (merging neighbouring buckets) must still merge exactly: the shards of a run merge to
/// its bytes, a second thread count gives the same, and the user is told the precision.
#[test]
fn a_study_of_many_services_collapses_its_histograms_and_still_merges_exactly() {
    let services = 8192;
    let list: Vec<String> = (1..=services)
        .map(|i| {
            format!(
                r#"{{"name": "s{i}", "strategy": "ACTIVE_PASSIVE", "replicas": ["r1-z1-n{i}", "r1-z2-n{i}"]}}"#
            )
        })
        .collect();
    // About 50 outages per service and replication: 150 durations, most in buckets of
    // their own at full precision, so most services' histograms pass 128 buckets.
    let scenario = format!(
        r#"{{"name": "many", "seed": 3, "replications": 3, "horizon": "30d",
            "topology": {{"generators": [{{"regions": {{"regions": 1, "zones": 2, "nodes": {services}}}}}]}},
            "services": [{}],
            "faults": {{"node_failures": [{{"ttf": {{"exp": {{"mean": "12h"}}}}, "ttr": {{"exp": {{"mean": "2h"}}}}}}]}}}}"#,
        list.join(",\n")
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.json");
    std::fs::write(&file, scenario).unwrap();
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let file = file.to_str().unwrap();
    let single = failsim()
        .args(["run", file, "--threads", "2", "--json", &at("single.json")])
        .output()
        .unwrap();
    assert_eq!(single.status.code(), Some(0));
    let said = String::from_utf8_lossy(&single.stderr);
    assert!(
        said.contains("services are within 0.4% (not 0.05%)")
            && said.contains("keeps at most 128 buckets"),
        "{said}"
    );
    for (shard, threads) in [("1/2", "1"), ("2/2", "2")] {
        let part = at(&format!("part{}.json", &shard[..1]));
        run(&[
            "run",
            file,
            "--shard",
            shard,
            "--threads",
            threads,
            "--json",
            &part,
        ]);
    }
    let merged = failsim()
        .args([
            "merge",
            &at("part1.json"),
            &at("part2.json"),
            "--json",
            &at("merged.json"),
        ])
        .output()
        .unwrap();
    assert_eq!(merged.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&merged.stderr).contains("within 0.4%"));
    let (single, merged) = (
        std::fs::read(at("single.json")).unwrap(),
        std::fs::read(at("merged.json")).unwrap(),
    );
    assert!(
        single == merged,
        "the merged summary differs from the single run's"
    );
}
