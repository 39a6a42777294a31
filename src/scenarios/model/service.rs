//! The file model of a service: its strategy name, replicas, detection, failover,
//! replication and each strategy's own block.

use super::one;
use super::section::{shared_defaults, Section};
use crate::core::duration::Duration;
use crate::scenarios::distribution::Distribution;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

    /// Every name, for messages: `ACTIVE_ACTIVE, ACTIVE_PASSIVE, N_WAY or GEOGRAPHIC`.
    pub fn names() -> String {
        let names: Vec<&str> = StrategyName::ALL.iter().map(|s| s.as_str()).collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// Parses a name as [`parse_loose`](Self::parse_loose) does, or says which names exist.
    pub fn parse_named(text: &str) -> Result<StrategyName, UnknownStrategy> {
        StrategyName::parse_loose(text).ok_or_else(|| UnknownStrategy(text.to_string()))
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

/// A strategy name that is none of [`StrategyName::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown strategy `{0}`: use {names}{hint}",
    hint = crate::core::nearest::did_you_mean(&self.0, StrategyName::ALL.iter().map(|s| s.as_str())),
    names = StrategyName::names()
)]
pub struct UnknownStrategy(pub String);

shared_defaults!(
    Detection,
    Failover,
    Replication,
    ActiveActive,
    ActivePassive,
    NWay,
    Geographic
);

/// A service protected by a strategy.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique service name.
    #[schemars(pattern(r"\S"))]
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
    pub detection: Section<Detection>,
    /// How failover is decided and retried.
    #[serde(default)]
    pub failover: Section<Failover>,
    /// Replication to standbys (data loss).
    #[serde(default)]
    pub replication: Section<Replication>,
    /// ACTIVE_ACTIVE parameters.
    #[serde(default)]
    pub active_active: Section<ActiveActive>,
    /// ACTIVE_PASSIVE parameters.
    #[serde(default)]
    pub active_passive: Section<ActivePassive>,
    /// N_WAY parameters.
    #[serde(default)]
    pub n_way: Section<NWay>,
    /// GEOGRAPHIC parameters.
    #[serde(default)]
    pub geographic: Section<Geographic>,
}

/// Chooses replica nodes by rule.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Number of replicas.
    #[schemars(range(min = 1))]
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
    #[schemars(range(min = 1))]
    pub unhealthy_threshold: u32,
    /// Consecutive successes that declare it up again (default 2).
    #[serde(default = "default_healthy")]
    #[schemars(range(min = 1))]
    pub healthy_threshold: u32,
    /// `lazy` computes detection instants directly; `explicit` simulates every probe (for tests).
    #[serde(default)]
    pub probing: Probing,
    /// Probe phase of every (detector, target) pair: probes are sent at phase + k·interval.
    /// Default: uniform at random in [0, interval) per pair and replication.
    #[serde(default)]
    pub phase: Option<Duration>,
    /// Start-up grace period: probes sent within this long after a target starts
    /// answering again (a repair, a restart) do not count, so it is declared up only
    /// by probes after it (default 0).
    #[serde(default, skip_serializing_if = "Duration::is_zero")]
    pub grace_period: Duration,
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
            grace_period: Duration::default(),
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
    #[schemars(range(min = 0, max = 1))]
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
    /// Lease-based detection of the primary's loss (Patroni/etcd style) instead of the
    /// monitor's probes (default none: probes).
    #[serde(default)]
    pub lease: Option<Lease>,
    /// When the primary and every standby are down and a standby returns first (default
    /// `promote`: a fresh promotion, with its delay and failure draw).
    #[serde(default)]
    pub both_down: BothDown,
}

/// A leader lease in a store (DESIGN §3): the primary renews it every `loop_wait`; it
/// expires `ttl` after the last renewal the store received; a primary that cannot renew
/// demotes itself `retry_timeout` after its first missed renewal.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    /// Lifetime of the lease after the last renewal the store received (default 30s).
    #[serde(default = "default_lease_ttl")]
    pub ttl: Duration,
    /// Time between renewals (default 10s).
    #[serde(default = "default_loop_wait")]
    pub loop_wait: Duration,
    /// How long a renewal is retried before the primary demotes itself (default 10s).
    #[serde(default = "default_retry_timeout")]
    pub retry_timeout: Duration,
    /// Node that holds the store (default: a global store every up node reaches at once).
    #[serde(default)]
    pub store: Option<String>,
    /// Renewals are sent at phase + k·loop_wait (default: uniform at random in
    /// [0, loop_wait) per replication).
    #[serde(default)]
    pub phase: Option<Duration>,
}

fn default_lease_ttl() -> Duration {
    Duration::from_secs(30)
}
fn default_loop_wait() -> Duration {
    Duration::from_secs(10)
}
fn default_retry_timeout() -> Duration {
    Duration::from_secs(10)
}

/// What a standby does when it returns while the primary is still down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BothDown {
    /// The waiting failover goes on: the standby goes through a fresh promotion (its
    /// delay and a new failure draw) and clients are re-routed.
    #[default]
    Promote,
    /// The only replica left becomes active at once: no promotion, no failure draw,
    /// no re-route.
    Activate,
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
            lease: None,
            both_down: BothDown::Promote,
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
