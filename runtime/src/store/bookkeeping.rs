//! What an entry keeps beside its key and value, chosen per store at compile time: a bounded
//! store or one with a time to live keeps [`Tracked`] (when the entry was stored, its last
//! use and its recency record's stamp, 24 bytes); an unbounded store without one keeps
//! nothing ([`Untracked`]), so that its entries, which it never evicts, take no memory for
//! it. The node of an unbounded store of `u64` keys and values is 40 bytes instead of 64: a
//! store that grows touches that much less new memory (page faults were most of the cost
//! of such a miss).
//!
//! The macro picks [`Untracked`] (through `UnboundedRegistry`) only for a literal
//! `maxsize = None` without `ttl`; a store made with it is unbounded and keeps results
//! forever whatever it is asked (see [`Bookkeeping::TRACKED`]).

use std::sync::atomic::AtomicU64;

use super::born::Born;

/// An entry's bookkeeping: [`Tracked`] or [`Untracked`] (sealed: only this module's types).
pub trait Bookkeeping: Send + Sync + Sized + 'static + sealed::Sealed {
    /// Whether entries record their stamps and birth: `false` makes a store unbounded,
    /// without a time to live.
    const TRACKED: bool;

    /// The bookkeeping of an entry stored at `born`, last used at `stamp`, queued under it.
    fn new(born: Born, stamp: u64) -> Self;

    /// When the entry was stored (for a time to live), if recorded.
    fn born(&self) -> Option<Born>;

    /// Logical time of the last use, written by every hit (bounded stores only).
    fn stamp(&self) -> Option<&AtomicU64>;

    /// The stamp of the entry's valid record in the recency queue; writer only.
    fn queued(&self) -> Option<&AtomicU64>;
}

/// The bookkeeping of a bounded store's entries, or of a store with a time to live.
pub struct Tracked {
    born: Born,
    stamp: AtomicU64,
    queued: AtomicU64,
}

/// No bookkeeping: an unbounded store without a time to live.
pub struct Untracked;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Tracked {}
    impl Sealed for super::Untracked {}
}

impl Bookkeeping for Tracked {
    const TRACKED: bool = true;

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn new(born: Born, stamp: u64) -> Self {
        Tracked {
            born,
            stamp: AtomicU64::new(stamp),
            queued: AtomicU64::new(stamp),
        }
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn born(&self) -> Option<Born> {
        Some(self.born)
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stamp(&self) -> Option<&AtomicU64> {
        Some(&self.stamp)
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn queued(&self) -> Option<&AtomicU64> {
        Some(&self.queued)
    }
}

impl Bookkeeping for Untracked {
    const TRACKED: bool = false;

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn new(_: Born, _: u64) -> Self {
        Untracked
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn born(&self) -> Option<Born> {
        None
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stamp(&self) -> Option<&AtomicU64> {
        None
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn queued(&self) -> Option<&AtomicU64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untracked_entries_keep_nothing() {
        assert_eq!(size_of::<Untracked>(), 0);
        assert_eq!(size_of::<Tracked>(), 24);
        assert!(Untracked::new(Born::now(), 7).stamp().is_none());
        assert_eq!(
            Tracked::new(Born::UNRECORDED, 7)
                .queued()
                .map(|q| q.load(core::sync::atomic::Ordering::Relaxed)),
            Some(7)
        );
    }
}
