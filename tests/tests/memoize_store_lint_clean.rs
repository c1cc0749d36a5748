//! Code `#[memoize(store = ...)]` generates is clean under strict lints in a user's crate:
//! `cargo clippy --all-targets -- -D warnings` (run by CI) checks this file with the lints
//! below. (The calls run against a file; the Redis function is only compiled, not called.)
#![deny(warnings, clippy::all, clippy::pedantic)]
#![deny(missing_docs, unreachable_pub, unused_qualifications, unused_results)]

use py38::memoize;

/// Squares, kept on disk.
#[memoize(store = disk("../target/py38-tests/lint.sqlite3"), maxsize = 100, ttl = 60)]
#[must_use]
pub fn square(n: u64) -> u64 {
    n * n
}

/// Parses, keeping only `Ok`.
///
/// # Errors
/// When `text` is not a number.
#[memoize(store = disk("../target/py38-tests/lint.sqlite3"), version = "2")]
pub fn parse(text: &str) -> Result<i64, std::num::ParseIntError> {
    text.parse()
}

/// A report from a shared Redis cache.
#[memoize(store = redis, ttl = 300)]
pub async fn report(id: u32) -> String {
    std::future::ready(()).await;
    format!("report {id}")
}

/// A type with a memoized method.
#[derive(serde::Serialize)]
pub struct Grid {
    /// Its size.
    pub size: u64,
}

impl Grid {
    /// Paths across the grid.
    #[memoize(store = disk("../target/py38-tests/lint.sqlite3"))]
    #[must_use]
    pub fn paths(&self, steps: u64) -> u64 {
        self.size * steps
    }
}

#[test]
fn calls_compile_cleanly_and_run() {
    assert_eq!(square(4), 16);
    assert_eq!(parse("12"), Ok(12));
    assert_eq!(Grid { size: 3 }.paths(2), 6);
    assert!(!square::cache_invalidate(5));
    let _unused_future = report(1);
}
