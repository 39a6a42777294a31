//! Builds a scenario file from fuzzer bytes, so that fuzzing reaches the engine and the
//! strategies: byte-level mutation of JSON almost never yields a scenario that passes
//! validation, while this generator yields one most of the time, with every strategy,
//! parameter and fault kind, and values at the edges (zero, one nanosecond, hours).

use serde_json::{json, Value};

/// Reads the fuzzer's bytes as a stream of choices; once exhausted, every choice is 0.
struct Choices<'a> {
    bytes: &'a [u8],
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((first, rest)) => {
                self.bytes = rest;
                *first
            }
            None => 0,
        }
    }

    /// A number in `0..=max`, from as few bytes as `max` needs, so that short inputs
    /// already describe rich scenarios.
    fn upto(&mut self, max: u64) -> u64 {
        let bytes = (u64::BITS - max.leading_zeros()).div_ceil(8);
        let raw = (0..bytes).fold(0u64, |raw, _| raw << 8 | u64::from(self.byte()));
        if max == u64::MAX {
            raw
        } else {
            raw % (max + 1)
        }
    }

    fn coin(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.upto(items.len() as u64 - 1) as usize]
    }

    /// A probability, sometimes exactly 0 or 1.
    fn probability(&mut self) -> f64 {
        match self.byte() % 4 {
            0 => 0.0,
            1 => 1.0,
            _ => self.upto(1000) as f64 / 1000.0,
        }
    }

    /// A span in nanoseconds, at least `min_ns`, on a log scale up to about `max_s`
    /// seconds, so that nanoseconds and hours are both common.
    fn nanos(&mut self, max_s: u64, min_ns: u64) -> u64 {
        let max = max_s.saturating_mul(1_000_000_000);
        let nanos = match self.byte() % 8 {
            0 => 0,
            1 => 1,
            2 => max,
            _ => {
                let digits = self.upto(u64::from(max.max(1).ilog10()));
                self.upto(10u64.pow(digits as u32)).min(max)
            }
        };
        nanos.max(min_ns)
    }

    fn duration(&mut self, max_s: u64, min_ns: u64) -> Value {
        json!(format!("{}ns", self.nanos(max_s, min_ns)))
    }

    /// Any distribution; with `min_ns` ≥ 1 its mean is above zero, as fault timing needs.
    fn distribution(&mut self, max_s: u64, min_ns: u64) -> Value {
        match self.byte() % 6 {
            0 => json!({"const": self.duration(max_s, min_ns)}),
            1 => json!({"exp": {"mean": self.duration(max_s, min_ns.max(1))}}),
            2 => json!({"weibull": {"shape": 0.2 + self.upto(50) as f64 / 10.0,
                                    "scale": self.duration(max_s, min_ns.max(1))}}),
            3 => json!({"lognormal": {"median": self.duration(max_s, min_ns.max(1)),
                                      "sigma": self.upto(30) as f64 / 10.0}}),
            4 => {
                let (a, b) = (self.nanos(max_s, 0), self.nanos(max_s, min_ns));
                json!({"uniform": {"min": format!("{}ns", a.min(b)),
                                   "max": format!("{}ns", a.max(b))}})
            }
            _ => {
                let values: Vec<Value> = (0..=self.upto(3))
                    .map(|_| self.duration(max_s, min_ns))
                    .collect();
                json!({"empirical": values})
            }
        }
    }
}

/// Shortest time between faults of a process: shorter ones make runs that validation
/// refuses as absurd work or the harness skips, which teaches the fuzzer nothing.
const GAP_NS: u64 = 10_000_000_000;

/// Node ids `n1..nN`.
fn id(index: u64) -> String {
    format!("n{}", index + 1)
}

/// What faults may name: node count, servers, zones and regions that exist.
struct Shape {
    nodes: u64,
    servers: u64,
    zones: Vec<String>,
    regions: Vec<String>,
}

impl Shape {
    /// A non-empty selection of the nodes, in a fuzzer-chosen order.
    fn some_nodes(&self, c: &mut Choices) -> Vec<String> {
        let mut chosen: Vec<u64> = Vec::new();
        for _ in 0..=c.upto(self.nodes - 1) {
            let node = c.upto(self.nodes - 1);
            if !chosen.contains(&node) {
                chosen.push(node);
            }
        }
        chosen.into_iter().map(id).collect()
    }

    /// Two different nodes (needs at least two).
    fn pair(&self, c: &mut Choices) -> (String, String) {
        let a = c.upto(self.nodes - 1);
        let b = (a + 1 + c.upto(self.nodes - 2)) % self.nodes;
        (id(a), id(b))
    }
}

/// The scenario text that `data` describes.
pub fn scenario_from_bytes(data: &[u8]) -> String {
    let c = &mut Choices { bytes: data };
    let n = 1 + c.upto(7);
    // Up to six hours: long enough for every mechanism, short enough to fuzz quickly.
    let horizon_s = 1 + c.upto(6 * 3_600);
    let mut shape = Shape {
        nodes: n,
        servers: 0,
        zones: Vec::new(),
        regions: Vec::new(),
    };
    let node_specs: Vec<Value> = (0..n)
        .map(|i| {
            let region = *c.pick(&["east", "west", "north"]);
            let zone = format!("{region}-{}", c.upto(2));
            // The first node serves, so that placements and bursts have a server.
            let role = if i == 0 {
                "server"
            } else {
                *c.pick(&["server", "server", "server", "client", "monitor", "router"])
            };
            shape.servers += u64::from(role == "server");
            for (known, name) in [
                (&mut shape.zones, &zone),
                (&mut shape.regions, &region.to_string()),
            ] {
                if !known.contains(name) {
                    known.push(name.clone());
                }
            }
            json!({"id": id(i), "region": region, "zone": zone, "role": role,
                   "capacity": c.upto(30) as f64 / 10.0})
        })
        .collect();
    let services: Vec<Value> = (0..=c.upto(2)).map(|s| service(c, s, &shape)).collect();
    let mut scheduled = Vec::new();
    for _ in 0..c.upto(4) {
        let mut fault = json!({"at": format!("{}ns", c.upto(horizon_s * 1_000_000_000 - 1)),
                               "fault": action(c, &shape)});
        if c.coin() {
            fault["duration"] = c.distribution(3_600, 1);
        }
        scheduled.push(fault);
    }
    let mut faults = json!({"scheduled": scheduled});
    if c.coin() {
        faults["node_failures"] = json!([{"ttf": c.distribution(86_400, GAP_NS),
                                          "ttr": c.distribution(7_200, 1)}]);
    }
    if c.coin() {
        let field = *c.pick(&["zone_outages", "region_outages"]);
        faults[field] = json!([{"interarrival": c.distribution(86_400, GAP_NS),
                                "duration": c.distribution(3_600, 1)}]);
    }
    if c.coin() {
        faults["random_partitions"] = json!([{"interarrival": c.distribution(86_400, GAP_NS),
                                              "duration": c.distribution(3_600, 1),
                                              "groups": 2 + c.upto(1)}]);
    }
    if c.coin() {
        faults["bursts"] = json!([{"interarrival": c.distribution(86_400, GAP_NS),
                                   "size": 1 + c.upto(shape.servers - 1),
                                   "ttr": c.distribution(3_600, 1)}]);
    }
    if c.coin() && n >= 2 {
        let (node, depends_on) = shape.pair(c);
        faults["dependencies"] = json!([{"node": node, "depends_on": depends_on,
                                         "probability": c.probability(),
                                         "delay": c.duration(60, 0)}]);
    }
    json!({
        "seed": c.upto(u64::MAX),
        "replications": 1,
        "horizon": format!("{horizon_s}s"),
        "topology": {"nodes": node_specs},
        "services": services,
        "faults": faults
    })
    .to_string()
}

fn service(c: &mut Choices, index: u64, shape: &Shape) -> Value {
    let strategy = *c.pick(&["ACTIVE_ACTIVE", "ACTIVE_PASSIVE", "N_WAY", "GEOGRAPHIC"]);
    let replicas = shape.some_nodes(c);
    let count = replicas.len() as u64;
    let mode = *c.pick(&["AUTOMATIC", "SEMI_AUTOMATIC", "MANUAL"]);
    // Explicit probing costs one event per probe: keep it rare and its interval long
    // enough that the run stays within the harness's bounds.
    let explicit = c.byte().is_multiple_of(8);
    let interval = if explicit {
        c.nanos(60, 1_000_000_000)
    } else {
        c.nanos(60, 1)
    };
    let mut service = json!({
        "name": format!("s{index}"),
        "strategy": strategy,
        "replicas": replicas,
        "demand": (1 + c.upto(30)) as f64 / 10.0,
        "detection": {
            "interval": format!("{interval}ns"),
            "timeout": c.duration(10, 0),
            "unhealthy_threshold": 1 + c.upto(4),
            "healthy_threshold": 1 + c.upto(4),
            "probing": if explicit { "explicit" } else { "lazy" }
        },
        "failover": {
            "mode": mode,
            "confirmation": c.distribution(600, 0),
            "decline_probability": c.probability(),
            "operator": c.distribution(3_600, 0),
            "timeout": c.duration(600, 1),
            "retries": c.upto(4),
            "backoff": c.duration(60, 0)
        },
        "replication": {"mode": *c.pick(&["sync", "async"]), "lag": c.distribution(10, 0)},
        "active_active": {"lb_update": c.distribution(10, 0)},
        "active_passive": {
            "promotion": c.distribution(30, 0),
            "promotion_failure_probability": c.probability(),
            "reroute": c.distribution(30, 0),
            "fencing": c.coin(),
            "failback": *c.pick(&["none", "automatic"]),
            "hold_down": c.duration(3_600, 0)
        },
        "geographic": {"dns_ttl": c.duration(300, 0),
                       "traffic_manager_probers": 1 + c.upto(4),
                       "clients": 1 + c.upto(16)}
    });
    if c.coin() {
        service["detection"]["phase"] = c.duration(60, 0);
    }
    if c.coin() {
        service["vantage_points"] = json!(shape.some_nodes(c));
    }
    if c.coin() {
        service["active_active"]["overload_cascade"] = json!({"mean_time_to_fail": c.duration(3_600, GAP_NS),
                   "repair": c.distribution(3_600, 1)});
    }
    if c.coin() {
        service["active_passive"]["monitor"] = json!(id(c.upto(shape.nodes - 1)));
    }
    // Elections need timeouts above the round trip between replicas (80 ms between
    // regions by default), or validation refuses the scenario.
    let heartbeat = c.nanos(1, 1);
    let election_min = c.nanos(2, (heartbeat + 1).max(80_000_001));
    service["n_way"] = json!({
        "quorum": count / 2 + 1 + c.upto(count - count / 2 - 1),
        "heartbeat": format!("{heartbeat}ns"),
        "election_timeout_min": format!("{election_min}ns"),
        "election_timeout_max": format!("{}ns", election_min + c.nanos(2, 0)),
        "bft": count >= 4 && c.coin()
    });
    service
}

fn action(c: &mut Choices, shape: &Shape) -> Value {
    let n = shape.nodes;
    match c.byte() % 12 {
        1 => json!({"crash_random": {"count": 1 + c.upto(shape.servers - 1)}}),
        2 => json!({"crash_zone": c.pick(&shape.zones)}),
        3 => json!({"crash_region": c.pick(&shape.regions)}),
        4 if n >= 2 => {
            let mut side = shape.some_nodes(c);
            side.truncate(n as usize - 1);
            let other: Vec<String> = (0..n).map(id).filter(|i| !side.contains(i)).collect();
            json!({"partition": {"groups": [side, other]}})
        }
        5 => json!({"random_partition": {"groups": 2 + c.upto(1)}}),
        6 => json!({"isolate": {"nodes": shape.some_nodes(c)}}),
        7 => json!({"isolate_region": c.pick(&shape.regions)}),
        8 if n >= 2 => {
            let (from, to) = shape.pair(c);
            json!({"cut_link": {"from": from, "to": to}})
        }
        9 if n >= 2 => {
            let (from, to) = shape.pair(c);
            json!({"degrade_link": {"from": from, "to": to,
                                    "added_latency": c.duration(1, 0), "loss": c.probability()}})
        }
        10 => json!({"byzantine": {"nodes": shape.some_nodes(c)}}),
        11 => json!({"gray": {"nodes": shape.some_nodes(c)}}),
        _ => json!({"crash": {"nodes": shape.some_nodes(c)}}),
    }
}
