//! Hit and miss counters that threads update without sharing a cache line.
//!
//! One shared counter written on every hit would move its cache line between cores on every
//! call, which costs more than the rest of a hit. Instead each live thread owns a slot (a
//! small index handed out on first use, the lowest free one, and returned when the thread
//! ends); an owner updates its slot with a plain load and store. Slots come in segments of
//! [`SEGMENT`], made when a thread first needs one, so a store used by few threads stays small
//! while up to [`MAX_OWNED`] threads at once have slots of their own. Threads beyond those
//! share a last slot with atomic additions, and it remembers which of them called last, so
//! that one of them calling alone is still known to be alone. `cache_info()` sums the slots.
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
//! shared, recency is recorded more sparingly (see `Store::lookup`), so that threads hitting
//! the same entries do not pass their cache lines back and forth. Only bounded stores ask: the
//! others keep no recency.

use core::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How many slots a segment holds.
const SEGMENT: usize = 16;
/// How many segments a store can have: room for this many threads with slots of their own.
const SEGMENTS: usize = 64;
/// Threads with slots of their own, at most; the others share one more slot.
const MAX_OWNED: usize = SEGMENT * SEGMENTS;
/// The index of the shared slot.
const SHARED: usize = MAX_OWNED;
/// How many hits a thread makes between two looks at the other slots. A look reads every
/// slot (16 cache lines): every 32 hits it was 5% of a hit's time in the u64 benchmark, every
/// 256 it is under 1%. The price: a thread notices others within 256 of its hits.
const SAMPLE: u64 = 256;
/// The longest interval between two looks, reached while sharing lasts: each look that finds
/// the store still shared doubles it, since watching the other slots makes the threads pass
/// their cache lines back and forth (probing every 256 hits cost a fifth of two threads'
/// throughput). The price: a thread may take that long to find it is alone again.
const SAMPLE_SHARED: u64 = 8192;
/// How many of its hits a thread watches, after a look that found the other slots moved, for
/// the other threads' calls coming between two of its own.
const PROBE: u32 = 8;
/// How long, at least, it watches them.
const PROBE_TIME: Duration = Duration::from_micros(2);
/// Not probing.
const IDLE: u32 = u32::MAX;
const NO_SLOT: usize = usize::MAX;

#[repr(align(128))]
struct Slot {
    hits: AtomicU64,
    misses: AtomicU64,
    /// The other slots' total at the owner's last look (owner only; in the shared slot, at its
    /// latest call).
    others_seen: AtomicU64,
    /// Whether the owner takes the store as used by other threads at the same time (owner only).
    shared: AtomicBool,
    /// The owner's hit count at which it looks at the other slots next (owner only).
    next_look: AtomicU64,
    /// How many hits the owner lets go by between two looks.
    interval: AtomicU64,
    /// While probing, how many of the owner's hits are left to watch; [`IDLE`] otherwise.
    probe_left: AtomicU32,
    /// While probing, how often the other slots moved between two of the owner's hits.
    probe_moves: AtomicU32,
    /// While probing, when it began (see [`now`]).
    probe_since: AtomicU64,
    /// The lease of the thread that last used this slot: a new owner starts afresh. In the
    /// shared slot: the token of the thread that made its latest call.
    owner: AtomicU64,
    /// The counts when the store was last cleared (written by `reset`, never by the owner).
    hits_base: AtomicU64,
    misses_base: AtomicU64,
}

impl Default for Slot {
    fn default() -> Self {
        Slot {
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            others_seen: AtomicU64::new(0),
            shared: AtomicBool::new(false),
            next_look: AtomicU64::new(SAMPLE),
            interval: AtomicU64::new(SAMPLE),
            probe_left: AtomicU32::new(IDLE),
            probe_moves: AtomicU32::new(0),
            probe_since: AtomicU64::new(0),
            owner: AtomicU64::new(0),
            hits_base: AtomicU64::new(0),
            misses_base: AtomicU64::new(0),
        }
    }
}

impl Slot {
    /// Starts the owner afresh: alone, with its next look `SAMPLE` hits from now.
    fn restart(&self, hits: u64, others: u64) {
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
}

type Segment = [Slot; SEGMENT];

pub(crate) struct Counters {
    /// Owned slots: index `i` is slot `i % SEGMENT` of segment `i / SEGMENT`.
    segments: [OnceLock<Box<Segment>>; SEGMENTS],
    shared: Slot,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            segments: core::array::from_fn(|_| OnceLock::new()),
            shared: Slot::default(),
        }
    }

    /// The owned slot `index` (< [`MAX_OWNED`]), its segment made if need be.
    #[inline(always)]
    fn owned(&self, index: usize) -> &Slot {
        let segment = &self.segments[index / SEGMENT];
        let slots = match segment.get() {
            Some(slots) => slots,
            None => Self::make(segment),
        };
        &slots[index % SEGMENT]
    }

    #[cold]
    #[inline(never)]
    fn make(segment: &OnceLock<Box<Segment>>) -> &Segment {
        segment.get_or_init(|| Box::new(core::array::from_fn(|_| Slot::default())))
    }

    /// Every slot made so far, with its index (the shared one last, as [`SHARED`]).
    fn all(&self) -> impl Iterator<Item = (usize, &Slot)> {
        let owned = (self.segments.iter().enumerate())
            .filter_map(|(n, segment)| Some((n, segment.get()?)))
            .flat_map(|(n, slots)| {
                (slots.iter().enumerate()).map(move |(i, s)| (n * SEGMENT + i, s))
            });
        owned.chain(core::iter::once((SHARED, &self.shared)))
    }

    /// Counts a hit; `true` if the calling thread has had the store to itself lately.
    #[inline(always)]
    pub(crate) fn hit(&self) -> bool {
        let (index, lease) = thread_slot();
        if index >= MAX_OWNED {
            self.shared.hits.fetch_add(1, Ordering::Relaxed);
            return self.overflow_alone(&self.shared);
        }
        let slot = self.owned(index);
        if slot.owner.load(Ordering::Relaxed) != lease {
            // The slot's last owner has ended; what it saw says nothing of this thread.
            slot.owner.store(lease, Ordering::Relaxed);
            slot.restart(slot.hits.load(Ordering::Relaxed), self.others(index));
        }
        let hits = slot.hits.load(Ordering::Relaxed) + 1;
        slot.hits.store(hits, Ordering::Relaxed);
        if hits >= slot.next_look.load(Ordering::Relaxed) {
            self.look_around(index, slot, hits);
        }
        !slot.shared.load(Ordering::Relaxed)
    }

    /// Whether a thread counting in the shared slot has had the store to itself since its
    /// previous call: the shared slot's previous call was its own, and no owned slot moved
    /// since. (Threads beyond the owned slots are rare; this reads every slot on each call.)
    #[cold]
    fn overflow_alone(&self, slot: &Slot) -> bool {
        let me = overflow_token();
        let previous = slot.owner.swap(me, Ordering::Relaxed);
        let others = self.others(SHARED);
        let seen = slot.others_seen.swap(others, Ordering::Relaxed);
        previous == me && others == seen
    }

    /// Calls counted in every slot but `me`.
    fn others(&self, me: usize) -> u64 {
        (self.all().filter(|&(i, _)| i != me))
            .map(|(_, s)| s.hits.load(Ordering::Relaxed) + s.misses.load(Ordering::Relaxed))
            .sum()
    }

    /// A look at the other slots, at the owner's hit number `hits`: see the module's docs.
    #[cold]
    fn look_around(&self, me: usize, slot: &Slot, hits: u64) {
        let others = self.others(me);
        let moved = slot.others_seen.swap(others, Ordering::Relaxed) != others;
        let left = slot.probe_left.load(Ordering::Relaxed);
        if left == IDLE {
            if moved {
                // Other threads called since the last look: at the same time as this one, or
                // in between? Watch the next hits to tell (sharing or not meanwhile as before).
                slot.probe_left.store(PROBE, Ordering::Relaxed);
                slot.probe_moves.store(0, Ordering::Relaxed);
                slot.probe_since.store(now(), Ordering::Relaxed);
                slot.next_look.store(hits + 1, Ordering::Relaxed);
            } else {
                slot.restart(hits, others);
            }
            return;
        }
        let moves = slot.probe_moves.load(Ordering::Relaxed) + u32::from(moved);
        if moves >= 2 {
            // Twice between two of this thread's hits: others call at the same time.
            slot.share(hits, others);
        } else if left <= 1
            && now().saturating_sub(slot.probe_since.load(Ordering::Relaxed))
                >= PROBE_TIME.as_nanos() as u64
        {
            // At most one turn ended meanwhile: calls one after another.
            slot.restart(hits, others);
        } else {
            slot.probe_left
                .store(left.saturating_sub(1).max(1), Ordering::Relaxed);
            slot.probe_moves.store(moves, Ordering::Relaxed);
            slot.next_look.store(hits + 1, Ordering::Relaxed);
        }
    }

    /// Counts a hit, for a store that keeps no recency (so need not know who else calls).
    #[inline]
    pub(crate) fn hit_only(&self) {
        self.count(|slot| &slot.hits);
    }

    #[inline]
    pub(crate) fn miss(&self) {
        self.count(|slot| &slot.misses);
    }

    #[inline]
    fn count(&self, field: impl Fn(&Slot) -> &AtomicU64) {
        let (index, _) = thread_slot();
        if index < MAX_OWNED {
            // Only this thread writes this slot: no read-modify-write needed.
            let counter = field(self.owned(index));
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        } else {
            let slot = &self.shared;
            field(slot).fetch_add(1, Ordering::Relaxed);
            // A call of another thread in the shared slot ends this one's run alone.
            slot.owner.store(overflow_token(), Ordering::Relaxed);
            slot.others_seen
                .store(self.others(SHARED), Ordering::Relaxed);
        }
    }

    /// `(hits, misses)` since the last [`reset`](Self::reset), summed over every slot.
    pub(crate) fn totals(&self) -> (u64, u64) {
        let since = |count: &AtomicU64, base: &AtomicU64| {
            // A reset racing this read may leave a base above the count read before it.
            (count.load(Ordering::Relaxed)).saturating_sub(base.load(Ordering::Relaxed))
        };
        self.all().fold((0, 0), |(h, m), (_, slot)| {
            (
                h + since(&slot.hits, &slot.hits_base),
                m + since(&slot.misses, &slot.misses_base),
            )
        })
    }

    /// Counts from zero again: each slot's present counts become its base. A call counted
    /// while this runs may count before or after it; none is counted twice.
    pub(crate) fn reset(&self) {
        for (_, slot) in self.all() {
            (slot.hits_base).store(slot.hits.load(Ordering::Relaxed), Ordering::Relaxed);
            (slot.misses_base).store(slot.misses.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// Nanoseconds since the first call (a `u64` keeps for 584 years).
fn now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The calling thread's token, as the shared slot records it: the address of a thread-local,
/// never 0 and unique among live threads.
fn overflow_token() -> u64 {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|token| core::ptr::from_ref(token) as u64)
}

/// Slot indices of threads that have ended, for reuse, lowest first: an index past the owned
/// slots is handed out only when every owned one is taken (a burst of threads must not leave
/// later threads in the shared slot).
static FREE: Mutex<BinaryHeap<Reverse<usize>>> = Mutex::new(BinaryHeap::new());
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// Lease numbers: unique per thread for the life of the process (0 is never handed out).
static LEASES: AtomicU64 = AtomicU64::new(1);

/// Gives the thread's slot back when the thread ends.
struct SlotLease(usize);

impl Drop for SlotLease {
    fn drop(&mut self) {
        let _ = SLOT.try_with(|slot| slot.set((NO_SLOT, 0)));
        free(self.0);
    }
}

fn free(index: usize) {
    FREE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Reverse(index));
}

thread_local! {
    static SLOT: core::cell::Cell<(usize, u64)> = const { core::cell::Cell::new((NO_SLOT, 0)) };
    static LEASE: core::cell::OnceCell<SlotLease> = const { core::cell::OnceCell::new() };
}

/// The calling thread's slot index and lease number.
#[inline]
fn thread_slot() -> (usize, u64) {
    let slot = SLOT.with(core::cell::Cell::get);
    if slot.0 != NO_SLOT {
        slot
    } else {
        claim_slot()
    }
}

#[cold]
fn claim_slot() -> (usize, u64) {
    let reused = (FREE.lock().unwrap_or_else(PoisonError::into_inner).pop()).map(|Reverse(i)| i);
    let index = reused.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed));
    match LEASE.try_with(|lease| lease.set(SlotLease(index)).is_ok()) {
        Ok(true) => {
            let slot = (index, LEASES.fetch_add(1, Ordering::Relaxed));
            SLOT.with(|cell| cell.set(slot));
            slot
        }
        // Already leased (the rejected lease gave its index back), or the thread is being
        // torn down: count in the shared slot.
        Ok(false) => (SHARED, 0),
        Err(_) => {
            free(index);
            (SHARED, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let counters = Counters::new();
        std::thread::scope(|s| {
            for _ in 0..40 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        let _ = counters.hit();
                    }
                    counters.miss();
                });
            }
        });
        assert_eq!(counters.totals(), (40_000, 40));
        assert!(counters.hit(), "one thread alone has the store to itself");
        counters.reset();
        assert_eq!(counters.totals(), (0, 0));
    }

    /// After a burst of more threads than there are owned slots, new threads get owned slots
    /// (the indices past them were handed back too, and must not come out first).
    #[test]
    #[cfg_attr(miri, ignore = "a thousand threads")]
    fn threads_after_a_burst_get_slots_of_their_own() {
        let burst = MAX_OWNED + 64;
        let all_in = std::sync::Barrier::new(burst);
        std::thread::scope(|s| {
            for _ in 0..burst {
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn_scoped(s, || {
                        let _ = thread_slot();
                        all_in.wait(); // every index handed out at once
                    })
                    .expect("spawn");
            }
        });
        let together = std::sync::Barrier::new(8);
        let shared = std::thread::scope(|s| {
            let claim = || {
                let index = thread_slot().0;
                together.wait(); // alive at once: none hands its index to the next
                index
            };
            let threads: Vec<_> = (0..8).map(|_| s.spawn(claim)).collect();
            let indices = threads.into_iter().map(|t| t.join().expect("joined"));
            indices.filter(|&index| index >= MAX_OWNED).count()
        });
        assert_eq!(
            shared, 0,
            "threads left in the shared slot while owned ones were free"
        );
    }

    /// A reset racing an owner's load-then-store must not let the old count come back: after
    /// it, the totals count only the hits made since, plus the one in flight.
    #[test]
    fn a_reset_under_concurrent_hits_keeps_only_later_counts() {
        let counters = Counters::new();
        let made = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let _ = counters.hit();
                    made.fetch_add(1, Ordering::SeqCst);
                }
            });
            while made.load(Ordering::SeqCst) == 0 {
                std::hint::spin_loop();
            }
            let rounds = if cfg!(miri) { 20 } else { 20_000 };
            let mut failure = None;
            for round in 0..rounds {
                let before = made.load(Ordering::SeqCst);
                counters.reset();
                let (hits, _) = counters.totals();
                let after = made.load(Ordering::SeqCst);
                if hits > after - before + 1 {
                    failure = Some((round, hits, after - before));
                    break;
                }
            }
            stop.store(true, Ordering::Relaxed);
            assert_eq!(
                failure, None,
                "(round, hits counted, hits made since the reset)"
            );
        });
    }
}
