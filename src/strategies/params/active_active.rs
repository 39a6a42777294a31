//! ACTIVE_ACTIVE parameters: the load balancer in front of a replica pool, which
//! GEOGRAPHIC's regions use too.

use super::Site;
use crate::core::time::Nanos;
use crate::scenarios::check::Checker;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::Service;

/// How a pool's load balancers eject replicas, and how overload fails them.
#[derive(Clone, Debug)]
pub struct Params {
    /// Delay from detection to the load balancer's ejection of a replica.
    pub lb_update: Distribution,
    /// Overloaded survivors fail at a rate that grows with the overload.
    pub overload_cascade: Option<OverloadCascade>,
}

/// With load/capacity = x > 1, each overloaded replica fails after an exponential time
/// with mean `mean_time_to_fail / (x − 1)`, and is repaired after `repair`.
#[derive(Clone, Debug)]
pub struct OverloadCascade {
    /// Mean time to fail at 100% overload (x = 2), above zero.
    pub mean_time_to_fail: Nanos,
    /// Repair time of a replica that failed from overload.
    pub repair: Distribution,
}

/// Checks and compiles the service's `active_active` block.
pub(crate) fn compile(service: &Service, site: &Site, check: &mut Checker) -> Params {
    let path = site.path;
    let block = &service.active_active;
    check.distribution(&block.lb_update, &format!("{path}.active_active.lb_update"));
    if let Some(cascade) = &block.overload_cascade {
        check.require(
            cascade.mean_time_to_fail.nanos() > 0,
            format!("{path}.active_active.overload_cascade.mean_time_to_fail"),
            "must be longer than zero",
        );
        check.positive_distribution(
            &cascade.repair,
            &format!("{path}.active_active.overload_cascade.repair"),
            "at zero, a replica is back the instant it fails, overloaded again, without end",
        );
    }
    Params {
        lb_update: block.lb_update.clone(),
        overload_cascade: block
            .overload_cascade
            .as_ref()
            .map(|cascade| OverloadCascade {
                mean_time_to_fail: cascade.mean_time_to_fail.nanos(),
                repair: cascade.repair.clone(),
            }),
    }
}
