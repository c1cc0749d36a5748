//! `#[memoize]` through the public API: CPython's `lru_cache` behaviour, case by case.
//!
//! Each test has memoized functions of its own: tests run in parallel, and a function's cache
//! is shared by every caller in the process.

mod caller;
mod cpython;
mod forms;
mod keys_and_results;
mod threads_and_panics;

#[path = "../support/mod.rs"]
mod support;
pub(crate) use support::Log;
