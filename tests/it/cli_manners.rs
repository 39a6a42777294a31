//! The command line's manners: shell completions and man pages generated from the clap
//! definitions, `--slo` taking one expression per occurrence, plain numbers of seconds
//! wherever a flag takes a duration.

use crate::common::failsim;

fn stdout_of(args: &[&str]) -> String {
    let output = failsim().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

const COMMANDS: &[&str] = &[
    "run",
    "compare",
    "sweep",
    "explain",
    "validate",
    "schema",
    "plan",
    "recommend",
    "solve",
    "validate-model",
    "merge",
    "completions",
    "man",
];

#[test]
fn completions_for_every_shell_know_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for word in COMMANDS
            .iter()
            .chain(&["--slo", "--max-wall", "--strategies"])
        {
            let word = word.trim_start_matches('-');
            assert!(script.contains(word), "{shell} completions lack `{word}`");
        }
    }
    let refused = failsim().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_and_lists_every_command() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH failsim 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for command in COMMANDS {
        assert!(
            page.contains(&format!("failsim\\-{}", command.replace('-', "\\-"))),
            "`{command}` missing in:\n{page}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    stdout_of(&["man", "--dir", out.to_str().unwrap()]);
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = std::iter::once("failsim.1".to_string())
        .chain(COMMANDS.iter().map(|c| format!("failsim-{c}.1")))
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let run = std::fs::read_to_string(out.join("failsim-run.1")).unwrap();
    assert!(run.contains("\\-\\-horizon"), "{run}");
}

/// The ranking's narrowest search: one strategy, one replica count, one mode.
const NARROW: &[&str] = &[
    "--strategies",
    "active_passive",
    "--replicas",
    "2",
    "--modes",
    "AUTOMATIC",
    "--budget-replications",
    "5",
    "--json",
    "-",
];

#[test]
fn slo_takes_one_expression_so_the_scenario_after_it_stays_positional() {
    for args in [
        vec![
            "--slo",
            "availability>=0.9",
            "scenarios/recommend-example.json",
        ],
        vec![
            "--slo",
            "availability>=0.9",
            "--slo",
            "failover_time_p99<=10m",
            "scenarios/recommend-example.json",
        ],
        vec![
            "scenarios/recommend-example.json",
            "--slo",
            "availability>=0.9",
            "--slo",
            "failover_time_p99<=10m",
        ],
    ] {
        let output = failsim()
            .arg("recommend")
            .args(&args)
            .args(NARROW)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        let ranking: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let slos = ranking.to_string();
        for slo in args.iter().filter(|a| a.contains('=')) {
            assert!(slos.contains(slo), "{slo} not in {slos}");
        }
    }
    // Two expressions after one --slo: the second is not taken for an SLO, and the
    // message says what was unexpected.
    let output = failsim()
        .args(["recommend", "scenarios/recommend-example.json"])
        .args(["--slo", "availability>=0.9", "failover_time_p99<=10m"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("failover_time_p99<=10m"), "{stderr}");
}

#[test]
fn duration_flags_take_plain_numbers_of_seconds() {
    let summary = |horizon: &str| -> serde_json::Value {
        serde_json::from_str(&stdout_of(&[
            "run",
            "scenarios/quickstart.json",
            "--replications",
            "2",
            "--horizon",
            horizon,
            "--max-wall",
            "600",
            "--json",
            "-",
        ]))
        .unwrap()
    };
    assert_eq!(summary("30")["horizon_s"], 30.0);
    assert_eq!(summary("1.5")["horizon_s"], 1.5);
    assert_eq!(summary("1h")["horizon_s"], 3600.0);
    let explained = stdout_of(&["explain", "scenarios/quickstart.json", "--horizon", "3600"]);
    assert!(!explained.is_empty());
    let refused = failsim()
        .args(["run", "scenarios/quickstart.json", "--horizon", "30x"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--horizon: `30x` is not a duration"));
}
