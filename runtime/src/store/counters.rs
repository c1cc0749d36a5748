//! Hit and miss counters that threads update without sharing a cache line.
//!
//! One shared counter written on every hit would move its cache line between cores on every
//! call, which costs more than the rest of a hit. Instead each live thread owns a slot (a
//! small index handed out on first use and returned when the thread ends); an owner updates
//! its slot with a plain load and store. Threads beyond the slots share a last slot with
//! atomic additions. `cache_info()` sums the slots.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Slots with a single owner; one more is shared by all other threads.
const OWNED_SLOTS: usize = 15;
const NO_SLOT: usize = usize::MAX;

#[repr(align(128))]
#[derive(Default)]
struct Slot {
    hits: AtomicU64,
    misses: AtomicU64,
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

    #[inline]
    pub(crate) fn hit(&self) {
        self.count(|slot| &slot.hits);
    }

    #[inline]
    pub(crate) fn miss(&self) {
        self.count(|slot| &slot.misses);
    }

    #[inline]
    fn count(&self, field: impl Fn(&Slot) -> &AtomicU64) {
        let index = thread_slot();
        match self.slots.get(index) {
            Some(slot) if index < OWNED_SLOTS => {
                // Only this thread writes this slot: no read-modify-write needed.
                let counter = field(slot);
                counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
            _ => {
                field(&self.slots[OWNED_SLOTS]).fetch_add(1, Ordering::Relaxed);
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
        }
    }
}

/// Slot indices of threads that have ended, for reuse.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Gives the thread's slot back when the thread ends.
struct SlotLease(usize);

impl Drop for SlotLease {
    fn drop(&mut self) {
        let _ = SLOT.try_with(|slot| slot.set(NO_SLOT));
        free(self.0);
    }
}

fn free(index: usize) {
    FREE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(index);
}

thread_local! {
    static SLOT: core::cell::Cell<usize> = const { core::cell::Cell::new(NO_SLOT) };
    static LEASE: core::cell::OnceCell<SlotLease> = const { core::cell::OnceCell::new() };
}

#[inline]
fn thread_slot() -> usize {
    let slot = SLOT.with(core::cell::Cell::get);
    if slot != NO_SLOT { slot } else { claim_slot() }
}

#[cold]
fn claim_slot() -> usize {
    let reused = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let index = reused.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed));
    match LEASE.try_with(|lease| lease.set(SlotLease(index)).is_ok()) {
        Ok(true) => {
            SLOT.with(|slot| slot.set(index));
            index
        }
        // Already leased (the rejected lease gave its index back), or the thread is being
        // torn down: count in the shared slot.
        Ok(false) => OWNED_SLOTS,
        Err(_) => {
            free(index);
            OWNED_SLOTS
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
                        counters.hit();
                    }
                    counters.miss();
                });
            }
        });
        assert_eq!(counters.totals(), (40_000, 40));
        counters.reset();
        assert_eq!(counters.totals(), (0, 0));
    }
}
