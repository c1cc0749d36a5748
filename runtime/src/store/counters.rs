//! Hit and miss counters that threads update without sharing a cache line.
//!
//! One shared counter written on every hit would move its cache line between cores on every
//! call, which costs more than the rest of a hit. Instead each live thread owns a slot (a
//! small index handed out on first use and returned when the thread ends); an owner updates
//! its slot with a plain load and store. Threads beyond the slots share a last slot with
//! atomic additions, and it remembers which of them called last, so that one of them calling
//! alone is still known to be alone. `cache_info()` sums the slots.
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

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Slots with a single owner; one more is shared by all other threads.
const OWNED_SLOTS: usize = 15;
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

pub(crate) struct Counters {
    slots: Box<[Slot]>,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            slots: (0..=OWNED_SLOTS).map(|_| Slot::default()).collect(),
        }
    }

    /// Counts a hit; `true` if the calling thread has had the store to itself lately.
    #[inline(always)]
    pub(crate) fn hit(&self) -> bool {
        let (index, lease) = thread_slot();
        match self.slots.get(index) {
            Some(slot) if index < OWNED_SLOTS => {
                if slot.owner.load(Ordering::Relaxed) != lease {
                    // The slot's last owner has ended; what it saw says nothing of this thread.
                    slot.owner.store(lease, Ordering::Relaxed);
                    slot.restart(slot.hits.load(Ordering::Relaxed), self.others(index));
                }
                let hits = slot.hits.load(Ordering::Relaxed) + 1;
                slot.hits.store(hits, Ordering::Relaxed);
                // `>=`: a `reset` from another thread racing this one cannot leave it never
                // looking again.
                if hits >= slot.next_look.load(Ordering::Relaxed) {
                    self.look_around(index, hits);
                }
                !slot.shared.load(Ordering::Relaxed)
            }
            _ => {
                let slot = &self.slots[OWNED_SLOTS];
                slot.hits.fetch_add(1, Ordering::Relaxed);
                self.overflow_alone(slot)
            }
        }
    }

    /// Whether a thread counting in the shared slot has had the store to itself since its
    /// previous call: the shared slot's previous call was its own, and no owned slot moved
    /// since. (Threads beyond the owned slots are rare; this reads every slot on each call.)
    #[cold]
    fn overflow_alone(&self, slot: &Slot) -> bool {
        let me = overflow_token();
        let previous = slot.owner.swap(me, Ordering::Relaxed);
        let others = self.others(OWNED_SLOTS);
        let seen = slot.others_seen.swap(others, Ordering::Relaxed);
        previous == me && others == seen
    }

    /// Calls counted in every slot but `me`.
    fn others(&self, me: usize) -> u64 {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != me)
            .map(|(_, s)| s.hits.load(Ordering::Relaxed) + s.misses.load(Ordering::Relaxed))
            .sum()
    }

    /// A look at the other slots, at the owner's hit number `hits`: see the module's docs.
    #[cold]
    fn look_around(&self, me: usize, hits: u64) {
        let others = self.others(me);
        let slot = &self.slots[me];
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
        match self.slots.get(index) {
            Some(slot) if index < OWNED_SLOTS => {
                // Only this thread writes this slot: no read-modify-write needed.
                let counter = field(slot);
                counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
            _ => {
                let slot = &self.slots[OWNED_SLOTS];
                field(slot).fetch_add(1, Ordering::Relaxed);
                // A call of another thread in the shared slot ends this one's run alone.
                slot.owner.store(overflow_token(), Ordering::Relaxed);
                slot.others_seen
                    .store(self.others(OWNED_SLOTS), Ordering::Relaxed);
            }
        }
    }

    /// `(hits, misses)` summed over every slot.
    pub(crate) fn totals(&self) -> (u64, u64) {
        self.slots.iter().fold((0, 0), |(h, m), slot| {
            (
                h + slot.hits.load(Ordering::Relaxed),
                m + slot.misses.load(Ordering::Relaxed),
            )
        })
    }

    pub(crate) fn reset(&self) {
        for slot in self.slots.iter() {
            slot.hits.store(0, Ordering::Relaxed);
            slot.misses.store(0, Ordering::Relaxed);
            slot.restart(0, 0);
        }
    }
}

/// Nanoseconds since the first call (a `u64` keeps for 584 years).
fn now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The calling thread's token (see `this_thread`), as the shared slot records it.
fn overflow_token() -> u64 {
    super::this_thread() as u64
}

/// Slot indices of threads that have ended, for reuse.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
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
        .push(index);
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
    let reused = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let index = reused.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed));
    match LEASE.try_with(|lease| lease.set(SlotLease(index)).is_ok()) {
        Ok(true) => {
            let slot = (index, LEASES.fetch_add(1, Ordering::Relaxed));
            SLOT.with(|cell| cell.set(slot));
            slot
        }
        // Already leased (the rejected lease gave its index back), or the thread is being
        // torn down: count in the shared slot.
        Ok(false) => (OWNED_SLOTS, 0),
        Err(_) => {
            free(index);
            (OWNED_SLOTS, 0)
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
}
