//! The hash map behind a store: readers take no lock and perform no atomic read-modify-write;
//! one writer at a time, under the map's lock (which is the store's writer lock).
//!
//! Open addressing with linear probing over a table of pointers to nodes. A node is never
//! changed once published (its item's own atomics aside): the writer replaces a slot's pointer
//! with a new node or a tombstone, and moves to a new table to grow or to sweep tombstones.
//! Readers follow the pointers while marked as reading (see [`epoch`](super::epoch)); what the
//! writer unlinks (nodes, old tables) goes to the map's [`Bin`] and is freed once no reader
//! that could have seen it is still reading (or, for items that need no dropping, kept for new
//! nodes to reuse, at the same point). A table always keeps at least half of its slots
//! empty, so a probe always ends, in the current table or in an old one a reader still holds.
//!
//! Most of the crate's `unsafe` code is here (the rest: the slots' segments in
//! [`threads`](super::threads), one cast in `registry`, `pthread_atfork` in
//! [`fork`](super::fork)): this module dereferences the nodes' and tables' raw pointers, and
//! frees them. Its tests run under Miri (see `.ci/run`).
#![allow(unsafe_code)]

use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

#[cfg(doc)]
use super::epoch::Bin;
use super::epoch::{Freed, Readers};

mod chunks;
mod occupied;
mod owned;
mod pages;
mod read;
mod unlinked;
mod writer_lock;

use chunks::{Carver, Label, Place, Releases, chunk_of};
use occupied::Occupied;
pub(crate) use owned::{NotOwner, OnFound, Owned, Owner, SHARED, Stamps, UNCLAIMED, Unmade};
use pages::populate;
use unlinked::{MapBin, Unlinked, keep_nodes};
pub(crate) use writer_lock::LockUser;
use writer_lock::{Held, WriterLock};

struct Node<T> {
    hash: u64,
    /// When it was published, and where its memory is: a `Box`, or a place in a chunk (see
    /// [`chunks`]).
    label: Label,
    item: T,
}

/// Drops a node's item and frees its memory.
///
/// # Safety
/// `node` was made by `new_node`, is reachable by no reader, and is freed once.
unsafe fn free_node<T>(node: *mut Node<T>) {
    // SAFETY: alive until freed here, by the caller's promise.
    let place = unsafe { (*node).label }.place();
    if place == Place::BOXED {
        // SAFETY: a `Box<Node<T>>`, as the caller promises.
        drop(unsafe { Box::from_raw(node) });
    } else {
        // SAFETY: carved at `place` (its label says so), and its count holds the chunk.
        let chunk = unsafe { chunk_of(node, place) };
        // Given back on unwind too: an item whose `Drop` panics does not keep its chunk.
        let _give_back = chunks::GiveBack(chunk);
        // SAFETY: the item is dropped once, then the node's count of its chunk given back
        // (by `_give_back`, as it drops).
        unsafe { ptr::drop_in_place(node) };
    }
}

/// A node for the item `make` makes, numbered `seq`: carved by `carver` if there is one, else
/// a `Box`. The item is made in the node (see [`Unmade`]).
#[cfg_attr(not(debug_assertions), inline(always))]
fn make_node<T>(
    carver: Option<&mut Carver<T>>,
    hash: u64,
    seq: u64,
    make: impl FnOnce() -> T,
) -> *mut Node<T> {
    let Some(carver) = carver else {
        return Box::into_raw(Box::new(Node {
            hash,
            label: Label::new(seq, Place::BOXED),
            item: make(),
        }));
    };
    let (node, place) = carver.carve();
    // SAFETY: memory for one node, carved for it alone.
    unsafe {
        node.write(Node {
            hash,
            label: Label::new(seq, place),
            item: make(),
        });
    }
    node
}

/// Writes a node for the item `make` makes, numbered `seq`, in a spare node's allocation,
/// where it is (a chunk's, or a `Box`'s): as into new memory.
///
/// # Safety
/// `shell` is a node's allocation that no thread reads, whose contents need no dropping (or
/// were dropped already).
#[cfg_attr(not(debug_assertions), inline(always))]
unsafe fn refill<T>(shell: *mut Node<T>, hash: u64, seq: u64, make: impl FnOnce() -> T) {
    // SAFETY: the caller's promise; its label was written with its last node, and its place is
    // the allocation's.
    unsafe {
        let place = (*shell).label.place();
        shell.write(Node {
            hash,
            label: Label::new(seq, place),
            item: make(),
        });
    }
}

/// Frees a spare node's memory (see [`Side::spare`]), without dropping its stale contents.
///
/// # Safety
/// `shell` is a spare, freed once.
unsafe fn free_shell<T>(shell: *mut Node<T>) {
    // SAFETY: a spare's label was written with its node, and its place is kept (see
    // `new_node`).
    let place = unsafe { (*shell).label }.place();
    if place == Place::BOXED {
        // SAFETY: a `Box<Node<T>>`'s allocation, freed as uninitialised memory.
        drop(unsafe { Box::from_raw(shell.cast::<core::mem::MaybeUninit<Node<T>>>()) });
    } else {
        // SAFETY: carved at `place`; the node's count of its chunk, given back once.
        unsafe { chunks::release(chunk_of(shell, place), 1) };
    }
}

/// Frees the memory of a node whose item needs no dropping (a clear's, past the spares):
/// a `Box`'s at once, a chunk's node counted in `releases`, given back a chunk at a time.
///
/// # Safety
/// `node` was made by `new_node`, is reachable by no reader, its item needs no dropping, and
/// it is freed once.
unsafe fn free_quietly<T>(node: *mut Node<T>, releases: &mut Releases<T>) {
    debug_assert!(!core::mem::needs_drop::<T>());
    // SAFETY: alive until freed here, by the caller's promise.
    let place = unsafe { (*node).label }.place();
    if place == Place::BOXED {
        // SAFETY: as a spare's: an allocation whose contents need no dropping, freed once.
        unsafe { free_shell(node) };
    } else {
        // SAFETY: carved at `place` (its label says so), and its count holds the chunk.
        let chunk = unsafe { chunk_of(node, place) };
        // SAFETY: the node's count of its chunk, handed over once.
        unsafe { releases.add(chunk) };
    }
}

/// A node's identity, for a writer that found it without the lock (running user code, `Eq`)
/// and acts on it under the lock (see [`Locked::published_since`]). Never dereferenced.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeId(*const ());

struct Table<T> {
    /// A power of two in length: null (never used), a tombstone, or a node.
    slots: Box<[AtomicPtr<Node<T>>]>,
}

/// A table of `len` slots of all zero bytes (a null pointer each), for the shared map and the
/// owned maps' indices. Zeros written, not memory asked for zeroed: a large table comes fresh
/// from the system, and a probe's read of a page not yet written maps it to the shared page of
/// zeros, then the write that fills a slot there faults again to copy it. Written first, each
/// page faults once (a growing store took half again as many faults), and a large table's
/// pages are mapped in one call before (see `pages`).
///
/// # Safety
/// All zero bytes are a valid `S`.
unsafe fn zeroed_slots<S>(len: usize) -> Box<[S]> {
    let mut slots = Box::<[S]>::new_uninit_slice(len);
    populate(slots.as_mut_ptr().cast(), len * size_of::<S>());
    // SAFETY: writes within the slice's own memory.
    unsafe { ptr::write_bytes(slots.as_mut_ptr(), 0, len) };
    // SAFETY: every slot was written with zeros, a valid `S` (the caller's promise).
    unsafe { slots.assume_init() }
}

impl<T> Table<T> {
    fn with_capacity(capacity: usize) -> *mut Self {
        // SAFETY: a null `AtomicPtr` is all zero bytes (as `*mut T`'s null is).
        let slots = unsafe { zeroed_slots::<AtomicPtr<Node<T>>>(capacity) };
        Box::into_raw(Box::new(Table { slots }))
    }

    /// The slots a probe for `hash` visits, in order, round the table, with their indices.
    fn probe(&self, hash: u64) -> impl Iterator<Item = (usize, &AtomicPtr<Node<T>>)> {
        let mask = self.slots.len() - 1;
        // Truncation intended: the low bits pick the first slot.
        let start = hash as usize & mask;
        (0..self.slots.len()).map(move |i| {
            let index = (start + i) & mask;
            (index, &self.slots[index])
        })
    }

    /// The slot holding the node for `hash` that `is` accepts, and the node.
    ///
    /// # Safety
    /// The nodes this table points to must not be freed while the returned borrow lives: the
    /// caller is marked as reading, or is the writer (who alone frees, and not meanwhile).
    #[cfg_attr(not(debug_assertions), inline)]
    unsafe fn search(
        &self,
        hash: u64,
        mut is: impl FnMut(&Node<T>) -> bool,
    ) -> Option<(usize, &Node<T>)> {
        for (index, slot) in self.probe(hash) {
            // Acquire: pairs with the writer's release when it published the node, so it is
            // seen fully made.
            let node = slot.load(Ordering::Acquire);
            if node.is_null() {
                return None;
            }
            if node != tombstone() {
                // SAFETY: alive, by the caller's promise.
                let node = unsafe { &*node };
                if node.hash == hash && is(node) {
                    return Some((index, node));
                }
            }
        }
        None // not reached: a table is never full
    }
}

/// Marks a slot whose node was removed: a probe goes on past it. Never a node's address
/// (nothing is allocated at the address equal to a type's alignment).
fn tombstone<T>() -> *mut Node<T> {
    NonNull::dangling().as_ptr()
}

fn is_node<T>(slot: *mut Node<T>) -> bool {
    !slot.is_null() && slot != tombstone()
}

/// Puts `new` in a slot (or the table pointer) and hands back what was there. Only the writer
/// stores to either, under the lock: a load and a store, where a `swap` would be an atomic
/// read-modify-write. Release: readers that see `new` see it fully made.
fn replace_in<P>(slot: &AtomicPtr<P>, new: *mut P) -> *mut P {
    let old = slot.load(Ordering::Relaxed);
    slot.store(new, Ordering::Release);
    old
}

/// A node's allocation kept for reuse (see [`Side::spare`]).
struct Spare<T>(*mut Node<T>);

// SAFETY: a spare holds no live item, only memory the writer will write a new node into.
unsafe impl<T: Send> Send for Spare<T> {}

/// How many node allocations a map keeps for reuse (see [`Side::spare`]).
const SPARE: usize = 2 * super::epoch::SEAL_AT;

/// What only the writer touches: counts, the bin, and the store's own writer state `W`.
struct Side<T, W> {
    /// Slots of the current table that are not null (nodes and tombstones).
    used: usize,
    /// Which they are.
    occupied: Occupied,
    /// The capacity a new or cleared map starts with.
    floor: usize,
    bin: MapBin,
    /// Nodes that threads without slots of their own read outside the lock, by address (a
    /// hazard each; see `Map::read_outside`).
    outside: Vec<usize>,
    /// Allocations of nodes the bin has freed, for new nodes to reuse: only for items that
    /// need no dropping (freeing them runs no user code, so it may happen under the lock).
    /// The bin frees a batch at a time, more than the allocator's per-thread cache holds:
    /// freeing each node and allocating again cost about 180 instructions a miss.
    /// Each is a node's allocation (a `Box`'s, or a place in a chunk, which it keeps alive),
    /// reachable by no reader, its contents stale.
    spare: Vec<Spare<T>>,
    /// How many nodes were made in a spare.
    #[cfg(test)]
    reused: usize,
    /// Where new nodes are carved, for a map made [`Map::chunked`]; else each is a `Box`.
    carver: Option<Carver<T>>,
    /// The state of the map's user that only the writer touches (the store's recency queue),
    /// guarded by the writer lock with the rest.
    writer_state: W,
}

/// A map from hashes to items `T` found by a predicate, with writer-only state `W` kept under
/// the same lock.
pub(crate) struct Map<T, W> {
    table: AtomicPtr<Table<T>>,
    /// How many nodes were ever published (each node's label holds its place in that count).
    published: AtomicU64,
    /// Nodes in the current table. Written by the writer alone (plain stores), read by
    /// anyone: [`Map::len`] needs no lock.
    live: AtomicUsize,
    side: WriterLock<Side<T, W>>,
    /// Owns nodes of `T`: `Sync` only if `T` is (readers share items across threads).
    _owns: PhantomData<Box<Node<T>>>,
}

/// The most slots a table keeps through a clear (512 KiB of pointers): `HashMap::clear`'s
/// kept capacity, bounded. A cache emptied and filled again (a cold start, each round of a
/// job) is spared the moves of growing back; a cleared table larger than this is let go, so
/// that a clear still gives back the memory a burst of entries took. So is one less than an
/// eighth full (see [`keeps_through_clear`]).
const KEPT_BY_CLEAR: usize = 1 << 16;

/// Whether a clear empties a table of `slots` slots holding `live` items where it is, rather
/// than swapping it for a new one of `floor` slots, the starting size: a table of the starting
/// size (a new one would cost more), and a grown one of up to [`KEPT_BY_CLEAR`] slots at least
/// an eighth full. A grown table left mostly empty (by removals, say) is let go: it would cost each later
/// clear a walk of its slots, and hold memory the cache no longer needs.
fn keeps_through_clear(slots: usize, live: usize, floor: usize) -> bool {
    slots == floor || (slots <= KEPT_BY_CLEAR && live.saturating_mul(8) >= slots)
}

/// The smallest power of two holding `n` items at a quarter full (so a table runs from a
/// quarter to half full between two moves).
fn capacity_for(n: usize) -> usize {
    n.saturating_mul(4).max(8).next_power_of_two()
}

impl<T, W> Map<T, W> {
    /// An empty map sized for `expected` items (a move to a larger table happens as needed).
    pub(crate) fn new(expected: usize, writer_state: W) -> Self {
        Self::with_nodes(expected, writer_state, None)
    }

    /// [`Map::new`] for a map that seldom removes: its nodes are carved from chunks (see
    /// [`chunks`]).
    pub(crate) fn chunked(expected: usize, writer_state: W) -> Self {
        Self::with_nodes(expected, writer_state, Some(Carver::new()))
    }

    fn with_nodes(expected: usize, writer_state: W, carver: Option<Carver<T>>) -> Self {
        let floor = capacity_for(expected);
        Map {
            table: AtomicPtr::new(Table::with_capacity(floor)),
            published: AtomicU64::new(0),
            live: AtomicUsize::new(0),
            side: WriterLock::new(Side {
                used: 0,
                occupied: Occupied::new(floor),
                floor,
                bin: MapBin::new(),
                outside: Vec::new(),
                spare: Vec::new(),
                #[cfg(test)]
                reused: 0,
                carver,
                writer_state,
            }),
            _owns: PhantomData,
        }
    }

    /// How many nodes were published so far. Acquire: pairs with the writer's release after
    /// it published the latest, so a search that follows sees every node counted here that is
    /// still in the map.
    pub(crate) fn published(&self) -> u64 {
        self.published.load(Ordering::Acquire)
    }

    /// How many items the map holds, as last written: no lock taken, so a writer may be
    /// changing it.
    pub(crate) fn len(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// The writer lock, taken and held without doing anything (see the store's `fork`).
    pub(crate) fn hold(&'static self, readers: &dyn Readers) -> Box<dyn core::any::Any>
    where
        T: 'static,
        W: 'static,
    {
        Box::new(self.side.lock_mutex(readers.caller(), readers))
    }

    /// Takes the writer lock. `readers`: the store's threads, whom the bin asks what may be
    /// freed (see [`Bin::collect`]). (A panic while it was held is not a concern: every
    /// operation leaves the map consistent whenever it calls user code.)
    pub(crate) fn lock<'m>(&'m self, readers: &'m dyn Readers) -> Locked<'m, T, W> {
        self.locked(self.side.lock_mutex(readers.caller(), readers), readers)
    }

    /// [`Map::lock`] for a thread known by its reader: without the mutex if the lock is
    /// biased to it (see [`writer_lock`]).
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn lock_as<'m>(
        &'m self,
        readers: &'m dyn Readers,
        me: LockUser<'m>,
    ) -> Locked<'m, T, W> {
        let mut locked = self.locked(self.side.lock(Some(me), readers), readers);
        locked.user = Some(me);
        locked
    }

    fn locked<'m>(
        &'m self,
        side: Held<'m, Side<T, W>>,
        readers: &'m dyn Readers,
    ) -> Locked<'m, T, W> {
        Locked {
            map: self,
            side: ManuallyDrop::new(side),
            readers,
            user: None,
            flush: false,
        }
    }
}

/// Hands `each` the node of every slot that `occupied` says may be used (of a table too
/// large to be tracked, every slot), emptying the slot if `empty` (the table stays); the slots
/// are forgotten by `occupied`. A large table's slots are walked in one tight loop: most of
/// them are null.
#[cfg_attr(not(debug_assertions), inline(always))]
fn drain_nodes<T>(
    occupied: &mut Occupied,
    slots: &[AtomicPtr<Node<T>>],
    empty: bool,
    mut each: impl FnMut(*mut Node<T>),
) {
    let mut visit = |slot: &AtomicPtr<Node<T>>| {
        let node = slot.load(Ordering::Relaxed);
        if node.is_null() {
            return;
        }
        if empty {
            // A reader that reads this slot from now on finds it empty.
            slot.store(ptr::null_mut(), Ordering::Relaxed);
        }
        if is_node(node) {
            each(node);
        }
    };
    if !occupied.drain_each(|index| visit(&slots[index])) {
        slots.iter().for_each(visit);
    }
}

impl<T, W> Drop for Map<T, W> {
    fn drop(&mut self) {
        let side = self.side.get_mut();
        for Spare(shell) in side.spare.drain(..) {
            // SAFETY: a spare (see `Side::spare`), freed once.
            unsafe { free_shell(shell) };
        }
        // SAFETY: `&mut self`: no reader is left. The current table and its nodes are owned by
        // the map alone (unlinked ones are the bin's, dropped with it).
        let table = unsafe { Box::from_raw(*self.table.get_mut()) };
        for slot in table.slots.iter() {
            let node = slot.load(Ordering::Relaxed);
            if is_node(node) {
                // SAFETY: a node of the current table, made by `new_node`, owned by the map
                // alone and freed once, here.
                unsafe { free_node(node) };
            }
        }
    }
}

/// The map, locked for writing. When it is let go, unlinked items no reader can see any more
/// are freed, after the lock is released (their `Drop` is user code, which may call back).
pub(crate) struct Locked<'m, T, W> {
    map: &'m Map<T, W>,
    /// Taken out once, as the lock is let go (see `Drop`).
    side: ManuallyDrop<Held<'m, Side<T, W>>>,
    readers: &'m dyn Readers,
    /// The calling thread, if the caller named it ([`Map::lock_as`]).
    user: Option<LockUser<'m>>,
    /// Whether to free what was unlinked now, however little (see [`Locked::clear`]).
    flush: bool,
}

impl<T, W> Drop for Locked<'_, T, W> {
    #[cfg_attr(not(debug_assertions), inline)]
    fn drop(&mut self) {
        if self.side.bin.is_empty() {
            // Unlocks: nothing was unlinked, or it was kept as spares at once; nothing waits
            // (most misses, and a clear by the only live user: a flush has nothing to free).
            // SAFETY: dropped once, here, and not used after.
            unsafe { ManuallyDrop::drop(&mut self.side) };
            return;
        }
        // SAFETY: taken once, here, and not used after.
        let side = unsafe { ManuallyDrop::take(&mut self.side) };
        self.free_and_let_go(side);
    }
}

impl<'m, T, W> Locked<'m, T, W> {
    /// Lets go of the lock, freeing what no reader can see any more (out of line: a map that
    /// unlinked nothing, as an unbounded store's on a miss, skips it).
    #[inline(never)]
    fn free_and_let_go(&self, mut side: Held<'m, Side<T, W>>) {
        let (flush, readers) = (self.flush, self.readers);
        if !flush && let Some(lone) = side.take_lone(readers) {
            drop(side); // unlock
            drop(lone); // `None` if its allocation was kept
            return;
        }
        let freed = side.free(readers, flush);
        let wait = side.bin.must_wait(readers);
        drop(side); // unlock
        drop(freed);
        if wait {
            self.map.wait_for_probes(readers);
        }
    }
}

impl<T, W> Map<T, W> {
    /// Waits, lock let go, until the probes that hold back too many batches have ended (see
    /// [`Bin::must_wait`]), freeing as they do.
    #[cold]
    fn wait_for_probes(&self, readers: &dyn Readers) {
        loop {
            std::thread::yield_now();
            let mut side = self.side.lock_mutex(readers.caller(), readers);
            let freed = side.free(readers, false);
            let wait = side.bin.must_wait(readers);
            drop(side);
            drop(freed);
            if !wait {
                return;
            }
        }
    }
}

impl<T, W> Side<T, W> {
    /// What the bin lets go of, but the allocations kept for reuse; `flush`: everything it
    /// can now (see [`Bin::flush`]).
    fn free(&mut self, readers: &dyn Readers, flush: bool) -> Freed<Unlinked> {
        let freed = self.bin.free(readers, &self.outside, flush);
        self.keep_spares(freed)
    }

    /// The one node unlinked under the lock, if the writer may free it at once (see
    /// [`Bin::take_lone`]): its allocation kept for reuse if it can be (then `None`), else
    /// handed back, to be freed once the lock is let go.
    #[cfg_attr(not(debug_assertions), inline)]
    fn take_lone(&mut self, readers: &dyn Readers) -> Option<Option<Unlinked>> {
        if !self.outside.is_empty() {
            return None; // a thread without a slot may be reading it
        }
        let lone = self.bin.take_lone(readers)?;
        if core::mem::needs_drop::<T>() {
            return Some(Some(lone));
        }
        Some(self.keep_spare(lone))
    }

    /// Whether a node just unlinked may become a spare at once: there is room, and it may be
    /// freed at once (see [`Side::may_free_now`]). `user`: the calling thread, if known (a
    /// shorter test).
    #[cfg_attr(not(debug_assertions), inline)]
    fn may_keep_spare_now(&mut self, readers: &dyn Readers, user: Option<LockUser<'_>>) -> bool {
        self.spare.len() < SPARE && self.may_free_now(readers, user)
    }

    /// Whether what the writer unlinks now may be freed (or kept) at once, under the lock:
    /// its items need no dropping, no thread without a slot reads outside the lock, and the
    /// calling thread is the store's only live user, reading nothing of it now
    /// ([`Bin::take_lone`]'s test, made before the node is retired rather than after).
    #[cfg_attr(not(debug_assertions), inline)]
    fn may_free_now(&mut self, readers: &dyn Readers, user: Option<LockUser<'_>>) -> bool {
        if core::mem::needs_drop::<T>() || !self.outside.is_empty() {
            return false;
        }
        match user {
            Some(user) if readers.is_solo_at(user.index) => user.reader.is_idle(),
            _ => self.bin.alone(readers, false),
        }
    }

    /// Keeps the allocations of freed nodes whose items need no dropping (up to [`SPARE`]);
    /// hands back the rest, to be freed.
    fn keep_spares(&mut self, mut freed: Freed<Unlinked>) -> Freed<Unlinked> {
        if core::mem::needs_drop::<T>() || self.spare.len() >= SPARE {
            return freed;
        }
        let spare = &mut self.spare;
        keep_nodes(&mut freed, &mut |node| {
            let room = spare.len() < SPARE;
            if room {
                // A node of this map's bin: a `Node<T>` (see `Unlinked`).
                spare.push(Spare(node.cast::<Node<T>>()));
            }
            room
        });
        freed
    }

    /// Keeps a freed node's allocation if there is room (then `None`), else hands it back.
    fn keep_spare(&mut self, unlinked: Unlinked) -> Option<Unlinked> {
        if let Some(node) = unlinked.node_ptr()
            && self.spare.len() < SPARE
        {
            // Not freed: its item needs no dropping, and the allocation is kept. A node of
            // this map's bin: a `Node<T>` (see `Unlinked`).
            let node = node.cast::<Node<T>>();
            core::mem::forget(unlinked);
            self.spare.push(Spare(node));
            return None;
        }
        Some(unlinked)
    }
}

/// What a [`Locked::remove_if`] found.
pub(crate) enum Removal<'a, T> {
    Removed,
    /// The item was there, and `remove` said to keep it.
    Kept(&'a T),
    Absent,
}

impl<T, W> Locked<'_, T, W> {
    fn side(&self) -> &Side<T, W> {
        &self.side
    }

    fn side_mut(&mut self) -> &mut Side<T, W> {
        &mut self.side
    }

    /// A node for `item`, in a spare allocation if there is one, numbered as the next to be
    /// published (the caller publishes it, then [`Locked::count_published`]).
    #[cfg_attr(not(debug_assertions), inline)]
    fn new_node(&mut self, hash: u64, item: T) -> *mut Node<T> {
        let seq = self.map.published.load(Ordering::Relaxed) + 1;
        let side = self.side_mut();
        match side.spare.pop() {
            Some(Spare(shell)) => {
                // SAFETY: a spare is a node's allocation that no reader can reach and whose
                // contents need no dropping (see `Side::spare`).
                unsafe { refill(shell, hash, seq, || item) };
                #[cfg(test)]
                {
                    side.reused += 1;
                }
                shell
            }
            None => make_node(side.carver.as_mut(), hash, seq, || item),
        }
    }

    /// Counts a node just published. Release: a writer that reads the count (see
    /// [`Map::published`]) then finds the node.
    fn count_published(&self) {
        let published = &self.map.published;
        published.store(published.load(Ordering::Relaxed) + 1, Ordering::Release);
    }

    /// The state the map's user keeps under the writer lock (see [`Side::writer_state`]).
    pub(crate) fn writer_state(&mut self) -> &mut W {
        &mut self.side_mut().writer_state
    }

    /// How many items the map holds.
    pub(crate) fn len(&self) -> usize {
        self.map.live.load(Ordering::Relaxed)
    }

    /// Sets the count of items: the writer is the only thread that writes it, so a store.
    fn set_len(&self, len: usize) {
        self.map.live.store(len, Ordering::Relaxed);
    }

    fn current(&self) -> &Table<T> {
        // SAFETY: only the writer (this lock's holder) unlinks the current table, and it is
        // freed only after that, through the bin, once the lock is let go.
        unsafe { &*self.map.table.load(Ordering::Relaxed) }
    }

    /// The slot holding the item for `hash` that `is` accepts, and the item.
    fn locate(&self, hash: u64, mut is: impl FnMut(&T) -> bool) -> Option<(usize, &T)> {
        self.locate_node(hash, |node| is(&node.item))
            .map(|(index, node)| (index, &node.item))
    }

    fn locate_node(
        &self,
        hash: u64,
        is: impl FnMut(&Node<T>) -> bool,
    ) -> Option<(usize, &Node<T>)> {
        // SAFETY: a node in the current table is freed only after the writer unlinks it,
        // which needs `&mut self`.
        unsafe { self.current().search(hash, is) }
    }

    /// The item for `hash` that `is` accepts, if any.
    pub(crate) fn get(&self, hash: u64, is: impl FnMut(&T) -> bool) -> Option<&T> {
        self.locate(hash, is).map(|(_, item)| item)
    }

    /// Whether a node for `hash` was published after the count `seen` and is in the map: a
    /// search made without the lock from `seen` on may have missed it (and no other).
    /// No probe if nothing was published since (most misses: no other writer came between).
    pub(crate) fn published_since(&self, hash: u64, seen: u64) -> bool {
        // Relaxed: only writers, under this lock, change the count.
        if self.map.published.load(Ordering::Relaxed) == seen {
            return false;
        }
        self.locate_node(hash, |node| node.label.published_after(seen))
            .is_some()
    }

    /// Where node `id` is, if it is still in the map.
    fn slot_of(&self, hash: u64, id: NodeId) -> Option<(usize, &Node<T>)> {
        self.locate_node(hash, |node| {
            core::ptr::eq(core::ptr::from_ref(node).cast(), id.0)
        })
    }

    /// Node `id`'s item, if it is still in the map.
    pub(crate) fn node(&self, hash: u64, id: NodeId) -> Option<&T> {
        self.slot_of(hash, id).map(|(_, node)| &node.item)
    }

    /// Removes node `id`; whether it was still in the map.
    pub(crate) fn remove_node(&mut self, hash: u64, id: NodeId) -> bool {
        let Some((index, _)) = self.slot_of(hash, id) else {
            return false;
        };
        self.remove_at(index);
        true
    }

    /// Puts `item` in node `id`'s place, or adds it if that node is gone.
    pub(crate) fn replace_node(&mut self, hash: u64, id: NodeId, item: T) {
        let Some((index, _)) = self.slot_of(hash, id) else {
            return self.insert_new(hash, item);
        };
        let node = self.new_node(hash, item);
        let old = replace_in(&self.current().slots[index], node);
        self.count_published();
        self.side_mut().bin.retire(Unlinked::of_node(old));
    }

    /// Adds an item. The caller has checked that no item for it is there.
    // Always inlined where optimised: its call cost 11 instructions of a miss's 570. Not in
    // debug builds, where forcing it would make each memoized type's code larger to compile.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn insert_new(&mut self, hash: u64, item: T) {
        self.make_room();
        let node = self.new_node(hash, item);
        self.publish(hash, node);
    }

    /// Moves to a larger table if one more node would make this one more than half used.
    #[cfg_attr(not(debug_assertions), inline(always))] // as `insert_new`
    fn make_room(&mut self) {
        let side = self.side();
        if side.used + 1 > self.current().slots.len() / 2 {
            // Sized for the items there now, a quarter full: a full table of no tombstones
            // doubles (sized for one more, it would quadruple, and run from an eighth full).
            self.move_to(capacity_for(self.len()).max(side.floor));
        }
    }

    /// Puts `node`, numbered as the next published, in a free slot of its probe (there is
    /// room: see [`Locked::make_room`]).
    #[cfg_attr(not(debug_assertions), inline(always))] // as `insert_new`
    fn publish(&mut self, hash: u64, node: *mut Node<T>) {
        let table = self.current();
        let free =
            |(_, slot): &(usize, &AtomicPtr<Node<T>>)| !is_node(slot.load(Ordering::Relaxed));
        let Some((index, slot)) = table.probe(hash).find(free) else {
            unreachable!("a table is at most half full");
        };
        let was_null = slot.load(Ordering::Relaxed).is_null();
        // Release: readers that see the pointer see the node fully made.
        slot.store(node, Ordering::Release);
        self.count_published();
        self.set_len(self.len() + 1);
        let side = self.side_mut();
        if was_null {
            side.used += 1;
            side.occupied.set(index);
        }
    }

    /// Puts `item` in place of the one that is `same` as it, or adds it; whether it was added.
    /// (The store replaces by identity, see [`Locked::replace_node`]; the tests by value.)
    #[cfg(test)]
    pub(crate) fn replace(&mut self, hash: u64, item: T, same: impl Fn(&T, &T) -> bool) -> bool {
        let Some((_, old)) = self.locate_node(hash, |old| same(&old.item, &item)) else {
            self.insert_new(hash, item);
            return true;
        };
        let id = NodeId(core::ptr::from_ref(old).cast());
        self.replace_node(hash, id, item);
        false
    }

    /// Removes the item `is` accepts if `remove` says so.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn remove_if(
        &mut self,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        remove: impl FnOnce(&T) -> bool,
    ) -> Removal<'_, T> {
        let Some((index, item)) = self.locate(hash, is) else {
            return Removal::Absent;
        };
        if !remove(item) {
            // Re-borrowed for the caller (the first borrow ends with `remove`).
            return match self.locate_at(index) {
                Some(item) => Removal::Kept(item),
                None => Removal::Absent,
            };
        }
        self.remove_at(index);
        Removal::Removed
    }

    #[cfg_attr(not(debug_assertions), inline)]
    fn remove_at(&mut self, index: usize) {
        let old = self.unlink(index);
        self.set_len(self.len() - 1);
        let (readers, user) = (self.readers, self.user);
        let side = self.side_mut();
        if side.may_keep_spare_now(readers, user) {
            // No reader can reach it (see `may_keep_spare_now`): kept for the next new node
            // at once, without going through the bin (a bounded store's miss, which evicts).
            side.spare.push(Spare(old));
            return;
        }
        side.bin.retire(Unlinked::of_node(old));
    }

    /// Empties slot `index`, handing back its node. The slot becomes a tombstone only if a
    /// probe may need to go on past it, that is, if the next slot is used. Otherwise no probe
    /// does (every node sits after an unbroken run of used slots from its first), so the slot
    /// becomes null, and so do the tombstones just before it. Thus no tombstone is ever
    /// followed by a null slot, and churn seldom needs a sweep.
    #[cfg_attr(not(debug_assertions), inline(always))] // as `insert_new`
    fn unlink(&mut self, index: usize) -> *mut Node<T> {
        let slots = &self.current().slots;
        let mask = slots.len() - 1;
        if !slots[(index + 1) & mask].load(Ordering::Relaxed).is_null() {
            return replace_in(&slots[index], tombstone());
        }
        // A reader probing through a slot now null stops there, as it would at the next.
        let old = replace_in(&slots[index], ptr::null_mut());
        let mut emptied = 1;
        // Ends: a table is at most half used, so a null slot comes first.
        loop {
            let before = &slots[index.wrapping_sub(emptied) & mask];
            if before.load(Ordering::Relaxed) != tombstone() {
                break;
            }
            before.store(ptr::null_mut(), Ordering::Relaxed);
            emptied += 1;
        }
        self.side_mut().used -= emptied;
        old
    }

    fn locate_at(&self, index: usize) -> Option<&T> {
        let node = self.current().slots[index].load(Ordering::Relaxed);
        // SAFETY: as in `locate_node`: a node of the current table, freed only after the
        // writer unlinks it, which needs `&mut self`.
        is_node(node).then(|| unsafe { &(*node).item })
    }

    /// Removes every item. They are freed when the lock is let go, unless a reader may still
    /// see them (then by a later writer, once it cannot). When no reader can, the nodes of
    /// items that need no dropping are kept as spares at once instead (up to [`SPARE`]), and
    /// the rest freed at once, with the table (no user code runs: nothing is dropped).
    pub(crate) fn clear(&mut self) {
        self.flush = true;
        let floor = self.side().floor;
        let current = self.map.table.load(Ordering::Relaxed);
        // SAFETY: the current table: the writer alone unlinks it, and not before this.
        let in_place = keeps_through_clear(unsafe { &*current }.slots.len(), self.len(), floor);
        let old = if in_place {
            current
        } else {
            replace_in(&self.map.table, Table::with_capacity(floor))
        };
        let live = self.len();
        self.set_len(0);
        let (readers, user) = (self.readers, self.user);
        let side = self.side_mut();
        // As a removal's (see `remove_at`): the only live user, reading nothing, frees the
        // nodes at once (keeping up to `SPARE` allocations), rather than through the bin.
        let free_now = side.may_free_now(readers, user);
        // SAFETY: still the current table, or unlinked just now and freed only through the bin
        // (or below, if no reader can see it).
        let slots = &unsafe { &*old }.slots;
        if free_now {
            let (spare, mut releases) = (&mut side.spare, Releases::new());
            drain_nodes(&mut side.occupied, slots, in_place, |node| {
                if spare.len() < SPARE {
                    spare.push(Spare(node));
                } else {
                    // SAFETY: unlinked just now, and no reader can reach it (`free_now`); its
                    // item needs no dropping (`free_now` again); freed once, here.
                    unsafe { free_quietly(node, &mut releases) };
                }
            });
        } else {
            let bin = &mut side.bin;
            bin.reserve(live + 1);
            drain_nodes(&mut side.occupied, slots, in_place, |node| {
                bin.retire(Unlinked::of_node(node));
            });
        }
        if !in_place {
            side.occupied = Occupied::new(floor);
            if free_now {
                // SAFETY: unlinked above, reachable by no reader (`free_now`); its nodes were
                // freed or kept on their own (a table owns pointers only).
                drop(unsafe { Box::from_raw(old) });
            } else {
                side.bin.retire(Unlinked::of_table(old));
            }
        }
        side.used = 0;
    }

    /// Moves every node to a new table of `capacity` slots, leaving the tombstones behind.
    fn move_to(&mut self, capacity: usize) {
        let new = Table::with_capacity(capacity);
        // SAFETY: not yet shared.
        let fresh = unsafe { &*new };
        let mut occupied = Occupied::new(capacity);
        for slot in self.current().slots.iter() {
            let node = slot.load(Ordering::Relaxed);
            if is_node(node) {
                // SAFETY: a node of the current table, alive while the writer holds it.
                let hash = unsafe { (*node).hash };
                let free = fresh
                    .probe(hash)
                    .find(|(_, s)| s.load(Ordering::Relaxed).is_null());
                let (index, free) = free.expect("a table is at most half full");
                free.store(node, Ordering::Relaxed);
                occupied.set(index);
            }
        }
        // Release: readers that see the new table see its slots filled.
        let old = replace_in(&self.map.table, new);
        let live = self.len();
        let side = self.side_mut();
        side.used = live;
        side.occupied = occupied;
        side.bin.retire(Unlinked::of_table(old));
    }
}

#[cfg(test)]
mod tests;
