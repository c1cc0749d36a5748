//! Which stored key was used least recently: a lazy priority queue, kept by the writer alone.
//!
//! A hit only writes the entry's new stamp; it never touches this queue. The queue holds one
//! valid `(stamp, key)` record per entry (the store's key for it is its hash, see `Writer`),
//! written when the entry was stored or last re-queued.
//! When eviction finds the smallest record's entry used since (its stamp moved on), it
//! re-queues the entry under its current stamp and looks again. Each hit causes at most one
//! such re-queue, paid on the miss path, never on the hit. An entry leaves the queue only
//! when it is evicted (or the store cleared); an entry removed otherwise (`cache_invalidate`,
//! or replaced after its time to live) leaves a stale record, and the store drops the stale
//! ones whenever they come to outnumber the entries (see `Store::drop_stale_records`), so the
//! queue stays within a constant factor of the store's size.
//!
//! Most records come in stamp order: an insertion's stamp is the newest. Those go to a FIFO
//! (constant time in and out); only a record older than the FIFO's newest (a re-queued entry,
//! used before the latest insertion) goes to a min-heap. The oldest record is at the front of
//! one or the other. In a run of misses, a binary heap of 128 records alone cost about 150
//! instructions a miss.

mod ring;

use core::cmp::Ordering;
use std::collections::BinaryHeap;

use ring::Ring;

/// A record: a key and the stamp it was queued under. Ordered by stamp alone, oldest first.
/// The key is the entry's hash (see `Writer`): the queue is not generic, so its code is
/// compiled once, with this crate, rather than in each crate that memoizes a function.
#[derive(Clone, Copy)]
struct Record {
    stamp: u64,
    key: u64,
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.stamp == other.stamp
    }
}
impl Eq for Record {}
impl PartialOrd for Record {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Record {
    fn cmp(&self, other: &Self) -> Ordering {
        other.stamp.cmp(&self.stamp) // reversed: `BinaryHeap` is a max-heap
    }
}

pub(crate) struct Recency {
    /// Records in stamp order, oldest first.
    in_order: Ring,
    /// The stamp of the latest record pushed to `in_order` (0 before any).
    newest: u64,
    /// Records that came older than `newest`.
    late: BinaryHeap<Record>,
}

impl Recency {
    pub(crate) fn new() -> Self {
        Recency {
            in_order: Ring::new(),
            newest: 0,
            late: BinaryHeap::new(),
        }
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn push(&mut self, stamp: u64, key: u64) {
        let record = Record { stamp, key };
        if stamp < self.newest {
            self.late.push(record);
        } else {
            self.newest = stamp;
            self.in_order.push_back(record);
        }
    }

    /// The oldest record: its stamp and key.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn pop(&mut self) -> Option<(u64, u64)> {
        if self.late.is_empty() {
            return self
                .in_order
                .pop_front()
                .map(|Record { stamp, key }| (stamp, key));
        }
        let late_first = match (self.in_order.front(), self.late.peek()) {
            (Some(first), Some(late)) => late.stamp < first.stamp,
            (None, _) => true,
            (Some(_), None) => false,
        };
        let record = if late_first {
            self.late.pop()
        } else {
            self.in_order.pop_front()
        };
        record.map(|Record { stamp, key }| (stamp, key))
    }

    /// Keeps only the records `keep` accepts (given each one's stamp and key).
    pub(crate) fn retain(&mut self, keep: &mut dyn FnMut(u64, u64) -> bool) {
        self.in_order
            .retain(|record| keep(record.stamp, record.key));
        self.late.retain(|record| keep(record.stamp, record.key));
    }

    pub(crate) fn len(&self) -> usize {
        self.in_order.len() + self.late.len()
    }

    /// Whether the records outnumber the `live` entries enough that the stale ones should be
    /// dropped: the queue stays O(entries), and the sweep, O(queue), runs once per as many
    /// removals as there are entries.
    pub(crate) fn needs_sweep(&self, live: usize) -> bool {
        self.len() > 2 * live + 16
    }

    pub(crate) fn clear(&mut self) {
        self.in_order.clear();
        self.newest = 0;
        self.late.clear();
    }
}

#[cfg(test)]
mod tests;
