//! Running a study: replications in parallel on a thread pool, folded in index order so
//! that results are byte-identical whatever the number of threads or shards; with a
//! precision target, until the intervals are narrow enough (`precision`).

pub mod precision;
pub(crate) mod sweep;

use crate::compile::CompiledScenario;
use crate::report::{Pairs, PrecisionSummary, Study};
use crate::sim::engine::{Layout, Replication, ReplicationOutcome, Scratch};
use crate::sim::faults::FaultRegistry;
use crate::sim::one_node::OneNode;
use precision::FixedBatches;
pub use precision::Precision;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Why a study could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--shard` text that is not `I/N` with 1 ≤ I ≤ N.
    #[error("`{0}` is not a shard: write I/N with 1 ≤ I ≤ N, e.g. 2/8")]
    Shard(String),
    /// A thread count no machine has.
    #[error("--threads must be between 1 and {MAX_THREADS}, not {0}")]
    Threads(usize),
    /// A precision target that is not a fraction above 0.
    #[error("--precision must be a relative half-width above 0 and below 1, e.g. 0.05, not {0}")]
    Precision(f64),
    /// Fixed batches that are not a split of the maximum into 1 to `max` shares.
    #[error("--batches must be between 1 and --max-replications ({max}), not {given}")]
    Batches {
        /// The count given.
        given: u64,
        /// The maximum replications.
        max: u64,
    },
    /// The operating system refused the worker threads.
    #[error("cannot start worker threads: {0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
}

/// One share of the replications: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Shard, RunError> {
        let parsed = text.split_once('/').and_then(|(i, n)| {
            Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?))
        });
        match parsed {
            Some((index, count)) if count >= 1 && (1..=count).contains(&index) => {
                Ok(Shard { index, count })
            }
            _ => Err(RunError::Shard(text.to_string())),
        }
    }

    /// The contiguous block of replication indices this shard runs.
    pub fn range(&self, replications: u64) -> Range<u64> {
        let start = replications * (self.index - 1) / self.count;
        let end = replications * self.index / self.count;
        start..end
    }
}

/// How to run a study.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    /// Run only this share of the replications.
    pub shard: Option<Shard>,
    /// Stop after this many events in total.
    pub max_events: Option<u64>,
    /// Stop after this much wall-clock time.
    pub max_wall: Option<Duration>,
    /// Stop when this flag is raised (Ctrl-C).
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Keep every failover record in the outcomes passed to `each` (for `failovers.csv`);
    /// otherwise only their tally, so memory does not grow with the horizon.
    pub keep_records: bool,
    /// Stop once the intervals are this precise; the scenario's replications are then
    /// the maximum. [`run_comparison`] takes its stopping rule apart and ignores it; a
    /// shard runs its share whole (`merge` reads the rule at the end of each shard).
    pub precision: Option<Precision>,
    /// With `precision`: read the stopping rule only at the ends of this many equal
    /// batches of the maximum (those of `--shard I/N`), instead of batches that grow
    /// with the replications done.
    pub precision_batches: Option<u64>,
}

/// Most worker threads: far beyond any machine's cores, and well below the thousands of
/// threads whose start alone takes minutes.
pub const MAX_THREADS: usize = 1024;

/// Why a study stopped before running every replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The interrupt flag was raised (Ctrl-C or SIGTERM).
    Interrupted,
    /// The event budget ran out.
    EventBudget,
    /// The wall-clock budget ran out.
    WallBudget,
}

/// Why work stopped before its end, in the words of the command line's flags.
impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stopped::Interrupted => "Ctrl-C or SIGTERM",
            Stopped::EventBudget => "the --max-events budget ran out",
            Stopped::WallBudget => "the --max-wall budget ran out",
        })
    }
}

/// A study and whether it holds every replication it was asked for.
#[derive(Debug)]
pub struct StudyRun {
    /// The replications that completed, folded in index order.
    pub study: Study,
    /// Set when the run stopped early; the study then holds only the completed prefix.
    pub stopped: Option<Stopped>,
    /// Events processed by the replications folded into the study.
    pub events: u64,
    /// With a precision target: what was reached and the replications used.
    pub precision: Option<PrecisionSummary>,
}

/// Runs the replications of `scenario` and folds them into a study; `each` sees every
/// replication outcome in index order (for streaming CSV rows) and `progress` the count done.
///
/// Replications run in batches on the pool; each batch is folded (in index order) while
/// the next one runs, so the fold is not a serial step between batches.
///
/// With `options.precision`, the batches are those of [`Precision::batch`] and the study
/// stops at the first boundary where [`Precision::satisfied`] holds; the replications
/// used become the study's count, so its summary is complete.
pub fn run_study(
    scenario: &CompiledScenario,
    options: &RunOptions,
    each: impl FnMut(&ReplicationOutcome) + Send,
    progress: impl FnMut(u64),
) -> Result<StudyRun, RunError> {
    let mut fixed = None;
    if let Some(precision) = &options.precision {
        let target = precision.target;
        if !(target > 0.0 && target < 1.0) {
            return Err(RunError::Precision(target));
        }
        if let Some(count) = options.precision_batches {
            if count == 0 || count > scenario.replications {
                return Err(RunError::Batches {
                    given: count,
                    max: scenario.replications,
                });
            }
            fixed = Some(FixedBatches {
                total: scenario.replications,
                count,
            });
        }
    }
    // A shard runs its share whole: the rule is read by `merge`, on every shard so far.
    let rule_applies = options.precision.is_some() && options.shard.is_none();
    let range = options
        .shard
        .map(|s| s.range(scenario.replications))
        .unwrap_or(0..scenario.replications);
    let mut enough = |studies: &[Study], _: &Pairs| {
        options
            .precision
            .as_ref()
            .is_some_and(|p| p.satisfied(&studies[0]))
    };
    let rule: Option<&mut StopRule> = if rule_applies {
        Some(&mut enough)
    } else {
        None
    };
    let mut each = each;
    let run = run_range(
        std::slice::from_ref(scenario),
        options,
        range,
        Stopping { rule, fixed },
        &mut |_, outcome| each(outcome),
        progress,
    )?;
    let mut run = StudyRun {
        study: run
            .studies
            .into_iter()
            .next()
            .expect("one variant, one study"),
        stopped: run.stopped,
        events: run.events,
        precision: None,
    };
    if let (Some(precision), None, true) = (&options.precision, run.stopped, rule_applies) {
        let used = run.study.done();
        let met = precision.satisfied(&run.study);
        let reached = precision.reached(&run.study);
        let mut summary = precision.summary(reached, met, used, scenario.replications);
        summary.fixed_batches = fixed.map(|f| f.count);
        run.precision = Some(summary);
        run.study.replications = used;
    }
    Ok(run)
}

/// A stopping rule read at batch boundaries: whether the studies (one per variant) and
/// their pairs folded so far are enough.
pub type StopRule<'a> = dyn FnMut(&[Study], &Pairs) -> bool + Send + 'a;

/// The studies of a comparison, run in lockstep.
#[derive(Debug)]
pub struct ComparisonRun {
    /// One study per variant, in the variants' order, all over the same replications.
    pub studies: Vec<Study>,
    /// The paired sums of every two variants.
    pub pairs: Pairs,
    /// Set when the run stopped early; the studies then hold the same completed prefix.
    pub stopped: Option<Stopped>,
    /// Events processed by the replications folded, all variants together.
    pub events: u64,
}

/// Runs the variants of a comparison (one scenario under several strategies) in
/// lockstep: each batch runs its replications under every variant, and each replication
/// is folded under every variant, and into their pairs, before the next one (in index
/// order, whatever the threads), so nothing is kept per replication. `each` sees every
/// outcome (the variant's index, the outcome) in that order.
///
/// With `resolved`, the batches are those of [`Precision::batch`] and the run stops at
/// the first boundary past [`precision::MIN_REPLICATIONS`] where it holds; the
/// replications folded then become the studies' count. The event budget is shared by
/// the variants; a replication counts whole, under every variant, or not at all. The
/// shard and the precision of `options` are ignored.
pub fn run_comparison(
    variants: &[CompiledScenario],
    options: &RunOptions,
    resolved: Option<&mut StopRule>,
    each: &mut (dyn FnMut(usize, &ReplicationOutcome) + Send),
    progress: impl FnMut(u64),
) -> Result<ComparisonRun, RunError> {
    let max = variants.first().map_or(0, |v| v.replications);
    let precise = resolved.is_some();
    let stopping = Stopping {
        rule: resolved,
        fixed: None,
    };
    let mut run = run_range(variants, options, 0..max, stopping, each, progress)?;
    if precise && run.stopped.is_none() {
        let used = run.studies.first().map_or(0, Study::done);
        for study in &mut run.studies {
            study.replications = used;
        }
    }
    Ok(run)
}

/// Service outcomes one batch of replications may hold, all variants together (an
/// outcome is a few hundred bytes).
const BATCH_OUTCOMES: u64 = 1 << 15;

/// Runs the replications `range` of every variant in lockstep (see [`run_study`] and
/// [`run_comparison`]).
fn run_range(
    variants: &[CompiledScenario],
    options: &RunOptions,
    range: Range<u64>,
    stopping: Stopping,
    each: &mut (dyn FnMut(usize, &ReplicationOutcome) + Send),
    mut progress: impl FnMut(u64),
) -> Result<ComparisonRun, RunError> {
    let started = Instant::now();
    let registries: Vec<FaultRegistry> = variants
        .iter()
        .map(|v| FaultRegistry::new(&v.faults))
        .collect();
    let mut studies: Vec<Study> = variants
        .iter()
        .zip(&registries)
        .map(|(variant, registry)| Study::new(variant, registry))
        .collect();
    let mut pairs = Pairs::new(
        variants.len(),
        variants.first().map_or(0, |v| v.services.len()),
    );
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = options.threads {
        if threads == 0 || threads > MAX_THREADS {
            return Err(RunError::Threads(threads));
        }
        builder = builder.num_threads(threads);
    }
    // One thread needs no pool: the calling thread computes and folds, with no thread
    // started and no hand-off per batch.
    let pool = match options.threads {
        Some(1) => None,
        _ => Some(builder.build().map_err(RunError::ThreadPool)?),
    };
    // Sixteen replications per thread amortise the hand-off for a handful of services,
    // but a batch is held twice (one computed while the other folds) and each of its
    // replications holds an outcome per service: cap the outcomes, down to one
    // replication per thread. Results do not depend on the batch size.
    let threads = pool
        .as_ref()
        .map_or(1, rayon::ThreadPool::current_num_threads) as u64;
    let services: u64 = variants.iter().map(|v| v.services.len() as u64).sum();
    let batch = (BATCH_OUTCOMES / services.max(1)).clamp(threads, (threads * 16).max(16));
    let batch = Batches {
        size: batch,
        stopping,
    };
    let mut budget = Budget {
        events_left: options.max_events.unwrap_or(u64::MAX),
        events: 0,
    };
    // Raised at the --max-wall deadline by a watchdog thread; replications read it with
    // the interrupt flag, every `STOP_CHECK_EVENTS` events, so the wall budget bounds
    // the work inside a replication too, not only between batches.
    let wall_expired = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let flags = Flags {
        interrupt: options.interrupt.as_deref(),
        wall_expired: &wall_expired,
    };
    let stop: Vec<&AtomicBool> = flags.interrupt.into_iter().chain([&wall_expired]).collect();
    let count = variants.len() as u64;
    // Variants of the simplest shape skip the engine's generality (same outcome, bytes
    // and all; see `sim::one_node`).
    let one_node: Vec<Option<OneNode>> = variants
        .iter()
        .zip(&registries)
        .map(|(variant, registry)| OneNode::recognise(variant, registry))
        .collect();
    // Who uses each node, worked out once per variant; and each thread's buffers, which
    // its replications reuse one after the other (by rayon's thread index; the calling
    // thread's, without a pool; nothing in a replication runs rayon work, so a thread
    // never waits for its own). Neither changes a result.
    let layouts: Vec<Layout> = variants.iter().map(Layout::new).collect();
    let range_end = range.end;
    let scratches: Vec<Mutex<Scratch>> = (0..threads).map(|_| Mutex::default()).collect();
    // A batch's outcomes, replication by replication and, within one, variant by variant.
    // `spares`: outcomes already folded, whose lists the batch's outcomes reuse.
    let run_batch = |replications: Range<u64>,
                     events_cap: u64,
                     spares: Vec<ReplicationOutcome>|
     -> Vec<ReplicationOutcome> {
        let slots = replications.start * count..replications.end * count;
        let spares = Mutex::new(spares);
        let run_slot = |slot: u64| {
            let (replication, variant) = (slot / count, (slot % count) as usize);
            // A replication not yet begun when a stop comes is not begun at all: setting
            // one up (a year of faults for 1,000 nodes) costs milliseconds, and a batch
            // holds hundreds, which delayed Ctrl-C by seconds. It counts as cut short.
            if stop.iter().any(|flag| flag.load(Ordering::Relaxed)) {
                return ReplicationOutcome {
                    replication,
                    services: Vec::new(),
                    system: None,
                    events: 0,
                    complete: false,
                    faults: Vec::new(),
                };
            }
            let thread = rayon::current_thread_index().unwrap_or(0);
            let mut scratch = scratches[thread]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let spare = spares.lock().unwrap_or_else(PoisonError::into_inner).pop();
            if let Some(spare) = spare {
                scratch.recycle(spare);
            }
            if let Some(shape) = &one_node[variant] {
                let keep = options.keep_records;
                return shape.run(replication, keep, events_cap, &stop, &mut scratch);
            }
            let replication = Replication::reusing(
                &variants[variant],
                &registries[variant],
                &layouts[variant],
                replication,
                &mut scratch,
            );
            let replication = if options.keep_records {
                replication
            } else {
                replication.without_records()
            };
            replication.run_within(events_cap, &stop)
        };
        let outcomes = if pool.is_some() {
            slots.into_par_iter().map(run_slot).collect()
        } else {
            slots.map(run_slot).collect()
        };
        if replications.end == range_end {
            // No replication follows: the buffers go before the last fold, as they did
            // when each replication freed its own.
            for scratch in &scratches {
                *scratch.lock().unwrap_or_else(PoisonError::into_inner) = Scratch::default();
            }
        }
        outcomes
    };
    std::thread::scope(|scope| {
        let watchdog = options.max_wall.map(|limit| {
            let (wall_expired, finished) = (&wall_expired, &finished);
            scope.spawn(move || {
                while !finished.load(Ordering::Relaxed) {
                    match limit.checked_sub(started.elapsed()) {
                        Some(left) if !left.is_zero() => std::thread::park_timeout(left),
                        _ => {
                            wall_expired.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            })
        });
        let mut folded = Folded {
            studies: &mut studies,
            pairs: &mut pairs,
            each,
        };
        let result = fold_batches(
            pool.as_ref(),
            range,
            batch,
            &run_batch,
            &mut budget,
            &mut folded,
            flags,
            &mut progress,
        );
        finished.store(true, Ordering::Relaxed);
        if let Some(watchdog) = watchdog {
            watchdog.thread().unpark();
        }
        Ok(ComparisonRun {
            studies,
            pairs,
            stopped: result,
            events: budget.events,
        })
    })
}

/// What can stop a study: Ctrl-C and the wall-clock deadline.
#[derive(Clone, Copy)]
struct Flags<'a> {
    interrupt: Option<&'a AtomicBool>,
    wall_expired: &'a AtomicBool,
}

impl Flags<'_> {
    /// Whether Ctrl-C or SIGTERM came.
    fn interrupted(&self) -> bool {
        self.interrupt
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Why work stops now, if it does.
    fn raised(&self) -> Option<Stopped> {
        if self.interrupted() {
            Some(Stopped::Interrupted)
        } else if self.wall_expired.load(Ordering::Relaxed) {
            Some(Stopped::WallBudget)
        } else {
            None
        }
    }
}

/// When a study may stop: a rule (a precision target) read at batch boundaries, and
/// the fixed batches whose ends alone are boundaries, if any.
struct Stopping<'r, 'a> {
    rule: Option<&'r mut StopRule<'a>>,
    fixed: Option<FixedBatches>,
}

/// How many replications each batch runs, and when a stopping rule ends the study.
struct Batches<'r, 'a> {
    /// The batch size without a stopping rule (a multiple of the threads).
    size: u64,
    /// The stopping rule, whose boundaries depend only on the replications done.
    stopping: Stopping<'r, 'a>,
}

impl Batches<'_, '_> {
    /// The size of the batch that starts after `done` replications: with fixed batches,
    /// up to the next end (in pieces of the plain size, so that a large fixed batch is
    /// not held in memory whole).
    fn after(&self, done: u64) -> u64 {
        match (&self.stopping.rule, self.stopping.fixed) {
            (Some(_), Some(fixed)) => (fixed.next_end(done) - done).clamp(1, self.size),
            (Some(_), None) => Precision::batch(done),
            (None, _) => self.size,
        }
    }

    /// Whether the studies folded so far may stop here.
    fn enough(&mut self, folded: &Folded) -> bool {
        let done = folded.studies.first().map_or(0, Study::done);
        let boundary = self
            .stopping
            .fixed
            .is_none_or(|fixed| done > 0 && fixed.next_end(done - 1) == done);
        match &mut self.stopping.rule {
            Some(rule) => {
                boundary
                    && done >= precision::MIN_REPLICATIONS
                    && rule(folded.studies, folded.pairs)
            }
            None => false,
        }
    }
}

/// Where replications are folded: one study per variant, their pairs, and the outcomes'
/// consumer (the variant's index, the outcome).
struct Folded<'f, 'e> {
    studies: &'f mut [Study],
    pairs: &'f mut Pairs,
    each: &'f mut (dyn FnMut(usize, &ReplicationOutcome) + Send + 'e),
}

/// Runs `range` in batches and folds them in index order, each batch folded while the
/// next one runs; returns why it stopped before the end, `None` when every replication
/// of `range` was folded or a precision target was met at a batch boundary (the batch
/// computed meanwhile is then dropped unfolded). A stop raised once the last
/// replication is computed changes nothing: complete work is never discarded.
#[allow(clippy::too_many_arguments)]
fn fold_batches(
    pool: Option<&rayon::ThreadPool>,
    range: Range<u64>,
    mut batch: Batches,
    run_batch: &(impl Fn(Range<u64>, u64, Vec<ReplicationOutcome>) -> Vec<ReplicationOutcome> + Sync),
    budget: &mut Budget,
    folded: &mut Folded,
    flags: Flags,
    progress: &mut impl FnMut(u64),
) -> Option<Stopped> {
    let mut next = range.start;
    // Computed but not yet folded.
    let mut pending: Vec<ReplicationOutcome> = Vec::new();
    // Folded: their lists go to the next batch computed.
    let mut spares: Vec<ReplicationOutcome> = Vec::new();
    loop {
        let stop_now = flags.raised();
        let launch = stop_now.is_none() && next < range.end;
        let end = if launch {
            (next + batch.after(next - range.start)).min(range.end)
        } else {
            next
        };
        let folding = std::mem::take(&mut pending);
        // Once every replication is computed, the study is complete whatever comes: the
        // last fold runs to its end.
        let interruptible = next < range.end;
        // The cap may exceed what is left once `folding` is counted; the fold checks each
        // replication against the exact budget, so the kept prefix is the same.
        let events_cap = budget.events_left;
        let compute = |spares: Vec<ReplicationOutcome>| {
            if launch {
                run_batch(next..end, events_cap, spares)
            } else {
                Vec::new()
            }
        };
        let folded_any = !folding.is_empty();
        let (computed, stopped) = match pool {
            Some(pool) => {
                let spare = std::mem::take(&mut spares);
                let (computed, stopped) = pool.install(|| {
                    rayon::join(
                        || compute(spare),
                        || budget.fold(&folding, folded, flags, interruptible),
                    )
                });
                spares = folding;
                (computed, stopped)
            }
            // One thread: the fold first, then the next batch unless the fold stopped.
            None => {
                let stopped = budget.fold(&folding, folded, flags, interruptible);
                let computed = if stopped.is_none() {
                    compute(folding)
                } else {
                    Vec::new()
                };
                (computed, stopped)
            }
        };
        if stopped.is_some() {
            return stopped;
        }
        if folded_any {
            progress(next - range.start);
            if batch.enough(folded) {
                return None;
            }
        }
        if !launch {
            // Stopped with replications never started, or done.
            return if next < range.end { stop_now } else { None };
        }
        pending = computed;
        next = end;
    }
}

/// Events still allowed and events folded so far.
struct Budget {
    events_left: u64,
    events: u64,
}

impl Budget {
    /// Folds a batch in index order, each replication under every variant; stops at the
    /// first replication that did not complete within the budget under every variant, so
    /// a partial result is exactly the first k replications.
    fn fold(
        &mut self,
        outcomes: &[ReplicationOutcome],
        folded: &mut Folded,
        flags: Flags,
        interruptible: bool,
    ) -> Option<Stopped> {
        for replication in outcomes.chunks(folded.studies.len().max(1)) {
            // Ctrl-C ends the fold too while replications remain: folding a batch streams
            // its rows (`--csv`), which took over a second for a batch of a 1,000-node
            // year. The deadline does not: computed work is kept.
            if interruptible && flags.interrupted() {
                return Some(Stopped::Interrupted);
            }
            let complete = replication.iter().all(|outcome| outcome.complete);
            let events = replication
                .iter()
                .map(|outcome| outcome.events)
                .sum::<u64>();
            if !complete || events > self.events_left {
                // Ctrl-C or the deadline cut it short, unless it ran out of events first.
                let flagged = flags.raised();
                let out_of_events = events >= self.events_left;
                return Some(match flagged {
                    Some(reason) if !out_of_events => reason,
                    _ => Stopped::EventBudget,
                });
            }
            self.events_left -= events;
            self.events += events;
            for (variant, outcome) in replication.iter().enumerate() {
                folded.studies[variant].add(outcome);
                (folded.each)(variant, outcome);
            }
            folded.pairs.add(replication);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_replication_once() {
        let shards: Vec<Range<u64>> = (1..=3)
            .map(|i| Shard { index: i, count: 3 }.range(10))
            .collect();
        assert_eq!(shards, vec![0..3, 3..6, 6..10]);
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
    }

    #[test]
    fn a_thread_count_outside_1_to_max_is_refused_before_any_thread_starts() {
        let scenario = crate::compile::load_str(
            r#"{"horizon": "1h", "replications": 2,
                "topology": {"nodes": [{"id": "a"}, {"id": "b"}]},
                "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}]}"#,
            std::path::Path::new("t.json"),
        )
        .unwrap();
        let with_threads = |threads| RunOptions {
            threads: Some(threads),
            ..RunOptions::default()
        };
        for threads in [0, MAX_THREADS + 1] {
            let refused = run_study(&scenario, &with_threads(threads), |_| {}, |_| {});
            assert!(refused.is_err(), "{threads} threads");
        }
        let ran = run_study(&scenario, &with_threads(2), |_| {}, |_| {}).unwrap();
        assert_eq!(ran.study.done(), 2);
    }

    fn two_nodes(horizon: &str) -> CompiledScenario {
        crate::compile::load_str(
            &format!(
                r#"{{"horizon": "{horizon}", "replications": 32,
                    "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}]}},
                    "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"],
                                   "detection": {{"interval": "1s"}}}}],
                    "faults": {{"node_failures": [{{"nodes": ["a", "b"],
                        "ttf": {{"exp": {{"mean": "1h"}}}}, "ttr": {{"const": "10m"}}}}]}}}}"#
            ),
            std::path::Path::new("t.json"),
        )
        .unwrap()
    }

    /// A stop raised once every replication was computed used to throw the whole study
    /// away (4 of 4 replications done under --max-wall, exit 2, nothing written).
    #[test]
    fn a_stop_raised_after_the_last_replication_is_computed_discards_nothing() {
        let scenario = two_nodes("1h");
        let flag = Arc::new(AtomicBool::new(false));
        let options = RunOptions {
            threads: Some(1),
            interrupt: Some(flag.clone()),
            ..RunOptions::default()
        };
        // One thread: batches of 16, so the first progress report comes while the last
        // batch has been computed and waits to be folded.
        let run = run_study(
            &scenario,
            &options,
            |_| {},
            |_| flag.store(true, Ordering::SeqCst),
        )
        .unwrap();
        assert!(flag.load(Ordering::SeqCst));
        assert_eq!(run.stopped, None);
        assert_eq!(run.study.done(), 32);
    }

    /// --max-wall was read only between batches: one long replication ran 893 s past a
    /// 10 s budget. The deadline now stops a replication within a few thousand events.
    #[test]
    fn the_wall_budget_stops_a_replication_in_progress() {
        let scenario = two_nodes("100000d");
        let options = RunOptions {
            threads: Some(1),
            max_wall: Some(Duration::from_millis(200)),
            ..RunOptions::default()
        };
        let started = Instant::now();
        let run = run_study(&scenario, &options, |_| {}, |_| {}).unwrap();
        let took = started.elapsed();
        assert_eq!(run.stopped, Some(Stopped::WallBudget));
        assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    }
}
