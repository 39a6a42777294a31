//! Systems and missions (DESIGN §10): services composed on the same replication, so
//! shared faults are correlated rather than multiplied away; the chance of no outage
//! within a mission time.

use crate::common::scenario;
use failsim::compile::load_str;
use failsim::report::Summary;
use failsim::run::{run_study, RunOptions};
use std::path::Path;

fn summary(text: &str) -> Summary {
    let scenario = scenario(text);
    Summary::new(
        &run_study(&scenario, &RunOptions::default(), |_| {}, |_| {})
            .unwrap()
            .study,
    )
}

/// Single-replica ACTIVE_PASSIVE services serve exactly while their node is up.
fn scenario_text(
    services: &str,
    system: &str,
    extra: &str,
    replications: u32,
    horizon: &str,
) -> String {
    format!(
        r#"{{"horizon": "{horizon}", "replications": {replications}, "seed": 7,
            "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
            "services": [{services}],
            "system": {system} {extra},
            "faults": {{"node_failures": [{{"nodes": ["a", "b"],
                "ttf": {{"exp": {{"mean": "5d"}}}}, "ttr": {{"exp": {{"mean": "12h"}}}}}}]}}}}"#
    )
}

#[test]
fn two_services_in_series_on_disjoint_nodes_multiply() {
    let text = scenario_text(
        r#"{"name": "web", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]},
           {"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["b"]}"#,
        r#"{"name": "shop", "all_of": ["web", "db"]}"#,
        "",
        200,
        "60d",
    );
    let summary = summary(&text);
    let (web, db) = (&summary.services[0], &summary.services[1]);
    let system = summary.system.as_ref().expect("a system summary");
    assert_eq!(
        (system.service.as_str(), system.strategy.as_str()),
        ("shop", "system")
    );
    let product = web.availability.mean * db.availability.mean;
    let a = &system.availability;
    // Independent nodes: E[web·db] = E[web]·E[db], so the product lies within the
    // system's 95% interval (each node is up 5/5.5 of the time: about 0.826 together).
    assert!(
        (a.ci95_low..=a.ci95_high).contains(&product),
        "product {product} outside [{}, {}]",
        a.ci95_low,
        a.ci95_high
    );
    assert!((product - (5.0f64 / 5.5).powi(2)).abs() < 0.02, "{product}");
    assert!(a.mean < web.availability.mean.min(db.availability.mean));
}

#[test]
fn two_services_sharing_their_only_node_are_as_available_as_the_node_not_its_square() {
    let text = scenario_text(
        r#"{"name": "web", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]},
           {"name": "api", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]}"#,
        r#"{"all_of": ["web", "api"]}"#,
        "",
        50,
        "60d",
    );
    let summary = summary(&text);
    let web = &summary.services[0];
    let system = summary.system.as_ref().unwrap();
    assert_eq!(system.service, "system");
    assert_eq!(system.availability, web.availability);
    assert_eq!(system.outages.per_year, web.outages.per_year);
    assert!(system.availability.mean > web.availability.mean.powi(2) + 0.01);
}

#[test]
fn any_of_and_k_of_follow_the_best_and_the_kth_best_service() {
    let services = r#"{"name": "east", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]},
                      {"name": "west", "strategy": "ACTIVE_PASSIVE", "replicas": ["b"]}"#;
    let any = summary(&scenario_text(
        services,
        r#"{"any_of": ["east", "west"]}"#,
        "",
        50,
        "30d",
    ));
    let one_of = summary(&scenario_text(
        services,
        r#"{"k_of": 1, "of": ["east", "west"]}"#,
        "",
        50,
        "30d",
    ));
    let both = summary(&scenario_text(
        services,
        r#"{"k_of": 2, "of": ["east", {"all_of": ["west"]}]}"#,
        "",
        50,
        "30d",
    ));
    let series = summary(&scenario_text(
        services,
        r#"{"all_of": ["east", "west"]}"#,
        "",
        50,
        "30d",
    ));
    let system = |s: &Summary| s.system.as_ref().unwrap().availability.mean;
    assert_eq!(system(&any), system(&one_of));
    assert_eq!(system(&both), system(&series));
    let east = any.services[0].availability.mean;
    assert!(system(&any) > east && east > system(&series));
}

#[test]
fn the_chance_of_no_outage_within_a_mission_is_exponential_for_one_exponential_node() {
    // One node, time to failure exponential with mean 10 d: P(no outage in T) = e^(−T/10d).
    let text = r#"{"horizon": "20d", "replications": 400, "seed": 3,
        "topology": {"nodes": [{"id": "a"}]},
        "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]}],
        "missions": ["1d", "5d", "20d"],
        "faults": {"node_failures": [{"nodes": ["a"], "ttf": {"exp": {"mean": "10d"}},
                                      "ttr": {"const": "1h"}}]}}"#;
    let summary = summary(text);
    let service = &summary.services[0];
    assert_eq!(service.missions.len(), 3);
    for mission in &service.missions {
        let exact = (-mission.mission_s / (10.0 * 86_400.0)).exp();
        assert!(
            (mission.ci95_low..=mission.ci95_high).contains(&exact),
            "mission {} s: {} [{}, {}] vs e^(-T/m) = {exact}",
            mission.mission_s,
            mission.p_no_outage,
            mission.ci95_low,
            mission.ci95_high
        );
    }
    // Time on test over failures estimates the mean time to failure: 10 d within 15%.
    let mean = service.mean_time_to_first_outage_s.unwrap() / 86_400.0;
    assert!((mean - 10.0).abs() < 1.5, "{mean} d");
}

#[test]
fn a_broken_system_or_mission_is_refused_with_its_path() {
    let cases = [
        (
            r#""system": {"all_of": ["web", "nope"]}"#,
            "system.all_of[1]",
            "unknown service `nope`",
        ),
        (
            r#""system": {"all_of": ["web"], "any_of": ["web"]}"#,
            "system",
            "exactly one of",
        ),
        (
            r#""system": {"k_of": 3, "of": ["web", "web"]}"#,
            "system.k_of",
            "between 1 and the 2 terms",
        ),
        (r#""system": {"k_of": 1}"#, "system.k_of", "add \"of\""),
        (
            r#""system": {"all_of": [{"any_of": []}]}"#,
            "system.all_of[0].any_of",
            "an empty group",
        ),
        (
            r#""system": {"all_of": [3]}"#,
            "system.all_of[0]",
            "a service name or a group",
        ),
        (
            r#""missions": ["2d"]"#,
            "missions[0]",
            "longer than the horizon",
        ),
    ];
    for (field, path, message) in cases {
        let text = format!(
            r#"{{"horizon": "1d", "topology": {{"nodes": [{{"id": "a"}}]}},
                "services": [{{"name": "web", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]}}],
                {field}}}"#
        );
        let error = load_str(&text, Path::new("s.json"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(path) && error.contains(message),
            "{field}:\n{error}"
        );
    }
}

#[test]
fn system_checks_read_the_system_and_are_refused_without_one() {
    use failsim::checks::Check;
    let text = scenario_text(
        r#"{"name": "web", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"]},
           {"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["b"]}"#,
        r#"{"all_of": ["web", "db"]}"#,
        "",
        20,
        "30d",
    );
    let summary = summary(&text);
    let system = summary.system.as_ref().unwrap().availability.mean;
    let verdict = |expression: &str| {
        let verdicts = Check::parse(expression)
            .unwrap()
            .evaluate(&summary)
            .unwrap();
        assert_eq!(verdicts.len(), 1, "{expression}");
        (verdicts[0].passed, verdicts[0].measured)
    };
    assert_eq!(
        verdict(&format!("system.availability>={}", system - 1e-9)),
        (true, Some(system))
    );
    assert!(!verdict(&format!("system.availability>={}", system + 1e-9)).0);
    let without = text
        .replace(r#""system": {"all_of": ["web", "db"]} ,"#, "")
        .replace(r#""slo": []"#, "");
    let without = without.replacen('{', r#"{"slo": ["system.availability>=0.9"], "#, 1);
    let error = load_str(&without, Path::new("s.json"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("slo[0]") && error.contains("system"),
        "{error}"
    );
}
