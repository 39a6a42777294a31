//! The file model of the network: nodes, links, implied latencies and generators.

use super::one;
use crate::core::duration::Duration;
use crate::core::time::Nanos;
use crate::scenarios::distribution::Distribution;
use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A link's one-way latency: a plain duration (`"1ms"`), or a distribution
/// (`{"uniform": {"min": "1ms", "max": "3ms"}}`) from which each message draws its own
/// delay when it is sent (jitter). A `const` distribution is a plain duration.
///
/// Read by hand rather than as an untagged enum, so that an error inside the
/// distribution keeps its JSON path and position.
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    /// The same delay for every message.
    Fixed(Duration),
    /// Each message draws its delay.
    Drawn(Distribution),
}

impl Latency {
    /// The mean delay in nanoseconds: what paths are chosen by and what compile-time
    /// checks read; exactly the duration of a fixed latency.
    pub fn mean_nanos(&self) -> Nanos {
        match self.jitter() {
            None => self.fixed_nanos(),
            Some(dist) => crate::core::time::secs_to_nanos(dist.mean_secs()),
        }
    }

    /// The distribution messages draw from, or None when every message takes the same
    /// delay (a plain duration or a `const`).
    pub fn jitter(&self) -> Option<&Distribution> {
        match self {
            Latency::Drawn(Distribution::Const(_)) | Latency::Fixed(_) => None,
            Latency::Drawn(dist) => Some(dist),
        }
    }

    fn fixed_nanos(&self) -> Nanos {
        match self {
            Latency::Fixed(d) | Latency::Drawn(Distribution::Const(d)) => d.nanos(),
            Latency::Drawn(_) => 0,
        }
    }
}

impl From<Duration> for Latency {
    fn from(duration: Duration) -> Self {
        Latency::Fixed(duration)
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LatencyVisitor;
        impl<'de> Visitor<'de> for LatencyVisitor {
            type Value = Latency;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a latency: a duration such as \"1ms\" or a distribution such as \
                     {\"uniform\": {\"min\": \"1ms\", \"max\": \"3ms\"}}",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Latency, E> {
                Duration::deserialize(de::value::StrDeserializer::new(v)).map(Latency::Fixed)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Latency, E> {
                Duration::deserialize(de::value::U64Deserializer::new(v)).map(Latency::Fixed)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Latency, E> {
                Duration::deserialize(de::value::I64Deserializer::new(v)).map(Latency::Fixed)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Latency, E> {
                Duration::deserialize(de::value::F64Deserializer::new(v)).map(Latency::Fixed)
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Latency, M::Error> {
                Distribution::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Latency::Drawn)
            }
        }
        deserializer.deserialize_any(LatencyVisitor)
    }
}

impl Serialize for Latency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Latency::Fixed(duration) => duration.serialize(serializer),
            Latency::Drawn(dist) => dist.serialize(serializer),
        }
    }
}

impl JsonSchema for Latency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Latency".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let duration = generator.subschema_for::<Duration>();
        let distribution = generator.subschema_for::<Distribution>();
        schemars::json_schema!({
            "description": "A one-way latency: a duration, or a distribution from which each message draws its delay when sent (jitter).",
            "anyOf": [duration, distribution]
        })
    }
}

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
    pub zone: Latency,
    /// Between zones of one region (default 1ms).
    #[serde(default = "default_region_latency")]
    pub region: Latency,
    /// Between regions (default 40ms).
    #[serde(default = "default_global_latency")]
    pub global: Latency,
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

fn default_zone_latency() -> Latency {
    Duration(200_000).into()
}
fn default_region_latency() -> Latency {
    Duration::from_millis(1).into()
}
fn default_global_latency() -> Latency {
    Duration::from_millis(40).into()
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
    pub latency: Latency,
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
    /// The names of its latency fields, in the order of its link classes.
    pub fn latency_fields(&self) -> &'static [&'static str] {
        match self {
            Generator::Mesh(_) | Generator::Ring(_) | Generator::Star(_) => &["latency"],
            Generator::Regions(_) => &[],
            Generator::CoreEdgeAccess(_) => &["core_latency", "edge_latency", "access_latency"],
        }
    }

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
    pub latency: Latency,
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
    pub core_latency: Latency,
    /// Edge–core latency (default 1ms).
    #[serde(default = "default_region_latency")]
    pub edge_latency: Latency,
    /// Access–edge latency (default 0.5ms).
    #[serde(default = "default_access_latency")]
    pub access_latency: Latency,
}

fn default_core_latency() -> Latency {
    Duration::from_millis(2).into()
}
fn default_access_latency() -> Latency {
    Duration(500_000).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latency_is_a_duration_or_a_distribution_and_const_is_fixed() {
        let read = |text: &str| serde_json::from_str::<Latency>(text).unwrap();
        assert_eq!(read(r#""5ms""#), Latency::Fixed(Duration::from_millis(5)));
        assert_eq!(read("0.005"), Latency::Fixed(Duration::from_millis(5)));
        let constant = read(r#"{"const": "5ms"}"#);
        assert_eq!(
            (constant.jitter(), constant.mean_nanos()),
            (None, 5_000_000)
        );
        let uniform = read(r#"{"uniform": {"min": "1ms", "max": "9ms"}}"#);
        assert_eq!(uniform.mean_nanos(), 5_000_000);
        assert_eq!(uniform.jitter().map(Distribution::key), Some("uniform"));
        assert_eq!(
            serde_json::to_string(&read(r#""5ms""#)).unwrap(),
            r#""5ms""#
        );
        let error = serde_json::from_str::<Latency>(r#"{"uniform": {"min": "1ms"}}"#);
        assert!(error.unwrap_err().to_string().contains("max"));
    }
}
