//! `--report FILE.html` and `--markdown FILE|-`: the summary as a Markdown table for a
//! pull request, and one self-contained page that needs no network.

use crate::common::failsim;
use std::path::Path;

fn stdout_of(args: &[&str]) -> String {
    let output = failsim().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs failsim with `--report` into `dir` and returns the page and the exit code.
fn report(dir: &Path, args: &[&str]) -> (String, Option<i32>) {
    let page = dir.join("report.html");
    let output = failsim()
        .args(args)
        .arg("--report")
        .arg(&page)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(page.exists(), "no report written: {stderr}");
    (std::fs::read_to_string(page).unwrap(), output.status.code())
}

#[test]
fn quickstart_markdown_is_pinned() {
    let markdown = stdout_of(&[
        "run",
        "scenarios/quickstart.json",
        "--seed",
        "42",
        "--markdown",
        "-",
    ]);
    insta::assert_snapshot!("quickstart_markdown", markdown);
}

#[test]
fn seed_defaults_comparison_markdown_names_a_winner_per_service() {
    let markdown = stdout_of(&["compare", "scenarios/seed-defaults.json", "--markdown", "-"]);
    insta::assert_snapshot!("seed_defaults_compare_markdown", markdown);
}

#[test]
fn markdown_to_stdout_replaces_the_table_and_cannot_share_stdout() {
    let markdown = stdout_of(&[
        "run",
        "scenarios/quickstart.json",
        "--replications",
        "3",
        "--markdown",
        "-",
    ]);
    assert!(markdown.starts_with("**quickstart**"), "{markdown}");
    assert!(
        !markdown.contains("scenario quickstart  seed"),
        "{markdown}"
    );
    let output = failsim()
        .args([
            "run",
            "scenarios/quickstart.json",
            "--markdown",
            "-",
            "--json",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("standard output"));
}

#[test]
fn the_run_report_holds_every_section_and_no_network_reference() {
    let dir = tempfile::tempdir().unwrap();
    let (page, code) = report(
        dir.path(),
        &[
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "20",
            "--check",
            "availability>=0.999",
            "--check",
            "db.failover_time_p99<=1s",
        ],
    );
    // One check fails: exit 1, and the report is written all the same.
    assert_eq!(code, Some(1));
    for section in [
        "<section id=\"summary\">",
        "<section id=\"checks\">",
        "<section id=\"figures\">",
        "<section id=\"scenario\">",
        "<figure id=\"availability\">",
        "<figure id=\"failover-time-cdf\">",
        "<figure id=\"timeline\">",
        "<dt>seed</dt><dd>42</dd>",
        "<dt>scenario hash</dt><dd>2757dcc868d085d3</dd>",
        &format!(
            "<dt>failsim version</dt><dd>{}</dd>",
            env!("CARGO_PKG_VERSION")
        ),
        "<span class=\"pass\">pass</span>",
        "<span class=\"fail\">FAIL</span>",
        "1 passed, 1 failed.",
        // The scenario as given, escaped.
        "&quot;strategy&quot;: &quot;ACTIVE_PASSIVE&quot;",
    ] {
        assert!(page.contains(section), "no {section:?} in the page");
    }
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("<img"));
    assert_eq!(page.matches("<svg").count(), 3);
    assert!(page.ends_with("</html>\n"));
}

#[test]
fn the_comparison_report_says_which_strategy_wins_each_service_and_on_what() {
    let dir = tempfile::tempdir().unwrap();
    let (page, code) = report(
        dir.path(),
        &[
            "compare",
            "scenarios/seed-defaults.json",
            "--replications",
            "20",
        ],
    );
    assert_eq!(code, Some(0));
    let winners = &page[page
        .find("<section id=\"winners\">")
        .expect("a winners section")..];
    let winners = &winners[..winners.find("</section>").unwrap()];
    assert!(winners.contains("<strong>strict availability</strong>"));
    for service in ["web", "db", "kv", "api"] {
        assert!(
            winners.contains(&format!("<td class=\"name\">{service}</td>")),
            "{service} has no winner: {winners}"
        );
    }
    // kv: ACTIVE_PASSIVE ahead of ACTIVE_ACTIVE, a real lead (as in the 100-replication
    // golden comparison).
    assert!(
        winners.contains(
            "<span class=\"win\">ACTIVE_PASSIVE</span></td><td class=\"name\">ahead of ACTIVE_ACTIVE"
        ),
        "{winners}"
    );
    assert!(page.contains("<section id=\"differences\">"));
    // One figure of each kind, a timeline per strategy.
    assert_eq!(page.matches("<svg").count(), 2 + 4);
    assert!(!page.contains("http://") && !page.contains("https://"));
}

#[test]
fn names_and_text_from_the_scenario_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/quickstart.json")
        .unwrap()
        .replace(
            "\"name\": \"quickstart\"",
            "\"name\": \"<script>alert(1)</script>\"",
        )
        .replace("\"name\": \"db\"", "\"name\": \"db<b>&\"");
    let scenario = dir.path().join("odd.json");
    std::fs::write(&scenario, text).unwrap();
    let (page, _) = report(
        dir.path(),
        &["run", scenario.to_str().unwrap(), "--replications", "3"],
    );
    assert!(!page.contains("<script") && !page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("db&lt;b&gt;&amp;"));
}

#[test]
fn figures_survive_a_service_that_was_never_down_and_one_always_down() {
    let dir = tempfile::tempdir().unwrap();
    // One second: no node fails, availability is exactly 1 (log of 0 on the axis).
    let (page, code) = report(
        dir.path(),
        &[
            "run",
            "scenarios/quickstart.json",
            "--horizon",
            "1s",
            "--replications",
            "3",
        ],
    );
    assert_eq!(code, Some(0));
    assert!(page.contains("<figure id=\"availability\">"));
    assert!(page.contains("no successful failover"));
    let always_down = tempfile::tempdir().unwrap();
    let (page, _) = report(
        always_down.path(),
        &["compare", "scenarios/all-down.json", "--replications", "3"],
    );
    assert!(page.contains("<figure id=\"availability\">"));
}

#[test]
fn a_report_that_cannot_be_written_or_would_overwrite_the_scenario_is_refused_before_the_study() {
    let dir = tempfile::tempdir().unwrap();
    let output = failsim()
        .args(["run", "scenarios/quickstart.json", "--report"])
        .arg(dir.path().join("missing/dir/report.html"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("report.html"), "{stderr}");
    assert!(!stderr.contains("replications,"), "the study ran: {stderr}");
    let scenario = dir.path().join("s.json");
    std::fs::copy("scenarios/quickstart.json", &scenario).unwrap();
    for flag in ["--report", "--markdown"] {
        let output = failsim()
            .arg("run")
            .arg(&scenario)
            .arg(flag)
            .arg(&scenario)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("input file"));
    }
}

#[test]
fn a_shard_refuses_a_report_of_the_whole_study() {
    for flag in ["--report", "--markdown"] {
        let output = failsim()
            .args([
                "run",
                "scenarios/quickstart.json",
                "--shard",
                "1/2",
                flag,
                "-",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--shard"));
        assert!(output.stdout.is_empty());
    }
}
