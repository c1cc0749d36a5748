//! The recency queue's FIFO: records in a ring of a power-of-two size, grown by doubling.
//!
//! `VecDeque` does the same job, but its `push_back` and `pop_front` wrap their index against
//! any capacity and test for growth through its raw buffer. Here the index is masked, and the
//! only test on the way in is `len == size`: with the pop that skips the heap when it is
//! empty, a bounded store's miss (one push, one pop) went from 531 instructions to 518.

use super::Record;

pub(super) struct Ring {
    /// The records; `records.len()` is zero or a power of two.
    records: Box<[Record]>,
    /// Where the oldest record is.
    head: usize,
    len: usize,
}

impl Ring {
    pub(super) fn new() -> Self {
        Ring {
            records: Box::default(),
            head: 0,
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn push_back(&mut self, record: Record) {
        if self.len == self.records.len() {
            self.grow();
        }
        let mask = self.records.len() - 1;
        self.records[(self.head + self.len) & mask] = record;
        self.len += 1;
    }

    /// The oldest record.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn front(&self) -> Option<&Record> {
        (self.len > 0).then(|| &self.records[self.head])
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn pop_front(&mut self) -> Option<Record> {
        if self.len == 0 {
            return None;
        }
        let record = self.records[self.head];
        self.head = (self.head + 1) & (self.records.len() - 1);
        self.len -= 1;
        Some(record)
    }

    /// Keeps only the records `keep` accepts, in their order.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Record) -> bool) {
        let mask = self.records.len().wrapping_sub(1);
        let mut kept = 0;
        for i in 0..self.len {
            let record = self.records[(self.head + i) & mask];
            if keep(&record) {
                self.records[(self.head + kept) & mask] = record;
                kept += 1;
            }
        }
        self.len = kept;
    }

    pub(super) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Doubles the ring (to 16 records, the first time), the records moved to its start.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let size = (self.records.len() * 2).max(16);
        let mut records = vec![Record { stamp: 0, key: 0 }; size].into_boxed_slice();
        let mask = self.records.len().wrapping_sub(1);
        for (i, record) in records.iter_mut().take(self.len).enumerate() {
            *record = self.records[(self.head + i) & mask];
        }
        self.records = records;
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_out_in_the_order_they_went_in_across_growth_and_wrap() {
        let mut ring = Ring::new();
        let (mut next_in, mut next_out) = (0u64, 0u64);
        // Pushes outpace pops, so the ring grows while its head is not at the start.
        for round in 0..200 {
            for _ in 0..3 {
                ring.push_back(Record {
                    stamp: next_in,
                    key: next_in * 10,
                });
                next_in += 1;
            }
            for _ in 0..(round % 3) {
                let record = ring.pop_front().expect("pushed more than popped");
                assert_eq!((record.stamp, record.key), (next_out, next_out * 10));
                next_out += 1;
            }
            assert_eq!(ring.len() as u64, next_in - next_out);
            assert_eq!(ring.front().map(|r| r.stamp), Some(next_out));
        }
        ring.retain(|record| record.stamp % 2 == 0);
        let kept: Vec<u64> = core::iter::from_fn(|| ring.pop_front().map(|r| r.stamp)).collect();
        let expected: Vec<u64> = (next_out..next_in).filter(|s| s % 2 == 0).collect();
        assert_eq!(kept, expected);
        assert!(ring.front().is_none());
    }
}
