//! The peer baseline's "lazy" floor (`../shared/peer-baseline/rust/src/bin/lazy.rs`)
//! written in failsim's work shape: N replications of one node, each from its own random
//! stream, on T threads, with the statistics failsim reports for `scenarios/peer-baseline.json`
//! (mean availability over replications with its 95 % CI, detections and their mean).
//!
//! The peer's lazy program simulates one N-node replication; failsim runs the peer model
//! as N one-node replications. Comparing failsim with the lazy program therefore compares
//! different work (one queue of N pending events that misses the cache, against N queues of
//! one). This program does the floor's work in failsim's shape, so that
//! `bench/compare-peer.sh` can put failsim beside a floor of the same shape, on one
//! thread and on two.
//!
//! Usage: `cargo run --release --example peer_floor -- NODES HORIZON_S [THREADS] [SEED]`.
//! Prints one `key=value` line in the format of the peer programs, plus the CI.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

const NS_PER_S: f64 = 1e9;
const MTTF_S: f64 = 86_400.0;
const MTTR_S: f64 = 3_600.0;
const INTERVAL_NS: u64 = 1_000_000_000;
const TIMEOUT_NS: u64 = 500_000_000;
const THRESHOLD: u64 = 3;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Fail,
    Repair,
}

/// What one thread's replications add up to; nanosecond sums are `u128` (10,000 nodes ×
/// 10 years of down time passes `u64`).
#[derive(Default)]
struct Totals {
    events: u64,
    availability_sum: f64,
    availability_sum_sq: f64,
    detections: u64,
    detect_sum_ns: u128,
}

fn ns(seconds: f64) -> u64 {
    (seconds * NS_PER_S) as u64
}

/// Replications `first..end` on one thread, reusing one queue.
fn replications(first: u64, end: u64, horizon_ns: u64, seed: u64) -> Totals {
    let ttf = Exp::new(1.0 / MTTF_S).expect("positive rate");
    let ttr = Exp::new(1.0 / MTTR_S).expect("positive rate");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut queue: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let mut totals = Totals::default();
    for replication in first..end {
        rng.set_stream(replication);
        rng.set_word_pos(0);
        queue.clear();
        let mut seq = 0;
        let phase = rng.random_range(0..INTERVAL_NS);
        queue.push(Reverse((ns(ttf.sample(&mut rng)), seq, Kind::Fail)));
        let mut down_since = None;
        let mut down_ns: u128 = 0;
        while let Some(Reverse((now, _, kind))) = queue.pop() {
            if now >= horizon_ns {
                break;
            }
            totals.events += 1;
            seq += 1;
            match kind {
                Kind::Fail => {
                    down_since = Some(now);
                    let repair = now + ns(ttr.sample(&mut rng));
                    queue.push(Reverse((repair, seq, Kind::Repair)));
                    // Probes are sent at phase + k · interval; the third miss in a row
                    // declares the node down one timeout after it was sent.
                    let k = now.saturating_sub(phase).div_ceil(INTERVAL_NS);
                    let last_miss = phase + (k + THRESHOLD - 1) * INTERVAL_NS;
                    let detect = last_miss + TIMEOUT_NS;
                    if last_miss < repair && detect < horizon_ns {
                        totals.detections += 1;
                        totals.detect_sum_ns += u128::from(detect - now);
                    }
                }
                Kind::Repair => {
                    let since = down_since.take().expect("a repair follows a failure");
                    down_ns += u128::from(now - since);
                    queue.push(Reverse((now + ns(ttf.sample(&mut rng)), seq, Kind::Fail)));
                }
            }
        }
        if let Some(since) = down_since {
            down_ns += u128::from(horizon_ns - since);
        }
        let availability = 1.0 - down_ns as f64 / horizon_ns as f64;
        totals.availability_sum += availability;
        totals.availability_sum_sq += availability * availability;
    }
    totals
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: f64| -> f64 {
        args.get(index).map_or(default, |text| {
            text.parse().unwrap_or_else(|_| {
                eprintln!("peer_floor: argument {} is not a number: {text}", index + 1);
                std::process::exit(2)
            })
        })
    };
    let nodes = number(0, 1000.0) as u64;
    let horizon_s = number(1, 3600.0);
    let threads = (number(2, 1.0) as u64).max(1);
    let seed = number(3, 1.0) as u64;
    let horizon_ns = ns(horizon_s);

    let start = Instant::now();
    let chunk = nodes.div_ceil(threads);
    let parts: Vec<Totals> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let first = (thread * chunk).min(nodes);
                let end = ((thread + 1) * chunk).min(nodes);
                scope.spawn(move || replications(first, end, horizon_ns, seed))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a replication thread panicked"))
            .collect()
    });
    let wall_s = start.elapsed().as_secs_f64();

    let mut totals = Totals::default();
    for part in parts {
        totals.events += part.events;
        totals.availability_sum += part.availability_sum;
        totals.availability_sum_sq += part.availability_sum_sq;
        totals.detections += part.detections;
        totals.detect_sum_ns += part.detect_sum_ns;
    }
    let n = nodes.max(1) as f64;
    let mean = totals.availability_sum / n;
    let variance = ((totals.availability_sum_sq - n * mean * mean) / (n - 1.0).max(1.0)).max(0.0);
    let halfwidth = 1.96 * (variance / n).sqrt();
    println!(
        "rust-floor-replications nodes={nodes} horizon_s={horizon_s} threads={threads} events={} \
         wall_s={wall_s:.6} events_per_s={:.0} availability={mean:.6} halfwidth={halfwidth:.6} \
         detections={} mean_detection_s={:.3}",
        totals.events,
        totals.events as f64 / wall_s,
        totals.detections,
        totals.detect_sum_ns as f64 / NS_PER_S / totals.detections.max(1) as f64,
    );
}
