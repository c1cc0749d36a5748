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
mod tests {
    use std::sync::Barrier;
    use std::time::{Duration, Instant};

    use crate::key::owned;
    use crate::store::{Lookup, Store};

    /// A fork at the moment another thread holds a store's writer lock: the child can still
    /// store results (it waited for the lock to be let go before it forked).
    #[test]
    fn a_child_forked_while_a_writer_holds_the_lock_can_still_write() {
        let store: &'static Store<(u32,), u32> = Box::leak(Box::new(Store::new(Some(4), None)));
        store.keep_across_forks();
        let (locked, forking) = (Barrier::new(2), Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                let held = store.hold_writer_lock();
                locked.wait();
                forking.wait();
                std::thread::sleep(Duration::from_millis(50)); // the fork waits for this
                drop(held);
            });
            locked.wait();
            forking.wait();
            // SAFETY: the child runs only `child`, which ends with `_exit`.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                child(store);
            }
            assert_eq!(
                wait_for(pid, Duration::from_secs(10)),
                Some(0),
                "the child hung"
            );
        });
    }

    /// Stores a result in the child, and says through the exit code that it could.
    fn child(store: &Store<(u32,), u32>) -> ! {
        let stored = match store.lookup((owned(&1u32),)) {
            Lookup::Miss(pending) => pending.run(|| 10) == 10,
            Lookup::Hit(_) => false,
        };
        // SAFETY: ends the child at once, running nothing of the parent's copied state.
        unsafe { libc::_exit(if stored { 0 } else { 1 }) }
    }

    /// The child's exit code, or `None` (then killed) if it has not exited within `limit`.
    fn wait_for(pid: libc::pid_t, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        let mut status = 0;
        while Instant::now() < deadline {
            // SAFETY: polls the child forked above; `status` is a valid place to write.
            let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if done == pid {
                return libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: ends the hung child, and reaps it.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, &mut status, 0);
        }
        None
    }
}
