//! Reading the map without its lock: a probe while marked, then user code under a hazard
//! (see [`epoch`](crate::store::epoch)).

use core::ptr;
use std::sync::atomic::Ordering;

use super::{Map, Node, NodeId, Table};
use crate::store::epoch::{Reader, Readers};

/// An item found in the map, kept from being freed until this is dropped.
pub(crate) struct Found<'m, T, X> {
    node: &'m Node<T>,
    _hold: Hold<'m, T, X>,
}

impl<T, X> Found<'_, T, X> {
    pub(crate) fn item(&self) -> &T {
        &self.node.item
    }

    pub(crate) fn id(&self) -> NodeId {
        NodeId(ptr::from_ref(self.node).cast())
    }
}

/// What keeps a found node alive; lets go when dropped (also on unwinding from user code).
enum Hold<'m, T, X> {
    /// A hazard of the reader's, at this index.
    Hazard(&'m Reader, usize),
    /// The reader's mark, every hazard being in use (`true`: this read set it, and clears it).
    Marked(&'m Reader, bool),
    /// An entry in the map's list of nodes read outside the lock.
    Outside(&'m Map<T, X>, &'m dyn Readers, usize),
}

impl<T, X> Drop for Hold<'_, T, X> {
    fn drop(&mut self) {
        match *self {
            Hold::Hazard(reader, at) => reader.release(at),
            Hold::Marked(reader, entered) => {
                if entered {
                    reader.mark_user_code(false);
                    reader.leave();
                }
            }
            Hold::Outside(map, readers, node) => {
                let mut locked = map.lock(readers);
                let outside = &mut locked.side_mut().outside;
                if let Some(at) = outside.iter().position(|&n| n == node) {
                    outside.swap_remove(at);
                }
            }
        }
    }
}

impl<T> Table<T> {
    /// The first node for `hash` from the `from`th slot of its probe on, and where it is in the
    /// probe.
    ///
    /// # Safety
    /// As [`Table::search`].
    unsafe fn next_of(&self, hash: u64, from: usize) -> Option<(usize, &Node<T>)> {
        let probe = self.probe(hash).skip(from).enumerate();
        for (offset, (_, slot)) in probe {
            // Acquire: pairs with the writer's release when it published the node.
            let node = slot.load(Ordering::Acquire);
            if node.is_null() {
                return None;
            }
            if node != super::tombstone() {
                // SAFETY: alive, by the caller's promise.
                let node = unsafe { &*node };
                if node.hash == hash {
                    return Some((from + offset, node));
                }
            }
        }
        None
    }
}

impl<T, X> Map<T, X> {
    /// The item for `hash` that `is` accepts, if any: no lock, no atomic read-modify-write.
    /// The probe runs marked; `is` (user code) and what the caller does with the item run
    /// with the node under a hazard. A probe that goes on after `is` said no resumes where it
    /// was if the table is the same (else from the start: a node may then be missed, which
    /// makes a miss of a hit, never the reverse).
    #[inline(always)]
    pub(crate) fn lookup<'m>(
        &'m self,
        reader: &'m Reader,
        hash: u64,
        mut is: impl FnMut(&T) -> bool,
    ) -> Option<Found<'m, T, X>> {
        let mut from = 0;
        let mut seen_table = ptr::null_mut();
        loop {
            let entered = reader.enter();
            // Acquire: pairs with the writer's release when it published the table.
            let table = self.table.load(Ordering::Acquire);
            if table != seen_table {
                (from, seen_table) = (0, table);
            }
            // SAFETY: the table and nodes reached from it are freed only once every reader
            // that was probing when they were unlinked has finished, and this one is probing.
            let next = unsafe { (*table).next_of(hash, from) };
            let Some((at, node)) = next else {
                if entered {
                    reader.leave();
                }
                return None;
            };
            let hold = match reader.protect(ptr::from_ref(node).cast()) {
                Some(hazard) => {
                    if entered {
                        reader.leave();
                    }
                    Hold::Hazard(reader, hazard)
                }
                None => {
                    if entered {
                        reader.mark_user_code(true);
                    }
                    Hold::Marked(reader, entered)
                }
            };
            // The node outlives `hold`: a hazard names it (a writer frees no node a hazard
            // stored during a probe names), or the probe's mark is still held.
            if is(&node.item) {
                return Some(Found { node, _hold: hold });
            }
            drop(hold);
            from = at + 1;
        }
    }

    /// [`Map::lookup`] for a thread without a reader of its own (past the threads with slots,
    /// or being torn down): each probe under the writer lock, where it notes the node it
    /// leaves with, so that writers keep it alive until `is` and the caller are done.
    #[cold]
    pub(crate) fn lookup_outside<'m>(
        &'m self,
        readers: &'m dyn Readers,
        hash: u64,
        mut is: impl FnMut(&T) -> bool,
    ) -> Option<Found<'m, T, X>> {
        let mut from = 0;
        loop {
            let (at, node) = {
                let mut locked = self.lock(readers);
                // SAFETY: the writer lock is held: no node of the current table is freed.
                let (at, node) = unsafe { locked.current().next_of(hash, from) }?;
                let node: *const Node<T> = node;
                locked.side_mut().outside.push(node.addr());
                (at, node)
            };
            // SAFETY: listed in `outside`, it is freed by no writer until `hold` is dropped.
            let node = unsafe { &*node };
            let hold = Hold::Outside(self, readers, ptr::from_ref(node).addr());
            if is(&node.item) {
                return Some(Found { node, _hold: hold });
            }
            drop(hold);
            from = at + 1;
        }
    }
}
