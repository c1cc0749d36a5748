//! Logical time for recency, without a shared counter on the hit path.
//!
//! A global counter bumped on every hit would bounce one cache line between cores and
//! serialise all readers. Instead each stamp is one more than the largest of: the calling
//! thread's last stamp (so one thread's calls are ordered exactly as made), the shard's last
//! stamp (so calls that meet in a shard are ordered), and the store's epoch, which every
//! insertion advances (so a thread that starts after another's misses is ordered after them).
//! For sequential calls from one thread this is exactly the order of the calls, which makes
//! eviction exactly CPython's.

use core::cell::Cell;

thread_local! {
    static THREAD_CLOCK: Cell<u64> = const { Cell::new(0) };
}

/// The next stamp after `floor` and the shard's clock; advances both clocks.
#[inline]
pub(crate) fn tick(shard_clock: &mut u64, floor: u64) -> u64 {
    THREAD_CLOCK.with(|clock| {
        let stamp = clock.get().max(*shard_clock).max(floor) + 1;
        clock.set(stamp);
        *shard_clock = stamp;
        stamp
    })
}
