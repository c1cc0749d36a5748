//! `fork()` while other threads use the caches: the child must find no writer lock held by a
//! thread that does not exist in it.
//!
//! The stores of memoized functions (which live as long as the program) are listed here, and a
//! `pthread_atfork` handler takes every one's writer lock, and the lock of the threads' free
//! indices, before the fork, and lets them go after it, in the parent and in the child. A
//! writer lock is held for a few hundred nanoseconds at a time, with no user code inside, so
//! the fork waits that long at most for each. (What threads that did not survive were reading
//! is handled where reclamation looks at threads: see `threads::after_fork`.)
#![allow(unsafe_code)]

use core::any::Any;
use core::cell::RefCell;
use std::sync::{Mutex, Once, PoisonError};

/// What the fork handler needs of a store: its writer lock, taken.
pub(crate) trait Exclusive: Sync {
    fn hold(&'static self) -> Box<dyn Any>;
}

/// The stores that live as long as the program.
static STORES: Mutex<Vec<&'static dyn Exclusive>> = Mutex::new(Vec::new());

thread_local! {
    /// The locks the forking thread took in `prepare`, let go of in `parent` and `child`.
    static HELD: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Lists a store whose writer lock a fork must not split from its holder.
pub(crate) fn register(store: &'static dyn Exclusive) {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(install);
    STORES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(store);
}

#[cfg(all(unix, not(miri)))]
fn install() {
    // SAFETY: the three handlers are `extern "C"` functions without arguments that do not
    // unwind (they take and release locks, and push to a thread-local vector).
    let failed = unsafe { libc::pthread_atfork(Some(prepare), Some(release), Some(release)) };
    debug_assert_eq!(failed, 0, "pthread_atfork");
}

#[cfg(not(all(unix, not(miri))))]
fn install() {}

/// Before the fork: the list, every store's writer lock, then the free indices.
#[cfg(all(unix, not(miri)))]
extern "C" fn prepare() {
    let stores = STORES.lock().unwrap_or_else(PoisonError::into_inner);
    let mut held: Vec<Box<dyn Any>> = Vec::with_capacity(stores.len() + 2);
    for store in stores.iter() {
        held.push(store.hold());
    }
    held.push(Box::new(stores));
    held.push(super::threads::hold_free_list());
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

#[cfg(all(test, unix, not(miri)))]
mod tests;
