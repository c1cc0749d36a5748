//! One shard of a [`Store`](super::Store): a hash table of indices into a dense node array,
//! with the nodes threaded on a recency list (most recent first) when the store is bounded.

use hashbrown::HashTable;

use crate::key::KeyRef;

const NIL: u32 = u32::MAX;

struct Node<K, V> {
    key: K,
    value: V,
    hash: u64,
    /// Logical time of the last use; falls from head to tail along the recency list.
    stamp: u64,
    prev: u32,
    next: u32,
}

pub(crate) struct Shard<K, V> {
    table: HashTable<u32>,
    nodes: Vec<Node<K, V>>,
    head: u32,
    tail: u32,
    /// Last stamp handed out here (see [`super::clock`]).
    pub(crate) clock: u64,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl<K, V> Shard<K, V> {
    pub(crate) fn new() -> Self {
        Shard {
            table: HashTable::new(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            clock: 0,
            hits: 0,
            misses: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    fn find(&self, hash: u64, matches: impl Fn(&K) -> bool) -> Option<u32> {
        let nodes = &self.nodes;
        self.table
            .find(hash, |&i| matches(&nodes[i as usize].key))
            .copied()
    }

    /// Looks `key` up, counting a hit or a miss; on a hit with `stamp`, marks it most recent.
    pub(crate) fn lookup<Q: KeyRef<Owned = K>>(
        &mut self,
        hash: u64,
        key: &Q,
        stamp: Option<u64>,
    ) -> Option<&V> {
        let Some(i) = self.find(hash, |k| key.matches(k)) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        if let Some(stamp) = stamp {
            self.nodes[i as usize].stamp = stamp;
            if self.head != i {
                self.unlink(i);
                self.push_front(i);
            }
        }
        Some(&self.nodes[i as usize].value)
    }

    pub(crate) fn contains(&self, hash: u64, key: &K) -> bool
    where
        K: Eq,
    {
        self.find(hash, |k| k == key).is_some()
    }

    /// Stores a key known to be absent, as the most recent entry.
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V, stamp: u64) {
        let i = u32::try_from(self.nodes.len()).unwrap_or(NIL);
        debug_assert_ne!(i, NIL, "a shard holds fewer than u32::MAX entries");
        self.nodes.push(Node {
            key,
            value,
            hash,
            stamp,
            prev: NIL,
            next: NIL,
        });
        let nodes = &self.nodes;
        self.table
            .insert_unique(hash, i, |&j| nodes[j as usize].hash);
        self.push_front(i);
    }

    /// The stamp of the least recently used entry, if any.
    pub(crate) fn oldest_stamp(&self) -> Option<u64> {
        (self.tail != NIL).then(|| self.nodes[self.tail as usize].stamp)
    }

    /// Removes the least recently used entry.
    pub(crate) fn pop_oldest(&mut self) {
        if self.tail != NIL {
            self.remove(self.tail);
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Shard {
            clock: self.clock,
            ..Shard::new()
        };
    }

    fn remove(&mut self, i: u32) {
        let hash = self.nodes[i as usize].hash;
        if let Ok(entry) = self.table.find_entry(hash, |&j| j == i) {
            entry.remove();
        }
        self.unlink(i);
        let last = u32::try_from(self.nodes.len() - 1).unwrap_or(NIL);
        self.nodes.swap_remove(i as usize);
        if last != i {
            // The last node moved into slot `i`: repoint whatever referred to `last`.
            let moved = &self.nodes[i as usize];
            let (moved_hash, prev, next) = (moved.hash, moved.prev, moved.next);
            if let Some(slot) = self.table.find_mut(moved_hash, |&j| j == last) {
                *slot = i;
            }
            match prev {
                NIL if self.head == last => self.head = i,
                NIL => {}
                p => self.nodes[p as usize].next = i,
            }
            match next {
                NIL if self.tail == last => self.tail = i,
                NIL => {}
                n => self.nodes[n as usize].prev = i,
            }
        }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let node = &self.nodes[i as usize];
            (node.prev, node.next)
        };
        if prev == NIL {
            if self.head == i {
                self.head = next;
            }
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            if self.tail == i {
                self.tail = prev;
            }
        } else {
            self.nodes[next as usize].prev = prev;
        }
        let node = &mut self.nodes[i as usize];
        node.prev = NIL;
        node.next = NIL;
    }

    fn push_front(&mut self, i: u32) {
        let old_head = self.head;
        {
            let node = &mut self.nodes[i as usize];
            node.prev = NIL;
            node.next = old_head;
        }
        if old_head == NIL {
            self.tail = i;
        } else {
            self.nodes[old_head as usize].prev = i;
        }
        self.head = i;
    }

    /// Keys from most to least recent (for tests).
    #[cfg(test)]
    pub(crate) fn keys_by_recency(&self) -> Vec<&K> {
        let mut out = Vec::new();
        let mut at = self.head;
        while at != NIL {
            out.push(&self.nodes[at as usize].key);
            at = self.nodes[at as usize].next;
        }
        out
    }
}
