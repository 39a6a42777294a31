//! A radix heap of the event queue's 16-byte keys, for large queues.
//!
//! Why: at 10⁵ pending events (a failure or repair pending for every node of a large
//! topology) a comparison heap misses the cache at every level of every pop. A radix heap
//! (Ahuja, Mehlhorn, Orlin and Tarjan 1990) relies on what a discrete-event queue
//! guarantees anyway — no key pushed is less than the last key popped, because nothing
//! is scheduled in the past and `seq` grows — and keeps keys in buckets by the highest
//! bit in which they differ from the last key popped. A push appends to a bucket; a pop
//! takes the least key of the lowest non-empty bucket and redistributes that bucket into
//! lower ones, so each key moves at most 128 times and in practice a few, sequentially
//! through memory. Keys are unique (`seq` is part of each), so it pops exactly the order
//! any correct min-heap pops: the choice of heap changes no result.

/// The event queue's key: `(time, seq << slot bits | slot)`.
pub(crate) type Key = (u64, u64);

/// A key as one 128-bit integer, `time · 2⁶⁴ + tag`: it orders exactly as the pair does,
/// and the bucket of a key is one XOR and one leading-zero count.
type Packed = u128;

fn pack((time, tag): Key) -> Packed {
    (Packed::from(time) << 64) | Packed::from(tag)
}

fn unpack(packed: Packed) -> Key {
    // Truncations by design: the high and low halves are the two fields.
    ((packed >> 64) as u64, packed as u64)
}

/// Bucket 0 holds keys equal to `last`; bucket `b ≥ 1` those whose highest bit differing
/// from `last` is bit `b − 1`.
const BUCKETS: usize = Packed::BITS as usize + 1;

/// Keys at or after the last key popped, bucketed by their highest bit that differs from it.
#[derive(Clone, Debug)]
pub(crate) struct RadixHeap {
    buckets: Vec<Vec<Packed>>,
    /// The last key popped (0 before the first pop): no key held or pushed is less.
    last: Packed,
    len: usize,
    /// Bit `b − 1` is set when bucket `b ≥ 1` holds a key: the lowest non-empty bucket is
    /// one trailing-zero count away, where scanning 128 bucket headers was a third of a pop.
    occupied: u128,
    /// The least key held, when known: computed by `peek` and reused by the next `pop`,
    /// so the engine's peek-then-pop scans the lowest bucket once.
    least: Option<Packed>,
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap {
            buckets: vec![Vec::new(); BUCKETS],
            last: 0,
            len: 0,
            occupied: 0,
            least: None,
        }
    }
}

fn bucket_of(key: Packed, last: Packed) -> usize {
    (Packed::BITS - (key ^ last).leading_zeros()) as usize
}

impl RadixHeap {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        for bucket in &mut self.buckets {
            bucket.clear();
        }
        self.last = 0;
        self.len = 0;
        self.occupied = 0;
        self.least = None;
    }

    /// A heap of `keys` (in any order), as if nothing had been popped yet.
    pub(crate) fn from_keys(keys: Vec<Key>) -> Self {
        let mut heap = RadixHeap::default();
        for key in keys {
            heap.push(key);
        }
        heap
    }

    /// Every key, in no particular order.
    pub(crate) fn into_vec(self) -> Vec<Key> {
        self.buckets.into_iter().flatten().map(unpack).collect()
    }

    /// Adds `key`, which must not be less than the last key popped (the queue's ordering
    /// contract: nothing is scheduled before the event being handled).
    pub(crate) fn push(&mut self, key: Key) {
        let key = pack(key);
        debug_assert!(key >= self.last, "a key pushed below the last key popped");
        self.put(key, bucket_of(key, self.last));
        self.len += 1;
        if self.least.is_some_and(|least| key < least) {
            self.least = Some(key);
        }
    }

    /// The smallest key.
    pub(crate) fn peek(&mut self) -> Option<Key> {
        if self.len == 0 {
            return None;
        }
        Some(unpack(self.least()))
    }

    /// Removes and returns the smallest key.
    pub(crate) fn pop(&mut self) -> Option<Key> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            // The least key becomes the new reference; its bucket is spread over lower
            // ones (every key in it shares the bits above the bucket's with the least).
            let least = self.least();
            let from = bucket_of(least, self.last);
            self.last = least;
            let mut moving = std::mem::take(&mut self.buckets[from]);
            self.occupied &= !(1 << (from - 1));
            for &key in &moving {
                self.put(key, bucket_of(key, least));
            }
            moving.clear();
            self.buckets[from] = moving;
        }
        self.least = None;
        self.len -= 1;
        self.buckets[0].pop().map(unpack)
    }

    fn put(&mut self, key: Packed, bucket: usize) {
        self.buckets[bucket].push(key);
        if bucket > 0 {
            self.occupied |= 1 << (bucket - 1);
        }
    }

    /// The least key held (the heap is not empty).
    fn least(&mut self) -> Packed {
        if let Some(least) = self.least {
            return least;
        }
        let lowest = if self.buckets[0].is_empty() {
            self.occupied.trailing_zeros() as usize + 1
        } else {
            0
        };
        let least = self.buckets[lowest]
            .iter()
            .copied()
            .min()
            .expect("a non-empty heap has a non-empty bucket");
        self.least = Some(least);
        least
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Any interleaving of pushes (never below the last key popped) and pops gives
        /// what `std`'s heap gives, peeks included.
        #[test]
        fn pops_what_a_binary_heap_pops(ops in prop::collection::vec((0u8..3, 0u64..50, 0u64..1000), 0..400)) {
            let mut ours = RadixHeap::default();
            let mut reference = BinaryHeap::new();
            let mut floor = (0, 0);
            let mut tag = 0;
            for (op, delay, noise) in ops {
                match op {
                    0 | 1 => {
                        // Unique tags that grow, as the queue's sequence numbers do.
                        tag += 1 + noise;
                        let key = (floor.0 + delay, tag);
                        ours.push(key);
                        reference.push(Reverse(key));
                    }
                    _ => {
                        let popped = ours.pop();
                        prop_assert_eq!(popped, reference.pop().map(|Reverse(key)| key));
                        if let Some(key) = popped {
                            floor = key;
                        }
                    }
                }
                prop_assert_eq!(ours.peek(), reference.peek().map(|Reverse(key)| *key));
                prop_assert_eq!(ours.len(), reference.len());
            }
            while let Some(Reverse(key)) = reference.pop() {
                prop_assert_eq!(ours.pop(), Some(key));
            }
            prop_assert_eq!(ours.pop(), None);
        }
    }

    #[test]
    fn extreme_keys_order_as_pairs() {
        // The packed order must be the pair's: time first, the tag only between equal times.
        let keys = [
            (u64::MAX, 0),
            (0, u64::MAX),
            (1, 0),
            (0, 0),
            (u64::MAX, u64::MAX),
            (1, 1),
        ];
        let mut heap = RadixHeap::from_keys(keys.to_vec());
        let popped: Vec<Key> = std::iter::from_fn(|| heap.pop()).collect();
        let mut sorted = keys.to_vec();
        sorted.sort();
        assert_eq!(popped, sorted);
    }

    #[test]
    fn keys_pushed_at_the_last_popped_instant_come_next() {
        let mut heap = RadixHeap::from_keys(vec![(10, 1), (20, 2)]);
        assert_eq!(heap.pop(), Some((10, 1)));
        heap.push((10, 3));
        assert_eq!(heap.peek(), Some((10, 3)));
        heap.push((15, 4));
        assert_eq!(heap.pop(), Some((10, 3)));
        assert_eq!(heap.pop(), Some((15, 4)));
        assert_eq!(heap.pop(), Some((20, 2)));
        assert_eq!(heap.pop(), None);
        assert_eq!(heap.len(), 0);
    }
}
