//! The event queue alone, in the hold model: a queue holding Q pending events; each step
//! pops the earliest and schedules one event at now + an exponential delay (mean 1 µs),
//! so the queue size stays Q. Our [`EventQueue`] (carrying the engine's own [`Event`])
//! runs beside a bare `std::collections::BinaryHeap<Reverse<(u64, u64)>>` doing the
//! same work, the limit for a binary heap ordered by (time, seq), and the ratio of their
//! throughputs is printed every run (target: ours ≥ 50% of the bare heap at Q = 10⁵).
//!
//! `cargo bench --bench engine`; `FAILSIM_BENCH_QUICK=1` shortens the runs.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use failsim::core::ids::NodeId;
use failsim::core::time::SimTime;
use failsim::sim::event::Event;
use failsim::sim::queue::EventQueue;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Steps per measured iteration.
const STEPS: u64 = 100_000;
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// Pre-drawn exponential delays (ns), so both queues see the same times and the random
/// number generator is not what is measured.
fn delays(n: usize) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let exp = Exp::new(1.0 / 1_000.0).expect("positive rate");
    (0..n).map(|_| exp.sample(&mut rng) as u64).collect()
}

fn timer(i: u64) -> Event {
    Event::NodeFail {
        node: NodeId::new(i as usize),
        process: 0,
        lane: i as u32,
    }
}

struct Ours {
    queue: EventQueue<Event>,
    now: u64,
}

impl Ours {
    fn filled(q: usize, delays: &[u64]) -> Self {
        let mut queue = EventQueue::with_capacity(q + 1);
        for (i, &d) in delays.iter().cycle().take(q).enumerate() {
            queue.schedule(SimTime(d), timer(i as u64));
        }
        Ours { queue, now: 0 }
    }

    fn hold(&mut self, steps: u64, delays: &[u64]) -> u64 {
        let mut checksum = 0u64;
        for i in 0..steps {
            let (at, event) = self.queue.pop().expect("the hold model never empties");
            self.now = at.0;
            if let Event::NodeFail { node, .. } = event {
                checksum = checksum.wrapping_add(node.index() as u64);
            }
            let delay = delays[i as usize % delays.len()];
            self.queue.schedule(SimTime(self.now + delay), timer(i));
        }
        checksum
    }
}

struct Bare {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    seq: u64,
}

impl Bare {
    fn filled(q: usize, delays: &[u64]) -> Self {
        let mut heap = BinaryHeap::with_capacity(q + 1);
        for (seq, &d) in delays.iter().cycle().take(q).enumerate() {
            heap.push(Reverse((d, seq as u64)));
        }
        Bare {
            heap,
            seq: q as u64,
        }
    }

    fn hold(&mut self, steps: u64, delays: &[u64]) -> u64 {
        let mut checksum = 0u64;
        for i in 0..steps {
            let Reverse((now, seq)) = self.heap.pop().expect("the hold model never empties");
            checksum = checksum.wrapping_add(seq);
            let delay = delays[i as usize % delays.len()];
            self.heap.push(Reverse((now + delay, self.seq)));
            self.seq += 1;
        }
        checksum
    }
}

/// Mean ns per step of `f` over `rounds` rounds of `STEPS`, after one warm-up round.
fn ns_per_step(rounds: u32, mut f: impl FnMut() -> u64) -> f64 {
    black_box(f());
    let started = Instant::now();
    for _ in 0..rounds {
        black_box(f());
    }
    started.elapsed().as_nanos() as f64 / (rounds as u64 * STEPS) as f64
}

fn quick() -> bool {
    std::env::var_os("FAILSIM_BENCH_QUICK").is_some()
}

fn hold_model(c: &mut Criterion) {
    let delays = delays(1 << 20);
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(STEPS));
    if quick() {
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(1));
    }
    for q in SIZES {
        // Each queue is filled once and kept: the hold model's steady state.
        let mut ours = Ours::filled(q, &delays);
        let mut bare = Bare::filled(q, &delays);
        group.bench_with_input(BenchmarkId::new("EventQueue", q), &q, |b, _| {
            b.iter(|| ours.hold(STEPS, &delays))
        });
        group.bench_with_input(BenchmarkId::new("BinaryHeap(u64,u64)", q), &q, |b, _| {
            b.iter(|| bare.hold(STEPS, &delays))
        });
        // The ratio, measured side by side in this run (interleaved rounds, so a noisy
        // neighbour hurts both alike).
        let (mut t_ours, mut t_bare) = (0.0, 0.0);
        let rounds = if quick() { 2 } else { 5 };
        for _ in 0..rounds {
            t_ours += ns_per_step(4, || ours.hold(STEPS, &delays));
            t_bare += ns_per_step(4, || bare.hold(STEPS, &delays));
        }
        let (t_ours, t_bare) = (t_ours / rounds as f64, t_bare / rounds as f64);
        println!(
            "hold Q={q}: EventQueue {t_ours:.1} ns/event ({:.1} M/s), bare BinaryHeap {t_bare:.1} ns/event ({:.1} M/s): ours at {:.0}% of the heap limit",
            1e3 / t_ours,
            1e3 / t_bare,
            100.0 * t_bare / t_ours
        );
    }
    group.finish();
}

criterion_group!(benches, hold_model);
criterion_main!(benches);
