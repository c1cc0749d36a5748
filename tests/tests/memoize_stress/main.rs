//! A time-bounded stress suite for `#[memoize]`: many threads, thread churn, a lone caller
//! against a thread that clears and counts, panics in user code (a result's `Clone`, a key's
//! `Hash`, `Eq` and `Clone`, the body), `ttl` expiry, clears
//! and invalidations all at once, `async fn`s aborted mid-flight, re-entrant recursion,
//! computations shared by `single_flight = true`, and memory over a long run. Every result is
//! checked against the pure function, every copy of a result is counted (so a leak or a double
//! drop shows), and a watchdog turns a hang into a failure.
//!
//! Each test runs its workload for `PY38_STRESS_SECS` seconds (a float, default 2), so that
//! `cargo test --workspace` stays quick. To stress longer, say 15 seconds a test, in release:
//!
//! ```text
//! PY38_STRESS_SECS=15 cargo test -p py38-tests --test memoize_stress --release -- --nocapture
//! ```
//!
//! `--nocapture` shows what each test observed: operation counts, the most result copies alive
//! at once, RSS before and after. A test whose workload has not finished within its duration
//! plus 60 s prints the phase it is stuck in and aborts the process, so a deadlock fails CI
//! instead of blocking it.

mod harness;
mod targets;
mod values;

mod alone;
mod async_tasks;
mod churn;
mod cleared_async;
mod memory;
mod mixed;
mod panics;
mod reentrancy;
mod single_flight;

use std::time::Duration;

/// Worker threads of a test (the machines that run CI have two cores or so: oversubscribed).
pub(crate) const THREADS: usize = 8;
/// How long a test may overrun its duration before the watchdog aborts the process.
pub(crate) const WATCHDOG_SLACK: Duration = Duration::from_secs(60);
/// How long values may take to be dropped after `cache_clear()` (reclamation may be deferred).
pub(crate) const DRAIN_WAIT: Duration = Duration::from_secs(2);
/// Workers recurse up to ~200 memoized frames deep, in debug builds too.
pub(crate) const WORKER_STACK: usize = 16 << 20;
