//! When memory that readers may still be reading can be freed, with readers that never
//! perform an atomic read-modify-write.
//!
//! Each thread has a [`Reader`] in each store it uses (see [`threads`](super::threads)). A
//! read goes in two steps:
//! - **The probe**: the reader marks itself active (an odd state) and walks the table to a
//!   node of the key's hash, then marks itself inactive (the next even state): two plain
//!   stores to a cache line of its own, where a lock costs an atomic read-modify-write. No
//!   user code runs while it is marked, so the mark is held for a few dozen instructions.
//! - **User code** (the key's `Eq`, the result's `Clone`) runs after, with the node protected
//!   by a *hazard*: the reader stores the node's address in one of its [`HAZARDS`] slots
//!   before it leaves the probe, and clears it when done. A reader stalled in user code holds
//!   back that node alone; a thread descheduled mid-probe holds back its own store alone.
//!   (Past [`HAZARDS`] nested reads of one store, user code runs marked, as a probe.)
//!
//! A writer puts what it unlinked in a [`Bin`]. Every [`SEAL_AT`] items it seals the bin's
//! contents: after a barrier that makes every reader's mark visible (see [`heavy_barrier`]),
//! it notes which readers of live threads were probing and in which state. A sealed batch is
//! free once each of those has moved on, save the items a hazard names, which wait for it to
//! be cleared. A reader that was not probing at the seal cannot reach the batch: it starts
//! after the barrier, which shows it the unlinking. Idle threads hold nothing back.
//!
//! A store used by one live thread alone frees at once, without batches or barriers (see
//! [`Readers::solo`]): one thread running a `maxsize = 1` cache keeps one result alive.
//!
//! The barrier is asymmetric where the system allows: Linux's `membarrier` makes the writer
//! pay (one system call per sealed batch, which interrupts the CPUs running the process's
//! other threads) so that readers need only a compiler fence.
//! Elsewhere, where a sandbox refuses `membarrier` (checked once, at start-up, by running the
//! command), and under Miri, both sides use `SeqCst` fences, which is correct everywhere.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many unlinked items a bin gathers before it seals them (one barrier per batch);
/// fewer under Miri, so that its runs reach the sealing and freeing paths.
pub(crate) const SEAL_AT: usize = if cfg!(miri) { 4 } else { 64 };
/// How many nested reads of one store a thread protects with hazards.
pub(crate) const HAZARDS: usize = 4;
/// How many sealed batches may wait for probes before a writer waits for the oldest (see
/// [`Bin::must_wait`]).
const MAX_SEALED: usize = 4;
/// How long [`Bin::flush`] waits, at most, for readers in the middle of a probe.
const FLUSH_WAIT: Duration = Duration::from_micros(200);

/// One thread's reading state in one store. Written by its thread only.
#[derive(Default)]
pub(crate) struct Reader {
    /// Odd while probing.
    state: AtomicU64,
    /// The nodes the thread's user code is reading, by address; null where unused. Taken and
    /// given back in nested order: the first null one is the next free one.
    hazards: [AtomicPtr<()>; HAZARDS],
    /// Whether it runs user code while probing (every hazard in use): a writer must not wait
    /// for such a probe to end (see [`Bin::must_wait`]).
    in_user_code: AtomicBool,
    /// Whether the thread holds its store's writer lock without the mutex (it is biased to
    /// it; see `table`'s `writer_lock`). Written by its thread only.
    pub(crate) writing: AtomicBool,
}

impl Reader {
    /// Marks the thread as probing, unless an outer read already does (then `None`, and the
    /// outer read clears the mark); the marked state, for [`leave`](Self::leave).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn enter(&self) -> Option<u64> {
        // Only this thread writes its reader: a load and a store, no read-modify-write.
        let state = self.state.load(Ordering::Relaxed);
        if state % 2 == 1 {
            return None;
        }
        // Release, though nothing before it needs publishing for this read: a writer that
        // sees this state (not the leaving state before it) must also see the previous read
        // over. Only a release store carries that; a relaxed one after the leaving store does
        // not.
        self.state.store(state + 1, Ordering::Release);
        light_barrier();
        Some(state + 1)
    }

    /// Ends a probe, if this read [`enter`](Self::enter)ed it (`entered`: what `enter` gave).
    /// Release: every read of the map, and every hazard stored during the probe, happens
    /// before a writer sees the mark cleared.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn leave(&self, entered: Option<u64>) {
        if let Some(state) = entered {
            self.state.store(state + 1, Ordering::Release);
        }
    }

    /// Protects `node` for user code to read after the probe: the hazard's index, or `None` if
    /// every hazard is in use (nested reads of one store past [`HAZARDS`]). Called while
    /// probing.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn protect(&self, node: *const ()) -> Option<usize> {
        let at =
            (self.hazards.iter()).position(|hazard| hazard.load(Ordering::Relaxed).is_null())?;
        // Release: a writer that reads it after seeing the probe end sees it (see `leave`).
        self.hazards[at].store(node.cast_mut(), Ordering::Release);
        Some(at)
    }

    /// Clears hazard `at`, the latest one taken. Release: user code's reads of the node
    /// happen before a writer sees it cleared.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn release(&self, at: usize) {
        self.hazards[at].store(core::ptr::null_mut(), Ordering::Release);
    }

    pub(crate) fn runs_user_code(&self) -> bool {
        self.in_user_code.load(Ordering::Relaxed)
    }

    /// Says that user code runs while the mark is held, or no longer does.
    pub(crate) fn mark_user_code(&self, running: bool) {
        self.in_user_code.store(running, Ordering::Relaxed);
    }

    /// Whether the thread is neither probing nor reading a node (asked by the thread itself).
    /// Hazards are taken and given back in nested order: none is held if the first is free.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn is_idle(&self) -> bool {
        self.state.load(Ordering::Relaxed).is_multiple_of(2)
            && self.hazards[0].load(Ordering::Relaxed).is_null()
    }

    /// Whether the probe it was making in `state` is over. Acquire: pairs with `leave`.
    pub(crate) fn moved_on(&self, state: u64) -> bool {
        self.state.load(Ordering::Acquire) != state
    }

    /// The state, if probing. Acquire: a probe seen ended happens before what follows.
    fn probing(&self) -> Option<u64> {
        let state = self.state.load(Ordering::Acquire);
        (state % 2 == 1).then_some(state)
    }

    /// Adds the nodes this reader protects to `into`. Acquire: pairs with `release`.
    fn hazards_into(&self, into: &mut Vec<usize>) {
        for hazard in &self.hazards {
            let node = hazard.load(Ordering::Acquire);
            if !node.is_null() {
                into.push(node.addr());
            }
        }
    }
}

/// What a bin needs of its store's threads (see [`threads`](super::threads)).
pub(crate) trait Readers {
    /// Calls `each` with the index and reader of every live thread that has used the store.
    fn each_live(&self, each: &mut dyn FnMut(usize, &Reader));
    /// Whether the probe that the reader of index `index` (one `each_live` gave) was making
    /// in `state` is over: it moved on, or its thread is gone.
    fn moved_on(&self, index: usize, state: u64) -> bool;
    /// Whether the reader of index `index` runs user code while probing.
    fn runs_user_code(&self, index: usize) -> bool;
    /// The mark of the reader of index `index` that says it holds the writer lock without the
    /// mutex (see `Reader::writing`).
    fn writing(&self, index: usize) -> &AtomicBool;
    /// The calling thread's index, if it has a reader.
    fn caller(&self) -> Option<usize>;
    /// The calling thread's reader, if the thread is the store's only live user: then no
    /// other thread can reach what it unlinks.
    fn solo(&self) -> Option<&Reader>;
    /// [`Readers::solo`], for a caller that knows its index (`caller` gave it): whether it is
    /// the store's only live user.
    fn is_solo_at(&self, index: usize) -> bool;
    /// Tries to become the store's only live user (see [`Readers::solo`]); `force`: even if no
    /// thread joined since the last try, whose outcome `memo` keeps.
    fn claim(&self, memo: &mut u64, force: bool) -> bool;
}

/// Something a bin holds: the node's address, if a hazard can name it.
pub(crate) trait Retired {
    fn node(&self) -> Option<usize>;
}

/// A batch of unlinked items and the probes that may still see them.
struct Sealed<T> {
    items: Vec<T>,
    /// Each reader that was probing when the batch was sealed (by its thread's index), with
    /// its state then.
    readers: Vec<(usize, u64)>,
}

impl<T> Sealed<T> {
    /// Whether every probe that was under way when the batch was sealed has ended.
    fn is_free(&self, readers: &dyn Readers) -> bool {
        (self.readers.iter()).all(|&(index, state)| readers.moved_on(index, state))
    }
}

/// Items a bin hands back, for the caller to drop (or keep) where it may run user code.
pub(crate) struct Freed<T> {
    pub(crate) one: Option<T>,
    pub(crate) many: Vec<T>,
}

impl<T> Default for Freed<T> {
    fn default() -> Self {
        Freed {
            one: None,
            many: Vec::new(),
        }
    }
}

impl<T> Freed<T> {
    fn many(many: Vec<T>) -> Self {
        Freed { one: None, many }
    }
}

/// Unlinked items (their `Drop` frees them), kept until no reader can be reading them.
/// An item must be unreachable for readers that start after it is [`retire`](Bin::retire)d.
pub(crate) struct Bin<T> {
    loose: Vec<T>,
    sealed: VecDeque<Sealed<T>>,
    /// Items past their batch's probes, named by a hazard when last looked at.
    held: Vec<T>,
    /// What the last claim to be the store's only user saw (see [`Readers::claim`]).
    claim_memo: u64,
}

impl<T: Retired> Bin<T> {
    pub(crate) const fn new() -> Self {
        Bin {
            loose: Vec::new(),
            sealed: VecDeque::new(),
            held: Vec::new(),
            claim_memo: u64::MAX,
        }
    }

    /// Adds an item that readers starting from now on cannot reach.
    pub(crate) fn retire(&mut self, item: T) {
        self.loose.push(item);
    }

    /// Makes room for `more` items to be retired at once (a clear: one allocation rather than
    /// one per doubling).
    pub(crate) fn reserve(&mut self, more: usize) {
        self.loose.reserve(more);
    }

    /// Hands back the items no reader can see any more, for the caller to drop: dropping runs
    /// their `Drop`, user code, which the caller runs where it may call back (outside its
    /// lock). `also`: nodes protected outside the readers (threads without slots).
    #[must_use = "the items are freed when the returned vector is dropped"]
    pub(crate) fn collect(&mut self, readers: &dyn Readers, also: &[usize]) -> Freed<T> {
        if self.is_empty() {
            return Freed::default();
        }
        if also.is_empty() && self.alone(readers, false) {
            return self.take_all();
        }
        if self.loose.len() >= SEAL_AT {
            if self.alone(readers, true) && also.is_empty() {
                return self.take_all();
            }
            self.seal(readers);
        }
        self.free_batches(readers, also)
    }

    /// [`Bin::collect`], sealing the loose items however few: everything no reader can see
    /// any more is handed back now (what `cache_clear` uses, to drop what it removed before it
    /// returns; one barrier).
    #[must_use = "the items are freed when the returned vector is dropped"]
    pub(crate) fn flush(&mut self, readers: &dyn Readers, also: &[usize]) -> Freed<T> {
        if also.is_empty() && self.alone(readers, true) {
            return self.take_all();
        }
        if !self.loose.is_empty() {
            self.seal(readers);
        }
        // Probes end within a microsecond or so: wait for them, briefly. A thread reading in
        // user code past its hazards may take any time: its batch is freed by a later writer.
        let deadline = Instant::now() + FLUSH_WAIT;
        while (self.sealed.back()).is_some_and(|batch| !batch.is_free(readers))
            && Instant::now() < deadline
        {
            std::thread::yield_now();
        }
        self.free_batches(readers, also)
    }

    /// Whether the writer should wait for the oldest batch's probes to end before it goes
    /// on: what readers in the middle of a probe hold back is bounded by this (a probe runs no
    /// user code and always ends; a thread descheduled in it ends it once it runs again).
    /// Never for the writer's own probe, nor for a probe that runs user code (a reader past its
    /// hazards), which might be waiting for this very writer.
    pub(crate) fn must_wait(&self, readers: &dyn Readers) -> bool {
        let Some(oldest) = self.sealed.front() else {
            return false;
        };
        if self.sealed.len() <= MAX_SEALED || oldest.is_free(readers) {
            return false;
        }
        let me = readers.caller();
        oldest.readers.iter().all(|&(index, state)| {
            Some(index) != me && (readers.moved_on(index, state) || !readers.runs_user_code(index))
        })
    }

    /// Whether no item waits to be freed.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn is_empty(&self) -> bool {
        self.loose.is_empty() && self.sealed.is_empty() && self.held.is_empty()
    }

    /// Whether the calling thread is the store's only live user, and reads nothing of it now.
    pub(crate) fn alone(&mut self, readers: &dyn Readers, force: bool) -> bool {
        let solo = match readers.solo() {
            Some(reader) => reader,
            None if readers.claim(&mut self.claim_memo, force) => match readers.solo() {
                Some(reader) => reader,
                None => return false,
            },
            None => return false,
        };
        solo.is_idle()
    }

    /// The one item waiting, if it is the only one and the calling thread is the store's only
    /// live user, reading nothing of it now: no reader can see the item (as in
    /// [`Bin::collect`], whose common case this is: a miss that evicted one result, handed
    /// back without batches). `None`, changing nothing, otherwise.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(crate) fn take_lone(&mut self, readers: &dyn Readers) -> Option<T> {
        let lone = self.loose.len() == 1 && self.held.is_empty() && self.sealed.is_empty();
        if !lone || !self.alone(readers, false) {
            return None;
        }
        self.loose.pop()
    }

    fn take_all(&mut self) -> Freed<T> {
        if self.loose.len() == 1 && self.held.is_empty() && self.sealed.is_empty() {
            // A miss that evicted one result, most often: no vector to allocate.
            return Freed {
                one: self.loose.pop(),
                many: Vec::new(),
            };
        }
        let mut all = core::mem::take(&mut self.loose);
        all.append(&mut self.held);
        for batch in self.sealed.drain(..) {
            all.extend(batch.items);
        }
        Freed::many(all)
    }

    /// The sealed items past their probes, and the held ones, but those a hazard names.
    fn free_batches(&mut self, readers: &dyn Readers, also: &[usize]) -> Freed<T> {
        let mut free = core::mem::take(&mut self.held);
        while let Some(batch) = self.sealed.pop_front() {
            if !batch.is_free(readers) {
                self.sealed.push_front(batch);
                break;
            }
            if free.is_empty() {
                free = batch.items; // most often the only one: no copy
            } else {
                free.extend(batch.items);
            }
        }
        if free.iter().any(|item| item.node().is_some()) {
            let mut hazards = also.to_vec();
            readers.each_live(&mut |_, reader| reader.hazards_into(&mut hazards));
            if !hazards.is_empty() {
                let (held, rest) = free
                    .into_iter()
                    .partition(|item| item.node().is_some_and(|node| hazards.contains(&node)));
                self.held = held;
                free = rest;
            }
        }
        Freed::many(free)
    }

    fn seal(&mut self, readers: &dyn Readers) {
        if !heavy_barrier() {
            return; // keep them loose: freed by a later seal, or never
        }
        let mut probing = Vec::new();
        readers.each_live(&mut |index, reader| {
            if let Some(state) = reader.probing() {
                probing.push((index, state));
            }
        });
        // The next batch gets room for a whole batch at once (rather than growing to it).
        let items = core::mem::replace(&mut self.loose, Vec::with_capacity(SEAL_AT));
        self.sealed.push_back(Sealed {
            items,
            readers: probing,
        });
    }

    /// How many items wait to be freed.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        let sealed = self.sealed.iter().map(|s| s.items.len()).sum::<usize>();
        self.loose.len() + sealed + self.held.len()
    }
}

/// Whether the process uses `membarrier` (readers' half of the barrier is then free): one
/// relaxed load once decided (a `OnceLock` check costs a few instructions more per read).
#[cfg_attr(not(debug_assertions), inline(always))]
fn asymmetric() -> bool {
    match MODE.load(Ordering::Relaxed) {
        ASYMMETRIC => true,
        FENCES => false,
        _ => decide(),
    }
}

/// Makes [`asymmetric`]'s decision now if no thread has, or waits for the thread making it.
/// The fork handler calls it first: a `fork()` while another thread is inside [`decide`] would
/// leave the child's once-only cell taken by a thread it does not have, and the child blocked
/// at its first barrier.
pub(crate) fn decide_before_fork() {
    let _ = asymmetric();
}

/// Whether [`asymmetric`]'s decision was made.
#[cfg(test)]
pub(crate) fn decided() -> bool {
    MODE.load(Ordering::Relaxed) != 0
}

/// [`asymmetric`]'s answer: not yet known, `membarrier`, or fences on both sides.
static MODE: AtomicU8 = AtomicU8::new(0);
const ASYMMETRIC: u8 = 1;
const FENCES: u8 = 2;

#[cold]
#[inline(never)]
fn decide() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let asymmetric = *REGISTERED.get_or_init(register);
    MODE.store(
        if asymmetric { ASYMMETRIC } else { FENCES },
        Ordering::Relaxed,
    );
    asymmetric
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

/// The light side of the barrier: after a reader's mark is stored, before it reads the map
/// (and, for a writer freeing alone, after it unlinked, before it reads who else joined).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn light_barrier() {
    if asymmetric() {
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
    } else {
        core::sync::atomic::fence(Ordering::SeqCst);
    }
}

/// The heavy side: after a writer unlinked, before it looks at the marks (and, for a thread
/// joining a store, before it reads). Runs a full barrier on every thread of the process, so
/// that each one's earlier stores are visible, or its later reads see this thread's. `false`
/// if the system refused (then nothing may be freed).
pub(crate) fn heavy_barrier() -> bool {
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

/// [`heavy_barrier`], for a thread about to wait on another's mark: if the system refused
/// the barrier, the other's mark may not be visible yet, so a fence on this side at least, and
/// a wait well past the microseconds a store takes to leave a CPU's buffer.
pub(crate) fn heavy_barrier_or_settle() {
    if !heavy_barrier() {
        core::sync::atomic::fence(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Set once [`heavy_barrier`] was refused after start-up (see [`refused_later`]).
static REFUSED: AtomicBool = AtomicBool::new(false);

/// Whether [`heavy_barrier`] has been refused since start-up: then nothing that relies on it
/// to see another thread's mark at once (the writer lock's bias) may start again.
pub(crate) fn heavy_barrier_refused() -> bool {
    REFUSED.load(Ordering::Relaxed)
}

/// The command worked when the process registered (see [`register`]) and is refused now: a
/// seccomp filter installed since. Readers rely on it, so nothing retired may be freed from
/// now on; said once, on standard error, rather than leaking in silence.
#[cfg(all(target_os = "linux", not(miri)))]
#[cold]
fn refused_later() {
    REFUSED.store(true, Ordering::Relaxed);
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        eprintln!(
            "py38: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) worked at start-up and is \
             refused now (a seccomp filter installed since?): results evicted from \
             #[memoize] caches are no longer freed"
        );
    });
}

#[cfg(test)]
mod tests;
