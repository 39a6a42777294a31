//! Jittered link latencies (DESIGN §2): a latency written as a distribution makes each
//! message draw its own delay when it is sent; a fixed one (a plain duration or a
//! `const`) draws nothing and reproduces the instants of a plain duration exactly.

use crate::common::{ns, run, run_json, scenario};
use failsim::compile::CompiledScenario;
use failsim::core::record::Outcome;

/// a, b, c in one zone, `zone` the latency between them; heartbeats every 50 ms, a
/// constant 300 ms election timeout. From 0.5 s a one-way cut drops a → c, so c stops
/// hearing the leader a; its pre-vote fails (b still hears a) and it waits. a crashes at
/// 1.020 s.
fn group(zone: &str, replications: u64) -> CompiledScenario {
    scenario(&format!(
        r#"{{
        "horizon": "5s", "replications": {replications},
        "topology": {{
            "nodes": [{{"id": "a", "zone": "z"}}, {{"id": "b", "zone": "z"}},
                      {{"id": "c", "zone": "z"}}],
            "latency": {{"zone": {zone}}}
        }},
        "services": [{{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"],
            "n_way": {{"heartbeat": "50ms", "election_timeout_min": "300ms",
                      "election_timeout_max": "300ms"}}}}],
        "faults": {{"scheduled": [
            {{"id": "deaf", "at": "500ms", "duration": {{"const": "10s"}},
              "fault": {{"one_way": {{"from": ["a"], "to": ["c"]}}}}}},
            {{"id": "crash", "at": "1020ms", "fault": {{"crash": {{"nodes": ["a"]}}}}}}]}}
    }}"#
    ))
}

/// The failover time of the one failover of each replication, in nanoseconds.
fn failover_times(scenario: &CompiledScenario, replications: u64) -> Vec<u64> {
    (0..replications)
        .map(|r| {
            let records = &run(scenario, r).services[0].records;
            assert_eq!(records.len(), 1, "replication {r}: {records:?}");
            let record = &records[0];
            assert_eq!(record.outcome, Outcome::Success);
            assert_eq!(record.fault_at.0, ns(1.020));
            assert_eq!(record.to, Some(scenario.topology.names.get("b").unwrap()));
            record.completed_at.0 - record.fault_at.0
        })
        .collect()
}

#[test]
fn a_constant_latency_reproduces_the_instants_of_a_plain_duration() {
    // b last heard the heartbeat sent at 1.000 s (1.005 s) and times out at 1.305 s. c,
    // parked, restarts its timer when a crashes (due 1.320 s). b's vote request reaches c
    // at 1.310 s, c's grant comes back at 1.315 s: 295 ms after the crash.
    for zone in [r#""5ms""#, r#"{"const": "5ms"}"#] {
        let scenario = group(zone, 3);
        assert!(!scenario.topology.jittered());
        assert_eq!(failover_times(&scenario, 3), vec![ns(0.295); 3], "{zone}");
    }
}

#[test]
fn uniform_jitter_gives_the_derived_mean_election_time() {
    // Every message between a, b and c takes U[1 ms, 9 ms], drawn when it is sent. b
    // heard a's last heartbeat (sent at 1.000 s) after d₁ and times out at 1.300 s + d₁,
    // before c's timer (1.320 s) whatever the draws; its vote request takes d₂ and c's
    // grant d₃, so b leads 280 ms + d₁ + d₂ + d₃ after the crash: within [283, 307] ms,
    // mean 295 ms, standard deviation √(3 · 8²/12) ms = 4 ms. Over 400 replications the
    // mean's standard error is 0.2 ms: ±1 ms is five of them.
    let replications = 400;
    let scenario = group(r#"{"uniform": {"min": "1ms", "max": "9ms"}}"#, replications);
    assert!(scenario.topology.jittered());
    let times = failover_times(&scenario, replications);
    assert!(times.iter().all(|&t| (ns(0.283)..=ns(0.307)).contains(&t)));
    let mean = times.iter().sum::<u64>() as f64 / replications as f64 / 1e6;
    assert!((mean - 295.0).abs() < 1.0, "mean {mean} ms");
    // The draws differ from replication to replication: not one delay reused.
    let distinct: std::collections::BTreeSet<u64> = times.iter().copied().collect();
    assert!(distinct.len() > 300, "{} distinct times", distinct.len());
}

#[test]
fn jittered_runs_are_reproducible_and_do_not_depend_on_the_thread_count() {
    // ACTIVE_PASSIVE's monitor probes (explicit over jittered links) and N_WAY's votes
    // and heartbeats.
    let dir = tempfile::tempdir().unwrap();
    for name in ["quickstart", "n-way"] {
        let file = dir.path().join(format!("{name}.json"));
        let text = std::fs::read_to_string(format!("scenarios/{name}.json")).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["topology"]["latency"] = serde_json::json!({
            "zone": {"lognormal": {"median": "1ms", "sigma": 0.5}},
            "region": {"exp": {"mean": "3ms"}},
            "global": {"empirical": ["40ms", "45ms", "80ms"]}
        });
        value["replications"] = serde_json::json!(8);
        value["horizon"] = serde_json::json!("30d");
        std::fs::write(&file, value.to_string()).unwrap();
        let json = |threads: &str| run_json(&["run", file.to_str().unwrap(), "--threads", threads]);
        let one = json("1");
        assert_eq!(one, json("4"), "{name}");
        assert_eq!(one, json("1"), "{name}");
    }
}
