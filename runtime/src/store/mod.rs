//! The in-memory store behind `#[memoize]`: a sharded hash map with exact LRU eviction.
//!
//! Hits lock one shard (chosen by the key's hash) and never a global lock, so threads hitting
//! different keys scale. Insertions and evictions are serialised by one writer lock, which is
//! only taken after the function body has run. No lock is ever held while user code runs,
//! except `Hash`, `Eq` and `Clone` of keys and values, and a panic there poisons nothing
//! (poisoned locks are recovered: every operation leaves a shard consistent between calls
//! into user code).

mod clock;
mod shard;

use core::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::CacheInfo;
use crate::key::KeyRef;
use shard::Shard;

/// The most shards a store splits into.
const MAX_SHARDS: usize = 16;

/// How many results a store keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limit {
    /// `maxsize = 0`: nothing is stored, calls are only counted.
    Nothing,
    /// `maxsize = n`: the least recently used result is evicted past `n`.
    Bounded(usize),
    /// `maxsize = None`.
    Unbounded,
}

/// A shard on its own cache line, so two cores hitting two shards never share a line.
#[repr(align(128))]
struct Padded<T>(T);

type Shards<K, V> = Box<[Padded<Mutex<Shard<K, V>>>]>;

/// The cache of one memoized function (of one instantiation, for generic functions).
pub struct Store<K, V> {
    shards: Shards<K, V>,
    limit: Limit,
    hasher: foldhash::fast::RandomState,
    len: AtomicUsize,
    /// The stamp of the latest insertion (see [`clock`]).
    epoch: AtomicU64,
    writer: Mutex<()>,
}

/// What a lookup found.
pub enum Lookup<'s, K, V> {
    /// A stored result, cloned out of the cache.
    Hit(V),
    /// No result: [`Pending::run`] runs the body and stores what it returns.
    Miss(Pending<'s, K, V>),
}

/// A call that missed, waiting for its result. Holds the owned key, made once on the miss.
pub struct Pending<'s, K, V> {
    // Type-erased so that `run` needs no bounds of its own: a bad type is reported once,
    // where `lookup` checks it.
    store: &'s dyn Insert<K, V>,
    hash: u64,
    key: Option<K>,
}

trait Insert<K, V> {
    fn insert(&self, hash: u64, key: Option<K>, value: &V);
}

impl<K: core::hash::Hash + Eq, V: Clone> Insert<K, V> for Store<K, V> {
    fn insert(&self, hash: u64, key: Option<K>, value: &V) {
        Store::insert(self, hash, key, value);
    }
}

impl<K, V> Pending<'_, K, V> {
    /// Runs the body and stores its result. No lock is held while `body` runs; if it panics,
    /// nothing is stored.
    #[inline]
    pub fn run(self, body: impl FnOnce() -> V) -> V {
        let value = body();
        self.store.insert(self.hash, self.key, &value);
        value
    }

    /// Runs the body and stores its result if it is `Ok`; an `Err` is returned, not stored.
    #[inline]
    pub fn run_ok<E>(self, body: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let result = body();
        if let Ok(value) = &result {
            self.store.insert(self.hash, self.key, value);
        }
        result
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K, V> Store<K, V>
where
    K: core::hash::Hash + Eq,
    V: Clone,
{
    /// A store keeping at most `maxsize` results (`None`: unbounded).
    pub fn new(maxsize: Option<usize>) -> Self {
        let (limit, shards) = match maxsize {
            Some(0) => (Limit::Nothing, 1),
            Some(n) => (
                Limit::Bounded(n),
                (n / 8).next_power_of_two().min(MAX_SHARDS),
            ),
            None => (Limit::Unbounded, MAX_SHARDS),
        };
        Store {
            shards: (0..shards)
                .map(|_| Padded(Mutex::new(Shard::new())))
                .collect(),
            limit,
            hasher: foldhash::fast::RandomState::default(),
            len: AtomicUsize::new(0),
            epoch: AtomicU64::new(0),
            writer: Mutex::new(()),
        }
    }

    fn shard(&self, hash: u64) -> &Mutex<Shard<K, V>> {
        // Middle bits: hashbrown uses the low bits for the bucket and the top seven as tags.
        let index = (hash >> 32) as usize & (self.shards.len() - 1);
        &self.shards[index].0
    }

    /// Looks a key up by the caller's form of it, counting a hit or a miss.
    #[inline]
    pub fn lookup<Q: KeyRef<Owned = K>>(&self, key: Q) -> Lookup<'_, K, V> {
        let hash = self.hasher.hash_one(&key);
        let found = {
            let mut shard = lock(self.shard(hash));
            let stamp = match self.limit {
                Limit::Bounded(_) => {
                    let floor = self.epoch.load(Ordering::Relaxed);
                    Some(clock::tick(&mut shard.clock, floor))
                }
                Limit::Unbounded | Limit::Nothing => None,
            };
            shard.lookup(hash, &key, stamp).cloned()
        };
        match found {
            Some(value) => Lookup::Hit(value),
            None => Lookup::Miss(Pending {
                store: self,
                hash,
                key: (self.limit != Limit::Nothing).then(|| key.to_owned_key()),
            }),
        }
    }

    /// Stores the result of a miss, evicting the least recently used result if full.
    ///
    /// As in CPython, a key that a re-entrant call stored while the body ran is left as it is.
    fn insert(&self, hash: u64, key: Option<K>, value: &V) {
        let Some(key) = key else {
            return; // maxsize = 0
        };
        let _writer = lock(&self.writer);
        let shard = self.shard(hash);
        if lock(shard).contains(hash, &key) {
            return;
        }
        if let Limit::Bounded(max) = self.limit
            && self.len.load(Ordering::Relaxed) >= max
        {
            self.evict_oldest();
        }
        let mut shard = lock(shard);
        let stamp = match self.limit {
            Limit::Bounded(_) => {
                let floor = self.epoch.load(Ordering::Relaxed);
                let stamp = clock::tick(&mut shard.clock, floor);
                self.epoch.store(stamp, Ordering::Relaxed);
                Some(stamp)
            }
            Limit::Unbounded | Limit::Nothing => None,
        };
        shard.insert(hash, key, value.clone(), stamp);
        self.len.fetch_add(1, Ordering::Relaxed);
    }

    /// Removes the globally least recently used entry. Caller holds the writer lock.
    fn evict_oldest(&self) {
        let oldest = self
            .shards
            .iter()
            .filter_map(|shard| Some((lock(&shard.0).oldest_stamp()?, shard)))
            .min_by_key(|&(stamp, _)| stamp);
        if let Some((_, shard)) = oldest {
            lock(&shard.0).pop_oldest();
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The statistics, with `maxsize` as given.
    pub fn info(&self, maxsize: Option<usize>) -> CacheInfo {
        let mut info = CacheInfo {
            maxsize,
            ..CacheInfo::default()
        };
        for shard in self.shards.iter() {
            let shard = lock(&shard.0);
            info.hits += shard.hits;
            info.misses += shard.misses;
            info.currsize += shard.len();
        }
        info
    }

    /// Empties the cache and resets the statistics.
    pub fn clear(&self) {
        let _writer = lock(&self.writer);
        for shard in self.shards.iter() {
            lock(&shard.0).clear();
        }
        self.len.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
