//! Failover records: one per attempt, with every field of DESIGN §6; the attempt that
//! resolves a failover carries the failover's outcome.

use crate::core::ids::NodeId;
use crate::core::time::{Nanos, SimTime};
use serde::{Deserialize, Serialize};

/// Which fault caused something: indexes into the replication's fault registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FaultTag(pub u32);

/// How an attempt, or a whole failover, ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Outcome {
    /// Clients are served again.
    Success,
    /// No standby was up and reachable.
    NoHealthyTarget,
    /// No side of the cluster could gather a quorum.
    NoQuorum,
    /// The chosen target could not be reached when acting.
    TargetUnreachable,
    /// The attempt did not complete within the failover timeout.
    TimedOut,
    /// The promotion itself failed.
    PromotionFailed,
    /// A human declined the failover (SEMI_AUTOMATIC).
    Declined,
    /// The survivors cannot carry the demand. The shipped strategies do not end a
    /// failover so: a switch to a target short of capacity succeeds, and the shortfall
    /// shows in the served fraction (DESIGN §3). It stays one of DESIGN §6's reasons.
    CapacityExceeded,
    /// What failed came back before the failover succeeded (repair, heal, resume): the
    /// failover was overtaken, and is neither a success nor a failure.
    Superseded,
    /// Still in progress at the horizon, with no failed attempt so far.
    Unfinished,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 10] = [
        Outcome::Success,
        Outcome::NoHealthyTarget,
        Outcome::NoQuorum,
        Outcome::TargetUnreachable,
        Outcome::TimedOut,
        Outcome::PromotionFailed,
        Outcome::Declined,
        Outcome::CapacityExceeded,
        Outcome::Superseded,
        Outcome::Unfinished,
    ];

    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "Success",
            Outcome::NoHealthyTarget => "NoHealthyTarget",
            Outcome::NoQuorum => "NoQuorum",
            Outcome::TargetUnreachable => "TargetUnreachable",
            Outcome::TimedOut => "TimedOut",
            Outcome::PromotionFailed => "PromotionFailed",
            Outcome::Declined => "Declined",
            Outcome::CapacityExceeded => "CapacityExceeded",
            Outcome::Superseded => "Superseded",
            Outcome::Unfinished => "Unfinished",
        }
    }

    /// Whether a failover that ends so has failed: every outcome but `Success`,
    /// `Superseded` and `Unfinished` (DESIGN §6: success rate = Success / (Success +
    /// failed)).
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            Outcome::Success | Outcome::Superseded | Outcome::Unfinished
        )
    }
}

/// One failover attempt. Node and fault references are indices; the engine adds names.
///
/// A failover (DESIGN §6) is the switch that one fault triggers; it may take several
/// attempts, each with its record. Exactly one record per failover has `ends_failover`
/// set: the one whose attempt resolved it, and its `outcome` is the failover's.
#[derive(Clone, Debug, PartialEq)]
pub struct FailoverRecord {
    /// The fault that made the failover necessary.
    pub fault: FaultTag,
    /// When the fault happened.
    pub fault_at: SimTime,
    /// When it was detected.
    pub detected_at: SimTime,
    /// When the failover was decided (after the mode's delay).
    pub decided_at: SimTime,
    /// When clients were served again, or the attempt gave up.
    pub completed_at: SimTime,
    /// How it ended.
    pub outcome: Outcome,
    /// Writes lost, as a span of time (replication lag at the fault).
    pub data_loss: Nanos,
    /// The replica that failed (node id), if one.
    pub from: Option<NodeId>,
    /// The replica that took over (node id), if one.
    pub to: Option<NodeId>,
    /// 0 for the first attempt after a fault, then 1, 2, ... for retries.
    pub attempt: u32,
    /// This attempt resolved the failover: `outcome` is the failover's outcome.
    pub ends_failover: bool,
}

impl FailoverRecord {
    /// Failover time: what a client lives through.
    pub fn failover_time(&self) -> Nanos {
        self.completed_at.since(self.fault_at)
    }

    /// Detection time.
    pub fn detection_time(&self) -> Nanos {
        self.detected_at.since(self.fault_at)
    }
}
