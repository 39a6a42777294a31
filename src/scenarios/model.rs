//! The scenario file model (DESIGN §2–5), as read from JSON with serde.
//!
//! Every struct denies unknown fields so that a typo is an error, and every enum is
//! externally tagged so that error paths and line:column survive (see STYLE.md).
//! Defaults are documented on the fields; `failsim schema` prints the JSON Schema.

use super::distribution::Distribution;
use crate::core::duration::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole scenario: topology, services and faults.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
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
    pub replications: u64,
    /// Simulated time per replication (required, e.g. "365d").
    #[serde(default)]
    pub horizon: Option<Duration>,
    /// Regions, zones, nodes and links.
    pub topology: Topology,
    /// Services protected by a strategy.
    pub services: Vec<Service>,
    /// Injected faults and failure processes.
    #[serde(default)]
    pub faults: Faults,
    /// Checks that must hold, e.g. "availability>=0.999" (exit 1 when one fails).
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

fn default_seed() -> u64 {
    1
}
fn default_replications() -> u64 {
    100
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
    pub region: String,
    /// Zone name (default "<region>-a").
    #[serde(default)]
    pub zone: Option<String>,
    /// What the node is (default server).
    #[serde(default)]
    pub role: Role,
    /// Capacity in demand units (default 1.0).
    #[serde(default = "one")]
    pub capacity: f64,
}

fn default_region() -> String {
    "r1".to_string()
}
fn one() -> f64 {
    1.0
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

/// Parameters of the mesh, ring and star generators.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapeSpec {
    /// Number of nodes (leaves for a star).
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
    pub regions: u32,
    /// Zones per region.
    pub zones: u32,
    /// Server nodes per zone.
    pub nodes: u32,
    /// Region names (default r1, r2, ...); if given, one per region.
    #[serde(default)]
    pub names: Vec<String>,
    /// Capacity of each node (default 1.0).
    #[serde(default = "one")]
    pub capacity: f64,
}

/// Parameters of the core/edge/access tree.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeSpec {
    /// Core routers, fully meshed (CORE1…).
    pub cores: u32,
    /// Edge routers (EDGE1…), each linked to two cores (one if there is one core).
    pub edges: u32,
    /// Access nodes per edge router (ACCESS1…).
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

/// A redundancy strategy (DESIGN §4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum StrategyName {
    /// Every healthy replica serves behind a load balancer.
    #[serde(rename = "ACTIVE_ACTIVE")]
    ActiveActive,
    /// One primary, standbys promoted on failure.
    #[serde(rename = "ACTIVE_PASSIVE")]
    ActivePassive,
    /// Quorum replication with a Raft-style leader.
    #[serde(rename = "N_WAY", alias = "N_WAY_REPLICATION")]
    NWay,
    /// Regions with DNS failover by a global traffic manager.
    #[serde(rename = "GEOGRAPHIC", alias = "GEOGRAPHIC_REDUNDANCY")]
    Geographic,
}

impl StrategyName {
    /// All strategies, in report order.
    pub const ALL: [StrategyName; 4] = [
        StrategyName::ActiveActive,
        StrategyName::ActivePassive,
        StrategyName::NWay,
        StrategyName::Geographic,
    ];

    /// The upper-case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyName::ActiveActive => "ACTIVE_ACTIVE",
            StrategyName::ActivePassive => "ACTIVE_PASSIVE",
            StrategyName::NWay => "N_WAY",
            StrategyName::Geographic => "GEOGRAPHIC",
        }
    }

    /// Parses a name in any case, with `-` or `_`, including the long aliases.
    pub fn parse_loose(text: &str) -> Option<StrategyName> {
        let normal = text.trim().to_ascii_uppercase().replace('-', "_");
        match normal.as_str() {
            "ACTIVE_ACTIVE" => Some(StrategyName::ActiveActive),
            "ACTIVE_PASSIVE" => Some(StrategyName::ActivePassive),
            "N_WAY" | "N_WAY_REPLICATION" | "NWAY" => Some(StrategyName::NWay),
            "GEOGRAPHIC" | "GEOGRAPHIC_REDUNDANCY" | "GEO" => Some(StrategyName::Geographic),
            _ => None,
        }
    }
}

/// A service protected by a strategy.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique service name.
    pub name: String,
    /// The redundancy strategy.
    pub strategy: StrategyName,
    /// Replica node ids, in priority order (first = initial primary). Either this or `placement`.
    #[serde(default)]
    pub replicas: Vec<String>,
    /// A placement rule choosing replica nodes instead of listing them.
    #[serde(default)]
    pub placement: Option<Placement>,
    /// Demand in capacity units (default 1.0).
    #[serde(default = "one")]
    pub demand: f64,
    /// Client nodes whose view is measured (default: one global client that reaches every up node).
    #[serde(default)]
    pub vantage_points: Vec<String>,
    /// Health checking.
    #[serde(default)]
    pub detection: Detection,
    /// How failover is decided and retried.
    #[serde(default)]
    pub failover: Failover,
    /// Replication to standbys (data loss).
    #[serde(default)]
    pub replication: Replication,
    /// ACTIVE_ACTIVE parameters.
    #[serde(default)]
    pub active_active: ActiveActive,
    /// ACTIVE_PASSIVE parameters.
    #[serde(default)]
    pub active_passive: ActivePassive,
    /// N_WAY parameters.
    #[serde(default)]
    pub n_way: NWay,
    /// GEOGRAPHIC parameters.
    #[serde(default)]
    pub geographic: Geographic,
}

/// Chooses replica nodes by rule.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Number of replicas.
    pub count: u32,
    /// Spread: one per zone, one per region, or none (first servers in file order).
    #[serde(default)]
    pub spread: Spread,
}

/// How a placement spreads replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// One replica per zone, zones in file order.
    #[default]
    Zone,
    /// One replica per region.
    Region,
    /// The first server nodes in file order.
    None,
}

/// Health checking (DESIGN §3).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// Probe period (default 5s).
    #[serde(default = "default_interval")]
    pub interval: Duration,
    /// A failed probe is known after this long (default 2s).
    #[serde(default = "default_probe_timeout")]
    pub timeout: Duration,
    /// Consecutive failures that declare a target down (default 3).
    #[serde(default = "default_unhealthy")]
    pub unhealthy_threshold: u32,
    /// Consecutive successes that declare it up again (default 2).
    #[serde(default = "default_healthy")]
    pub healthy_threshold: u32,
    /// `lazy` computes detection instants directly; `explicit` simulates every probe (for tests).
    #[serde(default)]
    pub probing: Probing,
    /// Probe phase of every (detector, target) pair: probes are sent at phase + k·interval.
    /// Default: uniform at random in [0, interval) per pair and replication.
    #[serde(default)]
    pub phase: Option<Duration>,
}

impl Default for Detection {
    fn default() -> Self {
        Detection {
            interval: default_interval(),
            timeout: default_probe_timeout(),
            unhealthy_threshold: default_unhealthy(),
            healthy_threshold: default_healthy(),
            probing: Probing::Lazy,
            phase: None,
        }
    }
}

fn default_interval() -> Duration {
    Duration::from_secs(5)
}
fn default_probe_timeout() -> Duration {
    Duration::from_secs(2)
}
fn default_unhealthy() -> u32 {
    3
}
fn default_healthy() -> u32 {
    2
}

/// How probes are simulated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Probing {
    /// Compute detection instants from the probe phase (no event per probe).
    #[default]
    Lazy,
    /// One event per probe; slow, for cross-checking the lazy model.
    Explicit,
}

/// How failover is decided, bounded and retried.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Failover {
    /// AUTOMATIC, SEMI_AUTOMATIC or MANUAL (default AUTOMATIC).
    #[serde(default)]
    pub mode: FailoverMode,
    /// SEMI_AUTOMATIC: time until a human confirms (default const 1m).
    #[serde(default = "default_confirmation")]
    pub confirmation: Distribution,
    /// SEMI_AUTOMATIC: probability that the confirmation is declined (default 0).
    #[serde(default)]
    pub decline_probability: f64,
    /// MANUAL: time until an operator acts (default lognormal, median 15m, sigma 1).
    #[serde(default = "default_operator")]
    pub operator: Distribution,
    /// An attempt not complete after this long fails as TimedOut (default 5m).
    #[serde(default = "default_failover_timeout")]
    pub timeout: Duration,
    /// Further attempts after a failed one (default 2).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Wait before the first retry; doubles for each further retry (default 5s).
    #[serde(default = "default_backoff")]
    pub backoff: Duration,
}

impl Default for Failover {
    fn default() -> Self {
        Failover {
            mode: FailoverMode::Automatic,
            confirmation: default_confirmation(),
            decline_probability: 0.0,
            operator: default_operator(),
            timeout: default_failover_timeout(),
            retries: default_retries(),
            backoff: default_backoff(),
        }
    }
}

fn default_confirmation() -> Distribution {
    Distribution::Const(Duration::from_secs(60))
}
fn default_operator() -> Distribution {
    Distribution::Lognormal {
        median: Duration::from_secs(15 * 60),
        sigma: 1.0,
    }
}
fn default_failover_timeout() -> Duration {
    Duration::from_secs(300)
}
fn default_retries() -> u32 {
    2
}
fn default_backoff() -> Duration {
    Duration::from_secs(5)
}

/// Who decides a failover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailoverMode {
    /// Act on detection.
    #[default]
    Automatic,
    /// Wait for a confirmation, which may be declined.
    SemiAutomatic,
    /// Wait for an operator.
    Manual,
}

/// Replication of state to standbys.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// sync (no data loss) or async (loses the lag at the fault). Default sync.
    #[serde(default)]
    pub mode: ReplicationMode,
    /// async: replication lag at the instant of a fault (default const 0).
    #[serde(default = "zero_distribution")]
    pub lag: Distribution,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            mode: ReplicationMode::Sync,
            lag: zero_distribution(),
        }
    }
}

fn zero_distribution() -> Distribution {
    Distribution::Const(Duration(0))
}

/// Replication mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReplicationMode {
    /// Every write is on the standby before it is acknowledged.
    #[default]
    Sync,
    /// Writes reach the standby after a lag.
    Async,
}

/// ACTIVE_ACTIVE parameters.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveActive {
    /// Delay from detection to the load balancer's ejection of a replica (default const 500ms).
    #[serde(default = "default_lb_update")]
    pub lb_update: Distribution,
    /// Overloaded survivors fail at a rate that grows with the overload.
    #[serde(default)]
    pub overload_cascade: Option<OverloadCascade>,
}

impl Default for ActiveActive {
    fn default() -> Self {
        ActiveActive {
            lb_update: default_lb_update(),
            overload_cascade: None,
        }
    }
}

fn default_lb_update() -> Distribution {
    Distribution::Const(Duration::from_millis(500))
}

/// Overload cascade: with load/capacity = x > 1, each overloaded replica fails after an
/// exponential time with mean `mean_time_to_fail / (x − 1)`, and is repaired after `repair`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverloadCascade {
    /// Mean time to fail at 100% overload (x = 2).
    pub mean_time_to_fail: Duration,
    /// Repair time of a replica that failed from overload.
    pub repair: Distribution,
}

/// ACTIVE_PASSIVE parameters.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivePassive {
    /// Node that runs the monitor (default: a global monitor that reaches every up node).
    #[serde(default)]
    pub monitor: Option<String>,
    /// Time to promote a standby (default const 2s).
    #[serde(default = "default_promotion")]
    pub promotion: Distribution,
    /// Probability that a promotion fails (default 0).
    #[serde(default)]
    pub promotion_failure_probability: f64,
    /// Time to move clients to the new primary: VIP move or DNS (default const 1s).
    #[serde(default = "default_reroute")]
    pub reroute: Distribution,
    /// Stop the old primary when failing over (default true).
    #[serde(default = "yes")]
    pub fencing: bool,
    /// Return to the original primary once it is healthy again (default none).
    #[serde(default)]
    pub failback: Failback,
    /// How long the original primary must stay healthy before an automatic failback (default 10m).
    #[serde(default = "default_hold_down")]
    pub hold_down: Duration,
}

impl Default for ActivePassive {
    fn default() -> Self {
        ActivePassive {
            monitor: None,
            promotion: default_promotion(),
            promotion_failure_probability: 0.0,
            reroute: default_reroute(),
            fencing: true,
            failback: Failback::None,
            hold_down: default_hold_down(),
        }
    }
}

fn default_promotion() -> Distribution {
    Distribution::Const(Duration::from_secs(2))
}
fn default_reroute() -> Distribution {
    Distribution::Const(Duration::from_secs(1))
}
fn default_hold_down() -> Duration {
    Duration::from_secs(600)
}
fn yes() -> bool {
    true
}

/// Failback policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Failback {
    /// Stay on the new primary.
    #[default]
    None,
    /// Move back to the preferred primary after the hold-down.
    Automatic,
}

/// N_WAY parameters.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NWay {
    /// Votes needed (default ⌊N/2⌋+1).
    #[serde(default)]
    pub quorum: Option<u32>,
    /// Leader heartbeat period (default 50ms).
    #[serde(default = "default_heartbeat")]
    pub heartbeat: Duration,
    /// Shortest election timeout (default 150ms).
    #[serde(default = "default_election_min")]
    pub election_timeout_min: Duration,
    /// Longest election timeout (default 300ms).
    #[serde(default = "default_election_max")]
    pub election_timeout_max: Duration,
    /// Byzantine fault tolerance: needs n ≥ 3f+1 (default false).
    #[serde(default)]
    pub bft: bool,
    /// Byzantine replicas tolerated (default ⌊(N−1)/3⌋).
    #[serde(default)]
    pub max_faulty: Option<u32>,
}

impl Default for NWay {
    fn default() -> Self {
        NWay {
            quorum: None,
            heartbeat: default_heartbeat(),
            election_timeout_min: default_election_min(),
            election_timeout_max: default_election_max(),
            bft: false,
            max_faulty: None,
        }
    }
}

fn default_heartbeat() -> Duration {
    Duration::from_millis(50)
}
fn default_election_min() -> Duration {
    Duration::from_millis(150)
}
fn default_election_max() -> Duration {
    Duration::from_millis(300)
}

/// GEOGRAPHIC parameters.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Geographic {
    /// Region that serves first (default: the region of the first replica that is not
    /// listed in `backup_regions`).
    #[serde(default)]
    pub primary_region: Option<String>,
    /// Backup regions in priority order (default: the other replica regions in file order).
    #[serde(default)]
    pub backup_regions: Vec<String>,
    /// DNS record time-to-live; clients hold a residual TTL uniform in [0, ttl] (default 60s).
    #[serde(default = "default_ttl")]
    pub dns_ttl: Duration,
    /// Probing locations of the global traffic manager; a region is down when most fail (default 3).
    #[serde(default = "default_probers")]
    pub traffic_manager_probers: u32,
    /// Clients simulated per vantage point for the residual TTL (default 16).
    #[serde(default = "default_dns_clients")]
    pub clients: u32,
}

impl Default for Geographic {
    fn default() -> Self {
        Geographic {
            primary_region: None,
            backup_regions: Vec::new(),
            dns_ttl: default_ttl(),
            traffic_manager_probers: default_probers(),
            clients: default_dns_clients(),
        }
    }
}

fn default_ttl() -> Duration {
    Duration::from_secs(60)
}
fn default_probers() -> u32 {
    3
}
fn default_dns_clients() -> u32 {
    16
}

/// Injected faults and failure processes (DESIGN §5).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Per-node alternating failure/repair processes.
    #[serde(default)]
    pub node_failures: Vec<NodeFailureProcess>,
    /// Correlated zone outages.
    #[serde(default)]
    pub zone_outages: Vec<OutageProcess>,
    /// Correlated region outages.
    #[serde(default)]
    pub region_outages: Vec<OutageProcess>,
    /// Random network partitions.
    #[serde(default)]
    pub random_partitions: Vec<PartitionProcess>,
    /// Several nodes failing at the same instant.
    #[serde(default)]
    pub bursts: Vec<BurstProcess>,
    /// Faults at given instants.
    #[serde(default)]
    pub scheduled: Vec<ScheduledFault>,
    /// A node's failure may take its dependents down.
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
}

/// Each listed node alternates up (time to failure) and down (time to repair).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeFailureProcess {
    /// Stable identity of this process (optional): it names this process in traces and records and
    /// keys its random streams (one per node, keyed by the id and the node), so that its draws stay the same whatever else the
    /// file holds or changes in it (see the README, "Random streams"). Default: derived
    /// from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Nodes it applies to (default: every server node).
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Time to failure.
    pub ttf: Distribution,
    /// Time to repair.
    pub ttr: Distribution,
}

/// Outages of whole zones or regions arriving over time.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageProcess {
    /// Stable identity of this outage process (optional): it names this outage process in traces and records and
    /// keys its random streams (one per target, keyed by the id and the target), so that its draws stay the same whatever else the
    /// file holds or changes in it (see the README, "Random streams"). Default: derived
    /// from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Zones or regions it applies to (default: all); each has its own process.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Time between the end of one outage and the start of the next.
    pub interarrival: Distribution,
    /// How long an outage lasts.
    pub duration: Distribution,
}

/// Random partitions arriving over time.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionProcess {
    /// Stable identity of this partition process (optional): it names this partition process in traces and records and
    /// keys its random stream, so that its draws stay the same whatever else the
    /// file holds or changes in it (see the README, "Random streams"). Default: derived
    /// from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Time between the end of one partition and the start of the next.
    pub interarrival: Distribution,
    /// How long a partition lasts.
    pub duration: Distribution,
    /// Number of groups, 2 or 3 (default 2): one majority and minorities.
    #[serde(default = "two")]
    pub groups: u32,
}

fn two() -> u32 {
    2
}

/// Bursts: `size` random nodes fail at once.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurstProcess {
    /// Stable identity of this burst process (optional): it names this burst process in traces and records and
    /// keys its random stream, so that its draws stay the same whatever else the
    /// file holds or changes in it (see the README, "Random streams"). Default: derived
    /// from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Time between bursts.
    pub interarrival: Distribution,
    /// Nodes per burst.
    pub size: u32,
    /// Time to repair of each node.
    pub ttr: Distribution,
    /// Nodes to choose from (default: every server node).
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// A fault at a given instant.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFault {
    /// Id used in traces and failover records (default "f<index>").
    #[serde(default)]
    pub id: Option<String>,
    /// When it starts.
    pub at: Duration,
    /// How long it lasts (default: until the end of the replication).
    #[serde(default)]
    pub duration: Option<Distribution>,
    /// What happens.
    pub fault: FaultAction,
}

/// What a scheduled fault does.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Crash the listed nodes.
    Crash(NodeList),
    /// Crash `count` nodes chosen at random among `among` (default: every server).
    CrashRandom(RandomCrash),
    /// Crash every node of a zone.
    CrashZone(String),
    /// Crash every node of a region.
    CrashRegion(String),
    /// Split the network into the listed groups; unlisted nodes join the first group.
    Partition(PartitionGroups),
    /// Split the nodes at random into 2 or 3 groups: one majority and minorities.
    RandomPartition(RandomPartition),
    /// Cut the listed nodes off from everyone else.
    Isolate(NodeList),
    /// Cut a region off from the others.
    IsolateRegion(String),
    /// Cut one link.
    CutLink(LinkRef),
    /// Add latency and loss to one link (probes and messages crossing it).
    DegradeLink(LinkDegradation),
    /// The listed nodes behave arbitrarily (matters to BFT N_WAY).
    Byzantine(NodeList),
    /// The node passes health checks but fails requests.
    Gray(NodeList),
}

/// A list of node ids.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeList {
    /// Node ids.
    pub nodes: Vec<String>,
}

/// Parameters of `crash_random`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomCrash {
    /// How many nodes.
    pub count: u32,
    /// Candidates (default: every server).
    #[serde(default)]
    pub among: Vec<String>,
}

/// Explicit partition groups.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionGroups {
    /// Groups of node ids.
    pub groups: Vec<Vec<String>>,
}

/// Parameters of `random_partition`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomPartition {
    /// 2 or 3 groups (default 2).
    #[serde(default = "two")]
    pub groups: u32,
}

/// One link by its ends.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRef {
    /// One end.
    pub from: String,
    /// The other end.
    pub to: String,
}

/// A degraded link.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDegradation {
    /// One end.
    pub from: String,
    /// The other end.
    pub to: String,
    /// Latency added to the link (default 0).
    #[serde(default)]
    pub added_latency: Duration,
    /// Probability that a probe or message crossing it is lost (default 0).
    #[serde(default)]
    pub loss: f64,
}

/// `node` depends on `depends_on`: when that fails, `node` fails too with a probability.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Stable identity of this dependency (optional): it names this dependency in traces and records and
    /// keys its random stream, so that its draws stay the same whatever else the
    /// file holds or changes in it (see the README, "Random streams"). Default: derived
    /// from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The dependent node.
    pub node: String,
    /// The node it depends on.
    pub depends_on: String,
    /// Probability that a failure propagates (default 1).
    #[serde(default = "one")]
    pub probability: f64,
    /// Delay before the dependent fails (default 0).
    #[serde(default)]
    pub delay: Duration,
}
