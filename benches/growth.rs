//! Growth exponents (issue 19): each path that must cost in proportion to what changes
//! runs one replication at three sizes, and the exponent b of total cost ∝ size^b is
//! fitted over them (least squares on logarithms); none may exceed 1.2. The scenarios
//! are generated here, so the sizes need no files:
//!
//! - `ring`: a ring of N nodes (explicit links), N/2 ACTIVE_PASSIVE pairs of neighbours,
//!   nodes failing about monthly, 30 days;
//! - `clients`: one GEOGRAPHIC service (two regions, one vantage) with C clients;
//! - `vantages`: the same service seen from V client nodes, 16 clients each;
//! - `partitions`: P overlapping random partitions over 10⁵ nodes (regions generator).
//!
//! Each figure is the least wall time of at least three runs and a second of them (the
//! machine is shared), of a fresh
//! replication (set-up in new memory) and of one within a study (`failsim run`'s steady
//! state: the node layout worked out once, the thread's buffers reused). Run with
//! `cargo bench --bench growth`; `FAILSIM_GROWTH=ring,vantages` picks paths.

use failsim::compile::{load_str, CompiledScenario};
use failsim::sim::engine::{run_replication, Layout, Replication, Scratch};
use failsim::sim::faults::FaultRegistry;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;

/// Runs per figure at each size, at least: the least is kept.
const RUNS: usize = 3;

/// Short runs are repeated beyond [`RUNS`] until they have taken this long (s), so that a
/// size of a few milliseconds is judged from as many samples of the machine's noise as
/// one of a second (three runs of 2 ms would let a passing stall set the exponent).
const SAMPLING: f64 = 1.0;

/// A run longer than this (s) is not repeated.
const LONG: f64 = 5.0;

/// Whether to run again, after `runs` runs taking `spent` s in all, the last `last` s.
fn again(runs: usize, spent: f64, last: f64) -> bool {
    last <= LONG && (runs < RUNS || spent < SAMPLING)
}

const DETECTION: &str =
    r#"{"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2}"#;

fn detection() -> Value {
    serde_json::from_str(DETECTION).expect("valid JSON")
}

fn active_passive(name: String, replicas: [String; 2]) -> Value {
    json!({"name": name, "strategy": "ACTIVE_PASSIVE", "replicas": replicas,
           "detection": detection(),
           "active_passive": {"promotion": {"uniform": {"min": "1s", "max": "3s"}},
                              "reroute": {"const": "1s"}}})
}

/// A ring of `n` nodes and n/2 ACTIVE_PASSIVE pairs of neighbours, for 30 days.
fn ring(n: u64) -> Value {
    let services: Vec<Value> = (0..n / 2)
        .map(|i| {
            active_passive(
                format!("s{i}"),
                [format!("n{}", 2 * i + 1), format!("n{}", 2 * i + 2)],
            )
        })
        .collect();
    json!({"name": format!("ring-{n}"), "seed": 1, "replications": 1, "horizon": "30d",
           "topology": {"generators": [{"ring": {"nodes": n}}]},
           "services": services,
           "faults": {"node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"exp": {"mean": "2h"}}}]}})
}

/// The ring's node failures and repairs alone, in a bare `BinaryHeap` (no services, no
/// detection, one random stream): the least any simulator of `n` nodes' faults does per
/// event. Its cost per event grows with `n` too, as its heap and node table outgrow the
/// caches; the bench prints its exponent beside failsim's, so that growth the memory
/// hierarchy puts on every heap-driven simulator is told from growth failsim adds.
/// Returns the least wall time (see [`again`]) and the events.
fn ring_floor(n: u64) -> (f64, u64) {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Exp};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    const DAY_NS: f64 = 86_400e9;
    let horizon = (30.0 * DAY_NS) as u64;
    let (ttf, ttr) = (
        Exp::new(1.0 / (30.0 * DAY_NS)).expect("a positive rate"),
        Exp::new(1.0 / (DAY_NS / 12.0)).expect("a positive rate"),
    );
    let (mut best, mut spent, mut runs) = (f64::INFINITY, 0.0, 0);
    loop {
        let started = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut down_since = vec![None::<u64>; n as usize];
        let mut down_ns: u128 = 0;
        let mut queue = BinaryHeap::with_capacity(n as usize);
        for node in 0..n as u32 {
            queue.push(Reverse((ttf.sample(&mut rng) as u64, node)));
        }
        let mut events = 0u64;
        while let Some(Reverse((now, node))) = queue.pop() {
            if now >= horizon {
                break;
            }
            events += 1;
            let state = &mut down_since[node as usize];
            let next = match state.take() {
                None => {
                    *state = Some(now);
                    ttr.sample(&mut rng)
                }
                Some(since) => {
                    down_ns += u128::from(now - since);
                    ttf.sample(&mut rng)
                }
            };
            queue.push(Reverse((now + next as u64, node)));
        }
        std::hint::black_box(down_ns);
        let seconds = started.elapsed().as_secs_f64();
        best = best.min(seconds);
        (spent, runs) = (spent + seconds, runs + 1);
        if !again(runs, spent, seconds) {
            return (best, events);
        }
    }
}

/// One GEOGRAPHIC service over two regions of three replicas, seen from `vantages`
/// client nodes (none: the global client) with `clients` clients each, for 90 days.
fn geographic(vantages: u64, clients: u64) -> Value {
    let mut nodes: Vec<Value> = ["east", "west"]
        .iter()
        .flat_map(|region| {
            (1..=3).map(move |i| {
                json!({"id": format!("{region}{i}"), "region": region,
                                        "zone": format!("{region}-{i}")})
            })
        })
        .collect();
    let sites: Vec<String> = (1..=vantages).map(|i| format!("c{i}")).collect();
    nodes.extend(
        sites
            .iter()
            .map(|id| json!({"id": id, "region": "clients", "role": "client"})),
    );
    let replicas = ["east1", "east2", "east3", "west1", "west2", "west3"];
    json!({"name": format!("geographic-{vantages}x{clients}"), "seed": 7, "replications": 1,
           "horizon": "90d",
           "topology": {"nodes": nodes},
           "services": [{"name": "api", "strategy": "GEOGRAPHIC", "replicas": replicas,
                         "vantage_points": sites, "demand": 2,
                         "detection": {"interval": "5s", "timeout": "2s", "unhealthy_threshold": 2, "healthy_threshold": 3},
                         "active_active": {"lb_update": {"const": "1s"}},
                         "geographic": {"primary_region": "east", "backup_regions": ["west"],
                                        "dns_ttl": "15s", "traffic_manager_probers": 3,
                                        "clients": clients}}],
           "faults": {"region_outages": [{"targets": ["east", "west"],
                                          "interarrival": {"exp": {"mean": "10d"}},
                                          "duration": {"lognormal": {"median": "40m", "sigma": 1.0}}}],
                      "node_failures": [{"nodes": replicas, "ttf": {"exp": {"mean": "5d"}},
                                         "ttr": {"lognormal": {"median": "3h", "sigma": 1.0}}}]}})
}

/// `count` random partitions in two groups over 10⁵ nodes, started 36 s apart and each
/// lasting a day, so that all of them overlap; ten ACTIVE_PASSIVE pairs; 2 days.
fn partitions(count: u64) -> Value {
    let scheduled: Vec<Value> = (0..count)
        .map(|i| {
            json!({"id": format!("p{i}"), "at": format!("{}s", 36 * i),
                         "duration": {"const": "1d"},
                         "fault": {"random_partition": {"groups": 2}}})
        })
        .collect();
    let services: Vec<Value> = (1..=10)
        .map(|r| {
            active_passive(
                format!("db{r}"),
                [format!("r{r}-z1-n1"), format!("r{r}-z2-n1")],
            )
        })
        .collect();
    json!({"name": format!("partitions-{count}"), "seed": 6, "replications": 1, "horizon": "2d",
           "topology": {"generators": [{"regions": {"regions": 10, "zones": 10, "nodes": 1000}}]},
           "services": services,
           "faults": {"scheduled": scheduled,
                      "node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"exp": {"mean": "1h"}}}]}})
}

/// The least wall time (s) of runs of one replication (see [`again`]), and its events: the replication's set-up and events, not the study's
/// summary, a fixed cost per service (about 10 µs each) that no event changes.
fn measure(scenario: &CompiledScenario) -> (f64, u64) {
    let registry = FaultRegistry::new(&scenario.faults);
    let (mut best, mut spent, mut runs) = (f64::INFINITY, 0.0, 0);
    let mut events;
    loop {
        let started = Instant::now();
        let run = run_replication(scenario, &registry, 0);
        let seconds = started.elapsed().as_secs_f64();
        best = best.min(seconds);
        (spent, runs) = (spent + seconds, runs + 1);
        events = run.events;
        if !again(runs, spent, seconds) {
            return (best, events);
        }
    }
}

/// As [`measure`], but each run is a replication of a study on one thread: the node
/// layout worked out once, and the thread's buffers and the last outcome's room reused,
/// as `failsim run` does from its second replication on (the first run only warms them).
fn measure_in_study(scenario: &CompiledScenario) -> f64 {
    let registry = FaultRegistry::new(&scenario.faults);
    let layout = Layout::new(scenario);
    let mut scratch = Scratch::default();
    let (mut best, mut spent, mut runs) = (f64::INFINITY, 0.0, 0);
    let mut warming = true;
    loop {
        let started = Instant::now();
        let outcome = Replication::reusing(scenario, &registry, &layout, 0, &mut scratch).run();
        let seconds = started.elapsed().as_secs_f64();
        scratch.recycle(outcome);
        if std::mem::take(&mut warming) {
            if seconds > LONG {
                return seconds;
            }
            continue;
        }
        best = best.min(seconds);
        (spent, runs) = (spent + seconds, runs + 1);
        if !again(runs, spent, seconds) {
            return best;
        }
    }
}

/// The least-squares slope of log y against log x.
fn exponent(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = logs.iter().map(|&(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|&(x, _)| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

/// The exponent of `floor`'s total cost over `sizes`, printed as [`path`] prints failsim's.
/// Returns the exponent.
fn floor_path(name: &str, sizes: [u64; 3], floor: impl Fn(u64) -> (f64, u64)) -> f64 {
    let mut costs = Vec::new();
    for size in sizes {
        let (seconds, count) = floor(size);
        println!(
            "{name:>10} {size:>7}: {count:>9} events, {seconds:>8.3} s, {:>7.3} µs/event (bare heap floor)",
            seconds * 1e6 / count as f64
        );
        costs.push((size as f64, seconds));
    }
    let grown = exponent(&costs);
    println!("{name:>10}: the bare heap floor's total cost ∝ size^{grown:.2}");
    grown
}

/// Returns the exponents of a fresh replication's total cost and of one in a study.
fn path(name: &str, sizes: [u64; 3], build: impl Fn(u64) -> Value) -> (f64, f64) {
    let mut costs = Vec::new();
    let mut in_study = Vec::new();
    let mut events = Vec::new();
    for size in sizes {
        let text = build(size).to_string();
        let scenario = load_str(&text, Path::new(&format!("{name}-{size}.json")))
            .unwrap_or_else(|e| panic!("{name} {size}: {e}"));
        let (seconds, count) = measure(&scenario);
        let reused = measure_in_study(&scenario);
        println!(
            "{name:>10} {size:>7}: {count:>9} events, {seconds:>8.3} s, {:>7.2} µs/event; in a study {reused:>8.3} s, {:>7.2} µs/event",
            seconds * 1e6 / count as f64,
            reused * 1e6 / count as f64
        );
        costs.push((size as f64, seconds));
        in_study.push((size as f64, reused));
        events.push((size as f64, count as f64));
    }
    let per_event: Vec<(f64, f64)> = costs
        .iter()
        .zip(&events)
        .map(|(&(x, s), &(_, e))| (x, s / e))
        .collect();
    println!(
        "{name:>10}: total cost ∝ size^{:.2} (events ∝ size^{:.2}, cost per event ∝ size^{:.2})",
        exponent(&costs),
        exponent(&events),
        exponent(&per_event)
    );
    println!(
        "{name:>10}: in a study (a thread's buffers reused), total cost ∝ size^{:.2}",
        exponent(&in_study)
    );
    (exponent(&costs), exponent(&in_study))
}

fn main() {
    let chosen = std::env::var("FAILSIM_GROWTH").unwrap_or_default();
    let wanted = |name: &str| chosen.is_empty() || chosen.split(',').any(|c| c == name);
    if wanted("ring") {
        let (fresh, in_study) = path("ring", [1_000, 10_000, 100_000], ring);
        let floor = floor_path("ring", [1_000, 10_000, 100_000], ring_floor);
        println!(
            "{:>10}: failsim's cost over the floor's ∝ size^{:.2} fresh, size^{:.2} in a study",
            "ring",
            fresh - floor,
            in_study - floor
        );
    }
    if wanted("clients") {
        path("clients", [16, 1_600, 16_000], |c| geographic(0, c));
    }
    if wanted("vantages") {
        path("vantages", [10, 100, 1_000], |v| geographic(v, 16));
    }
    if wanted("partitions") {
        path("partitions", [10, 100, 1_000], partitions);
    }
}
