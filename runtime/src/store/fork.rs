//! `fork()` while other threads use the caches: the child must find no writer lock held by a
//! thread that does not exist in it.
//!
//! The stores of memoized functions (which live as long as the program) are listed here, and a
//! `pthread_atfork` handler takes every one's writer lock, and the lock of the threads' free
//! indices, before the fork, and lets them go after it, in the parent and in the child. A
//! writer lock is held for a few hundred nanoseconds at a time, with no user code inside, so
//! the fork waits that long at most for each. (What threads that did not survive were reading
//! is handled where reclamation looks at threads: see `threads::after_fork`.) The lock of the
//! waits between threads (see [`waits`](super::waits)) is held across a fork the same way, and
//! the child counts the fork (see [`generation`]): a computation that a thread that did not
//! survive was running for others is not waited for.
#![allow(unsafe_code)]

use core::any::Any;
use core::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once, PoisonError};

/// What the fork handler needs of a store: its writer lock, taken.
pub(crate) trait Exclusive: Sync {
    fn hold(&'static self) -> Box<dyn Any>;
}

/// The stores that live as long as the program.
static STORES: Mutex<Vec<&'static dyn Exclusive>> = Mutex::new(Vec::new());

/// The handler, installed once.
static HANDLER: Once = Once::new();

/// Forks between the first process that installed the handler and this one.
static FORKS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The locks the forking thread took in `prepare`, let go of in `parent` and `child`.
    static HELD: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Lists a store whose writer lock a fork must not split from its holder.
pub(crate) fn register(store: &'static dyn Exclusive) {
    HANDLER.call_once(install);
    STORES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(store);
}

/// How many forks this process is from the one that first asked (installing the handler that
/// counts them): a thread that asked before a fork may not exist after it, unless it is the
/// thread that forked.
pub(crate) fn generation() -> u64 {
    HANDLER.call_once(install);
    // Relaxed: the child's one thread counted the fork before any other thread was started.
    FORKS.load(Ordering::Relaxed)
}

#[cfg(all(unix, not(miri)))]
fn install() {
    // SAFETY: the three handlers are `extern "C"` functions without arguments that do not
    // unwind (they take and release locks, push to a thread-local vector, count).
    let failed = unsafe { libc::pthread_atfork(Some(prepare), Some(release), Some(child)) };
    debug_assert_eq!(failed, 0, "pthread_atfork");
}

#[cfg(not(all(unix, not(miri))))]
fn install() {}

/// Before the fork: the barriers' mode decided, then the list, every store's writer lock, the
/// free indices, then the waits.
#[cfg(all(unix, not(miri)))]
extern "C" fn prepare() {
    super::epoch::decide_before_fork();
    let stores = STORES.lock().unwrap_or_else(PoisonError::into_inner);
    let mut held: Vec<Box<dyn Any>> = Vec::with_capacity(stores.len() + 3);
    for store in stores.iter() {
        held.push(store.hold());
    }
    held.push(Box::new(stores));
    held.push(super::threads::hold_free_list());
    held.push(super::waits::hold());
    HELD.with(|slot| *slot.borrow_mut() = held);
}

/// After the fork, in the parent and in the child: let go, in the reverse order.
#[cfg(all(unix, not(miri)))]
extern "C" fn release() {
    let mut held = HELD.with(|slot| core::mem::take(&mut *slot.borrow_mut()));
    while let Some(lock) = held.pop() {
        drop(lock);
    }
}

/// After the fork, in the child: count it, then let go.
#[cfg(all(unix, not(miri)))]
extern "C" fn child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
    release();
}

#[cfg(all(test, unix, not(miri)))]
mod tests;
