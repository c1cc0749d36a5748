//! The in-memory store behind `#[memoize]`: a lock-free hash map with exact LRU eviction.
//!
//! A hit takes no lock and writes no memory that another thread's hit on another key writes:
//! it reads the map ([`papaya`], whose readers only mark a slot of their own thread), stores
//! the entry's new stamp (see [`clock`]) and bumps the calling thread's own counter (see
//! [`counters`]). Insertions and evictions are serialised by one writer lock, taken only after
//! the function body has run, never while it runs. The writer alone keeps the recency queue
//! (see [`recency`]). A panic in user code (`Hash`, `Eq`, `Clone`) poisons nothing: poisoned
//! locks are recovered, as every operation leaves the store consistent between calls into
//! user code.

mod clock;
mod counters;
mod flight;
mod hashed;
mod recency;

use core::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::CacheInfo;
use crate::key::KeyRef;
use counters::Counters;
use flight::Flight;
pub use flight::{AsyncLookup, AsyncPending, Join};
pub(crate) use hashed::{Hashed, hash_of};
use hashed::{PassThrough, Probe};
use recency::{Outcome, Recency};

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

/// What only the writer touches.
struct Writer<K> {
    recency: Recency<Hashed<K>>,
    len: usize,
}

type Map<K, V> = papaya::HashMap<Hashed<K>, Entry<V>, PassThrough>;

/// The cache of one memoized function (of one instantiation, for generic functions).
pub struct Store<K, V> {
    map: Map<K, V>,
    limit: Limit,
    /// Entries older than this are misses (`ttl = ...`).
    ttl: Option<Duration>,
    /// Computations under way, for `async fn`s (see [`flight`]).
    flights: papaya::HashMap<Hashed<K>, Arc<Flight<V>>, PassThrough>,
    counters: Counters,
    /// The stamp of the latest insertion (see [`clock`]).
    epoch: AtomicU64,
    writer: Mutex<Writer<K>>,
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
    writer: MutexGuard<'s, Writer<K>>,
}

impl<K, V> Drop for Write<'_, K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    fn drop(&mut self) {
        // Only this thread defers while it holds the lock: a relaxed flag is enough.
        if self.store.has_deferred.swap(false, Ordering::Relaxed) {
            // Not while unwinding from user code: storing runs user code again.
            while !std::thread::panicking() {
                let Some((key, value)) = lock(&self.store.deferred).pop() else {
                    break;
                };
                self.store.insert_locked(&mut self.writer, key, &value);
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
        let value = body();
        self.store.insert(self.key, &value);
        value
    }

    /// Runs the body and stores its result if it is `Ok`; an `Err` is returned, not stored.
    #[inline]
    pub fn run_ok<E>(self, body: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let result = body();
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
        // never pauses to grow the table.
        let capacity = match limit {
            Limit::Bounded(n) => n.min(4096),
            Limit::Nothing | Limit::Unbounded => 0,
        };
        Store {
            // Blocking resizes: the writer that grows the table finishes moving it, so that
            // reads never probe two tables (an incremental resize finishes only as later
            // writes help it, and a warm cache may see none).
            map: papaya::HashMap::builder()
                .hasher(PassThrough)
                .capacity(capacity)
                .resize_mode(papaya::ResizeMode::Blocking)
                .build(),
            limit,
            ttl,
            flights: papaya::HashMap::with_hasher(PassThrough),
            counters: Counters::new(),
            epoch: AtomicU64::new(0),
            writer: Mutex::new(Writer {
                recency: Recency::new(),
                len: 0,
            }),
            holder: AtomicUsize::new(0),
            deferred: Mutex::new(Vec::new()),
            has_deferred: AtomicBool::new(false),
        }
    }

    /// Takes the writer lock. Only the thread holding it can find itself as the holder, so a
    /// re-entrant call knows it must not wait for the lock (see [`Store::insert`]).
    fn write(&self) -> Write<'_, K, V> {
        let writer = lock(&self.writer);
        self.holder.store(this_thread(), Ordering::Release);
        Write {
            store: self,
            writer,
        }
    }

    /// Looks a key up by the caller's form of it, counting a hit or a miss.
    #[inline]
    pub fn lookup<Q: KeyRef<Owned = K>>(&self, key: Q) -> Lookup<'_, K, V> {
        let hash = hash_of(&key);
        if let Some(value) = self.hit(hash, &key) {
            return Lookup::Hit(value);
        }
        self.counters.miss();
        Lookup::Miss(Pending {
            store: self,
            key: self.owned_key(hash, &key),
        })
    }

    /// The stored result for a key, if any and fresh, counted as a hit.
    #[inline]
    fn hit<Q: KeyRef<Owned = K>>(&self, hash: u64, key: &Q) -> Option<V> {
        if self.limit == Limit::Nothing {
            return None;
        }
        let map = self.map.pin();
        let entry = map.get(&Probe { hash, key })?;
        if self.is_stale(entry) {
            return None;
        }
        let alone = self.counters.hit();
        if let Limit::Bounded(_) = self.limit {
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
    fn evict_oldest(&self, writer: &mut Writer<K>) {
        let map = self.map.pin();
        let unused_since = |queued: u64| {
            move |_: &Hashed<K>, entry: &Entry<V>| {
                entry.queued.load(Ordering::Relaxed) == queued
                    && entry.stamp.load(Ordering::Relaxed) == queued
            }
        };
        let evicted = writer.recency.evict_oldest(|key, queued| {
            match map.remove_if(key, unused_since(queued)) {
                Ok(Some(_)) => Outcome::Evicted,
                Err((_, entry)) if entry.queued.load(Ordering::Relaxed) == queued => {
                    let now = entry.stamp.load(Ordering::Relaxed);
                    entry.queued.store(now, Ordering::Relaxed);
                    Outcome::UsedSince(now)
                }
                Ok(None) | Err(_) => Outcome::Stale,
            }
        });
        if evicted {
            writer.len -= 1;
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
        self.insert_locked(&mut write.writer, key, value);
    }

    /// [`Store::insert`], with the writer lock held.
    fn insert_locked(&self, writer: &mut Writer<K>, key: Hashed<K>, value: &V) {
        if self.ttl.is_some() {
            // A stale entry gives way to the new result (it counts as stored until then).
            let map = self.map.pin();
            if let Ok(Some(_)) = map.remove_if(&key, |_, entry| self.is_stale(entry)) {
                writer.len -= 1;
            }
        }
        let stamp = match self.limit {
            Limit::Bounded(_) => clock::tick(self.epoch.load(Ordering::Relaxed)),
            Limit::Unbounded | Limit::Nothing => 0,
        };
        let record = matches!(self.limit, Limit::Bounded(_)).then(|| key.clone());
        let entry = || Entry {
            value: value.clone(),
            born: self.ttl.map(|_| Instant::now()),
            stamp: AtomicU64::new(stamp),
            queued: AtomicU64::new(stamp),
        };
        if self.limit == Limit::Unbounded {
            // CPython's unbounded cache stores with `cache[key] = result`: a result a
            // re-entrant call stored meanwhile is replaced by this, the outer one.
            if self.map.pin().insert(key, entry()).is_none() {
                writer.len += 1;
            }
            return;
        }
        if self.map.pin().try_insert_with(key, entry).is_err() {
            return;
        }
        writer.len += 1;
        if let (Limit::Bounded(max), Some(record)) = (self.limit, record) {
            self.epoch.store(stamp, Ordering::Relaxed);
            writer.recency.push(stamp, record);
            if writer.len > max {
                self.evict_oldest(writer);
            }
        }
    }

    /// Removes the result stored for a key; whether there was one.
    pub(crate) fn remove(&self, key: &Hashed<K>) -> bool {
        let mut write = self.write();
        let writer = &mut write.writer;
        let removed = self.map.pin().remove(key).is_some();
        if removed {
            // Its record in the recency queue is now stale, and is dropped when it surfaces.
            writer.len -= 1;
        }
        removed
    }

    /// The statistics, with `maxsize` as given.
    pub fn info(&self, maxsize: Option<usize>) -> CacheInfo {
        let (hits, misses) = self.counters.totals();
        CacheInfo {
            hits,
            misses,
            maxsize,
            currsize: lock(&self.writer).len,
        }
    }

    /// Empties the cache and resets the statistics.
    pub fn clear(&self) {
        let mut write = self.write();
        let writer = &mut write.writer;
        self.map.pin().clear();
        writer.recency.clear();
        writer.len = 0;
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
