//! Which slots of the current table are not null (nodes and tombstones), one bit each: the
//! writer's own record, so that emptying a table visits its used slots alone (a cache of 128
//! has 512 slots, a quarter of them used at most).

/// One bit per slot of a table, set where the slot is not null. Kept by the writer alone.
pub(super) struct Occupied {
    words: Vec<u64>,
}

impl Occupied {
    /// Every slot of a table of `capacity` slots null.
    pub(super) fn new(capacity: usize) -> Self {
        Occupied {
            words: vec![0; capacity.div_ceil(64)],
        }
    }

    /// Slot `index` now holds a node or a tombstone.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn set(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }

    /// Slot `index` is now null.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn unset(&mut self, index: usize) {
        self.words[index / 64] &= !(1 << (index % 64));
    }

    /// Whether slot `index` is marked as not null.
    #[cfg(test)]
    pub(super) fn is_set(&self, index: usize) -> bool {
        self.words[index / 64] & (1 << (index % 64)) != 0
    }

    /// The slots that are not null, in order, each forgotten as it is handed out: the table
    /// is left with every slot null.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter_mut().enumerate().flat_map(|(n, word)| {
            let bits = core::mem::take(word);
            Bits(bits).map(move |bit| n * 64 + bit)
        })
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
