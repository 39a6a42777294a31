//! Inert faults (DESIGN §5): a fault that cannot change any service's state is warned
//! about at `validate` and `run` (exit 0, the fault's path and id, and why); replicas
//! disconnected at t = 0 are refused (the bad-input corpus holds those files).

use crate::common::{failsim, scenario};

/// The warnings of a scenario, as `path: message`.
fn warnings(text: &str) -> Vec<String> {
    scenario(text)
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect()
}

/// Three nodes in one zone (0.2 ms apart) and two in another region (40 ms away), an
/// N_WAY group over a, b, c and an ACTIVE_PASSIVE pair over d, e seen from the default
/// global vantage point, and the scheduled `faults`.
fn with_faults(faults: &str) -> String {
    format!(
        r#"{{"horizon": "1d",
            "topology": {{"nodes": [
                {{"id": "a", "region": "r1", "zone": "z1"}}, {{"id": "b", "region": "r1", "zone": "z1"}},
                {{"id": "c", "region": "r1", "zone": "z1"}}, {{"id": "d", "region": "r2", "zone": "z2"}},
                {{"id": "e", "region": "r2", "zone": "z2"}}, {{"id": "client", "region": "r2", "zone": "z2"}}]}},
            "services": [{{"name": "raft", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}},
                         {{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["d", "e"]}}],
            "faults": {{"scheduled": [{faults}]}}}}"#
    )
}

#[test]
fn a_cut_link_routed_around_by_implied_links_is_warned_with_its_detour() {
    let found = warnings(&with_faults(
        r#"{"at": "1h", "fault": {"cut_link": {"from": "a", "to": "b"}}}"#,
    ));
    assert_eq!(
        found,
        ["faults.scheduled[0].fault.cut_link: fault `f1` (cut_link) cannot change any service's \
          state: the cut is routed around: implied links join every pair of nodes, so `a` still \
          reaches `b` through a third node (one-way delay 200µs → 400µs); to cut them apart use \
          `partition`, `isolate` or `one_way`"]
    );
}

#[test]
fn a_cut_link_over_explicit_links_is_warned_only_when_other_links_join_the_same_nodes() {
    let triangle = |cut: &str| {
        format!(
            r#"{{"horizon": "1d",
                "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}, {{"id": "x"}}],
                  "links": [{{"from": "a", "to": "b", "latency": "1ms"}}, {{"from": "b", "to": "c", "latency": "1ms"}},
                            {{"from": "c", "to": "a", "latency": "1ms"}}, {{"from": "c", "to": "x", "latency": "1ms"}}]}},
                "services": [{{"name": "raft", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}}],
                "faults": {{"scheduled": [{{"at": "1h", "fault": {{"cut_link": {cut}}}}}]}}}}"#
        )
    };
    let found = warnings(&triangle(r#"{"from": "a", "to": "b"}"#));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("the cut is routed around: other links still join"),
        "{found:?}"
    );
    // The only link to x: nothing of the service runs over it either.
    assert_eq!(warnings(&triangle(r#"{"from": "c", "to": "x"}"#)).len(), 1);
}

#[test]
fn an_isolated_region_is_warned_unless_a_service_observes_across_it() {
    // r2 holds the whole ACTIVE_PASSIVE pair, seen by the global vantage point and
    // monitor; the N_WAY group is all in r1.
    let found = warnings(&with_faults(
        r#"{"at": "1h", "fault": {"isolate_region": "r2"}}"#,
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "faults.scheduled[0].fault.isolate_region: fault `f1` (isolate_region) cannot change \
             any service's state: no service observes across it"
        ),
        "{found:?}"
    );
    // A vantage point in r1 sees the pair cut off.
    let watched = with_faults(r#"{"at": "1h", "fault": {"isolate_region": "r2"}}"#).replacen(
        r#""replicas": ["d", "e"]"#,
        r#""replicas": ["d", "e"], "vantage_points": ["a"]"#,
        1,
    );
    assert!(warnings(&watched).is_empty());
    // Splitting the N_WAY group is seen by its replicas.
    assert!(warnings(&with_faults(
        r#"{"at": "1h", "fault": {"isolate": {"nodes": ["a"]}}}"#
    ))
    .is_empty());
    // A one-way cut between the pair's replicas: nobody observes them from a node.
    assert_eq!(
        warnings(&with_faults(
            r#"{"at": "1h", "fault": {"one_way": {"from": ["d"], "to": ["e"]}}}"#
        ))
        .len(),
        1
    );
}

#[test]
fn latency_below_every_timeout_is_warned_and_beyond_one_or_with_loss_is_not() {
    let degrade = |latency: &str, loss: f64| {
        warnings(&with_faults(&format!(
            r#"{{"at": "1h", "fault": {{"degrade_link": {{"from": "a", "to": "b", "added_latency": "{latency}", "loss": {loss}}}}}}}"#
        )))
    };
    // Round trip 2 × (0.2 + 10) ms = 20.4 ms, below raft's 150 ms election timeout and
    // db's 2 s probe timeout.
    assert_eq!(
        degrade("10ms", 0.0),
        [
            "faults.scheduled[0].fault.degrade_link: fault `f1` (degrade_link) cannot change any \
          service's state: it adds 10ms of latency and loses nothing, and the link's round trip, \
          20.4ms, stays below every timeout (the shortest: the election timeout of service \
          `raft`, 150ms); add `loss`, or latency beyond a timeout"
        ]
    );
    // 2 × 80.2 ms = 160.4 ms overruns the election timeout.
    assert!(degrade("80ms", 0.0).is_empty());
    assert!(degrade("10ms", 0.1).is_empty());
}

#[test]
fn a_crash_of_nodes_no_service_uses_is_warned() {
    let found = warnings(&with_faults(
        r#"{"at": "1h", "fault": {"crash": {"nodes": ["client"]}}}"#,
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("none of its nodes is a service's replica"));
    assert!(warnings(&with_faults(
        r#"{"at": "1h", "fault": {"crash": {"nodes": ["client", "e"]}}}"#
    ))
    .is_empty());
}

#[test]
fn a_random_partition_is_warned_when_its_scope_holds_no_two_nodes_that_talk() {
    let text = |scope: &str| {
        with_faults("").replacen(
            r#""scheduled": []"#,
            &format!(
                r#""random_partitions": [{{"interarrival": {{"exp": {{"mean": "1d"}}}}, "duration": {{"const": "1h"}},
                     "shape": "isolate_one", "scope": {scope}}}]"#
            ),
            1,
        )
    };
    let found = warnings(&text(r#"{"service": "db"}"#));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(
        "faults.random_partitions[0]: fault `random_partitions[0]` (random_partition) cannot change"
    ));
    assert!(warnings(&text(r#"{"service": "raft"}"#)).is_empty());
}

#[test]
fn past_ten_inert_faults_the_rest_are_counted_in_one_warning() {
    let faults: Vec<String> = (0..13)
        .map(|i| {
            format!(
                r#"{{"at": "{}h", "fault": {{"crash": {{"nodes": ["client"]}}}}}}"#,
                i + 1
            )
        })
        .collect();
    let found = warnings(&with_faults(&faults.join(",")));
    assert_eq!(found.len(), 11, "{found:?}");
    assert!(found[9].starts_with("faults.scheduled[9].fault.crash: fault `f10`"));
    assert_eq!(
        found[10],
        "faults: 3 more faults cannot change any service's state (the first 10 are listed)"
    );
}

#[test]
fn validate_and_run_print_the_warning_at_its_line_and_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cut.json");
    std::fs::write(
        &file,
        with_faults(r#"{"at": "1h", "fault": {"cut_link": {"from": "a", "to": "b"}}}"#),
    )
    .unwrap();
    let output = failsim().arg("validate").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "cut.json:8:73: warning: at faults.scheduled[0].fault.cut_link: fault `f1` (cut_link)"
        ),
        "{stdout}"
    );
    let json = dir.path().join("out.json");
    let output = failsim()
        .args(["run", "--replications", "2", "--json"])
        .arg(&json)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: at faults.scheduled[0].fault.cut_link"),
        "{stderr}"
    );
    assert!(json.exists());
}

#[test]
fn the_summary_counts_per_fault_its_starts_the_nodes_it_affected_and_the_services_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("effects.json");
    // f1 crashes db's primary for an hour: db goes DOWN, then UP on the standby (two
    // changes a replication); f2 is a cut routed around (two ends, nothing changed); f3
    // isolates r2 (d, e and client moved), which nobody observes across.
    std::fs::write(
        &file,
        with_faults(
            r#"{"at": "1h", "duration": {"const": "1h"}, "fault": {"crash": {"nodes": ["d"]}}},
               {"at": "3h", "duration": {"const": "1h"}, "fault": {"cut_link": {"from": "a", "to": "b"}}},
               {"at": "5h", "duration": {"const": "1h"}, "fault": {"isolate_region": "r2"}}"#,
        ),
    )
    .unwrap();
    let output = failsim()
        .args(["run", "--replications", "3", "--json", "-"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        summary["faults"],
        serde_json::json!([
            {"fault": "f1", "kind": "crash", "starts": 3, "nodes_affected": 1.0,
             "services_changed": ["db"], "state_changes": 6},
            {"fault": "f2", "kind": "cut_link", "starts": 3, "nodes_affected": 2.0,
             "services_changed": [], "state_changes": 0},
            {"fault": "f3", "kind": "isolate_region", "starts": 3, "nodes_affected": 3.0,
             "services_changed": [], "state_changes": 0}
        ])
    );
}

#[test]
fn a_monitor_whose_probes_cannot_come_back_within_the_timeout_is_warned() {
    // The monitor sits in another region, 40 ms each way: an 80 ms round trip against a
    // 50 ms probe timeout fails every probe; 100 ms is enough and nothing is said.
    let text = |timeout: &str| {
        format!(
            r#"{{"horizon": "1d",
            "topology": {{"nodes": [{{"id": "a", "region": "r1"}}, {{"id": "b", "region": "r1"}},
                                   {{"id": "mon", "region": "r2", "role": "monitor"}}]}},
            "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"],
                          "detection": {{"timeout": "{timeout}"}},
                          "active_passive": {{"monitor": "mon"}}}}]}}"#
        )
    };
    assert_eq!(
        warnings(&text("50ms")),
        [
            "services[0].active_passive.monitor: monitor `mon` of service `db` probes replica `a` \
          with a round trip of 80ms, longer than the probe timeout (50ms): every probe fails and \
          the replica is believed down from the start; raise `detection.timeout`"
        ]
    );
    assert!(warnings(&text("100ms")).is_empty());
}
