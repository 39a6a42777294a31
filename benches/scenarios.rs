//! End-to-end runs of the shipped benchmark scenarios (`scenarios/bench-*.json`,
//! written by `bench/bench-scenarios.py`): parse and compile once, then time whole
//! studies, reporting simulated events per second beside criterion's figures.
//!
//! `cargo bench --bench scenarios`; `FAILSIM_BENCH_QUICK=1` shortens the runs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use failsim::compile::{load_file, CompiledScenario};
use failsim::run::{run_study, RunOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// (file, replications per measured study)
const SCENARIOS: [(&str, u64); 6] = [
    ("scenarios/bench-1k-nodes-year.json", 2),
    ("scenarios/bench-nway-elections.json", 2),
    ("scenarios/bench-100k-nodes.json", 1),
    ("scenarios/peer-baseline.json", 1000),
    ("scenarios/bench-crew-10k.json", 10),
    ("scenarios/bench-crew-100k.json", 1),
];

fn study_events(scenario: &CompiledScenario) -> u64 {
    let options = RunOptions {
        threads: Some(1),
        ..RunOptions::default()
    };
    run_study(scenario, &options, |_| {}, |_| {})
        .expect("the benchmark scenario runs")
        .events
}

fn scenarios(c: &mut Criterion) {
    let quick = std::env::var_os("FAILSIM_BENCH_QUICK").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    if quick {
        group
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(2));
    }
    for (file, replications) in SCENARIOS {
        let mut scenario = load_file(&root.join(file)).expect("the benchmark scenario is valid");
        scenario.replications = replications;
        let started = Instant::now();
        let events = study_events(&scenario);
        let wall = started.elapsed().as_secs_f64();
        let name = Path::new(file).file_stem().unwrap().to_string_lossy();
        println!(
            "{name}: {replications} replications on 1 thread, {events} events, {:.1} M events/s \
             ({:.0} ns/event)",
            events as f64 / wall / 1e6,
            wall * 1e9 / events as f64
        );
        group.throughput(Throughput::Elements(events));
        group.bench_function(name.as_ref(), |b| b.iter(|| study_events(&scenario)));
    }
    group.finish();
}

criterion_group!(benches, scenarios);
criterion_main!(benches);
