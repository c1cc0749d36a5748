//! Which slots of the current table may not be null (nodes and tombstones), one bit each: the
//! writer's own record, so that emptying a table visits its used slots alone (a cache of 128
//! has 512 slots, a quarter of them used at most). A slot's bit is set when it is filled and
//! kept when a removal empties it (a clear or a move starts afresh): clearing it cost an
//! evicting miss about 20 instructions of 516, and a clear of a store that churned visits at
//! most the whole small table.
//!
//! Only a small table is tracked (up to [`TRACKED_UP_TO`] slots, a bitmap of 512 bytes that
//! stays in the processor's cache). A large table's bitmap is as scattered as its slots: each
//! insert missed the cache once more to set its bit (about one miss in three of a growing
//! unbounded store's insert), to save a pass over the slots on the rare `cache_clear`.

/// The largest table whose slots are tracked.
pub(super) const TRACKED_UP_TO: usize = 4096;

/// One bit per slot of a small table, set where the slot is not null (and perhaps where it
/// was, since the table was new or emptied); nothing for a large one. Kept by the writer
/// alone.
pub(super) struct Occupied {
    /// Empty for a table of more than [`TRACKED_UP_TO`] slots.
    words: Vec<u64>,
}

impl Occupied {
    /// Every slot of a table of `capacity` slots null.
    pub(super) fn new(capacity: usize) -> Self {
        let words = if capacity <= TRACKED_UP_TO {
            vec![0; capacity.div_ceil(64)]
        } else {
            Vec::new()
        };
        Occupied { words }
    }

    /// Slot `index` now holds a node or a tombstone.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn set(&mut self, index: usize) {
        if let Some(word) = self.words.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    /// Whether slot `index` is marked as not null; `None` if the table is not tracked.
    #[cfg(test)]
    pub(super) fn is_set(&self, index: usize) -> Option<bool> {
        let word = self.words.get(index / 64)?;
        Some(word & (1 << (index % 64)) != 0)
    }

    /// Hands `each` the slots that may not be null, in order, each forgotten as it is handed
    /// out: the table is left with every slot null. `false`, with nothing handed out, for a
    /// large table: its caller walks every slot. (A loop over the words, rather than an
    /// iterator of iterators: `cache_clear` of a small cache spent half its walk in the
    /// adapters' code.)
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn drain_each(&mut self, mut each: impl FnMut(usize)) -> bool {
        if self.words.is_empty() {
            return false;
        }
        for (n, word) in self.words.iter_mut().enumerate() {
            let mut bits = core::mem::take(word);
            while bits != 0 {
                each(n * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests;
