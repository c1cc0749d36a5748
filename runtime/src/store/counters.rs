//! Hit and miss counters that threads update without sharing a cache line.
//!
//! One shared counter written on every hit would move its cache line between cores on every
//! call, which costs more than the rest of a hit. Instead each live thread counts in its own
//! slot of the store (see [`threads`](super::threads)), with a plain load and store. Threads
//! without a slot count in a shared [`Crowd`] with atomic additions, and it remembers which
//! of them called last, so that one of them calling alone is still known to be alone.
//! `cache_info()` sums the slots.
//!
//! Only its owner writes a slot's counts, and they only grow: `cache_clear()` does not write
//! them (a store of zero would race the owner's load and store, and the owner would put the
//! old count back); it notes each slot's counts as the slot's base, and `cache_info()` counts
//! from the bases.
//!
//! The slots also tell a thread whether it has the store to itself: every [`SAMPLE`] hits it
//! reads the other slots. If their counts have not moved since its last look, it is alone. If
//! they have, that alone does not mean other threads are calling *now*: calls made one after
//! another from several threads (a worker that ran and was joined, tasks taking turns on a
//! pool) move them too. So the thread then reads the other slots at each of its hits for a
//! while (at least [`PROBE`] hits and [`PROBE_TIME`]), and takes the store as shared only if
//! they moved between two of its hits more than once: threads calling at the same time soon
//! do, threads taking turns of at least [`PROBE`] hits never do. (The time is there because a
//! core sees another's writes only every so often: on the machine CI runs on, eight hits in a
//! row could all see the same count while another thread hit as fast as it could.) While
//! shared, recency is recorded more sparingly (see `Store::use_entry`), so that threads hitting
//! the same entries do not pass their cache lines back and forth. Only bounded stores ask: the
//! others keep no recency.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many hits a thread makes between two looks at the other slots. A look reads every
/// slot (a cache line each): every 32 hits it was 5% of a hit's time in the u64 benchmark,
/// every 256 it is under 1%. The price: a thread notices others within 256 of its hits.
const SAMPLE: u64 = 256;
/// The longest interval between two looks, reached while sharing lasts: each look that finds
/// the store still shared doubles it, since watching the other slots makes the threads pass
/// their cache lines back and forth (probing every 256 hits cost a fifth of two threads'
/// throughput in the scaling bench). The price: a thread may take that long to find it is alone again.
const SAMPLE_SHARED: u64 = 8192;
/// How many of its hits a thread watches, after a look that found the other slots moved, for
/// the other threads' calls coming between two of its own.
const PROBE: u32 = 8;
/// How long, at least, it watches them.
const PROBE_TIME: Duration = Duration::from_micros(2);
/// Not probing.
const IDLE: u32 = u32::MAX;

/// One thread's counts in one store, and what it knows of the others'. Only the owner writes
/// it, but for [`Counts::reset`], which writes only the bases.
pub(crate) struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
    /// The other slots' total at the owner's last look.
    others_seen: AtomicU64,
    /// Whether the owner takes the store as used by other threads at the same time.
    shared: AtomicBool,
    /// The owner's hit count at which it looks at the other slots next.
    next_look: AtomicU64,
    /// How many hits the owner lets go by between two looks.
    interval: AtomicU64,
    /// While probing, how many of the owner's hits are left to watch; [`IDLE`] otherwise.
    probe_left: AtomicU32,
    /// While probing, how often the other slots moved between two of the owner's hits.
    probe_moves: AtomicU32,
    /// While probing, when it began (see [`now`]).
    probe_since: AtomicU64,
    /// The counts when the store was last cleared (written by `reset`, never by the owner).
    hits_base: AtomicU64,
    misses_base: AtomicU64,
    /// The owner's latest recency stamp in this store (see [`Counts::tick`]).
    clock: AtomicU64,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            others_seen: AtomicU64::new(0),
            shared: AtomicBool::new(false),
            next_look: AtomicU64::new(SAMPLE),
            interval: AtomicU64::new(SAMPLE),
            probe_left: AtomicU32::new(IDLE),
            probe_moves: AtomicU32::new(0),
            probe_since: AtomicU64::new(0),
            hits_base: AtomicU64::new(0),
            misses_base: AtomicU64::new(0),
            clock: AtomicU64::new(0),
        }
    }
}

/// Adds one to a count only its owner writes: no read-modify-write needed.
#[cfg_attr(not(debug_assertions), inline(always))]
fn bump(count: &AtomicU64) -> u64 {
    let next = count.load(Ordering::Relaxed) + 1;
    count.store(next, Ordering::Relaxed);
    next
}

impl Counts {
    /// Starts a new owner afresh: alone, with its next look `SAMPLE` hits from now (`others`:
    /// the other slots' total now).
    pub(crate) fn restart(&self, others: u64) {
        self.restart_at(self.hits.load(Ordering::Relaxed), others);
    }

    fn restart_at(&self, hits: u64, others: u64) {
        self.others_seen.store(others, Ordering::Relaxed);
        self.shared.store(false, Ordering::Relaxed);
        self.probe_left.store(IDLE, Ordering::Relaxed);
        self.interval.store(SAMPLE, Ordering::Relaxed);
        self.next_look.store(hits + SAMPLE, Ordering::Relaxed);
    }

    /// Takes the store as shared until a look `interval` hits from now, twice as far as the
    /// last time while the sharing lasts (up to [`SAMPLE_SHARED`]).
    fn share(&self, hits: u64, others: u64) {
        let interval = if self.shared.load(Ordering::Relaxed) {
            (self.interval.load(Ordering::Relaxed) * 2).min(SAMPLE_SHARED)
        } else {
            SAMPLE
        };
        self.others_seen.store(others, Ordering::Relaxed);
        self.shared.store(true, Ordering::Relaxed);
        self.probe_left.store(IDLE, Ordering::Relaxed);
        self.interval.store(interval, Ordering::Relaxed);
        self.next_look.store(hits + interval, Ordering::Relaxed);
    }

    /// Counts a hit; `true` if the owner has had the store to itself lately. `others` sums the
    /// other slots' calls (read only now and then).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn hit(&self, others: impl FnOnce() -> u64) -> bool {
        let hits = bump(&self.hits);
        // `>=`: the look cannot be skipped, whatever the interval became meanwhile.
        if hits >= self.next_look.load(Ordering::Relaxed) {
            self.look_around(hits, others());
        }
        !self.shared.load(Ordering::Relaxed)
    }

    /// The owner's next recency stamp: one more than the larger of its last one in this store
    /// and `floor` (see `clock`; kept here, a thread-local would cost a lookup more a hit).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn tick(&self, floor: u64) -> u64 {
        let stamp = self.clock.load(Ordering::Relaxed).max(floor) + 1;
        self.clock.store(stamp, Ordering::Relaxed);
        stamp
    }

    /// Counts a hit, for a store that keeps no recency (so need not know who else calls).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn hit_only(&self) {
        bump(&self.hits);
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn miss(&self) {
        bump(&self.misses);
    }

    /// A look at the other slots, at the owner's hit number `hits`: see the module's docs.
    #[cold]
    #[inline(never)]
    fn look_around(&self, hits: u64, others: u64) {
        let moved = self.others_seen.swap(others, Ordering::Relaxed) != others;
        let left = self.probe_left.load(Ordering::Relaxed);
        if left == IDLE {
            if moved {
                // Other threads called since the last look: at the same time as this one, or
                // in between? Watch the next hits to tell (sharing or not meanwhile as before).
                self.probe_left.store(PROBE, Ordering::Relaxed);
                self.probe_moves.store(0, Ordering::Relaxed);
                self.probe_since.store(now(), Ordering::Relaxed);
                self.next_look.store(hits + 1, Ordering::Relaxed);
            } else {
                self.restart_at(hits, others);
            }
            return;
        }
        let moves = self.probe_moves.load(Ordering::Relaxed) + u32::from(moved);
        if moves >= 2 {
            // Twice between two of this thread's hits: others call at the same time.
            self.share(hits, others);
        } else if left <= 1
            && now().saturating_sub(self.probe_since.load(Ordering::Relaxed))
                >= PROBE_TIME.as_nanos() as u64
        {
            // At most one turn ended meanwhile: calls one after another.
            self.restart_at(hits, others);
        } else {
            self.probe_left
                .store(left.saturating_sub(1).max(1), Ordering::Relaxed);
            self.probe_moves.store(moves, Ordering::Relaxed);
            self.next_look.store(hits + 1, Ordering::Relaxed);
        }
    }

    /// Every call counted here, ever.
    pub(crate) fn calls(&self) -> u64 {
        self.hits.load(Ordering::Relaxed) + self.misses.load(Ordering::Relaxed)
    }

    /// `(hits, misses)` since the last [`reset`](Self::reset).
    pub(crate) fn since_reset(&self) -> (u64, u64) {
        let since = |count: &AtomicU64, base: &AtomicU64| {
            // A reset racing this read may leave a base above the count read before it.
            (count.load(Ordering::Relaxed)).saturating_sub(base.load(Ordering::Relaxed))
        };
        (
            since(&self.hits, &self.hits_base),
            since(&self.misses, &self.misses_base),
        )
    }

    /// Counts from zero again: the present counts become the base. A call counted while this
    /// runs may count before or after it; none is counted twice.
    pub(crate) fn reset(&self) {
        (self.hits_base).store(self.hits.load(Ordering::Relaxed), Ordering::Relaxed);
        (self.misses_base).store(self.misses.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// The counts of the threads without slots of their own, updated with atomic additions.
#[derive(Default)]
pub(crate) struct Crowd {
    counts: Counts,
    /// The token of the thread that made the latest call (see [`token`]).
    last: AtomicU64,
}

impl Crowd {
    pub(crate) fn counts(&self) -> &Counts {
        &self.counts
    }

    pub(crate) fn calls(&self) -> u64 {
        self.counts.calls()
    }

    /// Counts a hit; `true` if the calling thread has had the store to itself since its
    /// previous call: the crowd's previous call was its own, and no slot moved since (`others`:
    /// the slots' total). Such threads are rare; this reads every slot on each call.
    #[cold]
    pub(crate) fn hit(&self, others: u64) -> bool {
        self.counts.hits.fetch_add(1, Ordering::Relaxed);
        let me = token();
        let previous = self.last.swap(me, Ordering::Relaxed);
        let seen = self.counts.others_seen.swap(others, Ordering::Relaxed);
        previous == me && others == seen
    }

    /// Counts a hit or a miss of a store that keeps no recency.
    #[cold]
    pub(crate) fn count(&self, hit: bool) {
        let count = if hit {
            &self.counts.hits
        } else {
            &self.counts.misses
        };
        count.fetch_add(1, Ordering::Relaxed);
        // A call of another thread in the crowd ends this one's run alone.
        self.last.store(token(), Ordering::Relaxed);
    }
}

/// Nanoseconds since the first call (a `u64` keeps for 584 years).
fn now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The calling thread's token, as the crowd records it: the address of a thread-local, never
/// 0 and unique among live threads.
fn token() -> u64 {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|token| core::ptr::from_ref(token) as u64)
}

#[cfg(test)]
mod tests;
