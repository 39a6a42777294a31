//! Long horizons over many nodes: sums of nanoseconds that exceed `u64` must not wrap.
//! 10,000 nodes × 10 years is 3·10²¹ node-nanoseconds, about 170 × `u64::MAX`.

use crate::common::{run, scenario};
use failsim::report::Summary;
use failsim::run::{run_study, RunOptions};

const YEARS: &str = "3650d";
/// Closed form of a node that fails after exp(mean 30 d) and is repaired after
/// exp(mean 1 d): MTTF / (MTTF + MTTR).
const CLOSED_FORM: f64 = 30.0 / 31.0;

fn single_replica_service(name: &str, node: &str) -> String {
    format!(
        r#"{{"name": "{name}", "strategy": "ACTIVE_PASSIVE", "replicas": ["{node}"],
            "detection": {{"interval": "1s", "timeout": "500ms", "unhealthy_threshold": 3, "healthy_threshold": 1}},
            "failover": {{"retries": 0}}}}"#
    )
}

#[test]
fn ten_thousand_nodes_over_ten_years_match_the_closed_form_availability() {
    // One single-replica service per node: each service is UP exactly while its node is.
    let services: Vec<String> = (1..=10_000)
        .map(|i| single_replica_service(&format!("s{i}"), &format!("r1-z1-n{i}")))
        .collect();
    let text = format!(
        r#"{{"name": "long", "seed": 7, "replications": 1, "horizon": "{YEARS}",
            "topology": {{"generators": [{{"regions": {{"regions": 1, "zones": 1, "nodes": 10000}}}}]}},
            "services": [{}],
            "faults": {{"node_failures": [{{"ttf": {{"exp": {{"mean": "30d"}}}}, "ttr": {{"exp": {{"mean": "1d"}}}}}}]}}}}"#,
        services.join(",")
    );
    let scenario = scenario(&text);
    let outcome = run(&scenario, 0);
    let horizon = scenario.horizon;
    // Summed over every node and the whole horizon, in u128: beyond what u64 holds.
    let up_ns: u128 = outcome.services.iter().map(|s| s.up_ns).sum();
    let total_ns: u128 = outcome
        .services
        .iter()
        .map(|s| s.up_ns + s.degraded_ns + s.down_ns)
        .sum();
    assert_eq!(
        total_ns,
        10_000 * horizon as u128,
        "every node-nanosecond is accounted once"
    );
    assert!(up_ns > u64::MAX as u128, "the test covers sums beyond u64");
    let availabilities: Vec<f64> = outcome
        .services
        .iter()
        .map(|s| s.availability(horizon))
        .collect();
    let n = availabilities.len() as f64;
    let mean = availabilities.iter().sum::<f64>() / n;
    let var = availabilities
        .iter()
        .map(|a| (a - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let half_width = 1.96 * (var / n).sqrt();
    assert!(
        (mean - CLOSED_FORM).abs() <= half_width,
        "mean availability {mean} ± {half_width} misses the closed form {CLOSED_FORM}"
    );
    assert!((up_ns as f64 / total_ns as f64 - mean).abs() < 1e-9);
}

#[test]
fn a_service_seen_from_many_vantage_points_for_ten_years_keeps_its_availability() {
    // 200 client vantage points that fail and return, watching a replica that never
    // fails: each sees the service UP exactly while its own node is up. Summed over
    // vantages, the service's UP time is 200 × 10 years ≈ 6·10¹⁹ ns, past u64::MAX.
    let clients: Vec<String> = (1..=200)
        .map(|i| format!(r#"{{"id": "c{i}", "region": "r1", "zone": "z1", "role": "client"}}"#))
        .collect();
    let names: Vec<String> = (1..=200).map(|i| format!(r#""c{i}""#)).collect();
    let text = format!(
        r#"{{"name": "vantages", "seed": 7, "replications": 20, "horizon": "{YEARS}",
            "topology": {{"nodes": [{{"id": "db", "region": "r1", "zone": "z1"}}, {}]}},
            "services": [{{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["db"],
                           "vantage_points": [{}]}}],
            "faults": {{"node_failures": [{{"nodes": [{}], "ttf": {{"exp": {{"mean": "30d"}}}},
                                            "ttr": {{"exp": {{"mean": "1d"}}}}}}]}}}}"#,
        clients.join(","),
        names.join(","),
        names.join(",")
    );
    let scenario = scenario(&text);
    let first = run(&scenario, 0);
    assert!(first.services[0].up_ns > u64::MAX as u128);
    let study = run_study(&scenario, &RunOptions::default(), |_| {}, |_| {}).unwrap();
    let summary = Summary::new(&study.study);
    let availability = &summary.services[0].availability;
    assert!(
        availability.ci95_low <= CLOSED_FORM && CLOSED_FORM <= availability.ci95_high,
        "availability {availability:?} misses the closed form {CLOSED_FORM}"
    );
}
