//! Golden outputs: the `--json` summaries of two shipped scenarios, byte for byte.
//!
//! Any change of a number — a new random stream, a changed estimator, a model fix —
//! shows here as a reviewed snapshot diff in the same commit. The summaries hold no
//! version or wall-clock field, so nothing is redacted.

use crate::common::failsim;

fn json_stdout(args: &[&str]) -> String {
    let output = failsim().args(args).args(["--json", "-"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the summary is UTF-8")
}

#[test]
fn quickstart_run_summary_is_pinned() {
    let summary = json_stdout(&["run", "scenarios/quickstart.json"]);
    insta::assert_snapshot!("quickstart_run", summary);
}

#[test]
fn seed_defaults_compare_summary_is_pinned() {
    let summary = json_stdout(&["compare", "scenarios/seed-defaults.json"]);
    insta::assert_snapshot!("seed_defaults_compare", summary);
}
