//! `failsim merge`: shard files, each checked on load, into the single run's summary.

use super::{bad, check_service_names, evaluate_checks, out_err, parse_checks, CliError};
use crate::checks::SYSTEM_SCOPE;
use crate::output::plan::{Destinations, OutputPlan};
use crate::output::{Replays, Results, StudyReport};
use crate::report::{ShardFile, Study, Summary};
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
    let merged = Study::merge(shards.into_iter().map(|s| s.study).collect()).map_err(bad)?;
    let expected = merged.replications;
    let have = merged.done();
    if have != expected {
        return Err(bad(format!(
            "the shards hold {have} of the run's {expected} replications: is one missing?"
        )));
    }
    let summary = Summary::new(&merged);
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
    evaluate_checks(&checks, std::slice::from_ref(&summary), strict_checks)
}
