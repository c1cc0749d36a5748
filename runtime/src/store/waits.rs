//! Which thread waits for which: a call never starts a wait that could not end.
//!
//! A call of a function with `single_flight = true` that finds its key being computed waits for
//! the thread computing it, the driver. Before it does, it follows the waits from the driver:
//! the thread the driver waits for, the one that one waits for, and so on. If the chain comes
//! back to the caller, waiting would never end: the driver is the caller itself (its body called
//! the function with the key it computes, directly or through other functions), or waits,
//! through other threads, for a computation the caller drives. The call then runs its body
//! instead, as it would without the option.
//!
//! A thread waits for at most one other at a time, and a wait is recorded only if it closes no
//! cycle, so the waits form chains: the walk ends. Checking and recording happen under one lock,
//! so that two threads cannot each start waiting for the other at once. The lock guards a few
//! map operations and no user code; the `fork()` handler holds it across a fork (see
//! [`fork`](super::fork)), so a child never finds it held.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use rustc_hash::FxBuildHasher;

/// Each waiting thread, and the thread it waits for.
type Edges = HashMap<ThreadId, ThreadId, FxBuildHasher>;

static WAITS: Mutex<Edges> = Mutex::new(HashMap::with_hasher(FxBuildHasher));

fn edges() -> MutexGuard<'static, Edges> {
    WAITS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A wait of one thread for another, recorded until dropped.
pub(crate) struct Wait {
    waiter: ThreadId,
}

impl Wait {
    /// Records that `waiter` waits for `driver`; `None` if that wait could never end: `driver`
    /// is `waiter`, or waits for it through a chain of waits.
    pub(crate) fn start(waiter: ThreadId, driver: ThreadId) -> Option<Wait> {
        let mut edges = edges();
        let mut at = driver;
        while at != waiter {
            match edges.get(&at) {
                Some(&next) => at = next,
                None => {
                    edges.insert(waiter, driver);
                    return Some(Wait { waiter });
                }
            }
        }
        None
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        edges().remove(&self.waiter);
    }
}

/// The lock of the waits, taken and held (see the store's `fork`).
pub(crate) fn hold() -> Box<dyn core::any::Any> {
    Box::new(edges())
}

#[cfg(test)]
mod tests;
