//! The map's writer lock: a mutex, and a way around it for the store's only live user.
//!
//! A miss takes the writer lock once, and a mutex costs two atomic read-modify-writes (lock
//! and unlock), about a seventh of a miss on one thread. A store used by one live thread
//! alone (see [`Readers::solo`]) is *biased* to it, under the mutex: from then on that thread
//! takes the lock with plain stores to its own reader's cache line (see
//! `Reader::writing`). Any other thread that takes the mutex (a thread that joined the
//! store, one without a reader of its own, a fork) first *revokes* the bias: it clears it,
//! runs the heavy side of the barrier (see [`epoch`]), and waits until
//! the biased thread is out. The biased thread puts its mark before it checks the bias again,
//! with the light side between: either it sees the bias gone and takes the mutex, or the
//! revoker sees its mark and waits. Two threads that share a store are never biased. A thread
//! that only looks in now and then (`cache_clear`, an invalidation) revokes each time; after
//! a revocation the lock stays unbiased for [`HOLD_OFF`] locks of the mutex, so such a thread
//! pays the barrier at most once per [`HOLD_OFF`] writes of the store's user. `cache_info`
//! takes no lock at all.
//!
//! The bias is never granted once the system refused the barrier (see
//! [`epoch::heavy_barrier_refused`]); a bias granted before is revoked with a fence and a
//! wait instead.
//!
//! `unsafe` code: the state behind the lock is reached through an `UnsafeCell`, by the
//! mutex's holder or the biased thread, never both (run under Miri, see `.ci/run`).

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::super::epoch::{self, Reader, Readers};

/// How many locks of the mutex, after a revocation, before the bias may be granted again.
pub(super) const HOLD_OFF: u32 = 64;

/// A lock around `S`, for one writer at a time.
pub(super) struct WriterLock<S> {
    /// Guards, besides the state, how many locks of the mutex are left before the bias may
    /// be granted again (see [`HOLD_OFF`]).
    mutex: Mutex<u32>,
    /// The index plus one of the thread the lock is biased to, or 0.
    biased: AtomicUsize,
    state: UnsafeCell<S>,
}

// SAFETY: the state is reached by one thread at a time (the mutex's holder, or the biased
// thread while its mark is up and the bias stands): as `Mutex<S>`, `Sync` if `S` is `Send`.
unsafe impl<S: Send> Sync for WriterLock<S> {}

/// The calling thread as the lock knows it: its index and reader in the store.
#[derive(Clone, Copy)]
pub(crate) struct LockUser<'r> {
    pub(crate) index: usize,
    pub(crate) reader: &'r Reader,
}

/// The lock, held: through the mutex, or by the biased thread with its mark up.
pub(super) struct Held<'l, S> {
    lock: &'l WriterLock<S>,
    how: How<'l>,
    /// Shared across threads only where `&S` may be: a `Held` hands out `&S`.
    shares: PhantomData<&'l S>,
}

enum How<'l> {
    Mutex(#[allow(dead_code)] MutexGuard<'l, u32>),
    Biased(&'l Reader),
}

impl<S> WriterLock<S> {
    pub(super) fn new(state: S) -> Self {
        WriterLock {
            mutex: Mutex::new(0),
            biased: AtomicUsize::new(0),
            state: UnsafeCell::new(state),
        }
    }

    /// The state, with no other thread able to reach it (`&mut self`).
    pub(super) fn get_mut(&mut self) -> &mut S {
        self.state.get_mut()
    }

    /// Takes the lock for `me`, without the mutex if it is biased to `me`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn lock<'l>(
        &'l self,
        me: Option<LockUser<'l>>,
        readers: &dyn Readers,
    ) -> Held<'l, S> {
        if let Some(me) = me
            && self.biased.load(Ordering::Relaxed) == me.index + 1
        {
            // Only this thread stores to its mark: a store, no read-modify-write.
            me.reader.writing.store(true, Ordering::Relaxed);
            // Pairs with the revoker's heavy barrier (see the module's documentation).
            epoch::light_barrier();
            if self.biased.load(Ordering::Relaxed) == me.index + 1 {
                return Held {
                    lock: self,
                    how: How::Biased(me.reader),
                    shares: PhantomData,
                };
            }
            me.reader.writing.store(false, Ordering::Release);
        }
        self.lock_mutex(me.map(|me| me.index), readers)
    }

    /// Takes the mutex, then revokes a bias to another thread; biases the lock to `me` if `me`
    /// is the store's only live user (and no revocation is recent, see [`HOLD_OFF`]).
    #[cold]
    #[inline(never)]
    pub(super) fn lock_mutex(&self, me: Option<usize>, readers: &dyn Readers) -> Held<'_, S> {
        let mut guard = self.mutex.lock().unwrap_or_else(PoisonError::into_inner);
        let biased = self.biased.load(Ordering::Relaxed);
        let mine = me.map(|index| index + 1);
        if biased != 0 && Some(biased) != mine {
            self.revoke(biased - 1, readers);
            *guard = HOLD_OFF;
        }
        if let Some(mine) = mine
            && biased != mine
            && readers.solo().is_some()
        {
            if *guard > 0 {
                *guard -= 1;
            } else if !epoch::heavy_barrier_refused() {
                // A mark left up by a thread that held this index in a parent process (a
                // fork copies memory, not threads) would hold a revoker back forever.
                readers.writing(mine - 1).store(false, Ordering::Relaxed);
                self.biased.store(mine, Ordering::Relaxed);
            }
        }
        Held {
            lock: self,
            how: How::Mutex(guard),
            shares: PhantomData,
        }
    }

    /// Ends the bias to thread `index`, and waits until it is out. Caller holds the mutex.
    #[cold]
    fn revoke(&self, index: usize, readers: &dyn Readers) {
        self.biased.store(0, Ordering::Relaxed);
        // If the system refused the barrier (see `epoch::heavy_barrier`), no bias is granted
        // from now on (see `lock_mutex`), so the wait it takes instead is paid once.
        epoch::heavy_barrier_or_settle();
        let mark = readers.writing(index);
        // Acquire: pairs with the biased thread's release when it let go, so that what it
        // wrote is seen here.
        while mark.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
    }
}

impl<S> Drop for Held<'_, S> {
    fn drop(&mut self) {
        if let How::Biased(reader) = self.how {
            // Release: a revoker that sees the mark down sees what was written under it.
            reader.writing.store(false, Ordering::Release);
        }
        // `How::Mutex`: the guard unlocks as it drops.
    }
}

impl<S> Deref for Held<'_, S> {
    type Target = S;

    fn deref(&self) -> &S {
        // SAFETY: the lock is held (see `WriterLock`'s `Sync`): no other thread reaches the
        // state until it is let go, and this borrow ends before.
        unsafe { &*self.lock.state.get() }
    }
}

impl<S> DerefMut for Held<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique on this thread too.
        unsafe { &mut *self.lock.state.get() }
    }
}

#[cfg(test)]
mod tests;
