//! The committed JSON Schema (`schema/scenario.schema.json`, for editors) is what
//! `failsim schema` prints, and it refuses every bad input it can judge.

use crate::common::failsim;

const COMMITTED: &str = "schema/scenario.schema.json";

fn printed_schema() -> String {
    let output = failsim().arg("schema").output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_committed_schema_is_what_failsim_schema_prints() {
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == printed_schema(),
        "{COMMITTED} is stale: run `cargo run --release -- schema > {COMMITTED}`"
    );
}

/// Bad inputs whose fault a JSON Schema cannot see, each with the reason: the schema
/// judges one value at a time, not names that must agree across the file, nor sums,
/// nor what the file is as text.
const BEYOND_THE_SCHEMA: &[(&str, &str)] = &[
    ("01-truncated", "not JSON"),
    ("02-trailing-comma", "not JSON"),
    ("03-comments", "not JSON"),
    ("04-empty-file", "not JSON"),
    ("05-not-an-object", "not JSON"),
    ("17-unknown-replica-node", "node names across the file"),
    ("18-duplicate-node-id", "node names across the file"),
    (
        "19-empty-replica-set",
        "a placement resolved against the topology",
    ),
    ("20-impossible-quorum", "a quorum against the replica count"),
    (
        "21-bft-too-few-replicas",
        "a replica count against the fault budget",
    ),
    ("22-duplicate-service-name", "service names across the file"),
    (
        "23-placement-more-than-exist",
        "a placement resolved against the topology",
    ),
    ("24-bad-slo-expressions", "check syntax inside a string"),
    ("25-duration-a-million-years", "a duration's size"),
    ("28-duration-overflows-u64-ns", "a duration's size"),
    ("31-duration-huge-number", "a duration's size"),
    ("32-exp-mean-zero", "a duration's value inside a string"),
    ("36-uniform-min-above-max", "two values against each other"),
    (
        "38-weibull-mean-beyond-time",
        "a mean computed from two values",
    ),
    ("39-zero-length-cycle", "a mean computed from two values"),
    ("40-zero-interarrival", "a duration's value"),
    ("45-fault-at-horizon", "two values against each other"),
    ("47-horizon-zero", "a duration's value"),
    ("50-unknown-zone", "zone names across the file"),
    ("51-unknown-region", "region names across the file"),
    ("52-link-to-unknown-node", "node names across the file"),
    ("53-self-link", "two values against each other"),
    ("55-a-trillion-replications", "a work estimate"),
    ("56-a-billion-node-generator", "a product of counts"),
    ("57-absurd-work", "a work estimate"),
    (
        "58-every-problem-at-once",
        "node names across the file (among others)",
    ),
    ("60-detection-span-overflows", "a product of values"),
    ("61-geographic-clients-absurd", "a work estimate"),
    ("64-zone-outage-zero-mean", "a duration's value"),
    (
        "65-lognormal-mean-beyond-time",
        "a mean computed from two values",
    ),
    ("66-node-id-wrong-case", "node names across the file"),
    (
        "67-election-timeout-below-round-trip",
        "a timeout against the topology's latencies",
    ),
    ("68-overload-repair-zero", "a mean computed from two values"),
    ("69-overload-cascade-absurd-work", "a work estimate"),
    ("71-dependency-cycle", "a cycle across entries"),
    ("72-slo-unknown-service", "check syntax inside a string"),
    ("74-slo-fault-kind-scopes", "check syntax inside a string"),
    (
        "105-placement-more-than-regions",
        "a placement resolved against the topology",
    ),
    (
        "106-generator-repeats-a-listed-id",
        "node names across the file",
    ),
    (
        "110-partitions-of-a-hundred-thousand-nodes",
        "a work estimate",
    ),
    ("112-crew-over-unknown-node", "node names across the file"),
    (
        "115-node-served-by-two-crews",
        "crew scopes across the file",
    ),
    (
        "113-seed-beyond-u64",
        "a seed beyond 2^64 (JSON Schema integers have no width)",
    ),
    (
        "116-duplicate-top-level-key",
        "a key given twice (a JSON value keeps one)",
    ),
    (
        "117-duplicate-key-in-a-node",
        "a key given twice (a JSON value keeps one)",
    ),
    (
        "127-unicode-escaped-id-repeats-another",
        "node names across the file",
    ),
    (
        "129-terminal-escapes-in-unknown-id",
        "node names across the file",
    ),
    (
        "130-lease-ttl-shorter-than-loop-wait",
        "two durations compared",
    ),
    (
        "131-lease-zero-loop-wait",
        "a duration of zero (the pattern cannot say)",
    ),
    ("132-lease-store-unknown-node", "node names across the file"),
    (
        "117-inspection-interval-zero",
        "a duration of zero (the pattern cannot say)",
    ),
    (
        "119-maintenance-unknown-scope",
        "node names across the file",
    ),
    ("120-working-hours-inverted", "two times of day compared"),
    (
        "134-ring-over-two-nodes",
        "a scope resolved against the topology",
    ),
    (
        "135-shape-scope-names-no-node",
        "a scope resolved against the topology",
    ),
    (
        "136-replicas-disconnected-at-start",
        "paths over the topology's links",
    ),
    (
        "137-flap-of-a-crash",
        "which fault kinds flap, and a duration of zero",
    ),
    (
        "138-pause-bad-nodes-and-durations",
        "node names across the file, a duration of zero, and a duration only a pause requires",
    ),
];

#[test]
fn every_bad_input_the_schema_can_judge_is_refused_by_it() {
    let schema: serde_json::Value = serde_json::from_str(&printed_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut judged = 0;
    let mut accepted = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/bad_inputs")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let beyond = BEYOND_THE_SCHEMA.iter().any(|(name, _)| *name == stem);
        let instance = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
        let Some(instance) = instance.filter(|_| !beyond) else {
            continue;
        };
        judged += 1;
        if validator.is_valid(&instance) {
            accepted.push(stem);
        }
    }
    assert!(judged >= 35, "only {judged} files judged");
    assert!(
        accepted.is_empty(),
        "the schema accepts these bad inputs (make it stricter, or list them in \
         BEYOND_THE_SCHEMA with the reason): {accepted:?}"
    );
}

#[test]
fn the_schema_refuses_what_validation_refuses_value_by_value() {
    let schema: serde_json::Value = serde_json::from_str(&printed_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let scenario = |horizon: serde_json::Value, threshold: u32| {
        let mut value = serde_json::json!({
            "$schema": "../schema/scenario.schema.json",
            "topology": {"nodes": [{"id": "a"}]},
            "services": [{"name": "s", "strategy": "N_WAY", "replicas": ["a"],
                          "detection": {"unhealthy_threshold": threshold}}]
        });
        if !horizon.is_null() {
            value["horizon"] = horizon;
        }
        value
    };
    assert!(validator.is_valid(&scenario("1d".into(), 3)));
    assert!(validator.is_valid(&scenario("1h 30m".into(), 3)));
    assert!(validator.is_valid(&scenario(3600.into(), 3)));
    assert!(
        !validator.is_valid(&scenario(serde_json::Value::Null, 3)),
        "no horizon"
    );
    assert!(
        !validator.is_valid(&scenario("1x".into(), 3)),
        "an unknown unit"
    );
    assert!(
        !validator.is_valid(&scenario("30".into(), 3)),
        "text without a unit"
    );
    assert!(
        !validator.is_valid(&scenario("1d".into(), 0)),
        "a threshold of 0"
    );
}
