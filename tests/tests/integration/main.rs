//! The integration tests of `py38` that can share a process, as one test binary: one build and
//! one link instead of one per file. Each module was a test binary of its own; a test that runs
//! this binary again as a child names its test by its path here (`support::test_name`).
//!
//! Binaries of their own, beside this one: `memoize_no_alloc` and `memoize_no_alloc_forms`
//! (each installs a counting `#[global_allocator]`), `memoize_many_threads` (which threads the
//! process runs must be known), `memoize_fork` (the child of a fork would get the other tests'
//! threads' state too, caught at any point of their work) and `memoize_stress` (run alone by
//! CI with `PY38_STRESS_SECS`; its watchdog aborts the process).

mod dbg_fmt;
mod memoize;
mod memoize_async;
mod memoize_bodies;
mod memoize_constants;
mod memoize_custom_store;
mod memoize_disk;
mod memoize_no_membarrier;
mod memoize_real_code;
mod memoize_redis;
mod memoize_single_flight;
mod signature;
mod signature_methods;
mod support;

/// Reachable from the crate root, so that its `pub` items are not `unreachable_pub`: a `pub fn`'s
/// controls are tested through the module path.
pub use memoize::shapes;
/// Reachable for the same reason: the test is about `pub fn`s, whose call macros are exported.
pub use signature::same_name_and_signature;
