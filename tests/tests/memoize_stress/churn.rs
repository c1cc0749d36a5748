//! Thread churn: short-lived threads calling while long-lived ones do.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::thread;

use py38::memoize;

use crate::THREADS;
use crate::harness::{Rng, Stress};
use crate::targets::{
    Cache, Target, assert_drained, cache, check_every_key, exercise, report, target,
};
use crate::values::{Tally, Value, key_of, key_text};

static CHURN_SMALL: Tally = Tally::new();
static CHURN_WORDS: Tally = Tally::new();
static CHURN_EXPIRING: Tally = Tally::new();

#[memoize(maxsize = 8)]
fn churn_small(k: u64) -> Value {
    Value::new(k, 8, &CHURN_SMALL)
}

#[memoize(maxsize = None)]
fn churn_words(text: &str) -> Value {
    Value::new(key_of(text), 1, &CHURN_WORDS)
}

#[memoize(maxsize = 32, ttl = 0.001)]
fn churn_expiring(k: u64) -> Value {
    Value::new(k, 1, &CHURN_EXPIRING)
}

/// Threads a churning worker starts at a time, and the operations each makes before it ends.
const CHURN_BATCH: usize = 4;
const CHURN_OPERATIONS: usize = 8;

/// Two workers start threads that make a few calls and end, batch after batch, while six
/// others call without pause: every result is right, and a thread's end (its slot in the
/// runtime given back, then reused) loses and leaks nothing.
#[test]
fn short_lived_threads_come_and_go_while_others_call() {
    let stress = Stress::new("churn");
    let targets = [
        target!(
            churn_small,
            keys = 16,
            CHURN_SMALL,
            call = |k| churn_small(k).check(k)
        ),
        target!(
            churn_words,
            keys = 64,
            CHURN_WORDS,
            call = |k| churn_words(&key_text(k)).check(k),
            invalidate = |k| churn_words::cache_invalidate(&key_text(k))
        ),
        target!(
            churn_expiring,
            keys = 16,
            CHURN_EXPIRING,
            call = |k| churn_expiring(k).check(k)
        ),
    ];
    let started = AtomicU64::new(0);
    let iterations = stress.run("churn: workers", THREADS, |worker, rng| {
        if worker >= 2 {
            return exercise(&targets, rng);
        }
        let seeds: Vec<u64> = (0..CHURN_BATCH).map(|_| rng.next_u64()).collect();
        thread::scope(|s| {
            for seed in seeds {
                let targets = &targets;
                s.spawn(move || {
                    let mut rng = Rng::new(seed);
                    for _ in 0..CHURN_OPERATIONS {
                        exercise(targets, &mut rng);
                    }
                });
            }
        });
        started.fetch_add(CHURN_BATCH as u64, Relaxed);
    });
    println!(
        "  {iterations} iterations; {} short-lived threads started",
        started.load(Relaxed)
    );
    stress.phase("churn: checking every key");
    check_every_key(&targets);
    report(&targets);
    stress.phase("churn: draining");
    assert_drained(targets.iter().map(|t| t.cache), 0);
}
