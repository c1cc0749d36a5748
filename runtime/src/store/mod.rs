//! The in-memory store behind `#[memoize]`: a hash map read without locks, with exact LRU
//! eviction.
//!
//! A store that one thread alone uses keeps its results in a map of that thread's own, with
//! no lock and no atomic read-modify-write either, and none of what follows (see [`owned`]);
//! the first call from a second thread hands them over to the shared map, for good. The
//! rest of this page is about the shared map.
//!
//! A hit takes no lock, performs no atomic read-modify-write, and writes no memory that
//! another thread's hit on another key writes: in the calling thread's own slot of the store
//! (see [`threads`]) it marks itself as probing while it finds the entry, then protects the
//! entry with a hazard while it compares the key and clones the result (see [`epoch`] and
//! [`table`]); it stores the entry's new stamp (see [`clock`]) and bumps its own counter (see
//! [`counters`]). Insertions and evictions are
//! serialised by one writer lock, taken only after the function body has run, never while it
//! runs. The writer alone keeps the recency queue (see [`recency`]).
//!
//! No user code (`Hash`, `Eq`, `Clone`, `Drop`) runs while the writer lock is held, so user
//! code that calls back (the same function, its controls, another store's) cannot deadlock:
//! a writer clones the result and compares keys before it takes the lock (only if a node of
//! the key's hash was in the map when the call missed), and under the lock checks only that
//! no node for the same hash was published since it looked (see [`Insert::insert`]); what it
//! unlinks is dropped after the lock is let go. A panic in user
//! code thus never happens under the lock, and leaves nothing half-done.
//!
//! The inline attributes here, in the modules below and in the registry, the keys and the
//! outcomes hold only in optimized builds (`cfg_attr(not(debug_assertions), ..)`). At
//! `opt-level = 0` nothing is inlined anyway, but a forced inline still copies the helper,
//! unoptimized, into every function that calls it, and an `#[inline]` function that is not
//! generic is built again in each crate that calls it, instead of being called in py38's own
//! build. A crate with one memoized function, rebuilt without incremental compilation, went
//! from 1210 M to 1093 M instructions of `rustc` with the forced inlines, and to 1014 M with
//! the plain ones (incremental: 140.5 M to 135.1 M).

mod bookkeeping;
mod born;
mod clock;
mod counters;
#[cfg(test)]
mod drop_count;
mod epoch;
mod flight;
mod fork;
mod hashed;
mod owned;
mod recency;
mod sync_flight;
mod table;
mod threads;
mod waits;

use core::any::Any;
use core::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::CacheInfo;
use crate::key::KeyRef;
use crate::outcome::{Outcome, Whole};
pub(crate) use bookkeeping::Untracked;
pub(crate) use bookkeeping::{Bookkeeping, Tracked};
use born::Born;
pub use flight::{AsyncLookup, AsyncPending, Join};
use hashed::PassThrough;
pub(crate) use hashed::{Hashed, hash_of};
use recency::Recency;
pub use sync_flight::{FlightLookup, FlightPending};
use table::{LockUser, Locked, Map, NodeId, Owned, Owner, Removal, UNCLAIMED};
use threads::{Slot, Threads};

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

struct Entry<V, B> {
    value: V,
    /// When it was stored, its last use and its record's (see [`bookkeeping`]).
    book: B,
}

impl<V, B: Bookkeeping> Entry<V, B> {
    /// The stamp of the last use (0 if not recorded).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stamp(&self) -> u64 {
        self.book
            .stamp()
            .map_or(0, |stamp| stamp.load(Ordering::Relaxed))
    }

    /// The stamp of the entry's valid record in the recency queue (0 if not recorded).
    fn queued(&self) -> u64 {
        self.book
            .queued()
            .map_or(0, |queued| queued.load(Ordering::Relaxed))
    }
}

/// A stored result and its key.
struct Cached<K, V, B> {
    key: K,
    entry: Entry<V, B>,
}

/// What a miss stores, made before the writer lock is taken (cloning the value is user code).
struct Fresh<K, V> {
    key: K,
    value: V,
    born: Born,
}

impl<K, V> Fresh<K, V> {
    /// The entry, with `stamp` as its last use and its record's. Built where it is stored:
    /// a value built first and stamped after would be copied with wide loads over narrow
    /// stores, which the processor cannot forward (a stall of a dozen cycles, each miss).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stamped<B: Bookkeeping>(self, stamp: u64) -> Cached<K, V, B> {
        Cached {
            key: self.key,
            entry: Entry {
                value: self.value,
                book: B::new(self.born, stamp),
            },
        }
    }
}

/// What only the writer touches, besides the map.
struct Writer {
    /// The hash of each entry, by its last use. The entry a record stands for is the one of
    /// that hash whose `queued` stamp is the record's: the key is not kept twice, nor compared.
    recency: Recency,
}

/// The calling thread, as one store knows it: its slot and index, or none (then it counts in
/// the crowd, and reads under the writer lock: see [`threads`]).
#[derive(Clone, Copy)]
enum Caller<'s> {
    Slot(&'s Slot, usize),
    Crowd,
}

/// A table of computations under way, `F` for each key being computed.
type FlightTable<K, F> = papaya::HashMap<Hashed<K>, Arc<F>, PassThrough>;

/// A [`FlightTable`] of a type known only to the code that made it.
type ErasedTable = Box<dyn Any + Send + Sync>;

/// The table in `cell`, made empty if there is none yet.
fn flight_table<K, F>(cell: &OnceLock<ErasedTable>) -> &FlightTable<K, F>
where
    K: Send + Sync + 'static,
    F: Send + Sync + 'static,
{
    let table = cell.get_or_init(|| Box::new(FlightTable::<K, F>::with_hasher(PassThrough)));
    // Each cell is only ever given a table of one type: `flights` of its store's
    // `FlightTable<K, Flight<V>>`, `sync_flights` of its `FlightTable<K, SyncFlight<V>>`.
    table
        .downcast_ref()
        .expect("a store's table of flights has the store's types")
}

/// The map, locked for writing.
type WriteLock<'s, K, V, B> = Locked<'s, Cached<K, V, B>, Writer>;

/// The cache of one memoized function (of one instantiation, for generic functions). `B`:
/// what each entry keeps besides its key and value (see [`bookkeeping`]).
pub(crate) struct Store<K, V, B: Bookkeeping = Tracked> {
    /// The results while one thread alone uses the store, and who that is (see [`owned`]).
    owned: Owned<Cached<K, V, B>>,
    /// The results once several threads use it, and under its lock, the writer's state.
    map: Map<Cached<K, V, B>, Writer>,
    limit: Limit,
    /// Entries older than this are misses (`ttl = ...`).
    ttl: Option<Duration>,
    /// Computations under way, for `async fn`s (see [`flight`]): a
    /// `FlightTable<K, Flight<V>>`, made by the first `async` lookup. Its type is erased so
    /// that a store that never has one does not instantiate the table's code, not even to
    /// drop it: a memoized function that is neither `async` nor `single_flight` leaves about
    /// a fifth less of the runtime for the user's crate to compile.
    flights: OnceLock<ErasedTable>,
    /// Computations under way, for functions with `single_flight = true` (see
    /// [`sync_flight`]): a `FlightTable<K, SyncFlight<V>>`, made by the first such lookup.
    sync_flights: OnceLock<ErasedTable>,
    /// Each thread's part: its counts and its reading state (see [`threads`]).
    threads: Threads,
    /// Every stamp handed out from now on is above this: the stamp of the latest insertion, or
    /// of a later hit by a thread that had the store to itself (see [`clock`]).
    stamp_floor: AtomicU64,
}

/// What a lookup found.
pub enum Lookup<'s, K, V> {
    /// A stored result, cloned out of the cache.
    Hit(V),
    /// No result: [`Pending::settle`] stores what the body returns.
    Miss(Pending<'s, K, V>),
}

/// A call that missed, waiting for its result. Holds the owned key, made once on the miss.
///
/// Settled where the lookup left it: the memoized function matches `Lookup::Miss(ref mut
/// pending)`, and `Insert::insert` takes the key from there. Moved out of the `Lookup`, it
/// was copied with 16-byte loads over the 8-byte stores that wrote it, which the processor
/// cannot forward: two stalls of a dozen cycles, each miss (an evicting miss went from
/// 24.8 to 20.5 ns on an AMD EPYC).
pub struct Pending<'s, K, V> {
    // Type-erased so that `run` needs no bounds of its own: a bad type is reported once,
    // where `lookup` checks it.
    store: &'s dyn Insert<K, V>,
    key: Option<Hashed<K>>,
    /// A count of published nodes when no node of the key's hash was in the map (see
    /// [`Insert::insert`]); `None` if there was one, or it was not looked for.
    seen: Option<u64>,
    /// The thread that looked the key up, and settles: a `Pending` never leaves its thread
    /// (it is neither `Send` nor `Sync`, through `store`).
    caller: Caller<'s>,
}

trait Insert<K, V> {
    /// `key`: taken from where the miss wrote it (see [`Pending`]). `seen`: as [`Pending`]'s,
    /// or `None` to look the key up again. `caller`: the calling thread as the store knows
    /// it, if known.
    fn insert(
        &self,
        key: &mut Option<Hashed<K>>,
        value: &V,
        seen: Option<u64>,
        caller: Option<&Caller<'_>>,
    );
}

impl<K, V> Pending<'_, K, V> {
    /// Runs the body and stores its result. No lock is held while `body` runs; if it panics,
    /// nothing is stored.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn run(mut self, body: impl FnOnce() -> V) -> V {
        self.settle_all(Whole::default(), body())
    }

    /// [`Pending::settle`] with every result kept (the `keep` of a function without the
    /// option): one instantiation per outcome, none per predicate.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn settle_all<O: Outcome<Stored = V>>(
        &mut self,
        outcome: O,
        result: O::Result,
    ) -> O::Result {
        if let Some(value) = outcome.stored(&result) {
            self.store
                .insert(&mut self.key, value, self.seen, Some(&self.caller));
        }
        result
    }

    /// Stores what `outcome` takes of the body's `result` (an `Ok` value of a `Result`), if
    /// `keep` accepts it, and returns the result. `keep` runs before any lock is taken. A result
    /// not stored leaves the call counted as the miss it was.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn settle<O: Outcome<Stored = V>>(
        &mut self,
        outcome: O,
        result: O::Result,
        keep: impl FnOnce(&V) -> bool,
    ) -> O::Result {
        if let Some(value) = outcome.stored(&result)
            && keep(value)
        {
            self.store
                .insert(&mut self.key, value, self.seen, Some(&self.caller));
        }
        result
    }
}

impl<K, V, B> Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
    B: Bookkeeping,
{
    /// A store keeping at most `maxsize` results (`None`: unbounded), each for at most `ttl`.
    /// A store of [`Untracked`] entries, which record no use nor birth, is unbounded and
    /// keeps its results forever, whatever the arguments say.
    pub(crate) fn new(maxsize: Option<usize>, ttl: Option<Duration>) -> Self {
        debug_assert!(B::TRACKED || (maxsize.is_none() && ttl.is_none()));
        let (maxsize, ttl) = if B::TRACKED {
            (maxsize, ttl)
        } else {
            (None, None)
        };
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
        // An unbounded store seldom removes: its nodes are carved from chunks.
        let map = if limit == Limit::Unbounded {
            Map::chunked(capacity, writer)
        } else {
            Map::new(capacity, writer)
        };
        // The owned map starts small (4 KiB at most) and grows as it fills: a program with many
        // caches of a large `maxsize` does not pay for tables it may never fill twice over.
        let owned = Owned::new(
            limit != Limit::Nothing,
            limit == Limit::Unbounded,
            capacity.min(64),
        );
        Store {
            owned,
            map,
            limit,
            ttl,
            flights: OnceLock::new(),
            sync_flights: OnceLock::new(),
            threads: Threads::new(),
            stamp_floor: AtomicU64::new(0),
        }
    }

    /// Looks a key up by the caller's form of it, counting a hit or a miss. Inlined into the
    /// memoized function (a hit is a few dozen instructions; calls would add a third), the
    /// miss kept out of line.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn lookup<Q: KeyRef<Owned = K>>(&self, key: Q) -> Lookup<'_, K, V> {
        self.lookup_with::<true, _, _>(key, Lookup::Hit, |caller, hash, key, seen| {
            self.missed(caller, hash, key, seen)
        })
    }

    /// The hit path of every synchronous lookup ([`Store::lookup`],
    /// [`Store::lookup_flight`]): a stored result goes to `hit`, and a miss to `miss`, with the
    /// caller, the hash, the key and what the lookup saw (see [`Store::hit_or_seen`]); `miss` is
    /// out of line: a call to a `#[cold]` function. `OWNABLE`: the lookup may claim the store
    /// for the calling thread, or use it as its own (see [`owned`]); else it makes the store
    /// shared.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn lookup_with<'s, const OWNABLE: bool, Q: KeyRef<Owned = K>, R>(
        &'s self,
        key: Q,
        hit: impl FnOnce(V) -> R,
        miss: impl FnOnce(Caller<'s>, u64, &Q, Option<u64>) -> R,
    ) -> R {
        let hash = hash_of(&key);
        let me = threads::known();
        if !me.has_slot() {
            return self.lookup_new::<OWNABLE, _, _>(hash, &key, hit, miss);
        }
        // A caller known to have a slot: the compiler drops the other case from the hit.
        self.lookup_as::<OWNABLE, _, _>(me, hash, &key, hit, miss)
    }

    /// [`Store::lookup_with`] for a thread with a slot.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn lookup_as<'s, const OWNABLE: bool, Q: KeyRef<Owned = K>, R>(
        &'s self,
        me: threads::Me,
        hash: u64,
        key: &Q,
        hit: impl FnOnce(V) -> R,
        miss: impl FnOnce(Caller<'s>, u64, &Q, Option<u64>) -> R,
    ) -> R {
        if OWNABLE && let Some(slot) = self.owner_slot(me.lease) {
            // The owner: its slot is at hand, without the lookup of `Threads::slot` (a chain of
            // three dependent loads).
            let caller = Caller::Slot(slot, me.index);
            match self.read_owned(slot, me.lease, hash, key) {
                Some(Some(value)) => return hit(value),
                Some(None) => return miss(caller, hash, key, None),
                None => {} // handed over meanwhile
            }
        }
        let slot = self.threads.slot(me);
        let caller = Caller::Slot(slot, me.index);
        if !OWNABLE {
            self.share();
        } else if let Some(found) = self.lookup_owned(slot, me, hash, key) {
            return match found {
                Some(value) => hit(value),
                None => miss(caller, hash, key, None),
            };
        }
        match self.hit_or_seen(caller, hash, key) {
            Ok(value) => hit(value),
            Err(seen) => miss(caller, hash, key, seen),
        }
    }

    /// [`Store::lookup_with`] for a thread the stores do not know yet, or that has no slot
    /// (it makes the store shared).
    #[cold]
    #[inline(never)]
    fn lookup_new<'s, const OWNABLE: bool, Q: KeyRef<Owned = K>, R>(
        &'s self,
        hash: u64,
        key: &Q,
        hit: impl FnOnce(V) -> R,
        miss: impl FnOnce(Caller<'s>, u64, &Q, Option<u64>) -> R,
    ) -> R {
        let me = threads::me();
        if me.has_slot() {
            return self.lookup_as::<OWNABLE, _, _>(me, hash, key, hit, miss);
        }
        self.share();
        match self.hit_or_seen(Caller::Crowd, hash, key) {
            Ok(value) => hit(value),
            Err(seen) => miss(Caller::Crowd, hash, key, seen),
        }
    }

    /// The calling thread (with a slot) as the owner of the store (see [`owned`]).
    fn owner(&self, me: threads::Me) -> Owner<'_> {
        Owner {
            lease: me.lease,
            reader: &self.threads.slot(me).reader,
        }
    }

    /// The calling thread, as this store knows it (its index handed out on first use).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn caller(&self) -> Caller<'_> {
        let me = threads::me();
        if me.has_slot() {
            Caller::Slot(self.threads.slot(me), me.index)
        } else {
            Caller::Crowd
        }
    }

    /// Counts a miss and makes the owned key to store the result under; `seen`: as
    /// [`Store::hit_or_seen`] gave it. Inlined: out of line, its `Pending` was written through
    /// memory and copied back (a miss took 18 instructions more; cold `fib(34)` 7% more time
    /// on an AMD EPYC, for a `u64` hit 4% faster: its function saved fewer registers).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn missed<'s, Q: KeyRef<Owned = K>>(
        &'s self,
        caller: Caller<'s>,
        hash: u64,
        key: &Q,
        seen: Option<u64>,
    ) -> Lookup<'s, K, V> {
        match caller {
            Caller::Slot(slot, _) => slot.counts.miss(),
            // Out of line, so that a slot's miss (most) makes no call that the values it
            // returns would have to outlive in saved registers.
            Caller::Crowd => return self.missed_in_crowd(hash, key, seen),
        }
        self.pending(caller, hash, key, seen)
    }

    /// [`Store::missed`] for a thread that counts in the crowd.
    #[cold]
    #[inline(never)]
    fn missed_in_crowd<'s, Q: KeyRef<Owned = K>>(
        &'s self,
        hash: u64,
        key: &Q,
        seen: Option<u64>,
    ) -> Lookup<'s, K, V> {
        self.count_miss(Caller::Crowd);
        self.pending(Caller::Crowd, hash, key, seen)
    }

    /// The miss a lookup hands back: the owned key to store the result under, and what
    /// [`Pending`] needs to store it.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn pending<'s, Q: KeyRef<Owned = K>>(
        &'s self,
        caller: Caller<'s>,
        hash: u64,
        key: &Q,
        seen: Option<u64>,
    ) -> Lookup<'s, K, V> {
        Lookup::Miss(Pending {
            store: self,
            key: self.owned_key(hash, key),
            seen,
            caller,
        })
    }

    /// The stored result for a key, if any and fresh, counted as a hit.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn hit<Q: KeyRef<Owned = K>>(&self, caller: Caller<'_>, hash: u64, key: &Q) -> Option<V> {
        self.hit_or_seen(caller, hash, key).ok()
    }

    /// [`Store::hit`], and for a miss, the count of published nodes before a lookup that met
    /// no node for `hash` at all (see `Map::read_or_published`), if it was one: that stands
    /// for the lookup an insert would make (see [`Pending`]'s `seen`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn hit_or_seen<Q: KeyRef<Owned = K>>(
        &self,
        caller: Caller<'_>,
        hash: u64,
        key: &Q,
    ) -> Result<V, Option<u64>> {
        if self.limit() == Limit::Nothing {
            return Err(None);
        }
        let is = |cached: &Cached<K, V, B>| key.matches(&cached.key);
        let Caller::Slot(slot, _) = caller else {
            let used = self.map.read_outside(&self.threads, hash, is, |cached, _| {
                self.use_entry(caller, &cached.entry)
            });
            return used.flatten().ok_or(None);
        };
        // `inline(always)`: the use of a found entry is most of a hit.
        let used = self.map.read_or_published(
            &slot.reader,
            hash,
            is,
            #[cfg_attr(not(debug_assertions), inline(always))]
            |cached, _| self.use_entry(caller, &cached.entry),
        );
        match used {
            Ok(Some(Some(value))) => Ok(value),
            Ok(_) => Err(None), // found stale, or only other keys of the hash
            Err(seen) => Err(Some(seen)),
        }
    }

    /// Hands the entry for `hash` that `is` accepts to `then`, kept alive meanwhile (see
    /// [`table`]'s `Map::read`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn read<R>(
        &self,
        caller: Caller<'_>,
        hash: u64,
        is: impl FnMut(&Cached<K, V, B>) -> bool,
        then: impl FnOnce(&Cached<K, V, B>, NodeId) -> R,
    ) -> Option<R> {
        match caller {
            Caller::Slot(slot, _) => self.map.read(&slot.reader, hash, is, then),
            Caller::Crowd => self.map.read_outside(&self.threads, hash, is, then),
        }
    }

    /// Counts a hit on a found entry and records its use, unless it is stale.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn use_entry(&self, caller: Caller<'_>, entry: &Entry<V, B>) -> Option<V> {
        if self.is_stale(entry) {
            return None;
        }
        if let (Limit::Bounded(_), Some(last_use)) = (self.limit(), entry.book.stamp()) {
            let alone = self.count_hit(caller);
            let floor = self.stamp_floor.load(Ordering::Relaxed);
            // Alone, record every use: eviction is then exactly CPython's. Shared with
            // other threads, record the first use since the latest insertion only, so
            // that hits on a warm cache write nothing another thread reads.
            if alone {
                // Alone, the floor's cache line is ours: raising it orders this use before
                // any later call, from whichever thread (calls one after another across
                // threads, say a thread joined, then another, evict as CPython does).
                let stamp = self.tick(caller, floor);
                last_use.store(stamp, Ordering::Relaxed);
                self.stamp_floor.store(stamp, Ordering::Relaxed);
            } else if last_use.load(Ordering::Relaxed) <= floor {
                last_use.store(self.tick(caller, floor), Ordering::Relaxed);
            }
        } else {
            // No recency to keep: whether the thread is alone does not matter.
            match caller {
                Caller::Slot(slot, _) => slot.counts.hit_only(),
                Caller::Crowd => self.threads.crowd.count(true),
            }
        }
        Some(entry.value.clone())
    }

    /// Counts a hit; `true` if the calling thread has had the store to itself lately.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn count_hit(&self, caller: Caller<'_>) -> bool {
        match caller {
            Caller::Slot(slot, index) => slot.counts.hit(|| self.threads.others(Some(index))),
            Caller::Crowd => self.threads.crowd.hit(self.threads.others(None)),
        }
    }

    /// The calling thread's next recency stamp after `floor` (see [`clock`]).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tick(&self, caller: Caller<'_>, floor: u64) -> u64 {
        match caller {
            Caller::Slot(slot, _) => slot.counts.tick(floor),
            Caller::Crowd => clock::tick(floor),
        }
    }

    fn count_miss(&self, caller: Caller<'_>) {
        match caller {
            Caller::Slot(slot, _) => slot.counts.miss(),
            Caller::Crowd => self.threads.crowd.count(false),
        }
    }

    /// How many results the store keeps: known as it is built for a store without
    /// bookkeeping (unbounded), so that its code has no other case.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn limit(&self) -> Limit {
        if B::TRACKED {
            self.limit
        } else {
            Limit::Unbounded
        }
    }

    /// The time to live (never one for a store without bookkeeping: see [`Store::limit`]).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn ttl(&self) -> Option<Duration> {
        if B::TRACKED { self.ttl } else { None }
    }

    /// Whether an entry has outlived the store's time to live.
    #[cfg_attr(not(debug_assertions), inline)]
    fn is_stale(&self, entry: &Entry<V, B>) -> bool {
        self.ttl()
            .is_some_and(|ttl| entry.book.born().is_some_and(|born| born.older_than(ttl)))
    }

    /// The key to store on a miss (none when nothing is stored).
    fn owned_key<Q: KeyRef<Owned = K>>(&self, hash: u64, key: &Q) -> Option<Hashed<K>> {
        (self.limit() != Limit::Nothing).then(|| Hashed {
            hash,
            key: key.to_owned_key(),
        })
    }

    /// Removes the least recently used entry. Caller holds the writer lock.
    fn evict_oldest(&self, map: &mut WriteLock<'_, K, V, B>) {
        // Records are taken oldest first; an entry used since its record was queued is queued
        // again under its latest use, and a record whose entry is gone is dropped.
        // (Two entries with one hash and one stamp could only be used at the same time by two
        // threads; either is then as old as the other.)
        while let Some((queued, hash)) = map.writer_state().recency.pop() {
            let is = |cached: &Cached<K, V, B>| cached.entry.queued() == queued;
            let unused_since_queued = |cached: &Cached<K, V, B>| cached.entry.stamp() == queued;
            let used = match map.remove_if(hash, is, unused_since_queued) {
                Removal::Removed => return,
                Removal::Kept(cached) => {
                    let now = cached.entry.stamp();
                    if let Some(record) = cached.entry.book.queued() {
                        record.store(now, Ordering::Relaxed);
                    }
                    Some(now)
                }
                Removal::Absent => None, // a stale record
            };
            if let Some(now) = used {
                map.writer_state().recency.push(now, hash);
            }
        }
    }

    /// The writer lock, taken as the calling thread: without the mutex if the store's only
    /// live user (see [`table`]'s `writer_lock`).
    #[cfg_attr(not(debug_assertions), inline)]
    fn lock_map<'s>(&'s self, caller: Caller<'s>) -> WriteLock<'s, K, V, B> {
        match caller {
            Caller::Slot(slot, index) => self.map.lock_as(
                &self.threads,
                LockUser {
                    index,
                    reader: &slot.reader,
                },
            ),
            Caller::Crowd => self.map.lock(&self.threads),
        }
    }

    /// The count of published nodes, then the node holding `key`, if any: a lookup made without
    /// the lock (it runs `Eq`), for a writer to act on under it.
    fn find_node(&self, caller: Caller<'_>, hash: u64, key: &K) -> (u64, Option<NodeId>) {
        let seen = self.map.published();
        let is = |cached: &Cached<K, V, B>| cached.key == *key;
        (seen, self.read(caller, hash, is, |_, id| id))
    }

    /// [`Insert::insert`], with the writer lock held and the key already looked up (`found`).
    /// Runs no user code; hands back the item if it is not stored, to be dropped unlocked.
    fn insert_locked(
        &self,
        map: &mut WriteLock<'_, K, V, B>,
        caller: Caller<'_>,
        hash: u64,
        found: Option<NodeId>,
        item: Fresh<K, V>,
    ) -> Option<Fresh<K, V>> {
        if let Some(id) = found
            && let Some(old) = map.node(hash, id)
        {
            if self.is_stale(&old.entry) {
                // A stale entry gives way to the new result (it counts as stored until then);
                // its record in the recency queue is now stale.
                map.remove_node(hash, id);
                self.drop_stale_records(map);
            } else if self.limit() == Limit::Unbounded {
                // CPython's unbounded cache stores with `cache[key] = result`.
                map.replace_node(hash, id, item.stamped(0));
                return None;
            } else {
                return Some(item); // as CPython's bounded cache: the stored result stays
            }
        }
        let Limit::Bounded(max) = self.limit() else {
            map.insert_new(hash, item.stamped(0));
            return None;
        };
        let stamp = self.tick(caller, self.stamp_floor.load(Ordering::Relaxed));
        map.insert_new(hash, item.stamped(stamp));
        self.stamp_floor.store(stamp, Ordering::Relaxed);
        map.writer_state().recency.push(stamp, hash);
        if map.len() > max {
            self.evict_oldest(map);
        }
        None
    }

    /// Removes the result stored for a key; whether there was one. Compares keys without the
    /// lock, as [`Insert::insert`] does.
    pub(crate) fn remove(&self, key: &Hashed<K>) -> bool {
        let me = threads::known();
        let state = self.owned.state();
        if me.has_slot() && state == me.lease {
            let owner = self.owner(me);
            let is = |cached: &Cached<K, V, B>| cached.key == key.key;
            if let Ok(removed) = self.owned.remove(owner, key.hash, is) {
                return removed;
            }
        }
        if state != UNCLAIMED {
            self.share(); // (an unclaimed store holds nothing, and stays unclaimed)
        }
        loop {
            let (seen, found) = self.find_node(self.caller(), key.hash, &key.key);
            let Some(id) = found else {
                return false;
            };
            let mut map = self.map.lock(&self.threads);
            if map.published_since(key.hash, seen) {
                continue;
            }
            // Its record in the recency queue is now stale (see `drop_stale_records`).
            let removed = map.remove_node(key.hash, id);
            self.drop_stale_records(&mut map);
            return removed;
        }
    }

    /// Drops the recency records of entries that are gone (removed, or replaced after their
    /// time to live) once they outnumber the live ones: the queue stays O(maxsize), and the
    /// sweep, O(queue), runs once per as many removals as there are entries. Called where an
    /// entry is removed, the only place a stale record comes from: an eviction takes its
    /// entry's record, and a use requeued replaces its own. Runs no user code: records are
    /// matched to entries by hash and stamp.
    #[cfg_attr(not(debug_assertions), inline)]
    fn drop_stale_records(&self, map: &mut WriteLock<'_, K, V, B>) {
        let live = map.len();
        if map.writer_state().recency.needs_sweep(live) {
            self.sweep_stale_records(map);
        }
    }

    /// [`Store::drop_stale_records`]'s sweep.
    #[cold]
    #[inline(never)]
    fn sweep_stale_records(&self, map: &mut WriteLock<'_, K, V, B>) {
        let mut recency = core::mem::replace(&mut map.writer_state().recency, Recency::new());
        recency.retain(&mut |stamp, hash| {
            let is = |cached: &Cached<K, V, B>| cached.entry.queued() == stamp;
            map.get(hash, is).is_some()
        });
        map.writer_state().recency = recency;
    }

    /// The statistics, with `maxsize` as given. Takes no lock: a thread that only asks for
    /// statistics does not take the writer lock from the store's user (see `writer_lock`).
    pub(crate) fn info(&self, maxsize: Option<usize>) -> CacheInfo {
        let (hits, misses) = self.threads.totals();
        let len = self.map.len() + self.owned.len();
        // A miss stores, then evicts: between the two a full map holds one more than its
        // bound. Before the store and after the eviction it held `max`, so `max` is what a
        // look under the lock would have seen.
        let currsize = match self.limit() {
            Limit::Bounded(max) => len.min(max),
            Limit::Nothing | Limit::Unbounded => len,
        };
        CacheInfo {
            hits,
            misses,
            maxsize,
            currsize,
        }
    }

    /// Empties the cache and resets the statistics.
    pub(crate) fn clear(&self) {
        let me = threads::known();
        let state = self.owned.state();
        if me.has_slot() && state == me.lease && self.owned.clear(self.owner(me)).is_ok() {
            self.threads.reset();
            return;
        }
        if state != UNCLAIMED {
            self.share(); // (an unclaimed store holds nothing, and stays unclaimed)
        }
        // As the calling thread: without the mutex if the lock is biased to it, the store's
        // only live user (a cold cache's first call, after a clear, is its next miss).
        let mut map = self.lock_map(self.caller());
        map.clear();
        map.writer_state().recency.clear();
        self.threads.reset();
    }
}

impl<K, V, B> Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    /// Makes a `fork()` wait until this store's writer lock is free, and the child find it
    /// free (for stores that live as long as the program: see [`fork`]).
    pub(crate) fn keep_across_forks(&'static self) {
        fork::register(self);
    }

    /// The writer lock, taken and held without doing anything.
    /// The store shared first: the child of a fork may not have the owner (see [`owned`]).
    fn hold_writer_lock(&'static self) -> Box<dyn core::any::Any> {
        self.share();
        self.map.hold(&self.threads)
    }
}

impl<K, V, B> fork::Exclusive for Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    fn hold(&'static self) -> Box<dyn core::any::Any> {
        self.hold_writer_lock()
    }
}

impl<K, V, B> Insert<K, V> for Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
    B: Bookkeeping,
{
    /// Stores the result of a miss, then evicts the least recently used result if over the
    /// bound (the new result, the most recent, is never the one evicted: as in CPython).
    ///
    /// User code runs first, with no lock held: the result is cloned, and the key compared
    /// with those stored (a lookup, as a hit's). Then, under the lock, the writer checks that
    /// no node for the same hash was published since that lookup (else it looks again), and
    /// acts on what the lookup found by the node's identity alone. As in CPython, a key that a
    /// re-entrant call stored while the body ran is left as it is in a bounded cache, and
    /// replaced by this, the outer call's result, in an unbounded one.
    ///
    /// `seen`, if known: a count of published nodes when no node of the key's hash was in the
    /// map (see `Map::read_or_published`). That stands for the first lookup here, without
    /// running `Eq`: a node for the key now is one published after `seen`, which the check
    /// under the lock catches.
    fn insert(
        &self,
        key: &mut Option<Hashed<K>>,
        value: &V,
        seen: Option<u64>,
        caller: Option<&Caller<'_>>,
    ) {
        let Some(Hashed { hash, key }) = key.take() else {
            return; // maxsize = 0
        };
        let item = Fresh {
            key,
            value: value.clone(),
            born: match self.ttl() {
                Some(_) => Born::now(),
                None => Born::UNRECORDED,
            },
        };
        // The calling thread, found once for the lookup, the lock and the stamp (by the
        // lookup, if it was made on this thread).
        let caller = caller.copied().unwrap_or_else(|| self.caller());
        let item = match caller {
            Caller::Slot(slot, _) => {
                match self.insert_owned(slot, threads::known().lease, hash, item) {
                    Ok(()) => return,
                    Err(item) => item,
                }
            }
            Caller::Crowd => item,
        };
        self.share();
        let mut looked_up = seen.map(|seen| (seen, None));
        let unused = loop {
            let (seen, found) = match looked_up.take() {
                Some(looked_up) => looked_up,
                None => self.find_node(caller, hash, &item.key),
            };
            let mut map = self.lock_map(caller);
            if map.published_since(hash, seen) {
                continue; // lets go of the lock, and looks again
            }
            break self.insert_locked(&mut map, caller, hash, found, item);
        };
        drop(unused); // after the lock is let go: `Drop` is user code
    }
}

#[cfg(test)]
mod tests;
