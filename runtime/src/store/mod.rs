//! The in-memory store behind `#[memoize]`: a hash map read without locks, with exact LRU
//! eviction.
//!
//! A hit takes no lock, performs no atomic read-modify-write, and writes no memory that
//! another thread's hit on another key writes: it marks its own thread as reading (see
//! [`epoch`]), reads the map (see [`table`]), stores the entry's new stamp (see [`clock`]) and
//! bumps the calling thread's own counter (see [`counters`]). Insertions and evictions are
//! serialised by one writer lock, taken only after the function body has run, never while it
//! runs. The writer alone keeps the recency queue (see [`recency`]). A panic in user code
//! (`Hash`, `Eq`, `Clone`) poisons nothing: poisoned locks are recovered, as every operation
//! leaves the store consistent between calls into user code.

mod clock;
mod counters;
#[cfg(test)]
mod drop_count;
mod epoch;
mod flight;
mod hashed;
mod recency;
mod table;

use core::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::CacheInfo;
use crate::key::KeyRef;
use counters::Counters;
use flight::Flight;
pub use flight::{AsyncLookup, AsyncPending, Join};
use hashed::PassThrough;
pub(crate) use hashed::{Hashed, hash_of};
use recency::Recency;
use table::{Locked, Map, Removal};

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

struct Entry<V> {
    value: V,
    /// When it was stored, for stores with a time to live.
    born: Option<Instant>,
    /// Logical time of the last use; written by every hit (bounded stores only).
    stamp: AtomicU64,
    /// The stamp of this entry's valid record in the recency queue; writer only.
    queued: AtomicU64,
}

/// A stored result and its key.
struct Cached<K, V> {
    key: K,
    entry: Entry<V>,
}

/// What only the writer touches, besides the map.
struct Writer {
    /// The hash of each entry, by its last use. The entry a record stands for is the one of
    /// that hash whose `queued` stamp is the record's: the key is not kept twice, nor compared.
    recency: Recency<u64>,
}

/// The map, locked for writing.
type WriteLock<'s, K, V> = Locked<'s, Cached<K, V>, Writer>;

/// The cache of one memoized function (of one instantiation, for generic functions).
pub struct Store<K, V> {
    /// The results, and under its lock, the writer's state.
    map: Map<Cached<K, V>, Writer>,
    limit: Limit,
    /// Entries older than this are misses (`ttl = ...`).
    ttl: Option<Duration>,
    /// Computations under way, for `async fn`s (see [`flight`]).
    flights: papaya::HashMap<Hashed<K>, Arc<Flight<V>>, PassThrough>,
    counters: Counters,
    /// The stamp of the latest insertion (see [`clock`]).
    epoch: AtomicU64,
    /// The thread holding the writer lock (see [`this_thread`]), 0 when none does.
    holder: AtomicUsize,
    /// Results stored by calls made while this store's writer lock was held by the same thread:
    /// user code the writer runs (`Eq`, `Hash`, `Clone`, `Drop`) calling the function again.
    /// The writer stores them before it lets go of the lock (see [`Write`]).
    deferred: Mutex<Vec<(Hashed<K>, V)>>,
    /// Whether `deferred` may hold anything (it is empty but while a writer runs user code).
    has_deferred: AtomicBool,
}

/// A token for the calling thread, never 0: the address of a thread-local.
fn this_thread() -> usize {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|token| core::ptr::from_ref(token) as usize)
}

/// The writer lock, held: on release, it stores what re-entrant calls deferred meanwhile.
struct Write<'s, K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    store: &'s Store<K, V>,
    map: WriteLock<'s, K, V>,
}

impl<K, V> Drop for Write<'_, K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    fn drop(&mut self) {
        // Only this thread defers while it holds the lock: a relaxed flag is enough, and a
        // load first spares the common case an atomic read-modify-write.
        if self.store.has_deferred.load(Ordering::Relaxed)
            && self.store.has_deferred.swap(false, Ordering::Relaxed)
        {
            // Not while unwinding from user code: storing runs user code again.
            while !std::thread::panicking() {
                let Some((key, value)) = lock(&self.store.deferred).pop() else {
                    break;
                };
                self.store.insert_locked(&mut self.map, key, &value);
            }
            lock(&self.store.deferred).clear();
        }
        self.store.holder.store(0, Ordering::Release);
    }
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
    key: Option<Hashed<K>>,
}

trait Insert<K, V> {
    fn insert(&self, key: Option<Hashed<K>>, value: &V);
}

impl<K, V> Pending<'_, K, V> {
    /// Runs the body and stores its result. No lock is held while `body` runs; if it panics,
    /// nothing is stored.
    #[inline]
    pub fn run(self, body: impl FnOnce() -> V) -> V {
        self.finish(body())
    }

    /// Runs the body and stores its result if it is `Ok`; an `Err` is returned, not stored.
    #[inline]
    pub fn run_ok<E>(self, body: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        self.finish_ok(body())
    }

    /// Stores a result the body already returned: what a `#[track_caller]` function uses,
    /// whose body is called directly rather than through a closure (which would hide the
    /// caller's location from it).
    #[doc(hidden)]
    #[inline]
    pub fn finish(self, value: V) -> V {
        self.store.insert(self.key, &value);
        value
    }

    /// [`Pending::finish`] for a `Result`: stores an `Ok`, returns an `Err` unstored.
    #[doc(hidden)]
    #[inline]
    pub fn finish_ok<E>(self, result: Result<V, E>) -> Result<V, E> {
        if let Ok(value) = &result {
            self.store.insert(self.key, value);
        }
        result
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K, V> Store<K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    /// A store keeping at most `maxsize` results (`None`: unbounded), each for at most `ttl`.
    pub fn new(maxsize: Option<usize>, ttl: Option<Duration>) -> Self {
        let limit = match maxsize {
            Some(0) => Limit::Nothing,
            Some(n) => Limit::Bounded(n),
            None => Limit::Unbounded,
        };
        // A bounded store is sized for its bound up front (up to a point), so that filling it
        // seldom pauses to grow the table.
        let capacity = match limit {
            Limit::Bounded(n) => n.min(4096),
            Limit::Nothing | Limit::Unbounded => 0,
        };
        let writer = Writer {
            recency: Recency::new(),
        };
        Store {
            map: Map::new(capacity, writer),
            limit,
            ttl,
            flights: papaya::HashMap::with_hasher(PassThrough),
            counters: Counters::new(),
            epoch: AtomicU64::new(0),
            holder: AtomicUsize::new(0),
            deferred: Mutex::new(Vec::new()),
            has_deferred: AtomicBool::new(false),
        }
    }

    /// Takes the writer lock. Only the thread holding it can find itself as the holder, so a
    /// re-entrant call knows it must not wait for the lock (see [`Store::insert`]).
    fn write(&self) -> Write<'_, K, V> {
        let map = self.map.lock();
        self.holder.store(this_thread(), Ordering::Release);
        Write { store: self, map }
    }

    /// Looks a key up by the caller's form of it, counting a hit or a miss. Inlined into the
    /// memoized function (a hit is a few dozen instructions; calls would add a third), the
    /// miss kept out of line.
    #[inline(always)]
    pub fn lookup<Q: KeyRef<Owned = K>>(&self, key: Q) -> Lookup<'_, K, V> {
        let hash = hash_of(&key);
        match self.hit(hash, &key) {
            Some(value) => Lookup::Hit(value),
            None => self.missed(hash, &key),
        }
    }

    /// Counts a miss and makes the owned key to store the result under.
    #[cold]
    #[inline(never)]
    fn missed<Q: KeyRef<Owned = K>>(&self, hash: u64, key: &Q) -> Lookup<'_, K, V> {
        self.counters.miss();
        Lookup::Miss(Pending {
            store: self,
            key: self.owned_key(hash, key),
        })
    }

    /// The stored result for a key, if any and fresh, counted as a hit.
    #[inline(always)]
    fn hit<Q: KeyRef<Owned = K>>(&self, hash: u64, key: &Q) -> Option<V> {
        if self.limit == Limit::Nothing {
            return None;
        }
        // `inline(always)`: the compiler copies the read onto each path through `pinned`
        // (marking or already marked) and would otherwise call it out of line from each.
        epoch::pinned(
            #[inline(always)]
            |pin| {
                let cached = self
                    .map
                    .find(pin, hash, |cached| key.matches(&cached.key))?;
                self.use_entry(&cached.entry)
            },
        )
    }

    /// Counts a hit on a found entry and records its use, unless it is stale.
    #[inline(always)]
    fn use_entry(&self, entry: &Entry<V>) -> Option<V> {
        if self.is_stale(entry) {
            return None;
        }
        if let Limit::Bounded(_) = self.limit {
            let alone = self.counters.hit();
            let epoch = self.epoch.load(Ordering::Relaxed);
            // Alone, record every use: eviction is then exactly CPython's. Shared with
            // other threads, record the first use since the latest insertion only, so
            // that hits on a warm cache write nothing another thread reads.
            if alone {
                // Alone, the epoch's cache line is ours: raising it orders this use before
                // any later call, from whichever thread (calls one after another across
                // threads, say a thread joined, then another, evict as CPython does).
                let stamp = clock::tick(epoch);
                entry.stamp.store(stamp, Ordering::Relaxed);
                self.epoch.store(stamp, Ordering::Relaxed);
            } else if entry.stamp.load(Ordering::Relaxed) <= epoch {
                entry.stamp.store(clock::tick(epoch), Ordering::Relaxed);
            }
        } else {
            // No recency to keep: whether the thread is alone does not matter.
            self.counters.hit_only();
        }
        Some(entry.value.clone())
    }

    /// Whether an entry has outlived the store's time to live.
    #[inline]
    fn is_stale(&self, entry: &Entry<V>) -> bool {
        match (self.ttl, entry.born) {
            (Some(ttl), Some(born)) => born.elapsed() >= ttl,
            _ => false,
        }
    }

    /// The key to store on a miss (none when nothing is stored).
    fn owned_key<Q: KeyRef<Owned = K>>(&self, hash: u64, key: &Q) -> Option<Hashed<K>> {
        (self.limit != Limit::Nothing).then(|| Hashed {
            hash,
            key: key.to_owned_key(),
        })
    }

    /// Removes the least recently used entry. Caller holds the writer lock.
    fn evict_oldest(&self, map: &mut WriteLock<'_, K, V>) {
        // Records are taken oldest first; an entry used since its record was queued is queued
        // again under its latest use, and a record whose entry is gone is dropped.
        // (Two entries with one hash and one stamp could only be used at the same time by two
        // threads; either is then as old as the other.)
        while let Some((queued, hash)) = map.extra().recency.pop() {
            let is = |cached: &Cached<K, V>| cached.entry.queued.load(Ordering::Relaxed) == queued;
            let unused_since_queued =
                |cached: &Cached<K, V>| cached.entry.stamp.load(Ordering::Relaxed) == queued;
            let used = match map.remove_if(hash, is, unused_since_queued) {
                Removal::Removed => return,
                Removal::Kept(cached) => {
                    let now = cached.entry.stamp.load(Ordering::Relaxed);
                    cached.entry.queued.store(now, Ordering::Relaxed);
                    Some(now)
                }
                Removal::Absent => None, // a stale record
            };
            if let Some(now) = used {
                map.extra().recency.push(now, hash);
            }
        }
    }

    /// Stores the result of a miss, then evicts the least recently used result if over the
    /// bound (the new result, the most recent, is never the one evicted: as in CPython).
    ///
    /// As in CPython, a key that a re-entrant call stored while the body ran is left as it is.
    /// A call made by user code that this thread's writer runs (a key's `Eq` calling the
    /// function while a result is stored) cannot wait for the lock its own thread holds: its
    /// result is stored by that writer, before it lets go of the lock.
    fn insert(&self, key: Option<Hashed<K>>, value: &V) {
        let Some(key) = key else {
            return; // maxsize = 0
        };
        if self.holder.load(Ordering::Acquire) == this_thread() {
            let value = value.clone();
            lock(&self.deferred).push((key, value));
            self.has_deferred.store(true, Ordering::Relaxed);
            return;
        }
        let mut write = self.write();
        self.insert_locked(&mut write.map, key, value);
    }

    /// [`Store::insert`], with the writer lock held.
    fn insert_locked(&self, map: &mut WriteLock<'_, K, V>, key: Hashed<K>, value: &V) {
        let is = |cached: &Cached<K, V>| cached.key == key.key;
        if self.ttl.is_some() {
            // A stale entry gives way to the new result (it counts as stored until then).
            let _ = map.remove_if(key.hash, is, |cached| self.is_stale(&cached.entry));
        }
        let stamp = match self.limit {
            Limit::Bounded(_) => clock::tick(self.epoch.load(Ordering::Relaxed)),
            Limit::Unbounded | Limit::Nothing => 0,
        };
        let cached = |key: K| Cached {
            key,
            entry: Entry {
                value: value.clone(),
                born: self.ttl.map(|_| Instant::now()),
                stamp: AtomicU64::new(stamp),
                queued: AtomicU64::new(stamp),
            },
        };
        if self.limit == Limit::Unbounded {
            // CPython's unbounded cache stores with `cache[key] = result`: a result a
            // re-entrant call stored meanwhile is replaced by this, the outer one.
            let same = |old: &Cached<K, V>, new: &Cached<K, V>| old.key == new.key;
            map.replace(key.hash, cached(key.key), same);
            return;
        }
        // As CPython's bounded cache, a result a re-entrant call stored meanwhile stays.
        if map.get(key.hash, is).is_some() {
            return;
        }
        map.insert_new(key.hash, cached(key.key));
        if let Limit::Bounded(max) = self.limit {
            self.epoch.store(stamp, Ordering::Relaxed);
            map.extra().recency.push(stamp, key.hash);
            if map.len() > max {
                self.evict_oldest(map);
            }
            self.drop_stale_records(map);
        }
    }

    /// Removes the result stored for a key; whether there was one.
    pub(crate) fn remove(&self, key: &Hashed<K>) -> bool {
        let mut write = self.write();
        let is = |cached: &Cached<K, V>| cached.key == key.key;
        // Its record in the recency queue is now stale (see `drop_stale_records`).
        let removed = matches!(
            write.map.remove_if(key.hash, is, |_| true),
            Removal::Removed
        );
        self.drop_stale_records(&mut write.map);
        removed
    }

    /// Drops the recency records of entries that are gone (removed, or replaced after their
    /// time to live) once they outnumber the live ones: the queue stays O(maxsize), and the
    /// sweep, O(queue), runs once per as many removals as there are entries. Runs no user
    /// code: records are matched to entries by hash and stamp.
    fn drop_stale_records(&self, map: &mut WriteLock<'_, K, V>) {
        let live = map.len();
        if map.extra().recency.len() <= 2 * live + 16 {
            return;
        }
        let mut recency = core::mem::replace(&mut map.extra().recency, Recency::new());
        recency.retain(|stamp, &hash| {
            let is = |cached: &Cached<K, V>| cached.entry.queued.load(Ordering::Relaxed) == stamp;
            map.get(hash, is).is_some()
        });
        map.extra().recency = recency;
    }

    /// The statistics, with `maxsize` as given.
    pub fn info(&self, maxsize: Option<usize>) -> CacheInfo {
        let (hits, misses) = self.counters.totals();
        CacheInfo {
            hits,
            misses,
            maxsize,
            currsize: self.map.lock().len(),
        }
    }

    /// Empties the cache and resets the statistics.
    pub fn clear(&self) {
        let mut write = self.write();
        write.map.clear();
        write.map.extra().recency.clear();
        self.counters.reset();
    }
}

impl<K, V> Insert<K, V> for Store<K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    fn insert(&self, key: Option<Hashed<K>>, value: &V) {
        Store::insert(self, key, value);
    }
}

#[cfg(test)]
mod tests;
