//! The closed set of engine events, dispatched in one `match` in the engine.

use crate::core::ids::NodeId;
use crate::strategies::StrategyTimer;

/// Something that happens at an instant.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A node of a failure process fails.
    NodeFail {
        /// The node.
        node: NodeId,
        /// Index of the process in the fault plan.
        process: u32,
        /// The node's random stream among the engine's node lanes.
        lane: u32,
    },
    /// A node of a failure process is repaired.
    NodeRepair {
        /// The node.
        node: NodeId,
        /// Index of the process in the fault plan.
        process: u32,
        /// The node's random stream among the engine's node lanes.
        lane: u32,
    },
    /// A scheduled fault starts.
    ScheduledStart {
        /// Index in the fault plan.
        fault: u32,
    },
    /// A flapping scheduled fault cuts or heals.
    FlapToggle {
        /// Index in the fault plan.
        fault: u32,
    },
    /// A scheduled fault ends.
    ScheduledEnd {
        /// Index in the fault plan.
        fault: u32,
    },
    /// A zone or region outage starts.
    OutageStart {
        /// Index in the fault plan.
        outage: u32,
    },
    /// A zone or region outage ends.
    OutageEnd {
        /// Index in the fault plan.
        outage: u32,
    },
    /// A random partition starts.
    PartitionStart {
        /// Index in the fault plan.
        process: u32,
    },
    /// A random partition heals.
    PartitionEnd {
        /// Index in the fault plan.
        process: u32,
    },
    /// A burst of node failures.
    Burst {
        /// Index in the fault plan.
        process: u32,
    },
    /// A node that failed in a burst, by cascade or by overload is repaired.
    Restore {
        /// The node.
        node: NodeId,
        /// The fault tag that took it down.
        tag: u32,
    },
    /// A dependency's delay has elapsed: the dependent fails if its parent is still down.
    DependentFail {
        /// Index in the fault plan.
        dependency: u32,
        /// Generation of the parent's failure that triggered it.
        generation: u32,
    },
    /// Free members of a repair crew take waiting nodes: after the events already due
    /// at this instant, so that nodes failing at one instant are taken by priority.
    CrewDispatch {
        /// Index of the crew in the fault plan.
        crew: u32,
    },
    /// A node of a latent fault process fails silently.
    LatentFail {
        /// The node.
        node: NodeId,
        /// Index of the process in the fault plan.
        process: u32,
        /// The node's random stream among the engine's node lanes.
        lane: u32,
    },
    /// A node's latent failure is found (by an inspection's end or a promotion): from
    /// now on it is down and repaired like a crash.
    LatentFound {
        /// The node.
        node: NodeId,
        /// Index of the process in the fault plan.
        process: u32,
        /// The node's random stream among the engine's node lanes.
        lane: u32,
        /// Found by an inspection (else by a promotion).
        inspection: bool,
    },
    /// A latent fault process inspects its nodes.
    Inspect {
        /// Index of the process in the fault plan.
        process: u32,
    },
    /// A crashed node is back after a restart's back-off.
    NodeRestart {
        /// The node.
        node: NodeId,
        /// Index of the process in the fault plan.
        process: u32,
        /// The node's random stream among the engine's node lanes.
        lane: u32,
    },
    /// A round of a rolling maintenance starts.
    MaintenanceRound {
        /// Index in the fault plan.
        maintenance: u32,
    },
    /// The maintenance of one node of a round is over.
    MaintenanceEnd {
        /// Index in the fault plan.
        maintenance: u32,
        /// Position of the node in the maintenance's node list.
        position: u32,
    },
    /// A strategy timer.
    ServiceTimer {
        /// Service index.
        service: u32,
        /// The strategy's timer.
        timer: StrategyTimer,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_fits_in_24_bytes() {
        // The queue's slab holds events by value: a typed timer must not bloat it.
        assert!(
            std::mem::size_of::<Event>() <= 24,
            "{}",
            std::mem::size_of::<Event>()
        );
    }
}
