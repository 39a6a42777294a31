//! Rare-event estimation of unavailability by balanced failure biasing (Shahabuddin
//! 1994; Goyal, Shahabuddin, Heidelberger, Nicola & Glynn 1992), on the lumped chain.
//!
//! A regenerative estimator: the chain starts afresh each time it returns to the
//! all-up state, so unavailability = E[down time per cycle] / E[cycle length].
//!
//! - The numerator is estimated from cycles of the embedded jump chain simulated under
//!   a changed measure: in a state with something down, the next transition is a
//!   failure with probability [`FAILURE_BIAS`], spread evenly over the replicas that are
//!   up (balanced), and otherwise a repair in proportion to the repair rates; the
//!   all-up state keeps its own probabilities. The likelihood ratio of the jumps so far
//!   weighs each visit, so the estimate is unbiased: every transition of the chain keeps
//!   a positive probability. Holding times are replaced by their means (conditional
//!   Monte Carlo), which is unbiased and removes their variance.
//! - The denominator is estimated from plain cycles of the same chain (short and
//!   regular, so cheap to estimate well), likewise with mean holding times.
//!
//! The 95 % interval comes from the ratio's delta method with the two estimates
//! independent. Cycles run in batches; batch `b` draws from the ChaCha streams
//! `(seed, b, RareEvent(0))` (biased) and `(seed, b, RareEvent(1))` (plain), and the
//! batches are folded in index order, so the result does not depend on `--threads`.

use super::chain::{Chain, Target};
use super::SECONDS_PER_YEAR;
use crate::core::rng::{stream, Purpose};
use crate::stats::Z_975;
use rand::RngExt;
use rayon::prelude::*;

/// Cycles of each kind (biased and plain) when none are asked for.
pub const DEFAULT_CYCLES: u64 = 200_000;

/// Cycles per batch: a batch is the unit of parallel work and of stream keys.
const BATCH: u64 = 4_096;

/// Probability that the next transition out of a state with something down is a
/// failure, under the changed measure: the balanced failure biasing of the literature.
pub const FAILURE_BIAS: f64 = 0.5;

/// Settings of an estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RareOptions {
    /// Seed of the streams.
    pub seed: u64,
    /// Cycles of each kind, at least 2.
    pub cycles: u64,
    /// Worker threads (all cores when None); the result does not depend on it.
    pub threads: Option<usize>,
}

/// The estimate for one service or the system.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RareTarget {
    /// Service name, or the system's.
    pub name: String,
    /// Estimated unavailability.
    pub unavailability: f64,
    /// 95 % interval, low.
    pub ci95_low: f64,
    /// 95 % interval, high.
    pub ci95_high: f64,
    /// Half-width of the interval over the estimate; None when no cycle reached a down
    /// state.
    pub relative_half_width: Option<f64>,
    /// Cycles that plain Monte Carlo (the same regenerative estimator without biasing)
    /// would need for the same relative half-width, from the second moment of the down
    /// time per cycle (itself estimated under the changed measure); None as above.
    pub plain_cycles_needed: Option<f64>,
    /// Simulated years those plain cycles last.
    pub plain_years_needed: Option<f64>,
}

/// The estimate for every target of a chain.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RareEstimate {
    /// Seed of the streams.
    pub seed: u64,
    /// Cycles of each kind.
    pub cycles: u64,
    /// Probability of a failure next, out of a state with something down.
    pub failure_bias: f64,
    /// Estimated mean cycle length, seconds.
    pub mean_cycle_s: f64,
    /// Per service, then the system.
    pub targets: Vec<RareTarget>,
}

/// Why no estimate was made.
#[derive(Debug, thiserror::Error)]
pub enum RareError {
    /// No replica fails, so there is no cycle.
    #[error("no replica of any service fails: there is no regenerative cycle to bias")]
    NothingFails,
    /// Too few cycles for an interval.
    #[error("--cycles must be at least 2")]
    Cycles,
    /// The thread pool could not be made.
    #[error("thread pool: {0}")]
    ThreadPool(String),
}

/// Mean and sum of squared deviations, merged exactly in a fixed order (Chan et al.).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    fn merge(&mut self, other: &Moments) {
        if other.n == 0.0 {
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        self.mean += delta * other.n / n;
        self.m2 += other.m2 + delta * delta * self.n * other.n / n;
        self.n = n;
    }

    fn variance(&self) -> f64 {
        if self.n > 1.0 {
            self.m2 / (self.n - 1.0)
        } else {
            0.0
        }
    }
}

/// What one batch adds up.
#[derive(Clone, Debug)]
struct Batch {
    /// Weighted down time per cycle, per target (the estimator's terms).
    down: Vec<Moments>,
    /// Mean over cycles of L·D², L the cycle's likelihood ratio and D its unweighted
    /// down time: E[D²] under the original measure.
    second_moment: Vec<Moments>,
    /// Plain cycle lengths.
    length: Moments,
}

/// Estimates the unavailability of every target of `chain`.
pub fn estimate(chain: &Chain, options: &RareOptions) -> Result<RareEstimate, RareError> {
    if chain.classes.is_empty() {
        return Err(RareError::NothingFails);
    }
    if options.cycles < 2 {
        return Err(RareError::Cycles);
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = options.threads {
        builder = builder.num_threads(threads);
    }
    let pool = builder
        .build()
        .map_err(|e| RareError::ThreadPool(e.to_string()))?;
    let targets = chain.targets();
    let batches = options.cycles.div_ceil(BATCH);
    let results: Vec<Batch> = pool.install(|| {
        (0..batches)
            .into_par_iter()
            .map(|b| {
                let count = BATCH.min(options.cycles - b * BATCH);
                run_batch(chain, &targets, options.seed, b, count)
            })
            .collect()
    });
    let mut total = Batch {
        down: vec![Moments::default(); targets.len()],
        second_moment: vec![Moments::default(); targets.len()],
        length: Moments::default(),
    };
    for batch in &results {
        for (sum, part) in total.down.iter_mut().zip(&batch.down) {
            sum.merge(part);
        }
        for (sum, part) in total.second_moment.iter_mut().zip(&batch.second_moment) {
            sum.merge(part);
        }
        total.length.merge(&batch.length);
    }
    let n = options.cycles as f64;
    let length = total.length.mean;
    let length_rel_var = total.length.variance() / (n * length * length);
    let targets = targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let down = &total.down[t];
            let estimate = down.mean / length;
            let rel_var = if down.mean > 0.0 {
                down.variance() / (n * down.mean * down.mean) + length_rel_var
            } else {
                f64::INFINITY
            };
            let half = Z_975 * estimate * rel_var.sqrt();
            let relative = (down.mean > 0.0).then(|| Z_975 * rel_var.sqrt());
            let plain = relative.map(|r| {
                let plain_var = (total.second_moment[t].mean - down.mean * down.mean).max(0.0);
                (Z_975 / r).powi(2) * plain_var / (down.mean * down.mean)
            });
            RareTarget {
                name: chain.name(target).to_string(),
                unavailability: estimate,
                ci95_low: if half.is_finite() {
                    (estimate - half).max(0.0)
                } else {
                    0.0
                },
                ci95_high: if half.is_finite() {
                    estimate + half
                } else {
                    1.0
                },
                relative_half_width: relative,
                plain_cycles_needed: plain,
                plain_years_needed: plain.map(|cycles| cycles * length / SECONDS_PER_YEAR),
            }
        })
        .collect();
    Ok(RareEstimate {
        seed: options.seed,
        cycles: options.cycles,
        failure_bias: FAILURE_BIAS,
        mean_cycle_s: length,
        targets,
    })
}

/// `count` biased and `count` plain cycles of batch `b`.
fn run_batch(chain: &Chain, targets: &[Target], seed: u64, b: u64, count: u64) -> Batch {
    let mut biased = stream(seed, b, Purpose::RareEvent(0));
    let mut plain = stream(seed, b, Purpose::RareEvent(1));
    let mut batch = Batch {
        down: vec![Moments::default(); targets.len()],
        second_moment: vec![Moments::default(); targets.len()],
        length: Moments::default(),
    };
    let mut cycle = Cycle::new(chain, targets.len());
    for _ in 0..count {
        cycle.run(chain, targets, true, &mut || biased.random::<f64>());
        for t in 0..targets.len() {
            batch.down[t].push(cycle.weighted_down[t]);
            let d = cycle.down_time[t];
            batch.second_moment[t].push(cycle.ratio * d * d);
        }
        cycle.run(chain, targets, false, &mut || plain.random::<f64>());
        batch.length.push(cycle.length);
    }
    batch
}

/// One regenerative cycle's sums, and its scratch space.
struct Cycle {
    down: Vec<u32>,
    /// Transitions out of the current state: (class, failure?, rate).
    moves: Vec<(usize, bool, f64)>,
    /// Σ over visited down states of (likelihood ratio so far) · (mean holding time).
    weighted_down: Vec<f64>,
    /// Σ over visited down states of the mean holding time.
    down_time: Vec<f64>,
    /// Σ over visited states of the mean holding time.
    length: f64,
    /// The likelihood ratio of the whole cycle.
    ratio: f64,
}

impl Cycle {
    fn new(chain: &Chain, targets: usize) -> Self {
        Cycle {
            down: vec![0; chain.classes.len()],
            moves: Vec::with_capacity(2 * chain.classes.len()),
            weighted_down: vec![0.0; targets],
            down_time: vec![0.0; targets],
            length: 0.0,
            ratio: 1.0,
        }
    }

    /// Runs one cycle from all up back to all up, failure-biased when `biased`.
    fn run(
        &mut self,
        chain: &Chain,
        targets: &[Target],
        biased: bool,
        uniform: &mut impl FnMut() -> f64,
    ) {
        self.down.iter_mut().for_each(|d| *d = 0);
        self.weighted_down.iter_mut().for_each(|d| *d = 0.0);
        self.down_time.iter_mut().for_each(|d| *d = 0.0);
        self.length = 0.0;
        self.ratio = 1.0;
        let mut all_up = true;
        loop {
            self.moves.clear();
            let (mut failures, mut repairs, mut up_replicas) = (0.0, 0.0, 0u64);
            for (c, class) in chain.classes.iter().enumerate() {
                let d = self.down[c];
                if d < class.nodes {
                    let rate = class.failure(d);
                    self.moves.push((c, true, rate));
                    failures += rate;
                    up_replicas += u64::from(class.nodes - d);
                }
                if d > 0 {
                    let rate = class.repair(d);
                    self.moves.push((c, false, rate));
                    repairs += rate;
                }
            }
            let total = failures + repairs;
            let holding = 1.0 / total;
            self.length += holding;
            for (t, target) in targets.iter().enumerate() {
                if !chain.is_up(target, &self.down) {
                    self.weighted_down[t] += self.ratio * holding;
                    self.down_time[t] += holding;
                }
            }
            // The changed measure applies where both kinds of move exist.
            let bias = biased && !all_up && failures > 0.0 && repairs > 0.0;
            let probability = |&(c, failure, rate): &(usize, bool, f64), down: &[u32]| {
                if !bias {
                    rate / total
                } else if failure {
                    let up = u64::from(chain.classes[c].nodes - down[c]);
                    FAILURE_BIAS * up as f64 / up_replicas as f64
                } else {
                    (1.0 - FAILURE_BIAS) * rate / repairs
                }
            };
            let mut u = uniform();
            let mut chosen = *self.moves.last().expect("a class can always move");
            for m in &self.moves {
                let p = probability(m, &self.down);
                if u < p {
                    chosen = *m;
                    break;
                }
                u -= p;
            }
            if bias {
                self.ratio *= (chosen.2 / total) / probability(&chosen, &self.down);
            }
            let (c, failure, _) = chosen;
            if failure {
                self.down[c] += 1;
            } else {
                self.down[c] -= 1;
            }
            all_up = self.down.iter().all(|&d| d == 0);
            if all_up {
                return;
            }
        }
    }
}
