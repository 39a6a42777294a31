//! Shard files (`run --shard I/N --json PART`): a versioned study of one share of the
//! replications, checked on load so that `merge` refuses a damaged part in words.

use super::Study;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The shard format this failsim writes and reads.
pub(crate) const SHARD_FORMAT_VERSION: u32 = 3;

/// What a shard file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// `SHARD_FORMAT_VERSION`.
    pub format_version: u32,
    /// [`content_hash`](crate::core::hash::content_hash) of the scenario file: parts of one
    /// run share it.
    pub scenario_hash: String,
    /// The shard's replications.
    pub study: Study,
    /// Present when the shard was run with `--precision`: the stopping rule that `merge`
    /// reads at the end of each shard, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<ShardPrecision>,
}

/// The `--precision` of a shard run (`run --precision P --shard I/N`): the shards are
/// the fixed batches at whose ends `merge` reads the stopping rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardPrecision {
    /// `--precision`: the relative half-width asked for.
    pub target: f64,
    /// The availabilities whose unavailability must be that precise.
    pub metrics: Vec<String>,
    /// Every check that must be conclusive too (`--check` and the scenario's `slo`).
    pub checks: Vec<String>,
    /// N of `--shard I/N`: the number of fixed batches.
    pub shards: u64,
    /// The command line that ran the shard, without `--shard` and `--json`: how to run
    /// the next ones.
    pub command: String,
}

/// Why a shard file cannot be merged; each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// Unreadable or not JSON of the shard shape.
    #[error("{file}: not a shard file: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// Where and what.
        message: String,
    },
    /// No `format_version`, or one this failsim does not read.
    #[error("{file}: {found}; this failsim reads shard format version {SHARD_FORMAT_VERSION}: run the shard again with it")]
    Version {
        /// The file.
        file: String,
        /// What the file says, in words.
        found: String,
    },
    /// A value that no run produces.
    #[error("{file}: {path}: {message}")]
    Inconsistent {
        /// The file.
        file: String,
        /// JSON path of the value.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// Parts that are not shards of the same run.
    #[error("{file}: {message}")]
    Mismatch {
        /// The file that differs from the first.
        file: String,
        /// How it differs.
        message: String,
    },
}

impl ShardFile {
    /// The shard file of `study`.
    pub fn new(study: Study) -> Self {
        ShardFile {
            format_version: SHARD_FORMAT_VERSION,
            scenario_hash: study.scenario_hash.clone(),
            study,
            precision: None,
        }
    }

    /// Parses and checks the text of shard file `file`: its version first, then its
    /// shape (with the JSON path of a problem), then that its numbers are ones a run
    /// produces.
    pub fn parse(file: &Path, text: &str) -> Result<ShardFile, ShardError> {
        let name = file.display().to_string();
        let malformed = |message: String| ShardError::Malformed {
            file: name.clone(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        let found = match value.get("format_version") {
            None => Some("it has no `format_version` (written by a failsim older than shard format version 1?)".to_string()),
            Some(v) if v.as_u64() == Some(u64::from(SHARD_FORMAT_VERSION)) => None,
            Some(v) => Some(format!(".format_version: shard format version {v} is not supported")),
        };
        if let Some(found) = found {
            return Err(ShardError::Version { file: name, found });
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let mut shard: ShardFile =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                malformed(format!("{path}: {}", e.into_inner()))
            })?;
        shard.check(&name)?;
        shard.study.scenario_hash = shard.scenario_hash.clone();
        Ok(shard)
    }

    /// Sums a run produces: the same replications for every service, unique replication
    /// indices within the run's count, and as many samples in each sum.
    fn check(&self, file: &str) -> Result<(), ShardError> {
        let inconsistent = |path: String, message: String| ShardError::Inconsistent {
            file: file.to_string(),
            path,
            message,
        };
        let study = &self.study;
        let Some(first) = study.services.first() else {
            return Err(inconsistent(
                ".study.services".into(),
                "lists no service".into(),
            ));
        };
        for (s, service) in study.services.iter().chain(&study.system).enumerate() {
            let at = |field: &str| format!(".study.services[{s}].{field}");
            if service.done != first.done || service.folded != first.folded {
                return Err(inconsistent(
                    at("folded"),
                    "lists other replications than .study.services[0]: every service has every replication".into(),
                ));
            }
            let mut covered = 0u64;
            let mut previous_end = 0u64;
            for (r, &(start, end)) in service.folded.iter().enumerate() {
                let at = at(&format!("folded[{r}]"));
                if end > study.replications || start >= end {
                    return Err(inconsistent(
                        at,
                        format!(
                            "replications {start}..{end} are not within the run's {} replications",
                            study.replications
                        ),
                    ));
                }
                if r > 0 && start < previous_end {
                    return Err(inconsistent(
                        at,
                        format!("replication {start} appears twice"),
                    ));
                }
                previous_end = end;
                covered += end - start;
            }
            if covered != service.done {
                return Err(inconsistent(
                    at("done"),
                    format!(
                        "counts {} replications where .folded holds {covered}",
                        service.done
                    ),
                ));
            }
            let sums = [
                ("availability", &service.availability),
                ("lenient_availability", &service.lenient_availability),
                ("served_availability", &service.served_availability),
                ("outages", &service.outages),
            ];
            for (field, moments) in sums {
                if moments.count() != service.done {
                    return Err(inconsistent(
                        at(field),
                        format!(
                            "sums {} replications where .done counts {}",
                            moments.count(),
                            service.done
                        ),
                    ));
                }
            }
            if service.with_outage > service.done {
                return Err(inconsistent(
                    at("with_outage"),
                    format!(
                        "{} replications had an outage out of {}",
                        service.with_outage, service.done
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Refuses `other` (from `file`) unless it is a shard of the same run as `self`.
    pub fn check_same_run(&self, other: &ShardFile, file: &Path) -> Result<(), ShardError> {
        let (a, b) = (&self.study, &other.study);
        let differs = |what: &str, mine: String, theirs: String| {
            Err(ShardError::Mismatch {
                file: file.display().to_string(),
                message: format!(
                    "not a shard of the same run as the first part: {what} {theirs} where the first has {mine}"
                ),
            })
        };
        if other.scenario_hash != self.scenario_hash {
            return differs(
                "scenario hash",
                self.scenario_hash.clone(),
                other.scenario_hash.clone(),
            );
        }
        if b.seed != a.seed {
            return differs("seed", a.seed.to_string(), b.seed.to_string());
        }
        if b.replications != a.replications {
            return differs(
                "replication count",
                a.replications.to_string(),
                b.replications.to_string(),
            );
        }
        let rule = |precision: &Option<ShardPrecision>| match precision {
            None => "no --precision".to_string(),
            Some(p) => format!(
                "--precision {} of {} in {} shards, checks [{}]",
                p.target,
                p.metrics.join(", "),
                p.shards,
                p.checks.join(", ")
            ),
        };
        let (mine, theirs) = (rule(&self.precision), rule(&other.precision));
        if mine != theirs {
            return differs("stopping rule", mine, theirs);
        }
        Ok(())
    }
}
