//! The event queue: a binary min-heap ordered by `(time, seq)`.
//!
//! Ordering contract: events fire in increasing time; events scheduled for the same
//! instant fire in the order they were scheduled (`seq` grows at every `schedule`).
//! Cancellation is lazy: handlers carry a generation and skip stale events when popped,
//! so the heap is never searched or rebuilt.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed so that std's max-heap pops the smallest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A priority queue of events keyed by `(time, seq)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; returns its sequence number.
    pub fn schedule(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        // time in the high 64 bits, seq in the low: one integer comparison orders both.
        let key = ((time.0 as u128) << 64) | seq as u128;
        self.heap.push(Entry { key, event });
        seq
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap
            .pop()
            .map(|entry| (SimTime((entry.key >> 64) as u64), entry.event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap
            .peek()
            .map(|entry| SimTime((entry.key >> 64) as u64))
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
        self.next_seq = 0;
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
    fn largest_time_is_kept_exactly() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(u64::MAX - 1), ());
        assert_eq!(queue.pop().map(|(t, _)| t), Some(SimTime(u64::MAX - 1)));
    }
}
