//! Which slots of the current table are not null (nodes and tombstones), one bit each: the
//! writer's own record, so that emptying a table visits its used slots alone (a cache of 128
//! has 512 slots, a quarter of them used at most).
//!
//! Only a small table is tracked (up to [`TRACKED_UP_TO`] slots, a bitmap of 512 bytes that
//! stays in the processor's cache). A large table's bitmap is as scattered as its slots: each
//! insert missed the cache once more to set its bit (about one miss in three of a growing
//! unbounded store's insert), to save a pass over the slots on the rare `cache_clear`.

/// The largest table whose slots are tracked.
pub(super) const TRACKED_UP_TO: usize = 4096;

/// One bit per slot of a small table, set where the slot is not null; nothing for a large
/// one. Kept by the writer alone.
pub(super) struct Occupied {
    /// Empty for a table of more than [`TRACKED_UP_TO`] slots.
    words: Vec<u64>,
    capacity: usize,
}

impl Occupied {
    /// Every slot of a table of `capacity` slots null.
    pub(super) fn new(capacity: usize) -> Self {
        let words = if capacity <= TRACKED_UP_TO {
            vec![0; capacity.div_ceil(64)]
        } else {
            Vec::new()
        };
        Occupied { words, capacity }
    }

    /// Slot `index` now holds a node or a tombstone.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn set(&mut self, index: usize) {
        if let Some(word) = self.words.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    /// Slot `index` is now null.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn unset(&mut self, index: usize) {
        if let Some(word) = self.words.get_mut(index / 64) {
            *word &= !(1 << (index % 64));
        }
    }

    /// Whether slot `index` is marked as not null; `None` if the table is not tracked.
    #[cfg(test)]
    pub(super) fn is_set(&self, index: usize) -> Option<bool> {
        let word = self.words.get(index / 64)?;
        Some(word & (1 << (index % 64)) != 0)
    }

    /// The slots that may not be null, in order, each forgotten as it is handed out: the
    /// table is left with every slot null. Of a large table, every slot.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = usize> + '_ {
        let untracked = if self.words.is_empty() {
            0..self.capacity
        } else {
            0..0
        };
        let tracked = self.words.iter_mut().enumerate().flat_map(|(n, word)| {
            let bits = core::mem::take(word);
            Bits(bits).map(move |bit| n * 64 + bit)
        });
        tracked.chain(untracked)
    }
}

/// The set bits of a word, lowest first.
struct Bits(u64);

impl Iterator for Bits {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

#[cfg(test)]
mod tests;
