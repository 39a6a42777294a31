//! Outputs are all or nothing: every output is written in full before any is put in
//! place, so a late failure leaves every earlier output as it was and no directory
//! behind.

use crate::common::failsim;
use std::path::Path;

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failing_last_output_leaves_the_earlier_ones_as_they_were_and_no_new_directory() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    std::fs::write(&json, "old summary").unwrap();
    let timeline = dir.path().join("timeline.json");
    std::fs::write(&timeline, "old timeline").unwrap();
    let plots = dir.path().join("plots");
    std::fs::create_dir(&plots).unwrap();
    std::fs::write(plots.join("failover-time-cdf.svg"), "old figure").unwrap();
    // The stand-in for a figure that cannot be written: a directory where it goes.
    std::fs::create_dir(plots.join("availability.svg")).unwrap();
    let output = failsim()
        .args(["run", "scenarios/quickstart.json", "--replications", "5"])
        .arg("--json")
        .arg(&json)
        .arg("--csv")
        .arg(dir.path().join("new/csv"))
        .arg("--plot")
        .arg(&plots)
        .arg("--timeline")
        .arg(&timeline)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("availability.svg"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "old summary");
    assert_eq!(std::fs::read_to_string(&timeline).unwrap(), "old timeline");
    assert_eq!(
        std::fs::read_to_string(plots.join("failover-time-cdf.svg")).unwrap(),
        "old figure"
    );
    assert_eq!(
        listing(&plots),
        ["availability.svg", "failover-time-cdf.svg"]
    );
    assert_eq!(
        listing(dir.path()),
        ["plots", "summary.json", "timeline.json"]
    );
}

#[test]
fn a_study_that_fails_leaves_no_output_directory_behind() {
    let dir = tempfile::tempdir().unwrap();
    let output = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--max-events",
            "10",
            "--csv",
        ])
        .arg(dir.path().join("new/csv"))
        .arg("--plot")
        .arg(dir.path().join("plots"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn every_output_and_its_new_directories_appear_when_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let output = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "5",
            "--csv",
        ])
        .arg(dir.path().join("new/csv"))
        .arg("--plot")
        .arg(dir.path().join("more/plots"))
        .arg("--json")
        .arg(dir.path().join("summary.json"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        listing(&dir.path().join("new/csv")),
        ["failovers.csv", "outages.csv", "replications.csv"]
    );
    assert!(listing(&dir.path().join("more/plots")).contains(&"availability.svg".to_string()));
    assert_eq!(listing(dir.path()), ["more", "new", "summary.json"]);
}
