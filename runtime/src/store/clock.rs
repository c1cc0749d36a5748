//! Logical time for recency, without a shared counter on the hit path.
//!
//! A global counter bumped on every hit would move one cache line between cores on every call.
//! Instead each stamp is one more than the larger of the calling thread's last stamp (so one
//! thread's calls are ordered exactly as made) and the store's floor (`Store::stamp_floor`),
//! the stamp of its latest insertion (so a call is ordered after every miss stored before it,
//! whichever thread made it), or of a later hit by a thread alone in the store. For calls made one after another from one thread this is exactly the order of the
//! calls, which makes eviction exactly CPython's.
//!
//! A thread with a slot in the store keeps its last stamp there (`Counts::tick`); this
//! thread-local serves the threads without one.

use core::cell::Cell;

thread_local! {
    static THREAD_CLOCK: Cell<u64> = const { Cell::new(0) };
}

/// The next stamp after `floor` and this thread's last stamp.
#[cfg_attr(not(debug_assertions), inline)]
pub(crate) fn tick(floor: u64) -> u64 {
    THREAD_CLOCK.with(|clock| {
        let stamp = clock.get().max(floor) + 1;
        clock.set(stamp);
        stamp
    })
}
