//! `failsim recommend`: known answers, early stopping, cost ranking, and determinism.

use crate::common::failsim;
use failsim::checks::Check;
use failsim::compile::{load_str_with_model, Loaded};
use failsim::recommend::{recommend, Options, Recommendation, SearchSpace, Status};
use failsim::scenarios::model::{FailoverMode, StrategyName};
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Five candidate replicas n1..n5 in one region (so no GEOGRAPHIC design is possible);
/// n1 and n2, the first two in priority order, crash one hour in and stay down for the
/// rest of the day. Every candidate therefore loses its first two replicas: with 2
/// replicas nothing survives, with 3 one does, with 4 two do, with 5 three do.
fn two_of_five_crash(interval: &str) -> Loaded {
    let text = format!(
        r#"{{
  "name": "two-of-five",
  "seed": 5,
  "replications": 40,
  "horizon": "1d",
  "topology": {{"nodes": [
    {{"id": "n1", "zone": "z1"}}, {{"id": "n2", "zone": "z2"}}, {{"id": "n3", "zone": "z3"}},
    {{"id": "n4", "zone": "z4"}}, {{"id": "n5", "zone": "z5"}}
  ]}},
  "services": [{{
    "name": "db",
    "strategy": "ACTIVE_PASSIVE",
    "replicas": ["n1", "n2", "n3", "n4", "n5"],
    "detection": {{"interval": "{interval}", "timeout": "2s", "unhealthy_threshold": 3}}
  }}],
  "faults": {{"scheduled": [{{"id": "lose-two", "at": "1h", "fault": {{"crash": {{"nodes": ["n1", "n2"]}}}}}}]}},
  "cost": {{"per_replica": 2.0, "per_region": 5.0}}
}}"#
    );
    load_str_with_model(&text, Path::new("two-of-five.json")).expect("the test scenario is valid")
}

fn checks(texts: &[&str]) -> Vec<Check> {
    texts.iter().map(|t| Check::parse(t).unwrap()).collect()
}

fn ranked(result: &Recommendation) -> Vec<(StrategyName, u32, Option<FailoverMode>)> {
    result.services[0]
        .candidates
        .iter()
        .filter(|c| c.status == Status::Meets)
        .map(|c| (c.strategy, c.replicas, c.failover_mode))
        .collect()
}

#[test]
fn the_cheapest_active_passive_design_that_survives_two_crashes_is_three_automatic_replicas() {
    // ACTIVE_PASSIVE is fully implemented, so this answer is certain today:
    // - 2 replicas: both crash, nothing to promote, DOWN for 23 of 24 hours.
    // - AUTOMATIC: detection (≤ 5 s phase + 2 × 5 s + 2 s timeout) + promotion 2 s +
    //   reroute 1 s ≤ 20 s of DOWN, availability ≥ 0.99976 ≥ 0.9995 (43 s a day).
    // - SEMI_AUTOMATIC adds a 1 min confirmation (≥ 75 s DOWN) and MANUAL a ~15 min
    //   operator: both miss 0.9995.
    // So 3, 4 and 5 AUTOMATIC replicas meet the SLO and cost decides: 3 is cheapest.
    let scenario = two_of_five_crash("5s");
    let options = Options {
        space: SearchSpace {
            strategies: vec![StrategyName::ActivePassive],
            ..SearchSpace::default()
        },
        ..Options::default()
    };
    let slo = checks(&["availability>=0.9995", "failover_time_p99<=30s"]);
    let result = recommend(&scenario.model, &scenario.compiled, &slo, &options).unwrap();
    let automatic = Some(FailoverMode::Automatic);
    assert_eq!(
        ranked(&result),
        [
            (StrategyName::ActivePassive, 3, automatic),
            (StrategyName::ActivePassive, 4, automatic),
            (StrategyName::ActivePassive, 5, automatic),
        ]
    );
    let best = result.services[0].recommended.as_ref().unwrap();
    assert_eq!(best.rank, Some(1));
    assert_eq!(best.nodes, ["n1", "n2", "n3"]);
    assert_eq!(best.regions, 1);
    assert_eq!(best.cost, 3.0 * 2.0 + 5.0);
    let availability = best.availability.as_ref().unwrap();
    assert!(
        availability.mean > 0.9997 && availability.mean < 1.0,
        "{availability:?}"
    );
    let nines = availability.nines.unwrap();
    assert_eq!(best.cost_per_nine, Some(best.cost / nines));
    assert_eq!(result.ranked_on, "availability");
    assert_eq!(
        result.ranked_on_slo.as_deref(),
        Some("availability>=0.9995")
    );
}

#[test]
fn candidates_are_ranked_on_and_report_the_availability_the_slo_names() {
    // ACTIVE_ACTIVE with 3 replicas: n1 and n2 crash at 1 h; between the crash and the
    // ejections the service is DEGRADED, then n3 alone covers the demand of 1. Lenient
    // availability counts DEGRADED as available: exactly 1. Strict does not.
    let scenario = two_of_five_crash("5s");
    let options = Options {
        space: SearchSpace {
            strategies: vec![StrategyName::ActiveActive],
            replica_counts: vec![3],
            modes: vec![FailoverMode::Automatic],
        },
        ..Options::default()
    };
    let search = |slo: &[&str]| {
        recommend(&scenario.model, &scenario.compiled, &checks(slo), &options).unwrap()
    };
    let lenient = search(&["failovers_succeeded>=1", "lenient_availability>=0.9"]);
    assert_eq!(lenient.ranked_on, "lenient_availability");
    assert_eq!(
        lenient.ranked_on_slo.as_deref(),
        Some("lenient_availability>=0.9")
    );
    let best = lenient.services[0].recommended.as_ref().unwrap();
    let availability = best.availability.as_ref().unwrap();
    assert_eq!(availability.mean, 1.0);
    assert_eq!(availability.nines, None);
    assert_eq!(best.cost_per_nine, None);
    let table = failsim::recommend::render_table(&lenient);
    assert!(
        table.contains(
            "ranked by cost, then by lenient availability, which SLO \
             `lenient_availability>=0.9` names"
        ),
        "{table}"
    );
    assert!(table.contains("lenient availability (95% CI)"), "{table}");
    // No SLO names an availability: strict, and the candidate reports strict.
    let strict = search(&["failovers_succeeded>=1"]);
    assert_eq!(strict.ranked_on, "availability");
    assert_eq!(strict.ranked_on_slo, None);
    let best = strict.services[0].recommended.as_ref().unwrap();
    assert!(best.availability.as_ref().unwrap().mean < 1.0);
    let table = failsim::recommend::render_table(&strict);
    assert!(
        table
            .contains("ranked by cost, then by strict availability (no SLO names an availability)"),
        "{table}"
    );
}

#[test]
fn only_n_way_with_five_replicas_meets_a_tight_slo_when_two_of_five_nodes_crash() {
    // With the real mechanisms (DESIGN §4) the answer is certain:
    // - N_WAY with 5: 3 of 5 survive, a quorum of 3 elects a leader within an election
    //   timeout (150–300 ms): well under a second DOWN, failover p99 well under 5 s.
    // - N_WAY with 2, 3, 4: 0, 1, 2 survivors, below the quorum (2, 2, 3): DOWN for 23 h.
    // - ACTIVE_PASSIVE: DOWN until detection (10 s probes: ≥ 22 s) plus promotion and
    //   reroute: availability ≤ 0.99971 < 0.9999 (8.6 s a day), failover ≥ 25 s.
    // - ACTIVE_ACTIVE: DEGRADED between the crash and the ejection (the same ≥ 22 s of
    //   detection), which strict availability counts against it; failover ≥ 22 s.
    // - GEOGRAPHIC: every replica is in one region, so no design is possible.
    let scenario = two_of_five_crash("10s");
    let slo = checks(&["availability>=0.9999", "failover_time_p99<=5s"]);
    let result = recommend(
        &scenario.model,
        &scenario.compiled,
        &slo,
        &Options::default(),
    )
    .unwrap();
    let meets = ranked(&result);
    assert!(!meets.is_empty(), "N_WAY with 5 replicas meets the SLO");
    assert!(
        meets
            .iter()
            .all(|&(s, k, _)| s == StrategyName::NWay && k == 5),
        "{meets:?}"
    );
    let best = result.services[0].recommended.as_ref().unwrap();
    assert_eq!(
        (best.strategy, best.replicas, best.failover_mode),
        (StrategyName::NWay, 5, Some(FailoverMode::Automatic))
    );
    assert!(result.services[0]
        .candidates
        .iter()
        .filter(|c| c.strategy == StrategyName::Geographic)
        .all(|c| c.status == Status::Infeasible));
}

#[test]
fn hopeless_candidates_stop_after_the_first_batch() {
    let scenario = two_of_five_crash("5s");
    let options = Options {
        space: SearchSpace {
            strategies: vec![StrategyName::ActivePassive],
            replica_counts: vec![2, 3],
            modes: vec![FailoverMode::Automatic, FailoverMode::Manual],
        },
        budget_replications: Some(40),
        threads: None,
    };
    let result = recommend(
        &scenario.model,
        &scenario.compiled,
        &checks(&["availability>=0.9995"]),
        &options,
    )
    .unwrap();
    let by_design = |k: u32, mode: FailoverMode| {
        result.services[0]
            .candidates
            .iter()
            .find(|c| c.replicas == k && c.failover_mode == Some(mode))
            .unwrap()
    };
    // Two replicas lose everything: the interval of the first 10 replications already
    // lies far below the bound.
    let lost = by_design(2, FailoverMode::Automatic);
    assert_eq!(lost.status, Status::Fails);
    assert!(lost.stopped_early);
    assert_eq!(lost.replications, 10);
    let manual = by_design(3, FailoverMode::Manual);
    assert_eq!(manual.status, Status::Fails);
    assert!(manual.stopped_early, "{manual:?}");
    let good = by_design(3, FailoverMode::Automatic);
    assert_eq!(good.status, Status::Meets);
    assert!(!good.stopped_early);
    assert_eq!(good.replications, 40);
}

#[test]
fn bft_n_way_below_three_f_plus_one_replicas_is_reported_infeasible() {
    let mut scenario = two_of_five_crash("5s");
    scenario.model.services[0].n_way.bft = true;
    let options = Options {
        space: SearchSpace {
            strategies: vec![StrategyName::NWay],
            replica_counts: vec![3, 4],
            modes: vec![FailoverMode::Automatic],
        },
        budget_replications: Some(10),
        threads: None,
    };
    let result = recommend(
        &scenario.model,
        &scenario.compiled,
        &checks(&["availability>=0.5"]),
        &options,
    )
    .unwrap();
    let candidates = &result.services[0].candidates;
    let three = candidates.iter().find(|c| c.replicas == 3).unwrap();
    assert_eq!(three.status, Status::Infeasible);
    assert!(three.problems[0].contains("3f+1"), "{:?}", three.problems);
    let four = candidates.iter().find(|c| c.replicas == 4).unwrap();
    assert_ne!(four.status, Status::Infeasible);
}

#[test]
fn the_ranking_is_identical_for_a_fixed_seed_whatever_the_threads() {
    let text = std::fs::read_to_string(repo("scenarios/recommend-example.json")).unwrap();
    let scenario = load_str_with_model(&text, Path::new("recommend-example.json")).unwrap();
    let slo = checks(&["availability>=0.9999", "failover_time_p99<=30s"]);
    let run = |threads: usize| {
        let options = Options {
            budget_replications: Some(30),
            threads: Some(threads),
            ..Options::default()
        };
        recommend(&scenario.model, &scenario.compiled, &slo, &options).unwrap()
    };
    let first = run(2);
    let second = run(2);
    let single = run(1);
    assert_eq!(first, second);
    assert_eq!(first, single);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    let ranks: Vec<u32> = first.services[0]
        .candidates
        .iter()
        .filter_map(|c| c.rank)
        .collect();
    assert_eq!(ranks, (1..=ranks.len() as u32).collect::<Vec<_>>());
    let costs: Vec<f64> = first.services[0]
        .candidates
        .iter()
        .filter(|c| c.rank.is_some())
        .map(|c| c.cost)
        .collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
}

#[test]
fn a_different_seed_meets_different_faults() {
    // Common random numbers are per seed: the same design under another seed sees
    // other faults, so its availability differs.
    let text = std::fs::read_to_string(repo("scenarios/recommend-example.json")).unwrap();
    let mut scenario = load_str_with_model(&text, Path::new("recommend-example.json")).unwrap();
    let options = Options {
        space: SearchSpace {
            strategies: vec![StrategyName::ActivePassive],
            replica_counts: vec![2],
            modes: vec![FailoverMode::Automatic],
        },
        budget_replications: Some(20),
        threads: None,
    };
    let slo = checks(&["availability>=0.5"]);
    let availability = |scenario: &Loaded| {
        recommend(&scenario.model, &scenario.compiled, &slo, &options)
            .unwrap()
            .services[0]
            .candidates[0]
            .availability
            .clone()
            .unwrap()
            .mean
    };
    let before = availability(&scenario);
    scenario.compiled.seed += 1;
    assert_ne!(before, availability(&scenario));
}

#[test]
fn recommend_command_ranks_the_example_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("ranking.json");
    let output = failsim()
        .arg("recommend")
        .arg(repo("scenarios/recommend-example.json"))
        .args([
            "--slo",
            "availability>=0.9999",
            "--slo",
            "failover_time_p99<=30s",
        ])
        .args(["--budget-replications", "30", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains(
            "ranked by cost, then by strict availability, which SLO `availability>=0.9999` names"
        ),
        "{table}"
    );
    for column in [
        "strict availability (95% CI)",
        "failover p99",
        "data loss p99",
        "cost",
        "cost/nine",
    ] {
        assert!(table.contains(column), "{table}");
    }
    assert!(table.contains("recommended: "), "{table}");
    let ranking: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(ranking["seed"], 11);
    assert_eq!(ranking["budget_replications"], 30);
    assert_eq!(ranking["ranked_on"], "availability");
    assert_eq!(ranking["ranked_on_slo"], "availability>=0.9999");
    let service = &ranking["services"][0];
    assert_eq!(service["service"], "orders");
    assert_eq!(service["recommended"]["rank"], 1);
    assert_eq!(service["candidates"][0], service["recommended"]);
}

#[test]
fn recommend_command_exits_1_when_no_design_meets_the_slo() {
    let output = failsim()
        .arg("recommend")
        .arg(repo("scenarios/recommend-example.json"))
        .args(["--slo", "availability>=1.1", "--budget-replications", "10"])
        .args([
            "--strategies",
            "active_passive",
            "--replicas",
            "2",
            "--json",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let ranking: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(ranking["services"][0]["recommended"].is_null());
}

#[test]
fn recommend_command_rejects_bad_input_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("priced.json");
    let text = std::fs::read_to_string(repo("scenarios/recommend-example.json"))
        .unwrap()
        .replace(r#""per_region": 2.0"#, r#""per_region": -2.0"#);
    std::fs::write(&scenario, text).unwrap();
    let output = failsim()
        .arg("recommend")
        .arg(&scenario)
        .args(["--slo", "availability>=0.9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("at cost.per_region: -2 is not a cost"),
        "{stderr}"
    );
    for bad in [
        vec!["--strategies", "raft", "--slo", "availability>=0.9"],
        vec!["--slo", "availabilty>=0.9"],
        vec!["--slo", "nosuch.availability>=0.9"],
    ] {
        let output = failsim()
            .arg("recommend")
            .arg(repo("scenarios/recommend-example.json"))
            .args(&bad)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {output:?}");
    }
    let output = failsim()
        .arg("recommend")
        .arg(repo("scenarios/recommend-example.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "no SLO at all: {output:?}");
}

#[test]
fn a_search_budget_of_centuries_is_refused_before_it_starts() {
    let output = failsim()
        .arg("recommend")
        .arg(repo("scenarios/recommend-example.json"))
        .args(["--slo", "availability>=0.9999"])
        .args(["--budget-replications", "100000000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("candidates × 100000000 replications each")
            && stderr.contains("beyond the limit"),
        "{stderr}"
    );
}
