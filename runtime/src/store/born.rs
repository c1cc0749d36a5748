//! When an entry was stored, for stores with a time to live, in 8 bytes: nanoseconds since
//! the process first asked (an `Option<Instant>` takes 16). Kept by tracked entries only (see
//! [`bookkeeping`](super::bookkeeping)).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The instant every [`Born`] counts from: the first one made in the process.
static ORIGIN: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds from [`ORIGIN`] to the store, plus one; zero: not recorded (no time to live).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Born(u64);

impl Born {
    /// For stores without a time to live.
    pub(crate) const UNRECORDED: Born = Born(0);

    /// Now. Saturates after 584 years of the process.
    pub(crate) fn now() -> Born {
        let origin = *ORIGIN.get_or_init(Instant::now);
        let since = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        Born(since + 1)
    }

    /// Whether `ttl` has passed since (as `Instant::elapsed() >= ttl`); never, if unrecorded.
    pub(crate) fn older_than(self, ttl: Duration) -> bool {
        if self == Born::UNRECORDED {
            return false;
        }
        let age = Born::now().0.saturating_sub(self.0);
        u128::from(age) >= ttl.as_nanos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unrecorded_birth_is_never_old() {
        assert!(!Born::UNRECORDED.older_than(Duration::ZERO));
    }

    #[test]
    fn a_birth_grows_old_once_its_time_has_passed() {
        let born = Born::now();
        assert!(born.older_than(Duration::ZERO), "as `elapsed() >= 0`");
        assert!(!born.older_than(Duration::from_secs(3600)));
        std::thread::sleep(Duration::from_millis(5));
        assert!(born.older_than(Duration::from_millis(5)));
    }
}
