//! The index of an owned map (see [`owned`](super)): which node holds each hash. One thread
//! alone reads and writes it, so it has no atomics, no tombstones and no labels.
//!
//! Open addressing with linear probing over a table of slots, each a payload (a node's
//! pointer; its hash is the node's), at most half full. A removal shifts back the slots after
//! it that its emptied slot would have stopped (no tombstone is left), so a probe ends at the
//! first empty slot, and a slot's position changes only when something is removed.
//!
//! The index of a store that grows without bound (its payloads are [`Payload::TAGGED`]) also
//! keeps a byte of each slot's hash, its *tag* (0: empty), in an array beside the slots. A
//! probe there reads the tags, and a slot and its node only where the tag is the hash's: a miss
//! in a large table reads one byte of it (a table of 256 Ki slots has 256 KiB of tags, which
//! the processor's second-level cache holds, and 2 MiB of slots, which it does not), and meets
//! no node of another hash. A growing unbounded store's miss went from 23.2 to 19.5 ns on an
//! AMD EPYC. A bounded store's index has no tags: its table stays small, in the first-level
//! cache, where the tags only added to a hit (8 instructions of 105, 6% of its time). (A hash
//! beside each pointer made a growing store touch twice the memory.)
//!
//! A probe indexes without bounds checks: a position is masked by the table's length less one,
//! a power of two (checked in debug builds; the tests run under Miri).

use super::super::occupied::Occupied;

/// The most slots the table keeps through [`Index::drain`]: 512 KiB, as the shared map's (see
/// `KEPT_BY_CLEAR`).
const KEPT_BY_DRAIN: usize = 1 << 16;

/// What an index holds: a pointer to something that knows its hash.
pub(crate) trait Payload: Copy + PartialEq {
    /// Whether the index keeps tags (see the module's documentation).
    const TAGGED: bool;

    fn hash(self) -> u64;

    /// A table of `capacity` empty slots.
    fn empty_slots(capacity: usize) -> Box<[Option<Self>]> {
        vec![None; capacity].into_boxed_slice()
    }
}

/// `None` for an empty slot.
type Slot<P> = Option<P>;

/// The tag of a slot holding a payload of `hash`: its top seven bits, and the eighth set (an
/// empty slot's tag is 0).
#[cfg_attr(not(debug_assertions), inline(always))]
fn tag_of(hash: u64) -> u8 {
    // Truncation intended: the top seven bits (the low ones pick the first slot).
    (hash >> 57) as u8 | 0x80
}

/// Payloads (node pointers) by hash, several per hash if need be.
pub(crate) struct Index<P> {
    /// A power of two in length, at most half used; empty before the first insertion.
    slots: Box<[Slot<P>]>,
    /// The tag of each slot (see [`tag_of`]), 0 where it is empty; none if not `P::TAGGED`.
    tags: Box<[u8]>,
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
            tags: Box::new([]),
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
        if !P::TAGGED {
            loop {
                let payload = self.slot(at)?;
                if payload.hash() == hash && is(payload) {
                    return Some((at, payload));
                }
                at = (at + 1) & mask;
            }
        }
        let tag = tag_of(hash);
        loop {
            let found = self.tag(at);
            if found == 0 {
                return None;
            }
            if found == tag
                && let Some(payload) = self.slot(at)
                && payload.hash() == hash
                && is(payload)
            {
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

    /// The tag of the slot at `at`, below the table's length (`P::TAGGED`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tag(&self, at: usize) -> u8 {
        debug_assert!(at < self.tags.len());
        // SAFETY: as in `slot`: a table with tags has as many as slots.
        *unsafe { self.tags.get_unchecked(at) }
    }

    /// Writes the slot at `at`, and its tag if the index keeps tags: of `hash` for a payload.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn set(&mut self, at: usize, slot: Slot<P>, hash: u64) {
        let tag = if slot.is_some() { tag_of(hash) } else { 0 };
        *self.slot_mut(at) = slot;
        if P::TAGGED {
            debug_assert!(at < self.tags.len());
            // SAFETY: as in `tag`.
            *unsafe { self.tags.get_unchecked_mut(at) } = tag;
        }
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
        if P::TAGGED {
            while self.tag(at) != 0 {
                at = (at + 1) & mask;
            }
        } else {
            while self.slot(at).is_some() {
                at = (at + 1) & mask;
            }
        }
        self.set(at, Some(payload), hash);
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
        if P::TAGGED {
            self.tags = vec![0; capacity].into_boxed_slice();
        }
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
            let hash = moved.hash();
            // Truncation intended: as in `find`.
            let home = hash as usize & mask;
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.set(hole, Some(moved), hash);
                hole = next;
            }
        }
        self.set(hole, None, 0);
        self.len -= 1;
        self.changes += 1;
        payload
    }

    /// Puts `payload` at `at` (as [`Index::remove_at`]'s), handing back the one it held, of
    /// the same hash.
    pub(crate) fn replace_at(&mut self, at: usize, payload: P) -> P {
        debug_assert!(!P::TAGGED || self.tag(at) == tag_of(payload.hash()));
        self.changes += 1;
        self.slot_mut(at).replace(payload).expect("a used slot")
    }

    /// Empties the index, handing each payload to `each` with its hash. The table is kept (up
    /// to [`KEPT_BY_DRAIN`] slots).
    pub(crate) fn drain(&mut self, mut each: impl FnMut(u64, P)) {
        let all = 0..self.slots.len();
        let (slots, tags) = (&mut self.slots, &mut self.tags);
        let mut take = |at: usize| {
            if let Some(payload) = slots[at].take() {
                if let Some(tag) = tags.get_mut(at) {
                    *tag = 0;
                }
                each(payload.hash(), payload);
            }
        };
        if !self.occupied.drain_each(&mut take) && self.len > 0 {
            all.for_each(take);
        }
        if self.slots.len() > KEPT_BY_DRAIN {
            (self.slots, self.tags) = (Box::new([]), Box::new([]));
            self.occupied = Occupied::new(0);
        }
        self.len = 0;
        self.changes += 1;
    }
}

#[cfg(test)]
mod tests;
