//! The scenario file model (DESIGN §2–5), as read from JSON with serde.
//!
//! Every struct denies unknown fields so that a typo is an error, and every enum is
//! externally tagged so that error paths and line:column survive (see STYLE.md).
//! Defaults are documented on the fields; `failsim schema` prints the JSON Schema.

use crate::core::duration::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod faults;
mod section;
mod service;
mod system;
mod topology;

pub use faults::*;
pub use section::{Defaults, Section};
pub use service::*;
pub use system::*;
pub use topology::*;

/// A whole scenario: topology, services and faults.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = require_horizon)]
pub struct Scenario {
    /// The JSON Schema this file follows, for editors (e.g.
    /// "../schema/scenario.schema.json"); failsim itself ignores it.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub schema: Option<String>,
    /// Name shown in reports (default: the file name).
    #[serde(default)]
    pub name: Option<String>,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
    /// Seed of every random stream (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of Monte Carlo replications (default 100).
    #[serde(default = "default_replications")]
    #[schemars(range(min = 1))]
    pub replications: u64,
    /// Simulated time per replication (required, e.g. "365d").
    // Optional to serde, so that a missing horizon is reported beside every other
    // problem; required in the schema, which editors check as one types.
    #[serde(default)]
    #[schemars(with = "Duration")]
    pub horizon: Option<Duration>,
    /// Regions, zones, nodes and links.
    pub topology: Topology,
    /// Services protected by a strategy.
    pub services: Vec<Service>,
    /// Injected faults and failure processes.
    #[serde(default)]
    pub faults: Faults,
    /// Services composed into one system, reported like a service (DESIGN §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    /// Mission times, e.g. ["1h", "1d", "30d"]: for each, the probability that a
    /// service (and the system) has no outage within the first T of a replication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missions: Vec<Duration>,
    /// Checks that must hold, `[SERVICE.[KIND.]]METRIC OP VALUE`, e.g. "availability>=0.999",
    /// "db.failover_time_p99<=30s", "api.region_outage.failover_time_p99<=2m" (exit 1 when
    /// one fails; a metric with no data fails).
    #[serde(default)]
    pub slo: Vec<String>,
    /// What replicas and regions cost, for ranking candidates in `failsim recommend`
    /// (default: none given, which ranks as 1 per replica and 0 per region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
}

/// Costs that `failsim recommend` ranks candidates by: a candidate costs
/// `per_replica × replicas + per_region × regions its replicas occupy`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Cost of one replica (default 1.0).
    #[serde(default = "one")]
    pub per_replica: f64,
    /// Cost of each region that holds at least one replica (default 0).
    #[serde(default)]
    pub per_region: f64,
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            per_replica: 1.0,
            per_region: 0.0,
        }
    }
}

/// The schema of a scenario lists `horizon` among its required fields (serde reads it
/// as optional, so that its absence is reported beside every other problem).
fn require_horizon(schema: &mut schemars::Schema) {
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.push("horizon".into());
    }
}

fn default_seed() -> u64 {
    1
}
fn default_replications() -> u64 {
    100
}

/// The default of fields that count one of something (capacity, demand, probability).
fn one() -> f64 {
    1.0
}
