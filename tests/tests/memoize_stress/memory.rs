//! Memory over a long run: entries that expire at once, and entries invalidated after each call.

use std::time::Duration;

use py38::memoize;

use crate::THREADS;
use crate::harness::{Rng, Stress};
use crate::values::reference;

#[memoize(maxsize = 128, ttl = 0.000001)]
fn rss_expiring(k: u64) -> u64 {
    reference(k)
}

#[memoize]
fn rss_invalidated(k: u64) -> u64 {
    reference(k)
}

/// Most the process's RSS may grow during the workload.
const RSS_GROWTH_LIMIT_KIB: u64 = 64 * 1024;
/// Run before the first measure, so that thread slots and allocator arenas exist already.
const RSS_WARM_UP: Duration = Duration::from_millis(250);

/// This process's resident set size in KiB (`VmRSS`), where `/proc` has it (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Four threads call a function whose results expire after 1 µs (so every call replaces its
/// entry) over 10 keys, and call and then invalidate another one, for the whole duration,
/// alone in the process: RSS grows by less than 64 MiB. Store bookkeeping that grows with the
/// number of insertions instead of with the number of entries fails this.
#[test]
fn memory_stays_bounded_while_entries_expire_and_are_invalidated() {
    let stress = Stress::alone("rss");
    let work = |_: usize, rng: &mut Rng| {
        let k = rng.below(10);
        assert_eq!(rss_expiring(k), reference(k));
        assert_eq!(rss_invalidated(k), reference(k));
        rss_invalidated::cache_invalidate(k);
    };
    let threads = THREADS / 2;
    stress.run_for("rss: warm-up", threads, RSS_WARM_UP, work);
    let before = rss_kib();
    let iterations = stress.run("rss: workload", threads, work);
    let after = rss_kib();
    println!("  {iterations} iterations (2 calls and an invalidation each) on {threads} threads");
    println!("  rss_expiring: {}", rss_expiring::cache_info());
    println!("  rss_invalidated: {}", rss_invalidated::cache_info());
    let (Some(before), Some(after)) = (before, after) else {
        println!("  no /proc/self/status here: RSS not checked");
        return;
    };
    let growth = after.saturating_sub(before);
    println!(
        "  RSS before {before} KiB, after {after} KiB: +{growth} KiB ({:.1} bytes per iteration)",
        (growth * 1024) as f64 / iterations.max(1) as f64
    );
    assert!(
        growth < RSS_GROWTH_LIMIT_KIB,
        "RSS grew by {growth} KiB over {iterations} iterations"
    );
}
