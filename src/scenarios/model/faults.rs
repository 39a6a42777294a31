//! The file model of faults: failure processes, outages, partitions, bursts,
//! scheduled faults and dependencies.

use super::one;
use crate::core::duration::Duration;
use crate::scenarios::distribution::Distribution;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Who repairs the nodes of `node_failures` (default: nobody, each node repairs on
    /// its own TTR at once). A node may be served by one crew at most.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repair_crews: Vec<RepairCrew>,
    /// How many nodes of a scope `node_failures` may hold down at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fault_budgets: Vec<FaultBudget>,
}

/// A repair crew: `count` members repair the failed nodes it serves in parallel; the
/// others wait in its queue, and a node's time to repair starts when a member takes it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairCrew {
    /// The crew's name, used in traces (unique among crews).
    pub name: String,
    /// The nodes it repairs (default: all).
    #[serde(default)]
    pub serves: NodeScope,
    /// Members working in parallel (default 1).
    #[serde(default = "one_member")]
    pub count: u32,
    /// The order in which waiting nodes are taken (default fifo).
    #[serde(default)]
    pub policy: QueuePolicy,
    /// Delay between a member taking a node and its repair starting (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<Distribution>,
}

fn one_member() -> u32 {
    1
}

/// A set of nodes named by what they share.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum NodeScope {
    /// Every node.
    #[default]
    All,
    /// The nodes of a region.
    Region(String),
    /// The nodes of a zone.
    Zone(String),
    /// The replicas of a service.
    Service(String),
    /// The listed nodes.
    Nodes(Vec<String>),
}

/// The order in which a crew takes waiting nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueuePolicy {
    /// In the order they failed.
    #[default]
    Fifo,
    /// Highest `repair_priority` first; equal priorities in the order they failed.
    Priority,
}

/// A fault budget (Jepsen's quorum-preserving mode): a failure of `node_failures` that
/// would leave more than `max_dead` nodes of `scope` down at once does not happen; the
/// node draws its next time to failure instead, and the trace says so.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultBudget {
    /// The nodes it protects (a service's replicas, a region, a zone, a list or all).
    pub scope: NodeScope,
    /// The most nodes of the scope that may be down at once.
    pub max_dead: u32,
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
    #[schemars(range(min = 2, max = 3))]
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
    #[schemars(length(min = 2), inner(length(min = 1)))]
    pub groups: Vec<Vec<String>>,
}

/// Parameters of `random_partition`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomPartition {
    /// 2 or 3 groups (default 2).
    #[serde(default = "two")]
    #[schemars(range(min = 2, max = 3))]
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
    #[schemars(range(min = 0, max = 1))]
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
    #[schemars(range(min = 0, max = 1))]
    pub probability: f64,
    /// Delay before the dependent fails (default 0).
    #[serde(default)]
    pub delay: Duration,
}
