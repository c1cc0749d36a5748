//! Nodes carved from chunks of [`CHUNK`], for maps that seldom remove (unbounded stores): one
//! allocation per chunk instead of one per node. A map that only grows never frees a node for
//! the allocator to hand back, so every node took the allocator's slow path (about 180
//! instructions of a miss's 660). A chunk is freed with the last of its nodes.
//!
//! Chunks are carved in turn from *slabs*, allocations of several chunks: the first of a
//! carver's slabs holds one chunk, each next one twice as many as the last, up to
//! [`SLAB_MOST`], so that a store's slabs are few, and at most twice its nodes' memory. A
//! large slab's pages are mapped in one call as it is made (see `pages`): fresh from the
//! system, each page of nodes faulted on its first write, in the miss that carved there (a
//! growing store of `u64` keys and values faulted once every 128 misses). With slabs, a
//! process making 1 000 000 misses into an unbounded store took 2 000 page faults instead of
//! 9 500, and 4% less time; the growing store's miss went from 18.2 to 15.2 ns (medians, AMD
//! EPYC: a slab of 64 chunks was made every other sample of the bench, and made it slower). A
//! slab is freed with the last of its chunks.
//!
//! A node removed from such a map holds its chunk's memory until the chunk's other nodes go
//! too, and the chunk its slab's: at most [`CHUNK`] times [`SLAB_MOST`] nodes' memory per node
//! still stored (the worst case, one survivor per slab, takes removing all but one key in
//! every such run of keys). A spare (see the map's `Side::spare`) holds its chunk too, until
//! it is reused or the map is dropped.

use core::alloc::Layout;
use core::cell::Cell;
use core::mem::MaybeUninit;
use core::ptr;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use super::{Node, populate};

/// Nodes per chunk.
pub(super) const CHUNK: usize = 32;

/// Chunks per slab, at most: 1 MiB of nodes of `u64` keys and values.
const SLAB_MOST: usize = 1024;

/// The head of a slab: its chunks follow (see [`slab_layout`]).
struct Slab {
    /// The slab's chunks not freed yet (those not started yet included), plus one while the
    /// writer carves from it.
    live: AtomicUsize,
    /// How many chunks it holds.
    chunks: usize,
}

/// The layout of a slab of `chunks` chunks of nodes of `T`, and where its first chunk is.
fn slab_layout<T>(chunks: usize) -> (Layout, usize) {
    let chunks = Layout::array::<Chunk<T>>(chunks).expect("a slab's size fits");
    let (layout, at) = Layout::new::<Slab>()
        .extend(chunks)
        .expect("a slab's size fits");
    (layout.pad_to_align(), at)
}

pub(super) struct Chunk<T> {
    /// The chunk's nodes not freed yet (those not carved yet included), plus one while the
    /// writer carves from it.
    live: AtomicUsize,
    /// Nodes of the chunk freed by the writer and not yet given back of `live` (see
    /// [`Releases`]): touched by the writer alone, under the map's lock.
    freeing: Cell<usize>,
    /// The slab the chunk was carved from.
    slab: *mut Slab,
    nodes: [MaybeUninit<Node<T>>; CHUNK],
}

/// A node's number and where its memory is, in one word: the low [`SEQ_BITS`] bits are its
/// `seq` (when it was published: the map's count of published nodes, this one included,
/// modulo 2^56), the top 8 its place in its chunk plus one (0: a `Box` of its own). The
/// chunk is found from the node's address and its place (see [`chunk_of`]): a pointer to it
/// in each node took 8 more bytes of every node (a fifth of an unbounded store's node of
/// `u64` keys and values).
#[derive(Clone, Copy)]
pub(super) struct Label(u64);

/// The bits of a [`Label`] that hold the `seq`.
const SEQ_BITS: u32 = 56;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;

impl Label {
    /// The label of the node numbered `seq` (the count it was published at), at `place` (0:
    /// a `Box`, else its index in its chunk plus one).
    pub(super) fn new(seq: u64, place: Place) -> Self {
        Label(seq & SEQ_MASK | u64::from(place.0) << SEQ_BITS)
    }

    pub(super) fn place(self) -> Place {
        // Truncation intended: the top 8 bits.
        Place((self.0 >> SEQ_BITS) as u8)
    }

    /// Whether the node was published after the count `seen`. Modulo 2^56: right unless
    /// 2^55 nodes were published meanwhile.
    pub(super) fn published_after(self, seen: u64) -> bool {
        let since = (self.0 & SEQ_MASK).wrapping_sub(seen) & SEQ_MASK;
        since != 0 && since < 1 << (SEQ_BITS - 1)
    }
}

/// Where a node's memory is: 0 for a `Box` of its own, else its index in its chunk plus one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Place(u8);

impl Place {
    /// A node of its own, in a `Box`.
    pub(super) const BOXED: Place = Place(0);
}

// At most 255 nodes a chunk: a place is a byte.
const _: () = assert!(CHUNK < 256);

/// The chunk that a node at `place` (not [`Place::BOXED`]) was carved from.
///
/// # Safety
/// `node` was carved at `place` by a [`Carver`] (it points into that chunk's allocation, with
/// its provenance), and the chunk is alive.
pub(super) unsafe fn chunk_of<T>(node: *mut Node<T>, place: Place) -> *mut Chunk<T> {
    debug_assert!(place != Place::BOXED);
    let index = usize::from(place.0) - 1;
    let offset = core::mem::offset_of!(Chunk<T>, nodes) + index * size_of::<Node<T>>();
    // SAFETY: `node` is `&raw mut (*chunk).nodes[index]` as `carve` made it, `offset` bytes
    // into the chunk's allocation: going back stays within it.
    unsafe { node.byte_sub(offset).cast::<Chunk<T>>() }
}

/// The writer's chunk, carved node by node, and the slab its chunks come from.
pub(super) struct Carver<T> {
    /// Null before the first node.
    chunk: *mut Chunk<T>,
    /// The next node to carve (`CHUNK`: a new chunk is needed).
    next: usize,
    /// The slab the next chunks come from; null once all of its chunks are started (or before
    /// the first).
    slab: *mut Slab,
    /// How many chunks of `slab` are started.
    started: usize,
    /// How many chunks the last slab held.
    chunks: usize,
}

// SAFETY: the carver is the writer's (behind the map's lock): it owns its part of the chunk's
// and the slab's counts, which any thread may give back (atomics), and carves memory for
// nodes of `T`.
unsafe impl<T: Send> Send for Carver<T> {}

impl<T> Carver<T> {
    pub(super) const fn new() -> Self {
        Carver {
            chunk: ptr::null_mut(),
            next: CHUNK,
            slab: ptr::null_mut(),
            started: 0,
            chunks: 0,
        }
    }

    /// The next chunk of the slab, started (a new slab made first if need be).
    fn start_chunk(&mut self) -> *mut Chunk<T> {
        if self.slab.is_null() {
            self.make_slab();
        }
        let (_, at) = slab_layout::<T>(self.chunks);
        // SAFETY: chunk `started` of the slab (below its `chunks`: a slab whose chunks are all
        // started is let go of, below), within its allocation.
        let chunk = unsafe { self.slab.byte_add(at).cast::<Chunk<T>>().add(self.started) };
        // SAFETY: memory for a chunk, not started before: its head is written, its nodes left
        // uninitialised (carved one by one).
        unsafe {
            (&raw mut (*chunk).live).write(AtomicUsize::new(CHUNK + 1));
            (&raw mut (*chunk).freeing).write(Cell::new(0));
            (&raw mut (*chunk).slab).write(self.slab);
        }
        self.started += 1;
        if self.started == self.chunks {
            // SAFETY: the carver's own count of the slab, given back once: its chunks hold it.
            unsafe { release_slab::<T>(self.slab, 1) };
            self.slab = ptr::null_mut();
        }
        chunk
    }

    /// A slab twice the last one's size (up to [`SLAB_MOST`] chunks), its pages mapped.
    #[cold]
    fn make_slab(&mut self) {
        let chunks = (self.chunks * 2).clamp(1, SLAB_MOST);
        let (layout, _) = slab_layout::<T>(chunks);
        // SAFETY: the layout has a non-zero size (a slab's head at least).
        let slab = unsafe { std::alloc::alloc(layout) }.cast::<Slab>();
        if slab.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        populate(slab.cast(), layout.size());
        // SAFETY: fresh memory for the slab's head.
        unsafe {
            slab.write(Slab {
                live: AtomicUsize::new(chunks + 1),
                chunks,
            });
        }
        (self.slab, self.started, self.chunks) = (slab, 0, chunks);
    }

    /// Memory for one node, and its place in its chunk (for the node to keep in its
    /// [`Label`], see [`chunk_of`] and [`release`]). Inlined where optimised: the first and
    /// the last node of a chunk are carved out of line.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn carve(&mut self) -> (*mut Node<T>, Place) {
        if self.next >= CHUNK - 1 {
            return self.carve_at_an_end();
        }
        self.carve_next()
    }

    /// The next node of the current chunk, which has one left at least.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn carve_next(&mut self) -> (*mut Node<T>, Place) {
        // SAFETY: `chunk` is alive: the carver's own count holds it until its last node is
        // carved, and that node's count after.
        let node = unsafe { (&raw mut (*self.chunk).nodes[self.next]).cast::<Node<T>>() };
        self.next += 1;
        // Truncation checked: `next` is at most `CHUNK`, below 256.
        (node, Place(self.next as u8))
    }

    /// [`Carver::carve`] when a chunk starts or ends.
    #[cold]
    #[inline(never)]
    fn carve_at_an_end(&mut self) -> (*mut Node<T>, Place) {
        if self.next == CHUNK {
            self.chunk = self.start_chunk();
            self.next = 0;
        }
        let chunk = self.chunk;
        let carved = self.carve_next();
        if self.next == CHUNK {
            // SAFETY: the carver's own count, given back once: this chunk is done with.
            unsafe { release(chunk, 1) };
        }
        carved
    }
}

impl<T> Drop for Carver<T> {
    fn drop(&mut self) {
        if self.next < CHUNK {
            // SAFETY: the counts of the nodes never carved, and the carver's own, given back
            // once (a chunk used up gave its own back in `carve`).
            unsafe { release(self.chunk, CHUNK - self.next + 1) };
        }
        if !self.slab.is_null() {
            // SAFETY: the counts of the chunks never started, and the carver's own, given
            // back once (a slab whose chunks were all started gave its own back).
            unsafe { release_slab::<T>(self.slab, self.chunks - self.started + 1) };
        }
    }
}

/// Gives back one node's count of its chunk as it drops (see [`release`]): for a free that
/// must happen even if dropping the node's item panics.
pub(super) struct GiveBack<T>(pub(super) *mut Chunk<T>);

impl<T> Drop for GiveBack<T> {
    fn drop(&mut self) {
        // SAFETY: made by the one who owns a node's count of this chunk, for that node, whose
        // item is dropped (or being dropped, on unwind) and not touched again; dropped once.
        unsafe { release(self.0, 1) };
    }
}

/// Gives back `n` of a chunk's count, and frees the chunk if that was the last.
///
/// # Safety
/// `chunk` came from a [`Carver`], and the caller owns `n` of its count (one per node it
/// frees, whose item it dropped already or never will: a spare's stale contents), given back
/// once.
pub(super) unsafe fn release<T>(chunk: *mut Chunk<T>, n: usize) {
    // Release, then acquire before freeing: every thread's use of the chunk's nodes happens
    // before the free (as an `Arc`'s count).
    // SAFETY: alive while the caller's part of the count is not given back.
    if unsafe { &(*chunk).live }.fetch_sub(n, Ordering::Release) == n {
        fence(Ordering::Acquire);
        // SAFETY: the count is zero, so no node of the chunk is in use (nothing in them is
        // dropped: they are `MaybeUninit`); the chunk's count of its slab, given back once.
        unsafe { release_slab::<T>((*chunk).slab, 1) };
    }
}

/// Gives back `n` of a slab's count, and frees the slab if that was the last.
///
/// # Safety
/// `slab` was made by a [`Carver`] of nodes of `T`, and the caller owns `n` of its count (one
/// per chunk freed or never started, and the carver's own), given back once.
unsafe fn release_slab<T>(slab: *mut Slab, n: usize) {
    // As a chunk's count (see `release`).
    // SAFETY: alive while the caller's part of the count is not given back.
    if unsafe { &(*slab).live }.fetch_sub(n, Ordering::Release) == n {
        fence(Ordering::Acquire);
        // SAFETY: as above; its size, as it was made.
        let (layout, _) = slab_layout::<T>(unsafe { (*slab).chunks });
        // SAFETY: made by `std::alloc::alloc` with this layout in `Carver::make_slab`; the
        // count is zero: no chunk of it is in use.
        unsafe { std::alloc::dealloc(slab.cast(), layout) };
    }
}

/// The counts of freed nodes, gathered by chunk and given back one chunk at a time (a clear
/// frees its nodes in the table's order, which scatters them over the chunks): one atomic
/// subtraction a chunk rather than one a node. Gives back what it holds when dropped.
pub(super) struct Releases<T> {
    /// Each chunk whose `freeing` count is not zero, once.
    chunks: Vec<*mut Chunk<T>>,
}

impl<T> Releases<T> {
    pub(super) const fn new() -> Self {
        Releases { chunks: Vec::new() }
    }

    /// Takes over one node's count of `chunk`.
    ///
    /// # Safety
    /// The caller owns a node's count of `chunk` (the node is freed: its item dropped, or
    /// needing no dropping) and hands it over, once; it holds the map's writer lock, as long
    /// as this lives (`freeing` is the writer's).
    pub(super) unsafe fn add(&mut self, chunk: *mut Chunk<T>) {
        // SAFETY: alive: the count handed over holds it until this `Releases` drops.
        let freeing = unsafe { &(*chunk).freeing };
        if freeing.get() == 0 {
            self.chunks.push(chunk);
        }
        freeing.set(freeing.get() + 1);
    }
}

impl<T> Drop for Releases<T> {
    /// Gives back every count taken over, a chunk at a time.
    fn drop(&mut self) {
        for chunk in self.chunks.drain(..) {
            // SAFETY: alive while its counts here are not given back (just below); the
            // writer's field, read and reset before the count that may free the chunk.
            let n = unsafe { &(*chunk).freeing }.replace(0);
            // SAFETY: `n` counts handed over by `add`, given back once.
            unsafe { release(chunk, n) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_keeps_its_place_and_orders_its_seq_past_the_wrap() {
        let label = Label::new(5, Place(32));
        assert!(label.place() == Place(32));
        assert!(label.published_after(4) && !label.published_after(5));
        assert!(!label.published_after(6), "published before the count 6");
        let wrapped = Label::new(1 << SEQ_BITS, Place::BOXED); // seq 0, after the wrap
        assert!(wrapped.place() == Place::BOXED);
        assert!(wrapped.published_after(SEQ_MASK));
        assert!(
            wrapped.published_after(u64::MAX),
            "a count past 2^56 compares modulo"
        );
    }

    /// A chunk's nodes are carved at places 1 to `CHUNK`, then a new chunk starts; once its
    /// last node is carved, the carver's own count is given back, and the nodes' counts alone
    /// hold the chunk (Miri checks it is freed with the last of them).
    #[test]
    fn nodes_are_carved_in_place_order_and_a_used_up_chunk_is_the_nodes_alone() {
        let mut carver = Carver::<u64>::new();
        let carved: Vec<_> = (0..=CHUNK).map(|_| carver.carve()).collect();
        let places: Vec<u8> = carved.iter().map(|(_, place)| place.0).collect();
        let expected: Vec<u8> = (1..=CHUNK as u8).chain([1]).collect();
        assert_eq!(places, expected);
        // SAFETY: each node was carved at its place; the chunks are alive (their counts are
        // given back below, once each).
        let first = unsafe { chunk_of(carved[0].0, carved[0].1) };
        assert!(core::ptr::eq(
            first,
            // SAFETY: as above.
            unsafe { chunk_of(carved[CHUNK - 1].0, carved[CHUNK - 1].1) }
        ));
        // SAFETY: alive until its nodes' counts are given back, below.
        assert_eq!(unsafe { &(*first).live }.load(Ordering::Relaxed), CHUNK);
        for &(node, place) in &carved[..CHUNK] {
            // SAFETY: each node's count, given back once; nothing was written there.
            unsafe { release(chunk_of(node, place), 1) };
        }
        let (node, place) = carved[CHUNK];
        // SAFETY: as above, for the second chunk's one node.
        unsafe { release(chunk_of(node, place), 1) };
        drop(carver); // gives back the second chunk's uncarved nodes and its own count
    }

    /// Counts handed to a `Releases` come off the chunk's count only when it drops, once per
    /// chunk, and the chunk is freed with the last (Miri checks it is freed once).
    #[test]
    fn released_counts_are_given_back_together() {
        let mut carver = Carver::<u64>::new();
        let carved: Vec<_> = (0..3).map(|_| carver.carve()).collect();
        let chunk = carver.chunk;
        // SAFETY: the chunk is alive until the carver drops, at the end.
        let live = || unsafe { &(*chunk).live }.load(Ordering::Relaxed);
        assert_eq!(
            live(),
            CHUNK + 1,
            "the carver's own count, and every node's"
        );
        let mut releases = Releases::new();
        for (node, place) in carved {
            // SAFETY: each carved node's count, handed over once; nothing was written there.
            unsafe { releases.add(chunk_of(node, place)) };
        }
        assert_eq!(releases.chunks.len(), 1, "the chunk listed once");
        assert_eq!(live(), CHUNK + 1, "nothing given back yet");
        drop(releases);
        assert_eq!(live(), CHUNK + 1 - 3);
        drop(carver); // gives back the rest: the chunk is freed
    }

    /// Chunks come from slabs of 1, 2, 4... chunks; a slab is freed with the last of its
    /// chunks, and its chunks never started are given back with the carver (Miri checks each
    /// slab is freed once, and none leaks).
    #[test]
    fn slabs_double_and_go_with_their_last_chunk() {
        let mut carver = Carver::<u64>::new();
        let carved: Vec<_> = (0..CHUNK * 9 + 5).map(|_| carver.carve()).collect();
        let slab_of = |(node, place): (*mut Node<u64>, Place)| {
            // SAFETY: each node was carved at its place; its chunk is alive (its counts are
            // given back below).
            unsafe { (*chunk_of(node, place)).slab }
        };
        let slabs: Vec<*mut Slab> = carved.chunks(CHUNK).map(|c| slab_of(c[0])).collect();
        // Chunk 0 in the first slab, 1 and 2 in the second, 3 to 6 in the third, 7 to 9 in the
        // fourth (of 8).
        for (chunk, same) in [(1, 2), (3, 6), (7, 9)] {
            assert!(core::ptr::eq(slabs[chunk], slabs[same]));
            assert!(!core::ptr::eq(slabs[chunk], slabs[chunk - 1]));
        }
        // SAFETY: the fourth slab is alive: the carver holds it.
        let fourth = unsafe { &*slabs[7] };
        assert_eq!(fourth.chunks, 8);
        assert_eq!(
            fourth.live.load(Ordering::Relaxed),
            8 + 1,
            "its chunks, and the carver"
        );
        for (node, place) in carved {
            // SAFETY: each node's count, given back once; nothing was written there.
            unsafe { release(chunk_of(node, place), 1) };
        }
        drop(carver); // the last chunk's uncarved nodes, and the fourth slab's unstarted chunks
    }

    #[test]
    fn a_node_is_its_hash_its_label_and_its_item() {
        assert_eq!(size_of::<Node<(u64, u64)>>(), 32);
    }
}
