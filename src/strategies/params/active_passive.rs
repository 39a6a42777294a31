//! ACTIVE_PASSIVE parameters: the monitor, promotion and re-routing, fencing and failback.

use super::Site;
use crate::core::time::Nanos;
use crate::net::topology::NodeId;
use crate::scenarios::check::Checker;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::{BothDown, Failback, Service};
use crate::strategies::lease;

/// How a standby takes over.
#[derive(Clone, Debug)]
pub struct Params {
    /// Node that runs the monitor; None means a global monitor.
    pub monitor: Option<NodeId>,
    /// Time to promote a standby.
    pub promotion: Distribution,
    /// Probability that a promotion fails.
    pub promotion_failure_probability: f64,
    /// Time to move clients to the new primary.
    pub reroute: Distribution,
    /// Stop the old primary when failing over.
    pub fencing: bool,
    /// Return to the original primary once it is healthy again.
    pub automatic_failback: bool,
    /// How long the original primary must stay healthy before an automatic failback.
    pub hold_down: Nanos,
    /// Lease-based detection of the primary's loss; None: the monitor's probes.
    pub lease: Option<lease::Params>,
    /// What a standby does when it returns while the primary is still down.
    pub both_down: BothDown,
}

/// Checks and compiles the service's `active_passive` block.
pub(crate) fn compile(service: &Service, site: &Site, check: &mut Checker) -> Params {
    let path = site.path;
    let block = &service.active_passive;
    check.distribution(
        &block.promotion,
        &format!("{path}.active_passive.promotion"),
    );
    check.distribution(&block.reroute, &format!("{path}.active_passive.reroute"));
    check.probability(
        block.promotion_failure_probability,
        format!("{path}.active_passive.promotion_failure_probability"),
    );
    let monitor = block.monitor.as_ref().and_then(|m| {
        check.node(
            &site.topology.names,
            m,
            format!("{path}.active_passive.monitor"),
        )
    });
    let lease = block
        .lease
        .as_ref()
        .map(|lease| lease::compile(lease, site, &format!("{path}.active_passive.lease"), check));
    Params {
        monitor,
        promotion: block.promotion.clone(),
        promotion_failure_probability: block.promotion_failure_probability,
        reroute: block.reroute.clone(),
        fencing: block.fencing,
        automatic_failback: block.failback == Failback::Automatic,
        hold_down: block.hold_down.nanos(),
        lease,
        both_down: block.both_down,
    }
}
