//! The bad-input corpus: every file in `tests/bad_inputs/` (`.json` or `.yaml`) is a
//! broken scenario that `failsim` must reject with exit code 2 and the messages in its
//! `.expected` sibling (one substring per line: `file:line:col: at PATH:` and the words
//! of the message), never with a panic, never leaving an output file behind (DESIGN §7),
//! and within the budget for a refusal: 10 s and 1 GB (issue 17).

use crate::common::failsim;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CORPUS: &str = "tests/bad_inputs";

/// Every corpus scenario with its expected substrings, in file-name order.
fn corpus() -> Vec<(PathBuf, Vec<String>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("the corpus directory exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let expected = file.with_extension("expected");
            let text = std::fs::read_to_string(&expected)
                .unwrap_or_else(|e| panic!("{}: {e}", expected.display()));
            let lines = text
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(str::to_string)
                .collect();
            (file, lines)
        })
        .collect()
}

/// The longest a refusal may take, wall clock.
const REFUSAL_TIME: Duration = Duration::from_secs(10);
/// The most memory (peak resident set) a refusal may use, in KiB: 1 GB.
const REFUSAL_KIB: i64 = 1_000_000;

/// What a measured run of `failsim` did: its output (stdout dropped), wall time and
/// peak resident set in KiB, read from the kernel's accounting of the child (`wait4`).
struct Measured {
    output: Output,
    elapsed: Duration,
    max_rss_kib: i64,
}

// The child is reaped by `wait4` below, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measured(command: &mut Command) -> Measured {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = Vec::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let mut status = 0;
    // SAFETY: `rusage` is plain old data that `wait4` fills; the pid is our own child,
    // reaped here exactly once (`child` is dropped without waiting again).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    Measured {
        output: Output {
            status: std::process::ExitStatus::from_raw(status),
            stdout: Vec::new(),
            stderr,
        },
        elapsed: started.elapsed(),
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: usage.ru_maxrss,
    }
}

/// The budget breaches of one measured refusal.
fn budget_breaches(file: &Path, run: &Measured) -> Vec<String> {
    let mut breaches = Vec::new();
    if run.elapsed > REFUSAL_TIME {
        breaches.push(format!("{}: took {:?}", file.display(), run.elapsed));
    }
    if run.max_rss_kib > REFUSAL_KIB {
        breaches.push(format!(
            "{}: peak memory {} MiB",
            file.display(),
            run.max_rss_kib / 1024
        ));
    }
    breaches
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Checks one command's result against the contract; returns what is wrong, if anything.
fn contract_breaches(file: &Path, output: &Output, expected: &[String]) -> Vec<String> {
    let err = stderr(output);
    let mut breaches = Vec::new();
    if output.status.code() != Some(2) {
        breaches.push(format!("exit code {:?}, not 2", output.status.code()));
    }
    if err.contains("panicked") {
        breaches.push("it panicked".to_string());
    }
    for line in expected {
        if !err.contains(line.as_str()) {
            breaches.push(format!("stderr lacks `{line}`"));
        }
    }
    breaches
        .into_iter()
        .map(|breach| format!("{}: {breach}\n--- stderr:\n{err}", file.display()))
        .collect()
}

#[test]
fn the_corpus_holds_at_least_thirty_cases_each_with_expected_messages() {
    let corpus = corpus();
    assert!(corpus.len() >= 30, "only {} bad inputs", corpus.len());
    for (file, expected) in &corpus {
        assert!(
            expected
                .iter()
                .any(|line| line.contains(".json:") || line.contains(".yaml:")),
            "{}: the expected messages must include file:line:col",
            file.display()
        );
    }
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("json").exists() || path.with_extension("yaml").exists(),
                "{} has no scenario beside it",
                path.display()
            );
        }
    }
}

#[test]
fn validate_rejects_every_bad_input_with_exit_2_and_the_expected_messages() {
    let mut breaches = Vec::new();
    for (file, expected) in corpus() {
        let output = failsim().arg("validate").arg(&file).output().unwrap();
        breaches.extend(contract_breaches(&file, &output, &expected));
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n\n"));
}

#[test]
fn validate_reports_every_bad_file_when_given_many() {
    let corpus = corpus();
    let output = failsim()
        .arg("validate")
        .args(corpus.iter().map(|(file, _)| file))
        .output()
        .unwrap();
    let all: Vec<String> = corpus.into_iter().flat_map(|(_, lines)| lines).collect();
    let breaches = contract_breaches(Path::new(CORPUS), &output, &all);
    assert!(breaches.is_empty(), "{}", breaches.join("\n\n"));
}

#[test]
fn run_rejects_every_bad_input_within_budget_and_writes_no_output_file() {
    let mut breaches = Vec::new();
    for (file, expected) in corpus() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("summary.json");
        let csv = dir.path().join("csv");
        let run = measured(
            failsim()
                .arg("run")
                .arg(&file)
                .arg("--json")
                .arg(&json)
                .arg("--csv")
                .arg(&csv),
        );
        breaches.extend(contract_breaches(&file, &run.output, &expected));
        breaches.extend(budget_breaches(&file, &run));
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if !left.is_empty() {
            breaches.push(format!("{}: left files behind: {left:?}", file.display()));
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n\n"));
}

/// Runs `failsim validate` on `bytes` written to a file named `name`.
fn validate_bytes(name: &str, bytes: &[u8]) -> (Output, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let output = failsim().arg("validate").arg(&file).output().unwrap();
    (output, file, dir)
}

#[test]
fn invalid_utf8_is_placed_by_line_column_byte_offset_and_path() {
    let text = std::fs::read("scenarios/quickstart.json").unwrap();
    // Break the first node id: `"db1"` becomes `"d\xFF1"`.
    let at = text.windows(5).position(|w| w == b"\"db1\"").unwrap() + 2;
    let mut bytes = text.clone();
    bytes[at] = 0xFF;
    let line = text[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let column = at - text[..at].iter().rposition(|&b| b == b'\n').unwrap();
    let (output, _, _dir) = validate_bytes("broken.json", &bytes);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "broken.json:{line}:{column}: at topology.nodes[0].id: the file is not UTF-8 text: \
             byte 0xFF at byte offset {at} does not start a UTF-8 character; save the file as UTF-8"
        )),
        "{err}"
    );
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read("scenarios/quickstart.json").unwrap());
    let (output, _, _dir) = validate_bytes("bom.json", &bytes);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let utf16: Vec<u8> = b"\xFF\xFE"
        .iter()
        .copied()
        .chain(b"{\0}\0".iter().copied())
        .collect();
    let (output, _, _dir) = validate_bytes("utf16.json", &utf16);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "utf16.json:1:1: at .: the file is UTF-16 text (it starts with the byte-order mark \
             FF FE): save it as UTF-8"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_endless_device_is_refused_at_once() {
    let started = std::time::Instant::now();
    let output = failsim().args(["validate", "/dev/zero"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "/dev/zero:1:1: at .: a scenario file holds one JSON object, `{ ... }`; found byte \
             0x00, which is not text"
        ),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.json");
    // A sparse file: 300 MiB long and no disk used.
    let handle = std::fs::File::create(&file).unwrap();
    handle.set_len(300 * 1024 * 1024).unwrap();
    let started = std::time::Instant::now();
    let output = failsim().arg("validate").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "huge.json:1:1: at .: the file holds 300 MiB, beyond the limit of 64 MiB for a \
             scenario file"
        ),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn ten_thousand_unknown_ids_among_a_million_nodes_are_reported_in_seconds() {
    // A million generated nodes (ids `r1-z1-n1` …) and 10,000 replicas in the wrong case:
    // one hint lookup per unknown id over every known id would take many minutes.
    let replicas: Vec<String> = (1..=10_000).map(|n| format!("\"R1-Z1-N{n}\"")).collect();
    let text = format!(
        r#"{{"horizon": "1d", "replications": 1,
            "topology": {{"generators": [{{"regions": {{"regions": 10, "zones": 10, "nodes": 10000}}}}],
                          "implied_links": false}},
            "services": [{{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": [{}]}}]}}"#,
        replicas.join(", ")
    );
    let started = std::time::Instant::now();
    let (output, _, _dir) = validate_bytes("million.json", text.as_bytes());
    let elapsed = started.elapsed();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2));
    // One line per problem; the first twenty also show their source line.
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        10_000,
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.contains("at services[0].replicas[9999]: unknown node id `R1-Z1-N10000` (did you mean `r1-z1-n10000`?)"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(elapsed.as_secs() < 30, "took {elapsed:?}");
}

/// Hostile files too large to keep in the corpus, made here: each must be refused with
/// exit 2, a placed message and no output, within the refusal budget.
#[test]
fn huge_hostile_files_are_refused_within_budget_and_placed() {
    let quickstart = std::fs::read_to_string("scenarios/quickstart.json").unwrap();
    let node = |id: &str| format!(r#"{{"id": "{id}", "region": "r", "zone": "z"}}"#);
    let service = |name: &str| {
        format!(r#"{{"name": "{name}", "strategy": "ACTIVE_ACTIVE", "replicas": ["a"]}}"#)
    };
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            // serde_json skips nesting without a depth limit to find the syntax error; the
            // walk that names its path overflowed its stack (exit 134).
            "unclosed-nesting.json",
            format!("{{\"horizon\": {}", "{\"a\": ".repeat(200_000)),
            vec![
                "unclosed-nesting.json:1:1200012: at horizon.a.a.a.".into(),
                "EOF while parsing a value".into(),
            ],
        ),
        (
            // One mistake a million times: the first 10,000 are listed, then a count.
            "million-replicas.json",
            quickstart.replacen(
                r#""replicas": ["db1", "db2"]"#,
                &format!(r#""replicas": [{}]"#, vec!["\"db1\""; 1_000_000].join(", ")),
                1,
            ),
            vec![
                "at services[0].replicas[1]: node `db1` is listed twice".into(),
                "at services[0].replicas[10000]: 989999 more problems are not listed (the first \
                 10000 found are)"
                    .into(),
            ],
        ),
        (
            // One clash a node, 15,000 times: the checker keeps the first 10,000 and counts
            // the rest instead of holding them all (900,000 in a 50 MB list took 8 s and
            // 685 MB).
            "zone-clashes.json",
            format!(
                r#"{{"horizon": "1d", "topology": {{"nodes": [{}]}},
                    "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["n0", "n2"]}}]}}"#,
                (0..30_000)
                    .map(|i| format!(
                        r#"{{"id": "n{i}", "region": "r{}", "zone": "z1"}}"#,
                        i % 2
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            vec![
                "zone-clashes.json:1:122: at topology.nodes[1].zone: zone `z1` already belongs to \
                 region `r0`"
                    .into(),
                "at topology.nodes[19999].zone: 5000 more problems are not listed (the first \
                 10000 found are)"
                    .into(),
            ],
        ),
        (
            "hundred-thousand-overlapping-partitions.json",
            // 200,000 changes a replication, each touching the 3 nodes once and waking
            // the service (2.4 µs, whatever the 100,001 partitions active): 0.5
            // CPU-seconds a replication, beyond the budget by 16× at 10^6 replications.
            format!(
                r#"{{"horizon": "30d", "replications": 1000000,
                    "topology": {{"nodes": [{}, {}, {}]}},
                    "services": [{{"name": "s", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}}],
                    "faults": {{"scheduled": [{}]}}}}"#,
                node("a"),
                node("b"),
                node("c"),
                vec![
                    r#"{"at": "1h", "duration": {"const": "1d"}, "fault": {"random_partition": {"groups": 2}}}"#;
                    100_000
                ]
                .join(",")
            ),
            vec![
                "at faults.scheduled[99999]: this scenario would take about".into(),
                "each of its partition changes touches 3 nodes".into(),
            ],
        ),
        (
            // 2 × 10^9 rows: the study keeps none (2.2 CPU-hours, valid), but `--csv`
            // would write 280 GB of them and is refused before anything runs.
            "twenty-services-1e8-replications.json",
            format!(
                r#"{{"horizon": "1d", "replications": 100000000,
                    "topology": {{"nodes": [{}]}}, "services": [{}]}}"#,
                node("a"),
                (0..20)
                    .map(|i| service(&format!("s{i}")))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            vec![
                "twenty-services-1e8-replications.json:1:35: at replications: 20 services × \
                 100000000 replications make 2.0e9 result rows (about 2.8e11 bytes of \
                 replications.csv on disk)"
                    .into(),
            ],
        ),
    ];
    let mut breaches = Vec::new();
    for (name, text, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let run = measured(
            failsim()
                .arg("run")
                .arg(&file)
                .arg("--json")
                .arg(dir.path().join("summary.json"))
                .arg("--csv")
                .arg(dir.path().join("csv")),
        );
        breaches.extend(contract_breaches(&file, &run.output, &expected));
        breaches.extend(budget_breaches(&file, &run));
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        if left != 1 {
            breaches.push(format!("{name}: left {} files beside it", left - 1));
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n\n"));
}

/// One byte-order mark is read past; a second is not JSON, and the library's loader and
/// the command line say so alike.
#[test]
fn one_byte_order_mark_is_read_past_and_two_are_refused_alike() {
    let dir = std::env::temp_dir().join(format!("failsim-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("scenarios/quickstart.json").unwrap();
    let one = dir.join("one.json");
    let two = dir.join("two.json");
    std::fs::write(&one, format!("\u{FEFF}{text}")).unwrap();
    std::fs::write(&two, format!("\u{FEFF}\u{FEFF}{text}")).unwrap();
    assert!(failsim::compile::load_file(&one).is_ok());
    assert!(failsim::compile::load_file(&two).is_err());
    let status = |file: &Path| {
        crate::common::failsim()
            .arg("validate")
            .arg(file)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(status(&one), Some(0));
    assert_eq!(status(&two), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
