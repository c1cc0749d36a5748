//! Hits, misses, clears, invalidations and expiry, from eight threads at once.

use std::sync::atomic::Ordering::Relaxed;

use py38::memoize;

use crate::THREADS;
use crate::harness::Stress;
use crate::targets::{
    Cache, Target, assert_drained, cache, check_every_key, exercise, report, target,
};
use crate::values::{Tally, Value, check_fallible, error_of, fails, key_of, key_text};

static MIXED_HOT: Tally = Tally::new();
static MIXED_SMALL: Tally = Tally::new();
static MIXED_WORDS: Tally = Tally::new();
static MIXED_EXPIRING: Tally = Tally::new();
static MIXED_FALLIBLE: Tally = Tally::new();
static MIXED_UNCACHED: Tally = Tally::new();

/// `mixed_small`'s bound, and the length of its (4 KiB) results' payload.
const SMALL_MAXSIZE: usize = 4;
const SMALL_PAYLOAD: usize = 512;
/// Most copies of `mixed_small`'s results alive at once, bounded by construction, whatever the
/// eviction rate and the scheduling: the four stored; a batch of 64 evicted ones gathering; the
/// sealed batches waiting for probes, at most 5 before a writer waits for them to end, plus one
/// more for each of the other writers that may seal meanwhile; one held by each hazard (4 a
/// thread); a few in each thread's hands. 4 + 64 * (1 + 5 + 8) + 8 * (4 + 4) = 964, rounded
/// up. Seen: 416-464 (debug, 12 s), 437 (release, 40 s). Before reclamation was per store and
/// bounded, a thread descheduled mid-lookup of any cache held back every result evicted
/// meanwhile: 1466-3225 were seen in release runs.
const SMALL_PEAK_BOUND: isize = 1024;

#[memoize(maxsize = 32)]
fn mixed_hot(k: u64) -> Value {
    Value::new(k, 1, &MIXED_HOT)
}

#[memoize(maxsize = 4)]
fn mixed_small(k: u64) -> Value {
    Value::new(k, SMALL_PAYLOAD, &MIXED_SMALL)
}

#[memoize(maxsize = None)]
fn mixed_words(text: &str) -> Value {
    Value::new(key_of(text), 1, &MIXED_WORDS)
}

#[memoize(maxsize = 16, ttl = 0.003)]
fn mixed_expiring(k: u64) -> Value {
    Value::new(k, 1, &MIXED_EXPIRING)
}

#[memoize(maxsize = 16)]
fn mixed_fallible(k: u64) -> Result<Value, String> {
    if fails(k) {
        Err(error_of(k))
    } else {
        Ok(Value::new(k, 1, &MIXED_FALLIBLE))
    }
}

#[memoize(maxsize = 0)]
fn mixed_uncached(k: u64) -> Value {
    Value::new(k, 1, &MIXED_UNCACHED)
}

/// Eight threads mix calls (hits and misses), invalidations and clears over six functions:
/// bounded, small with 4 KiB results, unbounded by `&str`, expiring after 3 ms, fallible, and
/// `maxsize = 0`. Every result is right; the small cache never has more than a bounded number
/// of result copies alive; once cleared, every cache lets go of every copy.
#[test]
fn threads_mix_hits_misses_clears_invalidations_and_expiry() {
    assert_eq!(mixed_small::cache_parameters().maxsize, Some(SMALL_MAXSIZE));
    let stress = Stress::new("mixed");
    let targets = [
        target!(
            mixed_hot,
            keys = 48,
            MIXED_HOT,
            call = |k| mixed_hot(k).check(k)
        ),
        target!(
            mixed_small,
            keys = 16,
            MIXED_SMALL,
            call = |k| mixed_small(k).check(k)
        ),
        target!(
            mixed_words,
            keys = 64,
            MIXED_WORDS,
            call = |k| mixed_words(&key_text(k)).check(k),
            invalidate = |k| mixed_words::cache_invalidate(&key_text(k))
        ),
        target!(
            mixed_expiring,
            keys = 16,
            MIXED_EXPIRING,
            call = |k| mixed_expiring(k).check(k)
        ),
        target!(
            mixed_fallible,
            keys = 24,
            MIXED_FALLIBLE,
            call = |k| check_fallible(k, mixed_fallible(k))
        ),
        target!(
            mixed_uncached,
            keys = 8,
            MIXED_UNCACHED,
            call = |k| mixed_uncached(k).check(k)
        ),
    ];
    let operations = stress.run("mixed: workers", THREADS, |_, rng| exercise(&targets, rng));
    println!("  {operations} operations on {THREADS} threads");
    stress.phase("mixed: checking every key");
    check_every_key(&targets);
    report(&targets);

    let peak = MIXED_SMALL.peak.load(Relaxed);
    println!(
        "  most copies of mixed_small's results alive at once: {peak} (bound {SMALL_PEAK_BOUND})"
    );
    assert!(
        peak <= SMALL_PEAK_BOUND,
        "mixed_small: {peak} result copies alive at once"
    );

    stress.phase("mixed: draining");
    assert_drained(targets.iter().map(|t| t.cache), 0);
}
