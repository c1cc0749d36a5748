//! One shard of a [`Store`](super::Store): a hash table of entries, plus (when the store is
//! bounded) a lazy min-heap that finds the least recently used entry.
//!
//! A hit only writes the entry's new stamp; it never reorders anything. The heap holds one
//! valid `(stamp, hash)` record per entry, written when the entry was stored or last
//! re-queued. When eviction looks at the smallest record and finds the entry used since
//! (its stamp moved on), it re-queues the entry under its current stamp and looks again.
//! Each hit causes at most one such re-queue, paid on the miss path, not on the hit.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hashbrown::HashTable;

use crate::key::KeyRef;

struct Entry<K, V> {
    key: K,
    value: V,
    hash: u64,
    /// Logical time of the last use (see [`super::clock`]); unique within a shard.
    stamp: u64,
    /// The stamp of this entry's valid record in the heap.
    queued: u64,
}

pub(crate) struct Shard<K, V> {
    table: HashTable<Entry<K, V>>,
    /// `(stamp, hash)` records, smallest first; records no entry answers to are stale.
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    /// Last stamp handed out here (see [`super::clock`]).
    pub(crate) clock: u64,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl<K, V> Shard<K, V> {
    pub(crate) fn new() -> Self {
        Shard {
            table: HashTable::new(),
            queue: BinaryHeap::new(),
            clock: 0,
            hits: 0,
            misses: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Looks `key` up, counting a hit or a miss; on a hit with `stamp`, marks it most recent.
    #[inline]
    pub(crate) fn lookup<Q: KeyRef<Owned = K>>(
        &mut self,
        hash: u64,
        key: &Q,
        stamp: Option<u64>,
    ) -> Option<&V> {
        let Some(entry) = self.table.find_mut(hash, |e| key.matches(&e.key)) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        if let Some(stamp) = stamp {
            entry.stamp = stamp;
        }
        Some(&entry.value)
    }

    pub(crate) fn contains(&self, hash: u64, key: &K) -> bool
    where
        K: Eq,
    {
        self.table.find(hash, |e| e.key == *key).is_some()
    }

    /// Stores a key known to be absent; `stamp` orders it for eviction when bounded.
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V, stamp: Option<u64>) {
        let stamp = stamp.unwrap_or(0);
        if stamp != 0 {
            self.queue.push(Reverse((stamp, hash)));
        }
        self.table.insert_unique(
            hash,
            Entry {
                key,
                value,
                hash,
                stamp,
                queued: stamp,
            },
            |e| e.hash,
        );
        // Stale records (of evicted or re-queued entries) are dropped as they surface; this
        // bounds them when they do not surface fast enough.
        if self.queue.len() > 2 * self.table.len() + 32 {
            self.rebuild_queue();
        }
    }

    /// The stamp of the least recently used entry, if any; settles stale records on the way.
    pub(crate) fn oldest_stamp(&mut self) -> Option<u64> {
        while let Some(&Reverse((queued, hash))) = self.queue.peek() {
            let Some(entry) = self.table.find_mut(hash, |e| e.queued == queued) else {
                self.queue.pop(); // its entry was evicted
                continue;
            };
            if entry.stamp == queued {
                return Some(queued);
            }
            // Used since it was queued: queue it again under its current stamp.
            entry.queued = entry.stamp;
            let requeued = Reverse((entry.stamp, hash));
            self.queue.pop();
            self.queue.push(requeued);
        }
        None
    }

    /// Removes the least recently used entry.
    pub(crate) fn pop_oldest(&mut self) {
        if let Some(stamp) = self.oldest_stamp()
            && let Some(Reverse((_, hash))) = self.queue.pop()
            && let Ok(entry) = self.table.find_entry(hash, |e| e.queued == stamp)
        {
            entry.remove();
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Shard {
            clock: self.clock,
            ..Shard::new()
        };
    }

    fn rebuild_queue(&mut self) {
        self.queue.clear();
        for entry in self.table.iter_mut() {
            entry.queued = entry.stamp;
            self.queue.push(Reverse((entry.stamp, entry.hash)));
        }
    }

    /// Keys from most to least recent (for tests).
    #[cfg(test)]
    pub(crate) fn keys_by_recency(&self) -> Vec<&K> {
        let mut entries: Vec<_> = self.table.iter().collect();
        entries.sort_by_key(|e| Reverse(e.stamp));
        entries.into_iter().map(|e| &e.key).collect()
    }
}
