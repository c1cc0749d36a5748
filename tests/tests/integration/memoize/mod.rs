//! `#[memoize]` through the public API: CPython's `lru_cache` behaviour, case by case.
//!
//! Each test has memoized functions of its own: tests run in parallel, and a function's cache
//! is shared by every caller in the process.

mod bounds;
mod caller;
mod cpython;
mod cpython_model;
mod cpython_threads;
mod forms;
mod keys_and_results;
mod reentrancy;
mod threads_and_panics;

/// Re-exported by the crate root, so that its `pub` items are not `unreachable_pub`.
pub use forms::shapes;
