//! `#[memoize]` through the public API: CPython's `lru_cache` behaviour, case by case.
//!
//! Each test has memoized functions of its own: tests run in parallel, and a function's cache
//! is shared by every caller in the process.

mod cpython;
mod forms;
mod keys_and_results;
mod threads_and_panics;

use std::sync::Mutex;

/// Records which calls ran the body, in order.
#[derive(Default)]
pub(crate) struct Log(Mutex<Vec<u64>>);

impl Log {
    pub(crate) const fn new() -> Self {
        Log(Mutex::new(Vec::new()))
    }
    /// Notes that the body ran for `n`.
    pub(crate) fn ran(&self, n: u64) {
        self.0.lock().unwrap().push(n);
    }
    /// What ran since the last call, in order.
    pub(crate) fn take(&self) -> Vec<u64> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}
