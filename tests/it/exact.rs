//! Exact mode (`failsim solve`): the chain agrees with the closed forms, refuses what is
//! not Markovian with the path and the reason, sits inside the simulated interval, and
//! the rare-event estimator agrees with it.

use crate::common::{failsim, run_json, scenario};
use failsim::analytic::{
    k_of_n_availability, k_of_n_availability_shared_repair, k_of_n_failure_frequency,
    single_component_availability,
};
use failsim::compile::{load_file, CompiledScenario};
use failsim::exact::{estimate, Chain, ExactError, RareOptions, Solution, SECONDS_PER_YEAR};
use std::path::Path;

const HOUR: f64 = 3600.0;

fn load(file: &str) -> CompiledScenario {
    load_file(Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn solve(scenario: &CompiledScenario) -> Vec<Solution> {
    Chain::of(scenario).unwrap().solve(true).unwrap()
}

fn assert_relative(actual: f64, expected: f64, tolerance: f64) {
    let error = ((actual - expected) / expected).abs();
    assert!(
        error <= tolerance,
        "{actual:e} vs {expected:e}: relative error {error:e} > {tolerance:e}"
    );
}

/// Failures per hour of the analytic forms, as outages per 365.25-day year.
fn per_year(per_hour: f64) -> f64 {
    per_hour * SECONDS_PER_YEAR / HOUR
}

#[test]
fn solve_matches_the_closed_forms_of_v1_v3_and_v6_to_1e_9() {
    let v1 = &solve(&load("scenarios/validation/v1-exponential-node.json"))[0];
    let a = single_component_availability(1000.0, 10.0);
    assert_relative(v1.availability, a, 1e-9);
    assert_relative(v1.unavailability, 10.0 / 1010.0, 1e-9);
    assert_relative(v1.outages_per_year, per_year(1.0 / 1010.0), 1e-9);

    let a = single_component_availability(100.0, 5.0);
    for (file, k, n) in [
        ("scenarios/validation/v3-2-of-3.json", 2, 3),
        ("scenarios/validation/v3-3-of-5.json", 3, 5),
    ] {
        let s = &solve(&load(file))[0];
        assert_relative(s.availability, k_of_n_availability(k, n, a), 1e-9);
        assert_relative(s.unavailability, 1.0 - k_of_n_availability(k, n, a), 1e-9);
        let frequency = k_of_n_failure_frequency(k, n, 100.0, 5.0);
        assert_relative(s.outages_per_year, per_year(frequency), 1e-9);
    }

    for (file, k, n, mttf, mttr) in [
        (
            "scenarios/validation/v6-pair-one-crew.json",
            1,
            2,
            500.0,
            10.0,
        ),
        (
            "scenarios/validation/v6-3-of-5-one-crew.json",
            3,
            5,
            100.0,
            5.0,
        ),
    ] {
        let s = &solve(&load(file))[0];
        let shared = k_of_n_availability_shared_repair(k, n, mttf, mttr);
        assert_relative(s.availability, shared, 1e-9);
        assert_relative(s.unavailability, 1.0 - shared, 1e-9);
    }
    // V6's stated value, to its seven digits.
    let pair = &solve(&load("scenarios/validation/v6-pair-one-crew.json"))[0];
    assert_relative(pair.unavailability, 7.686395e-4, 1e-6);
}

#[test]
fn the_mean_time_to_first_outage_is_the_birth_death_passage_time() {
    // From i down to i + 1 down takes τᵢ = (1 + μᵢ·τᵢ₋₁) / λᵢ, τ₀ = 1/λ₀.
    let passage = |failures: &[f64], repairs: &[f64]| {
        let mut total = 0.0;
        let mut previous = 0.0;
        for (lambda, mu) in failures.iter().zip(repairs) {
            previous = (1.0 + mu * previous) / lambda;
            total += previous;
        }
        total
    };
    let (l, m) = (1.0 / (100.0 * HOUR), 1.0 / (5.0 * HOUR));
    let two_of_three = &solve(&load("scenarios/validation/v3-2-of-3.json"))[0];
    assert_relative(
        two_of_three.mean_time_to_first_outage_s.unwrap(),
        passage(&[3.0 * l, 2.0 * l], &[0.0, m]),
        1e-12,
    );
    let (l, m) = (1.0 / (500.0 * HOUR), 1.0 / (10.0 * HOUR));
    let pair = &solve(&load("scenarios/validation/v6-pair-one-crew.json"))[0];
    assert_relative(
        pair.mean_time_to_first_outage_s.unwrap(),
        passage(&[2.0 * l, l], &[0.0, m]),
        1e-12,
    );
}

/// Two ACTIVE_ACTIVE services in series: `pair` (1 of 2, one crew) and `single`, with
/// replicas of two kinds.
const SYSTEM: &str = r#"{
  "name": "series", "seed": 1, "replications": 1, "horizon": "1d",
  "topology": {"nodes": [{"id": "a1"}, {"id": "a2"}, {"id": "b", "capacity": 2}]},
  "services": [
    {"name": "pair", "strategy": "ACTIVE_ACTIVE", "replicas": ["a1", "a2"], "demand": 1,
     "detection": {"interval": "1ns", "timeout": "0s", "unhealthy_threshold": 1, "healthy_threshold": 1},
     "active_active": {"lb_update": {"const": "0s"}}},
    {"name": "single", "strategy": "ACTIVE_ACTIVE", "replicas": ["b"], "demand": 2,
     "detection": {"interval": "1ns", "timeout": "0s", "unhealthy_threshold": 1, "healthy_threshold": 1},
     "active_active": {"lb_update": {"const": "0s"}}}
  ],
  "system": {"name": "shop", "all_of": ["pair", "single"]},
  "faults": {
    "node_failures": [
      {"nodes": ["a1", "a2"], "ttf": {"exp": {"mean": "500h"}}, "ttr": {"exp": {"mean": "10h"}}},
      {"nodes": ["b"], "ttf": {"exp": {"mean": "1000h"}}, "ttr": {"exp": {"mean": "10h"}}}
    ],
    "repair_crews": [{"name": "on-call", "count": 1, "serves": {"nodes": ["a1", "a2"]}}]
  }
}"#;

#[test]
fn a_system_of_independent_services_multiplies_their_availabilities() {
    let scenario = scenario(SYSTEM);
    let chain = Chain::of(&scenario).unwrap();
    assert_eq!((chain.classes(), chain.states()), (2, 6));
    let solutions = chain.solve(true).unwrap();
    let names: Vec<&str> = solutions.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["pair", "single", "shop"]);
    let pair = k_of_n_availability_shared_repair(1, 2, 500.0, 10.0);
    let single = single_component_availability(1000.0, 10.0);
    assert_relative(solutions[0].availability, pair, 1e-12);
    assert_relative(solutions[1].availability, single, 1e-12);
    assert_relative(solutions[2].availability, pair * single, 1e-12);
    assert_relative(solutions[2].unavailability, 1.0 - pair * single, 1e-12);
    // In series, outages of either leave the system: f = f_pair·A_single + f_single·A_pair.
    let f = solutions[0].outages_per_year * single + solutions[1].outages_per_year * pair;
    assert_relative(solutions[2].outages_per_year, f, 1e-12);
    // Leaving UP comes first from the faster of the two.
    let first = solutions[2].mean_time_to_first_outage_s.unwrap();
    let parts = [&solutions[0], &solutions[1]].map(|s| s.mean_time_to_first_outage_s.unwrap());
    assert!(first < parts[0].min(parts[1]), "{first} vs {parts:?}");
}

fn refusals(scenario: &CompiledScenario) -> Vec<(String, String)> {
    match Chain::of(scenario) {
        Err(ExactError::NotMarkovian(reasons)) => {
            reasons.into_iter().map(|r| (r.path, r.message)).collect()
        }
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn non_markovian_models_are_refused_with_the_path_and_the_reason() {
    let v2 = refusals(&load("scenarios/validation/v2-weibull-lognormal-node.json"));
    assert_eq!(v2[0].0, "faults.node_failures[0].ttf");
    assert!(
        v2[0].1.contains("`weibull`, not exponential"),
        "{}",
        v2[0].1
    );
    assert_eq!(v2[1].0, "faults.node_failures[0].ttr");
    assert!(v2[1].1.contains("`lognormal`"), "{}", v2[1].1);

    let v5 = refusals(&load("scenarios/validation/v5-n-way-quorum.json"));
    assert_eq!(v5[0].0, "services[0].strategy");
    assert!(v5[0].1.contains("`quorum` is N_WAY"), "{}", v5[0].1);

    let probes = SYSTEM.replacen(r#""interval": "1ns""#, r#""interval": "5s""#, 1);
    let slow = refusals(&scenario(&probes));
    assert_eq!(slow[0].0, "services[0].detection");
    assert!(
        slow[0]
            .1
            .contains("`pair` detects a failure after up to 5s"),
        "{}",
        slow[0].1
    );

    let ejection = SYSTEM.replacen(r#"{"const": "0s"}"#, r#"{"exp": {"mean": "2s"}}"#, 1);
    let slow = refusals(&scenario(&ejection));
    assert_eq!(slow[0].0, "services[0].active_active.lb_update");

    // One crew for both kinds of replica: which waits would need the queue order.
    let mixed = SYSTEM.replace(
        r#""nodes": ["a1", "a2"]}}]"#,
        r#""nodes": ["a1", "a2", "b"]}}]"#,
    );
    let mixed = refusals(&scenario(&mixed));
    assert_eq!(mixed[0].0, "faults.repair_crews[0].serves");
    assert!(
        mixed[0].1.contains("replicas that differ"),
        "{}",
        mixed[0].1
    );
}

#[test]
fn a_crew_counts_only_when_it_repairs_replicas() {
    // A failing node `x` that is no replica, with a crew of its own: left out.
    let with_x = SYSTEM
        .replace(r#"{"id": "b", "capacity": 2}]"#, r#"{"id": "b", "capacity": 2}, {"id": "x"}]"#)
        .replace(
            r#""repair_crews": [{"name": "on-call", "count": 1, "serves": {"nodes": ["a1", "a2"]}}]"#,
            r#""repair_crews": [{"name": "on-call", "count": 1, "serves": {"nodes": ["a1", "a2"]}},
                               {"name": "x-crew", "count": 1, "serves": {"nodes": ["x"]}}]"#,
        )
        .replace(r#""nodes": ["b"], "ttf""#, r#""nodes": ["b", "x"], "ttf""#);
    let alone = solve(&scenario(&with_x));
    let without = solve(&scenario(SYSTEM));
    assert_eq!(alone, without);
    // The same node sharing the pair's crew holds members the chain would not see.
    let shared = with_x
        .replace(
            r#""nodes": ["a1", "a2"]}},"#,
            r#""nodes": ["a1", "a2", "x"]}},"#,
        )
        .replace(
            r#"{"name": "x-crew", "count": 1, "serves": {"nodes": ["x"]}}"#,
            r#"{"name": "x-crew", "count": 1, "serves": {"nodes": []}}"#,
        );
    let refused = refusals(&scenario(&shared));
    assert_eq!(refused[0].0, "faults.repair_crews[0].serves");
    assert!(
        refused[0].1.contains("node `x`, which is no replica"),
        "{}",
        refused[0].1
    );
}

#[test]
fn solve_exits_2_naming_the_path_of_what_is_not_markovian() {
    let out = failsim()
        .args([
            "solve",
            "scenarios/validation/v2-weibull-lognormal-node.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("v2-weibull-lognormal-node.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at faults.node_failures[0].ttf: the time to failure"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn solve_prints_a_tiny_unavailability_with_its_digits() {
    let out = failsim()
        .args(["solve", "scenarios/five-nines-quorum.json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0.9999999999851"), "{stdout}");
    assert!(stdout.contains("1.486841e-11"), "{stdout}");
}

#[test]
fn the_simulated_interval_covers_the_exact_availability_that_run_shows_beside_it() {
    let out = failsim()
        .args(["run", "scenarios/validation/v3-2-of-3.json", "--json", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = &summary["services"][0];
    let exact = service["exact"]["availability"].as_f64().unwrap();
    let solved = &solve(&load("scenarios/validation/v3-2-of-3.json"))[0];
    assert_eq!(exact, solved.availability);
    let simulated = &service["availability"];
    let (low, high) = (
        simulated["ci95_low"].as_f64().unwrap(),
        simulated["ci95_high"].as_f64().unwrap(),
    );
    assert!(
        low <= exact && exact <= high,
        "{exact} outside [{low}, {high}]"
    );
    // A scenario outside the subset has no exact figure.
    let out = failsim()
        .args([
            "run",
            "scenarios/validation/v5-n-way-quorum.json",
            "--replications",
            "2",
            "--json",
            "-",
        ])
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["services"][0].get("exact").is_none());
}

fn rare(scenario: &CompiledScenario, seed: u64, cycles: u64) -> failsim::exact::RareTarget {
    let chain = Chain::of(scenario).unwrap();
    let options = RareOptions {
        seed,
        cycles,
        threads: Some(2),
    };
    estimate(&chain, &options).unwrap().targets.remove(0)
}

#[test]
fn the_rare_event_estimate_of_the_moonshot_is_within_ten_percent_of_exact() {
    let moonshot = load("scenarios/five-nines-quorum.json");
    let exact = solve(&moonshot)[0].unavailability;
    assert_relative(exact, 1.4868e-11, 1e-4);
    let started = std::time::Instant::now();
    let estimate = rare(&moonshot, moonshot.seed, failsim::exact::DEFAULT_CYCLES);
    assert!(started.elapsed().as_secs_f64() < 10.0);
    assert_relative(estimate.unavailability, exact, 0.10);
    assert!(estimate.relative_half_width.unwrap() < 0.10);
    assert!(
        estimate.ci95_low <= exact && exact <= estimate.ci95_high,
        "{estimate:?}"
    );
    // Plain Monte Carlo at this precision: beyond 10⁹ simulated years.
    assert!(estimate.plain_years_needed.unwrap() > 1e9, "{estimate:?}");
}

#[test]
fn the_rare_event_interval_covers_the_exact_value_for_at_least_90_of_100_seeds() {
    // A nominal 95% interval misses about 5 of 100 times; at most 10 misses is the
    // tolerance (P(Binomial(100, 0.05) > 10) ≈ 1.1%, and these seeds are fixed).
    let moonshot = load("scenarios/five-nines-quorum.json");
    let exact = solve(&moonshot)[0].unavailability;
    let covered = (0..100)
        .filter(|&seed| {
            let e = rare(&moonshot, seed, 4_000);
            e.ci95_low <= exact && exact <= e.ci95_high
        })
        .count();
    assert!(covered >= 90, "covered {covered} of 100");
}

#[test]
fn the_rare_event_estimate_agrees_with_exact_on_a_case_that_is_not_rare() {
    let pair = load("scenarios/validation/v6-pair-one-crew.json");
    let exact = solve(&pair)[0].unavailability;
    let estimate = rare(&pair, 7, 50_000);
    assert!(
        estimate.ci95_low <= exact && exact <= estimate.ci95_high,
        "{estimate:?} vs {exact}"
    );
    assert_relative(estimate.unavailability, exact, 0.05);
}

#[test]
fn the_rare_event_estimate_does_not_depend_on_the_thread_count() {
    let json = |threads: &str| {
        run_json(&[
            "solve",
            "scenarios/five-nines-quorum.json",
            "--rare-event",
            "--cycles",
            "20000",
            "--threads",
            threads,
        ])
    };
    assert_eq!(json("1"), json("2"));
}

#[test]
fn the_rare_event_estimate_runs_where_the_chain_is_too_large_to_solve() {
    // 17 replicas of distinct capacities: 2¹⁷ lumped states, beyond what solve enumerates.
    let nodes: Vec<String> = (1..=17)
        .map(|i| format!(r#"{{"id": "n{i}", "capacity": {i}}}"#))
        .collect();
    let names: Vec<String> = (1..=17).map(|i| format!(r#""n{i}""#)).collect();
    let text = format!(
        r#"{{"name": "wide", "seed": 3, "replications": 1, "horizon": "1d",
  "topology": {{"nodes": [{}]}},
  "services": [{{"name": "wide", "strategy": "ACTIVE_ACTIVE", "replicas": [{}], "demand": 140,
     "detection": {{"interval": "1ns", "timeout": "0s", "unhealthy_threshold": 1, "healthy_threshold": 1}},
     "active_active": {{"lb_update": {{"const": "0s"}}}}}}],
  "faults": {{"node_failures": [{{"ttf": {{"exp": {{"mean": "1000h"}}}}, "ttr": {{"exp": {{"mean": "10h"}}}}}}]}}
}}"#,
        nodes.join(", "),
        names.join(", ")
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wide.json");
    std::fs::write(&file, text).unwrap();
    let solve = |extra: &[&str]| {
        failsim()
            .args(["solve", file.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = solve(&[]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("131072 states, more than the 100000"),
        "{stderr}"
    );
    let estimated = solve(&["--rare-event", "--cycles", "20000", "--json", "-"]);
    assert!(
        estimated.status.success(),
        "{}",
        String::from_utf8_lossy(&estimated.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&estimated.stdout).unwrap();
    assert!(json.get("solutions").is_none());
    let estimate = json["rare_event"]["targets"][0]["unavailability"]
        .as_f64()
        .unwrap();
    // Independent repair: each node is down with probability q = 10/1010 on its own, and
    // the service is down when the capacity down exceeds 153 − 140 = 13 (a sum over the
    // distribution of the capacity down, built node by node).
    let q = 10.0 / 1010.0;
    let mut down = vec![1.0];
    for capacity in 1..=17usize {
        let mut next = vec![0.0; down.len() + capacity];
        for (sum, p) in down.iter().enumerate() {
            next[sum] += p * (1.0 - q);
            next[sum + capacity] += p * q;
        }
        down = next;
    }
    let exact: f64 = down[14..].iter().sum();
    assert_relative(estimate, exact, 0.15);
}
