//! A sparse log-linear histogram of nanosecond durations that merges exactly.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// log₂ of the number of sub-buckets per power of two: 2¹⁰ = 1024 sub-buckets.
const SUB_BUCKET_BITS: u32 = 10;

/// Durations in integer nanoseconds, bucketed for percentile estimates over many
/// replications.
///
/// # Precision
///
/// Buckets are log-linear: every value below 2¹¹ ns (2.048 µs) has its own bucket and is
/// reproduced exactly; a value v in [2ᵉ, 2ᵉ⁺¹) with e ≥ 11 shares a bucket of width
/// 2ᵉ⁻¹⁰, so a bucket is at most 2⁻¹⁰ (≈ 0.1%) of its lower bound wide. Quantiles report
/// the bucket's midpoint, which is within 2⁻¹¹ (≈ 0.05%) relative of the exact
/// nearest-rank sample (a [`capped`] histogram's, 2⁻¹¹⁺ˡᵉᵛᵉˡ at the level it collapsed
/// to). `count`, `min`, `max` and the sum behind [`mean_ns`] are exact.
///
/// # Merging
///
/// [`merge`] adds bucket counts and combines the exact totals, so merging shards in any
/// grouping or order yields identical state (equal under `==` and serialized to the
/// same bytes): replications can be recorded in parallel and folded in any order.
///
/// # Storage
///
/// A histogram of a few values (one replication's) stores its occupied buckets as
/// (bucket index, count) pairs sorted by index, plus the indices recorded since they were
/// last folded in (at most 4,096, or as many as the buckets); an empty histogram is a few
/// words and serializes as such. Once the pairs (and the pending indices a fold waits for) would take more memory than counts
/// by index in blocks of 128 buckets (a block allocated when a value first lands in it),
/// the histogram turns dense, so that a study's histograms stop growing once the body of
/// each distribution is filled: at most 56,320 counts of 8 bytes (440 KiB), whatever the
/// replications. Both forms hold the same counts, compare equal and serialize to the
/// same bytes. A [`capped`] histogram (a study of many services) never turns dense: it
/// keeps at most its cap of pairs, collapsing neighbouring buckets as it fills. The sum is a
/// `u128`, because summing many
/// long durations overflows `u64`; in JSON it is a plain integer that may exceed 2⁶⁴.
///
/// [`capped`]: DurationHistogram::capped
/// [`mean_ns`]: DurationHistogram::mean_ns
/// [`merge`]: DurationHistogram::merge
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Stored")]
pub struct DurationHistogram {
    /// Occupied buckets: bucket index → number of values recorded in it (never 0).
    buckets: Buckets,
    /// Number of values recorded.
    count: u64,
    /// Smallest value recorded; `u64::MAX` while empty (plain integers, not options: a
    /// record compares and stores, with no tag to test).
    min: u64,
    /// Largest value recorded; 0 while empty.
    max: u64,
    /// Exact sum of all values recorded.
    sum: u128,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        DurationHistogram {
            buckets: Buckets::default(),
            count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }
}

/// A histogram as stored (shard files): the extremes are null while it is empty; the
/// level and cap only of a capped histogram.
#[derive(Deserialize)]
struct Stored {
    buckets: Buckets,
    count: u64,
    min: Option<u64>,
    max: Option<u64>,
    sum: u128,
    #[serde(default)]
    level: u8,
    #[serde(default)]
    cap: Option<u32>,
}

impl TryFrom<Stored> for DurationHistogram {
    type Error = String;

    fn try_from(stored: Stored) -> Result<Self, String> {
        let Stored {
            mut buckets,
            count,
            min,
            max,
            sum,
            level,
            cap,
        } = stored;
        match cap {
            None if level > 0 => {
                return Err(format!(
                    "a histogram at level {level} without a cap: only a capped histogram \
                     collapses"
                ))
            }
            None => {}
            Some(cap) => {
                let last = bucket_index_at(u64::MAX, level.min(MAX_LEVEL));
                let pairs: Vec<(u32, u64)> = buckets.pairs().collect();
                if cap < MIN_CAP || level > MAX_LEVEL {
                    return Err(format!(
                        "a histogram capped at {cap} buckets at level {level}: a cap is at \
                         least {MIN_CAP} and a level at most {MAX_LEVEL}"
                    ));
                }
                if pairs.len() > cap as usize || pairs.iter().any(|&(index, _)| index > last) {
                    return Err(format!(
                        "a histogram capped at {cap} buckets holds {} at level {level}, the \
                         last index {}: at most {cap}, none beyond {last}",
                        pairs.len(),
                        pairs.last().map_or(0, |p| p.0)
                    ));
                }
                buckets = Buckets {
                    sorted: pairs,
                    level,
                    cap,
                    ..Buckets::default()
                };
            }
        }
        match (count, min, max) {
            (0, None, None) => Ok(DurationHistogram {
                buckets,
                ..DurationHistogram::default()
            }),
            (1.., Some(min), Some(max)) if min <= max => Ok(DurationHistogram {
                buckets,
                count,
                min,
                max,
                sum,
            }),
            _ => {
                let shown =
                    |extreme: Option<u64>| extreme.map_or("null".to_string(), |v| v.to_string());
                Err(format!(
                    "a histogram of {count} values with min {} and max {}: the extremes are \
                     null exactly when there are no values, and min ≤ max",
                    shown(min),
                    shown(max)
                ))
            }
        }
    }
}

impl Serialize for DurationHistogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let capped = self.buckets.cap != UNCAPPED;
        let buckets = self.buckets.folded_view();
        let fields = if capped { 7 } else { 5 };
        let mut stored = serializer.serialize_struct("DurationHistogram", fields)?;
        stored.serialize_field("buckets", &*buckets)?;
        stored.serialize_field("count", &self.count)?;
        stored.serialize_field("min", &self.min())?;
        stored.serialize_field("max", &self.max())?;
        stored.serialize_field("sum", &self.sum)?;
        if capped {
            stored.serialize_field("level", &buckets.level)?;
            stored.serialize_field("cap", &buckets.cap)?;
        }
        stored.end()
    }
}

impl DurationHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty histogram that keeps at most `cap` occupied buckets (at least 128, so
    /// that collapsing always ends: the coarsest level has 65 buckets). Once more are
    /// occupied, every two neighbouring buckets become one (a level coarser: the relative
    /// width of a bucket doubles), until `cap` hold them all. Memory then stays within `cap` buckets however many values come, and the
    /// level reached is the least at which all the values fit `cap` buckets, so capped
    /// histograms merge exactly in any grouping. Quantiles are within half a bucket's
    /// relative width at the level reached, 2⁻¹¹⁺ˡᵉᵛᵉˡ ([`Self::level`]).
    pub fn capped(cap: u32) -> Self {
        DurationHistogram {
            buckets: Buckets {
                cap: cap.max(MIN_CAP),
                ..Buckets::default()
            },
            ..DurationHistogram::default()
        }
    }

    /// The most buckets this histogram keeps, if capped (see [`Self::capped`]).
    pub fn cap(&self) -> Option<u32> {
        (self.buckets.cap != UNCAPPED).then_some(self.buckets.cap)
    }

    /// How many times the buckets have collapsed (0: the precision stated on the type);
    /// a quantile is within 2⁻¹¹⁺ˡᵉᵛᵉˡ relative of the exact one.
    pub fn level(&self) -> u8 {
        self.buckets.folded_view().level
    }

    /// Records one duration of `ns` nanoseconds.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.buckets.record(bucket_index_at(ns, self.buckets.level));
        self.count += 1;
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
    }

    /// Hints the cache to load where the next value recorded goes (see
    /// [`crate::core::prefetch`]).
    pub(crate) fn prefetch(&self) {
        let pending = &self.buckets.pending;
        crate::core::prefetch::prefetch_lines(pending.as_ptr().wrapping_add(pending.len()), 1);
    }

    /// Forgets every value, keeping the room for the next ones (a replication's histograms
    /// are reused by the next replication on the thread): equal to a new histogram.
    pub(crate) fn clear(&mut self) {
        self.buckets.sorted.clear();
        self.buckets.pending.clear();
        self.buckets.dense = None;
        self.buckets.level = 0;
        self.count = 0;
        self.min = u64::MAX;
        self.max = 0;
        self.sum = 0;
    }

    /// Adds every value recorded in `other` to `self`, as if each had been recorded here.
    pub fn merge(&mut self, other: &DurationHistogram) {
        // The cap comes along even from an empty histogram: a histogram is capped or not
        // whatever values its parts held, so that shards store what one run does.
        self.buckets.cap = self.buckets.cap.min(other.buckets.cap);
        if other.count == 0 {
            // Most of a replication's histograms are empty (no data loss, no success).
            return;
        }
        self.buckets.merge(&other.buckets);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// This histogram with every recorded value folded into its sorted buckets: read
    /// several quantiles of it, not of `self`, or each would fold them again.
    pub fn folded(&self) -> Cow<'_, DurationHistogram> {
        if self.buckets.pending.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut folded = self.clone();
        folded.buckets.fold_pending();
        Cow::Owned(folded)
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Smallest value recorded, exactly; `None` when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value recorded, exactly; `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Exact sum of the values recorded.
    pub fn sum_ns(&self) -> u128 {
        self.sum
    }

    /// Mean of the values recorded, from the exact sum (rounded once, to `f64`); `None`
    /// when empty.
    pub fn mean_ns(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The `q`-quantile by nearest rank: the value of rank ⌈q·count⌉ (at least 1) in
    /// sorted order. `None` when empty.
    ///
    /// Ranks 1 and `count` are the exact [`min`] and [`max`] (so `q = 0`, `q = 1`, and p99
    /// of fewer than 100 values are exact). Any other rank is reported as the midpoint of
    /// its bucket clamped to [`min`, `max`], within the precision stated on the type; the
    /// clamp makes a histogram of one repeated value return that value exactly.
    ///
    /// # Panics
    ///
    /// If `q` is not within [0, 1] (NaN included): quantile levels are fixed in the code.
    ///
    /// [`min`]: DurationHistogram::min
    /// [`max`]: DurationHistogram::max
    pub fn quantile_ns(&self, q: f64) -> Option<u64> {
        assert!((0.0..=1.0).contains(&q), "quantile {q} is outside [0, 1]");
        if self.is_empty() {
            return None;
        }
        let (min, max) = (self.min, self.max);
        let rank = nearest_rank(q, self.count);
        if rank == 1 {
            return Some(min);
        }
        if rank == self.count {
            return Some(max);
        }
        let mut seen = 0;
        let buckets = self.buckets.folded_view();
        for (index, count) in buckets.pairs() {
            seen += count;
            if seen >= rank {
                return Some(bucket_midpoint(index, buckets.level).clamp(min, max));
            }
        }
        // Only reachable if deserialized counts disagree with the buckets.
        Some(max)
    }
}

/// Bucket indices recorded one at a time wait unsorted until at least this many, and
/// as many as there are occupied buckets, have gathered; then they are sorted and folded
/// into the occupied buckets in one linear merge. Recording costs a push, not a search
/// and a shift of every larger bucket (which made a replication with thousands of
/// distinct durations quadratic), and a fold's linear cost is spread over as many
/// values as it moves.
///
/// A histogram recorded into (one replication's) lets up to [`RECORDED_PENDING_LIMIT`]
/// gather, so that a replication of a few thousand values never sorts: a study takes its
/// pending indices as they are. A histogram merged into (a study's, one per service and
/// statistic, however many services) folds from [`MERGED_PENDING_LIMIT`], so that its
/// pending indices never take much more memory than its buckets.
const RECORDED_PENDING_LIMIT: usize = 4096;
/// See [`RECORDED_PENDING_LIMIT`].
const MERGED_PENDING_LIMIT: usize = 256;

/// Occupied buckets as (index, count) pairs sorted by index, plus the indices recorded
/// since they were last folded in; or, once that takes more memory than counts by index,
/// [`Dense`] counts. A histogram of one replication holds a handful, so sorted vectors
/// record and merge several times faster than a tree map, with no node per entry; a
/// study's histogram fills the body of its distribution, where counts by index take half
/// the memory of pairs and no vector regrows. Two `Buckets` are equal when they hold the
/// same counts, in whichever form and however much of them is still pending. Serialized as
/// a map from index to count, as it always was.
#[derive(Debug, Clone)]
struct Buckets {
    /// Occupied buckets, sorted by index; no count is 0. Empty once dense.
    sorted: Vec<(u32, u64)>,
    /// Indices recorded or merged since the last fold, in recording order (at most
    /// [`RECORDED_PENDING_LIMIT`] or as many as there are sorted buckets, fewer in a
    /// histogram merged into). Empty once dense.
    pending: Vec<u32>,
    /// Counts by index, once the histogram has turned dense (never when capped).
    dense: Option<Dense>,
    /// The collapse level of the indices (0: full precision; see
    /// [`DurationHistogram::capped`]).
    level: u8,
    /// The most occupied buckets a fold may leave; [`UNCAPPED`] for no limit.
    cap: u32,
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets {
            sorted: Vec::new(),
            pending: Vec::new(),
            dense: None,
            level: 0,
            cap: UNCAPPED,
        }
    }
}

/// No limit on a histogram's occupied buckets.
const UNCAPPED: u32 = u32::MAX;

/// The least cap: at the coarsest level (one bucket per power of two, [`MAX_LEVEL`]) no
/// histogram occupies more than 65 buckets, so collapsing always ends below this.
const MIN_CAP: u32 = 128;

/// The coarsest collapse level: one bucket per power of two.
const MAX_LEVEL: u8 = SUB_BUCKET_BITS as u8;

impl Buckets {
    /// Counts one value in bucket `index`.
    #[inline]
    fn record(&mut self, index: u32) {
        if self.dense.is_none()
            && self.pending.len() < self.pending.capacity()
            && self.pending.len() < RECORDED_PENDING_LIMIT.max(self.sorted.len())
        {
            // The usual case, kept small enough to inline: room for one more pending.
            self.pending.push(index);
        } else {
            self.record_otherwise(index);
        }
    }

    /// [`Buckets::record`] when dense, or when the pending indices need room or a fold.
    #[cold]
    #[inline(never)]
    fn record_otherwise(&mut self, index: u32) {
        if let Some(dense) = &mut self.dense {
            dense.add(index, 1);
            return;
        }
        if self.pending.len() >= RECORDED_PENDING_LIMIT.max(self.sorted.len()) {
            let level = self.level;
            self.fold_pending();
            if let Some(dense) = &mut self.dense {
                dense.add(index, 1);
                return;
            }
            // The fold may have collapsed a capped histogram: `index` is of the old level.
            self.pending.push(coarsened(index, level, self.level));
            return;
        } else if self.pending.capacity() == 0 {
            // One allocation for a replication's first few values, not three growths.
            self.pending.reserve_exact(16);
        }
        self.pending.push(index);
    }

    /// Folds the pending indices into the sorted buckets, and turns dense if that is now
    /// the smaller form.
    fn fold_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        sort_indices(&mut self.pending);
        let runs = self
            .pending
            .chunk_by(|a, b| a == b)
            .map(|run| (run[0], run.len() as u64));
        self.sorted = merged(&self.sorted, runs);
        self.pending.clear();
        self.collapse_to_cap();
        self.densify_if_smaller();
    }

    /// Collapses the sorted buckets level by level until at most `cap` are occupied: the
    /// level is then the least at which all values counted fit in `cap` buckets, whatever
    /// the order and grouping they came in (a level is only raised when the values counted
    /// so far, a part of all, occupy more than `cap` at the level below), so capped
    /// histograms still merge exactly.
    fn collapse_to_cap(&mut self) {
        while self.sorted.len() > self.cap as usize && self.level < MAX_LEVEL {
            self.raise_level(self.level + 1);
        }
    }

    /// Re-counts the sorted buckets at the coarser level `to` (pending indices folded
    /// first, as they are at the current level).
    fn raise_level(&mut self, to: u8) {
        debug_assert!(self.dense.is_none() && to > self.level);
        if !self.pending.is_empty() {
            // Folding may collapse the buckets already; raise from wherever it left them.
            self.fold_pending();
            if self.level >= to {
                return;
            }
        }
        let from = self.level;
        let mut out: Vec<(u32, u64)> = Vec::with_capacity(self.sorted.len());
        for &(index, count) in &self.sorted {
            let index = coarsened(index, from, to);
            match out.last_mut() {
                Some((last, total)) if *last == index => *total += count,
                _ => out.push((index, count)),
            }
        }
        self.sorted = out;
        self.level = to;
    }

    /// Adds `count` values in bucket `index` to the sorted buckets.
    fn add(&mut self, index: u32, count: u64) {
        match self.sorted.binary_search_by_key(&index, |&(i, _)| i) {
            Ok(at) => self.sorted[at].1 += count,
            Err(at) => self.sorted.insert(at, (index, count)),
        }
    }

    /// Adds `other`'s counts (the caller has taken the smaller cap of the two).
    fn merge(&mut self, other: &Buckets) {
        if self.cap != UNCAPPED {
            self.merge_capped(other);
            return;
        }
        if other.dense.is_some() {
            self.densify();
        }
        match (&mut self.dense, &other.dense) {
            (Some(dense), Some(other)) => dense.merge(other),
            (Some(dense), None) => {
                for &(index, count) in &other.sorted {
                    dense.add(index, count);
                }
            }
            (None, _) if self.sorted.is_empty() => self.sorted.clone_from(&other.sorted),
            (None, _) if other.sorted.len() * 8 <= self.sorted.len() || other.sorted.len() <= 4 => {
                // A few buckets mostly land on buckets already here: a binary search and
                // an increment each, cheaper than rebuilding the vector.
                for &(index, count) in &other.sorted {
                    self.add(index, count);
                }
            }
            (None, _) => {
                self.sorted = merged(&self.sorted, other.sorted.iter().copied());
                self.densify_if_smaller();
            }
        }
        self.take_pending(&other.pending);
    }

    /// [`Buckets::merge`] when either side is capped: both brought to the coarser level
    /// (an uncapped dense histogram turned capped here leaves the dense form).
    fn merge_capped(&mut self, other: &Buckets) {
        if let Some(dense) = self.dense.take() {
            self.sorted = dense.occupied().collect();
        }
        if other.level > self.level {
            self.raise_level(other.level);
        }
        // Pending indices, like the others, are at their histogram's level.
        let (from, to) = (other.level, self.level);
        // A replication's histogram holds pending indices only: no pairs to merge.
        let rebuilt = !other.sorted.is_empty() || other.dense.is_some();
        if rebuilt {
            let mut theirs: Vec<(u32, u64)> = Vec::new();
            for (index, count) in other.pairs() {
                let index = coarsened(index, from, to);
                match theirs.last_mut() {
                    Some((last, total)) if *last == index => *total += count,
                    _ => theirs.push((index, count)),
                }
            }
            self.sorted = merged(&self.sorted, theirs.into_iter());
        }
        (self.pending).extend(
            other
                .pending
                .iter()
                .map(|&index| coarsened(index, from, to)),
        );
        // At most as many pending as the cap allows buckets: memory within the cap.
        if rebuilt || self.pending.len() >= MERGED_PENDING_LIMIT.min(self.cap as usize) {
            self.fold_pending();
        }
        self.collapse_to_cap();
    }

    /// Counts `pending` indices merged in from another histogram (a dense one has none).
    fn take_pending(&mut self, pending: &[u32]) {
        if let Some(dense) = &mut self.dense {
            for &index in pending {
                dense.add(index, 1);
            }
            return;
        }
        // Pending indices are counted like recorded ones, and folded the same way.
        self.pending.extend_from_slice(pending);
        let limit = MERGED_PENDING_LIMIT.max(self.sorted.len());
        if self.pending.len() >= limit {
            self.fold_pending();
            if self.pending.capacity() > 2 * limit {
                // One long replication's values passed through: keep no room for them.
                self.pending = Vec::new();
            }
        }
    }

    /// Turns dense when the sorted pairs, with the room for as many pending indices as a
    /// fold waits for, take at least the memory the dense form would. Dense counts are
    /// also the cheaper to merge into (an increment per value, no sort and no rebuild).
    fn densify_if_smaller(&mut self) {
        if self.cap != UNCAPPED {
            // A capped histogram is small by its cap; its collapse works on pairs.
            return;
        }
        let sparse_bytes = self.sorted.len() * (PAIR_BYTES + PENDING_BYTES);
        // Fewer pairs than one block's worth of memory cannot be larger.
        if sparse_bytes < Dense::TABLE_BYTES + Dense::BLOCK_BYTES {
            return;
        }
        let blocks = self
            .sorted
            .chunk_by(|a, b| a.0 >> BLOCK_BITS == b.0 >> BLOCK_BITS)
            .count();
        if sparse_bytes >= Dense::TABLE_BYTES + blocks * Dense::BLOCK_BYTES {
            self.densify();
        }
    }

    /// Moves every count into the dense form (nothing if already there).
    fn densify(&mut self) {
        if self.dense.is_some() {
            return;
        }
        let mut dense = Dense::new();
        for &(index, count) in &self.sorted {
            dense.add(index, count);
        }
        for &index in &self.pending {
            dense.add(index, 1);
        }
        self.sorted = Vec::new();
        self.pending = Vec::new();
        self.dense = Some(dense);
    }

    /// These buckets with their pending indices folded in (a copy, if any are pending):
    /// a capped copy may be at a coarser level than `self`, so read its level with its
    /// [`Buckets::pairs`].
    fn folded_view(&self) -> Cow<'_, Buckets> {
        if self.pending.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut folded = self.clone();
        folded.fold_pending();
        Cow::Owned(folded)
    }

    /// Every folded bucket with its count, in index order (pending indices not included:
    /// see [`Buckets::folded_view`]).
    fn pairs(&self) -> Box<dyn Iterator<Item = (u32, u64)> + '_> {
        match &self.dense {
            Some(dense) => Box::new(dense.occupied()),
            None => Box::new(self.sorted.iter().copied()),
        }
    }
}

/// Memory of one sorted (index, count) pair, padding included.
const PAIR_BYTES: usize = std::mem::size_of::<(u32, u64)>();
/// Memory of one pending index.
const PENDING_BYTES: usize = std::mem::size_of::<u32>();

/// log₂ of the buckets per dense block.
const BLOCK_BITS: u32 = 7;
/// Buckets per dense block.
const BLOCK_LEN: usize = 1 << BLOCK_BITS;
/// Bucket indices: 0 to that of `u64::MAX` (56,319).
const BUCKET_COUNT: usize = 56_320;

/// Counts by bucket index in blocks of [`BLOCK_LEN`], a block allocated when a value
/// first lands in it: a table of 440 block pointers (3.5 KiB) and 1 KiB per block used.
#[derive(Debug, Clone)]
struct Dense {
    blocks: Vec<Option<Box<[u64; BLOCK_LEN]>>>,
}

impl Dense {
    /// Memory of the block table.
    const TABLE_BYTES: usize = BUCKET_COUNT / BLOCK_LEN * std::mem::size_of::<usize>();
    /// Memory of one block.
    const BLOCK_BYTES: usize = BLOCK_LEN * std::mem::size_of::<u64>();

    fn new() -> Self {
        Dense {
            blocks: vec![None; BUCKET_COUNT / BLOCK_LEN],
        }
    }

    /// Adds `count` values in bucket `index`.
    fn add(&mut self, index: u32, count: u64) {
        let index = index as usize;
        let block =
            self.blocks[index >> BLOCK_BITS].get_or_insert_with(|| Box::new([0; BLOCK_LEN]));
        block[index & (BLOCK_LEN - 1)] += count;
    }

    /// Adds every count of `other`.
    fn merge(&mut self, other: &Dense) {
        for (into, from) in self.blocks.iter_mut().zip(&other.blocks) {
            if let Some(from) = from {
                let into = into.get_or_insert_with(|| Box::new([0; BLOCK_LEN]));
                for (into, from) in into.iter_mut().zip(from.iter()) {
                    *into += from;
                }
            }
        }
    }

    /// Every non-zero count with its index, in index order.
    fn occupied(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.blocks
            .iter()
            .enumerate()
            .filter_map(|(at, block)| Some((at << BLOCK_BITS, block.as_deref()?)))
            .flat_map(|(first, block)| {
                block
                    .iter()
                    .enumerate()
                    .filter(|&(_, &count)| count > 0)
                    .map(move |(offset, &count)| ((first + offset) as u32, count))
            })
    }
}

/// Up to this many pending indices sort faster by comparison than by counting.
const COMPARISON_SORT_MAX: usize = 96;

/// Sorts bucket indices (all below 2¹⁶) by two counting passes over a byte each: a
/// fold sorts hundreds of them at a time, where this is several times cheaper than a
/// comparison sort. A few dozen (a summary folding what one service's last replications
/// left pending) sort faster by comparison: each pass clears and sums 257 counters.
fn sort_indices(indices: &mut Vec<u32>) {
    if indices.len() <= COMPARISON_SORT_MAX {
        indices.sort_unstable();
        return;
    }
    debug_assert!(indices.iter().all(|&i| i < 1 << 16));
    let mut scratch = vec![0_u32; indices.len()];
    for shift in [0, 8] {
        let digit = |index: u32| ((index >> shift) & 0xff) as usize;
        let mut starts = [0_usize; 257];
        for &index in indices.iter() {
            starts[digit(index) + 1] += 1;
        }
        for d in 1..starts.len() {
            starts[d] += starts[d - 1];
        }
        for &index in indices.iter() {
            let slot = &mut starts[digit(index)];
            scratch[*slot] = index;
            *slot += 1;
        }
        std::mem::swap(indices, &mut scratch);
    }
}

/// The sorted (index, count) pairs of `a` and `b` together, counts of equal indices
/// added.
fn merged(a: &[(u32, u64)], b: impl Iterator<Item = (u32, u64)>) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.size_hint().0);
    let mut a = a.iter().copied().peekable();
    for (index, count) in b {
        while let Some(&(i, c)) = a.peek() {
            if i >= index {
                break;
            }
            out.push((i, c));
            a.next();
        }
        match a.peek() {
            Some(&(i, c)) if i == index => {
                out.push((index, count + c));
                a.next();
            }
            _ => out.push((index, count)),
        }
    }
    out.extend(a);
    out
}

impl PartialEq for Buckets {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.folded_view(), other.folded_view());
        (a.cap, a.level) == (b.cap, b.level) && a.pairs().eq(b.pairs())
    }
}

impl Eq for Buckets {}

impl Serialize for Buckets {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let folded = self.folded_view();
        let mut map = serializer.serialize_map(Some(folded.pairs().count()))?;
        for (index, count) in folded.pairs() {
            map.serialize_entry(&index, &count)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Buckets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<u32, u64>::deserialize(deserializer)?;
        if let Some((&index, _)) = map.range(BUCKET_COUNT as u32..).next() {
            return Err(serde::de::Error::custom(format!(
                "bucket {index} is beyond the last bucket ({})",
                BUCKET_COUNT - 1
            )));
        }
        let mut buckets = Buckets {
            // A bucket counted 0 times is not occupied.
            sorted: map.into_iter().filter(|&(_, count)| count > 0).collect(),
            ..Buckets::default()
        };
        buckets.densify_if_smaller();
        Ok(buckets)
    }
}

/// The 1-based nearest rank ⌈q·n⌉ of the `q`-quantile among `n ≥ 1` values, at least 1.
///
/// A product that lands within a few ulps of an integer is taken as that integer, so
/// that 0.07 · 100 (= 7.000000000000001 in `f64`) is rank 7 and not 8.
pub fn nearest_rank(q: f64, n: u64) -> u64 {
    let exact = q * n as f64;
    let nearest = exact.round();
    let rank = if (exact - nearest).abs() <= 4.0 * f64::EPSILON * exact {
        nearest
    } else {
        exact.ceil()
    };
    (rank as u64).clamp(1, n)
}

/// The bucket that holds `ns` at collapse level `level` (see [`DurationHistogram::capped`]):
/// the buckets of [`bucket_index`] with 10 − `level` sub-bucket bits instead of 10, so
/// that each bucket of a level lies within one bucket of the next (two sub-buckets
/// become one, and the exact values pair up from the top of the exact range down).
fn bucket_index_at(ns: u64, level: u8) -> u32 {
    if level == 0 {
        // The usual case, with the shifts constant.
        return bucket_index(ns);
    }
    index_with_sub_bucket_bits(ns, SUB_BUCKET_BITS - u32::from(level))
}

/// The bucket of `ns` among log-linear buckets of `bits` sub-bucket bits: `ns` itself below
/// 2^(bits + 1), else its top bits + 1 bits placed after all smaller powers of two.
#[inline(always)]
fn index_with_sub_bucket_bits(ns: u64, bits: u32) -> u32 {
    if ns < 2 << bits {
        return ns as u32;
    }
    let exponent = 63 - ns.leading_zeros();
    let shift = exponent - bits;
    let sub_bucket = (ns >> shift) & ((1 << bits) - 1);
    ((exponent - bits + 1) << bits) | sub_bucket as u32
}

/// The smallest value in bucket `index` of level `level` and the bucket's width.
fn bucket_bounds_at(index: u32, level: u8) -> (u64, u64) {
    let bits = SUB_BUCKET_BITS - u32::from(level);
    let index = u64::from(index);
    if index < 2 << bits {
        return (index, 1);
    }
    let shift = (index >> bits) - 1;
    let sub_bucket = index & ((1 << bits) - 1);
    (((1 << bits) | sub_bucket) << shift, 1 << shift)
}

/// The bucket that holds `ns`.
///
/// Below 2¹¹ = 2048 the index is the value itself. Above it, with e = ⌊log₂ ns⌋,
/// the bucket is the top 11 bits of `ns` (the leading 1 and 10 sub-bucket bits) placed
/// after the buckets of all smaller powers of two. The two rules meet without a gap at
/// 2048, and the largest index, for `u64::MAX`, is 56,319.
fn bucket_index(ns: u64) -> u32 {
    index_with_sub_bucket_bits(ns, SUB_BUCKET_BITS)
}

/// The middle of bucket `index` of level `level`, rounded down to whole nanoseconds.
fn bucket_midpoint(index: u32, level: u8) -> u64 {
    let (low, width) = bucket_bounds_at(index, level);
    low + (width - 1) / 2
}

/// Bucket `index` of level `from` as a bucket of the coarser level `to`.
fn coarsened(index: u32, from: u8, to: u8) -> u32 {
    if from == to {
        return index;
    }
    bucket_index_at(bucket_bounds_at(index, from).0, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sub-buckets per power of two at full precision.
    const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
    /// Values below this (2¹¹ = 2048 ns) get a bucket of their own.
    const EXACT_LIMIT: u64 = 2 * SUB_BUCKETS;
    use proptest::prelude::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn histogram_of(values: &[u64]) -> DurationHistogram {
        let mut histogram = DurationHistogram::new();
        for &v in values {
            histogram.record(v);
        }
        histogram
    }

    /// Exact nearest-rank quantile of `values`, with the same rank rule as the histogram.
    fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
        sorted[nearest_rank(q, sorted.len() as u64) as usize - 1]
    }

    #[test]
    fn empty_histogram_reports_nothing() {
        let h = DurationHistogram::new();
        assert!(h.is_empty());
        assert_eq!(h.count(), 0);
        assert_eq!((h.min(), h.max(), h.mean_ns()), (None, None, None));
        assert_eq!(h.quantile_ns(0.5), None);
        assert_eq!(h, DurationHistogram::default());
    }

    #[test]
    fn bucket_indices_sort_like_a_comparison_sort() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut indices: Vec<u32> = (0..1000)
            .map(|_| {
                let shift = rng.random_range(0..64);
                bucket_index(rng.random_range(0..u64::MAX >> shift))
            })
            .collect();
        let mut expected = indices.clone();
        expected.sort_unstable();
        sort_indices(&mut indices);
        assert_eq!(indices, expected);
    }

    #[test]
    fn values_below_2048_are_exact() {
        for v in 0..EXACT_LIMIT {
            assert_eq!(bucket_bounds_at(bucket_index(v), 0), (v, 1));
            let h = histogram_of(&[v, v + 5_000]);
            assert_eq!(h.quantile_ns(0.5), Some(v));
        }
    }

    #[test]
    fn bucket_indices_are_contiguous_and_ordered() {
        // Every index from 0 to the last one is the bucket of its own lower bound, and
        // the next bucket starts right after this one ends.
        let last = bucket_index(u64::MAX);
        assert_eq!(last, 56_319);
        for index in 0..last {
            let (low, width) = bucket_bounds_at(index, 0);
            assert_eq!(bucket_index(low), index);
            assert_eq!(bucket_index(low + (width - 1)), index);
            assert_eq!(bucket_bounds_at(index + 1, 0).0, low + width);
        }
        let (low, width) = bucket_bounds_at(last, 0);
        assert_eq!(low.checked_add(width - 1), Some(u64::MAX));
    }

    #[test]
    fn bucket_width_is_at_most_2_pow_minus_10_of_its_lower_bound() {
        for index in (EXACT_LIMIT as u32)..=bucket_index(u64::MAX) {
            let (low, width) = bucket_bounds_at(index, 0);
            assert!(
                width * SUB_BUCKETS <= low,
                "bucket {index}: [{low}, +{width})"
            );
        }
    }

    #[test]
    fn one_repeated_value_is_reported_exactly() {
        for v in [0, 1, 2047, 2048, 1_000_003, 86_400_000_000_007, u64::MAX] {
            let h = histogram_of(&[v; 7]);
            for q in [0.0, 0.01, 0.5, 0.99, 1.0] {
                assert_eq!(h.quantile_ns(q), Some(v), "value {v}, q {q}");
            }
            assert_eq!((h.min(), h.max()), (Some(v), Some(v)));
        }
    }

    #[test]
    fn extreme_quantiles_are_the_exact_extremes() {
        let h = histogram_of(&[123_456_789, 5_000, 987_654_321_001, 42_424_242]);
        assert_eq!(h.quantile_ns(0.0), Some(5_000));
        assert_eq!(h.quantile_ns(1.0), Some(987_654_321_001));
        // Rank ⌈0.99 · 4⌉ = 4 is the largest value, reported exactly.
        assert_eq!(h.quantile_ns(0.99), Some(987_654_321_001));
        // Rank 2 is 42,424,242, inside a bucket 2¹⁵ wide: the midpoint is reported.
        let (low, width) = bucket_bounds_at(bucket_index(42_424_242), 0);
        assert_eq!(h.quantile_ns(0.5), Some(low + (width - 1) / 2));
    }

    #[test]
    fn nearest_rank_follows_the_ceiling_rule() {
        assert_eq!(nearest_rank(0.0, 10), 1);
        assert_eq!(nearest_rank(0.5, 10), 5);
        assert_eq!(nearest_rank(0.51, 10), 6);
        assert_eq!(nearest_rank(0.5, 3), 2);
        assert_eq!(nearest_rank(1.0, 10), 10);
        assert_eq!(nearest_rank(0.99, 1), 1);
    }

    #[test]
    fn nearest_rank_ignores_rounding_noise_in_q_times_n() {
        let (q, n) = (0.07, 100_u64);
        assert!(
            q * n as f64 > 7.0,
            "premise: the product rounds to just above 7"
        );

        assert_eq!(nearest_rank(0.07, 100), 7);
        for percent in 1..=100 {
            assert_eq!(nearest_rank(percent as f64 / 100.0, 100), percent);
            assert_eq!(
                nearest_rank(percent as f64 / 100.0, 100_000),
                percent * 1000
            );
        }
    }

    #[test]
    fn mean_uses_the_exact_sum_even_beyond_u64() {
        let h = histogram_of(&[u64::MAX, u64::MAX, 1]);
        let exact = (2.0 * u64::MAX as f64 + 1.0) / 3.0;
        assert_eq!(h.mean_ns(), Some(exact));
        assert_eq!(histogram_of(&[1, 2, 3, 4]).mean_ns(), Some(2.5));
    }

    #[test]
    fn quantiles_of_uniform_data_are_within_the_stated_precision() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
        let mut values: Vec<u64> = (0..100_000)
            .map(|_| rng.random_range(0..3_600_000_000_000))
            .collect();
        let h = histogram_of(&values);
        values.sort_unstable();
        for q in [0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0] {
            let exact = exact_quantile(&values, q);
            let estimate = h.quantile_ns(q).unwrap();
            let error = exact.abs_diff(estimate) as f64;
            assert!(
                error <= exact as f64 / 2048.0,
                "q {q}: estimate {estimate} vs exact {exact}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "outside [0, 1]")]
    fn quantile_level_above_one_is_a_bug() {
        histogram_of(&[1]).quantile_ns(1.5);
    }

    #[test]
    fn round_trips_exactly_through_json() {
        let h = histogram_of(&[0, 7, 7, 4096, 1_000_000_000, u64::MAX, u64::MAX]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<DurationHistogram>(&json).unwrap(), h);
    }

    #[test]
    fn empty_histogram_serializes_compactly() {
        let json = serde_json::to_string(&DurationHistogram::new()).unwrap();
        assert_eq!(
            json,
            r#"{"buckets":{},"count":0,"min":null,"max":null,"sum":0}"#
        );
    }

    /// A body of eight octaves (2²⁸ to 2³⁶ ns), where many values share a bucket, and one
    /// value in 10⁴ anywhere in the `u64` range: a study's histogram, which turns dense
    /// from some tens of thousands of values.
    fn spread_values(count: usize, seed: u64) -> Vec<u64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..count)
            .map(|i| {
                if i % 10_000 == 0 {
                    let shift = rng.random_range(0..64);
                    rng.random_range(0..u64::MAX >> shift)
                } else {
                    rng.random_range(1 << 28..1 << 36)
                }
            })
            .collect()
    }

    /// The counts by bucket and the quantile a plain sorted map of the buckets gives.
    fn reference(values: &[u64]) -> (Vec<(u32, u64)>, impl Fn(f64) -> u64) {
        let mut counts = BTreeMap::new();
        for &v in values {
            *counts.entry(bucket_index(v)).or_insert(0_u64) += 1;
        }
        let occupied: Vec<(u32, u64)> = counts.into_iter().collect();
        let (min, max) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
        let n = values.len() as u64;
        let buckets = occupied.clone();
        let quantile = move |q: f64| {
            let rank = nearest_rank(q, n);
            if rank == 1 {
                return min;
            }
            if rank == n {
                return max;
            }
            let mut seen = 0;
            let (index, _) = buckets
                .iter()
                .find(|&&(_, count)| {
                    seen += count;
                    seen >= rank
                })
                .unwrap();
            bucket_midpoint(*index, 0).clamp(min, max)
        };
        (occupied, quantile)
    }

    #[test]
    fn one_replication_stays_sparse_and_a_study_turns_dense_with_the_same_counts() {
        assert!(histogram_of(&spread_values(50, 1)).buckets.dense.is_none());
        let values = spread_values(100_000, 2);
        let h = histogram_of(&values);
        assert!(h.buckets.dense.is_some());
        let (occupied, quantile) = reference(&values);
        assert_eq!(
            h.buckets.folded_view().pairs().collect::<Vec<_>>(),
            occupied
        );
        for q in [0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(h.quantile_ns(q), Some(quantile(q)), "q {q}");
        }
    }

    #[test]
    fn dense_and_sparse_forms_merge_compare_and_serialize_alike() {
        let (small, large) = (spread_values(300, 3), spread_values(100_000, 4));
        let all: Vec<u64> = small.iter().chain(&large).copied().collect();
        let whole = histogram_of(&all);
        let (sparse, dense) = (histogram_of(&small), histogram_of(&large));
        assert!(sparse.buckets.dense.is_none() && dense.buckets.dense.is_some());
        let mut sparse_then_dense = sparse.clone();
        sparse_then_dense.merge(&dense);
        let mut dense_then_sparse = dense.clone();
        dense_then_sparse.merge(&sparse);
        // One replication at a time, as a study folds them.
        let mut one_by_one = dense.clone();
        for chunk in small.chunks(3) {
            one_by_one.merge(&histogram_of(chunk));
        }
        let json = serde_json::to_string(&whole).unwrap();
        let (occupied, _) = reference(&all);
        let sparse_json = serde_json::to_string(&BTreeMap::from_iter(occupied)).unwrap();
        assert!(
            json.contains(&sparse_json),
            "buckets serialize as index → count"
        );
        for merged in [&sparse_then_dense, &dense_then_sparse, &one_by_one] {
            assert_eq!(merged, &whole);
            assert_eq!(serde_json::to_string(merged).unwrap(), json);
        }
        let read: DurationHistogram = serde_json::from_str(&json).unwrap();
        assert!(read.buckets.dense.is_some());
        assert_eq!(read, whole);
        assert_eq!(serde_json::to_string(&read).unwrap(), json);
    }

    #[test]
    fn a_bucket_beyond_the_last_is_refused_on_reading() {
        let json = r#"{"buckets":{"56320":1},"count":1,"min":0,"max":0,"sum":0}"#;
        let error = serde_json::from_str::<DurationHistogram>(json).unwrap_err();
        assert!(
            error.to_string().contains("beyond the last bucket"),
            "{error}"
        );
    }

    #[test]
    fn extremes_that_disagree_with_the_count_are_refused_on_reading() {
        let empty = r#"{"buckets":{},"count":0,"min":null,"max":null,"sum":0}"#;
        let read: DurationHistogram = serde_json::from_str(empty).unwrap();
        assert_eq!(read, DurationHistogram::new());
        assert_eq!(serde_json::to_string(&read).unwrap(), empty);
        for json in [
            r#"{"buckets":{},"count":0,"min":3,"max":3,"sum":0}"#,
            r#"{"buckets":{"3":1},"count":1,"min":null,"max":3,"sum":3}"#,
            r#"{"buckets":{"3":2},"count":2,"min":4,"max":3,"sum":7}"#,
        ] {
            let error = serde_json::from_str::<DurationHistogram>(json).unwrap_err();
            assert!(
                error.to_string().contains("extremes are null exactly"),
                "{error}"
            );
        }
    }

    /// The least level at which `values` occupy at most `cap` buckets.
    fn least_level(values: &[u64], cap: usize) -> u8 {
        (0..=MAX_LEVEL)
            .find(|&level| {
                let mut indices: Vec<u32> =
                    values.iter().map(|&v| bucket_index_at(v, level)).collect();
                indices.sort_unstable();
                indices.dedup();
                indices.len() <= cap
            })
            .expect("the coarsest level fits any values in 128 buckets")
    }

    #[test]
    fn each_bucket_of_a_level_lies_within_one_bucket_of_the_next() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..20_000 {
            let shift = rng.random_range(0..64);
            let v = rng.random_range(0..u64::MAX >> shift);
            for level in 0..MAX_LEVEL {
                let index = bucket_index_at(v, level);
                let (low, width) = bucket_bounds_at(index, level);
                assert!(low <= v && v - low < width, "{v} at level {level}");
                assert!(
                    width == 1 || width <= low >> (10 - level),
                    "{v} at level {level}"
                );
                // The whole bucket maps into the bucket of the next level that holds v.
                let next = bucket_index_at(v, level + 1);
                assert_eq!(coarsened(index, level, level + 1), next);
                assert_eq!(bucket_index_at(low + (width - 1), level + 1), next);
            }
        }
        assert_eq!(bucket_index_at(u64::MAX, MAX_LEVEL), 64);
    }

    #[test]
    fn a_capped_histogram_collapses_to_the_least_level_that_fits_and_keeps_its_totals() {
        let values = spread_values(20_000, 9);
        let mut capped = DurationHistogram::capped(200);
        for &v in &values {
            capped.record(v);
        }
        let level = least_level(&values, 200);
        assert!(level > 0, "the values must need collapsing");
        assert_eq!(capped.level(), level);
        let whole = histogram_of(&values);
        assert_eq!(
            (capped.count(), capped.min(), capped.max(), capped.sum_ns()),
            (whole.count(), whole.min(), whole.max(), whole.sum_ns())
        );
        assert!(capped.folded().buckets.sorted.len() <= 200);
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let bound = 0.5f64.powi(11 - i32::from(level));
        for q in [0.01, 0.1, 0.5, 0.9, 0.99, 0.999] {
            let exact = exact_quantile(&sorted, q);
            let estimate = capped.quantile_ns(q).unwrap();
            assert!(
                exact.abs_diff(estimate) as f64 <= exact as f64 * bound,
                "q {q}: {estimate} against {exact} at level {level}"
            );
        }
        // Stored with its level and cap, read back equal, written again alike.
        let json = serde_json::to_string(&capped).unwrap();
        assert!(
            json.ends_with(&format!(r#""level":{level},"cap":200}}"#)),
            "{json}"
        );
        let read: DurationHistogram = serde_json::from_str(&json).unwrap();
        assert_eq!(read, capped);
        assert_eq!(serde_json::to_string(&read).unwrap(), json);
        // A histogram that never needed its cap stays exact, and differs from an uncapped
        // one only in what it stores.
        let few = [5_000_000_000, 7_000_000_000, 5_000_000_000];
        let mut small = DurationHistogram::capped(200);
        for v in few {
            small.record(v);
        }
        assert_eq!(small.level(), 0);
        assert_eq!(small.quantile_ns(0.5), histogram_of(&few).quantile_ns(0.5));
    }

    #[test]
    fn a_capped_histogram_read_back_must_keep_to_its_cap_and_level() {
        for (json, says) in [
            (
                r#"{"buckets":{"3":1},"count":1,"min":3,"max":3,"sum":3,"level":2}"#,
                "without a cap",
            ),
            (
                r#"{"buckets":{"3":1},"count":1,"min":3,"max":3,"sum":3,"level":0,"cap":5}"#,
                "a cap is at least 128",
            ),
            (
                r#"{"buckets":{"3":1},"count":1,"min":3,"max":3,"sum":3,"level":11,"cap":200}"#,
                "a level at most 10",
            ),
            (
                r#"{"buckets":{"65":1},"count":1,"min":3,"max":3,"sum":3,"level":10,"cap":200}"#,
                "none beyond 64",
            ),
        ] {
            let error = serde_json::from_str::<DurationHistogram>(json).unwrap_err();
            assert!(error.to_string().contains(says), "{error}");
        }
    }

    proptest! {
        #[test]
        fn midpoint_is_within_2_pow_minus_11_of_any_value_in_the_bucket(v in any::<u64>()) {
            let (low, width) = bucket_bounds_at(bucket_index(v), 0);
            prop_assert!(low <= v && v - low < width);
            let error = bucket_midpoint(bucket_index(v), 0).abs_diff(v);
            if v < EXACT_LIMIT {
                prop_assert_eq!(error, 0);
            } else {
                prop_assert!(error as f64 <= v as f64 / 2048.0);
            }
        }

        #[test]
        fn totals_are_exact(values in prop::collection::vec(any::<u64>(), 1..50)) {
            let h = histogram_of(&values);
            prop_assert_eq!(h.count(), values.len() as u64);
            prop_assert_eq!(h.min(), values.iter().copied().min());
            prop_assert_eq!(h.max(), values.iter().copied().max());
            prop_assert_eq!(h.sum, values.iter().map(|&v| u128::from(v)).sum::<u128>());
        }

        #[test]
        fn merging_equals_recording_everything_in_one(
            a in prop::collection::vec(any::<u64>(), 0..40),
            b in prop::collection::vec(0..10_000_u64, 0..40),
        ) {
            let mut merged = histogram_of(&a);
            merged.merge(&histogram_of(&b));
            let all: Vec<u64> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(merged, histogram_of(&all));
        }

        #[test]
        fn merge_is_commutative_and_associative(
            a in prop::collection::vec(0..1_000_000_u64, 0..30),
            b in prop::collection::vec(any::<u64>(), 0..30),
            c in prop::collection::vec(0..5_000_u64, 0..30),
        ) {
            let (ha, hb, hc) = (histogram_of(&a), histogram_of(&b), histogram_of(&c));

            let mut ab = ha.clone();
            ab.merge(&hb);
            let mut ba = hb.clone();
            ba.merge(&ha);
            prop_assert_eq!(&ab, &ba);

            let mut ab_c = ab;
            ab_c.merge(&hc);
            let mut bc = hb.clone();
            bc.merge(&hc);
            let mut a_bc = ha.clone();
            a_bc.merge(&bc);
            prop_assert_eq!(&ab_c, &a_bc);
            prop_assert_eq!(
                serde_json::to_string(&ab_c).unwrap(),
                serde_json::to_string(&a_bc).unwrap()
            );
        }

        #[test]
        fn folding_pending_values_at_any_point_gives_the_same_histogram(
            values in prop::collection::vec(0..50_000_u64, 0..700),
            split in 0..700_usize,
        ) {
            // More values than wait unsorted, so some are folded on recording, some on
            // merging, some only when read.
            let split = split.min(values.len());
            let mut merged = histogram_of(&values[..split]);
            merged.merge(&histogram_of(&values[split..]));
            let whole = histogram_of(&values);
            prop_assert_eq!(&merged, &whole);
            prop_assert_eq!(
                serde_json::to_string(&merged).unwrap(),
                serde_json::to_string(&whole).unwrap()
            );
            let mut sorted = values.clone();
            sorted.sort_unstable();
            prop_assert_eq!(&whole, &histogram_of(&sorted));
            if !values.is_empty() {
                let exact = exact_quantile(&sorted, 0.5);
                let estimate = whole.quantile_ns(0.5).unwrap();
                prop_assert!(exact.abs_diff(estimate) as f64 <= exact as f64 / 2048.0);
            }
        }

        #[test]
        fn capped_histograms_merge_exactly_in_any_grouping(
            values in prop::collection::vec(0..u64::MAX >> 20, 1..1500),
            cuts in prop::collection::vec(0..1500_usize, 0..6),
            cap in 128..400_u32,
        ) {
            // Replications (uncapped, as the engine records them) folded into capped
            // studies in two groupings (one study; shards merged), as `run` and `merge` do.
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
            cuts.push(0);
            cuts.push(values.len());
            cuts.sort_unstable();
            let parts: Vec<DurationHistogram> =
                cuts.windows(2).map(|w| histogram_of(&values[w[0]..w[1]])).collect();
            let mut one = DurationHistogram::capped(cap);
            for part in &parts {
                one.merge(part);
            }
            let mut shards = DurationHistogram::capped(cap);
            for half in parts.chunks(2).rev() {
                let mut shard = DurationHistogram::capped(cap);
                for part in half {
                    shard.merge(part);
                }
                let stored: DurationHistogram =
                    serde_json::from_str(&serde_json::to_string(&shard).unwrap()).unwrap();
                shards.merge(&stored);
            }
            let mut recorded = DurationHistogram::capped(cap);
            for &v in &values {
                recorded.record(v);
            }
            prop_assert_eq!(one.level(), least_level(&values, cap as usize));
            prop_assert_eq!(&one, &shards);
            prop_assert_eq!(&one, &recorded);
            prop_assert_eq!(
                serde_json::to_string(&one).unwrap(),
                serde_json::to_string(&shards).unwrap()
            );
        }

        #[test]
        fn merging_an_empty_histogram_changes_nothing(
            values in prop::collection::vec(any::<u64>(), 0..30),
        ) {
            let h = histogram_of(&values);
            let mut merged = h.clone();
            merged.merge(&DurationHistogram::new());
            prop_assert_eq!(&merged, &h);
            let mut from_empty = DurationHistogram::new();
            from_empty.merge(&h);
            prop_assert_eq!(from_empty, h);
        }
    }
}
