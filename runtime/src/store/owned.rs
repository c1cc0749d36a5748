//! A store while one thread alone uses it: its items live in an owned map (see [`table`]'s
//! `owned`), which that thread reads and writes with no atomic read-modify-write, no lock and
//! no publication protocol. Most caches are used by one thread (a script, a request handler's
//! worker, a recursive computation): there a miss takes about three quarters of the shared
//! map's instructions, and a hit about four fifths. Every use is stamped from the owner's clock and
//! the owner keeps its own queue of records (see [`recency`]): eviction is exactly CPython's.
//!
//! The first thread that looks a key up owns the store. The first call from another thread,
//! a computation shared between threads (`async fn`, `single_flight`), or a `fork()` makes the
//! store *shared* for good: the owner's items are handed over to the shared map with their
//! stamps, its queue to the shared writer, and the store's floor raised above every stamp (see
//! [`clock`]), so that eviction goes on as it would have. A call of the owner that was under
//! way then finishes on the shared map.

use core::cell::Cell;
use core::hash::Hash;
use std::sync::atomic::Ordering;

use super::table::{NotOwner, OnFound, Owner, SHARED, Stamps, UNCLAIMED, Unmade};
use super::threads::{Me, Slot};
use super::{Bookkeeping, Cached, Entry, Fresh, Limit, Store};
use crate::key::KeyRef;

impl<K, V, B> Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
    B: Bookkeeping,
{
    /// A lookup by the thread of `lease` (whose slot is `slot`) in the store it owns:
    /// `Some(Some(value))` for a hit, `Some(None)` for a miss (not counted yet), `None` if the
    /// store is shared (claimed by this call if no thread had used it yet).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn lookup_owned<Q: KeyRef<Owned = K>>(
        &self,
        slot: &Slot,
        me: Me,
        hash: u64,
        key: &Q,
    ) -> Option<Option<V>> {
        let state = self.owned.state();
        if state != me.lease && (state == SHARED || !self.claim_or_share(me, state)) {
            return None;
        }
        self.read_owned(slot, me.lease, hash, key)
    }

    /// The slot of the thread of `lease`, if it owns the store.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn owner_slot(&self, lease: u64) -> Option<&Slot> {
        if self.owned.state() != lease {
            return None;
        }
        // The owner's own: noted by it as it claimed the store.
        self.threads.noted()
    }

    /// [`Store::lookup_owned`] in a store known to be the caller's (perhaps handed over since).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn read_owned<Q: KeyRef<Owned = K>>(
        &self,
        slot: &Slot,
        lease: u64,
        hash: u64,
        key: &Q,
    ) -> Option<Option<V>> {
        let is = |cached: &Cached<K, V, B>| key.matches(&cached.key);
        let owner = Owner {
            lease,
            reader: &slot.reader,
        };
        let found = self.owned.read(
            owner,
            hash,
            is,
            #[cfg_attr(not(debug_assertions), inline(always))]
            |cached| self.use_owned(slot, &cached.entry),
        );
        match found {
            Ok(Some(Some(value))) => Some(Some(value)),
            Ok(_) => Some(None), // absent, or stale
            Err(NotOwner) => {
                self.share();
                None
            }
        }
    }

    /// Counts a hit on an owned entry and records its use, unless it is stale. Every use is
    /// recorded: eviction is exactly CPython's.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn use_owned(&self, slot: &Slot, entry: &Entry<V, B>) -> Option<V> {
        if self.is_stale(entry) {
            return None;
        }
        slot.counts.hit_only();
        if let (Limit::Bounded(_), Some(last_use)) = (self.limit(), entry.book.stamp()) {
            last_use.store(slot.counts.tick(0), Ordering::Relaxed);
        }
        Some(entry.value.clone())
    }

    /// For a thread (`me`, with a slot) to which the store does not belong (`state`, not
    /// shared): claims it if no thread used it yet (then `true`), else makes it shared.
    #[cold]
    #[inline(never)]
    fn claim_or_share(&self, me: Me, state: u64) -> bool {
        if state == UNCLAIMED && self.owned.claim(me.lease) {
            // Read by this thread alone (see `Store::owner_slot`).
            self.threads.note(me);
            return true;
        }
        self.share();
        false
    }

    /// Stores a miss's result in the store the thread of `lease` owns; hands the item back if
    /// the store is not (or no longer) its own.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn insert_owned(
        &self,
        slot: &Slot,
        lease: u64,
        hash: u64,
        item: Fresh<K, V>,
    ) -> Result<(), Fresh<K, V>> {
        if self.owned.state() != lease {
            return Err(item);
        }
        let (bound, stamp) = match self.limit() {
            Limit::Bounded(max) => (Some(max), slot.counts.tick(0)),
            Limit::Nothing | Limit::Unbounded => (None, 0),
        };
        let same_key = |old: &Cached<K, V, B>, new: &Stamped<K, V>| old.key == new.fresh.key;
        let owner = Owner {
            lease,
            reader: &slot.reader,
        };
        let item = Stamped { fresh: item, stamp };
        let stored =
            (self.owned).insert(owner, hash, item, bound, same_key, |old| self.on_found(old));
        stored.map_err(|item| item.fresh)
    }

    /// What an insertion does with the entry of its key stored meanwhile (a call back from
    /// the body stored it): as the shared map's `Store::insert_locked`.
    fn on_found(&self, old: &Cached<K, V, B>) -> OnFound {
        if self.is_stale(&old.entry) {
            OnFound::Remove
        } else if self.limit() == Limit::Unbounded {
            OnFound::Replace // CPython's unbounded cache stores with `cache[key] = result`
        } else {
            OnFound::Keep // as CPython's bounded cache: the stored result stays
        }
    }

    /// Makes the store shared for good, if it is not yet (see the module's documentation).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn share(&self) {
        if self.owned.state() != SHARED {
            self.hand_over();
        }
    }

    /// [`Store::share`]: the owner's items handed over with their stamps and the queue of
    /// their records; every stamp handed out from now on is above theirs.
    #[cold]
    #[inline(never)]
    fn hand_over(&self) {
        let floor = Cell::new(self.stamp_floor.load(Ordering::Relaxed));
        self.owned.hand_over(
            &self.map,
            &self.threads,
            |cached, _| floor.set(floor.get().max(cached.used())),
            |recency, writer| {
                debug_assert_eq!(writer.recency.len(), 0, "the shared map was not used");
                writer.recency = recency;
                self.stamp_floor.store(floor.get(), Ordering::Relaxed);
            },
        );
    }
}

impl<K, V, B: Bookkeeping> Stamps for Cached<K, V, B> {
    /// An unbounded store without a time to live (the only kind without bookkeeping).
    const TAGGED: bool = !B::TRACKED;

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn used(&self) -> u64 {
        self.entry.stamp()
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn queued(&self) -> u64 {
        self.entry.queued()
    }

    fn requeue(&self, stamp: u64) {
        if let Some(queued) = self.entry.book.queued() {
            queued.store(stamp, Ordering::Relaxed);
        }
    }
}

/// A miss's result for the owned map, and the stamp of its use: made into the entry in its
/// node (see [`Unmade`]).
struct Stamped<K, V> {
    fresh: Fresh<K, V>,
    stamp: u64,
}

impl<K, V, B: Bookkeeping> Unmade<Cached<K, V, B>> for Stamped<K, V> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn queued(&self) -> u64 {
        if B::TRACKED { self.stamp } else { 0 }
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn make(self) -> Cached<K, V, B> {
        self.fresh.stamped(self.stamp)
    }
}
