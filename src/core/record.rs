//! Failover records: one per attempt, with every field of DESIGN §6.

use crate::core::ids::NodeId;
use crate::core::time::{Nanos, SimTime};
use serde::{Deserialize, Serialize};

/// Which fault caused something: indexes into the replication's fault registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FaultTag(pub u32);

/// How an attempt ended.
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
    /// The survivors cannot carry the demand.
    CapacityExceeded,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 8] = [
        Outcome::Success,
        Outcome::NoHealthyTarget,
        Outcome::NoQuorum,
        Outcome::TargetUnreachable,
        Outcome::TimedOut,
        Outcome::PromotionFailed,
        Outcome::Declined,
        Outcome::CapacityExceeded,
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
        }
    }
}

/// One failover attempt. Node and fault references are indices; the engine adds names.
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
