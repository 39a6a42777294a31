//! The event queue: a min-heap ordered by `(time, seq)`.
//!
//! Ordering contract: events fire in increasing time; events scheduled for the same
//! instant fire in the order they were scheduled (`seq` grows at every `schedule`);
//! nothing is scheduled before the event last popped.
//! Cancellation is lazy: handlers carry a generation and skip stale events when popped,
//! so the heap is never searched or rebuilt.

use super::radix_heap::{Key, RadixHeap};
use crate::core::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Queues made for at least this many pending events use the radix heap.
const RADIX_HEAP_FROM: usize = 1 << 14;

/// Slot bits of a queue created without a capacity hint.
const MIN_SLOT_BITS: u32 = 16;

/// A priority queue of events keyed by `(time, seq)`.
///
/// # Representation
///
/// The heap holds 16-byte keys `(time, seq << slot_bits | slot)`, exactly what a bare
/// `BinaryHeap<Reverse<(u64, u64)>>` would hold (a radix heap when the queue is made for at
/// least 2¹⁴ pending events); the events themselves wait in a slab
/// (`slot` indexes it) whose freed slots are reused, so scheduling allocates nothing in
/// the steady state and sifting moves 16 bytes per level whatever the event type.
/// Because `seq` is unique and sits above `slot`, comparing keys compares `(time, seq)`.
///
/// When the slab outgrows `slot_bits`, or `seq` outgrows the bits above it, the pending
/// keys are re-encoded: renumbered `0, 1, …` in `(time, seq)` order with wider slot
/// fields. Relative order is kept, so the ordering contract holds across re-encodings.
pub struct EventQueue<E> {
    heap: Heap,
    slab: Vec<E>,
    free: Vec<u32>,
    next_seq: u64,
    slot_bits: u32,
    seq_limit: u64,
    /// The time of the event last popped: nothing may be scheduled before it.
    floor: SimTime,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        let needed = usize::BITS - capacity.leading_zeros();
        Self::with_slot_bits(needed.clamp(MIN_SLOT_BITS, 32), capacity)
    }

    fn with_slot_bits(slot_bits: u32, capacity: usize) -> Self {
        EventQueue {
            heap: Heap::with_capacity(capacity),
            slab: Vec::with_capacity(capacity),
            free: Vec::new(),
            next_seq: 0,
            slot_bits,
            seq_limit: 1 << (64 - slot_bits),
            floor: SimTime(0),
        }
    }

    /// Schedules `event` at `time`, after every event already scheduled for that instant.
    ///
    /// # Panics
    ///
    /// If `time` is before the event last popped: a simulation never schedules into its
    /// past, and the radix heap of large queues relies on it.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.floor,
            "event scheduled at {} ns, before the current instant {} ns",
            time.0,
            self.floor.0
        );
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = event;
                slot as u64
            }
            None => {
                self.slab.push(event);
                (self.slab.len() - 1) as u64
            }
        };
        if slot >> self.slot_bits != 0 || self.next_seq >= self.seq_limit {
            self.repack();
        }
        let tag = (self.next_seq << self.slot_bits) | slot;
        self.next_seq += 1;
        self.heap.push((time.0, tag));
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, tag) = self.heap.pop()?;
        self.floor = SimTime(time);
        let slot = self.slot_of(tag);
        self.free.push(slot);
        Some((SimTime(time), self.slab[slot as usize]))
    }

    /// The earliest pending event (what [`Self::pop`] returns next), left in the queue.
    pub(crate) fn peek(&mut self) -> Option<&E> {
        let (_, tag) = self.heap.peek()?;
        Some(&self.slab[self.slot_of(tag) as usize])
    }

    /// The slab slot a heap key's tag names (its low `slot_bits` bits).
    fn slot_of(&self, tag: u64) -> u32 {
        (tag & ((1 << self.slot_bits) - 1)) as u32
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.heap.peek().map(|(time, _)| SimTime(time))
    }

    /// Number of pending events (stale ones included until popped).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every pending event and restarts the sequence, keeping the allocation.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.slab.clear();
        self.free.clear();
        self.next_seq = 0;
        self.floor = SimTime(0);
    }

    /// This queue as [`EventQueue::with_capacity`] makes it, keeping its allocations
    /// when the same kind of heap serves `capacity` (a thread's next replication).
    pub fn reset(&mut self, capacity: usize) {
        let radix = capacity >= RADIX_HEAP_FROM;
        if radix != matches!(self.heap, Heap::Radix(_)) {
            *self = Self::with_capacity(capacity);
            return;
        }
        self.clear();
        let needed = usize::BITS - capacity.leading_zeros();
        self.slot_bits = needed.clamp(MIN_SLOT_BITS, 32);
        self.seq_limit = 1 << (64 - self.slot_bits);
        self.slab.reserve(capacity);
    }

    /// Re-encodes the pending keys with room for the slab and a fresh sequence.
    fn repack(&mut self) {
        let old_mask = (1u64 << self.slot_bits) - 1;
        let slot_bits = (usize::BITS - self.slab.len().leading_zeros())
            .max(self.slot_bits)
            .min(48);
        let mut keys = self.heap.take_keys();
        keys.sort_unstable();
        for (rank, key) in keys.iter_mut().enumerate() {
            key.1 = ((rank as u64) << slot_bits) | (key.1 & old_mask);
        }
        self.next_seq = keys.len() as u64;
        self.slot_bits = slot_bits;
        self.seq_limit = self.seq_limit.min(1 << (64 - slot_bits));
        self.heap.refill_sorted(keys);
        debug_assert!(
            self.next_seq < self.seq_limit,
            "re-encoding left no sequence room"
        );
    }
}

/// The binary heap for queues that stay in cache, the radix heap for large queues.
enum Heap {
    Binary(BinaryHeap<Reverse<Key>>),
    Radix(RadixHeap),
}

impl Heap {
    fn with_capacity(capacity: usize) -> Heap {
        if capacity >= RADIX_HEAP_FROM {
            Heap::Radix(RadixHeap::default())
        } else {
            Heap::Binary(BinaryHeap::with_capacity(capacity))
        }
    }

    #[inline]
    fn push(&mut self, key: Key) {
        match self {
            Heap::Binary(heap) => heap.push(Reverse(key)),
            Heap::Radix(heap) => heap.push(key),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Key> {
        match self {
            Heap::Binary(heap) => heap.pop().map(|Reverse(key)| key),
            Heap::Radix(heap) => heap.pop(),
        }
    }

    fn peek(&mut self) -> Option<Key> {
        match self {
            Heap::Binary(heap) => heap.peek().map(|Reverse(key)| *key),
            Heap::Radix(heap) => heap.peek(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Heap::Binary(heap) => heap.len(),
            Heap::Radix(heap) => heap.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clear(&mut self) {
        match self {
            Heap::Binary(heap) => heap.clear(),
            Heap::Radix(heap) => heap.clear(),
        }
    }

    /// Every key, in no particular order; the heap is left empty.
    fn take_keys(&mut self) -> Vec<Key> {
        match self {
            Heap::Binary(heap) => std::mem::take(heap)
                .into_iter()
                .map(|Reverse(key)| key)
                .collect(),
            Heap::Radix(heap) => std::mem::take(heap).into_vec(),
        }
    }

    /// Holds `keys`, sorted in increasing order, and nothing else.
    fn refill_sorted(&mut self, keys: Vec<Key>) {
        match self {
            Heap::Binary(heap) => *heap = keys.into_iter().map(Reverse).collect(),
            Heap::Radix(heap) => *heap = RadixHeap::from_keys(keys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_in_time_order() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(30), 'c');
        queue.schedule(SimTime(10), 'a');
        queue.schedule(SimTime(20), 'b');
        let order: Vec<char> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c']);
    }

    #[test]
    fn same_instant_events_fire_in_scheduling_order() {
        let mut queue = EventQueue::new();
        for label in 0..100u32 {
            queue.schedule(SimTime(5), label);
        }
        let order: Vec<u32> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn order_survives_re_encoding_of_slots_and_sequence() {
        // Both heaps: the binary one of small queues and the radix one of large ones.
        for capacity in [0, RADIX_HEAP_FROM] {
            // Two slot bits and a sequence limit of 32 force many re-encodings.
            let mut queue = EventQueue::with_slot_bits(2, capacity);
            assert_eq!(matches!(queue.heap, Heap::Radix(_)), capacity > 0);
            queue.seq_limit = 32;
            let mut expected = Vec::new();
            let mut now = 0;
            for round in 0..50u64 {
                for k in 0..(round % 7 + 1) {
                    // Never before the event last popped, as in a run.
                    let at = now + (round * 13 + k * 5) % 17;
                    queue.schedule(SimTime(at), (at, round, k));
                    expected.push((at, round, k));
                }
                // Pop the earliest, as a run would, and check each against the model.
                expected.sort_by_key(|&(at, round, k)| (at, round, k));
                while expected.len() > 5 {
                    let next = expected.remove(0);
                    assert_eq!(queue.peek(), Some(&next));
                    assert_eq!(queue.pop().map(|(_, e)| e), Some(next));
                    now = next.0;
                }
            }
            expected.sort_by_key(|&(at, round, k)| (at, round, k));
            let rest: Vec<_> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
            assert_eq!(rest, expected);
        }
    }

    #[test]
    #[should_panic(expected = "before the current instant")]
    fn scheduling_into_the_past_is_refused() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(10), ());
        queue.pop();
        queue.schedule(SimTime(9), ());
    }

    #[test]
    fn largest_time_is_kept_exactly() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(u64::MAX - 1), ());
        assert_eq!(queue.pop().map(|(t, _)| t), Some(SimTime(u64::MAX - 1)));
    }
}
