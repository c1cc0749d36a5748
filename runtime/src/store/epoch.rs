//! When memory that readers may still be reading can be freed, with readers that never
//! perform an atomic read-modify-write.
//!
//! Each thread owns a [`Record`]. A reader marks its record active (an odd state) while it
//! reads, and inactive (the next even state) after: two plain stores to a cache line of its
//! own, where a lock, or `papaya`'s guard, costs an atomic exchange (about 5 ns here).
//!
//! A writer puts what it unlinked in a [`Bin`]. Every [`SEAL_AT`] items it seals the bin's
//! contents: after a barrier that makes every reader's mark visible (see [`heavy_barrier`]), it
//! notes which records were active and in which state. The sealed items are freed once each of
//! those records has moved on. A reader that was not active then cannot reach them: it starts
//! reading after the barrier, which shows it the unlinking. Idle threads are inactive, so they
//! never hold memory back; a reader holds it back only while it is inside one lookup.
//!
//! The barrier is asymmetric where the system allows: Linux's `membarrier` makes the writer
//! pay (about 0.3 us per sealed batch here) so that readers need only a compiler fence.
//! Elsewhere, where a sandbox refuses `membarrier` (checked once, at start-up, by running the
//! command), and under Miri, both sides use `SeqCst` fences, which is correct everywhere.

use core::marker::PhantomData;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// How many unlinked items a bin gathers before it seals them (one barrier per batch).
pub(crate) const SEAL_AT: usize = 64;

/// How long [`Bin::flush`] waits, at most, for readers in the middle of a lookup.
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_micros(200);

/// A thread's reading mark: odd while it reads. Owned by one thread at a time; a record whose
/// thread has ended is reused by a later one, its state carrying on from where it was.
#[repr(align(128))]
pub(crate) struct Record {
    state: AtomicU64,
    /// Whether a live thread owns it (changed only under the `RECORDS` lock).
    taken: AtomicBool,
}

/// Every record ever made. Records are never freed, so a sealed batch may keep `&'static`s.
static RECORDS: Mutex<Vec<&'static Record>> = Mutex::new(Vec::new());

fn records() -> MutexGuard<'static, Vec<&'static Record>> {
    RECORDS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A record owned by the holder, given back when dropped.
struct Owned(&'static Record);

impl Owned {
    fn take() -> Self {
        let mut records = records();
        if let Some(free) = records.iter().find(|r| !r.taken.load(Ordering::Relaxed)) {
            free.taken.store(true, Ordering::Relaxed);
            return Owned(free);
        }
        let record: &'static Record = Box::leak(Box::new(Record {
            state: AtomicU64::new(0),
            taken: AtomicBool::new(true),
        }));
        records.push(record);
        Owned(record)
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        let _records = records();
        self.0.taken.store(false, Ordering::Relaxed);
    }
}

thread_local! {
    static LOCAL: Owned = Owned::take();
}

/// Proof that the calling thread is marked as reading: what the map's readers ask for. Made
/// only by [`pinned`], and lent to its closure, so it never outlives the mark.
pub(crate) struct Pin {
    _not_send: PhantomData<*const ()>,
}

/// Runs `read` with the calling thread marked as reading. Re-entrant: a lookup made by user
/// code inside another (a key's `Eq`, a value's `Clone`) reads under the outer mark.
#[inline(always)]
pub(crate) fn pinned<R>(read: impl FnOnce(&Pin) -> R) -> R {
    let borrowed;
    let record = match LOCAL.try_with(|owned| owned.0) {
        Ok(record) => record,
        // The thread is ending and its record is already given back (a memoized call from
        // another thread-local's destructor): borrow one for this call.
        Err(_) => {
            borrowed = borrow();
            borrowed.0
        }
    };
    pinned_on(record, read)
}

#[cold]
#[inline(never)]
fn borrow() -> Owned {
    Owned::take()
}

#[inline(always)]
fn pinned_on<R>(record: &'static Record, read: impl FnOnce(&Pin) -> R) -> R {
    let pin = Pin {
        _not_send: PhantomData,
    };
    // Only this thread writes its record: a load and a store, no read-modify-write.
    let state = record.state.load(Ordering::Relaxed);
    // Even: not yet marked (else an outer lookup marked it, and clears it).
    let entering = state.is_multiple_of(2);
    if entering {
        // Release, though nothing before it needs publishing for this read: a writer that
        // sees this state (not the leaving state before it) must also see the previous read
        // over. Only a release store carries that; a relaxed one after the leaving store does
        // not.
        record.state.store(state + 1, Ordering::Release);
        light_barrier();
    }
    /// Clears the mark when the read ends, also if it panics.
    struct Leave(&'static Record, u64, bool);
    impl Drop for Leave {
        #[inline]
        fn drop(&mut self) {
            if self.2 {
                // Release: every read of the map happens before a writer sees the mark
                // cleared.
                self.0.state.store(self.1 + 2, Ordering::Release);
            }
        }
    }
    let _leave = Leave(record, state, entering);
    // Called from one place only, so that the compiler inlines the read here.
    read(&pin)
}

/// Whether the process uses `membarrier` (readers' half of the barrier is then free).
#[inline]
fn asymmetric() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(register)
}

/// Registers for `membarrier`'s private expedited command, and tries it once: a sandbox
/// (seccomp in a container, gVisor) may let the query and the registration through and refuse
/// the command itself. Anything refused, and the process uses fences on both sides instead.
/// (Never the global command: it waits for every CPU of the machine, milliseconds a call.)
#[cfg(all(target_os = "linux", not(miri)))]
fn register() -> bool {
    use rustix::thread::{MembarrierCommand, membarrier, membarrier_query};
    membarrier_query().contains_command(MembarrierCommand::PrivateExpedited)
        && membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok()
        && membarrier(MembarrierCommand::PrivateExpedited).is_ok()
}

#[cfg(not(all(target_os = "linux", not(miri))))]
fn register() -> bool {
    false
}

/// The reader's half: after its mark is stored, before it reads the map.
#[inline]
fn light_barrier() {
    if asymmetric() {
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
    } else {
        core::sync::atomic::fence(Ordering::SeqCst);
    }
}

/// The writer's half: after it unlinked, before it looks at the marks. Runs a full barrier on
/// every thread of the process, so that each reader's mark is visible, or its reads see the
/// unlinking. `false` if the system refused (then nothing may be freed).
fn heavy_barrier() -> bool {
    #[cfg(all(target_os = "linux", not(miri)))]
    if asymmetric() {
        use rustix::thread::{MembarrierCommand, membarrier};
        let done = membarrier(MembarrierCommand::PrivateExpedited).is_ok();
        if !done {
            refused_later();
        }
        return done;
    }
    core::sync::atomic::fence(Ordering::SeqCst);
    true
}

/// The command worked when the process registered (see [`register`]) and is refused now: a
/// seccomp filter installed since. Readers rely on it, so nothing retired may be freed from
/// now on; said once, on standard error, rather than leaking in silence.
#[cfg(all(target_os = "linux", not(miri)))]
#[cold]
fn refused_later() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        eprintln!(
            "py38: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) worked at start-up and is \
             refused now (a seccomp filter installed since?): results evicted from \
             #[memoize] caches are no longer freed"
        );
    });
}

/// A batch of unlinked items and the reads that may still see them.
struct Sealed<T> {
    items: Vec<T>,
    /// Each record that was reading when the batch was sealed, with its state then.
    readers: Vec<(&'static Record, u64)>,
}

impl<T> Sealed<T> {
    /// Whether every read that was under way when the batch was sealed has ended.
    fn is_free(&self) -> bool {
        // Acquire: pairs with the reader's release in `Leave`.
        (self.readers.iter()).all(|(record, state)| record.state.load(Ordering::Acquire) != *state)
    }
}

/// Unlinked items (their `Drop` frees them), kept until no reader can be reading them.
/// An item must be unreachable for readers that start after it is [`retire`](Bin::retire)d.
pub(crate) struct Bin<T> {
    loose: Vec<T>,
    sealed: VecDeque<Sealed<T>>,
}

impl<T> Bin<T> {
    pub(crate) const fn new() -> Self {
        Bin {
            loose: Vec::new(),
            sealed: VecDeque::new(),
        }
    }

    /// Adds an item that readers starting from now on cannot reach.
    pub(crate) fn retire(&mut self, item: T) {
        self.loose.push(item);
    }

    /// Seals the loose items if there are enough, and hands back the items no reader can
    /// see any more, for the caller to drop: dropping runs their `Drop`, user code, which the
    /// caller runs where it may call back (outside its lock).
    #[must_use = "the items are freed when the returned vector is dropped"]
    pub(crate) fn collect(&mut self) -> Vec<T> {
        if self.loose.len() >= SEAL_AT {
            self.seal();
        }
        let mut free = Vec::new();
        while let Some(batch) = self.sealed.pop_front() {
            if !batch.is_free() {
                self.sealed.push_front(batch);
                break;
            }
            if free.is_empty() {
                free = batch.items; // most often the only one: no copy
            } else {
                free.extend(batch.items);
            }
        }
        free
    }

    /// [`Bin::collect`], sealing the loose items however few: everything no reader can see
    /// any more is handed back now (what `cache_clear` uses, to drop what it removed before it
    /// returns; one barrier).
    #[must_use = "the items are freed when the returned vector is dropped"]
    pub(crate) fn flush(&mut self) -> Vec<T> {
        if !self.loose.is_empty() {
            self.seal();
        }
        // Readers in the middle of a lookup finish within a microsecond or so: wait for them,
        // briefly. One inside user code (a key's `Eq`, this thread's own outer lookup) may take
        // any time: its batch is then freed by a later writer.
        let deadline = std::time::Instant::now() + FLUSH_WAIT;
        while self.sealed.back().is_some_and(|batch| !batch.is_free())
            && std::time::Instant::now() < deadline
        {
            std::thread::yield_now();
        }
        self.collect()
    }

    fn seal(&mut self) {
        if !heavy_barrier() {
            return; // keep them loose: freed by a later seal, or never
        }
        let readers = (records().iter())
            .filter_map(|record| {
                // Acquire: a read seen ended happens before anything this batch frees.
                let state = record.state.load(Ordering::Acquire);
                (state % 2 == 1).then_some((*record, state))
            })
            .collect();
        // The next batch gets room for a whole batch at once (rather than growing to it).
        let items = core::mem::replace(&mut self.loose, Vec::with_capacity(SEAL_AT));
        self.sealed.push_back(Sealed { items, readers });
    }

    /// How many items wait to be freed.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.loose.len() + self.sealed.iter().map(|s| s.items.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Arc, Barrier};

    use crate::store::drop_count::Counted;

    #[test]
    fn items_are_freed_once_sealed_when_nobody_reads() {
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut bin = Bin::new();
        for _ in 0..SEAL_AT - 1 {
            bin.retire(Counted(dropped.clone()));
        }
        drop(bin.collect());
        assert_eq!(dropped.load(Ordering::SeqCst), 0, "not sealed yet");
        bin.retire(Counted(dropped.clone()));
        drop(bin.collect());
        assert_eq!(dropped.load(Ordering::SeqCst), SEAL_AT);
        assert_eq!(bin.waiting(), 0);
    }

    /// A bin holding one sealed batch of `SEAL_AT` items, freed if no reader is reading.
    fn one_batch(dropped: &Arc<AtomicUsize>) -> Bin<Counted> {
        let mut bin = Bin::new();
        for _ in 0..SEAL_AT {
            bin.retire(Counted(dropped.clone()));
        }
        drop(bin.collect());
        bin
    }

    /// Collects until the bin's one batch is freed; fails after 10 s. (Other tests' threads
    /// may have been reading at the seal, one inside a panic hook, say: they are waited for.)
    fn wait_until_freed(bin: &mut Bin<Counted>, dropped: &AtomicUsize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while dropped.load(Ordering::SeqCst) < SEAL_AT && std::time::Instant::now() < deadline {
            drop(bin.collect());
            std::thread::yield_now();
        }
        assert_eq!(dropped.load(Ordering::SeqCst), SEAL_AT);
    }

    /// Runs `main` while another thread, once it has run `other`, waits for `main` to end
    /// (also if it panics).
    fn beside(other: impl FnOnce() + Send, main: impl FnOnce()) {
        struct Release<'a>(&'a Barrier);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.wait();
            }
        }
        let (ready, done) = (Barrier::new(2), Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                other();
                ready.wait();
                done.wait();
            });
            ready.wait();
            let _release = Release(&done);
            main();
        });
    }

    #[test]
    fn a_reader_under_way_holds_the_batch_back_until_it_ends() {
        let dropped = Arc::new(AtomicUsize::new(0));
        let (entered, leave) = (Barrier::new(2), Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                pinned(|_| {
                    entered.wait();
                    leave.wait();
                });
            });
            entered.wait();
            let mut bin = one_batch(&dropped);
            let before_leaving = dropped.load(Ordering::SeqCst);
            leave.wait(); // before asserting: a failure must not leave the reader waiting
            assert_eq!(before_leaving, 0, "the reader may still see them");
            wait_until_freed(&mut bin, &dropped);
        });
    }

    #[test]
    fn an_idle_thread_holds_nothing_back() {
        let dropped = Arc::new(AtomicUsize::new(0));
        // The other thread has read, and stays alive with its record, but not reading.
        beside(
            || pinned(|_| ()),
            || wait_until_freed(&mut one_batch(&dropped), &dropped),
        );
    }

    #[test]
    fn nested_reads_keep_the_outer_mark_until_the_outer_read_ends() {
        let record = LOCAL.with(|owned| owned.0);
        let before = record.state.load(Ordering::Relaxed);
        pinned(|_| {
            pinned(|_| ());
            assert_eq!(record.state.load(Ordering::Relaxed) % 2, 1, "still reading");
        });
        assert_eq!(record.state.load(Ordering::Relaxed), before + 2);
    }

    #[test]
    fn a_panicking_read_clears_its_mark() {
        let record = LOCAL.with(|owned| owned.0);
        let outcome = std::panic::catch_unwind(|| pinned(|_| panic!("in user code")));
        assert!(outcome.is_err());
        assert_eq!(record.state.load(Ordering::Relaxed) % 2, 0);
    }
}
