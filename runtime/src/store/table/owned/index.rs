//! The index of an owned map (see [`owned`](super)): which node holds each hash, and, for a
//! bounded store, the order of the nodes' last uses. One thread alone reads and writes it, so
//! it has no atomics, no tombstones and no labels.
//!
//! Each node has a *link*, numbered in a vector: its hash, its node, and its neighbours in the
//! order of use (a ring through link numbers, round link 0, the [`HEAD`], which holds no node:
//! a link moves with four stores and no test of an end). A table of
//! slots, open addressing with linear probing, names the links: each slot holds a link's
//! number and the low 32 bits of its hash (a probe compares those first, without reading the
//! link). A removal shifts back the slots after it that its emptied slot would have stopped
//! (no tombstone is left), so a probe ends at the first empty slot.
//!
//! The hot paths (a probe, a use moved to the front) index without bounds checks, each one a
//! fifth of a hit's instructions otherwise: a slot's position is masked to the table's power
//! of two, and every link number in a slot or in the list is one of the vector's (the
//! invariants of [`Index::slot`] and [`Index::link`], checked in debug builds; the tests run
//! under Miri).

/// No link: an empty slot, or the end of the list of free links.
const NIL: u32 = u32::MAX;
/// The link that the order of use goes round: its `newer` is the oldest link, its `older` the
/// newest (itself when there is none).
const HEAD: u32 = 0;

/// The most slots the table keeps through [`Index::drain`] (as the shared map's: see
/// `KEPT_BY_CLEAR`).
const KEPT_BY_DRAIN: usize = 1 << 16;

#[derive(Clone, Copy)]
struct Slot {
    /// The low 32 bits of the link's hash: where its probe starts, and a first comparison.
    tag: u32,
    /// [`NIL`] for an empty slot.
    link: u32,
}

const EMPTY: Slot = Slot { tag: 0, link: NIL };

#[derive(Clone, Copy)]
struct Link<P> {
    hash: u64,
    /// `None` for a link not in use (then `older` is the next free link).
    payload: Option<P>,
    /// The link used just after this one ([`HEAD`] after the newest).
    newer: u32,
    /// The link used just before this one ([`HEAD`] before the oldest).
    older: u32,
}

/// A link's number: stays the link's until it is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LinkId(u32);

/// Payloads (node pointers) by hash, and in the order of their last use if `ordered`.
pub(crate) struct Index<P> {
    /// A power of two in length, at most half used; empty before the first insertion.
    slots: Box<[Slot]>,
    /// [`HEAD`] first (once anything was inserted).
    links: Vec<Link<P>>,
    /// The first link not in use, or [`NIL`].
    free: u32,
    len: usize,
    /// Whether the order of use is kept (a bounded store's map).
    ordered: bool,
    /// Counts every change of which link holds which payload, so that a caller that let go
    /// of the index (to run user code) knows whether what it found is still where it was.
    changes: u64,
    /// Counts the moves in the order of use, and the changes.
    moves: u64,
    /// The latest move by [`Index::touch`], and the link that was just older then, for
    /// [`Index::undo_touch`].
    last_touch: (LinkId, u32, u64),
}

impl<P: Copy + PartialEq> Index<P> {
    pub(crate) fn new(ordered: bool) -> Self {
        Index {
            slots: Box::new([]),
            links: Vec::new(),
            free: NIL,
            len: 0,
            ordered,
            changes: 0,
            moves: 0,
            last_touch: (LinkId(NIL), NIL, 0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// See [`Index::changes`]'s field.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn changes(&self) -> u64 {
        self.changes
    }

    /// The first link for `hash` in its probe, and its payload.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn first(&self, hash: u64) -> Option<(LinkId, P)> {
        self.find(hash, |_| true)
    }

    /// The first link for `hash` in its probe whose payload `is` accepts.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn find(&self, hash: u64, mut is: impl FnMut(P) -> bool) -> Option<(LinkId, P)> {
        let mask = self.slots.len().checked_sub(1)?;
        // Truncation intended: the low bits pick the first slot, and make the tag.
        let (tag, mut at) = (hash as u32, hash as usize & mask);
        loop {
            let slot = self.slot(at);
            if slot.link == NIL {
                return None;
            }
            if slot.tag == tag {
                let link = self.link(slot.link);
                if link.hash == hash
                    && let Some(payload) = link.payload
                    && is(payload)
                {
                    return Some((LinkId(slot.link), payload));
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// The slot at `at`, below the table's length (a position masked by it).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn slot(&self, at: usize) -> Slot {
        debug_assert!(at < self.slots.len());
        // SAFETY: every position is masked by the table's length less one, a power of two.
        *unsafe { self.slots.get_unchecked(at) }
    }

    /// [`Index::slot`], to write.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn slot_mut(&mut self, at: usize) -> &mut Slot {
        debug_assert!(at < self.slots.len());
        // SAFETY: as in `slot`.
        unsafe { self.slots.get_unchecked_mut(at) }
    }

    /// Link `n`: a number from a slot or the list, never [`NIL`].
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn link(&self, n: u32) -> &Link<P> {
        debug_assert!((n as usize) < self.links.len());
        // SAFETY: a link number in a slot or in the list is one of the vector's: links are
        // only added, and the vector is cleared with the slots and the list (`drain`).
        unsafe { self.links.get_unchecked(n as usize) }
    }

    /// [`Index::link`], to write.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn link_mut(&mut self, n: u32) -> &mut Link<P> {
        debug_assert!((n as usize) < self.links.len());
        // SAFETY: as in `link`.
        unsafe { self.links.get_unchecked_mut(n as usize) }
    }

    /// Every payload for `hash`, in probe order.
    pub(crate) fn each(&self, hash: u64, mut each: impl FnMut(LinkId, P)) {
        let Some(mask) = self.slots.len().checked_sub(1) else {
            return;
        };
        // Truncation intended: the low bits pick the first slot, and make the tag.
        let (tag, mut at) = (hash as u32, hash as usize & mask);
        loop {
            let slot = self.slot(at);
            if slot.link == NIL {
                return;
            }
            let link = self.link(slot.link);
            if slot.tag == tag
                && link.hash == hash
                && let Some(payload) = link.payload
            {
                each(LinkId(slot.link), payload);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `payload` for `hash`, the newest in the order of use. `expected`: how many
    /// payloads to size the first table for.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn insert(&mut self, hash: u64, payload: P, expected: usize) -> LinkId {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow(expected);
        }
        let link = self.new_link(hash, payload);
        self.place(hash, link);
        self.len += 1;
        self.changes += 1;
        self.moves += 1;
        if self.ordered {
            self.push_newest(link);
        }
        LinkId(link)
    }

    /// A link for `payload`, from the free ones if any.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn new_link(&mut self, hash: u64, payload: P) -> u32 {
        if self.free != NIL {
            let link = self.free;
            self.free = self.link(link).older;
            let free = self.link_mut(link);
            free.hash = hash;
            free.payload = Some(payload);
            return link;
        }
        if self.links.is_empty() {
            self.links.push(Link {
                hash: 0,
                payload: None,
                newer: HEAD,
                older: HEAD,
            });
        }
        let link = u32::try_from(self.links.len())
            .ok()
            .filter(|&link| link != NIL)
            .expect("an owned map holds fewer than 2^32 - 1 items");
        self.links.push(Link {
            hash,
            payload: Some(payload),
            newer: HEAD,
            older: HEAD,
        });
        link
    }

    /// Names `link` in the first empty slot of `hash`'s probe (there is one: the table is at
    /// most half used).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn place(&mut self, hash: u64, link: u32) {
        let mask = self.slots.len() - 1;
        // Truncation intended: as in `position`.
        let (tag, mut at) = (hash as u32, hash as usize & mask);
        while self.slot(at).link != NIL {
            at = (at + 1) & mask;
        }
        *self.slot_mut(at) = Slot { tag, link };
    }

    /// Doubles the table (or makes the first, for `expected` payloads), placing every link
    /// again.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, expected: usize) {
        let capacity = if self.slots.is_empty() {
            super::super::capacity_for(expected)
        } else {
            self.slots.len() * 2
        };
        let old = core::mem::replace(&mut self.slots, vec![EMPTY; capacity].into_boxed_slice());
        for slot in old.iter().filter(|slot| slot.link != NIL) {
            let hash = self.link(slot.link).hash;
            self.place(hash, slot.link);
        }
    }

    /// Makes `link` the newest in the order of use (a hit).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn touch(&mut self, link: LinkId) {
        if !self.ordered {
            return;
        }
        if self.link(link.0).newer == HEAD {
            self.last_touch.0 = LinkId(NIL); // the newest already: nothing to undo
        } else {
            let older = self.link(link.0).older;
            self.unlist(link.0);
            self.push_newest(link.0);
            self.moves += 1;
            self.last_touch = (link, older, self.moves);
        }
    }

    /// Puts `link` back where it was before the latest [`Index::touch`], if that touch moved
    /// it and nothing changed or moved since: for a caller that touched the first link of a
    /// hash before comparing its key, and found it another key's.
    pub(crate) fn undo_touch(&mut self, link: LinkId) {
        let (touched, older, moves) = self.last_touch;
        if touched != link || moves != self.moves {
            return;
        }
        self.unlist(link.0);
        let newer = self.link(older).newer;
        let at = self.link_mut(link.0);
        at.older = older;
        at.newer = newer;
        self.link_mut(newer).older = link.0;
        self.link_mut(older).newer = link.0;
        self.moves += 1;
    }

    /// Puts `link` (out of the order) after the newest.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn push_newest(&mut self, link: u32) {
        let newest = self.link(HEAD).older;
        let at = self.link_mut(link);
        at.newer = HEAD;
        at.older = newest;
        self.link_mut(newest).newer = link;
        self.link_mut(HEAD).older = link;
    }

    /// Takes `link` out of the order of use.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn unlist(&mut self, link: u32) {
        let Link { newer, older, .. } = *self.link(link);
        self.link_mut(newer).older = older;
        self.link_mut(older).newer = newer;
    }

    /// The least recently used link, its hash and payload (`ordered` maps only).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn oldest(&self) -> Option<(LinkId, u64, P)> {
        if self.links.is_empty() {
            return None;
        }
        let oldest = self.link(HEAD).newer;
        let link = self.link(oldest);
        Some((LinkId(oldest), link.hash, link.payload?))
    }

    /// Moves the least recently used link to `hash`, the newest in the order of use, and
    /// hands back its payload and old hash (an eviction whose node the new item reuses).
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn rekey_oldest(&mut self, hash: u64) -> Option<(P, u64)> {
        let (link, old_hash, payload) = self.oldest()?;
        self.unplace(old_hash, link.0);
        self.link_mut(link.0).hash = hash;
        self.place(hash, link.0);
        self.unlist(link.0);
        self.push_newest(link.0);
        self.changes += 1;
        self.moves += 1;
        Some((payload, old_hash))
    }

    /// Removes `link`, handing back its payload.
    pub(crate) fn remove(&mut self, link: LinkId) -> P {
        let hash = self.link(link.0).hash;
        self.unplace(hash, link.0);
        if self.ordered {
            self.unlist(link.0);
        }
        let free = self.free;
        let at = self.link_mut(link.0);
        let payload = at.payload.take().expect("a link in use");
        at.older = free;
        self.free = link.0;
        self.len -= 1;
        self.changes += 1;
        self.moves += 1;
        payload
    }

    /// Puts `payload` in `link`'s place, handing back the one it held.
    pub(crate) fn replace(&mut self, link: LinkId, payload: P) -> P {
        self.changes += 1;
        self.moves += 1;
        let at = self.link_mut(link.0);
        at.payload.replace(payload).expect("a link in use")
    }

    /// Empties the slot naming `link` (its probe from `hash` finds it), and shifts back the
    /// slots after it whose probes would have stopped at the emptied slot.
    fn unplace(&mut self, hash: u64, link: u32) {
        let mask = self.slots.len() - 1;
        // Truncation intended: as in `position`.
        let mut hole = hash as usize & mask;
        while self.slot(hole).link != link {
            hole = (hole + 1) & mask;
        }
        let mut at = hole;
        loop {
            at = (at + 1) & mask;
            let slot = self.slot(at);
            if slot.link == NIL {
                break;
            }
            // A slot may move back to the hole unless its probe starts after the hole and
            // at or before the slot itself (round the table).
            let home = slot.tag as usize & mask;
            let stays = if hole <= at {
                hole < home && home <= at
            } else {
                hole < home || home <= at
            };
            if !stays {
                *self.slot_mut(hole) = slot;
                hole = at;
            }
        }
        *self.slot_mut(hole) = EMPTY;
    }

    /// Empties the index, handing each payload to `each` with its hash (the least recently
    /// used first, if `ordered`). The table is kept (up to [`KEPT_BY_DRAIN`] slots).
    pub(crate) fn drain(&mut self, mut each: impl FnMut(u64, P)) {
        if self.ordered && !self.links.is_empty() {
            let mut link = self.link(HEAD).newer;
            while link != HEAD {
                let at = self.link(link);
                if let Some(payload) = at.payload {
                    each(at.hash, payload);
                }
                link = at.newer;
            }
        } else {
            for link in &self.links {
                if let Some(payload) = link.payload {
                    each(link.hash, payload);
                }
            }
        }
        if self.slots.len() > KEPT_BY_DRAIN {
            (self.slots, self.links) = (Box::new([]), Vec::new());
        } else {
            self.slots.fill(EMPTY);
            self.links.clear();
        }
        (self.free, self.len) = (NIL, 0);
        self.changes += 1;
        self.moves += 1;
    }
}

#[cfg(test)]
mod tests;
