//! The trace hook: what the engine reports as it runs. With no sink attached the
//! engine only tests an `Option`, so tracing costs nothing when it is off.

use crate::core::episode::OutageEpisode;
use crate::core::ids::NodeId;
use crate::core::time::{Nanos, SimTime};
use crate::strategies::{FailoverRecord, FaultTag, ServiceState};

/// The sides of a partition as it starts.
#[derive(Clone, Copy, Debug)]
pub enum Sides<'a> {
    /// Not a partition.
    None,
    /// A symmetric partition: the group of every node.
    Groups(&'a [u16]),
    /// A directed partition: each node of its scope and its side.
    Members(&'a [(NodeId, u32)]),
}

impl Sides<'_> {
    /// The nodes of each side, side 0 first; empty when not a partition.
    pub fn lists(&self) -> Vec<Vec<NodeId>> {
        let mut lists: Vec<Vec<NodeId>> = Vec::new();
        let mut put = |node: NodeId, side: usize| {
            if lists.len() <= side {
                lists.resize(side + 1, Vec::new());
            }
            lists[side].push(node);
        };
        match *self {
            Sides::None => {}
            Sides::Groups(group_of) => {
                for (node, &group) in group_of.iter().enumerate() {
                    put(NodeId::new(node), usize::from(group));
                }
            }
            Sides::Members(members) => {
                for &(node, side) in members {
                    put(node, side as usize);
                }
            }
        }
        lists
    }

    /// The nodes a partition affects: those off its first side (a symmetric one), every
    /// member (a directed one); none when not a partition.
    pub fn affected(&self) -> usize {
        match *self {
            Sides::None => 0,
            Sides::Groups(group_of) => group_of.iter().filter(|&&group| group != 0).count(),
            Sides::Members(members) => members.len(),
        }
    }
}

/// One traced happening.
#[derive(Clone, Debug)]
pub enum TraceEvent<'a> {
    /// A fault or fault process instance began.
    FaultStart {
        /// Which fault.
        fault: FaultTag,
        /// Who is on which side, for a partition.
        sides: Sides<'a>,
    },
    /// A fault ended (healed, repaired, restored).
    FaultEnd {
        /// Which fault.
        fault: FaultTag,
    },
    /// A node went down.
    NodeDown {
        /// The node.
        node: NodeId,
        /// The fault that took it down.
        fault: FaultTag,
    },
    /// A node came back up.
    NodeUp {
        /// The node.
        node: NodeId,
    },
    /// A failed node joined its repair crew's queue.
    RepairQueued {
        /// The node.
        node: NodeId,
        /// Index of the crew in the fault plan.
        crew: u32,
        /// Nodes waiting in the crew's queue, this one included.
        waiting: usize,
    },
    /// A crew member took a failed node: its dispatch delay, then its repair, start now.
    RepairStarted {
        /// The node.
        node: NodeId,
        /// Index of the crew in the fault plan.
        crew: u32,
        /// When the node joined the queue.
        queued_at: SimTime,
        /// The dispatch delay drawn (ns).
        dispatch: Nanos,
    },
    /// A failure of a node failure process did not happen: it would have left more of a
    /// fault budget's nodes down than the budget allows. The node draws its next time
    /// to failure.
    CrashSkipped {
        /// The node.
        node: NodeId,
        /// The failure process.
        fault: FaultTag,
        /// Index of the budget in the fault plan.
        budget: u32,
    },
    /// A node of a latent fault process failed silently: health checks do not see it.
    LatentFaultStart {
        /// The node.
        node: NodeId,
        /// The latent fault process.
        fault: FaultTag,
    },
    /// A latent failure was found; the node goes down for repair.
    LatentFaultFound {
        /// The node.
        node: NodeId,
        /// The latent fault process.
        fault: FaultTag,
        /// Found by an inspection (else by a promotion to the node).
        inspection: bool,
    },
    /// An inspection missed a node's latent failure.
    InspectionMissed {
        /// The node.
        node: NodeId,
        /// The latent fault process.
        fault: FaultTag,
    },
    /// A crashed node restarts after a back-off instead of being repaired.
    Restart {
        /// The node.
        node: NodeId,
        /// Which restart since the count last started from zero (1 for the first).
        restart: u32,
        /// The back-off delay (ns).
        delay: Nanos,
    },
    /// A node's rolling maintenance was skipped: it would have broken a service.
    MaintenanceSkipped {
        /// The node.
        node: NodeId,
        /// The maintenance.
        fault: FaultTag,
        /// The service it would have broken.
        service: u32,
    },
    /// What a vantage point sees of a service changed.
    ServiceState {
        /// Service index.
        service: u32,
        /// Vantage index within the service.
        vantage: u32,
        /// The new state.
        state: ServiceState,
    },
    /// An outage episode ended (at a return to UP, or at the horizon).
    Outage {
        /// Service index.
        service: u32,
        /// The episode.
        episode: &'a OutageEpisode,
    },
    /// A failover attempt ended.
    Failover {
        /// Service index.
        service: u32,
        /// The record.
        record: &'a FailoverRecord,
    },
}

/// Receives trace events in simulation order.
pub trait TraceSink {
    /// Called once per traced happening.
    fn record(&mut self, at: SimTime, event: &TraceEvent);
}

/// Passes every event to several sinks in turn, so that one run of a replication feeds
/// every view of it (trace, timeline, figure) instead of one run per view.
#[derive(Default)]
pub struct Tee<'a> {
    sinks: Vec<&'a mut dyn TraceSink>,
}

impl<'a> Tee<'a> {
    /// Adds a sink; events reach sinks in the order they were added.
    pub fn push(&mut self, sink: &'a mut dyn TraceSink) {
        self.sinks.push(sink);
    }

    /// Whether no sink was added.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl TraceSink for Tee<'_> {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        for sink in &mut self.sinks {
            sink.record(at, event);
        }
    }
}
