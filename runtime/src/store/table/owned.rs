//! The map of a store that one thread alone uses: the same nodes as [`Map`]'s, found through an
//! [`Index`] that only that thread, the *owner*, reads and writes. No atomic, no label, no
//! tombstone, no lock. A bounded store's least recently used item is found as the shared
//! store's thread alone finds it: every use is stamped (by the store), and the owner keeps a
//! queue of records (see `recency`) that goes to the shared writer with the nodes (exact LRU,
//! as CPython's).
//!
//! The first thread that looks a key up in a store claims it ([`Owned::claim`]). When another
//! thread comes (or a `fork()`, or a computation shared between threads), the nodes are
//! *handed over* to the shared map as they are ([`Owned::hand_over`]), and every thread uses
//! that from then on. The owner works on the index in *windows*: it marks itself busy, then
//! checks that the store is still its own, with the light side of the epoch's barrier
//! between. The thread that hands over first takes the store from the owner, runs the heavy
//! side, then waits until the owner is not busy: either the owner sees the store taken and
//! keeps out, or the hander sees the owner busy and waits for its window to end. A window
//! runs no user code (no `Hash`, `Eq`, `Clone` nor `Drop` of the user's types) and takes a few
//! dozen instructions, so that wait is short, and cannot be a deadlock.
//!
//! The owner compares keys and clones results between its windows, so the node it reads must
//! outlive a hand-over, and any removal by the owner itself (a call made from that user
//! code): it protects the node with a hazard of its reader, or its reader's mark, as a
//! shared read does (see [`epoch`](super::super::epoch)). A hand-over moves no item: it
//! publishes the very nodes, so the shared map's writers see the owner's hazard or mark before
//! they free one. The owner itself frees a node it unlinked only while it reads nothing of
//! the store; otherwise the node waits in a list of its own, and goes to the shared map's bin
//! if the store is handed over meanwhile.
//!
//! `unsafe` code: the owner's index is reached through an `UnsafeCell`, in windows, or by the
//! thread handing over once the owner is out; the nodes are raw pointers.

use core::cell::UnsafeCell;
use core::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::chunks::{Carver, Label};
use super::read::{Hazard, Hold};
use super::unlinked::Unlinked;
use super::{Locked, Map, Node, free_node};
use crate::store::epoch::{self, Reader, Readers};
use crate::store::recency::Recency;

mod index;

use index::{Index, Payload};

/// No thread has used the store yet.
pub(crate) const UNCLAIMED: u64 = u64::MAX - 2;
/// A thread is handing the store over to the shared map.
const HANDING_OVER: u64 = u64::MAX - 1;
/// Every thread uses the shared map.
pub(crate) const SHARED: u64 = u64::MAX;

/// The owner as it calls: its lease (see `threads`) and its reader in the store.
#[derive(Clone, Copy)]
pub(crate) struct Owner<'r> {
    pub(crate) lease: u64,
    pub(crate) reader: &'r Reader,
}

/// The store is no longer the calling thread's: it was handed over, or is being.
#[derive(Debug)]
pub(crate) struct NotOwner;

/// What [`Owned::insert`] does with an item stored already for the new one's key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OnFound {
    /// Keeps it, and drops the new one.
    Keep,
    /// Puts the new one in its place.
    Replace,
    /// Removes it, then adds the new one as if it had not been there.
    Remove,
}

/// What an owned map knows of its items: whether its index keeps tags, and, to evict the least
/// recently used (a bounded store's), the stamps of their uses (see the store's `clock`).
/// Reading them runs no user code.
pub(crate) trait Stamps {
    /// Whether the map's index keeps tags: for the items of a store that grows without bound
    /// (see `index`).
    const TAGGED: bool;

    /// The stamp of the item's last use.
    fn used(&self) -> u64;
    /// The stamp of its valid record in the recency queue.
    fn queued(&self) -> u64;
    /// Notes that its record is queued again, under `stamp`.
    fn requeue(&self, stamp: u64);
}

/// An item to store, made in its node: an item made first and moved there is copied with wide
/// loads over the narrow stores that made it, which the processor cannot forward (a stall of
/// a dozen cycles, each miss).
pub(crate) trait Unmade<T> {
    /// The stamp the item's record is queued under (its [`Stamps::queued`]).
    fn queued(&self) -> u64;
    /// The item.
    fn make(self) -> T;
}

/// A store's map while one thread owns it, and who that is.
pub(crate) struct Owned<T: Stamps> {
    /// The owner's lease (see `threads`), [`UNCLAIMED`], [`HANDING_OVER`] or [`SHARED`].
    state: AtomicU64,
    /// Whether the owner is in a window. Written by the owner alone.
    busy: AtomicBool,
    /// How many items the index holds, as last written (for `cache_info`, from any thread).
    len: AtomicUsize,
    map: UnsafeCell<OwnedMap<T>>,
}

// SAFETY: the map is reached by one thread at a time: the owner in its windows, or the thread
// handing over once the owner is out of them (see the module's documentation). Its items are
// read by other threads once handed over (shared, as `Map`'s: `T: Sync`) and dropped by any
// thread (`T: Send`).
unsafe impl<T: Stamps + Send + Sync> Sync for Owned<T> {}
// SAFETY: as `Map`'s nodes: owned items, sent with the store.
unsafe impl<T: Stamps + Send> Send for Owned<T> {}

struct OwnedMap<T: Stamps> {
    index: Index<NonNull<Node<T>>>,
    /// A record of each item by the stamp it was queued under, for a bounded store: the least
    /// recently used is the oldest record whose item was not used since (see `recency`).
    recency: Recency,
    /// Nodes the owner unlinked while it read the store (a hazard or mark of its own may name
    /// them): freed once it reads nothing, or handed to the shared map's bin.
    deferred: Vec<NonNull<Node<T>>>,
    /// Allocations of unlinked nodes whose items need no dropping, for new nodes to reuse
    /// (up to [`SPARE`]): a cache emptied and filled again (a cold start) takes no allocation.
    spare: Vec<NonNull<Node<T>>>,
    /// Where new nodes are carved, for a map that seldom removes (as `Map::chunked`'s).
    carver: Option<Carver<T>>,
    /// How many items the first table is sized for.
    expected: usize,
}

impl<T: Stamps> OwnedMap<T> {
    fn new(chunked: bool, expected: usize) -> Self {
        OwnedMap {
            index: Index::new(),
            recency: Recency::new(),
            deferred: Vec::new(),
            spare: Vec::new(),
            carver: chunked.then(Carver::new),
            expected,
        }
    }

    /// A node for `item`, not yet published (numbered 0: a hand-over numbers it).
    #[cfg_attr(not(debug_assertions), inline)]
    fn new_node(&mut self, hash: u64, item: impl Unmade<T>) -> NonNull<Node<T>> {
        if let Some(shell) = self.spare.pop() {
            // SAFETY: a spare is a node's allocation that no thread reads and whose item needs
            // no dropping (see `spare`).
            unsafe { super::refill(shell.as_ptr(), hash, 0, || item.make()) };
            return shell;
        }
        let node = super::make_node(self.carver.as_mut(), hash, 0, || item.make());
        // SAFETY: just made, from a `Box` or a chunk: not null.
        unsafe { NonNull::new_unchecked(node) }
    }

    /// Takes a node just unlinked: kept for later if the owner reads the store (not `idle`),
    /// else, if its item needs no dropping, kept as a spare (or freed, past [`SPARE`]), all in
    /// the window; else handed back, to be freed out of it (dropping the item is user code).
    #[cfg_attr(not(debug_assertions), inline)]
    fn dispose(&mut self, node: NonNull<Node<T>>, idle: bool) -> Option<NonNull<Node<T>>> {
        if !idle {
            self.deferred.push(node);
            return None;
        }
        if core::mem::needs_drop::<T>() {
            return Some(node);
        }
        if self.spare.len() < SPARE {
            self.spare.push(node);
        } else {
            // SAFETY: unlinked, reachable by no other thread (the store is the owner's) nor read
            // by the owner (`idle`); freed once. Its item needs no dropping: no user code runs.
            unsafe { free_node(node.as_ptr()) };
        }
        None
    }

    /// Unlinks `node`, if it is still in the index. Its record, if any, is left stale in the
    /// queue.
    fn unlink(&mut self, hash: u64, node: NonNull<Node<T>>) {
        if let Some((at, _)) = self.index.find(hash, |p| p == node) {
            self.index.remove_at(at);
        }
    }
}

impl<T: Stamps> OwnedMap<T> {
    /// Adds `item`, evicting the least recently used item first if there are `bound` already:
    /// its node then takes the new item, unless the owner reads the store (its `reader` is not
    /// idle), and the evicted item is handed back, to be dropped out of the window.
    #[cfg_attr(not(debug_assertions), inline)]
    fn add(
        &mut self,
        hash: u64,
        item: impl Unmade<T>,
        bound: Option<usize>,
        reader: &Reader,
    ) -> Option<T> {
        let expected = self.expected;
        let Some(bound) = bound else {
            let node = self.new_node(hash, item);
            self.index.insert(hash, node, expected);
            return None;
        };
        let queued = item.queued();
        let mut evicted = None;
        let mut node = None;
        if self.index.len() >= bound
            && let Some(at) = self.least_recently_used()
        {
            let old = self.index.remove_at(at);
            if reader.is_idle() {
                node = Some(old);
            } else {
                self.deferred.push(old);
            }
        }
        self.recency.push(queued, hash);
        let node = match node {
            Some(node) => {
                let at = node.as_ptr();
                // SAFETY: a node just unlinked, reachable by no other thread (the store is the
                // owner's, and this is its window) nor read by the owner (its reader is idle):
                // its item is moved out and replaced, in place.
                unsafe {
                    (*at).hash = hash;
                    let old = &raw mut (*at).item;
                    if core::mem::needs_drop::<T>() {
                        evicted = Some(ptr::replace(old, item.make()));
                    } else {
                        old.write(item.make()); // nothing to drop: the old item is not read
                    }
                }
                node
            }
            None => self.new_node(hash, item),
        };
        self.index.insert(hash, node, expected);
        evicted
    }

    /// The position of the least recently used item: the oldest record whose item was not
    /// used since it was queued. Records of items used since are queued again under their
    /// last use, and records of items gone are dropped. Runs no user code (stamps alone).
    #[cfg_attr(not(debug_assertions), inline)]
    fn least_recently_used(&mut self) -> Option<usize> {
        while let Some((queued, hash)) = self.recency.pop() {
            // SAFETY: nodes of the index are alive while it holds them (this is the window).
            let of = |node: NonNull<Node<T>>| unsafe { &(*node.as_ptr()).item };
            let Some((at, node)) = self.index.find(hash, |node| of(node).queued() == queued) else {
                continue; // a stale record
            };
            let used = of(node).used();
            if used == queued {
                return Some(at);
            }
            of(node).requeue(used);
            self.recency.push(used, hash);
        }
        None
    }

    /// Drops the records of items gone once they outnumber the items (as the shared store's
    /// `drop_stale_records`): after a removal, the only place one comes from.
    fn drop_stale_records(&mut self) {
        if !self.recency.needs_sweep(self.index.len()) {
            return;
        }
        let index = &self.index;
        self.recency.retain(&mut |stamp, hash| {
            // SAFETY: as in `least_recently_used`.
            let of = |node: NonNull<Node<T>>| unsafe { &(*node.as_ptr()).item };
            index
                .find(hash, |node| of(node).queued() == stamp)
                .is_some()
        });
    }
}

impl<T: Stamps> Drop for OwnedMap<T> {
    fn drop(&mut self) {
        let mut nodes = core::mem::take(&mut self.deferred);
        self.index.drain(|_, node| nodes.push(node));
        free_all(nodes);
        for shell in self.spare.drain(..) {
            // SAFETY: a spare: a node's allocation, its item dropped or needing no dropping,
            // freed once.
            unsafe { super::free_shell(shell.as_ptr()) };
        }
    }
}

impl<T: Stamps> Payload for NonNull<Node<T>> {
    const TAGGED: bool = T::TAGGED;

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn hash(self) -> u64 {
        // SAFETY: a node the index holds is alive (an owned map frees a node only once it is
        // out of the index), and its hash was written before it went in.
        unsafe { (*self.as_ptr()).hash }
    }

    /// As the shared map's table (see `zeroed_slots`).
    fn empty_slots(capacity: usize) -> Box<[Option<Self>]> {
        // SAFETY: `None` of an `Option<NonNull<_>>` is all zero bytes (the null pointer).
        unsafe { super::zeroed_slots(capacity) }
    }
}

/// How many node allocations an owned map keeps for reuse (see `OwnedMap::spare`).
const SPARE: usize = 128;

/// Frees nodes unlinked from an owned map, dropping their items (user code: out of a window).
fn free_all<T>(nodes: Vec<NonNull<Node<T>>>) {
    for node in nodes {
        // SAFETY: unlinked from the index, reachable by no reader: by no other thread (the
        // store was not handed over, or they went to the bin), nor by the owner, which reads
        // nothing (the caller checked it was idle); freed once.
        unsafe { free_node(node.as_ptr()) };
    }
}

/// Nodes a hit may compare: the first of the hash's probe, then the rest (seldom any).
struct Candidates<T> {
    first: Option<NonNull<Node<T>>>,
    rest: Vec<NonNull<Node<T>>>,
}

/// The owner in a window: the index is its own until this drops.
struct Window<'o, T: Stamps> {
    owned: &'o Owned<T>,
}

impl<T: Stamps> Window<'_, T> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn map(&mut self) -> &mut OwnedMap<T> {
        // SAFETY: the owner is in a window and saw the store its own after marking itself
        // busy: no hand-over reaches the map until the mark is down (see the module's
        // documentation), and windows do not nest (none runs user code, nor opens another).
        unsafe { &mut *self.owned.map.get() }
    }
}

impl<T: Stamps> Drop for Window<'_, T> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn drop(&mut self) {
        // Release: a hand-over that sees the mark down sees what the window wrote.
        self.owned.busy.store(false, Ordering::Release);
    }
}

impl<T: Stamps> Owned<T> {
    /// A store's map, claimed by its first user if `claimable` (else shared from the start).
    /// `chunked`: carves its nodes, as [`Map::chunked`]; `expected`: how many items the first
    /// table is sized for.
    pub(crate) fn new(claimable: bool, chunked: bool, expected: usize) -> Self {
        Owned {
            state: AtomicU64::new(if claimable { UNCLAIMED } else { SHARED }),
            busy: AtomicBool::new(false),
            len: AtomicUsize::new(0),
            map: UnsafeCell::new(OwnedMap::new(chunked, expected)),
        }
    }

    /// The owner's lease, or [`UNCLAIMED`], or [`SHARED`] (or a hand-over under way).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn state(&self) -> u64 {
        self.state.load(Ordering::Relaxed)
    }

    /// How many items the owner holds (0 once handed over).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Makes the thread of `lease` the owner, if no thread used the store yet.
    pub(crate) fn claim(&self, lease: u64) -> bool {
        self.state
            .compare_exchange(UNCLAIMED, lease, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// Opens a window for the thread of `lease`, if the store is still its own.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn window(&self, lease: u64) -> Option<Window<'_, T>> {
        // Only the owner stores to `busy`: a store, no read-modify-write.
        self.busy.store(true, Ordering::Relaxed);
        // Pairs with the heavy barrier of a hand-over (see the module's documentation).
        epoch::light_barrier();
        if self.state.load(Ordering::Relaxed) == lease {
            return Some(Window { owned: self });
        }
        self.busy.store(false, Ordering::Release);
        None
    }

    /// Finds the item for `hash` that `is` accepts and hands it to `then` (which records its
    /// use): as [`Map::read`], for the owner. `Ok(None)`: no such item.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read<R>(
        &self,
        owner: Owner<'_>,
        hash: u64,
        mut is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T) -> R,
    ) -> Result<Option<R>, NotOwner> {
        let mut window = self.window(owner.lease).ok_or(NotOwner)?;
        let map = window.map();
        let Some((_, node)) = map.index.first(hash) else {
            return Ok(None);
        };
        let Some(hazard) = owner.reader.protect(node.as_ptr().cast()) else {
            drop(window);
            return self.read_slow(owner, hash, is, then);
        };
        drop(window);
        let hazard = Hazard(owner.reader, hazard);
        // SAFETY: alive while its hazard is held: stored in the window, before any hand-over
        // could publish the node (see the module's documentation), and the owner frees no node
        // while it holds a hazard.
        let item = unsafe { &(*node.as_ptr()).item };
        if !is(item) {
            drop(hazard);
            return self.read_slow(owner, hash, is, then);
        }
        let result = then(item);
        drop(hazard);
        Ok(Some(result))
    }

    /// [`Owned::read`] past the first node of the hash, or with every hazard in use.
    #[cold]
    #[inline(never)]
    fn read_slow<R>(
        &self,
        owner: Owner<'_>,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T) -> R,
    ) -> Result<Option<R>, NotOwner> {
        let (found, _) = self.search(owner, hash, is, |item, _| then(item))?;
        Ok(found)
    }

    /// Offers every item of `hash` to `is`, and the first it accepts to `then`, with its node;
    /// and the count of the index's changes when it was searched. The nodes are kept alive by
    /// the reader's mark, held through the user code.
    fn search<R>(
        &self,
        owner: Owner<'_>,
        hash: u64,
        mut is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NonNull<Node<T>>) -> R,
    ) -> Result<(Option<R>, u64), NotOwner> {
        // Marked before the nodes are found: a hand-over after the window publishes them to
        // writers that see the mark.
        let entered = owner.reader.enter();
        let hold = Hold::<T, ()>::Marked(owner.reader, entered);
        let mut window = self.window(owner.lease).ok_or(NotOwner)?;
        let map = window.map();
        let changes = map.index.changes();
        let mut candidates = Candidates {
            first: None,
            rest: Vec::new(),
        };
        map.index.each(hash, |node| match candidates.first {
            None => candidates.first = Some(node),
            Some(_) => candidates.rest.push(node),
        });
        drop(window);
        if entered.is_some() {
            // A writer of the shared map must not wait for this mark (see `Bin::must_wait`).
            owner.reader.mark_user_code(true);
        }
        for node in candidates.first.into_iter().chain(candidates.rest) {
            // SAFETY: alive while the mark is held: marked before the window that found it
            // (see above), and the owner frees no node while marked.
            let item = unsafe { &(*node.as_ptr()).item };
            if is(item) {
                let result = then(item, node);
                drop(hold);
                return Ok((Some(result), changes));
            }
        }
        drop(hold);
        Ok((None, changes))
    }

    /// Stores `item` for `hash`, evicting the least recently used item if there are `bound`.
    /// If an item of the same key is stored (`is` compares them, out of the windows), `on_found`
    /// says what to do. `Err` hands the item back: the store is no longer the owner's.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn insert<I: Unmade<T>>(
        &self,
        owner: Owner<'_>,
        hash: u64,
        item: I,
        bound: Option<usize>,
        mut is: impl FnMut(&T, &I) -> bool,
        mut on_found: impl FnMut(&T) -> OnFound,
    ) -> Result<(), I> {
        let mut seen = None;
        loop {
            let Some(mut window) = self.window(owner.lease) else {
                return Err(item);
            };
            let map = window.map();
            let found = match seen {
                // No item of the hash: no key to compare (most misses).
                None if map.index.first(hash).is_none() => None,
                None => {
                    drop(window);
                    let search = self.search(
                        owner,
                        hash,
                        |old| is(old, &item),
                        |old, node| (node, on_found(old)),
                    );
                    match search {
                        Ok(search) => seen = Some(search),
                        Err(NotOwner) => return Err(item),
                    }
                    continue;
                }
                Some((found, changes)) if map.index.changes() == changes => found,
                Some(_) => {
                    seen = None; // changed since the search: search again
                    continue;
                }
            };
            let unlinked = match found {
                None => None,
                Some((_, OnFound::Keep)) => {
                    drop(window);
                    drop(item);
                    return Ok(());
                }
                Some((node, OnFound::Replace)) => {
                    let new = map.new_node(hash, item);
                    let (at, _) = (map.index.find(hash, |p| p == node)).expect("unchanged");
                    let old = map.index.replace_at(at, new);
                    self.end_insert(window, owner.reader, None, Some(old));
                    return Ok(());
                }
                Some((node, OnFound::Remove)) => {
                    map.unlink(hash, node);
                    map.drop_stale_records();
                    Some(node)
                }
            };
            let evicted = map.add(hash, item, bound, owner.reader);
            self.end_insert(window, owner.reader, evicted, unlinked);
            return Ok(());
        }
    }

    /// Ends an insertion's window: the count written, then, out of the window, the evicted
    /// item dropped, and the unlinked node freed (or kept for later, if the owner reads the
    /// store), with any kept earlier that may go now.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn end_insert(
        &self,
        mut window: Window<'_, T>,
        reader: &Reader,
        evicted: Option<T>,
        unlinked: Option<NonNull<Node<T>>>,
    ) {
        let map = window.map();
        self.len.store(map.index.len(), Ordering::Relaxed);
        if unlinked.is_none() && map.deferred.is_empty() {
            drop(window);
            drop(evicted);
            return;
        }
        let idle = reader.is_idle();
        let unlinked = unlinked.and_then(|node| map.dispose(node, idle));
        if unlinked.is_none() && (map.deferred.is_empty() || !idle) {
            drop(window);
            drop(evicted);
            return;
        }
        let mut free = Vec::new();
        for node in core::mem::take(&mut map.deferred) {
            free.extend(map.dispose(node, idle));
        }
        free.extend(unlinked);
        drop(window);
        drop(evicted);
        free_all(free);
    }

    /// Removes the item of `hash` that `is` accepts; whether there was one.
    pub(crate) fn remove(
        &self,
        owner: Owner<'_>,
        hash: u64,
        mut is: impl FnMut(&T) -> bool,
    ) -> Result<bool, NotOwner> {
        loop {
            let (found, changes) = self.search(owner, hash, &mut is, |_, node| node)?;
            let Some(node) = found else {
                return Ok(false);
            };
            let mut window = self.window(owner.lease).ok_or(NotOwner)?;
            let map = window.map();
            if map.index.changes() != changes {
                continue;
            }
            map.unlink(hash, node);
            map.drop_stale_records();
            self.end_insert(window, owner.reader, None, Some(node));
            return Ok(true);
        }
    }

    /// Empties the map. The items are dropped before it returns, out of the window, unless
    /// the owner reads the store meanwhile (a clear called back from a key's `Eq` or a
    /// result's `Clone`): then once it reads nothing.
    pub(crate) fn clear(&self, owner: Owner<'_>) -> Result<(), NotOwner> {
        let mut window = self.window(owner.lease).ok_or(NotOwner)?;
        let idle = owner.reader.is_idle();
        let map = window.map();
        self.len.store(0, Ordering::Relaxed);
        map.recency.clear();
        if idle && !core::mem::needs_drop::<T>() {
            // Nothing to drop: spares, or freed, all in the window.
            let mut spare = core::mem::take(&mut map.spare);
            let mut keep = |node: NonNull<Node<T>>| {
                if spare.len() < SPARE {
                    spare.push(node);
                } else {
                    // SAFETY: unlinked (drained), reachable by no other thread (the store is
                    // the owner's) nor read by the owner (`idle`); freed once. Its item needs
                    // no dropping: no user code runs.
                    unsafe { free_node(node.as_ptr()) };
                }
            };
            map.index.drain(|_, node| keep(node));
            core::mem::take(&mut map.deferred)
                .into_iter()
                .for_each(&mut keep);
            map.spare = spare;
            return Ok(());
        }
        let mut nodes = Vec::with_capacity(map.index.len());
        map.index.drain(|_, node| nodes.push(node));
        if !idle {
            map.deferred.append(&mut nodes);
            return Ok(());
        }
        nodes.append(&mut map.deferred);
        drop(window);
        free_all(nodes);
        Ok(())
    }

    /// Waits until a hand-over under way is done.
    #[cold]
    fn wait_shared(&self) {
        // Acquire: pairs with the release that ended the hand-over, so the shared map is seen
        // with every node published.
        while self.state.load(Ordering::Acquire) != SHARED {
            std::thread::yield_now();
        }
    }

    /// Hands the store over to `map` for good, if it is not shared yet: the owner's nodes are
    /// published there, each passed to `each` with the map's writer state, then the queue of
    /// their records to `finish`. Waits for the owner's window if it is in one (a few dozen
    /// instructions, no user code), or for another thread's hand-over under way.
    #[cold]
    #[inline(never)]
    pub(crate) fn hand_over<W>(
        &self,
        map: &Map<T, W>,
        readers: &dyn Readers,
        each: impl FnMut(&T, &mut W),
        finish: impl FnOnce(Recency, &mut W),
    ) {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            match state {
                SHARED => return,
                HANDING_OVER => return self.wait_shared(),
                _ => {}
            }
            match (self.state).compare_exchange_weak(
                state,
                HANDING_OVER,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state != UNCLAIMED {
            epoch::heavy_barrier_or_settle();
            // Acquire: pairs with the release that ended the owner's last window.
            while self.busy.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
        }
        // SAFETY: the owner is out of its windows and keeps out (it sees the store taken), and
        // no other thread hands over (the state is taken): the map is this thread's alone.
        let owned = unsafe { &mut *self.map.get() };
        // An empty map left in its place: the owner's table and chunk are let go.
        let mut owned = core::mem::replace(owned, OwnedMap::new(false, 0));
        self.len.store(0, Ordering::Relaxed);
        let mut locked = map.lock(readers);
        let shared = Shared(self);
        locked.adopt(&mut owned, each);
        let recency = core::mem::replace(&mut owned.recency, Recency::new());
        finish(recency, locked.writer_state());
        // Shared before the lock is let go, which may drop what the bin frees (user code, which
        // may call this store).
        drop(shared);
        drop(locked);
        drop(owned); // its spares, and its table
    }
}

/// Ends a hand-over, also on unwind: every thread uses the shared map from now on.
struct Shared<'o, T: Stamps>(&'o Owned<T>);

impl<T: Stamps> Drop for Shared<'_, T> {
    fn drop(&mut self) {
        // Release: a thread that sees the store shared sees the nodes published.
        self.0.state.store(SHARED, Ordering::Release);
    }
}

impl<T: Stamps, W> Locked<'_, T, W> {
    /// Publishes the nodes of an owned map, each passed to `each` after, and sends the ones it
    /// unlinked while reading to the bin (its hazards or mark keep them until it is done); the
    /// owned map is left empty.
    fn adopt(&mut self, owned: &mut OwnedMap<T>, mut each: impl FnMut(&T, &mut W)) {
        owned.index.drain(|hash, node| {
            let node = node.as_ptr();
            self.make_room();
            let seq = self.map.published.load(Ordering::Relaxed) + 1;
            // SAFETY: a node of the owned map, not yet reachable from the shared one: its label
            // is written before it is published. The owner may be reading its item, which this
            // does not touch.
            unsafe {
                let place = (*node).label.place();
                (&raw mut (*node).label).write(Label::new(seq, place));
            }
            self.publish(hash, node);
            // SAFETY: published just now, freed only through this map's writer, which this is.
            let item = unsafe { &(*node).item };
            each(item, &mut self.side_mut().writer_state);
        });
        for node in owned.deferred.drain(..) {
            self.side_mut().bin.retire(Unlinked::of_node(node.as_ptr()));
        }
    }
}

#[cfg(test)]
mod tests;
