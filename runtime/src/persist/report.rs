//! Reporting a store's failures: each one counted, the first of a burst logged.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Namespace, StoreError};

/// How long after a logged failure further ones are only counted.
const QUIET: Duration = Duration::from_secs(10);

/// Counts a function's store failures and logs them through the `log` facade, at most one
/// line per ten seconds (with the number of failures not logged in between).
#[derive(Debug, Default)]
pub(super) struct Reporter {
    errors: AtomicU64,
    /// When the latest line was logged, and how many failures since then were not.
    burst: Mutex<Option<(Instant, u64)>>,
}

impl Reporter {
    /// No failure yet.
    #[must_use]
    pub(super) const fn new() -> Self {
        Reporter {
            errors: AtomicU64::new(0),
            burst: Mutex::new(None),
        }
    }

    /// Counts `error`, and logs it unless a line was logged less than ten seconds ago.
    pub(super) fn report(&self, namespace: &Namespace, doing: &str, error: &StoreError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut burst = self
            .burst
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &mut *burst {
            Some((logged, quiet)) if logged.elapsed() < QUIET => *quiet += 1,
            previous => {
                let unlogged = previous.map_or(0, |(_, quiet)| quiet);
                log::warn!(
                    "py38: the cache of {namespace} failed {doing}: {error}; the function ran \
                     without it{}",
                    if unlogged > 0 {
                        format!(" ({unlogged} more failures since the last report)")
                    } else {
                        String::new()
                    }
                );
                *previous = Some((Instant::now(), 0));
            }
        }
    }

    /// How many failures there have been.
    pub(super) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}
