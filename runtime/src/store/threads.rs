//! The threads that use a store, each with a slot of its own in it.
//!
//! Every thread gets a small index on its first call into any store, the lowest free one, and
//! gives it back when it ends; with it, a lease: a number no other thread of the process ever
//! gets. A store keeps one [`Slot`] per index, in segments of [`SEGMENT`] made when a thread
//! of that index first uses the store, so a store used by few threads stays small while up to
//! [`MAX_OWNED`] threads at once have slots of their own. A slot holds its thread's reading
//! state (see [`epoch`]) and its counts (see [`counters`](super::counters)):
//! what a hit touches sits on the thread's own cache lines, reached with one thread-local
//! read. A thread that finds another lease in its slot (its index's previous thread has ended)
//! joins the store: it takes the slot over and starts it afresh (see [`Threads::slot`]).
//!
//! A thread beyond the owned indices, or one whose thread-locals are being torn down, has no
//! index: it counts in a shared slot, and reads under the writer lock.
//!
//! Segments are published by pointer (made once, freed with the store): the file's `unsafe`
//! code, run under Miri (see `.ci/run`).
//!
//! The slots also tell a writer whether it is the store's only live user ([`Threads::solo`]):
//! then nothing it unlinks can be in another thread's hands, and it frees at once instead of
//! in batches (see [`Bin::collect`](super::epoch::Bin::collect)).

#![allow(unsafe_code)]

use core::cell::{Cell, OnceCell};
use core::cmp::Reverse;
use core::ptr;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::counters::{Counts, Crowd};
use super::epoch::{self, Reader, Readers};

/// How many slots a segment holds.
pub(crate) const SEGMENT: usize = 16;
/// How many segments a store can have.
const SEGMENTS: usize = 64;
/// Threads with indices (and slots) of their own, at most.
pub(crate) const MAX_OWNED: usize = SEGMENT * SEGMENTS;

/// The calling thread, as the stores know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Me {
    /// Its index, below [`MAX_OWNED`] if it has a slot of its own.
    pub(crate) index: usize,
    /// Unique to the thread for the life of the process; 0: none (no index either).
    pub(crate) lease: u64,
}

impl Me {
    const NONE: Me = Me {
        index: usize::MAX,
        lease: 0,
    };

    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn has_slot(self) -> bool {
        self.index < MAX_OWNED
    }
}

/// The lease of the live thread holding each owned index, 0 where none does.
static LIVE: [AtomicU64; MAX_OWNED] = [const { AtomicU64::new(0) }; MAX_OWNED];
/// Indices of threads that have ended, lowest first: an index past the owned ones is handed
/// out only when every owned one is taken (a burst of threads must not leave later threads
/// without slots).
static FREE: Mutex<BinaryHeap<Reverse<usize>>> = Mutex::new(BinaryHeap::new());
/// The next index never handed out.
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// The next lease (0 is never handed out).
static LEASES: AtomicU64 = AtomicU64::new(1);
/// The process the indices were handed out in (see [`after_fork`]).
static PID: AtomicU32 = AtomicU32::new(0);

thread_local! {
    // No destructor: readable to the very end of the thread, from other thread-locals'
    // destructors too.
    static ME: Cell<Me> = const { Cell::new(Me::NONE) };
    static RELEASE: OnceCell<Release> = const { OnceCell::new() };
}

fn free_list() -> MutexGuard<'static, BinaryHeap<Reverse<usize>>> {
    FREE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lock of the free indices, taken and held (see the store's `fork`).
pub(crate) fn hold_free_list() -> Box<dyn core::any::Any> {
    Box::new(free_list())
}

/// Gives the thread's index back when the thread ends.
struct Release(Me);

impl Drop for Release {
    fn drop(&mut self) {
        ME.set(Me::NONE);
        if self.0.has_slot() {
            LIVE[self.0.index].store(0, Ordering::Release);
        }
        free_list().push(Reverse(self.0.index));
    }
}

/// The calling thread as far as it is known: no index ([`Me::has_slot`] false) if it has none
/// yet, or has none (see [`me`]).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn known() -> Me {
    ME.get()
}

/// The calling thread: its index and lease, handed out on first use.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn me() -> Me {
    let me = ME.get();
    if me.lease != 0 { me } else { claim() }
}

#[cold]
#[inline(never)]
fn claim() -> Me {
    let _ = PID.compare_exchange(0, std::process::id(), Ordering::Relaxed, Ordering::Relaxed);
    let reused = free_list().pop().map(|Reverse(index)| index);
    let index = reused.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed));
    let me = Me {
        index,
        lease: LEASES.fetch_add(1, Ordering::Relaxed),
    };
    match RELEASE.try_with(|release| release.set(Release(me)).is_ok()) {
        Ok(true) => {
            if me.has_slot() {
                LIVE[index].store(me.lease, Ordering::Release);
            }
            ME.set(me);
            me
        }
        // The thread is being torn down (its release already ran, or cannot be registered):
        // no index, so nothing to give back but this one.
        Ok(false) | Err(_) => {
            free_list().push(Reverse(index));
            Me::NONE
        }
    }
}

/// Whether the thread that took an index with this lease is still alive.
fn is_live(index: usize, lease: u64) -> bool {
    lease != 0 && LIVE[index].load(Ordering::Acquire) == lease
}

/// In the child of a `fork()`, only the forking thread lives on: the others' indices are
/// freed, and the stores stop waiting for their reads (see `Readers::each_live`). Called
/// where reclamation looks at other threads; a no-op but in a new process.
pub(crate) fn after_fork() {
    let pid = std::process::id();
    let was = PID.swap(pid, Ordering::Relaxed);
    if was == 0 || was == pid {
        return;
    }
    let me = ME.get();
    let mut free = free_list();
    free.clear();
    for (index, live) in LIVE.iter().enumerate() {
        if index != me.index {
            live.store(0, Ordering::Release);
        }
    }
    let handed_out = NEXT.load(Ordering::Relaxed);
    free.extend(
        (0..handed_out)
            .filter(|&index| index != me.index)
            .map(Reverse),
    );
}

/// One thread's part of a store.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Slot {
    /// The lease of the thread this slot serves (0: none yet).
    lease: AtomicU64,
    pub(crate) reader: Reader,
    pub(crate) counts: Counts,
}

type Segment = [Slot; SEGMENT];

/// The slots of one store.
pub(crate) struct Threads {
    /// Index `i` is slot `i % SEGMENT` of segment `i / SEGMENT`; null until a thread of its
    /// indices comes. Each made once (from a `Box`), and freed with the store.
    segments: [AtomicPtr<Segment>; SEGMENTS],
    /// One past the highest segment made: how far the counting walks ([`Threads::counted`])
    /// look, rather than loading all [`SEGMENTS`] pointers (most stores have one segment).
    /// Raised before the segment is published: a thread that counted in a slot of it had
    /// the segment's pointer, so whatever happens after its count sees the segment counted.
    made: AtomicUsize,
    /// The counts of threads without slots.
    pub(crate) crowd: Crowd,
    /// Who may free at once (see [`Threads::solo`]): the index (plus one) of the store's only
    /// live user in the low half, 0 for none; a count of joins in the high half, so that a
    /// writer's claim fails if a thread joined while it looked.
    solo: AtomicU64,
    /// A slot of these, noted for its thread (the store's owner: see `Store::owner_slot`), to
    /// be found without the lookup of [`Threads::slot`] (a chain of three dependent loads);
    /// null until noted.
    noted: AtomicPtr<Slot>,
}

const JOIN: u64 = 1 << 32;
const OWNER: u64 = JOIN - 1;

impl Threads {
    pub(crate) fn new() -> Self {
        Threads {
            segments: [const { AtomicPtr::new(ptr::null_mut()) }; SEGMENTS],
            made: AtomicUsize::new(0),
            crowd: Crowd::default(),
            solo: AtomicU64::new(0),
            noted: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Notes the calling thread's slot (it has one: `me.has_slot()`), for [`Threads::noted`].
    pub(crate) fn note(&self, me: Me) {
        let slot = self.owned(me.index);
        self.noted
            .store(ptr::from_ref(slot).cast_mut(), Ordering::Relaxed);
    }

    /// The slot noted last (see [`Threads::note`]), if any. Relaxed: for the thread that
    /// noted it (the store's owner), which sees its own store.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn noted(&self) -> Option<&Slot> {
        let slot = self.noted.load(Ordering::Relaxed);
        // SAFETY: null, or one of these slots (`note` takes it from a segment): in a segment,
        // freed only with `self`.
        unsafe { slot.as_ref() }
    }

    /// The calling thread's slot (it has one: `me.has_slot()`), joining the store first if the
    /// slot served another thread, or none, before.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn slot(&self, me: Me) -> &Slot {
        let slot = self.owned(me.index);
        if slot.lease.load(Ordering::Relaxed) != me.lease {
            self.join(me, slot);
        }
        slot
    }

    /// Slot `index` (below [`MAX_OWNED`]), its segment made if need be.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn owned(&self, index: usize) -> &Slot {
        let segment = &self.segments[index / SEGMENT];
        // Acquire: pairs with the release that published the segment, made whole.
        let slots = segment.load(Ordering::Acquire);
        let slots = if slots.is_null() {
            self.make(index / SEGMENT)
        } else {
            slots
        };
        // SAFETY: a published segment is a whole `Segment`, freed only with `self`.
        let slots = unsafe { &*slots };
        &slots[index % SEGMENT]
    }

    /// Segment `n`, made now if it was not yet.
    #[cold]
    #[inline(never)]
    fn make(&self, n: usize) -> *mut Segment {
        let segment = &self.segments[n];
        // Before the segment is published (its release orders this): see `made`.
        self.made.fetch_max(n + 1, Ordering::Relaxed);
        let new = Box::into_raw(Box::new(core::array::from_fn(|_| Slot::default())));
        match segment.compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => new,
            Err(theirs) => {
                // SAFETY: `new` came from `Box::into_raw` just above and was never shared.
                drop(unsafe { Box::from_raw(new) });
                theirs
            }
        }
    }

    /// Takes `slot` over for the calling thread, before its first read of the store. A writer
    /// that frees at once (see [`Threads::solo`]) must know of this thread before the thread
    /// reads anything it may free: the join ends its turn alone, and a barrier makes sure that
    /// either it sees that, or this thread sees what it unlinked before.
    #[cold]
    #[inline(never)]
    fn join(&self, me: Me, slot: &Slot) {
        slot.lease.store(me.lease, Ordering::Relaxed);
        // What the slot's previous thread saw says nothing of this one.
        slot.counts.restart(self.others(Some(me.index)));
        // Nor does its mark: up only if it held the writer lock when a fork copied it (see
        // `table`'s `writer_lock`), and this thread holds nothing yet.
        slot.reader.writing.store(false, Ordering::Relaxed);
        let mine = (me.index + 1) as u64;
        let previous = self
            .solo
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |word| {
                let owner = word & OWNER;
                let owner = if owner == mine { owner } else { 0 };
                Some((word & !OWNER).wrapping_add(JOIN) | owner)
            })
            .unwrap_or_else(|word| word);
        let owner = previous & OWNER;
        if owner != 0 && owner != mine {
            epoch::heavy_barrier();
        }
    }

    /// Whether the calling thread is the store's only live user, as last claimed (see
    /// [`Threads::claim_solo`]). Pairs with the barrier in [`Threads::join`].
    #[cfg_attr(not(debug_assertions), inline)]
    fn is_solo(&self, me: Me) -> bool {
        self.is_solo_index(me.index)
    }

    /// [`Threads::is_solo`] by index.
    #[cfg_attr(not(debug_assertions), inline)]
    fn is_solo_index(&self, index: usize) -> bool {
        if index >= MAX_OWNED {
            return false;
        }
        epoch::light_barrier();
        self.solo.load(Ordering::Relaxed) & OWNER == (index + 1) as u64
    }

    /// Claims the store for the calling thread if no other live thread has joined it (a
    /// writer, under the lock, now and then). Fails if a thread joins meanwhile.
    fn claim_solo(&self, me: Me) -> bool {
        if !me.has_slot() {
            return false;
        }
        after_fork();
        // SeqCst: pairs with the joins' updates, so that a slot's lease stored before a join
        // counted here is seen below.
        let word = self.solo.load(Ordering::SeqCst);
        let mine = (me.index + 1) as u64;
        if word & OWNER == mine {
            return true;
        }
        let others = self.slots().any(|(index, slot)| {
            index != me.index && is_live(index, slot.lease.load(Ordering::Relaxed))
        });
        !others
            && (self.solo)
                .compare_exchange(
                    word,
                    (word & !OWNER) | mine,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
    }

    /// Every slot made so far, with its index.
    fn slots(&self) -> impl Iterator<Item = (usize, &Slot)> {
        self.slots_in(SEGMENTS)
    }

    /// The slots whose counts a call that happened before this one may have moved: those of
    /// the segments below `made`, which covers every segment whose pointer such a call had
    /// (see `made`). For counting only: a thread about to read the store may have a slot in
    /// a segment beyond, so the walks that decide what may be freed use [`Threads::slots`].
    fn counted(&self) -> impl Iterator<Item = (usize, &Slot)> {
        self.slots_in(self.made.load(Ordering::Relaxed))
    }

    /// The slots of the first `segments` segments that are made.
    fn slots_in(&self, segments: usize) -> impl Iterator<Item = (usize, &Slot)> {
        (self.segments[..segments].iter().enumerate())
            .filter_map(|(n, segment)| {
                let slots = segment.load(Ordering::Acquire);
                // SAFETY: as in `owned`.
                Some((n, unsafe { slots.as_ref() }?))
            })
            .flat_map(|(n, slots)| {
                (slots.iter().enumerate()).map(move |(i, slot)| (n * SEGMENT + i, slot))
            })
    }

    /// Calls counted in every slot but `index`'s, and in the crowd's unless `index` is none
    /// (the caller counts in the crowd).
    pub(crate) fn others(&self, index: Option<usize>) -> u64 {
        let owned = self.counted().filter(|&(i, _)| Some(i) != index);
        let crowd = if index.is_some() {
            self.crowd.calls()
        } else {
            0
        };
        owned.map(|(_, s)| s.counts.calls()).sum::<u64>() + crowd
    }

    /// `(hits, misses)` since the last [`reset`](Self::reset).
    pub(crate) fn totals(&self) -> (u64, u64) {
        let all = self.counted().map(|(_, s)| &s.counts);
        all.chain([self.crowd.counts()])
            .map(Counts::since_reset)
            .fold((0, 0), |(h, m), (hits, misses)| (h + hits, m + misses))
    }

    /// Counts from zero again (see [`Counts::reset`]).
    pub(crate) fn reset(&self) {
        let all = self.counted().map(|(_, s)| &s.counts);
        all.chain([self.crowd.counts()]).for_each(Counts::reset);
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        for segment in &mut self.segments {
            let slots = *segment.get_mut();
            if !slots.is_null() {
                // SAFETY: made by `Box::into_raw` in `make`, published once, freed once here
                // (`&mut self`: no thread reads it any more).
                drop(unsafe { Box::from_raw(slots) });
            }
        }
    }
}

impl Readers for Threads {
    fn each_live(&self, each: &mut dyn FnMut(usize, &Reader)) {
        after_fork();
        for (index, slot) in self.slots() {
            if is_live(index, slot.lease.load(Ordering::Relaxed)) {
                each(index, &slot.reader);
            }
        }
    }

    fn caller(&self) -> Option<usize> {
        let me = me();
        me.has_slot().then_some(me.index)
    }

    fn runs_user_code(&self, index: usize) -> bool {
        self.owned(index).reader.runs_user_code()
    }

    fn writing(&self, index: usize) -> &AtomicBool {
        &self.owned(index).reader.writing
    }

    fn moved_on(&self, index: usize, state: u64) -> bool {
        let slot = self.owned(index);
        slot.reader.moved_on(state) || !is_live(index, slot.lease.load(Ordering::Relaxed))
    }

    fn is_solo_at(&self, index: usize) -> bool {
        self.is_solo_index(index)
    }

    fn solo(&self) -> Option<&Reader> {
        let me = me();
        // The slot is this thread's if it joined; if it did not, it reads nothing here.
        self.is_solo(me).then(|| &self.owned(me.index).reader)
    }

    fn claim(&self, memo: &mut u64, force: bool) -> bool {
        let word = self.solo.load(Ordering::Relaxed);
        if word == *memo && !force {
            return false; // nobody joined since the last try
        }
        *memo = word;
        self.claim_solo(me())
    }
}

#[cfg(test)]
mod tests;
