//! The file model of the network: nodes, links, implied latencies and generators.

use super::one;
use crate::core::duration::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The network: explicit nodes and links plus generated shapes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Nodes listed one by one.
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    /// Generated shapes; their nodes and links are added to the listed ones.
    #[serde(default)]
    pub generators: Vec<Generator>,
    /// Links listed one by one.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// Whether every pair of nodes is linked implicitly with the latency of its class
    /// (same zone, same region, different regions). Default: true when the topology
    /// has no explicit or generated links, false otherwise.
    #[serde(default)]
    pub implied_links: Option<bool>,
    /// Latencies of implied links.
    #[serde(default)]
    pub latency: ImpliedLatency,
}

/// Latency of implied links by class.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpliedLatency {
    /// Between nodes of one zone (default 0.2ms).
    #[serde(default = "default_zone_latency")]
    pub zone: Duration,
    /// Between zones of one region (default 1ms).
    #[serde(default = "default_region_latency")]
    pub region: Duration,
    /// Between regions (default 40ms).
    #[serde(default = "default_global_latency")]
    pub global: Duration,
}

impl Default for ImpliedLatency {
    fn default() -> Self {
        ImpliedLatency {
            zone: default_zone_latency(),
            region: default_region_latency(),
            global: default_global_latency(),
        }
    }
}

fn default_zone_latency() -> Duration {
    Duration(200_000)
}
fn default_region_latency() -> Duration {
    Duration::from_millis(1)
}
fn default_global_latency() -> Duration {
    Duration::from_millis(40)
}

/// One node.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique id, e.g. "db1".
    pub id: String,
    /// Region name (default "r1").
    #[serde(default = "default_region")]
    #[schemars(pattern(r"\S"))]
    pub region: String,
    /// Zone name (default `<region>-a`).
    #[serde(default)]
    #[schemars(pattern(r"\S"))]
    pub zone: Option<String>,
    /// What the node is (default server).
    #[serde(default)]
    pub role: Role,
    /// Capacity in demand units (default 1.0).
    #[serde(default = "one")]
    pub capacity: f64,
    /// Repair priority (default 0): under a repair crew with the `priority` policy,
    /// waiting nodes of higher priority are repaired first.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repair_priority: i64,
}

fn is_zero(priority: &i64) -> bool {
    *priority == 0
}

fn default_region() -> String {
    "r1".to_string()
}

/// The role of a node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs service replicas.
    #[default]
    Server,
    /// Forwards traffic only.
    Router,
    /// A vantage point: where clients stand.
    Client,
    /// Runs health checks and failover decisions.
    Monitor,
}

/// An explicit link between two nodes.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// One end (node id).
    pub from: String,
    /// The other end (node id).
    pub to: String,
    /// One-way latency (default 1ms).
    #[serde(default = "default_region_latency")]
    pub latency: Duration,
}

/// A generated topology shape.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Generator {
    /// `nodes` nodes, every pair linked.
    Mesh(ShapeSpec),
    /// A ring of `nodes` nodes, each linked to the next.
    Ring(ShapeSpec),
    /// A hub (`<prefix>0`) linked to `nodes` leaves.
    Star(ShapeSpec),
    /// `regions` × `zones` × `nodes`, linked implicitly (ids like `r1-z2-n3`).
    Regions(RegionsSpec),
    /// The telecom core/edge/access tree (CORE1…, EDGE1…, ACCESS1…).
    CoreEdgeAccess(TreeSpec),
}

impl Generator {
    /// The key that names this generator in files (`mesh`, `regions`, ...).
    pub fn key(&self) -> &'static str {
        match self {
            Generator::Mesh(_) => "mesh",
            Generator::Ring(_) => "ring",
            Generator::Star(_) => "star",
            Generator::Regions(_) => "regions",
            Generator::CoreEdgeAccess(_) => "core_edge_access",
        }
    }
}

/// Parameters of the mesh, ring and star generators.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapeSpec {
    /// Number of nodes (leaves for a star).
    #[schemars(range(min = 1))]
    pub nodes: u32,
    /// Id prefix (default "n": n1, n2, ...).
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Latency of each generated link (default 1ms).
    #[serde(default = "default_region_latency")]
    pub latency: Duration,
    /// Region of the generated nodes (default "r1").
    #[serde(default = "default_region")]
    pub region: String,
}

fn default_prefix() -> String {
    "n".to_string()
}

/// Parameters of the `regions` generator.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionsSpec {
    /// Number of regions.
    #[schemars(range(min = 1))]
    pub regions: u32,
    /// Zones per region.
    #[schemars(range(min = 1))]
    pub zones: u32,
    /// Server nodes per zone.
    #[schemars(range(min = 1))]
    pub nodes: u32,
    /// Region names (default r1, r2, ...); if given, one per region.
    #[serde(default)]
    pub names: Vec<String>,
    /// Capacity of each node (default 1.0).
    #[serde(default = "one")]
    pub capacity: f64,
    /// Repair priority of each node (default 0), as a node's `repair_priority`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repair_priority: i64,
}

/// Parameters of the core/edge/access tree.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeSpec {
    /// Core routers, fully meshed (CORE1…).
    #[schemars(range(min = 1))]
    pub cores: u32,
    /// Edge routers (EDGE1…), each linked to two cores (one if there is one core).
    #[schemars(range(min = 1))]
    pub edges: u32,
    /// Access nodes per edge router (ACCESS1…).
    #[schemars(range(min = 1))]
    pub access_per_edge: u32,
    /// Core–core latency (default 2ms).
    #[serde(default = "default_core_latency")]
    pub core_latency: Duration,
    /// Edge–core latency (default 1ms).
    #[serde(default = "default_region_latency")]
    pub edge_latency: Duration,
    /// Access–edge latency (default 0.5ms).
    #[serde(default = "default_access_latency")]
    pub access_latency: Duration,
}

fn default_core_latency() -> Duration {
    Duration::from_millis(2)
}
fn default_access_latency() -> Duration {
    Duration(500_000)
}
