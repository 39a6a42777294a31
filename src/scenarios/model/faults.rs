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
    /// Per-node failures that health checks do not see (a broken standby, a stale
    /// backup), found by inspections or by a promotion to the node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latent_faults: Vec<LatentFaultProcess>,
    /// Planned rolling maintenance: one node of a scope down at a time, every period.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance: Vec<Maintenance>,
    /// Per-node pauses arriving over time (a stop-the-world GC, a VM migration, a
    /// `SIGSTOP`): the node freezes, then resumes believing what it believed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<PauseProcess>,
}

impl Faults {
    /// The names of the lists that hold something, in the format's order: what a
    /// compiled scenario keeps of them (exact mode refuses some by name).
    pub fn filled(&self) -> Vec<&'static str> {
        [
            ("node_failures", self.node_failures.is_empty()),
            ("zone_outages", self.zone_outages.is_empty()),
            ("region_outages", self.region_outages.is_empty()),
            ("random_partitions", self.random_partitions.is_empty()),
            ("bursts", self.bursts.is_empty()),
            ("scheduled", self.scheduled.is_empty()),
            ("dependencies", self.dependencies.is_empty()),
            ("repair_crews", self.repair_crews.is_empty()),
            ("fault_budgets", self.fault_budgets.is_empty()),
            ("latent_faults", self.latent_faults.is_empty()),
            ("maintenance", self.maintenance.is_empty()),
            ("pauses", self.pauses.is_empty()),
        ]
        .into_iter()
        .filter(|&(_, empty)| !empty)
        .map(|(name, _)| name)
        .collect()
    }
}

/// Each listed node is paused now and then: up for an `interarrival` draw, frozen for a
/// `duration` draw, and so on. A paused node sends and answers nothing but keeps its
/// role and beliefs; it is not crashed and not repaired.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseProcess {
    /// Stable identity of this pause process (optional): it names the process in traces
    /// and records and keys its random streams (one per node, keyed by the id and the
    /// node), so that its draws stay the same whatever else the file holds or changes
    /// in it (see the README, "Random streams"). Default: derived from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Nodes it applies to (default: every server node); each has its own process.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Time between the end of one pause and the start of the next (also to the first).
    pub interarrival: Distribution,
    /// How long a pause lasts.
    pub duration: Distribution,
}

/// A latent failure process: each listed node fails silently after its time to failure;
/// the failure is found by the next inspection that does not miss it, or by a promotion
/// to the node (which then fails as `PromotionFailed`), and is repaired like a crash
/// from then on (its time to repair, through the node's crew if one serves it).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatentFaultProcess {
    /// Stable identity of this process (optional): it names the process in traces and
    /// keys its random streams (one per node), like a `node_failures` id. Default:
    /// derived from its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Nodes it applies to (default: every server node).
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Time to a latent failure (from the start, and from each repair).
    pub ttf: Distribution,
    /// Time to repair once found.
    pub ttr: Distribution,
    /// The periodic inspection that finds latent failures.
    pub inspection: Inspection,
    /// Repairs start only within these working hours (default: at any time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WorkingHours>,
}

/// Periodic inspections of every node of a latent fault process.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    /// Time between the starts of two inspections (more than zero).
    pub interval: Duration,
    /// How long an inspection takes: a failure present at its start is found at its
    /// end (default 0). The node keeps serving meanwhile.
    #[serde(default)]
    pub duration: Duration,
    /// Probability that an inspection misses a latent failure (default 0).
    #[serde(default)]
    pub miss_probability: f64,
    /// Start of the first inspection (default: one interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Duration>,
}

/// Rolling maintenance: every `period` from `phase`, the nodes of `scope` go down one
/// at a time, in the scope's order, each for `duration`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    /// Stable identity (optional): names the maintenance in traces. Default
    /// `maintenance[<index>]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The nodes maintained (a service's replicas, a region, a zone, a list or all).
    pub scope: NodeScope,
    /// Time between the starts of two rounds (more than zero).
    pub period: Duration,
    /// How long each node is down (more than zero).
    pub duration: Duration,
    /// Start of the first round (default 0).
    #[serde(default)]
    pub phase: Duration,
    /// Skip a node whose maintenance would break a service it serves (default: never
    /// skip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_if_breaks: Option<Breaks>,
}

/// What maintenance must not break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Breaks {
    /// An N_WAY group's quorum (other strategies: at least one replica left up).
    Quorum,
    /// A service's demand: the replicas left up must still carry it.
    Capacity,
}

/// Restarts before repairs (PM2, systemd): a crash is first handled by a restart after
/// a back-off delay; the crash after `max_restarts` restarts needs the full repair.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartPolicy {
    /// Delay before the 1st, 2nd, … restart; after the list, the last delay repeats,
    /// multiplied by `factor` each time when one is given (`["1s"]` with factor 2:
    /// 1 s, 2 s, 4 s, …).
    pub backoff: Vec<Duration>,
    /// Growth of the delay past the listed ones (default 1: the last delay repeats).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub factor: f64,
    /// Restarts before a crash needs the full repair.
    pub max_restarts: u32,
    /// Time up without a crash after which the restart count starts again from zero
    /// (default: it never does, but for a full repair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_after: Option<Duration>,
}

/// A weekly calendar of working hours: repairs start only within it. Time zero of a
/// replication is 00:00 of `start_day`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// Working days (default Monday to Friday).
    #[serde(default = "weekdays")]
    pub days: Vec<Weekday>,
    /// Start of the working day, from midnight (e.g. "9h").
    pub from: Duration,
    /// End of the working day, from midnight (e.g. "17h"; later than `from`, at most 24h).
    pub to: Duration,
    /// The day of the week at time zero (default Monday).
    #[serde(default)]
    pub start_day: Weekday,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Weekday {
    #[default]
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

fn weekdays() -> Vec<Weekday> {
    use Weekday::*;
    vec![Mon, Tue, Wed, Thu, Fri]
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
    /// Restart after a back-off instead of repairing, up to a maximum of restarts
    /// (default: every failure is repaired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartPolicy>,
    /// Repairs start only within these working hours (default: at any time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WorkingHours>,
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
    /// Number of groups, 2 or 3 (default 2): one majority and minorities. With a
    /// `shape`, its groups are the shape's.
    #[serde(default = "two")]
    #[schemars(range(min = 2, max = 3))]
    pub groups: u32,
    /// How each partition splits its scope (default: `majority_minority` with `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<RandomShape>,
    /// The nodes split (default: every node, groups splitting paths as `partition`
    /// does); with a scope, nodes outside it talk to every side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<NodeScope>,
    /// Flapping's dampening: the shortest a partition or a heal between two lasts (a
    /// route's hold-down); a shorter `duration` or `interarrival` draw is raised to it.
    /// The draws themselves are unchanged, so adding it keeps the process's stream.
    /// Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_stable: Option<Duration>,
}

fn two() -> u32 {
    2
}

/// How a random partition splits the nodes of its scope (DESIGN §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RandomShape {
    /// One strict majority and minorities (2 or 3 groups).
    MajorityMinority(ShapeGroups),
    /// Each node in a uniformly random group, no group empty: a majority may not exist
    /// (2 to 8 groups, at most the scope's size).
    AnySplit(ShapeGroups),
    /// One random node cut off from the rest.
    IsolateOne,
    /// ⌊(n − 1)/3⌋ random nodes (at least one) cut off from the rest.
    MinorityThird,
    /// A majorities ring in a random order (3 nodes or more).
    MajoritiesRing,
    /// A bridge in a random order (3 nodes or more).
    Bridge,
}

/// The number of groups of a random shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapeGroups {
    /// How many groups (default 2).
    #[serde(default = "two")]
    #[schemars(range(min = 2, max = 8))]
    pub groups: u32,
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
    /// Id used in traces and failover records (default `f<index>`).
    #[serde(default)]
    pub id: Option<String>,
    /// When it starts.
    pub at: Duration,
    /// How long it lasts (default: until the end of the replication).
    #[serde(default)]
    pub duration: Option<Distribution>,
    /// What happens.
    pub fault: FaultAction,
    /// Flapping (partitions and cut links): within the fault's window the cut holds for
    /// a `cut` draw, heals for a `healed` draw, cuts again, and so on (default: cut
    /// throughout the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flap: Option<Flap>,
}

/// How a scheduled partition or link cut flaps. Constant lengths give a fixed rhythm;
/// any other distribution a stochastic one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flap {
    /// How long each cut lasts.
    pub cut: Distribution,
    /// How long each heal between two cuts lasts.
    pub healed: Distribution,
    /// The shortest a cut or a heal lasts (a route's hold-down, a link's dampening): a
    /// shorter draw is raised to it. Longer than zero.
    pub min_stable: Duration,
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
    /// Drop every message from the `from` nodes to the `to` nodes, deliver the reverse
    /// (an asymmetric cut; other pairs untouched).
    OneWay(OneWayCut),
    /// Jepsen's majorities-ring over a scope (in its order): each node hears a majority
    /// of consecutive nodes around it, no two the same majority (3 nodes or more).
    MajoritiesRing(ShapeScope),
    /// Jepsen's bridge over a scope (in its order): the first half and the second half
    /// cut apart, but for the node starting the second half, which talks to both (3 nodes
    /// or more).
    Bridge(ShapeScope),
    /// Cut one link, both ways (default) or one way.
    CutLink(LinkCut),
    /// Add latency and loss to one link (probes and messages crossing it).
    DegradeLink(LinkDegradation),
    /// The listed nodes behave arbitrarily (matters to BFT N_WAY).
    Byzantine(NodeList),
    /// The node passes health checks but fails requests.
    Gray(NodeList),
    /// Freeze the listed nodes for the fault's `duration` (required): they send and
    /// answer nothing, then resume with the role and beliefs they had (a paused primary
    /// or leader resumes as a stale one). Not a crash: nothing is repaired.
    Pause(NodeList),
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
    /// Where the unlisted nodes are (default `first_group`).
    #[serde(default, skip_serializing_if = "Others::is_first_group")]
    pub others: Others,
}

/// Where a partition puts the nodes its groups do not list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Others {
    /// In the first group; groups split paths (a route through another group is cut).
    #[default]
    FirstGroup,
    /// Outside the partition, talking to every group; messages between two groups are
    /// dropped end to end (the listed nodes are a service's replicas, the others its
    /// clients).
    Untouched,
}

impl Others {
    fn is_first_group(&self) -> bool {
        *self == Others::FirstGroup
    }
}

/// Parameters of `random_partition`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomPartition {
    /// 2 or 3 groups (default 2). With a `shape`, its groups are the shape's.
    #[serde(default = "two")]
    #[schemars(range(min = 2, max = 3))]
    pub groups: u32,
    /// How it splits its scope (default: `majority_minority` with `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<RandomShape>,
    /// The nodes split (default: every node, groups splitting paths as `partition`
    /// does); with a scope, nodes outside it talk to every side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<NodeScope>,
}

/// Parameters of `one_way`: messages from `from` to `to` are dropped.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OneWayCut {
    /// Senders whose messages to `to` are dropped.
    #[schemars(length(min = 1))]
    pub from: Vec<String>,
    /// Receivers that no longer hear `from` (they still reach it).
    #[schemars(length(min = 1))]
    pub to: Vec<String>,
}

/// The nodes a partition shape applies to; nodes outside it are untouched.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapeScope {
    /// The nodes, in order: a list in its order, else by node id (a service's replicas,
    /// a region, a zone or all; default all).
    #[serde(default)]
    pub scope: NodeScope,
}

/// The link a `cut_link` cuts, by its ends, and which way.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCut {
    /// One end.
    pub from: String,
    /// The other end.
    pub to: String,
    /// Which messages over the link are dropped: `both` (default), `from_to` (those
    /// from `from` to `to`; the reverse still crosses) or `to_from`. Paths over the link
    /// are cut in that direction only.
    #[serde(default, skip_serializing_if = "LinkDirection::is_both")]
    pub direction: LinkDirection,
}

/// Which way a `cut_link` drops messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkDirection {
    /// Both ways.
    #[default]
    Both,
    /// From `from` to `to` only.
    FromTo,
    /// From `to` to `from` only.
    ToFrom,
}

impl LinkDirection {
    fn is_both(&self) -> bool {
        *self == LinkDirection::Both
    }
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
