//! Valid-but-nasty scenarios, one per class of issue 17 (`bench/nasty-scenarios.py` writes
//! them at real sizes), scaled down: what the work estimate charges each for, and that
//! beyond the budget each is refused up front at the process that costs most, with the
//! estimate and what to lower. Speed at real sizes is measured, not tested.

use crate::common::failsim;
use failsim::compile::{
    compile, expected_events, expected_secs, CompiledScenario, Problem, MAX_WORK_SECS,
};

fn compiled(text: &str) -> Result<CompiledScenario, Vec<Problem>> {
    compile(&serde_json::from_str(text).expect("a scenario"), "nasty")
}

fn share_secs(scenario: &CompiledScenario, source: &str) -> f64 {
    let shares = scenario.work_estimate();
    let share = shares.iter().find(|s| s.source == source);
    share
        .unwrap_or_else(|| panic!("no share {source} in {shares:?}"))
        .secs
}

fn refusal(text: &str) -> Problem {
    let mut problems = compiled(text).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    problems.remove(0)
}

/// `regions × zones × nodes` generated nodes, all failing and repairing daily over ten
/// days, one service on two of them.
fn many_nodes(topology: &str, replications: u64) -> String {
    format!(
        r#"{{"horizon": "10d", "replications": {replications}, "topology": {topology},
            "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["r1-z1-n1", "r1-z2-n1"]}}],
            "faults": {{"node_failures": [{{"ttf": {{"const": "1d"}}, "ttr": {{"const": "1d"}}}}]}}}}"#
    )
}

#[test]
fn many_nodes_cost_the_same_generated_or_listed_and_each_event_more_beyond_the_cache() {
    let generated = many_nodes(
        r#"{"generators": [{"regions": {"regions": 1, "zones": 2, "nodes": 500}}]}"#,
        1,
    );
    let nodes: Vec<String> = (1..=2)
        .flat_map(|z| {
            (1..=500).map(move |n| {
                format!(r#"{{"id": "r1-z{z}-n{n}", "region": "r1", "zone": "z{z}"}}"#)
            })
        })
        .collect();
    let listed = many_nodes(&format!(r#"{{"nodes": [{}]}}"#, nodes.join(",")), 1);
    let (generated, listed) = (compiled(&generated).unwrap(), compiled(&listed).unwrap());
    assert_eq!(generated.work_estimate(), listed.work_estimate());
    // 1,000 nodes × 5 cycles × 2 changes, each 300 ns, 10 ns for its node and 2 µs for the
    // service woken on 2 of the 1,000 nodes.
    let per_change = 300e-9 + 10e-9 + 0.002 * 2e-6;
    let secs = share_secs(&generated, "faults.node_failures[0]");
    assert!((secs - 10_000.0 * per_change).abs() < 1e-12, "{secs}");

    // At 10^5 nodes an event costs twice as much: √(10^5 / 25,000).
    let big = many_nodes(
        r#"{"generators": [{"regions": {"regions": 10, "zones": 10, "nodes": 1000}}]}"#,
        1,
    );
    let big = compiled(&big).unwrap();
    let per_change = 600e-9 + 10e-9 + 2e-5 * 2e-6;
    let secs = share_secs(&big, "faults.node_failures[0]");
    assert!((secs - 1e6 * per_change).abs() < 1e-9, "{secs}");
    // 0.61 s a replication: 50,000 of them are beyond the budget, refused at the process.
    let text = many_nodes(
        r#"{"generators": [{"regions": {"regions": 10, "zones": 10, "nodes": 1000}}]}"#,
        50_000,
    );
    let problem = refusal(&text);
    assert_eq!(problem.path, "faults.node_failures[0]");
    assert!(
        problem.message.starts_with(
            "this scenario would take about 5.0e10 events and 8.5 CPU-hours (under a \
             CPU-second per replication × 50000 replications; 100% from here)"
        ),
        "{}",
        problem.message
    );
    assert!(problem
        .message
        .ends_with("lower `replications`, shorten `horizon`, or make these faults rarer"));
}

/// `services` ACTIVE_PASSIVE services over the 20 nodes of two zones, every node failing
/// and repairing hourly over `horizon`.
fn many_services(services: usize, horizon: &str, replications: u64) -> String {
    let services: Vec<String> = (0..services)
        .map(|i| {
            let n = 1 + i % 10;
            format!(
                r#"{{"name": "s{i}", "strategy": "ACTIVE_PASSIVE", "replicas": ["r1-z1-n{n}", "r1-z2-n{n}"]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"horizon": "{horizon}", "replications": {replications},
            "topology": {{"generators": [{{"regions": {{"regions": 1, "zones": 2, "nodes": 10}}}}]}},
            "services": [{}],
            "faults": {{"node_failures": [{{"ttf": {{"const": "1h"}}, "ttr": {{"const": "1h"}}}}]}}}}"#,
        services.join(",")
    )
}

#[test]
fn a_node_change_wakes_every_service_placed_on_the_node() {
    // 1,000 services on 20 nodes: each node holds a replica of 100, and each of its
    // 20 nodes × 120 cycles × 2 changes wakes them, 2 events and 2 µs each.
    let scenario = compiled(&many_services(1000, "10d", 1)).unwrap();
    let shares = scenario.work_estimate();
    assert_eq!(expected_events(&shares, 1), 4800.0 * (1.0 + 100.0 * 2.0));
    let secs = share_secs(&scenario, "faults.node_failures[0]");
    assert!(
        (secs - 4800.0 * (310e-9 + 100.0 * 2e-6)).abs() < 1e-9,
        "{secs}"
    );
    // Each replication sets every node and service up (10 ns, 4 µs); the summary of
    // each service is made once (30 µs).
    assert!((share_secs(&scenario, "topology") - (20.0 * 10e-9 + 1000.0 * 4e-6)).abs() < 1e-12);
    assert!((share_secs(&scenario, "services") - 1000.0 * 30e-6).abs() < 1e-12);
}

#[test]
fn many_services_beyond_the_budget_are_refused_by_the_command_line_at_the_file() {
    // 9.6 s a replication over 100 days; 5,000 replications would take 13 CPU-hours. Charged 310 ns a node change, as before
    // services were woken, they would pass as 21 CPU-minutes.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.json");
    std::fs::write(&file, many_services(1000, "100d", 5_000)).unwrap();
    let summary = dir.path().join("summary.json");
    let output = failsim()
        .arg("run")
        .arg(&file)
        .arg("--json")
        .arg(&summary)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:4:42: at faults.node_failures[0]: this scenario would take about 4.8e10 events \
             and 13.4 CPU-hours",
            file.display()
        )),
        "{stderr}"
    );
    assert!(!summary.exists());
}

#[test]
fn rows_are_limited_only_where_they_are_written() {
    // 1,000 services × 10^5 replications without faults: 10^8 rows that a study folds into
    // sums and does not keep, so validation accepts it (0.1 CPU-hours); `--csv` with 10^6
    // replications (1.1 CPU-hours) would write 10^9 rows of replications.csv (140 GB) and
    // is refused before anything is written.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.json");
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
    std::fs::write(&file, text).unwrap();
    let validate = failsim().arg("validate").arg(&file).output().unwrap();
    assert_eq!(validate.status.code(), Some(0), "{validate:?}");
    let csv = dir.path().join("csv");
    let output = failsim()
        .arg("run")
        .arg(&file)
        .arg("--replications")
        .arg("1000001")
        .arg("--csv")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: --replications with --csv: 1000 services × 1000001 replications make 1.0e9 \
             result rows (about 1.4e11 bytes of replications.csv on disk), beyond the limit \
             of 1e9 rows",
            file.display()
        )),
        "{stderr}"
    );
    assert!(!csv.exists());
}

#[test]
fn slos_are_checked_once_per_run_not_per_replication() {
    let slos: Vec<String> = (0..10_000)
        .map(|i| format!(r#""availability>={}""#, 0.5 + i as f64 * 1e-6))
        .collect();
    let text = format!(
        r#"{{"horizon": "1d", "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
            "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}}],
            "slo": [{}]}}"#,
        slos.join(",")
    );
    let scenario = compiled(&text).unwrap();
    let shares = scenario.work_estimate();
    let slo = shares.iter().find(|s| s.source == "slo").unwrap();
    assert!(slo.once);
    assert!((slo.secs - 10_000.0 * 5e-6).abs() < 1e-12);
    // A thousand more replications add the per-replication set-up only.
    let setup = share_secs(&scenario, "topology");
    let more = expected_secs(&shares, 1001) - expected_secs(&shares, 1);
    assert!((more - 1000.0 * setup).abs() < 1e-9, "{more}");
}

/// `processes` random partition processes over 1,000 nodes, each partitioned a day of
/// every 25 hours, over 25 days.
fn overlapping_partitions(topology: &str, processes: usize, replications: u64) -> String {
    let process = r#"{"interarrival": {"const": "1h"}, "duration": {"const": "1d"}}"#;
    format!(
        r#"{{"horizon": "25d", "replications": {replications}, "topology": {topology},
            "services": [{{"name": "s", "strategy": "N_WAY", "replicas": ["n1", "n2", "n3"]}}],
            "faults": {{"random_partitions": [{}]}}}}"#,
        vec![process; processes].join(",")
    )
}

#[test]
fn overlapping_partitions_are_refused_with_the_nodes_each_change_touches() {
    // 100 processes, 96 active at once: 4,800 changes a replication, each touching the
    // 1,000 nodes once at 25 ns, whatever the partitions active (25 µs, 27 µs with the
    // event and the service it wakes): 0.13 s; 10^6 replications are 36 CPU-hours, 10^3
    // two minutes.
    let topology = r#"{"generators": [{"ring": {"nodes": 1000}}], "implied_links": true}"#;
    let problem = refusal(&overlapping_partitions(topology, 100, 1_000_000));
    assert!(
        problem.path.starts_with("faults.random_partitions["),
        "{problem:?}"
    );
    assert!(
        problem
            .message
            .contains("each of its partition changes touches 1000 nodes"),
        "{}",
        problem.message
    );
    assert!(compiled(&overlapping_partitions(topology, 100, 1000)).is_ok());
    // Ten thousand like processes: each is a sliver of the whole, still shown as one.
    let problem = refusal(&overlapping_partitions(topology, 10_000, 10_000));
    assert_eq!(problem.path, "faults.random_partitions[9999]");
    assert!(
        problem.message.contains("; 0.01% from here: "),
        "{}",
        problem.message
    );
}

#[test]
fn partitions_of_a_mesh_walk_every_link_once_per_replica_and_are_refused_beyond_the_budget() {
    // A 500-node mesh: 124,750 explicit links, walked for reachability and from each of
    // the 3 replicas after each change.
    let topology = r#"{"generators": [{"mesh": {"nodes": 500}}]}"#;
    let scenario = compiled(&overlapping_partitions(topology, 1, 1)).unwrap();
    let share = &scenario.work_estimate()[2];
    assert_eq!(share.source, "faults.random_partitions[0]");
    let what = share.per_event.as_deref().unwrap();
    assert!(what.ends_with("and walks 124750 links 4 times"), "{what}");
    // 48 changes × 4 walks × 124,750 links × 15 ns: 0.36 s a replication.
    let per_replication = expected_secs(&scenario.work_estimate(), 1);
    assert!((0.35..0.37).contains(&per_replication), "{per_replication}");
    let replications = (MAX_WORK_SECS / per_replication) as u64 + 1000;
    let problem = refusal(&overlapping_partitions(topology, 1, replications));
    assert_eq!(problem.path, "faults.random_partitions[0]");
    assert!(
        problem.message.contains("walks 124750 links 4 times"),
        "{}",
        problem.message
    );
}

#[test]
fn probes_lost_on_a_degraded_link_are_refused_up_front_at_the_loss() {
    // A monitor probing every microsecond across a link losing half its probes flaps the
    // primary every ~4 µs: over a day, 2.2e10 flaps of 5 events (a fuzz finding ran
    // past 60 s for 43 minutes of it).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lossy.json");
    std::fs::write(
        &file,
        r#"{"horizon": "1d", "replications": 1,
 "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "m"}]},
 "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"],
   "detection": {"interval": "1us", "timeout": "0s", "unhealthy_threshold": 1, "healthy_threshold": 1},
   "active_passive": {"monitor": "m", "fencing": true, "failback": "automatic", "hold_down": "4us"}}],
 "faults": {"scheduled": [{"at": "0s", "fault": {"degrade_link": {"from": "m", "to": "a", "loss": 0.5}}}]}}"#,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let output = failsim().arg("validate").arg(&file).output().unwrap();
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:6:99: at faults.scheduled[0].fault.degrade_link.loss: this scenario would take \
             about 1.1e11 events",
            file.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "health checks across this link lose 50.000% of their probes and flap a live \
             replica down and up about every 4.0e-6 s), beyond the limit"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "lower `replications`, shorten `horizon`, probe less often \
             (`detection.interval`), or lose fewer probes"
        ),
        "{stderr}"
    );
}
