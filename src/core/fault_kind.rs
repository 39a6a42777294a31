//! The fault kinds (classes) failsim knows: the keys of `by_fault_kind` and what the
//! `KIND` of a `SERVICE.KIND.METRIC` check may name.

/// Every fault kind a scenario can produce, in alphabetical order: those of the fault
/// processes (`node_failure`, `zone_outage`, `region_outage`, `random_partition`,
/// `burst`, `cascade`, `latent_fault`, `maintenance`, `pause`), of the scheduled actions (`crash`, `crash_random`, …, `gray`, `pause`), and
/// `overload` (ACTIVE_ACTIVE survivors failing under load).
pub const FAULT_KINDS: &[&str] = &[
    "bridge",
    "burst",
    "byzantine",
    "cascade",
    "crash",
    "crash_random",
    "crash_region",
    "crash_zone",
    "cut_link",
    "degrade_link",
    "gray",
    "isolate",
    "isolate_region",
    "latent_fault",
    "maintenance",
    "majorities_ring",
    "node_failure",
    "one_way",
    "overload",
    "partition",
    "pause",
    "random_partition",
    "region_outage",
    "zone_outage",
];

/// Whether `name` is a fault kind failsim knows.
pub fn is_fault_kind(name: &str) -> bool {
    FAULT_KINDS.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_so_that_lookups_find_every_kind() {
        assert!(FAULT_KINDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(FAULT_KINDS.iter().all(|kind| is_fault_kind(kind)));
        assert!(!is_fault_kind("none"));
        assert!(!is_fault_kind("api"));
    }
}
