//! The risk file model (DESIGN §8): per-node risk assessments plus planning settings,
//! read with exact error positions and validated with every problem reported at once.
//!
//! A risk file is told apart from a scenario by its top-level `risk_assessments` key,
//! which a scenario (whose fields are closed by `deny_unknown_fields`) can never have.
//! Like the scenario model, every struct denies unknown fields and every enum is
//! externally tagged, so that error paths and line:column survive (see STYLE.md).

use crate::core::duration::Duration;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::error::SourceText;
use crate::scenarios::load::{note_unreported, MAX_REPORTED};
use crate::scenarios::model::Cost;
use crate::scenarios::positions::PositionIndex;
use crate::scenarios::source::read_text;
use crate::scenarios::{Diagnostic, ScenarioError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

pub use crate::scenarios::load::{is_risk_file, RISK_FILE_KEY};

/// A whole risk file: the assessed nodes and how to plan for them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskFile {
    /// Name of the plan and of the emitted scenario (default: the file name).
    #[serde(default)]
    pub name: Option<String>,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
    /// Planning thresholds and what to emit.
    #[serde(default)]
    pub settings: PlanSettings,
    /// One assessment per node, in the order the plan lists them.
    pub risk_assessments: Vec<RiskAssessment>,
}

/// The assessment of one node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskAssessment {
    /// Node id, e.g. "CORE1"; the emitted scenario names its replicas `CORE1-r1`, `CORE1-r2`, ...
    pub node: String,
    /// Likelihood-and-impact score in [0, 1]; it picks the strategy (DESIGN §8) and sets the failure rate.
    pub risk_score: f64,
    /// The dominant way the node fails.
    pub failure_type: FailureType,
    /// How much the business depends on the node (default MEDIUM); reported, not used by the rules.
    #[serde(default)]
    pub criticality: Criticality,
    /// Assessed nodes that fail with this one (by `cascade_risk`).
    #[serde(default)]
    pub dependents: Vec<String>,
    /// Probability in [0, 1] that a failure of this node takes each dependent down (default 0).
    #[serde(default)]
    pub cascade_risk: f64,
    /// Mitigations already in place, free text; reported, not used by the rules.
    #[serde(default)]
    pub mitigations: Vec<String>,
}

/// How a node fails (the classic failure model hierarchy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureType {
    /// Stops and stays silent until repaired.
    Crash,
    /// Drops some requests while looking healthy.
    Omission,
    /// Answers, but too late.
    Timing,
    /// Behaves arbitrarily, possibly lying to its peers.
    Byzantine,
}

impl FailureType {
    /// The upper-case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureType::Crash => "CRASH",
            FailureType::Omission => "OMISSION",
            FailureType::Timing => "TIMING",
            FailureType::Byzantine => "BYZANTINE",
        }
    }
}

impl fmt::Display for FailureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Business criticality of a node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Criticality {
    /// Nice to have.
    Low,
    /// Ordinary.
    #[default]
    Medium,
    /// Important.
    High,
    /// The business stops without it.
    Critical,
}

/// Planning settings: the "many dependents" threshold and what the emitted scenario holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// A node with at least this many dependents has "many" (DESIGN §8: risk in [0.70, 0.85)
    /// picks ACTIVE_ACTIVE with many, ACTIVE_PASSIVE with few). Default 3.
    #[serde(default = "default_many_dependents")]
    pub many_dependents: u32,
    /// Replica counts of each strategy in the emitted scenario.
    #[serde(default)]
    pub replicas: ReplicaCounts,
    /// Regions of the emitted topology, primary first (default ["east", "west"]).
    #[serde(default = "default_regions")]
    pub regions: Vec<String>,
    /// Zones per region; replicas of one node go to different zones in turn (default 3).
    #[serde(default = "default_zones")]
    pub zones_per_region: u32,
    /// Mean time to failure of a replica whose node has risk score 1; a score r gives
    /// a mean of `mttf_at_full_risk / r`, and a score 0 no failures (default 30d).
    #[serde(default = "default_mttf")]
    pub mttf_at_full_risk: Duration,
    /// Time to repair a failed replica (default lognormal, median 2h, sigma 0.8).
    #[serde(default = "default_repair")]
    pub repair: Distribution,
    /// Emit one episode of each node's failure type at mid-horizon: a Byzantine replica
    /// for BYZANTINE, a gray replica (healthy to probes, failing requests) for OMISSION.
    /// CRASH and TIMING nodes get the crash/repair process only. Default true.
    #[serde(default = "yes")]
    pub failure_episodes: bool,
    /// Length of each failure episode (default 1h).
    #[serde(default = "default_episode")]
    pub episode_duration: Duration,
    /// Horizon of the emitted scenario (default 365d).
    #[serde(default = "default_horizon")]
    pub horizon: Duration,
    /// Replications of the emitted scenario (default 100).
    #[serde(default = "default_replications")]
    pub replications: u64,
    /// Seed of the emitted scenario (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Cost block copied into the emitted scenario, for `failsim recommend` (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            many_dependents: default_many_dependents(),
            replicas: ReplicaCounts::default(),
            regions: default_regions(),
            zones_per_region: default_zones(),
            mttf_at_full_risk: default_mttf(),
            repair: default_repair(),
            failure_episodes: true,
            episode_duration: default_episode(),
            horizon: default_horizon(),
            replications: default_replications(),
            seed: default_seed(),
            cost: None,
        }
    }
}

/// How many replicas each strategy gets in the emitted scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaCounts {
    /// ACTIVE_ACTIVE replicas (default 3).
    #[serde(default = "three")]
    pub active_active: u32,
    /// ACTIVE_PASSIVE replicas: a primary and standbys (default 2).
    #[serde(default = "two")]
    pub active_passive: u32,
    /// Byzantine replicas an N_WAY (BFT) service tolerates, f; it gets 3f+1 replicas (default 1, so 4).
    #[serde(default = "one_u32")]
    pub byzantine_faults: u32,
    /// Regions a GEOGRAPHIC service spans, the first ones of `regions` (default 2).
    #[serde(default = "two")]
    pub geographic_regions: u32,
    /// GEOGRAPHIC replicas in each of its regions (default 1).
    #[serde(default = "one_u32")]
    pub geographic_per_region: u32,
}

impl Default for ReplicaCounts {
    fn default() -> Self {
        ReplicaCounts {
            active_active: three(),
            active_passive: two(),
            byzantine_faults: one_u32(),
            geographic_regions: two(),
            geographic_per_region: one_u32(),
        }
    }
}

fn default_many_dependents() -> u32 {
    3
}
fn default_regions() -> Vec<String> {
    vec!["east".to_string(), "west".to_string()]
}
fn default_zones() -> u32 {
    3
}
fn default_mttf() -> Duration {
    Duration::from_secs(30 * 86_400)
}
fn default_repair() -> Distribution {
    Distribution::Lognormal {
        median: Duration::from_secs(2 * 3600),
        sigma: 0.8,
    }
}
fn default_episode() -> Duration {
    Duration::from_secs(3600)
}
fn default_horizon() -> Duration {
    Duration::from_secs(365 * 86_400)
}
fn default_replications() -> u64 {
    100
}
fn default_seed() -> u64 {
    1
}
fn yes() -> bool {
    true
}
fn one_u32() -> u32 {
    1
}
fn two() -> u32 {
    2
}
fn three() -> u32 {
    3
}

/// Parses risk-file text; a syntax or type error names its JSON path and line:column.
pub fn parse(text: &str, file: &Path) -> Result<RiskFile, ScenarioError> {
    crate::scenarios::load::parse_document(text, file, "a risk file")
}

/// Parses and validates risk-file text; `file` is used only in messages.
pub fn load_str(text: &str, file: &Path) -> Result<RiskFile, ScenarioError> {
    let risk = parse(text, file)?;
    let mut problems = validate(&risk);
    if problems.is_empty() {
        return Ok(risk);
    }
    // As for scenario files: the first problems found, and a count of the rest.
    let unreported = problems.len().saturating_sub(MAX_REPORTED);
    problems.truncate(MAX_REPORTED);
    let index = PositionIndex::new(text);
    let mut diagnostics: Vec<Diagnostic> = problems
        .into_iter()
        .map(|(path, message)| {
            let (line, column) = index.locate(&path);
            Diagnostic {
                path,
                line,
                column,
                message,
            }
        })
        .collect();
    diagnostics.sort_by_key(|d| (d.line, d.column));
    note_unreported(&mut diagnostics, unreported);
    Err(ScenarioError::Invalid {
        file: file.to_path_buf(),
        diagnostics,
        text: SourceText::new(text),
    })
}

/// Reads, parses and validates a risk file, read with the scenario reader's size limit
/// ([`MAX_FILE_BYTES`](crate::scenarios::source::MAX_FILE_BYTES)) and UTF-8 checks.
pub fn load_file(file: &Path) -> Result<RiskFile, ScenarioError> {
    let text = read_text(file, "a risk file")?;
    load_str(&text, file)
}

/// Every problem of a parsed risk file, as (JSON path, message), in file order.
pub fn validate(risk: &RiskFile) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut fail = |path: String, message: String| problems.push((path, message));
    validate_settings(&risk.settings, &mut fail);
    if risk.risk_assessments.is_empty() {
        fail(
            RISK_FILE_KEY.to_string(),
            "no assessments: list at least one node".to_string(),
        );
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, assessment) in risk.risk_assessments.iter().enumerate() {
        let path = format!("{RISK_FILE_KEY}[{i}]");
        if assessment.node.trim().is_empty() {
            fail(format!("{path}.node"), "a node id must not be empty".into());
        } else if index.insert(&assessment.node, i).is_some() {
            fail(
                format!("{path}.node"),
                format!("node `{}` is assessed twice", assessment.node),
            );
        }
        for (field, value) in [
            ("risk_score", assessment.risk_score),
            ("cascade_risk", assessment.cascade_risk),
        ] {
            if !(0.0..=1.0).contains(&value) {
                fail(
                    format!("{path}.{field}"),
                    format!("{value} is outside [0, 1]: use a number between 0 and 1"),
                );
            }
        }
    }
    for (i, assessment) in risk.risk_assessments.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for (d, dependent) in assessment.dependents.iter().enumerate() {
            let path = format!("{RISK_FILE_KEY}[{i}].dependents[{d}]");
            if !index.contains_key(dependent.as_str()) {
                fail(
                    path,
                    format!(
                        "unknown node `{dependent}`: dependents must be assessed nodes{}",
                        suggestion(&index, dependent)
                    ),
                );
            } else if dependent == &assessment.node {
                fail(path, "a node cannot be its own dependent".into());
            } else if !seen.insert(dependent) {
                fail(path, format!("dependent `{dependent}` is listed twice"));
            }
        }
    }
    problems
}

fn validate_settings(settings: &PlanSettings, fail: &mut impl FnMut(String, String)) {
    let mut require = |ok: bool, field: &str, message: &str| {
        if !ok {
            fail(format!("settings.{field}"), message.to_string());
        }
    };
    let counts = &settings.replicas;
    require(
        settings.many_dependents >= 1,
        "many_dependents",
        "must be at least 1",
    );
    require(
        counts.active_active >= 2,
        "replicas.active_active",
        "ACTIVE_ACTIVE needs at least 2 replicas",
    );
    require(
        counts.active_passive >= 2,
        "replicas.active_passive",
        "ACTIVE_PASSIVE needs at least 2 replicas: a primary and a standby",
    );
    require(
        counts.byzantine_faults >= 1,
        "replicas.byzantine_faults",
        "an N_WAY (BFT) service must tolerate at least f = 1 Byzantine replica",
    );
    require(
        counts.geographic_regions >= 2,
        "replicas.geographic_regions",
        "GEOGRAPHIC needs at least 2 regions",
    );
    require(
        counts.geographic_regions as usize <= settings.regions.len(),
        "replicas.geographic_regions",
        "more GEOGRAPHIC regions than `settings.regions` lists",
    );
    require(
        counts.geographic_per_region >= 1,
        "replicas.geographic_per_region",
        "must be at least 1",
    );
    let distinct: BTreeSet<&String> = settings.regions.iter().collect();
    require(
        distinct.len() == settings.regions.len()
            && settings.regions.iter().all(|r| !r.trim().is_empty()),
        "regions",
        "region names must be non-empty and distinct",
    );
    require(
        !settings.regions.is_empty(),
        "regions",
        "list at least one region",
    );
    require(
        settings.zones_per_region >= 1,
        "zones_per_region",
        "must be at least 1",
    );
    require(
        settings.mttf_at_full_risk.nanos() > 0,
        "mttf_at_full_risk",
        "must be longer than zero",
    );
    require(
        settings.episode_duration.nanos() > 0,
        "episode_duration",
        "must be longer than zero",
    );
    require(
        settings.horizon.nanos() > 0,
        "horizon",
        "must be longer than zero",
    );
    require(
        settings.replications >= 1,
        "replications",
        "at least one replication is needed",
    );
    if let Some(cost) = &settings.cost {
        for (field, value) in [
            ("cost.per_replica", cost.per_replica),
            ("cost.per_region", cost.per_region),
        ] {
            require(
                value.is_finite() && value >= 0.0,
                field,
                "a cost must be a non-negative number",
            );
        }
    }
    if let Distribution::Const(d) = settings.repair {
        require(d.nanos() > 0, "repair", "must be longer than zero");
    }
    for (field, message) in settings.repair.problems() {
        fail(format!("settings.repair.{field}"), message);
    }
}

fn suggestion(index: &BTreeMap<&str, usize>, name: &str) -> String {
    crate::core::nearest::nearest(name, index.keys().copied())
        .map(|known| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_files_are_told_from_scenarios_by_their_top_level_key() {
        assert!(is_risk_file(r#"{"risk_assessments": []}"#));
        assert!(!is_risk_file(r#"{"topology": {}, "services": []}"#));
        assert!(!is_risk_file("not json"));
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = "{\n  \"risk_assessments\": [\n    {\"node\": \"A\", \"risk_score\": 1.5, \"failure_type\": \"CRASH\",\n     \"dependents\": [\"B\", \"A\"]}\n  ]\n}";
        let Err(ScenarioError::Invalid { diagnostics, .. }) = load_str(text, Path::new("r.json"))
        else {
            panic!("the file is invalid");
        };
        let found: Vec<(&str, usize, usize)> = diagnostics
            .iter()
            .map(|d| (d.path.as_str(), d.line, d.column))
            .collect();
        assert_eq!(
            found,
            vec![
                ("risk_assessments[0].risk_score", 3, 33),
                ("risk_assessments[0].dependents[0]", 4, 21),
                ("risk_assessments[0].dependents[1]", 4, 26),
            ]
        );
    }

    #[test]
    fn unknown_fields_name_their_path() {
        let text = r#"{"risk_assessments": [{"node": "A", "risk_score": 0.5, "failure_type": "CRASH", "dependants": []}]}"#;
        let Err(ScenarioError::Invalid { diagnostics, .. }) = load_str(text, Path::new("r.json"))
        else {
            panic!("the file is invalid");
        };
        assert_eq!(diagnostics[0].path, "risk_assessments[0].dependants");
        assert!(diagnostics[0].message.contains("unknown field"));
    }
}
