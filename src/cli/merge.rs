//! `failsim merge`: shard files, each checked on load, into the single run's summary.

use super::{
    bad, check_service_names, evaluate_checks, note_coarse_percentiles, out_err, parse_checks,
    precision_line, CliError,
};
use crate::checks::{Check, Metric, SYSTEM_SCOPE};
use crate::output::plan::{Destinations, OutputPlan};
use crate::output::{Replays, Results, StudyReport};
use crate::report::{PrecisionSummary, ShardFile, ShardPrecision, Study, Summary};
use crate::run::precision::merge_shards;
use crate::run::Precision;
use std::path::{Path, PathBuf};

pub(super) fn merge(
    parts: &[PathBuf],
    json: Option<&Path>,
    checks: &[String],
    strict_checks: bool,
) -> Result<(), CliError> {
    let checks = parse_checks(checks)?;
    let plan = OutputPlan::new(&Destinations {
        json: json.map(Path::to_path_buf),
        inputs: parts.to_vec(),
        ..Destinations::default()
    })?;
    let mut shards: Vec<ShardFile> = Vec::new();
    for part in parts {
        let text = std::fs::read_to_string(part).map_err(|e| out_err(part, e))?;
        let shard = ShardFile::parse(part, &text).map_err(bad)?;
        if let Some(first) = shards.first() {
            first.check_same_run(&shard, part).map_err(bad)?;
        }
        shards.push(shard);
    }
    let rule = shards.first().and_then(|s| s.precision.clone());
    let studies: Vec<Study> = shards.into_iter().map(|s| s.study).collect();
    let (merged, precision) = match &rule {
        Some(rule) => {
            let (merged, precision) = merge_in_order(studies, rule)?;
            (merged, Some(precision))
        }
        None => {
            let merged = Study::merge(studies).map_err(bad)?;
            let expected = merged.replications;
            let have = merged.done();
            if have != expected {
                return Err(bad(format!(
                    "the shards hold {have} of the run's {expected} replications: is one missing?"
                )));
            }
            (merged, None)
        }
    };
    let mut summary = Summary::new(&merged);
    summary.precision = precision;
    note_coarse_percentiles(&merged);
    // Before the merged summary is written, as `run` does before its study.
    check_service_names(
        "--check",
        &checks,
        summary
            .services
            .iter()
            .map(|s| s.service.as_str())
            .chain(summary.system.as_ref().map(|_| SYSTEM_SCOPE)),
    )?;
    let report = StudyReport {
        results: Results::Summary {
            study: None,
            summary: &summary,
        },
        replays: &Replays::default(),
        partial: false,
        checks: &[],
    };
    plan.export(&report)?;
    if let (Some(precision), Some(rule)) = (&summary.precision, &rule) {
        say_next_shards(precision, rule);
    }
    evaluate_checks(&checks, std::slice::from_ref(&summary), strict_checks)
}

/// Merges the shards of a `--precision` run in order, stopping at the first shard end
/// where the rule recorded in them holds (see [`merge_shards`]).
fn merge_in_order(
    studies: Vec<Study>,
    rule: &ShardPrecision,
) -> Result<(Study, PrecisionSummary), CliError> {
    let metrics = rule
        .metrics
        .iter()
        .map(|name| {
            Metric::parse(name)
                .filter(|&m| Precision::accepts(m))
                .ok_or_else(|| bad(format!("precision metric `{name}` is not an availability")))
        })
        .collect::<Result<_, _>>()?;
    let checks = rule
        .checks
        .iter()
        .map(|text| Check::parse(text).map_err(bad))
        .collect::<Result<_, _>>()?;
    let precision = Precision {
        target: rule.target,
        metrics,
        checks,
    };
    if !(precision.target > 0.0 && precision.target < 1.0) || rule.shards == 0 {
        return Err(bad(format!(
            "a shard's --precision {} in {} shards is not one a run writes",
            rule.target, rule.shards
        )));
    }
    let merged = merge_shards(studies, &precision, rule.shards).map_err(bad)?;
    if !merged.unused.is_empty() {
        let list: Vec<String> = merged.unused.iter().map(u64::to_string).collect();
        say!(
            "{} {} of {} not used: {}",
            if list.len() == 1 { "shard" } else { "shards" },
            list.join(", "),
            rule.shards,
            if merged.precision.stopped_by == "precision" {
                "the target was met before them"
            } else {
                "they come after a missing shard, and the stopping rule reads shards in order"
            }
        );
    }
    Ok((merged.study, merged.precision))
}

/// The precision reached, and when more shards are needed, the commands that run them.
fn say_next_shards(precision: &PrecisionSummary, rule: &ShardPrecision) {
    let Some(next) = &precision.next_shards else {
        say!("{}", precision_line(precision, "unavailability"));
        return;
    };
    let reached = match precision.reached {
        Some(r) => format!("95% CI half-width {:.3}% of unavailability", r * 100.0),
        None => "no unavailability observed yet, so no relative precision exists".to_string(),
    };
    let count = rule.shards;
    let target = format!("{:.3}", precision.target * 100.0);
    say!(
        "precision: target {}% not met yet after {} replications (shards merged in order so \
         far): {reached}; run next:",
        target.trim_end_matches('0').trim_end_matches('.'),
        precision.replications_used
    );
    for &[first, last] in next {
        if first == last {
            say!(
                "  {} --shard {first}/{count} --json shard-{first}.json",
                rule.command
            );
        } else {
            say!(
                "  for i in $(seq {first} {last}); do {} --shard $i/{count} --json shard-$i.json; done",
                rule.command
            );
        }
    }
    say!("then merge every shard again");
}
