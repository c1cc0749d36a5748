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
//! reads the other slots, and if their counts moved since its last look, other threads are
//! using the store too. Recency is then recorded more sparingly (see `Store::lookup`), so
//! that threads hitting the same entries do not pass their cache lines back and forth.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Slots with a single owner; one more is shared by all other threads.
const OWNED_SLOTS: usize = 15;
/// How many hits a thread makes between two looks at the other slots. A look reads every
/// slot (16 cache lines): every 32 hits it was 5% of a hit's time in the u64 benchmark, every
/// 256 it is under 1%. The price: a thread notices others within 256 of its hits, and is sure
/// it is alone again (recording every use, as CPython orders them) within 512.
const SAMPLE: u64 = 256;
const NO_SLOT: usize = usize::MAX;

#[repr(align(128))]
#[derive(Default)]
struct Slot {
    hits: AtomicU64,
    misses: AtomicU64,
    /// The other slots' total at the owner's last look (owner only; in the shared slot, at its
    /// latest call).
    others_seen: AtomicU64,
    /// Whether other threads used the store between the owner's last two looks (owner only).
    shared: AtomicBool,
    /// The lease of the thread that last used this slot: a new owner starts afresh. In the
    /// shared slot: the token of the thread that made its latest call.
    owner: AtomicU64,
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
    #[inline]
    pub(crate) fn hit(&self) -> bool {
        let (index, lease) = thread_slot();
        match self.slots.get(index) {
            Some(slot) if index < OWNED_SLOTS => {
                if slot.owner.load(Ordering::Relaxed) != lease {
                    // The slot's last owner has ended; what it saw says nothing of this thread.
                    slot.owner.store(lease, Ordering::Relaxed);
                    slot.shared.store(false, Ordering::Relaxed);
                    slot.others_seen
                        .store(self.others(index), Ordering::Relaxed);
                }
                let hits = slot.hits.load(Ordering::Relaxed) + 1;
                slot.hits.store(hits, Ordering::Relaxed);
                if hits % SAMPLE == 0 {
                    self.look_around(index);
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

    #[cold]
    fn look_around(&self, me: usize) {
        let others = self.others(me);
        let slot = &self.slots[me];
        let seen = slot.others_seen.swap(others, Ordering::Relaxed);
        slot.shared.store(others != seen, Ordering::Relaxed);
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
            slot.others_seen.store(0, Ordering::Relaxed);
            slot.shared.store(false, Ordering::Relaxed);
        }
    }
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
