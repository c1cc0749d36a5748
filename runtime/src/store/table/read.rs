//! Reading the map without its lock: a probe while marked, then user code under a hazard
//! (see [`epoch`](crate::store::epoch)).

use core::ptr;
use std::sync::atomic::Ordering;

use super::{Map, Node, NodeId, Table};
use crate::store::epoch::{Reader, Readers};

/// What keeps a found node alive while user code reads it; lets go when dropped (also on
/// unwinding from user code).
pub(super) enum Hold<'m, T, W> {
    /// A hazard of the reader's, at this index.
    Hazard(&'m Reader, usize),
    /// The reader's mark, every hazard being in use (`Some`: this read set it, and clears it).
    Marked(&'m Reader, Option<u64>),
    /// An entry in the map's list of nodes read outside the lock.
    Outside(&'m Map<T, W>, &'m dyn Readers, usize),
}

impl<T, W> Drop for Hold<'_, T, W> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn drop(&mut self) {
        match *self {
            Hold::Hazard(reader, at) => reader.release(at),
            Hold::Marked(reader, entered) => {
                if entered.is_some() {
                    reader.mark_user_code(false);
                }
                reader.leave(entered);
            }
            Hold::Outside(map, readers, node) => map.let_go_outside(readers, node),
        }
    }
}

impl<T> Table<T> {
    /// The first node for `hash` from the `from`th slot of its probe on, and where it is in the
    /// probe.
    ///
    /// # Safety
    /// As [`Table::search`].
    #[cfg_attr(not(debug_assertions), inline(always))]
    unsafe fn next_of(&self, hash: u64, from: usize) -> Option<(usize, &Node<T>)> {
        let mask = self.slots.len() - 1;
        // Truncation intended: the low bits pick the first slot.
        let start = hash as usize;
        for offset in from..self.slots.len() {
            // Acquire: pairs with the writer's release when it published the node.
            let node = self.slots[start.wrapping_add(offset) & mask].load(Ordering::Acquire);
            if node.is_null() {
                return None;
            }
            if node != super::tombstone() {
                // SAFETY: alive, by the caller's promise.
                let node = unsafe { &*node };
                if node.hash == hash {
                    return Some((offset, node));
                }
            }
        }
        None
    }
}

/// A hazard held: [`Hold::Hazard`] alone, for the inlined path.
pub(super) struct Hazard<'r>(pub(super) &'r Reader, pub(super) usize);

impl Drop for Hazard<'_> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn drop(&mut self) {
        self.0.release(self.1);
    }
}

fn id_of<T>(node: &Node<T>) -> NodeId {
    NodeId(ptr::from_ref(node).cast())
}

impl<T, W> Map<T, W> {
    /// Finds the item for `hash` that `is` accepts, and hands it to `then`: no lock, no atomic
    /// read-modify-write. The probe runs marked; `is` (user code) and `then` run with the node
    /// under a hazard. Inlined: a hit is a few dozen instructions, and the first node of the
    /// hash is nearly always the one (past it, see [`Map::read_on`]).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read<R>(
        &self,
        reader: &Reader,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NodeId) -> R,
    ) -> Option<R> {
        self.read_counting::<false, R>(reader, hash, is, then)
            .unwrap_or(None)
    }

    /// [`Map::read`], telling apart a miss that met no node for `hash` at all: that one is
    /// `Err`, with the count of published nodes (see [`Map::published`]) taken before the
    /// probe. Then any node for `hash` that a writer finds later was published after that
    /// count (see [`Locked::published_since`](super::Locked::published_since)): the count
    /// stands for a lookup of the key, and the probe compared hashes alone.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read_or_published<R>(
        &self,
        reader: &Reader,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NodeId) -> R,
    ) -> Result<Option<R>, u64> {
        self.read_counting::<true, R>(reader, hash, is, then)
    }

    /// [`Map::read_or_published`], the count taken only if `COUNT` (else `Err(0)`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn read_counting<const COUNT: bool, R>(
        &self,
        reader: &Reader,
        hash: u64,
        mut is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NodeId) -> R,
    ) -> Result<Option<R>, u64> {
        // Before the probe: a node published up to this count is in the table the probe
        // reads (or was removed since).
        let seen = if COUNT { self.published() } else { 0 };
        let entered = reader.enter();
        // Acquire: pairs with the writer's release when it published the table.
        let table = self.table.load(Ordering::Acquire);
        // SAFETY: the table and nodes reached from it are freed only once every reader that
        // was probing when they were unlinked has finished, and this one is probing.
        let Some((at, node)) = (unsafe { (*table).next_of(hash, 0) }) else {
            reader.leave(entered);
            return Err(seen);
        };
        let Some(hazard) = reader.protect(ptr::from_ref(node).cast()) else {
            reader.leave(entered);
            return Ok(self.read_on(reader, hash, is, then, 0));
        };
        reader.leave(entered);
        // From here the node is alive for its hazard: a writer frees no node that a hazard,
        // stored during a probe, names.
        let hold = Hazard(reader, hazard);
        if is(&node.item) {
            let result = then(&node.item, id_of(node));
            drop(hold);
            return Ok(Some(result));
        }
        drop(hold);
        Ok(self.read_on(reader, hash, is, then, at + 1))
    }

    /// [`Map::read`] from the `from`th slot of the probe on (the nodes before were not the
    /// one), and with the mark held through user code if every hazard is in use (nested reads
    /// of one store). A probe that resumes in another table starts it from the beginning; one
    /// that resumes where a node was removed meanwhile may miss the item, which makes a miss of
    /// a hit, never the reverse.
    #[cold]
    #[inline(never)]
    fn read_on<R>(
        &self,
        reader: &Reader,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NodeId) -> R,
        from: usize,
    ) -> Option<R> {
        let mut seen = self.table.load(Ordering::Acquire);
        let next = |mut from| {
            let entered = reader.enter();
            let table = self.table.load(Ordering::Acquire);
            if table != seen {
                (from, seen) = (0, table);
            }
            // SAFETY: as in `read`.
            let Some((at, node)) = (unsafe { (*table).next_of(hash, from) }) else {
                reader.leave(entered);
                return None;
            };
            let hold = match reader.protect(ptr::from_ref(node).cast()) {
                Some(hazard) => {
                    reader.leave(entered);
                    Hold::Hazard(reader, hazard)
                }
                None => {
                    if entered.is_some() {
                        reader.mark_user_code(true);
                    }
                    Hold::Marked(reader, entered)
                }
            };
            // The node outlives `hold`: its hazard names it, or the probe's mark is held.
            Some((at, node, hold))
        };
        Self::offer_each(next, is, then, from)
    }

    /// [`Map::read`] for a thread without a reader of its own (past the threads with slots, or
    /// being torn down): each probe under the writer lock, where it notes the node it leaves
    /// with, so that writers keep it alive until `is` and `then` are done.
    #[cold]
    #[inline(never)]
    pub(crate) fn read_outside<R>(
        &self,
        readers: &dyn Readers,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NodeId) -> R,
    ) -> Option<R> {
        let next = |from| {
            let (at, node) = {
                let mut locked = self.lock(readers);
                // SAFETY: the writer lock is held: no node of the current table is freed.
                let (at, node) = unsafe { locked.current().next_of(hash, from) }?;
                let node: *const Node<T> = node;
                locked.side_mut().outside.push(node.addr());
                (at, node)
            };
            // SAFETY: listed in `outside`, it is freed by no writer until its hold is dropped.
            let node = unsafe { &*node };
            Some((
                at,
                node,
                Hold::Outside(self, readers, ptr::from_ref(node).addr()),
            ))
        };
        Self::offer_each(next, is, then, 0)
    }

    /// Offers the nodes `next` finds, from the `from`th slot of the probe on, each kept alive by
    /// its hold, to `is`, and the first it accepts to `then`.
    fn offer_each<'m, R>(
        mut next: impl FnMut(usize) -> Option<(usize, &'m Node<T>, Hold<'m, T, W>)>,
        mut is: impl FnMut(&T) -> bool,
        then: impl FnOnce(&T, NodeId) -> R,
        mut from: usize,
    ) -> Option<R>
    where
        T: 'm,
        W: 'm,
    {
        loop {
            let (at, node, hold) = next(from)?;
            if is(&node.item) {
                let result = then(&node.item, id_of(node));
                drop(hold);
                return Some(result);
            }
            drop(hold);
            from = at + 1;
        }
    }

    /// Ends a read outside the readers (see [`Map::read_outside`]).
    #[cold]
    #[inline(never)]
    fn let_go_outside(&self, readers: &dyn Readers, node: usize) {
        let mut locked = self.lock(readers);
        let outside = &mut locked.side_mut().outside;
        if let Some(at) = outside.iter().position(|&n| n == node) {
            outside.swap_remove(at);
        }
    }
}
