//! `run --check-determinism`: the study is run again with the same thread count, with
//! another one, and split in two shards merged through shard files (the path `merge`
//! takes); every replication's figures, the folded study and the summary must agree bit
//! for bit (DESIGN §1). The first difference is named: replication, service, metric.

use super::study::Prepared;
use super::{bad, stopped_early, CliError};
use crate::core::hash::Fnv1a;
use crate::report::{ShardFile, Study, Summary};
use crate::run::{run_study, Shard};
use crate::sim::engine::ReplicationOutcome;
use std::path::Path;

/// Most service-replications the check holds the figures of (about 200 bytes each).
pub(super) const MAX_CHECKED_ROWS: u64 = 10_000_000;

/// The figures compared per service and replication, in this order: the first
/// [`EXACT`] exactly, the rest as FNV-1a hashes of their every field (`Debug` text,
/// which writes floats exactly); the last covers the whole outcome, so that a field
/// added later is compared too.
const METRICS: [&str; 13] = [
    "up_ns",
    "degraded_ns",
    "down_ns",
    "degraded_served_ns (bits)",
    "outages",
    "split_brain_ns",
    "unnecessary_failovers",
    "safety_violations",
    "failover tally",
    "failover records",
    "outage tally",
    "outage episodes",
    "the rest of the outcome",
];
/// How many of [`METRICS`] are compared as exact values.
const EXACT: usize = 8;

/// One replication's figures: its events, and per service (then the system, when the
/// scenario composes one) each of [`METRICS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ReplicationPrint {
    replication: u64,
    events: u64,
    services: Vec<[u128; METRICS.len()]>,
}

impl ReplicationPrint {
    pub(super) fn of(outcome: &ReplicationOutcome) -> Self {
        let hash = |value: &dyn std::fmt::Debug| {
            let mut hash = Fnv1a::new();
            hash.write(format!("{value:?}").as_bytes());
            u128::from(hash.0)
        };
        ReplicationPrint {
            replication: outcome.replication,
            events: outcome.events,
            services: outcome
                .services
                .iter()
                .chain(&outcome.system)
                .map(|s| {
                    [
                        s.up_ns,
                        s.degraded_ns,
                        s.down_ns,
                        u128::from(s.degraded_served_ns.to_bits()),
                        u128::from(s.outage_tally.episodes()),
                        u128::from(s.split_brain_ns),
                        u128::from(s.unnecessary_failovers),
                        u128::from(s.safety_violations),
                        hash(&s.tally),
                        hash(&s.records),
                        hash(&s.outage_tally),
                        hash(&s.episodes),
                        hash(s),
                    ]
                })
                .collect(),
        }
    }
}

/// One of the comparison runs.
struct Variant {
    /// How it differs, for messages: "1 thread", "2 shards merged through shard files".
    name: String,
    threads: Option<usize>,
    shards: u64,
}

/// The first difference found.
struct Difference {
    run: String,
    what: String,
}

/// Runs the variants of the study `prepared` describes and compares each with the first
/// run (`study`, whose replications' figures are `prints`). `Ok` when all agree, after
/// saying so; the first difference otherwise, as a failed check (exit 1).
pub(super) fn check(
    prepared: &Prepared,
    study: &Study,
    prints: &[ReplicationPrint],
) -> Result<(), CliError> {
    let threads = prepared
        .options
        .threads
        .unwrap_or_else(rayon::current_num_threads);
    let first = format!("{threads} thread{}", plural(threads));
    let other = if threads == 1 { 4 } else { 1 };
    let variants = [
        Variant {
            name: format!("{first} again"),
            threads: Some(threads),
            shards: 1,
        },
        Variant {
            name: format!("{other} thread{}", plural(other)),
            threads: Some(other),
            shards: 1,
        },
        Variant {
            name: "2 shards merged through shard files".to_string(),
            threads: Some(threads),
            shards: 2,
        },
    ];
    let summary = summary_json(study);
    for variant in &variants {
        if let Some(difference) = compare(prepared, prints, study, &summary, variant)? {
            say!(
                "determinism check failed: {} differs between the run with {first} and the run \
                 with {}",
                difference.what,
                difference.run
            );
            return Err(CliError::ChecksFailed(1));
        }
    }
    let mut hash = Fnv1a::new();
    hash.write(summary.as_bytes());
    say!(
        "determinism check passed: runs with {first}, {first} again, {} and {} agree on every \
         replication ({} of them) and the summary (FNV-1a {:016x})",
        variants[1].name,
        variants[2].name,
        prints.len(),
        hash.0
    );
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn summary_json(study: &Study) -> String {
    serde_json::to_string(&Summary::new(study)).expect("a summary serializes")
}

/// Runs `variant` and returns the first way it differs from the first run.
fn compare(
    prepared: &Prepared,
    prints: &[ReplicationPrint],
    study: &Study,
    summary: &str,
    variant: &Variant,
) -> Result<Option<Difference>, CliError> {
    let scenario = &prepared.scenario;
    let names: Vec<&str> = scenario
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain(scenario.system.as_ref().map(|_| "system"))
        .collect();
    let mut next = prints.iter();
    let mut first_difference: Option<String> = None;
    let mut parts = Vec::new();
    for index in 1..=variant.shards {
        let mut options = prepared.options.clone();
        options.threads = variant.threads;
        options.shard = (variant.shards > 1).then_some(Shard {
            index,
            count: variant.shards,
        });
        let run = run_study(
            scenario,
            &options,
            |outcome| {
                if first_difference.is_none() {
                    first_difference = differs(next.next(), &ReplicationPrint::of(outcome), &names);
                }
            },
            |_| {},
        )
        .map_err(bad)?;
        if let Some(stopped) = run.stopped {
            return Err(stopped_early(
                stopped,
                format!(
                    "the determinism check's run with {} stopped: {stopped}",
                    variant.name
                ),
            ));
        }
        parts.push(run.study);
    }
    if let Some(what) = first_difference {
        return Ok(Some(Difference {
            run: variant.name.clone(),
            what,
        }));
    }
    let merged = if variant.shards > 1 {
        // Through the shard files' text, as `run --shard` writes and `merge` reads them.
        let mut studies = Vec::new();
        for (index, part) in parts.into_iter().enumerate() {
            let text = serde_json::to_string(&ShardFile::new(part)).expect("a shard serializes");
            let file = format!("shard-{}-of-{}.json", index + 1, variant.shards);
            studies.push(
                ShardFile::parse(Path::new(&file), &text)
                    .map_err(bad)?
                    .study,
            );
        }
        Study::merge(studies).map_err(bad)?
    } else {
        parts.pop().expect("one run")
    };
    let what = first_json_difference(
        &serde_json::to_value(study).expect("a study serializes"),
        &serde_json::to_value(&merged).expect("a study serializes"),
        "study",
    )
    .or_else(|| {
        let other = summary_json(&merged);
        (other != summary).then(|| {
            first_json_difference(
                &serde_json::from_str(summary).expect("summary JSON"),
                &serde_json::from_str(&other).expect("summary JSON"),
                "summary",
            )
            .unwrap_or_else(|| "the summary's text".to_string())
        })
    });
    Ok(what.map(|what| Difference {
        run: variant.name.clone(),
        what,
    }))
}

/// How replication print `other` differs from the first run's `first`, if it does;
/// `services` names the services.
fn differs(
    first: Option<&ReplicationPrint>,
    other: &ReplicationPrint,
    services: &[&str],
) -> Option<String> {
    let Some(first) = first else {
        return Some(format!(
            "replication {}: it was not run the first time",
            other.replication
        ));
    };
    let r = other.replication;
    if first.replication != r {
        return Some(format!(
            "the order of replications ({} where {} was)",
            r, first.replication
        ));
    }
    if first.events != other.events {
        return Some(format!(
            "replication {r}, metric events ({} vs {})",
            first.events, other.events
        ));
    }
    for (s, (a, b)) in first.services.iter().zip(&other.services).enumerate() {
        if let Some(m) = (0..METRICS.len()).find(|&m| a[m] != b[m]) {
            let values = if m < EXACT {
                format!(" ({} vs {})", a[m], b[m])
            } else {
                String::new()
            };
            return Some(format!(
                "replication {r}, service `{}`, metric {}{values}",
                services[s], METRICS[m]
            ));
        }
    }
    None
}

/// The path of the first value that differs between two JSON documents, with both
/// values (`study.services[0].rows[3].availability (0.99 vs 0.98)`).
fn first_json_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: &str,
) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let inner = format!("{path}.{key}");
                match y.get(key) {
                    Some(other) => {
                        if let Some(found) = first_json_difference(value, other, &inner) {
                            return Some(found);
                        }
                    }
                    None => return Some(format!("{inner} (missing the second time)")),
                }
            }
            y.keys()
                .find(|key| !x.contains_key(*key))
                .map(|key| format!("{path}.{key} (missing the first time)"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(found) = first_json_difference(p, q, &format!("{path}[{i}]")) {
                    return Some(found);
                }
            }
            (x.len() != y.len()).then(|| format!("{path} ({} vs {} items)", x.len(), y.len()))
        }
        _ if a == b => None,
        _ => Some(format!("{path} ({a} vs {b})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_replication_that_differs_is_named_with_its_service_metric_and_values() {
        use crate::sim::engine::ServiceOutcome;
        let outcome = |down_ns| ReplicationOutcome {
            replication: 3,
            services: vec![
                ServiceOutcome::default(),
                ServiceOutcome {
                    down_ns,
                    ..ServiceOutcome::default()
                },
            ],
            system: None,
            events: 10,
            complete: true,
            faults: Vec::new(),
        };
        let (a, b) = (
            ReplicationPrint::of(&outcome(5)),
            ReplicationPrint::of(&outcome(6)),
        );
        let names = ["web", "db"];
        assert_eq!(differs(Some(&a), &a, &names), None);
        assert_eq!(
            differs(Some(&a), &b, &names).unwrap(),
            "replication 3, service `db`, metric down_ns (5 vs 6)"
        );
        assert_eq!(
            differs(None, &b, &names).unwrap(),
            "replication 3: it was not run the first time"
        );
    }

    #[test]
    fn the_first_json_difference_is_named_with_both_values() {
        let a = json!({"services": [{"rows": [{"replication": 0, "availability": 0.5}]}]});
        let b = json!({"services": [{"rows": [{"replication": 0, "availability": 0.25}]}]});
        assert_eq!(
            first_json_difference(&a, &b, "study").unwrap(),
            "study.services[0].rows[0].availability (0.5 vs 0.25)"
        );
        assert_eq!(first_json_difference(&a, &a, "study"), None);
    }
}
