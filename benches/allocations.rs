//! Allocations per event and per replication (issue 19: "no allocation per event",
//! "fixed costs out of the hot path"): a counting allocator wraps the system's, and each
//! shipped scenario runs one replication over its horizon and over twice that. Set-up
//! allocates in proportion to the scenario; what the second horizon adds is what events
//! allocate, so the figure printed is the marginal allocations per event,
//! (A(2H) − A(H)) / (E(2H) − E(H)), beside the set-up's A(H). A second table runs whole
//! studies on one thread of R and 2R replications: what the second R adds over R is
//! what a replication allocates once the thread's buffers are grown. Allocations are
//! counted, not timed: the figures are exact and the same on any machine. Run with
//! `cargo bench --bench allocations`.

use failsim::compile::load_str;
use failsim::run::{run_study, RunOptions};
use failsim::sim::engine::run_replication;
use failsim::sim::faults::FaultRegistry;
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting allocations and reallocations (a growth is one).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract; passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above, for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above, for `alloc_zeroed`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above, for `realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Shipped scenarios of every strategy and most fault kinds.
const SCENARIOS: &[&str] = &[
    "scenarios/quickstart.json",
    "scenarios/peer-baseline.json",
    "scenarios/bench-1k-nodes-year.json",
    "scenarios/bench-nway-elections.json",
    "scenarios/geographic.json",
    "scenarios/partition-shapes.json",
    "scenarios/pause.json",
];

/// Allocations and events of replication 0 of `file` (parsed as `model`) with its
/// horizon set to `horizon` nanoseconds.
fn measure(file: &str, model: &Value, horizon: u64) -> (u64, u64) {
    let mut model = model.clone();
    model["horizon"] = Value::String(format!("{horizon}ns"));
    let scenario = load_str(&model.to_string(), Path::new(file)).expect("it still compiles");
    let registry = FaultRegistry::new(&scenario.faults);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let outcome = run_replication(&scenario, &registry, 0);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    (after - before, outcome.events)
}

/// Allocations of a whole study of `file` with `replications` replications, on one thread.
fn measure_study(file: &str, replications: u64) -> u64 {
    let text = std::fs::read_to_string(file).expect("a shipped scenario");
    let mut scenario = load_str(&text, Path::new(file)).expect("a shipped scenario compiles");
    scenario.replications = replications;
    let options = RunOptions {
        threads: Some(1),
        ..RunOptions::default()
    };
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let run = run_study(&scenario, &options, |_| {}, |_| {}).expect("the study runs");
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(run.study.services[0].done, replications);
    after - before
}

/// Scenarios of the second table: those whose replications are short enough to run
/// thousands (the one-node path among them).
const STUDY_SCENARIOS: &[&str] = &[
    "scenarios/quickstart.json",
    "scenarios/peer-baseline.json",
    "scenarios/geographic.json",
    "scenarios/pause.json",
];

/// Replications of the first study of the second table: enough for the thread's buffers
/// to reach their size, so that the second study's extra ones show only what each
/// replication still allocates.
const STUDY_REPLICATIONS: u64 = 500;

/// Events the first horizon must hold for the difference to say something: a shipped
/// horizon too short for that is doubled until it does (at most [`MAX_TIMES`] times).
const MIN_EVENTS: u64 = 10_000;
const MAX_TIMES: u64 = 1 << 12;

fn main() {
    println!(
        "{:<38} {:>6} {:>10} {:>9} {:>10} {:>9} {:>16}",
        "scenario (replication 0)",
        "H ×",
        "events H",
        "allocs H",
        "events 2H",
        "allocs 2H",
        "allocs per event"
    );
    for file in SCENARIOS {
        let text = std::fs::read_to_string(file).expect("a shipped scenario");
        let model: Value = serde_json::from_str(&text).expect("a shipped scenario is JSON");
        let horizon = load_str(&text, Path::new(file))
            .expect("a shipped scenario compiles")
            .horizon;
        let mut times = 1;
        let (mut allocations, mut events) = measure(file, &model, horizon);
        while events < MIN_EVENTS && times < MAX_TIMES {
            times *= 2;
            (allocations, events) = measure(file, &model, horizon * times);
        }
        let (allocations2, events2) = measure(file, &model, horizon * 2 * times);
        // Scheduled faults only: the events do not grow with the horizon.
        let marginal = match events2.saturating_sub(events) {
            0 => "—".to_string(),
            more => format!(
                "{:.4}",
                allocations2.saturating_sub(allocations) as f64 / more as f64
            ),
        };
        println!(
            "{file:<38} {times:>6} {events:>10} {allocations:>9} {events2:>10} {allocations2:>9} {marginal:>16}"
        );
    }
    println!();
    println!(
        "{:<38} {:>10} {:>12} {:>10} {:>12} {:>18}",
        "scenario (study, 1 thread)", "R", "allocs R", "2R", "allocs 2R", "allocs per repl."
    );
    for file in STUDY_SCENARIOS {
        let (r, r2) = (STUDY_REPLICATIONS, 2 * STUDY_REPLICATIONS);
        let (allocations, allocations2) = (measure_study(file, r), measure_study(file, r2));
        let marginal = allocations2.saturating_sub(allocations) as f64 / (r2 - r) as f64;
        println!(
            "{file:<38} {r:>10} {allocations:>12} {r2:>10} {allocations2:>12} {marginal:>18.3}"
        );
    }
}
