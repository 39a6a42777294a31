//! A min-heap with four children per node, of the event queue's 16-byte keys, for large
//! queues.
//!
//! Why: at 10⁵ pending events (a failure or repair pending for every node of a large
//! topology) popping `std`'s binary heap was a third of a replication, mostly a cache miss
//! per level. Four children halve the levels (a 64-byte line holds the four keys a level
//! compares): `bench-100k-nodes` ran 18 % faster in wall time, although it executes more
//! instructions. On small queues, which stay in cache, those instructions cost more than
//! the misses saved (`bench-nway-elections` 5 % slower), so the queue keeps the binary
//! heap there. Keys are unique (`seq` is part of each), so any correct min-heap pops the
//! same order: the choice of heap changes no result.

/// The event queue's key: `(time, seq << slot bits | slot)`.
pub(crate) type Key = (u64, u64);

/// A key as one 128-bit integer, `time · 2⁶⁴ + tag`: it orders exactly as the pair does,
/// and one wide comparison has no branch where the pair's lexicographic one has two, so
/// choosing the least of four children compiles to conditional moves.
type Packed = u128;

fn pack((time, tag): Key) -> Packed {
    (Packed::from(time) << 64) | Packed::from(tag)
}

fn unpack(packed: Packed) -> Key {
    // Truncations by design: the high and low halves are the two fields.
    ((packed >> 64) as u64, packed as u64)
}

/// Children per node.
const ARITY: usize = 4;

/// Keys kept so that each is no greater than its four children.
#[derive(Clone, Debug, Default)]
pub(crate) struct QuadHeap {
    keys: Vec<Packed>,
}

impl QuadHeap {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        QuadHeap {
            keys: Vec::with_capacity(capacity),
        }
    }

    /// A heap of `keys` sorted in increasing order (a sorted array is a heap).
    pub(crate) fn from_sorted(keys: Vec<Key>) -> Self {
        debug_assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]));
        QuadHeap {
            keys: keys.into_iter().map(pack).collect(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn clear(&mut self) {
        self.keys.clear();
    }

    /// The smallest key.
    pub(crate) fn peek(&self) -> Option<Key> {
        self.keys.first().copied().map(unpack)
    }

    /// Every key, in no particular order.
    pub(crate) fn into_vec(self) -> Vec<Key> {
        self.keys.into_iter().map(unpack).collect()
    }

    pub(crate) fn push(&mut self, key: Key) {
        let key = pack(key);
        let mut hole = self.keys.len();
        self.keys.push(key);
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[hole] = self.keys[parent];
            hole = parent;
        }
        self.keys[hole] = key;
    }

    /// Removes and returns the smallest key.
    pub(crate) fn pop(&mut self) -> Option<Key> {
        let last = self.keys.pop()?;
        let Some(&top) = self.keys.first() else {
            return Some(unpack(last));
        };
        // Move the last key down from the root, each time past the least child.
        let keys = &mut self.keys[..];
        let len = keys.len();
        let mut hole = 0;
        loop {
            let first = hole * ARITY + 1;
            let (child, child_key) = match keys.get(first..first + ARITY) {
                Some(children) => {
                    let (child, key) = least_of_four(children);
                    (first + child, key)
                }
                None if first < len => {
                    // A last level with one to three children.
                    let mut child = first;
                    for candidate in first + 1..len {
                        if keys[candidate] < keys[child] {
                            child = candidate;
                        }
                    }
                    (child, keys[child])
                }
                None => break,
            };
            if last <= child_key {
                break;
            }
            keys[hole] = child_key;
            hole = child;
        }
        keys[hole] = last;
        Some(unpack(top))
    }
}

/// The position and value of the least of four keys, by a tournament of three
/// comparisons with no data-dependent branch.
fn least_of_four(children: &[Packed]) -> (usize, Packed) {
    let (left, left_key) = if children[1] < children[0] {
        (1, children[1])
    } else {
        (0, children[0])
    };
    let (right, right_key) = if children[3] < children[2] {
        (3, children[3])
    } else {
        (2, children[2])
    };
    if right_key < left_key {
        (right, right_key)
    } else {
        (left, left_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Any interleaving of pushes and pops gives what `std`'s heap gives.
        #[test]
        fn pops_what_a_binary_heap_pops(ops in prop::collection::vec((any::<bool>(), 0u64..50, 0u64..1000), 0..400)) {
            let mut ours = QuadHeap::default();
            let mut reference = BinaryHeap::new();
            for (push, time, tag) in ops {
                if push {
                    ours.push((time, tag));
                    reference.push(Reverse((time, tag)));
                } else {
                    prop_assert_eq!(ours.pop(), reference.pop().map(|Reverse(key)| key));
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
        let mut heap = QuadHeap::default();
        for key in keys {
            heap.push(key);
        }
        let popped: Vec<Key> = std::iter::from_fn(|| heap.pop()).collect();
        let mut sorted = keys.to_vec();
        sorted.sort();
        assert_eq!(popped, sorted);
    }

    #[test]
    fn a_sorted_array_is_a_heap() {
        let mut heap = QuadHeap::from_sorted((0..100).map(|i| (i / 3, i)).collect());
        let popped: Vec<Key> = std::iter::from_fn(|| heap.pop()).collect();
        assert_eq!(popped, (0..100).map(|i| (i / 3, i)).collect::<Vec<_>>());
    }
}
