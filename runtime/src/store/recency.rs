//! Which stored key was used least recently: a lazy min-heap, kept by the writer alone.
//!
//! A hit only writes the entry's new stamp; it never touches this queue. The queue holds one
//! valid `(stamp, key)` record per entry, written when the entry was stored or last re-queued.
//! When eviction finds the smallest record's entry used since (its stamp moved on), it
//! re-queues the entry under its current stamp and looks again. Each hit causes at most one
//! such re-queue, paid on the miss path, never on the hit. An entry leaves the queue only
//! when it is evicted (or the store cleared), so the queue never holds more records than
//! the store holds entries.

use core::cmp::Ordering;
use std::collections::BinaryHeap;

/// A record: a key and the stamp it was queued under. Ordered by stamp alone, oldest first.
struct Record<K> {
    stamp: u64,
    key: K,
}

impl<K> PartialEq for Record<K> {
    fn eq(&self, other: &Self) -> bool {
        self.stamp == other.stamp
    }
}
impl<K> Eq for Record<K> {}
impl<K> PartialOrd for Record<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Record<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.stamp.cmp(&self.stamp) // reversed: `BinaryHeap` is a max-heap
    }
}

pub(crate) struct Recency<K> {
    heap: BinaryHeap<Record<K>>,
}

impl<K> Recency<K> {
    pub(crate) fn new() -> Self {
        Recency {
            heap: BinaryHeap::new(),
        }
    }

    pub(crate) fn push(&mut self, stamp: u64, key: K) {
        self.heap.push(Record { stamp, key });
    }

    /// The oldest record: its stamp and key.
    pub(crate) fn pop(&mut self) -> Option<(u64, K)> {
        self.heap.pop().map(|Record { stamp, key }| (stamp, key))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }
}
