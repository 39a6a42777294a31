//! Outage episodes (DESIGN §6): one per maximal interval not UP, with its DOWN time,
//! cause and ending, the same for every strategy.

use crate::common::{ns, run, scenario};
use failsim::core::episode::{EndedBy, OutageEpisode};

/// Three replicas a, b, c in one zone (1 ms links) under `strategy`, with `faults`.
fn three_replicas(strategy: &str, service: &str, faults: &str, horizon: &str) -> String {
    let (nodes, replicas) = if strategy == "GEOGRAPHIC" {
        (
            r#"{"id": "a", "region": "east", "zone": "e1"}, {"id": "b", "region": "east", "zone": "e1"},
               {"id": "c", "region": "west", "zone": "w1"}"#,
            r#""a", "b", "c""#,
        )
    } else {
        (
            r#"{"id": "a", "zone": "z"}, {"id": "b", "zone": "z"}, {"id": "c", "zone": "z"}"#,
            r#""a", "b", "c""#,
        )
    };
    format!(
        r#"{{"horizon": "{horizon}", "replications": 1,
            "topology": {{"nodes": [{nodes}], "latency": {{"zone": "1ms", "region": "1ms", "global": "1ms"}}}},
            "services": [{{"name": "s", "strategy": "{strategy}", "replicas": [{replicas}] {service}}}],
            "faults": {faults}}}"#
    )
}

fn episodes(text: &str) -> Vec<OutageEpisode> {
    let scenario = scenario(text);
    let outcome = run(&scenario, 0);
    outcome.services[0].episodes.clone()
}

const ALL_DOWN_FOR_AN_HOUR: &str = r#"{"scheduled": [{"id": "blackout", "at": "10m",
    "duration": {"const": "1h"}, "fault": {"crash": {"nodes": ["a", "b", "c"]}}}]}"#;

#[test]
fn all_replicas_down_for_an_hour_is_one_episode_ended_by_recovery_in_every_strategy() {
    // ACTIVE_PASSIVE serves again the instant its primary is back. The others add their
    // restart mechanism: ACTIVE_ACTIVE and GEOGRAPHIC readmit replicas after
    // `healthy_threshold` good probes (default 2 at 5 s with a random phase),
    // N_WAY elects a leader (a few hundred ms).
    for (strategy, restart_at_most) in [
        ("ACTIVE_PASSIVE", 0.0),
        ("ACTIVE_ACTIVE", 10.0),
        ("GEOGRAPHIC", 10.0),
        ("N_WAY", 1.0),
    ] {
        let episodes = episodes(&three_replicas(strategy, "", ALL_DOWN_FOR_AN_HOUR, "3h"));
        assert_eq!(episodes.len(), 1, "{strategy}: {episodes:?}");
        let episode = episodes[0];
        assert_eq!(episode.start.0, ns(600.0), "{strategy}");
        let restart = episode.duration() - ns(3600.0);
        assert!(restart <= ns(restart_at_most), "{strategy}: {episode:?}");
        assert_eq!(episode.down, episode.duration(), "{strategy}");
        assert_eq!(episode.ended_by, EndedBy::Recovery, "{strategy}");
    }
}

#[test]
fn an_outage_running_at_the_horizon_ends_there_with_its_down_time() {
    let faults =
        r#"{"scheduled": [{"at": "30m", "fault": {"crash": {"nodes": ["a", "b", "c"]}}}]}"#;
    let scenario = scenario(&three_replicas("ACTIVE_ACTIVE", "", faults, "1h"));
    let outcome = run(&scenario, 0);
    let service = &outcome.services[0];
    assert_eq!(service.episodes.len(), 1);
    let episode = service.episodes[0];
    assert_eq!(episode.ended_by, EndedBy::Horizon);
    assert_eq!((episode.start.0, episode.end.0), (ns(1800.0), ns(3600.0)));
    assert_eq!(episode.down, ns(1800.0));
    assert_eq!(service.outage_tally.ended_by, [0, 0, 1]);
    assert_eq!(
        service.outage_tally.first_start.map(|t| t.0),
        Some(ns(1800.0))
    );
}

#[test]
fn a_primary_crash_with_a_healthy_standby_is_one_episode_ended_by_the_failover() {
    // Probes every 1 s from phase 0 with a 200 ms timeout, 3 failures to declare; a
    // crash at 10.3 s is declared at 13.2 s; promotion 2 s and reroute 1 s (constant):
    // served again at 16.2 s, so the episode lasts 5.9 s, all of it DOWN.
    let service = r#", "detection": {"interval": "1s", "timeout": "200ms",
        "unhealthy_threshold": 3, "healthy_threshold": 2, "phase": "0s"},
        "active_passive": {"promotion": {"const": "2s"}, "reroute": {"const": "1s"}}"#;
    let faults = r#"{"scheduled": [{"id": "primary", "at": "10.3s", "duration": {"const": "1h"},
        "fault": {"crash": {"nodes": ["a"]}}}]}"#;
    let scenario = scenario(&three_replicas("ACTIVE_PASSIVE", service, faults, "3h"));
    let outcome = run(&scenario, 0);
    let service = &outcome.services[0];
    assert_eq!(service.episodes.len(), 1, "{:?}", service.episodes);
    let episode = service.episodes[0];
    assert_eq!(episode.ended_by, EndedBy::Failover);
    assert_eq!((episode.start.0, episode.end.0), (ns(10.3), ns(16.2)));
    assert_eq!(episode.down, episode.duration());
    let success = service
        .records
        .iter()
        .find(|r| r.outcome == failsim::core::record::Outcome::Success)
        .expect("a successful failover");
    assert_eq!(success.failover_time(), episode.duration());
}

#[test]
fn degraded_time_is_inside_the_episode_but_not_its_down_time() {
    // ACTIVE_ACTIVE over three replicas: one crash leaves requests routed to a dead
    // replica (DEGRADED) until it is ejected, which ends the episode by failover.
    let service = r#", "detection": {"interval": "1s", "timeout": "200ms",
        "unhealthy_threshold": 3, "healthy_threshold": 2, "phase": "0s"},
        "active_active": {"lb_update": {"const": "500ms"}}"#;
    let faults = r#"{"scheduled": [{"at": "10.3s", "duration": {"const": "1h"},
        "fault": {"crash": {"nodes": ["a"]}}}]}"#;
    let episodes = episodes(&three_replicas("ACTIVE_ACTIVE", service, faults, "3h"));
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    assert_eq!(episodes[0].ended_by, EndedBy::Failover);
    assert_eq!(episodes[0].duration(), ns(13.7 - 10.3));
    assert_eq!(episodes[0].down, 0);
}

#[test]
fn a_primary_back_before_the_failover_completes_supersedes_it_and_the_episode_ends_by_recovery() {
    // Declared at 13.2 s (as above); the primary is back at 14 s, during the 2 s promotion.
    let service = r#", "detection": {"interval": "1s", "timeout": "200ms",
        "unhealthy_threshold": 3, "healthy_threshold": 2, "phase": "0s"},
        "active_passive": {"promotion": {"const": "2s"}, "reroute": {"const": "1s"}}"#;
    let faults = r#"{"scheduled": [{"at": "10.3s", "duration": {"const": "3.7s"},
        "fault": {"crash": {"nodes": ["a"]}}}]}"#;
    let scenario = scenario(&three_replicas("ACTIVE_PASSIVE", service, faults, "1h"));
    let outcome = run(&scenario, 0);
    let service = &outcome.services[0];
    let ends: Vec<_> = service.records.iter().filter(|r| r.ends_failover).collect();
    assert_eq!(ends.len(), 1, "{:?}", service.records);
    assert_eq!(ends[0].outcome, failsim::core::record::Outcome::Superseded);
    assert_eq!(service.episodes.len(), 1, "{:?}", service.episodes);
    assert_eq!(service.episodes[0].ended_by, EndedBy::Recovery);
    assert_eq!(
        (service.episodes[0].start.0, service.episodes[0].end.0),
        (ns(10.3), ns(14.0))
    );
}

#[test]
fn demand_twice_the_capacity_serves_half_the_requests_throughout() {
    for strategy in ["ACTIVE_PASSIVE", "N_WAY"] {
        let scenario = scenario(&three_replicas(strategy, r#", "demand": 2"#, "{}", "1h"));
        let outcome = run(&scenario, 0);
        let service = &outcome.services[0];
        assert_eq!(
            service.served_availability(scenario.horizon),
            0.5,
            "{strategy}"
        );
        assert_eq!(service.availability(scenario.horizon), 0.0, "{strategy}");
        assert_eq!(
            service.lenient_availability(scenario.horizon),
            1.0,
            "{strategy}"
        );
    }
}

#[test]
fn six_active_replicas_lose_one_sixth_of_the_requests_until_the_ejection() {
    // Six replicas of capacity 1, demand 1 (the survivors carry it): a crash at 10.7 s
    // fails the probes sent at 11, 12, …, 25 s; the 15th is declared at 25.2 s (200 ms
    // timeout) and ejected at 25.7 s (lb_update 500 ms): one request in six fails for
    // exactly 15 s, a loss of 2.5 s of served time.
    let nodes: Vec<String> = (1..=6)
        .map(|i| format!(r#"{{"id": "n{i}", "zone": "z"}}"#))
        .collect();
    let replicas: Vec<String> = (1..=6).map(|i| format!(r#""n{i}""#)).collect();
    let text = format!(
        r#"{{"horizon": "1h", "replications": 1,
            "topology": {{"nodes": [{}], "latency": {{"zone": "1ms"}}}},
            "services": [{{"name": "api", "strategy": "ACTIVE_ACTIVE", "replicas": [{}],
                "detection": {{"interval": "1s", "timeout": "200ms", "unhealthy_threshold": 15,
                               "healthy_threshold": 2, "phase": "0s"}},
                "active_active": {{"lb_update": {{"const": "500ms"}}}}}}],
            "faults": {{"scheduled": [{{"at": "10.7s", "fault": {{"crash": {{"nodes": ["n1"]}}}}}}]}}}}"#,
        nodes.join(", "),
        replicas.join(", ")
    );
    let scenario = scenario(&text);
    let outcome = run(&scenario, 0);
    let service = &outcome.services[0];
    let horizon_s = 3600.0;
    let lost_s = (1.0 - service.served_availability(scenario.horizon)) * horizon_s;
    assert!((lost_s - 15.0 / 6.0).abs() < 1e-9, "{lost_s}");
    assert_eq!(service.episodes.len(), 1);
    assert_eq!(service.episodes[0].duration(), ns(15.0));
    assert_eq!(service.episodes[0].ended_by, EndedBy::Failover);
}
