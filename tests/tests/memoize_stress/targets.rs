//! Targets: memoized functions as the workers drive them, the `cache!`/`target!` macros, the
//! workers' operations on them, and the checks after a workload.

use std::panic::{catch_unwind, resume_unwind};
use std::sync::atomic::Ordering::Relaxed;
use std::thread;
use std::time::{Duration, Instant};

use py38::CacheInfo;

use crate::DRAIN_WAIT;
use crate::harness::Rng;
use crate::values::{Tally, is_bomb};

/// A memoized function's cache and what its results did: what the drain check needs.
#[derive(Clone, Copy)]
pub(crate) struct Cache {
    pub(crate) name: &'static str,
    pub(crate) tally: &'static Tally,
    pub(crate) clear: fn(),
    pub(crate) info: fn() -> CacheInfo,
}

/// The [`Cache`] of memoized function `$f`, whose results count themselves in `$tally`.
macro_rules! cache {
    ($f:ident, $tally:expr) => {
        Cache {
            name: stringify!($f),
            tally: &$tally,
            clear: $f::cache_clear,
            info: $f::cache_info,
        }
    };
}

/// One memoized function, with what a worker does to it.
pub(crate) struct Target {
    pub(crate) cache: Cache,
    /// Keys are drawn from `0..keys`.
    pub(crate) keys: u64,
    /// Calls the function for a key and checks the result against the pure function.
    pub(crate) call: fn(u64),
    pub(crate) invalidate: fn(u64) -> bool,
}

/// The [`Target`] of memoized function `$f`; `$call` calls it and checks the result, and
/// `$invalidate` (by default `$f::cache_invalidate`) forgets a key.
macro_rules! target {
    ($f:ident, keys = $keys:expr, $tally:expr, call = $call:expr) => {
        target!(
            $f,
            keys = $keys,
            $tally,
            call = $call,
            invalidate = $f::cache_invalidate
        )
    };
    ($f:ident, keys = $keys:expr, $tally:expr, call = $call:expr, invalidate = $invalidate:expr) => {
        Target {
            cache: cache!($f, $tally),
            keys: $keys,
            call: $call,
            invalidate: $invalidate,
        }
    };
}
pub(crate) use {cache, target};

/// One random operation on one random target: mostly calls (half of them on four hot keys, so
/// that there are hits), some invalidations, a few clears. A panic must be a bomb's.
pub(crate) fn exercise(targets: &[Target], rng: &mut Rng) {
    let target = &targets[rng.below(targets.len() as u64) as usize];
    let key = if rng.one_in(2) {
        rng.below(target.keys.min(4))
    } else {
        rng.below(target.keys)
    };
    let tally = target.cache.tally;
    let outcome = match rng.below(2000) {
        0 => {
            Tally::count(&tally.clears);
            catch_unwind(target.cache.clear)
        }
        1..=80 => {
            Tally::count(&tally.invalidations);
            catch_unwind(|| {
                (target.invalidate)(key);
            })
        }
        _ => {
            Tally::count(&tally.calls);
            catch_unwind(|| (target.call)(key))
        }
    };
    if let Err(payload) = outcome {
        if !is_bomb(&*payload) {
            resume_unwind(payload);
        }
        Tally::count(&tally.panics);
    }
}

/// After the workload: every key of every target gives the right result, twice (the second
/// time usually a hit), and no bounded cache holds more than its bound.
pub(crate) fn check_every_key(targets: &[Target]) {
    for target in targets {
        for k in 0..target.keys {
            (target.call)(k);
            (target.call)(k);
        }
        let info = (target.cache.info)();
        if let Some(maxsize) = info.maxsize {
            assert!(info.currsize <= maxsize, "{}: {info}", target.cache.name);
        }
    }
}

/// Prints what each target saw.
pub(crate) fn report(targets: &[Target]) {
    for target in targets {
        let Cache {
            name, tally, info, ..
        } = target.cache;
        println!("  {name}: {tally} | {}", info());
    }
}

/// Clears the cache, then waits (up to [`DRAIN_WAIT`], calling `cache_info()` meanwhile, which
/// takes the cache's lock and so lets it free what readers no longer see) for at most
/// `allowed` copies of the function's results to be left; says how many are left if more are.
fn drains(cache: Cache, allowed: isize) -> Option<String> {
    let Cache {
        name,
        tally,
        clear,
        info,
    } = cache;
    clear();
    let started = Instant::now();
    loop {
        let live = tally.live.load(Relaxed);
        if live <= allowed || started.elapsed() > DRAIN_WAIT {
            println!(
                "  {name}: {live} values live {:?} after cache_clear() (allowed: {allowed})",
                started.elapsed()
            );
            return (live > allowed)
                .then(|| format!("{name}: {live} values live after cache_clear()"));
        }
        thread::sleep(Duration::from_millis(1));
        info();
    }
}

/// With every worker joined: each cache, cleared, lets go of its values (all but `allowed`).
pub(crate) fn assert_drained(caches: impl IntoIterator<Item = Cache>, allowed: isize) {
    let leaks: Vec<_> = caches
        .into_iter()
        .filter_map(|cache| drains(cache, allowed))
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
}
