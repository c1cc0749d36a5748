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
use std::sync::Arc;

/// A record: a key and the stamp it was queued under. Ordered by stamp alone, oldest first.
pub(crate) struct Record<K> {
    pub(crate) stamp: u64,
    pub(crate) key: Arc<K>,
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

/// What the queue needs to know of a stored entry.
pub(crate) enum Status {
    /// No entry answers to this record any more (evicted, replaced, or re-queued since).
    Stale,
    /// The entry was used after it was queued, at this stamp.
    UsedSince(u64),
    /// The record is current: the entry has not been used since.
    Oldest,
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

    pub(crate) fn push(&mut self, stamp: u64, key: Arc<K>) {
        self.heap.push(Record { stamp, key });
    }

    /// Takes the record of the least recently used entry. `status` tells what the record's
    /// entry is now; `requeued` is told when an entry is queued again under its new stamp.
    pub(crate) fn pop_oldest(
        &mut self,
        status: impl Fn(&Record<K>) -> Status,
        requeued: impl Fn(&K, u64),
    ) -> Option<Record<K>> {
        while let Some(record) = self.heap.pop() {
            match status(&record) {
                Status::Stale => {}
                Status::UsedSince(stamp) => {
                    requeued(&record.key, stamp);
                    self.heap.push(Record {
                        stamp,
                        key: record.key,
                    });
                }
                Status::Oldest => return Some(record),
            }
        }
        None
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }
}
