//! Latent faults, inspections, restarts, working hours and rolling maintenance
//! (DESIGN §5): exact instants with constant times, and the trace events that say so.

use crate::common::{node_transitions, ns, run, scenario};
use failsim::compile::CompiledScenario;
use failsim::core::record::Outcome;
use failsim::core::time::SimTime;
use failsim::sim::engine::Replication;
use failsim::sim::faults::FaultRegistry;
use failsim::sim::trace::{TraceEvent, TraceSink};

const HOUR: u64 = 3_600_000_000_000;
const MINUTE: u64 = 60_000_000_000;

/// The upkeep events of replication 0's trace, as (time ns, text).
fn upkeep_trace(scenario: &CompiledScenario) -> Vec<(u64, String)> {
    struct Collect<'a>(&'a CompiledScenario, Vec<(u64, String)>);
    impl TraceSink for Collect<'_> {
        fn record(&mut self, at: SimTime, event: &TraceEvent) {
            let name = |n: failsim::core::ids::NodeId| self.0.topology.names.name(n).to_string();
            let text = match event {
                TraceEvent::LatentFaultStart { node, .. } => format!("latent {}", name(*node)),
                TraceEvent::LatentFaultFound {
                    node, inspection, ..
                } => {
                    let by = if *inspection {
                        "inspection"
                    } else {
                        "promotion"
                    };
                    format!("found {} by {by}", name(*node))
                }
                TraceEvent::InspectionMissed { node, .. } => format!("missed {}", name(*node)),
                TraceEvent::Restart {
                    node,
                    restart,
                    delay,
                } => format!(
                    "restart {} #{restart} after {} s",
                    name(*node),
                    delay / 1_000_000_000
                ),
                TraceEvent::MaintenanceSkipped { node, .. } => {
                    format!("maintenance skipped {}", name(*node))
                }
                _ => return,
            };
            self.1.push((at.0, text));
        }
    }
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = Collect(scenario, Vec::new());
    Replication::new(scenario, &registry, 0, Some(&mut sink)).run();
    sink.1
}

/// ACTIVE_PASSIVE over db1, db2, db3 with a monitor probing every 5 s from phase 0
/// (3 failures to declare down, 2 successes up), promotion 2 s, re-route 1 s, one retry
/// after 5 s; db2 fails latently after 1 h (constant), is repaired in 1 h once found,
/// and is inspected every 24 h from 12 h, an inspection lasting 1 h.
fn latent_standby(horizon: &str, crash_at: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "{horizon}", "replications": 1,
            "topology": {{"nodes": [{{"id": "db1", "zone": "a"}}, {{"id": "db2", "zone": "b"}},
                                   {{"id": "db3", "zone": "c"}}, {{"id": "mon", "zone": "d", "role": "monitor"}}]}},
            "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2", "db3"],
              "detection": {{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                            "healthy_threshold": 2, "phase": "0s"}},
              "failover": {{"retries": 1, "backoff": "5s"}},
              "active_passive": {{"monitor": "mon", "promotion": {{"const": "2s"}}, "reroute": {{"const": "1s"}}}}}}],
            "faults": {{
              "latent_faults": [{{"nodes": ["db2"], "ttf": {{"const": "1h"}}, "ttr": {{"const": "1h"}},
                                 "inspection": {{"interval": "24h", "duration": "1h", "phase": "12h"}}}}],
              "scheduled": [{{"at": "{crash_at}", "fault": {{"crash": {{"nodes": ["db1"]}}}}}}]}}}}"#
    ))
}

#[test]
fn a_promotion_to_a_latently_failed_standby_fails_and_the_next_standby_is_promoted() {
    // db2 is latently failed from 1 h. db1 crashes at 2 h 2 s: probes at 2 h + 5 s,
    // +10 s, +15 s fail, the third known at +17 s (timeout 2 s); the promotion of db2,
    // done at +19 s, finds its latent fault: PromotionFailed. The retry after 5 s (at
    // +24 s) passes db2 over and promotes db3 (+26 s), re-routed at +27 s.
    let scenario = latent_standby("6h", "7202s");
    let outcome = run(&scenario, 0);
    let records = &outcome.services[0].records;
    let name = |n: Option<failsim::core::ids::NodeId>| {
        n.map(|n| scenario.topology.names.name(n).to_string())
    };
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].outcome, Outcome::PromotionFailed);
    assert_eq!(name(records[0].to).as_deref(), Some("db2"));
    assert_eq!(records[0].completed_at.0, 2 * HOUR + ns(19.0));
    assert_eq!(records[1].outcome, Outcome::Success);
    assert_eq!(name(records[1].to).as_deref(), Some("db3"));
    assert_eq!(records[1].completed_at.0, 2 * HOUR + ns(27.0));
    // Found by the promotion, db2 is down for its repair (1 h) from then on.
    let trace = upkeep_trace(&scenario);
    assert_eq!(
        trace[..2],
        [
            (HOUR, "latent db2".to_string()),
            (2 * HOUR + ns(19.0), "found db2 by promotion".to_string()),
        ]
    );
    let db2: Vec<_> = node_transitions(&scenario, 0)
        .into_iter()
        .filter(|(_, node, _)| node == "db2")
        .collect();
    assert_eq!(
        db2[..2],
        [
            (2 * HOUR + ns(19.0), "db2".to_string(), true),
            (3 * HOUR + ns(19.0), "db2".to_string(), false),
        ]
    );
}

#[test]
fn an_inspection_finds_a_latent_fault_and_the_repaired_standby_is_promoted_again() {
    // db2 fails latently at 1 h; the inspection from 12 h finds it at its end, 13 h;
    // repaired at 14 h (and latent again at 15 h). db1 crashes at 14 h 30 m 2 s: db2,
    // up and declared healthy again, is promoted (+17 s decided, +19 s promoted) and
    // serves at +20 s.
    let scenario = latent_standby("16h", "52202s");
    let trace = upkeep_trace(&scenario);
    assert_eq!(
        trace[..3],
        [
            (HOUR, "latent db2".to_string()),
            (13 * HOUR, "found db2 by inspection".to_string()),
            (15 * HOUR, "latent db2".to_string()),
        ],
        "{trace:?}"
    );
    let db2: Vec<_> = node_transitions(&scenario, 0)
        .into_iter()
        .filter(|(_, node, _)| node == "db2")
        .collect();
    assert_eq!(
        db2,
        [
            (13 * HOUR, "db2".to_string(), true),
            (14 * HOUR, "db2".to_string(), false),
        ]
    );
    let outcome = run(&scenario, 0);
    let records = &outcome.services[0].records;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].outcome, Outcome::Success);
    assert_eq!(
        records[0].to.map(|n| n.index()),
        Some(1),
        "db2 is eligible again"
    );
    assert_eq!(
        records[0].completed_at.0,
        14 * HOUR + 30 * MINUTE + ns(20.0)
    );
}

#[test]
fn an_inspection_that_always_misses_leaves_the_latent_fault_to_the_promotion() {
    // Miss probability just below 1: the 12 h inspection misses, so db1's crash at 14 h
    // 30 m still meets db2's latent fault and promotes db3.
    let text = r#"{"horizon": "15h", "replications": 1,
        "topology": {"nodes": [{"id": "db1"}, {"id": "db2"}, {"id": "db3"}]},
        "services": [{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2", "db3"],
          "failover": {"retries": 1}}],
        "faults": {
          "latent_faults": [{"nodes": ["db2"], "ttf": {"const": "1h"}, "ttr": {"const": "1h"},
                             "inspection": {"interval": "24h", "phase": "12h", "miss_probability": 0.999999999}}],
          "scheduled": [{"at": "14h30m", "fault": {"crash": {"nodes": ["db1"]}}}]}}"#;
    let scenario = scenario(text);
    let trace = upkeep_trace(&scenario);
    assert_eq!(trace[1], (12 * HOUR, "missed db2".to_string()));
    assert_eq!(trace[2].1, "found db2 by promotion");
    let outcome = run(&scenario, 0);
    let last = outcome.services[0].records.last().expect("a failover");
    assert_eq!(last.outcome, Outcome::Success);
    assert_eq!(last.to.map(|n| n.index()), Some(2));
}

/// One ACTIVE_ACTIVE node `a` failing every 10 s of uptime (constant), repaired in 1 h,
/// with `extra` fields on its failure process.
fn crashing(horizon: &str, ttf: &str, extra: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "{horizon}", "replications": 1,
            "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
            "services": [{{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}}],
            "faults": {{"node_failures": [{{"nodes": ["a"], "ttf": {{"const": "{ttf}"}},
                                          "ttr": {{"const": "1h"}} {extra}}}]}}}}"#
    ))
}

#[test]
fn three_restarts_after_1_2_and_4_seconds_then_the_fourth_crash_needs_the_full_repair() {
    // The same delays listed, or as a base and a factor.
    for restart in [
        r#"{"backoff": ["1s", "2s", "4s"], "max_restarts": 3}"#,
        r#"{"backoff": ["1s"], "factor": 2, "max_restarts": 3}"#,
    ] {
        restarts_after_1_2_and_4_seconds(restart);
    }
}

fn restarts_after_1_2_and_4_seconds(restart: &str) {
    let scenario = crashing("2h", "10s", &format!(r#", "restart": {restart}"#));
    let transitions = node_transitions(&scenario, 0);
    let s = |t: f64, down: bool| (ns(t), "a".to_string(), down);
    assert_eq!(
        transitions[..10],
        [
            s(10.0, true),
            s(11.0, false), // restart 1 after 1 s
            s(21.0, true),
            s(23.0, false), // restart 2 after 2 s
            s(33.0, true),
            s(37.0, false), // restart 3 after 4 s
            s(47.0, true),
            s(3647.0, false), // the fourth crash: the full repair of 1 h
            s(3657.0, true),
            s(3658.0, false), // the count starts again after a full repair
        ],
        "{restart}"
    );
    let trace = upkeep_trace(&scenario);
    assert_eq!(trace[2], (ns(33.0), "restart a #3 after 4 s".to_string()));
}

#[test]
fn restarts_counted_within_the_reset_window_only() {
    // Up 10 s between crashes, reset after 5 s of uptime: every crash is a first restart.
    let scenario = crashing(
        "1m",
        "10s",
        r#", "restart": {"backoff": ["1s", "2s"], "max_restarts": 1, "reset_after": "5s"}"#,
    );
    let ups: Vec<u64> = node_transitions(&scenario, 0)
        .into_iter()
        .filter(|t| !t.2)
        .map(|t| t.0)
        .collect();
    assert_eq!(ups, [ns(11.0), ns(22.0), ns(33.0), ns(44.0), ns(55.0)]);
}

#[test]
fn a_crash_on_friday_evening_is_repaired_on_monday_morning_plus_the_repair_time() {
    // Time zero is Monday 00:00. A crash at 114 h is Friday 18:00; the repair waits for
    // Monday 09:00 (168 h + 9 h) and takes 1 h: up at 178 h.
    let scenario = crashing(
        "180h",
        "114h",
        r#", "working_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "9h", "to": "17h"}"#,
    );
    assert_eq!(
        node_transitions(&scenario, 0),
        [
            (114 * HOUR, "a".to_string(), true),
            (178 * HOUR, "a".to_string(), false),
        ]
    );
    // Within working hours the repair starts at once.
    let scenario = crashing(
        "20h",
        "10h",
        r#", "working_hours": {"from": "9h", "to": "17h"}"#,
    );
    assert_eq!(node_transitions(&scenario, 0)[1].0, 11 * HOUR);
}

/// An N_WAY group n1, n2, n3 (quorum 2) under a rolling maintenance of its replicas
/// every hour, 10 minutes a node; n3 crashes at 30 m for good.
fn maintained(skip: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "1h30m", "replications": 1,
            "topology": {{"nodes": [{{"id": "n1"}}, {{"id": "n2"}}, {{"id": "n3"}}]}},
            "services": [{{"name": "s", "strategy": "N_WAY", "replicas": ["n1", "n2", "n3"]}}],
            "faults": {{
              "maintenance": [{{"scope": {{"service": "s"}}, "period": "1h", "duration": "10m" {skip}}}],
              "scheduled": [{{"at": "30m", "fault": {{"crash": {{"nodes": ["n3"]}}}}}}]}}}}"#
    ))
}

#[test]
fn rolling_maintenance_takes_one_node_at_a_time_and_skips_what_would_break_the_quorum() {
    let at = |m: u64, node: &str, down: bool| (m * MINUTE, node.to_string(), down);
    // First round: n1, n2, n3 in turn, 10 minutes each; n3's crash at 30 m comes
    // before its maintenance ends, so it stays down.
    let first_round = [
        at(0, "n1", true),
        at(10, "n1", false),
        at(10, "n2", true),
        at(20, "n2", false),
        at(20, "n3", true),
    ];
    let transitions = node_transitions(&maintained(""), 0);
    assert_eq!(transitions[..5], first_round);
    // Second round, n3 down: without the rule n1 goes down and breaks the quorum.
    assert_eq!(transitions[5], at(60, "n1", true));
    let scenario = maintained(r#", "skip_if_breaks": "quorum""#);
    let transitions = node_transitions(&scenario, 0);
    assert_eq!(transitions[..5], first_round);
    assert_eq!(
        transitions.len(),
        5,
        "n1 and n2 are skipped, n3 is down already: {transitions:?}"
    );
    let trace = upkeep_trace(&scenario);
    assert_eq!(
        trace,
        [
            (60 * MINUTE, "maintenance skipped n1".to_string()),
            (60 * MINUTE, "maintenance skipped n2".to_string()),
        ]
    );
    let strict = run(&scenario, 0).services[0].up_ns;
    let lax = run(&maintained(""), 0).services[0].up_ns;
    assert!(strict > lax, "skipping keeps the quorum: {strict} vs {lax}");
}

#[test]
fn probes_within_the_start_up_grace_period_do_not_count() {
    // db2 is down from 1 s to 21 s (declared down at 17 s). db1 crashes at 12 s and is
    // declared down at 27 s: no standby, the failover waits. Without grace, probes at
    // 25 s and 30 s see db2 back: declared up at 30 s, promoted at 32 s, re-routed at
    // 33 s. With a 10 s grace the first probe that counts is the one at 35 s: declared
    // up at 40 s, re-routed at 43 s. Lazy and explicit probing agree.
    for probing in ["lazy", "explicit"] {
        for (grace, rerouted) in [("0s", 33.0), ("10s", 43.0)] {
            let text = format!(
                r#"{{"horizon": "100s", "replications": 1,
                    "topology": {{"nodes": [{{"id": "db1", "zone": "a"}}, {{"id": "db2", "zone": "b"}},
                                           {{"id": "mon", "zone": "c", "role": "monitor"}}]}},
                    "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db1", "db2"],
                      "detection": {{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3,
                                    "healthy_threshold": 2, "phase": "0s", "probing": "{probing}",
                                    "grace_period": "{grace}"}},
                      "active_passive": {{"monitor": "mon", "promotion": {{"const": "2s"}}, "reroute": {{"const": "1s"}}}}}}],
                    "faults": {{"scheduled": [
                      {{"at": "1s", "duration": {{"const": "20s"}}, "fault": {{"crash": {{"nodes": ["db2"]}}}}}},
                      {{"at": "12s", "fault": {{"crash": {{"nodes": ["db1"]}}}}}}]}}}}"#
            );
            let outcome = run(&scenario(&text), 0);
            let last = outcome.services[0].records.last().expect("a failover");
            assert_eq!(last.to.map(|n| n.index()), Some(1), "{probing} {grace}");
            assert_eq!(last.completed_at.0, ns(rerouted), "{probing} grace {grace}");
        }
    }
}

#[test]
fn latent_faults_and_maintenance_leave_every_other_nodes_draws_unchanged() {
    // c's failures and repairs are the same with or without a latent fault process over
    // a and b (own streams for failures, repairs and inspection misses) and maintenance
    // of b (no draws).
    let text = |extra: &str| {
        format!(
            r#"{{"horizon": "3000d", "replications": 1, "seed": 9,
                "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}]}},
                "services": [{{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"]}}],
                "faults": {{"node_failures": [{{"ttf": {{"exp": {{"mean": "30d"}}}}, "ttr": {{"exp": {{"mean": "5d"}}}}}}]
                           {extra}}}}}"#
        )
    };
    let only = |scenario: &CompiledScenario, node: &str| -> Vec<(u64, bool)> {
        node_transitions(scenario, 0)
            .into_iter()
            .filter(|t| t.1 == node)
            .map(|t| (t.0, t.2))
            .collect()
    };
    let without = scenario(&text(""));
    let with = scenario(&text(
        r#", "latent_faults": [{"nodes": ["a", "b"], "ttf": {"exp": {"mean": "20d"}}, "ttr": {"exp": {"mean": "1d"}},
                                "inspection": {"interval": "7d", "miss_probability": 0.5}}],
            "maintenance": [{"scope": {"nodes": ["b"]}, "period": "30d", "duration": "4h"}]"#,
    ));
    assert_eq!(only(&without, "c"), only(&with, "c"));
    assert_ne!(only(&without, "a"), only(&with, "a"));
}

#[test]
fn the_json_trace_names_latent_faults_inspections_restarts_and_skipped_maintenance() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upkeep.json");
    std::fs::write(
        &file,
        r#"{"horizon": "3h", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
            "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}],
            "faults": {
              "node_failures": [{"nodes": ["c"], "ttf": {"const": "30m"}, "ttr": {"const": "10h"},
                                 "restart": {"backoff": ["5m"], "max_restarts": 1}}],
              "latent_faults": [{"nodes": ["a"], "ttf": {"const": "1h"}, "ttr": {"const": "1h"},
                                 "inspection": {"interval": "2h", "duration": "10m"}}],
              "maintenance": [{"id": "patch", "scope": {"nodes": ["b"]}, "period": "1h", "duration": "1m",
                               "phase": "1h20m", "skip_if_breaks": "quorum"}]}}"#,
    )
    .unwrap();
    let output = crate::common::failsim()
        .args(["run", file.to_str().unwrap(), "--trace", "-"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|line: &serde_json::Value| {
            [
                "latent_fault_start",
                "latent_fault_found",
                "inspection_missed",
                "restart",
                "maintenance_skipped",
            ]
            .contains(&line["event"].as_str().unwrap())
        })
        .collect();
    let latent = serde_json::json!({"id": "latent_faults[0]", "kind": "latent_fault"});
    // c crashes at 30 m and restarts after 5 m; a fails silently at 1 h; c crashes again
    // at 1 h 5 m and now needs its 10 h repair. At 1 h 20 m b's maintenance would leave
    // only a of three up (quorum 2): skipped. The inspection at 2 h finds a at 2 h 10 m;
    // a is down for its repair, so b is skipped again at 2 h 20 m.
    let expected = [
        serde_json::json!({"t": 1800.0, "event": "restart", "node": "c", "restart": 1, "delay_s": 300.0}),
        serde_json::json!({"t": 3600.0, "event": "latent_fault_start", "node": "a", "fault": latent}),
        serde_json::json!({"t": 4800.0, "event": "maintenance_skipped", "node": "b",
            "fault": {"id": "patch", "kind": "maintenance"}, "service": "s"}),
        serde_json::json!({"t": 7800.0, "event": "latent_fault_found", "node": "a", "fault": latent,
            "by": "inspection"}),
        serde_json::json!({"t": 8400.0, "event": "maintenance_skipped", "node": "b",
            "fault": {"id": "patch", "kind": "maintenance"}, "service": "s"}),
    ];
    assert_eq!(lines, expected);
}

#[test]
fn a_found_latent_fault_is_repaired_through_the_nodes_crew() {
    // a fails silently at 1 h; the inspection at 2 h finds it at once (no duration); the
    // crew's dispatch of 15 m comes before the 1 h repair: up at 3 h 15 m.
    let scenario = scenario(
        r#"{"horizon": "4h", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}],
            "faults": {
              "latent_faults": [{"nodes": ["a"], "ttf": {"const": "1h"}, "ttr": {"const": "1h"},
                                 "inspection": {"interval": "2h"}}],
              "repair_crews": [{"name": "ops", "dispatch": {"const": "15m"}}]}}"#,
    );
    assert_eq!(
        node_transitions(&scenario, 0),
        [
            (2 * HOUR, "a".to_string(), true),
            (3 * HOUR + 15 * MINUTE, "a".to_string(), false),
        ]
    );
}

#[test]
fn maintenance_that_would_leave_less_capacity_than_the_demand_is_skipped() {
    // Demand 2 over three nodes of capacity 1: a's maintenance at 0 leaves b and c (2);
    // at 1 h, with c crashed since 30 m, it would leave b alone (1 < 2): skipped.
    let scenario = scenario(
        r#"{"horizon": "1h30m", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b", "c"], "demand": 2}],
            "faults": {
              "maintenance": [{"scope": {"nodes": ["a"]}, "period": "1h", "duration": "10m",
                               "skip_if_breaks": "capacity"}],
              "scheduled": [{"at": "30m", "fault": {"crash": {"nodes": ["c"]}}}]}}"#,
    );
    assert_eq!(
        node_transitions(&scenario, 0),
        [
            (0, "a".to_string(), true),
            (10 * MINUTE, "a".to_string(), false),
            (30 * MINUTE, "c".to_string(), true),
        ]
    );
    assert_eq!(
        upkeep_trace(&scenario),
        [(HOUR, "maintenance skipped a".to_string())]
    );
}

#[test]
fn a_latent_fault_found_on_saturday_is_repaired_on_monday() {
    // a fails silently at 1 h; the weekly inspection on Saturday 10:00 (phase 5 d 10 h)
    // finds it; the repair waits for Monday 09:00 (168 h + 9 h) and takes 1 h.
    let scenario = scenario(
        r#"{"horizon": "180h", "replications": 1,
            "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
            "services": [{"name": "s", "strategy": "ACTIVE_ACTIVE", "replicas": ["a", "b"]}],
            "faults": {
              "latent_faults": [{"nodes": ["a"], "ttf": {"const": "1h"}, "ttr": {"const": "1h"},
                                 "inspection": {"interval": "7d", "phase": "130h"},
                                 "working_hours": {"from": "9h", "to": "17h"}}]}}"#,
    );
    assert_eq!(
        node_transitions(&scenario, 0),
        [
            (130 * HOUR, "a".to_string(), true),
            (178 * HOUR, "a".to_string(), false),
        ]
    );
}
