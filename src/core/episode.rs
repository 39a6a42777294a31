//! Outage episodes (DESIGN §6): maximal intervals during which a vantage point does not
//! see a service UP, with the fault that started them and what ended them.

use crate::core::record::FaultTag;
use crate::core::time::{Nanos, SimTime};

/// What ended an outage episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EndedBy {
    /// A failover completed successfully during the episode: clients were switched to
    /// other replicas or another region.
    Failover,
    /// What failed came back (repair, heal, resume) and no failover had succeeded.
    Recovery,
    /// The replication ended during the episode.
    Horizon,
}

impl EndedBy {
    /// Every ending, in report order.
    pub const ALL: [EndedBy; 3] = [EndedBy::Failover, EndedBy::Recovery, EndedBy::Horizon];

    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EndedBy::Failover => "failover",
            EndedBy::Recovery => "recovery",
            EndedBy::Horizon => "horizon",
        }
    }
}

/// One outage episode of one service at one vantage point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutageEpisode {
    /// Vantage index within the service.
    pub vantage: u32,
    /// When the vantage stopped seeing the service UP.
    pub start: SimTime,
    /// When it saw it UP again (or the horizon).
    pub end: SimTime,
    /// DOWN time within the episode (the rest of it was DEGRADED).
    pub down: Nanos,
    /// The fault that made the service leave UP.
    pub cause: FaultTag,
    /// What ended the episode.
    pub ended_by: EndedBy,
}

impl OutageEpisode {
    /// The episode's length: time not UP.
    pub fn duration(&self) -> Nanos {
        self.end.since(self.start)
    }
}
