//! Nodes carved from chunks of [`CHUNK`], for maps that seldom remove (unbounded stores): one
//! allocation per chunk instead of one per node. A map that only grows never frees a node for
//! the allocator to hand back, so every node took the allocator's slow path (about 180
//! instructions of a miss's 660). A chunk is freed with the last of its nodes.
//!
//! A node removed from such a map holds its chunk's memory until the chunk's other nodes go
//! too: at most [`CHUNK`] nodes' memory per node still stored (the worst case, one survivor
//! per chunk, takes removing all but one key in every [`CHUNK`]). A spare (see the map's
//! `Side::spare`) holds its chunk too, until it is reused or the map is dropped.

use core::mem::MaybeUninit;
use core::ptr;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use super::Node;

/// Nodes per chunk.
pub(super) const CHUNK: usize = 32;

pub(super) struct Chunk<T> {
    /// The chunk's nodes not freed yet (those not carved yet included), plus one while the
    /// writer carves from it.
    live: AtomicUsize,
    nodes: [MaybeUninit<Node<T>>; CHUNK],
}

/// The chunk a node was carved from (null: none, the node is a `Box` of its own).
pub(super) struct ChunkOf<T>(pub(super) *mut Chunk<T>);

impl<T> Clone for ChunkOf<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ChunkOf<T> {}

// SAFETY: a node keeps the address of its chunk for the thread that frees it, which gives back
// a count (an atomic) and may free the chunk's memory, where no `T` is left to drop: as the
// nodes themselves, sent and shared where their items may be.
unsafe impl<T: Send> Send for ChunkOf<T> {}
// SAFETY: as above; readers never use it.
unsafe impl<T: Sync> Sync for ChunkOf<T> {}

/// The writer's chunk, carved node by node.
pub(super) struct Carver<T> {
    /// Null before the first node.
    chunk: *mut Chunk<T>,
    /// The next node to carve (`CHUNK`: a new chunk is needed).
    next: usize,
}

// SAFETY: the carver is the writer's (behind the map's lock): it owns its part of the chunk's
// count, which any thread may give back (an atomic), and carves memory for nodes of `T`.
unsafe impl<T: Send> Send for Carver<T> {}

impl<T> Carver<T> {
    pub(super) const fn new() -> Self {
        Carver {
            chunk: ptr::null_mut(),
            next: CHUNK,
        }
    }

    /// Memory for one node, and the chunk it is in (for the node to keep, see [`release`]).
    pub(super) fn carve(&mut self) -> (*mut Node<T>, ChunkOf<T>) {
        if self.next == CHUNK {
            self.chunk = Box::into_raw(Box::new(Chunk {
                live: AtomicUsize::new(CHUNK + 1),
                nodes: [const { MaybeUninit::uninit() }; CHUNK],
            }));
            self.next = 0;
        }
        let chunk = self.chunk;
        // SAFETY: `chunk` is alive: the carver's own count holds it until the last node is
        // carved (just below), and that node's count after.
        let node = unsafe { (&raw mut (*chunk).nodes[self.next]).cast::<Node<T>>() };
        self.next += 1;
        if self.next == CHUNK {
            // SAFETY: the carver's own count, given back once: this chunk is done with.
            unsafe { release(chunk, 1) };
        }
        (node, ChunkOf(chunk))
    }
}

impl<T> Drop for Carver<T> {
    fn drop(&mut self) {
        if self.next < CHUNK {
            // SAFETY: the counts of the nodes never carved, and the carver's own, given back
            // once (a chunk used up gave its own back in `carve`).
            unsafe { release(self.chunk, CHUNK - self.next + 1) };
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
        // SAFETY: made by `Box::into_raw` in `carve`; the count is zero, so no node of it is
        // in use, and the nodes are `MaybeUninit`: nothing in them is dropped.
        drop(unsafe { Box::from_raw(chunk) });
    }
}
