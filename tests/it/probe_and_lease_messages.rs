//! Traffic-manager probes and lease renewals are messages (DESIGN §3–§4): a GEOGRAPHIC
//! prober's probe fails when its round trip exceeds the detection timeout or the link
//! loses it, and over jittered links draws its round trip per probe; a lease renewal
//! draws its one-way delay per renewal, and a lost renewal is not received.

use crate::common::{ns, run, run_json, scenario};
use failsim::compile::CompiledScenario;
use failsim::core::record::{FailoverRecord, Outcome};
use failsim::core::time::SimTime;
use failsim::sim::engine::ServiceOutcome;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000 * MS;

/// Regions east (e1, e2) and west (w1, w2); one client `c` in a third region, where the
/// one traffic-manager prober and the load balancer stand. Probes every second at phase
/// 0, 500 ms timeout, three failures declare a region down; DNS TTL 0. `global` is the
/// latency between regions, `probing` lazy or explicit.
fn geographic(global: &str, probing: &str, faults: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"seed": 11, "replications": 1, "horizon": "2m",
        "topology": {{"nodes": [
            {{"id": "e1", "region": "east", "zone": "east-a"}},
            {{"id": "e2", "region": "east", "zone": "east-b"}},
            {{"id": "w1", "region": "west", "zone": "west-a"}},
            {{"id": "w2", "region": "west", "zone": "west-b"}},
            {{"id": "c", "region": "central", "zone": "central-a", "role": "client"}}],
            "latency": {{"zone": "1ms", "region": "2ms", "global": {global}}}}},
        "services": [{{"name": "api", "strategy": "GEOGRAPHIC",
            "replicas": ["e1", "e2", "w1", "w2"], "vantage_points": ["c"],
            "detection": {{"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s", "probing": "{probing}"}},
            "geographic": {{"primary_region": "east", "dns_ttl": "0s",
                           "traffic_manager_probers": 1, "clients": 1}}}}],
        "faults": {{"scheduled": [{faults}]}}}}"#
    ))
}

/// The records of region failovers: those that move DNS to west (`to` is w1).
fn region_failovers(scenario: &CompiledScenario, service: &ServiceOutcome) -> Vec<FailoverRecord> {
    let w1 = scenario.topology.names.get("w1");
    let records = service.records.iter();
    records.filter(|r| r.to == w1).cloned().collect()
}

/// Degrades the links from the client to both east replicas at 10.2 s with `degrade`.
fn degrade_east(degrade: &str) -> String {
    ["e1", "e2"]
        .map(|to| {
            format!(r#"{{"at": "10200ms", "fault": {{"degrade_link": {{"from": "c", "to": "{to}", {degrade}}}}}}}"#)
        })
        .join(", ")
}

#[test]
fn a_probe_slower_than_the_timeout_declares_the_region_down_when_a_crash_would() {
    // East crashes, or its links from the prober slow by 3 s (round trip 6.04 s against a
    // 500 ms timeout), or lose every probe, at 10.2 s: the probes of 11, 12 and 13 s fail
    // and the third is known at 13.5 s, when the traffic manager declares east down.
    let crash = r#"{"at": "10200ms", "fault": {"crash_region": "east"}}"#.to_string();
    let slow = degrade_east(r#""added_latency": "3s""#);
    let lossy = degrade_east(r#""loss": 1.0"#);
    // Lazy and explicit probing agree.
    for probing in ["lazy", "explicit"] {
        for (name, faults) in [("crash", &crash), ("slow", &slow), ("lossy", &lossy)] {
            let scenario = geographic(r#""20ms""#, probing, faults);
            let service = run(&scenario, 0).services.remove(0);
            let records = region_failovers(&scenario, &service);
            assert_eq!(records.len(), 1, "{probing} {name}: {:?}", service.records);
            assert_eq!(
                records[0].detected_at,
                SimTime(13_500 * MS),
                "{probing} {name}"
            );
            if name != "lossy" {
                assert_eq!(
                    records[0].fault_at,
                    SimTime(10_200 * MS),
                    "{probing} {name}"
                );
            }
        }
    }
}

#[test]
fn a_probe_within_the_timeout_declares_nothing() {
    // 200 ms more each way: a round trip of 440 ms, within the 500 ms timeout. Without the
    // prober's latency the region answers too: no region failover either way.
    let within = degrade_east(r#""added_latency": "200ms""#);
    let scenario = geographic(r#""20ms""#, "lazy", &within);
    let service = run(&scenario, 0).services.remove(0);
    assert!(
        region_failovers(&scenario, &service).is_empty(),
        "{:?}",
        service.records
    );
    // 230 ms more is a round trip of 500 ms exactly: still within; 250 ms (540 ms) is not.
    for (added, failovers) in [("230ms", 0), ("250ms", 1)] {
        let slower = degrade_east(&format!(r#""added_latency": "{added}""#));
        let scenario = geographic(r#""20ms""#, "lazy", &slower);
        let service = run(&scenario, 0).services.remove(0);
        let records = region_failovers(&scenario, &service);
        assert_eq!(records.len(), failovers, "{added}: {:?}", service.records);
    }
}

#[test]
fn jittered_probes_beyond_or_within_the_timeout_give_the_records_of_a_fixed_latency() {
    // Every probe draws its round trip: two draws of U[260, 400] ms always exceed the
    // 500 ms timeout, two of U[100, 240] ms never do. So the jittered runs give exactly
    // the records, and time DOWN, of fixed latencies on the same side of the timeout
    // (explicit probing in both, as jitter makes it): with every probe failing from the
    // start both regions are declared down at 2.5 s, with none failing nothing happens.
    let crash =
        r#"{"at": "30s", "duration": {"const": "20s"}, "fault": {"crash": {"nodes": ["e1"]}}}"#;
    for (jittered, fixed) in [
        (
            r#"{"uniform": {"min": "260ms", "max": "400ms"}}"#,
            r#""330ms""#,
        ),
        (
            r#"{"uniform": {"min": "100ms", "max": "240ms"}}"#,
            r#""170ms""#,
        ),
    ] {
        let drawn = geographic(jittered, "explicit", crash);
        assert!(drawn.topology.jittered());
        let reference = geographic(fixed, "explicit", crash);
        let (a, b) = (
            run(&drawn, 0).services.remove(0),
            run(&reference, 0).services.remove(0),
        );
        assert_eq!(
            format!("{:?}", a.records),
            format!("{:?}", b.records),
            "{jittered}"
        );
        assert_eq!(
            (a.down_ns, a.degraded_ns),
            (b.down_ns, b.degraded_ns),
            "{jittered}"
        );
        // West is declared down at the same instant: the region failover finds no target.
        let no_target = a
            .records
            .iter()
            .filter(|r| r.outcome == Outcome::NoHealthyTarget);
        let declared: Vec<SimTime> = no_target.map(|r| r.detected_at).collect();
        if jittered.contains("260ms") {
            // The wait's record, then the same failover's at the horizon.
            assert_eq!(declared, vec![SimTime(2_500 * MS); 2], "{:?}", a.records);
        } else {
            assert!(declared.is_empty(), "{:?}", a.records);
            assert!(region_failovers(&drawn, &a).is_empty(), "{:?}", a.records);
        }
    }
}

#[test]
fn jittered_traffic_manager_probes_do_not_depend_on_the_thread_count() {
    // Round trips of U[100, 400] ms + U[100, 400] ms fail half the probes: regions flap,
    // at instants drawn per probe, and the bytes stay the same whatever the threads.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("geo.json");
    let text = r#"{"seed": 5, "replications": 6, "horizon": "20m",
        "topology": {"nodes": [
            {"id": "e1", "region": "east", "zone": "east-a"},
            {"id": "e2", "region": "east", "zone": "east-b"},
            {"id": "w1", "region": "west", "zone": "west-a"},
            {"id": "c", "region": "central", "zone": "central-a", "role": "client"}],
            "latency": {"zone": "1ms", "region": "2ms",
                        "global": {"uniform": {"min": "100ms", "max": "400ms"}}}},
        "services": [{"name": "api", "strategy": "GEOGRAPHIC",
            "replicas": ["e1", "e2", "w1"], "vantage_points": ["c"],
            "detection": {"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 2},
            "geographic": {"primary_region": "east", "dns_ttl": "5s", "clients": 4}}]}"#;
    std::fs::write(&file, text).unwrap();
    let json = |threads: &str| run_json(&["run", file.to_str().unwrap(), "--threads", threads]);
    let one = json("1");
    assert_eq!(one, json("4"));
    // Half the probes failing makes the traffic manager fail over now and then.
    let scenario = scenario(text);
    let w1 = scenario.topology.names.get("w1");
    let moved = (0..6)
        .map(|r| run(&scenario, r).services.remove(0))
        .filter(|s| s.records.iter().any(|r| r.to == w1))
        .count();
    assert!(moved > 0, "no region failover in 6 replications");
}

/// Primary `db1`, standby `db2`, the store on `etcd`, a client `app`, in four zones of one
/// region (`region` the latency between zones); renewals every 10 s at phase 0, ttl 30 s,
/// retry_timeout 10 s; automatic failover; `faults` scheduled.
fn lease(region: &str, replications: u32, horizon: &str, faults: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "{horizon}", "seed": 3, "replications": {replications},
        "topology": {{"nodes": [
            {{"id": "db1", "region": "r", "zone": "a"}}, {{"id": "db2", "region": "r", "zone": "b"}},
            {{"id": "etcd", "region": "r", "zone": "c"}}, {{"id": "app", "region": "r", "zone": "d"}}],
            "latency": {{"zone": "0s", "region": {region}, "global": "1ms"}}}},
        "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
            "vantage_points": ["app"],
            "detection": {{"interval": "1s", "timeout": "200ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"}},
            "failover": {{"mode": "AUTOMATIC", "timeout": "1m"}},
            "active_passive": {{"promotion": {{"const": "2s"}}, "reroute": {{"const": "1s"}},
                "lease": {{"ttl": "30s", "loop_wait": "10s", "retry_timeout": "10s",
                          "store": "etcd", "phase": "0s"}}}}}}],
        "faults": {{"scheduled": [{faults}]}}}}"#
    ))
}

/// `db1` crashes at 100.5 s, half a second after its renewal of 100 s, for an hour.
const PRIMARY_CRASH: &str =
    r#"{"at": "100500ms", "duration": {"const": "1h"}, "fault": {"crash": {"nodes": ["db1"]}}}"#;

/// The records that end a failover.
fn ends(service: &ServiceOutcome) -> Vec<&FailoverRecord> {
    service.records.iter().filter(|r| r.ends_failover).collect()
}

#[test]
fn a_jittered_renewal_delays_the_expiry_by_its_own_draw() {
    // The renewal sent at 100 s reaches etcd after U[1, 9] ms, drawn for that renewal;
    // the one of 90 s arrived by 90.009 s, so the lease expires at 130 s + the draw:
    // within [130.001, 130.009] s. Mean 130.005 s, standard deviation 8/√12 = 2.31 ms;
    // over 200 replications the mean's standard error is 0.16 ms: ±0.8 ms is five.
    let replications = 200;
    let scenario = lease(
        r#"{"uniform": {"min": "1ms", "max": "9ms"}}"#,
        replications,
        "10m",
        PRIMARY_CRASH,
    );
    let expiries: Vec<u64> = (0..u64::from(replications))
        .map(|r| {
            let service = run(&scenario, r).services.remove(0);
            let records = ends(&service);
            assert_eq!(records.len(), 1, "replication {r}: {records:?}");
            assert_eq!(records[0].fault_at, SimTime(100_500 * MS));
            records[0].detected_at.0
        })
        .collect();
    assert!(
        expiries
            .iter()
            .all(|&t| (130_001 * MS..=130_009 * MS).contains(&t)),
        "{expiries:?}"
    );
    let mean = expiries.iter().sum::<u64>() as f64 / f64::from(replications) / 1e6;
    assert!((mean - 130_005.0).abs() < 0.8, "mean {mean} ms");
    let distinct: std::collections::BTreeSet<u64> = expiries.iter().copied().collect();
    assert!(distinct.len() > 150, "{} distinct expiries", distinct.len());
}

#[test]
fn a_fixed_latency_draws_nothing_and_counts_from_the_renewal_s_arrival() {
    // A constant 1 ms is a plain 1 ms: the renewal of 100 s arrives at 100.001 s.
    for region in [r#""1ms""#, r#"{"const": "1ms"}"#] {
        let scenario = lease(region, 1, "10m", PRIMARY_CRASH);
        assert!(!scenario.topology.jittered());
        let service = run(&scenario, 0).services.remove(0);
        assert_eq!(
            ends(&service)[0].detected_at,
            SimTime(130_001 * MS),
            "{region}"
        );
    }
}

#[test]
fn a_link_losing_every_renewal_is_a_cut_from_the_store() {
    // From 100.5 s the link db1–etcd loses everything: etcd last received the renewal of
    // 100 s (at 100.001 s), the lease expires at 130.001 s and db2 takes over; db1, up,
    // misses its renewal of 110 s and demotes itself at 120 s, before: no split-brain.
    let lossy = r#"{"at": "100500ms", "fault": {"degrade_link": {"from": "db1", "to": "etcd", "loss": 1.0}}}"#;
    let scenario = lease(r#""1ms""#, 1, "10m", lossy);
    let service = run(&scenario, 0).services.remove(0);
    let records = ends(&service);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].fault_at, SimTime(100_500 * MS));
    assert_eq!(records[0].detected_at, SimTime(130_001 * MS));
    assert_eq!(records[0].to, scenario.topology.names.get("db2"));
    assert_eq!(service.split_brain_ns, 0);
}

#[test]
fn lost_renewals_let_the_lease_expire_under_a_live_holder_after_the_derived_wait() {
    // From 0 s the link db1–etcd loses each renewal with probability ½. The lease expires
    // once three renewals in a row are lost (ttl / loop_wait): the renewal before the run
    // arrived 1 ms after it was sent, so the expiry is 20.001 s after the run's first
    // renewal (30 s after the one before). Renewals until such a run, counted from the
    // one of 10 s: mean (1 − ½³) / (½ · ½³) = 14, standard deviation 11.9; the run starts
    // with renewal N − 2, at 10 s · (N − 2): mean 120 s, standard deviation 119 s. Over
    // 400 replications the mean's standard error is 6 s: ±25 s is four. db1 still reaches
    // etcd, so it finds the lease taken and steps down: no split-brain.
    let replications = 400;
    let lossy =
        r#"{"at": "0s", "fault": {"degrade_link": {"from": "db1", "to": "etcd", "loss": 0.5}}}"#;
    let scenario = lease(r#""1ms""#, replications, "2h", lossy);
    let starts: Vec<u64> = (0..u64::from(replications))
        .map(|r| {
            let service = run(&scenario, r).services.remove(0);
            let records = ends(&service);
            let first = records
                .first()
                .unwrap_or_else(|| panic!("replication {r}: no failover"));
            assert_eq!(
                first.fault_at.0 % (10 * SEC),
                0,
                "replication {r}: {first:?}"
            );
            assert!(first.fault_at.0 >= 10 * SEC, "replication {r}: {first:?}");
            assert_eq!(
                first.detected_at.0 - first.fault_at.0,
                ns(20.001),
                "replication {r}"
            );
            assert_eq!(service.split_brain_ns, 0, "replication {r}");
            first.fault_at.0
        })
        .collect();
    let mean = starts.iter().sum::<u64>() as f64 / f64::from(replications) / 1e9;
    assert!((mean - 120.0).abs() < 25.0, "mean {mean} s");
}

#[test]
fn jittered_lease_renewals_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lease.json");
    let text = std::fs::read_to_string("scenarios/lease-patroni.json").unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["topology"]["latency"] = serde_json::json!({
        "zone": {"uniform": {"min": "1ms", "max": "9ms"}},
        "region": {"exp": {"mean": "3ms"}},
        "global": "40ms"
    });
    value["replications"] = serde_json::json!(8);
    value["horizon"] = serde_json::json!("3d");
    std::fs::write(&file, value.to_string()).unwrap();
    let json = |threads: &str| run_json(&["run", file.to_str().unwrap(), "--threads", threads]);
    let one = json("1");
    assert_eq!(one, json("4"));
    assert_eq!(one, json("1"));
}
