//! GEOGRAPHIC parameters: the regions in priority order, DNS and the traffic manager.

use super::{active_active, Site};
use crate::core::ids::RegionId;
use crate::core::time::Nanos;
use crate::scenarios::check::Checker;
use crate::scenarios::model::Service;
use std::collections::BTreeSet;

/// Largest accepted number of GEOGRAPHIC traffic-manager probers per service.
pub(crate) const MAX_PROBERS: u32 = 1_000;
/// Largest accepted number of simulated DNS clients per GEOGRAPHIC vantage point.
pub(crate) const MAX_DNS_CLIENTS: u32 = 100_000;

/// Regions behind DNS failover, each a pool of active replicas.
#[derive(Clone, Debug)]
pub struct Params {
    /// The load balancers inside each region (the `active_active` block).
    pub pool: active_active::Params,
    /// Regions in priority order (primary first).
    pub regions: Vec<RegionId>,
    /// DNS record time-to-live.
    pub dns_ttl: Nanos,
    /// Probing locations of the global traffic manager.
    pub traffic_manager_probers: u32,
    /// Clients simulated per vantage point.
    pub clients: u32,
}

/// Checks and compiles the service's `geographic` block; its regions' pools use `pool`.
pub(crate) fn compile(
    service: &Service,
    site: &Site,
    pool: active_active::Params,
    check: &mut Checker,
) -> Params {
    let path = site.path;
    let geo = &service.geographic;
    let regions = regions(service, site, check);
    // Probers and simulated clients are held in memory per replication: bound them
    // so a typo (an extra digit or three) is an error, not an out-of-memory kill.
    check.require(
        (1..=MAX_PROBERS).contains(&geo.traffic_manager_probers),
        format!("{path}.geographic.traffic_manager_probers"),
        format!(
            "{} probers is beyond the limit: use between 1 and {MAX_PROBERS}",
            geo.traffic_manager_probers
        ),
    );
    check.require(
        (1..=MAX_DNS_CLIENTS).contains(&geo.clients),
        format!("{path}.geographic.clients"),
        format!(
            "{} clients per vantage point is beyond the limit: use between 1 and \
             {MAX_DNS_CLIENTS}",
            geo.clients
        ),
    );
    Params {
        pool,
        regions,
        dns_ttl: geo.dns_ttl.nanos(),
        traffic_manager_probers: geo.traffic_manager_probers,
        clients: geo.clients,
    }
}

/// The replicas' regions in priority order: `primary_region`, then `backup_regions`, or
/// the replica regions in file order.
fn regions(service: &Service, site: &Site, check: &mut Checker) -> Vec<RegionId> {
    let path = site.path;
    let topology = site.topology;
    let region_of = |name: &str| {
        topology
            .regions
            .iter()
            .position(|r| r == name)
            .map(RegionId::new)
    };
    let replica_regions: Vec<RegionId> = {
        let mut seen = BTreeSet::new();
        site.replicas
            .iter()
            .map(|&r| topology.nodes[r.index()].region)
            .filter(|r| seen.insert(*r))
            .collect()
    };
    let geo = &service.geographic;
    let mut order = Vec::new();
    if let Some(primary) = &geo.primary_region {
        match region_of(primary) {
            Some(r) if replica_regions.contains(&r) => order.push(r),
            Some(_) => check.fail(
                format!("{path}.geographic.primary_region"),
                format!("region `{primary}` holds no replica of this service"),
            ),
            None => check.fail(
                format!("{path}.geographic.primary_region"),
                format!("unknown region `{primary}`"),
            ),
        }
    }
    if geo.primary_region.is_none() && !geo.backup_regions.is_empty() {
        // The documented default primary is the region of the first replica; with backups
        // listed, it is the first replica region that is not one of them.
        let backups: Vec<Option<RegionId>> =
            geo.backup_regions.iter().map(|b| region_of(b)).collect();
        match replica_regions
            .iter()
            .find(|r| !backups.contains(&Some(**r)))
        {
            Some(&r) => order.push(r),
            None => check.fail(
                format!("{path}.geographic.backup_regions"),
                "every region of this service's replicas is listed as a backup: \
                 name the one that serves first in `primary_region`"
                    .to_string(),
            ),
        }
    }
    for (i, backup) in geo.backup_regions.iter().enumerate() {
        match region_of(backup) {
            Some(r) if order.contains(&r) => check.fail(
                format!("{path}.geographic.backup_regions[{i}]"),
                format!("region `{backup}` is listed twice"),
            ),
            Some(r) if replica_regions.contains(&r) => order.push(r),
            Some(_) => check.fail(
                format!("{path}.geographic.backup_regions[{i}]"),
                format!("region `{backup}` holds no replica of this service"),
            ),
            None => check.fail(
                format!("{path}.geographic.backup_regions[{i}]"),
                format!("unknown region `{backup}`"),
            ),
        }
    }
    if geo.backup_regions.is_empty() {
        for r in replica_regions {
            if !order.contains(&r) {
                order.push(r);
            }
        }
    }
    order
}
