//! The index of an owned map (see [`owned`](super)): which node holds each hash. One thread
//! alone reads and writes it, so it has no atomics, no tombstones and no labels.
//!
//! Open addressing with linear probing over a table of slots, each a payload (a node's
//! pointer; its hash is the node's), at most half full: 8 bytes a slot, as the shared map's
//! (a hash beside each pointer made a growing store touch twice the memory, for a probe that
//! reads no node but the one it finds). A removal shifts back the slots after it that its
//! emptied slot would have stopped (no tombstone is left), so a probe ends at the first empty
//! slot, and a slot's position changes only when something is removed.
//!
//! A probe indexes without bounds checks: a position is masked by the table's length less one,
//! a power of two (checked in debug builds; the tests run under Miri).

use super::super::occupied::Occupied;

/// The most slots the table keeps through [`Index::drain`]: 512 KiB, as the shared map's (see
/// `KEPT_BY_CLEAR`).
const KEPT_BY_DRAIN: usize = 1 << 16;

/// What an index holds: a pointer to something that knows its hash.
pub(crate) trait Payload: Copy + PartialEq {
    fn hash(self) -> u64;

    /// A table of `capacity` empty slots.
    fn empty_slots(capacity: usize) -> Box<[Option<Self>]> {
        vec![None; capacity].into_boxed_slice()
    }
}

/// `None` for an empty slot.
type Slot<P> = Option<P>;

/// Payloads (node pointers) by hash, several per hash if need be.
pub(crate) struct Index<P> {
    /// A power of two in length, at most half used; empty before the first insertion.
    slots: Box<[Slot<P>]>,
    /// Which slots were filled since the table was made or emptied (as the shared map's: a
    /// small table's clear visits those alone).
    occupied: Occupied,
    len: usize,
    /// Counts every change of the slots, so that a caller that let go of the index (to run user
    /// code) knows whether a position it found still holds what it did.
    changes: u64,
}

impl<P: Payload> Index<P> {
    pub(crate) fn new() -> Self {
        Index {
            slots: Box::new([]),
            occupied: Occupied::new(0),
            len: 0,
            changes: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// See the field.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn changes(&self) -> u64 {
        self.changes
    }

    /// The first payload for `hash` in its probe, and its position.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn first(&self, hash: u64) -> Option<(usize, P)> {
        self.find(hash, |_| true)
    }

    /// The first payload for `hash` in its probe that `is` accepts, and its position.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn find(&self, hash: u64, mut is: impl FnMut(P) -> bool) -> Option<(usize, P)> {
        let mask = self.slots.len().checked_sub(1)?;
        // Truncation intended: the low bits pick the first slot.
        let mut at = hash as usize & mask;
        loop {
            let payload = self.slot(at)?;
            if payload.hash() == hash && is(payload) {
                return Some((at, payload));
            }
            at = (at + 1) & mask;
        }
    }

    /// Every payload for `hash`, in probe order.
    pub(crate) fn each(&self, hash: u64, mut each: impl FnMut(P)) {
        self.find(hash, |payload| {
            each(payload);
            false
        });
    }

    /// The slot at `at`, below the table's length (a position masked by it).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn slot(&self, at: usize) -> Slot<P> {
        debug_assert!(at < self.slots.len());
        // SAFETY: every position is masked by the table's length less one, a power of two.
        *unsafe { self.slots.get_unchecked(at) }
    }

    /// [`Index::slot`], to write.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn slot_mut(&mut self, at: usize) -> &mut Slot<P> {
        debug_assert!(at < self.slots.len());
        // SAFETY: as in `slot`.
        unsafe { self.slots.get_unchecked_mut(at) }
    }

    /// Adds `payload` for `hash`. `expected`: how many payloads to size the first table for.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn insert(&mut self, hash: u64, payload: P, expected: usize) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow(expected);
        }
        self.place(hash, payload);
        self.len += 1;
        self.changes += 1;
    }

    /// Puts `payload` in the first empty slot of `hash`'s probe (there is one: the table is at
    /// most half used).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn place(&mut self, hash: u64, payload: P) {
        let mask = self.slots.len() - 1;
        // Truncation intended: as in `find`.
        let mut at = hash as usize & mask;
        while self.slot(at).is_some() {
            at = (at + 1) & mask;
        }
        *self.slot_mut(at) = Some(payload);
        self.occupied.set(at);
    }

    /// Doubles the table (or makes the first, for `expected` payloads), placing every payload
    /// again.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, expected: usize) {
        let capacity = if self.slots.is_empty() {
            super::super::capacity_for(expected)
        } else {
            self.slots.len() * 2
        };
        let old = core::mem::replace(&mut self.slots, P::empty_slots(capacity));
        self.occupied = Occupied::new(capacity);
        for &payload in old.iter().flatten() {
            self.place(payload.hash(), payload);
        }
    }

    /// Empties the slot at `at` (a position [`Index::find`] gave, with no change since),
    /// handing back its payload, and shifts back the slots after it whose probes would have
    /// stopped at the emptied slot.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn remove_at(&mut self, at: usize) -> P {
        let payload = self.slot(at).expect("a used slot");
        let mask = self.slots.len() - 1;
        let (mut hole, mut next) = (at, at);
        loop {
            next = (next + 1) & mask;
            let Some(moved) = self.slot(next) else {
                break;
            };
            // A slot may move back to the hole unless its probe starts after the hole and at
            // or before the slot itself (round the table).
            // Truncation intended: as in `find`.
            let home = moved.hash() as usize & mask;
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                *self.slot_mut(hole) = Some(moved);
                hole = next;
            }
        }
        *self.slot_mut(hole) = None;
        self.len -= 1;
        self.changes += 1;
        payload
    }

    /// Puts `payload` at `at` (as [`Index::remove_at`]'s), handing back the one it held.
    pub(crate) fn replace_at(&mut self, at: usize, payload: P) -> P {
        self.changes += 1;
        self.slot_mut(at).replace(payload).expect("a used slot")
    }

    /// Empties the index, handing each payload to `each` with its hash. The table is kept (up
    /// to [`KEPT_BY_DRAIN`] slots).
    pub(crate) fn drain(&mut self, mut each: impl FnMut(u64, P)) {
        let all = 0..self.slots.len();
        let slots = &mut self.slots;
        let mut take = |at: usize| {
            if let Some(payload) = slots[at].take() {
                each(payload.hash(), payload);
            }
        };
        if !self.occupied.drain_each(&mut take) && self.len > 0 {
            all.for_each(take);
        }
        if self.slots.len() > KEPT_BY_DRAIN {
            (self.slots, self.occupied) = (Box::new([]), Occupied::new(0));
        }
        self.len = 0;
        self.changes += 1;
    }
}

#[cfg(test)]
mod tests;
